/**
 * The benchmark's result record, its targets (PASS/FAIL) and the printed tables (Markdown, so they can be
 * pasted into docs/performance.md as measured).
 *
 * @module
 */
import type { AnalysisCost } from "./analysis_cost.ts";
import type { ClusterComparison } from "./cluster_run.ts";
import type { MemoryPoint, MemoryResult } from "./memory_run.ts";
import type { RedisLoad, RungResult } from "./runs.ts";

/** Everything one `deno task bench` run measured. */
export interface BenchResult {
  started_at: string;
  quick: boolean;
  machine: { cores: number; deno: string; load_avg_at_start: number[] | null };
  analysis: AnalysisCost | null;
  ladder: { coach: RungResult[]; baseline: RungResult[] };
  headline: ReturnType<typeof headlineOf>;
  /** One process's tip latency at half the headline N, without and with the AI phrasing. */
  latency: { at_half: RungResult | null; at_half_model: RungResult | null };
  cluster: ClusterComparison | null;
  memory: MemoryResult | null;
  targets: Target[];
  errors: string[];
}

/** A result that has measured nothing yet: the sections fill it in as they run. */
export function emptyResult(startedAt: string, quick: boolean, machine: BenchResult["machine"]): BenchResult {
  return {
    started_at: startedAt,
    quick,
    machine,
    analysis: null,
    ladder: { coach: [], baseline: [] },
    headline: headlineOf({ coach: [], baseline: [] }),
    latency: { at_half: null, at_half_model: null },
    cluster: null,
    memory: null,
    targets: [],
    errors: [],
  };
}

/** One target and whether this run met it (null: not measured). */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean | null;
}

/** The largest N that held below every N that failed, and the smallest N that failed (null: none did). */
export function limitsOf(rows: readonly RungResult[]): { held: number; failed: number | null } {
  let failed: number | null = null;
  for (const row of rows) {
    if (!row.holds_real_time && (failed === null || row.calls < failed)) failed = row.calls;
  }
  let held = 0;
  for (const row of rows) {
    if (row.holds_real_time && row.calls > held && (failed === null || row.calls < failed)) held = row.calls;
  }
  return { held, failed };
}

/** Largest N of a ladder that held real time (below any N that failed); capped when no N failed. */
export function largestHolding(rows: readonly RungResult[]): { max: number; capped: boolean } {
  const { held, failed } = limitsOf(rows);
  return { max: held, capped: rows.length > 0 && failed === null };
}

/** The largest N each ladder held; capped when its top rung still held (the real maximum is higher). */
export function headlineOf(ladder: BenchResult["ladder"]) {
  const [coach, baseline] = [largestHolding(ladder.coach), largestHolding(ladder.baseline)];
  return {
    coach_max_calls: coach.max,
    baseline_max_calls: baseline.max,
    coach_capped: coach.capped,
    baseline_capped: baseline.capped,
    ratio: baseline.max > 0 ? coach.max / baseline.max : null,
  };
}

/** The targets: each but the last two a ratio of two figures measured side by side in the same run. */
export const GOALS = {
  /** Calls one process holds, as a share of the bare Deno WebSocket server's. */
  callsShare: 0.9,
  /** The per-frame work as the server does it, over `JSON.parse` of the same message. */
  perFrame: 1.0,
  /** A cluster of two processes and Redis, CPU per call-second over one process's. */
  clusterCpu: 1.25,
  /** What the fan-out through Redis may add to a page's tip and metrics p99, ms. */
  fanoutMs: 20,
  phrasedTipP99Ms: 1500,
  /** RSS growth once 1,000 calls are over, MB. */
  memoryMb: 5,
};

const signed = (value: number) => `${value >= 0 ? "+" : ""}${value}`;
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

