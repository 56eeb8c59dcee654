/**
 * The benchmark's result record, its targets (PASS/FAIL) and the printed tables (Markdown, so they can
 * be pasted into docs/performance.md as measured).
 *
 * @module
 */
import type { AnalysisCost } from "./analysis_cost.ts";
import type { ClusterComparison } from "./cluster_run.ts";
import type { HotSpot } from "./profile.ts";
import type { BaselineMemory, MemoryPoint, MemoryResult } from "./memory_run.ts";
import type { RungResult } from "./runs.ts";
import { round } from "./stats.ts";

/** Everything one `deno task bench` run measured. */
export interface BenchResult {
  started_at: string;
  quick: boolean;
  machine: { cores: number; deno: string; load_avg_at_start: number[] | null };
  analysis: AnalysisCost | null;
  ladder: { coach: RungResult[]; baseline: RungResult[]; cluster: RungResult[] };
  headline: {
    coach_max_calls: number;
    baseline_max_calls: number;
    /** True when the largest rung still held: the real maximum is higher than the ladder went. */
    coach_capped: boolean;
    baseline_capped: boolean;
    ratio: number | null;
  };
  /**
   * Tip latency of one process at N=1 and at half the headline N, and `at_half_model`: the same rung as
   * `at_half`, with the AI phrasing asking a model that answers in 300 ms.
   */
  latency: { at_1: RungResult | null; at_half: RungResult | null; at_half_model: RungResult | null };
  cluster: ClusterComparison | null;
  memory: MemoryResult | null;
  profile: { calls: number; file: string; sampled_ms: number; spots: HotSpot[] } | null;
  targets: Target[];
  errors: string[];
}

/** A result that has measured nothing yet: the sections fill it in as they run. */
export function emptyResult(
  startedAt: string,
  quick: boolean,
  machine: BenchResult["machine"],
): BenchResult {
  return {
    started_at: startedAt,
    quick,
    machine,
    analysis: null,
    ladder: { coach: [], baseline: [], cluster: [] },
    headline: {
      coach_max_calls: 0,
      baseline_max_calls: 0,
      coach_capped: false,
      baseline_capped: false,
      ratio: null,
    },
    latency: { at_1: null, at_half: null, at_half_model: null },
    cluster: null,
    memory: null,
    profile: null,
    targets: [],
    errors: [],
  };
}

/** One target and whether this run met it. */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean | null;
}

/** Largest N of a ladder that held real time (the ladder stops at the first rung that fails). */
export function largestHolding(rows: readonly RungResult[]): { max: number; capped: boolean } {
  let max = 0;
  for (const row of rows) {
    if (!row.holds_real_time) return { max, capped: false };
    max = row.calls;
  }
  return { max, capped: rows.length > 0 };
}

/** The targets, each a ratio of two figures measured side by side in the same run. */
export const GOALS = {
  /** Calls one process holds, as a share of the bare Deno WebSocket server's. */
  callsShare: 0.9,
  /** The per-frame work as the server does it, over `JSON.parse` of the same message. */
  perFrame: 1.0,
  /** A cluster of two processes and Redis, CPU per call-second over one process's. */
  clusterCpu: 1.25,
  /** What the fan-out through Redis may add to a page's tip and metrics p99, ms. */
  fanoutMs: 20,
  /** RSS growth once 1,000 calls are over, MB. */
  memoryMb: 5,
};

