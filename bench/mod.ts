/**
 * `deno task bench`: what one server process and a cluster cost, each target a ratio of two figures measured
 * side by side in the same run (this machine's speed moves by half within the hour). Sections: `analysis`,
 * `ladder`, `cluster`, `latency`, `memory`; prints Markdown tables and PASS/FAIL per target. Flags: `--help`.
 * Method and results: docs/performance.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { measureAnalysisCost } from "./analysis_cost.ts";
import { loadConversation } from "./audio.ts";
import { stopAllChildren } from "./child.ts";
import { compareCluster, LATENCY_SETTINGS } from "./cluster_run.ts";
import { runMemory } from "./memory_run.ts";
import {
  type BenchResult,
  emptyResult,
  headlineOf,
  judge,
  LATENCY_PAGES,
  limitsOf,
  renderReport,
  share,
} from "./report.ts";
import { type RungResult, type RungTiming, runRung } from "./runs.ts";
import { stopAllRedis } from "./servers.ts";

/** Parsed command line. */
export type BenchOptions = ReturnType<typeof parseBenchArgs>;

// Steps of about 10 % from 700 up: the calls target is a share of 90 %, and a share is only as fine as the ladder.
const FULL_LADDER = [300, 500, 700, 800, 900, 1000, 1100, 1200, 1350, 1500, 1650, 1800, 2000, 2200, 2400];
const SECTIONS = ["analysis", "ladder", "cluster", "latency", "memory"];
const USAGE = "usage: deno task bench [--quick] [--json FILE] [--ladder 300,500,…] " +
  `[--only ${SECTIONS.join(",")}]`;

/** Parses the flags; throws on anything unknown. */
export function parseBenchArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      ladder: { type: "string" },
      only: { type: "string", default: SECTIONS.join(",") },
      help: { type: "boolean", default: false },
    },
  });
  const positive = (text: string) => {
    if (/^[1-9]\d*$/.test(text)) return Number(text);
    throw new Error(`--ladder: ${JSON.stringify(text)} is not a positive integer`);
  };
  const only = new Set(values.only.split(","));
  const unknown = [...only].find((section) => !SECTIONS.includes(section));
  if (unknown) throw new Error(`--only: unknown section ${unknown} (${SECTIONS.join(", ")})`);
  return {
    help: values.help,
    quick: values.quick,
    json: values.json ?? null,
    ladder: values.ladder?.split(",").map(positive) ??
      (values.quick ? [150] : FULL_LADDER),
    only,
  };
}

function log(line: string): void {
  console.error(`[bench] ${line}`);
}

/** A server with a ladder: the product or the bare baseline. */
export type LadderKind = "coach" | "baseline";

/** Rounds of {@linkcode climbLadders}' refinement: each halves the gap between a server's held and failed N. */
export const REFINE_ROUNDS = 2;
/** A gap this small (or smaller) between held and failed is not split further: calls. */
const FINEST_STEP = 10;

/**
 * Climbs the ladders of `kinds` in lockstep: at each N every server still climbing runs its rung, the first
 * alternating from rung to rung, so that the yardstick and the product meet the same minutes of a machine
 * whose speed moves within minutes. A server stops at its first rung that fails or cannot be run (null).
 *
 * Then each server's limit is refined, in lockstep too: for `refineRounds` rounds, every server that held a
 * rung and failed the next runs the midpoint between the two, which becomes its new held or failed N. The
 * ladder's rungs are about 10 % apart, so a share of two servers' limits read off the rungs alone is only as
 * fine as that; two rounds make it about 2.5 %. The refinement's rows follow the climb's, in the order run.
 */
export async function climbLadders(
  kinds: readonly LadderKind[],
  ladder: readonly number[],
  runRung: (kind: LadderKind, calls: number) => Promise<RungResult | null>,
  refineRounds = 0,
): Promise<Record<LadderKind, RungResult[]>> {
  const rows: Record<LadderKind, RungResult[]> = { coach: [], baseline: [] };
  const climbing = new Set(kinds);
  /** Which server goes first alternates from one rung to the next, through the climb and the refinement. */
  let step = 0;
  const inTurn = () => step++ % 2 === 0 ? kinds : [...kinds].reverse();
  while (step < ladder.length && climbing.size > 0) {
    const calls = ladder[step];
    for (const kind of inTurn()) {
      if (!climbing.has(kind)) continue;
      const row = await runRung(kind, calls);
      if (row !== null) rows[kind].push(row);
      if (row === null || !row.holds_real_time) climbing.delete(kind);
    }
  }
  for (let round = 0; round < refineRounds; round++) {
    for (const kind of inTurn()) {
      const { held, failed } = limitsOf(rows[kind]);
      if (held === 0 || failed === null || failed - held <= FINEST_STEP) continue;
      const calls = Math.round((held + failed) / 2 / FINEST_STEP) * FINEST_STEP;
      if (calls <= held || calls >= failed) continue;
      const row = await runRung(kind, calls);
      if (row !== null) rows[kind].push(row);
    }
  }
  return rows;
}

/**
 * Runs one ladder rung and logs it. A miss is re-run once: on a shared machine one stall of another process
 * can sink a short window. A second miss is re-run once more only if other processes took over half a core.
 */