/** Judges the targets against a result. */
export function judge(result: BenchResult): Target[] {
  const { headline: h, analysis: a, cluster: c, memory: m } = result;
  const target = (name: string, goal: string, measured: string | null, pass: boolean | null): Target => ({
    name,
    goal,
    measured: measured ?? "not measured",
    pass: measured === null ? null : pass,
  });
  const fanout = (what: string, ms: number | null) =>
    target(
      `what the fan-out through Redis adds to ${what} p99 (page on another instance vs the coaching one)`,
      `≤ ${GOALS.fanoutMs} ms`,
      ms === null ? null : `${ms} ms`,
      ms !== null && ms <= GOALS.fanoutMs,
    );
  const model = result.latency.at_half_model;
  const tips = model && model.tip_latency_ms.count > 0 ? model.tip_latency_ms : null;
  const calls = h.ratio !== null
    ? `${percent(h.ratio)} (${h.coach_max_calls} / ${h.baseline_capped ? "≥ " : ""}${h.baseline_max_calls})`
    : result.ladder.baseline.length > 0
    ? `${h.coach_max_calls} / ${h.baseline_max_calls}: the bare server held none of the ladder`
    : null;
  return [
    target(
      "calls one process holds, share of the bare Deno WebSocket server's (lockstep ladder)",
      `≥ ${percent(GOALS.callsShare)}`,
      calls,
      // With the baseline still holding at the top of the ladder its real maximum is unknown: no verdict.
      h.ratio === null || h.baseline_capped ? null : h.ratio >= GOALS.callsShare,
    ),
    target(
      "per-frame work as the server does it (read, decode, align, analyse, rules) over JSON.parse",
      `≤ ${GOALS.perFrame.toFixed(1)}×`,
      a &&
        `${a.server_vs_json_parse}× (${a.paired_total_us_per_frame} / ${a.paired_json_parse_us_per_frame} µs)`,
      a !== null && a.server_vs_json_parse <= GOALS.perFrame,
    ),
    target(
      "CPU per call-second, a cluster of 2 processes and Redis over one process",
      `≤ ${GOALS.clusterCpu}×`,
      c && `${c.cpu_ratio}×, the median of ${c.turn_ratios.length} turns (${c.turn_ratios.join(", ")}; ` +
          `medians ${c.cluster_us_per_call_s} / ${c.single_us_per_call_s} µs, N=${c.calls})`,
      c !== null && c.cpu_ratio <= GOALS.clusterCpu,
    ),
    fanout("tip", c?.fanout_tip_p99_added_ms ?? null),
    fanout("metrics", c?.fanout_metrics_p99_added_ms ?? null),
    target(
      "AI-phrased tip latency p99 at half the headline N, model answering in 300 ms",
      `≤ ${GOALS.phrasedTipP99Ms} ms`,
      tips &&
        `${tips.p99} ms (N=${model!.calls}, ${tips.count} tips, ${model!.tips_phrased_by_model} in the ` +
          `model's words; without a model ${
            result.latency.at_half?.tip_latency_ms.p99 ?? "n/a"
          } ms in this run)`,
      tips !== null && tips.p99 <= GOALS.phrasedTipP99Ms,
    ),
    target(
      `RSS growth after ${m?.short_calls ?? "?"} calls, registry empty`,
      `≤ ${GOALS.memoryMb} MB, 0 sessions`,
      m &&
        `${m.rss_growth_mb} MB (${signed(m.rss_growth_held_mb)} MB held before the idle release; 2nd half ` +
          `${m.rss_growth_second_half_mb} MB; ${m.short_calls} more ${
            signed(m.rss_growth_next_calls_mb)
          } MB), ` +
          `registry ${m.registry_size_after}, live ${m.health_local_sessions_after}`,
      m !== null && m.rss_growth_mb <= GOALS.memoryMb && m.registry_size_after === 0 &&
        m.health_local_sessions_after === 0 && m.short_calls_completed === m.short_calls,
    ),
  ];
}

/** A Markdown table: a `[header, cell]` pair per column, and the rows the cells are taken from. */
function table<T>(columns: [string, (row: T) => unknown][], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row)));
  const lines = [columns.map(([header]) => header), columns.map(() => "---"), ...cells];
  return lines.map((line) => `| ${line.join(" | ")} |`).join("\n");
}

const fmt = (value: number | null) => value === null ? "n/a" : value.toFixed(1);
/** The share of frames within 100 ms, in %. */
export const share = (row: RungResult) => `${(row.within_100ms * 100).toFixed(2)} %`;
const p99 = (q: { p99: number; count: number } | null) => q && q.count > 0 ? String(q.p99) : "—";
const failures = (errors: readonly string[]) => errors.length ? ` (failures: ${errors.join("; ")})` : "";
const atLeast = (n: number, capped: boolean) => `${capped ? "≥ " : ""}${n}`;