/** Judges the targets against a result. */
export function judge(result: BenchResult): Target[] {
  const { headline, analysis, cluster, memory } = result;
  const half = result.latency.at_half;
  const phrased = result.latency.at_half_model;
  const atLeast = (n: number, capped: boolean) => `${capped ? "≥ " : ""}${n}`;
  const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
  const added = (ms: number | null, what: string): Target => ({
    name: `what the fan-out through Redis adds to ${what} p99 (page on another instance vs the coaching one)`,
    goal: `≤ ${GOALS.fanoutMs} ms`,
    measured: ms === null ? "not measured" : `${ms} ms`,
    pass: ms === null ? null : ms <= GOALS.fanoutMs,
  });
  return [
    {
      name: "calls one process holds, share of the bare Deno WebSocket server's (lockstep ladder)",
      goal: `≥ ${percent(GOALS.callsShare)}`,
      measured: headline.ratio === null
        ? result.ladder.baseline.length > 0
          ? `${headline.coach_max_calls} / ${headline.baseline_max_calls}: the bare server held none of the ladder`
          : "not measured"
        : `${percent(headline.ratio)} (${headline.coach_max_calls} / ${
          atLeast(headline.baseline_max_calls, headline.baseline_capped)
        })`,
      // With the baseline still holding at the top of the ladder its real maximum is unknown: no verdict.
      pass: headline.ratio === null || headline.baseline_capped ? null : headline.ratio >= GOALS.callsShare,
    },
    {
      name: "per-frame work as the server does it (read, decode, align, analyse, rules) over JSON.parse",
      goal: `≤ ${GOALS.perFrame.toFixed(1)}×`,
      measured: analysis
        ? `${analysis.server_vs_json_parse}× (${analysis.paired_total_us_per_frame} / ${analysis.paired_json_parse_us_per_frame} µs)`
        : "not measured",
      pass: analysis ? analysis.server_vs_json_parse <= GOALS.perFrame : null,
    },
    {
      name: "CPU per call-second, a cluster of 2 processes and Redis over one process",
      goal: `≤ ${GOALS.clusterCpu}×`,
      measured: cluster
        ? `${cluster.cpu_ratio}× (${cluster.cluster_us_per_call_s} / ${cluster.single_us_per_call_s} µs, N=${cluster.calls})`
        : "not measured",
      pass: cluster ? cluster.cpu_ratio <= GOALS.clusterCpu : null,
    },
    added(cluster?.fanout_tip_p99_added_ms ?? null, "tip"),
    added(cluster?.fanout_metrics_p99_added_ms ?? null, "metrics"),
    {
      name: "AI-phrased tip latency p99 at half the headline N, model answering in 300 ms",
      goal: "≤ 1500 ms",
      measured: phrased && phrased.tip_latency_ms.count > 0
        ? `${phrased.tip_latency_ms.p99} ms (N=${phrased.calls}, ${phrased.tip_latency_ms.count} tips, ` +
          `${phrased.tips_phrased_by_model} in the model's words; without a model ${
            half?.tip_latency_ms.p99 ?? "n/a"
          } ms in this run)`
        : "no tips measured",
      pass: phrased && phrased.tip_latency_ms.count > 0 ? phrased.tip_latency_ms.p99 <= 1500 : null,
    },
    {
      name: `RSS growth after ${memory?.short_calls ?? "?"} calls, registry empty`,
      goal: `≤ ${GOALS.memoryMb} MB, 0 sessions`,
      measured: memory
        ? `${memory.rss_growth_mb} MB (${
          signed(memory.rss_growth_held_mb)
        } MB held before the idle release; ` +
          `2nd half ${memory.rss_growth_second_half_mb} MB; ` +
          `${memory.short_calls} more ${signed(memory.rss_growth_next_calls_mb)} MB; ` +
          `bare baseline ${signed(memory.baseline.rss_growth_mb)} MB), ` +
          `registry ${memory.registry_size_after}, live ${memory.health_local_sessions_after}`
        : "not measured",
      pass: memory
        ? memory.rss_growth_mb <= GOALS.memoryMb && memory.registry_size_after === 0 &&
          memory.health_local_sessions_after === 0 &&
          memory.short_calls_completed === memory.short_calls
        : null,
    },
  ];
}