async function runLadderRung(kind: LadderKind, calls: number, timing: RungTiming): Promise<RungResult> {
  log(`${kind}: ${calls} calls…`);
  const tries = [await runRung(kind, calls, timing)];
  for (let last = tries[0]; !last.holds_real_time; last = tries.at(-1)!) {
    if (tries.length === 3 || (tries.length === 2 && (last.other_cpu_pct ?? 0) <= 50)) break;
    log(`${kind} N=${calls} missed real time (${share(last)}, others ${last.other_cpu_pct} % CPU); retrying`);
    tries.push(await runRung(kind, calls, timing));
  }
  const row = tries.at(-1)!;
  const earlier = tries.slice(0, -1).map((t) => `${share(t)} with others at ${t.other_cpu_pct} % CPU`);
  if (earlier.length) {
    row.note = [`earlier tries: ${earlier.join(", ")}`, row.note].filter(Boolean).join("; ");
  }
  const verdict = row.holds_real_time ? "holds" : "FAILS";
  log(`${kind} N=${calls}: ${share(row)} ≤100 ms, CPU ${row.server_cpu_pct} %, ${verdict} ${row.note}`);
  return row;
}

/** Runs the benchmark. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { quick, only } = options;
  const timing: RungTiming = { warmupMs: quick ? 1000 : 3000, windowMs: quick ? 2500 : 15000 };
  const latencyTiming: RungTiming = { warmupMs: quick ? 500 : 2000, windowMs: quick ? 2000 : 20000 };
  const result = emptyResult(new Date().toISOString(), quick, {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    // Deno.loadavg is not available on every OS; the report then says n/a.
    load_avg_at_start: ["linux", "darwin"].includes(Deno.build.os) ? Deno.loadavg() : null,
  });
  /** Runs one part of a section; a failure is recorded and the bench goes on. */
  const attempt = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    log(`${what}…`);
    try {
      return await run();
    } catch (error) {
      result.errors.push(`${what}: ${(error as Error).message}`);
      log(`${what} failed: ${(error as Error).message}`);
      return null;
    }
  };

  if (only.has("analysis")) {
    const passes = quick ? { passes: 5, warmup: 8 } : {};
    result.analysis = await attempt(
      "analysis",
      async () => measureAnalysisCost(await loadConversation(), passes),
    );
  }
  if (only.has("ladder")) {
    result.ladder = await climbLadders(
      ["coach", "baseline"],
      options.ladder,
      (kind, calls) => attempt(`${kind} N=${calls}`, () => runLadderRung(kind, calls, timing)),
      quick ? 0 : REFINE_ROUNDS,
    );
    result.headline = headlineOf(result.ladder);
  }
  const held = result.headline.coach_max_calls;
  if (only.has("cluster")) {
    // At half what one process held in this run: below its limit, so CPU is what the work costs.
    const calls = quick ? 100 : Math.max(100, Math.floor((held || 800) / 2));
    // Turn to turn, one process's CPU at the same N varies by a quarter on this shared machine: five turns.
    const turns = quick ? 1 : clusterTurns(Deno.env.get("BENCH_CLUSTER_TURNS"));
    result.cluster = await attempt(
      `cluster comparison N=${calls}`,
      () => compareCluster(calls, turns, timing, log),
    );
  }
  if (only.has("latency")) {
    const half = Math.max(2, Math.floor((held || options.ladder[0]) / 2));
    const rung = { latencyCalls: Math.min(half, LATENCY_PAGES), coachSettings: LATENCY_SETTINGS };
    const latency = (model: boolean) =>
      attempt(
        `tip latency at N=${half}${model ? ", the AI phrasing with a model answering in 300 ms" : ""}`,
        () => runRung("coach", half, latencyTiming, { ...rung, model }),
      );
    result.latency.at_half = await latency(false);
    result.latency.at_half_model = await latency(true);
  }
  if (only.has("memory")) {
    // Quick: 40 short calls, so the whole quick run stays about a minute.
    result.memory = await attempt("memory", () => quick ? runMemory(120, 40, 1) : runMemory(600, 1000, 2));
  }
  result.targets = judge(result);
  return result;
}

/** `BENCH_CLUSTER_TURNS`: the turns of the cluster comparison, 5 when unset. */
function clusterTurns(text: string | undefined): number {
  if (text === undefined) return 5;
  const turns = Number(text);
  if (!Number.isInteger(turns) || turns < 1) {
    throw new Error(
      `BENCH_CLUSTER_TURNS must be a whole number of turns, 1 or more (got ${JSON.stringify(text)})`,
    );
  }
  return turns;
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(Deno.args);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const stopAll = () => Promise.all([stopAllChildren(), stopAllRedis()]);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void stopAll().finally(() => Deno.exit(130)));
  }
  let code = 0;
  try {
    const result = await runBench(options);
    console.log(renderReport(result));
    if (options.json) {
      await Deno.writeTextFile(options.json, JSON.stringify(result, null, 2) + "\n");
      log(`figures written to ${options.json}`);
    }
  } catch (error) {
    console.error(error);
    code = 1;
  } finally {
    await stopAll();
  }
  Deno.exit(code);
}