function analysisSection(a: AnalysisCost): string[] {
  return [
    "\n### 1. Per-frame work (in-process, CPU time)\n",
    `As the server does it (read in place, decode, align, analyse, rules) ${a.total_us_per_frame} µs per frame, ` +
    `JSON.parse of the same messages ${a.json_parse_us_per_frame} µs (median passes); in pairs of passes ` +
    `${a.server_vs_json_parse}× (${a.paired_total_us_per_frame} / ${a.paired_json_parse_us_per_frame} µs). ` +
    `${a.audio_s} s of scripted conversation × ${a.passes} passes (${a.clock} clock); one core sustains ` +
    `${a.frames_per_core_s.toLocaleString("en")} frames/s of this work, ${a.calls_per_core} calls.`,
  ];
}

function ladderSection(rows: RungResult[], h: BenchResult["headline"]): string[] {
  return [
    "\n### 2. Ladders in lockstep (real sockets, generator in its own process; a server's rows after its first " +
    "failed rung refine its limit, each the midpoint of its held and failed N)\n",
    table([
      ["server", (r) => r.server],
      ["N", (r) => r.calls],
      ["frames/s (expected)", (r) => `${r.frames_per_s} (${r.expected_frames_per_s})`],
      ["≤100 ms", share],
      ["late p50/p99 ms", (r) => `${r.frame_late_ms.p50}/${r.frame_late_ms.p99}`],
      ["server CPU %", (r) => fmt(r.server_cpu_pct)],
      ["RSS MB", (r) => r.rss_mb],
      ["gen late p99 ms", (r) => r.generator_send_late_p99_ms],
      ["gen CPU %", (r) => fmt(r.generator_cpu_pct)],
      ["others CPU %", (r) => fmt(r.other_cpu_pct)],
      ["real time", (r) => r.holds_real_time ? "yes" : "NO"],
      ["note", (r) => r.note],
    ], rows),
    `\nHeadline: ${atLeast(h.coach_max_calls, h.coach_capped)} concurrent calls hold real time (bare ` +
    `baseline ${atLeast(h.baseline_max_calls, h.baseline_capped)}).`,
  ];
}

/** The servers of the cluster comparison, as its table names them. */
const SERVER_NAMES: Record<string, string> = {
  coach: "one process",
  cluster: "cluster",
  pair: "2 processes, no Redis",
};

function clusterSection(c: ClusterComparison): string[] {
  const pair = (local: RungResult["tip_latency_ms"], remote: RungResult["tip_latency_ms"] | null) =>
    remote ? `${p99(local)} / ${p99(remote)}` : p99(local);
  const redis: [string | number, RedisLoad | null][] = [[c.calls, c.redis], [
    "1,000 (scaled)",
    c.redis_per_1000_calls,
  ]];
  return [
    `\n### 3. One process against a cluster of 2 and Redis, N=${c.calls}, in turns ` +
    "(CPU includes Redis; p99 on a page on the coaching instance / on another)\n",
    table([
      ["server", (r) => SERVER_NAMES[r.server] ?? r.server],
      ["CPU %", (r) => fmt(r.server_cpu_pct)],
      ["Redis CPU %", (r) => fmt(r.redis_cpu_pct)],
      [
        "µs CPU per call-second",
        (r) => fmt(r.server_cpu_pct === null ? null : r.server_cpu_pct * 1e4 / c.calls),
      ],
      ["tip p99 ms", (r) => pair(r.tip_latency_ms, r.remote_tip_latency_ms)],
      ["metrics p99 ms", (r) => pair(r.metrics_latency_ms, r.remote_metrics_latency_ms)],
      ["≤100 ms", share],
    ], c.rows),
    `\nInformation: ${SERVER_NAMES.pair} used ${c.pair_cpu_ratio}× one process's CPU per call-second, ` +
    `the median of the turns (${c.pair_turn_ratios.join(", ")}): what two processes sharing this machine ` +
    `with the load generator cost before any fan-out. The cluster used ${c.cluster_over_pair}× the pair's ` +
    "(the median of the turns): what Redis and the fan-out add to two processes.",
    "\nRedis in the cluster runs (`INFO`, the median turn; memory above an empty Redis's)\n",
    table([
      ["calls", ([calls]) => calls],
      ["commands/s", ([, r]) => r?.commands_per_s ?? "n/a"],
      ["KB/s in", ([, r]) => r?.input_kb_per_s ?? "n/a"],
      ["KB/s out", ([, r]) => r?.output_kb_per_s ?? "n/a"],
      ["used memory MB", ([, r]) => r?.used_memory_mb ?? "n/a"],
    ], redis),
  ];
}