function table(header: string[], rows: (string | number)[][]): string {
  const lines = [header, header.map(() => "---"), ...rows.map((row) => row.map(String))];
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

const fmt = (value: number | null, digits = 1) => value === null ? "n/a" : value.toFixed(digits);

/** A growth with its sign: `+1.2`, `-0.3`; `n/a` when not measured. */
function signed(value: number | null): string {
  return value === null ? "n/a" : `${value >= 0 ? "+" : ""}${value}`;
}

/** The result as Markdown tables. */
export function renderReport(result: BenchResult): string {
  const parts: string[] = [];
  parts.push(
    `Live Call Coach benchmark — ${result.started_at}${
      result.quick ? " (--quick: short ladder, short runs)" : ""
    }`,
    `${result.machine.cores} cores, Deno ${result.machine.deno}, load average at start ${
      result.machine.load_avg_at_start?.map((n) => n.toFixed(2)).join(" ") ?? "n/a"
    }`,
  );
  const a = result.analysis;
  if (a) {
    parts.push(
      "\n### 1. Analysis cost (in-process, CPU time, median of passes)\n",
      table(["work", "per frame (µs)", "per second of two-party call (µs)"], [
        [
          `**per frame as the server does it ÷ JSON.parse, paired passes: ${a.server_vs_json_parse}×** ` +
          `(${a.paired_total_us_per_frame} / ${a.paired_json_parse_us_per_frame} µs)`,
          a.paired_total_us_per_frame,
          round(a.paired_total_us_per_frame * 100, 1),
        ],
        ["decode base64 + align + analyse + rules", a.pipeline_us_per_frame, a.pipeline_us_per_call_s],
        ["  of which the base64 decode", a.decode_us_per_frame, round(a.decode_us_per_frame * 100, 1)],
        ...(a.interleaved_calls > 0
          ? [[
            `  the same, ${a.interleaved_calls} calls interleaved (cold per-call state)`,
            round(a.interleaved_us_per_call_s / 100, 3),
            a.interleaved_us_per_call_s,
          ]]
          : []),
        [
          "MediaReader.read (Twilio's layout in place, decode included)",
          a.read_us_per_frame,
          round(a.read_us_per_frame * 100, 1),
        ],
        [
          "parseTwilioMessage (general path: JSON.parse + checks)",
          a.parse_us_per_frame,
          round(a.parse_us_per_frame * 100, 1),
        ],
        ["  of which JSON.parse alone", a.json_parse_us_per_frame, round(a.json_parse_us_per_frame * 100, 1)],
        [
          "total per frame, as the server does it (read in place + align + analyse + rules)",
          a.total_us_per_frame,
          round(a.total_us_per_frame * 100, 1),
        ],
      ]),
      `\n${a.audio_s} s of scripted conversation × ${a.passes} passes (${a.clock} clock); one core sustains ` +
        `${a.frames_per_core_s.toLocaleString("en")} frames/s of this work = ${a.calls_per_core} calls. ` +
        `Fastest pass: ${a.pipeline_us_per_call_s_best} µs per call second` +
        (a.interleaved_calls > 0
          ? `; interleaved: fastest ${a.interleaved_us_per_call_s_best} µs (round-robin, one slot per call in ` +
            `turn, as a server sees them; the gap to one call is cache misses on per-call state).`
          : "."),
    );
  }
  const rows = [...result.ladder.coach, ...result.ladder.baseline, ...result.ladder.cluster];
  if (rows.length) {
    parts.push(
      `\n### 2–3. Concurrency ladder (real sockets, generator in its own process, ` +
        `${describeTransports(rows)})\n`,
      table(
        [
          "server",
          "N",
          "frames/s (expected)",
          "≤100 ms",
          "late p50/p99 ms",
          "loop lag p99 ms",
          "server CPU % (socket thread)",
          "RSS MB",
          "gen late p99 ms",
          "gen CPU %",
          "others CPU %",
          "real time",
          "note",
        ],
        rows.map((r) => [
          r.server,
          r.calls,
          `${r.frames_per_s} (${r.expected_frames_per_s})`,
          `${(r.within_100ms * 100).toFixed(2)} %`,
          `${r.frame_late_ms.p50}/${r.frame_late_ms.p99}`,
          r.loop_lag_p99_ms,
          r.server_main_thread_cpu_pct === null || r.server === "baseline"
            ? fmt(r.server_cpu_pct)
            : r.server === "cluster"
            ? `${fmt(r.server_cpu_pct)} (${fmt(r.server_main_thread_cpu_pct)}; Redis ${fmt(r.redis_cpu_pct)})`
            : `${fmt(r.server_cpu_pct)} (${fmt(r.server_main_thread_cpu_pct)})`,
          r.rss_mb,
          r.generator_send_late_p99_ms,
          fmt(r.generator_cpu_pct),
          fmt(r.other_cpu_pct),
          r.holds_real_time ? "yes" : "NO",
          r.note || "",
        ]),
      ),
    );
    const h = result.headline;
    parts.push(
      `\nHeadline: ${h.coach_capped ? "≥ " : ""}${h.coach_max_calls} concurrent calls hold real time ` +
        `(bare baseline ${h.baseline_capped ? "≥ " : ""}${h.baseline_max_calls}` +
        `${h.ratio === null ? "" : `; ratio ${(h.ratio * 100).toFixed(0)} %`}).`,
    );
  }
  const c = result.cluster;
  if (c) {
    const p99 = (q: { p99: number; count: number } | null) => q && q.count > 0 ? String(q.p99) : "—";
    parts.push(
      `\n### 4. One process against a cluster of ${
        c.rows.find((r) => r.server === "cluster")?.instances ?? 2
      } and Redis, N=${c.calls}, in turns (CPU includes Redis; pages on the coaching instance / on another)\n`,
      table(
        [
          "server",
          "CPU %",
          "Redis CPU %",
          "µs CPU per call-second",
          "tip p99 ms",
          "metrics p99 ms",
          "≤100 ms",
        ],
        c.rows.map((r) => [
          r.server === "coach" ? "one process" : "cluster",
          fmt(r.server_cpu_pct),
          fmt(r.redis_cpu_pct),
          r.server_cpu_pct === null ? "n/a" : round((r.server_cpu_pct * 1e4) / c.calls, 1),
          r.remote_tip_latency_ms
            ? `${p99(r.tip_latency_ms)} / ${p99(r.remote_tip_latency_ms)}`
            : p99(r.tip_latency_ms),
          r.remote_metrics_latency_ms
            ? `${p99(r.metrics_latency_ms)} / ${p99(r.remote_metrics_latency_ms)}`
            : p99(r.metrics_latency_ms),
          `${(r.within_100ms * 100).toFixed(2)} %`,
        ]),
      ),
      `\nCPU per call-second: cluster ${c.cluster_us_per_call_s} µs, one process ${c.single_us_per_call_s} µs ` +
        `(${c.cpu_ratio}×). The fan-out adds ${c.fanout_tip_p99_added_ms ?? "n/a"} ms to tip p99 and ` +
        `${c.fanout_metrics_p99_added_ms ?? "n/a"} ms to metrics p99.` +
        (c.redis && c.redis_per_1000_calls
          ? ` Redis at N=${c.calls}: ${c.redis.commands_per_s} commands/s, ${c.redis.input_kb_per_s} KB/s in, ` +
            `${c.redis.output_kb_per_s} KB/s out, ${c.redis.used_memory_mb} MB; scaled to 1,000 calls: ` +
            `${c.redis_per_1000_calls.input_kb_per_s} KB/s in, ${c.redis_per_1000_calls.output_kb_per_s} KB/s out, ` +
            `${c.redis_per_1000_calls.used_memory_mb} MB.`
          : ""),
    );
  }
  const { at_1, at_half, at_half_model } = result.latency;
  const latencyRows = [[at_1, "fixed"], [at_half, "fixed"], [at_half_model, "model (300 ms)"]]
    .filter((row): row is [RungResult, string] => row[0] !== null);
  if (latencyRows.length) {
    parts.push(
      "\n### Tip latency of one process (stream moment the rule qualified → suggestion on a page socket)\n",
      table(
        [
          "N",
          "words",
          "page sockets",
          "tips",
          "in model's words",
          "p50 ms",
          "p99 ms",
          "max ms",
          "frames ≤100 ms",
        ],
        latencyRows.map(([r, words]) => [
          r.calls,
          words,
          Math.min(r.calls, LATENCY_PAGES),
          r.tip_latency_ms.count,
          r.tips_phrased_by_model,
          r.tip_latency_ms.p50,
          r.tip_latency_ms.p99,
          r.tip_latency_ms.max,
          `${(r.within_100ms * 100).toFixed(2)} %`,
        ]),
      ),
    );
    const counts = at_half_model?.phrasing;
    if (counts) {
      parts.push(
        `\nThe AI phrasing over the model run (the server's /health, warm-up included): ${counts.requests} ` +
          `requests, ${counts.phrased} tips in the model's words, ${counts.fallbacks} in the fixed words ` +
          `(${
            JSON.stringify(counts.fallback_reasons)
          }), ${counts.timeouts} timeouts, breaker ${counts.breaker}.`,
      );
    }
  }
  const m = result.memory;
  if (m) {
    const next = signed(m.rss_growth_next_calls_mb);
    parts.push(
      "\n### 5. Memory (one server, then the bare baseline; GC forced before each reading, endGraceMs 0; " +
        "readings after calls once the server has released memory, idleReleaseMs 1 s)\n",
      table(
        [
          "moment",
          "RSS MB",
          "RSS anon MB",
          "RSS file MB",
          "heap used MB",
          "heap committed MB",
          "young gen committed MB",
          "registry size",
        ],
        [
          ["before (after 10 warm-up calls)", m.before],
          [`during a ${m.long_call_s / 60}-min call (half way)`, m.during_long_call],
          ["after that call", m.after_long_call],
          [
            `after ${Math.floor(m.short_calls / 2)} sequential ${m.short_call_s}-s calls`,
            m.after_half_short_calls,
          ],
          [`after all ${m.short_calls} of them, before the idle release`, m.after_short_calls_held],
          [`after all ${m.short_calls} of them`, m.after_short_calls],
          [`after ${m.short_calls} more`, m.after_next_calls],
        ].map(([label, p]) => {
          const at = p as MemoryPoint;
          return [
            label as string,
            at.rss_mb,
            at.rss_anon_mb ?? "n/a",
            at.rss_file_mb ?? "n/a",
            at.heap_used_mb,
            at.heap_committed_mb,
            at.young_committed_mb,
            at.registry_size,
          ];
        }),
      ),
      `\nGrowth once the calls are over: RSS ${m.rss_growth_mb} MB (second half of the short calls alone: ` +
        `${m.rss_growth_second_half_mb} MB; right after the calls, before the server's idle release, ` +
        `${signed(m.rss_growth_held_mb)} MB), ` +
        `heap used ${m.heap_growth_mb} MB, V8 young generation committed ${m.young_growth_mb} MB; /health local_sessions ` +
        `${m.health_local_sessions_after}; ${m.short_calls_completed}/${m.short_calls} short calls completed in ` +
        `${(m.short_calls_ms / 1000).toFixed(1)} s${failures(m.short_call_failures)}.`,
      `\nSteady state: ${m.short_calls} more calls on the same server, RSS ${next} MB; ` +
        `${m.next_calls_completed}/${m.short_calls} completed${failures(m.next_call_failures)}.`,
      `\n${describeBaseline(m.baseline)}`,
    );
  }
  const p = result.profile;
  if (p) {
    parts.push(
      `\n### Profile of the server process at N=${p.calls} (${p.sampled_ms} ms sampled)\n`,
      table(
        ["self %", "total %", "function", "where"],
        p.spots.map((s) => [s.self_pct, s.total_pct, s.function, s.location]),
      ),
    );
  }
  parts.push(
    "\n### Targets\n",
    table(
      ["target", "goal", "measured", "verdict"],
      result.targets.map((
        t,
      ) => [t.name, t.goal, t.measured, t.pass === null ? "NOT MEASURED" : t.pass ? "PASS" : "FAIL"]),
    ),
  );
  if (result.errors.length) parts.push("\nErrors:\n" + result.errors.map((e) => `- ${e}`).join("\n"));
  return parts.join("\n");
}

/** The baseline's memory run as one sentence, beside the product's table. */
function describeBaseline(b: BaselineMemory): string {
  const split = `anon ${signed(b.rss_anon_growth_mb)}, file ${signed(b.rss_file_growth_mb)}`;
  return `Bare Deno WebSocket server (JSON.parse only), same ${b.calls} calls after the same warm-up ` +
    `(no page sockets, no long call; memory released by the same collection before each reading): RSS ${
      signed(b.rss_growth_mb)
    } MB (${split}), ` +
    `${b.before.rss_mb} → ${b.after.rss_mb} MB; ${b.calls_completed}/${b.calls} completed` +
    `${failures(b.call_failures)}.`;
}

function failures(messages: readonly string[]): string {
  return messages.length ? `; failures: ${messages.join("; ")}` : "";
}

/** Which media client the generator used in these rows, for the ladder's heading. */
function describeTransports(rows: readonly RungResult[]): string {
  const transports = [...new Set(rows.map((r) => r.generator_transport))];
  const names: Record<string, string> = {
    raw: "raw-TCP client, one write per call per tick",
    websocket: "Deno WebSocket client, one write per message",
  };
  return transports.map((t) => names[t] ?? t).join(" / ");
}

/** At most this many calls of a latency run get a page socket. */
export const LATENCY_PAGES = 50;
