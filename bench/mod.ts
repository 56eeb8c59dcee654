/**
 * `deno task bench`: what one server process and a cluster cost, each target a ratio measured side by side
 * in the same run (this machine's speed moves by half within the hour; docs/performance.md).
 *
 * 1. the per-frame work in-process, against `JSON.parse` of the same messages; 2. a ladder of N concurrent
 * real-time calls over real sockets (server and load generator in separate processes), climbed in lockstep
 * (`ladder.ts`) with 3. the same ladder against a bare Deno WebSocket server; 4. one process against a
 * cluster of two and Redis at the same N (`cluster_run.ts`): CPU per call-second, and what the fan-out adds
 * to tip and metrics latency; 5. memory over a long call and many short calls, as many again, and the bare
 * baseline over the same short calls. Prints Markdown tables and PASS/FAIL per target; `--json FILE` writes
 * the same figures. Method: docs/performance.md.
 *
 * Flags: `--quick` (one rung, short runs: about a minute), `--json FILE`, `--ladder 50,100,…`,
 * `--profile N` (also profile the server at N calls with `--cpu-prof`), `--only analysis,ladder,cluster,memory`,
 * `--cluster-calls N` (the calls of the cluster comparison)
 * (`coach` or `baseline` instead of `ladder` climbs only that server's ladder), `--servers coach,baseline`
 * (the ladders climbed: any of coach, baseline, cluster), `--transport raw|websocket` (the generator's media
 * client in the real-time runs; `raw`, one write per call per tick, by default).
 *
 * @module
 */
import { measureAnalysisCost } from "./analysis_cost.ts";
import { compareCluster, LATENCY_SETTINGS } from "./cluster_run.ts";
import { loadConversation } from "./audio.ts";
import { stopAllChildren } from "./child.ts";
import { climbLadders } from "./ladder.ts";
import { summarizeProfileDir } from "./profile.ts";
import {
  type BenchResult,
  emptyResult,
  judge,
  largestHolding,
  LATENCY_PAGES,
  renderReport,
} from "./report.ts";
import { runMemory } from "./memory_run.ts";
import { runPhrasedLatency } from "./phrasing_run.ts";
import { GENERATOR_TRANSPORTS, type GeneratorTransport } from "./load_generator.ts";
import { type RungResult, type RungTiming, runRung, type ServerKind, stopAllRedis } from "./runs.ts";

/** Parsed command line. */
export interface BenchOptions {
  quick: boolean;
  json: string | null;
  ladder: number[];
  profileCalls: number | null;
  only: Set<string>;
  transport: GeneratorTransport;
  /** The servers whose ladders are climbed in lockstep (`--servers`, default the product and the baseline). */
  servers: ServerKind[];
  /** Calls of the cluster comparison (`--cluster-calls`; default half what one process held, or 100 quick). */
  clusterCalls: number | null;
}

// Steps of about 10 % from 700 up: the calls target is a share of 90 %, and a share is only as fine as the ladder.
const FULL_LADDER = [300, 500, 700, 800, 900, 1000, 1100, 1200, 1350, 1500, 1650, 1800, 2000, 2200, 2400];
// One rung: with the cluster comparison the quick run stays about a minute.
const QUICK_LADDER = [150];
const SECTIONS = ["analysis", "ladder", "coach", "baseline", "cluster", "latency", "memory"];
const SERVER_KINDS: readonly ServerKind[] = ["coach", "baseline", "cluster"];