function latencySection(latency: BenchResult["latency"]): string[] {
  const rows = [[latency.at_half, "fixed"], [latency.at_half_model, "model (300 ms)"]]
    .filter((row): row is [RungResult, string] => row[0] !== null);
  return rows.length === 0 ? [] : [
    "\n### 4. Tip latency of one process (stream moment the rule qualified → suggestion on a page socket)\n",
    table([
      ["N (page sockets)", ([r]) => `${r.calls} (${Math.min(r.calls, LATENCY_PAGES)})`],
      ["words", ([, words]) => words],
      ["tips", ([r]) => r.tip_latency_ms.count],
      ["in model's words", ([r]) => r.tips_phrased_by_model],
      ["p50 ms", ([r]) => r.tip_latency_ms.p50],
      ["p99 ms", ([r]) => r.tip_latency_ms.p99],
      ["max ms", ([r]) => r.tip_latency_ms.max],
      ["frames ≤100 ms", ([r]) => share(r)],
    ], rows),
  ];
}

function memorySection(m: MemoryResult): string[] {
  const done = (n: number, errors: readonly string[]) => `${n}/${m.short_calls}${failures(errors)}`;
  const rows: [string, MemoryPoint][] = [
    ["before (after 10 warm-up calls)", m.before],
    [`after a ${m.long_call_s / 60}-min call`, m.after_long_call],
    [`after ${Math.floor(m.short_calls / 2)} sequential ${m.short_call_s}-s calls`, m.after_half_short_calls],
    [`after all ${m.short_calls} of them, before the idle release`, m.after_short_calls_held],
    [`after all ${m.short_calls} of them`, m.after_short_calls],
    [`after ${m.short_calls} more`, m.after_next_calls],
  ];
  return [
    "\n### 5. Memory (one server, endGraceMs 0, idleReleaseMs 1 s; GC forced before each reading, each after " +
    "the server's idle release unless said)\n",
    table([
      ["moment", ([moment]) => moment],
      ["RSS MB", ([, p]) => p.rss_mb],
      ["heap used MB", ([, p]) => p.heap_used_mb],
      ["heap committed MB", ([, p]) => p.heap_committed_mb],
      ["registry", ([, p]) => p.registry_size],
    ], rows),
    `\n${done(m.short_calls_completed, m.short_call_failures)} short calls completed, and ` +
    `${done(m.next_calls_completed, m.next_call_failures)} more; ` +
    `/health local_sessions after them: ${m.health_local_sessions_after}.`,
  ];
}

/** The result as Markdown tables. */
export function renderReport(result: BenchResult): string {
  const { machine, analysis, cluster, memory } = result;
  const ladder = [...result.ladder.coach, ...result.ladder.baseline];
  return [
    `Live Call Coach benchmark — ${result.started_at}` +
    (result.quick ? " (--quick: short ladder, short runs)" : ""),
    `${machine.cores} cores, Deno ${machine.deno}, load average at start ` +
    (machine.load_avg_at_start?.map((n) => n.toFixed(2)).join(" ") ?? "n/a"),
    ...(analysis ? analysisSection(analysis) : []),
    ...(ladder.length ? ladderSection(ladder, result.headline) : []),
    ...(cluster ? clusterSection(cluster) : []),
    ...latencySection(result.latency),
    ...(memory ? memorySection(memory) : []),
    "\n### Targets\n",
    table([
      ["target", (t) => t.name],
      ["goal", (t) => t.goal],
      ["measured", (t) => t.measured],
      ["verdict", (t) => t.pass === null ? "NOT MEASURED" : t.pass ? "PASS" : "FAIL"],
    ], result.targets),
    ...(result.errors.length ? ["\nErrors:\n" + result.errors.map((e) => `- ${e}`).join("\n")] : []),
  ].join("\n");
}

/** At most this many calls of a latency run get a page socket. */
export const LATENCY_PAGES = 50;