/** Parses the flags; throws on anything unknown. */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    json: null,
    ladder: [],
    profileCalls: null,
    only: new Set(SECTIONS),
    transport: "raw",
    servers: ["coach", "baseline"],
    clusterCalls: null,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === "--quick") options.quick = true;
    else if (flag === "--json") options.json = value();
    else if (flag === "--ladder") options.ladder = value().split(",").map((n) => positiveInt(flag, n));
    else if (flag === "--profile") options.profileCalls = positiveInt(flag, value());
    else if (flag === "--cluster-calls") options.clusterCalls = positiveInt(flag, value());
    else if (flag === "--servers") {
      options.servers = value().split(",") as ServerKind[];
      for (const kind of options.servers) {
        if (!SERVER_KINDS.includes(kind)) {
          throw new Error(`--servers: ${kind} is not one of ${SERVER_KINDS.join(", ")}`);
        }
      }
    } else if (flag === "--transport") {
      const transport = value() as GeneratorTransport;
      if (!GENERATOR_TRANSPORTS.includes(transport)) {
        throw new Error(`--transport: ${transport} is not one of ${GENERATOR_TRANSPORTS.join(", ")}`);
      }
      options.transport = transport;
    } else if (flag === "--only") {
      options.only = new Set(value().split(","));
      for (const section of options.only) {
        if (!SECTIONS.includes(section)) {
          throw new Error(`--only: unknown section ${section} (${SECTIONS.join(", ")})`);
        }
      }
    } else {throw new Error(
        `unknown flag ${flag}; use --quick, --json FILE, --ladder 50,100, --profile N, --only …, ` +
          "--servers …, --cluster-calls N, --transport raw|websocket",
      );}
  }
  if (options.ladder.length === 0) options.ladder = options.quick ? QUICK_LADDER : FULL_LADDER;
  return options;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${flag}: ${JSON.stringify(text)} is not a positive integer`);
  }
  return n;
}

function log(line: string): void {
  console.error(`[bench] ${line}`);
}

function loadAverage(): number[] | null {
  // Deno.loadavg is not available on every OS; the report then says n/a.
  return Deno.build.os === "linux" || Deno.build.os === "darwin" ? Deno.loadavg() : null;
}

/** Tries per rung at most (see {@linkcode runRungWithRetries}). */
const MAX_TRIES = 3;
/** Other processes above this CPU (% of one core) during a window mean the window was disturbed. */
const DISTURBED_OTHERS_PCT = 50;

function disturbed(row: RungResult): boolean {
  return (row.other_cpu_pct ?? 0) > DISTURBED_OTHERS_PCT;
}

function percent(row: RungResult): string {
  return `${(row.within_100ms * 100).toFixed(2)} %`;
}

/**
 * Runs one rung of `kind` at `calls`, re-running a miss (see below), and logs it; null when it could not be
 * run (the reason goes to `errors`).
 */
async function runRungWithRetries(
  kind: ServerKind,
  calls: number,
  timing: RungTiming,
  transport: GeneratorTransport,
  errors: string[],
): Promise<RungResult | null> {
  log(`${kind}: ${calls} calls…`);
  try {
    const tries: RungResult[] = [await runRung(kind, calls, timing, { transport })];
    // A miss is re-run once: on a shared machine one stall of another process can sink a short window.
    // A second miss is re-run once more only if other processes took over half a core during it.
    while (
      !tries.at(-1)!.holds_real_time &&
      (tries.length < 2 || (tries.length < MAX_TRIES && disturbed(tries.at(-1)!)))
    ) {
      const last = tries.at(-1)!;
      log(
        `${kind} N=${calls} missed real time (${
          percent(last)
        }, others ${last.other_cpu_pct} % CPU); retrying`,
      );
      tries.push(await runRung(kind, calls, timing, { transport }));
    }
    const last = tries.at(-1)!;
    const earlier = tries.slice(0, -1).map((t) => `${percent(t)} with others at ${t.other_cpu_pct} % CPU`);
    const row = earlier.length
      ? { ...last, note: [`earlier tries: ${earlier.join(", ")}`, last.note].filter(Boolean).join("; ") }
      : last;
    log(
      `${kind} N=${calls}: ${
        (row.within_100ms * 100).toFixed(2)
      } % ≤100 ms, lag p99 ${row.loop_lag_p99_ms} ms, ` +
        `CPU ${row.server_cpu_pct} % (socket thread ${row.server_main_thread_cpu_pct} %)` +
        `, ${row.holds_real_time ? "holds" : "FAILS"} ${row.note}`,
    );
    return row;
  } catch (error) {
    errors.push(`${kind} N=${calls}: ${(error as Error).message}`);
    log(`${kind} N=${calls} failed: ${(error as Error).message}`);
    return null;
  }
}

/** Runs the benchmark. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  // `--quick` stays under a minute with room to spare (measured 57-59 s with 3 s windows, 54 s with these).
  const timing: RungTiming = options.quick
    ? { warmupMs: 1000, windowMs: 2500 }
    : { warmupMs: 3000, windowMs: 15000 };
  const latencyTiming: RungTiming = options.quick
    ? { warmupMs: 500, windowMs: 2000 }
    : { warmupMs: 2000, windowMs: 20000 };
  const result = emptyResult(new Date().toISOString(), options.quick, {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    load_avg_at_start: loadAverage(),
  });
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      result.errors.push(`${what}: ${(error as Error).message}`);
      log(`${what} failed: ${(error as Error).message}`);
    }
  };

  if (options.only.has("analysis")) {
    await attempt("analysis", async () => {
      log("analysis cost…");
      result.analysis = measureAnalysisCost(
        await loadConversation(),
        options.quick ? { passes: 5, warmup: 8, interleavedCalls: 200, interleavedSeconds: 5 } : {},
      );
    });
  }
  const ladder = options.only.has("ladder");
  if (ladder || options.only.has("coach") || options.only.has("baseline")) {
    const kinds = options.servers.filter((kind) => ladder || options.only.has(kind));
    result.ladder = await climbLadders(
      kinds,
      options.ladder,
      (kind, calls) => runRungWithRetries(kind, calls, timing, options.transport, result.errors),
    );
    const coach = largestHolding(result.ladder.coach);
    const baseline = largestHolding(result.ladder.baseline);
    result.headline = {
      coach_max_calls: coach.max,
      baseline_max_calls: baseline.max,
      coach_capped: coach.capped,
      baseline_capped: baseline.capped,
      ratio: baseline.max > 0 ? coach.max / baseline.max : null,
    };
  }
  if (options.only.has("cluster")) {
    // At half the calls one process held in this run: below its limit, so CPU is what the work costs.
    const calls = options.clusterCalls ??
      (options.quick ? 100 : Math.max(100, Math.floor((result.headline.coach_max_calls || 800) / 2)));
    await attempt(`cluster comparison N=${calls}`, async () => {
      result.cluster = await compareCluster(calls, options.quick ? 1 : 3, timing, options.transport, log);
    });
  }
  if (options.only.has("latency")) {
    // One process's tip latency, as information, and with the AI phrasing (issue 20's target).
    if (!options.quick) {
      await attempt("latency N=1", async () => {
        log("tip latency at N=1…");
        result.latency.at_1 = await runRung("coach", 1, latencyTiming, {
          latencyCalls: 1,
          coachSettings: LATENCY_SETTINGS,
          transport: options.transport,
        });
      });
    }
    const half = Math.max(2, Math.floor((result.headline.coach_max_calls || options.ladder[0]) / 2));
    const halfRun = { latencyCalls: Math.min(half, LATENCY_PAGES), coachSettings: LATENCY_SETTINGS };
    await attempt(`latency N=${half}`, async () => {
      log(`tip latency at N=${half}…`);
      result.latency.at_half = await runRung("coach", half, latencyTiming, {
        ...halfRun,
        transport: options.transport,
      });
    });
    await attempt(`latency N=${half} with a model`, async () => {
      log(`tip latency at N=${half}, AI phrasing with a model answering in 300 ms…`);
      result.latency.at_half_model = await runPhrasedLatency(half, latencyTiming, {
        ...halfRun,
        transport: options.transport,
      });
    });
  }
  if (options.only.has("memory")) {
    await attempt("memory", async () => {
      log("memory…");
      // Quick: 40 short calls, not more, so the whole quick run stays under a minute on this machine's slow
      // hours too (60 took it to 59.9 s on 2026-12-03, the memory part alone 30 s).
      result.memory = options.quick ? await runMemory(120, 40, 1) : await runMemory(600, 1000, 2);
    });
  }
  if (options.profileCalls !== null) {
    const calls = options.profileCalls;
    await attempt(`profile N=${calls}`, async () => {
      log(`profiling the server at N=${calls}…`);
      const dir = await Deno.makeTempDir({ prefix: "bench_profile_" });
      await runRung("coach", calls, timing, { cpuProfileDir: dir, transport: options.transport });
      result.profile = { calls, ...await summarizeProfileDir(dir, 25) };
    });
  }
  result.targets = judge(result);
  return result;
}

if (import.meta.main) {
  const stop = () => {
    Promise.all([stopAllChildren(), stopAllRedis()]).finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  let code = 0;
  try {
    const options = parseBenchArgs(Deno.args);
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
    await Promise.all([stopAllChildren(), stopAllRedis()]);
  }
  Deno.exit(code);
}
