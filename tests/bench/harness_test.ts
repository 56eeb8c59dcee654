import assert from "node:assert/strict";
import { measureAnalysisCost } from "../../bench/analysis_cost.ts";
import { loadConversation } from "../../bench/audio.ts";
import { runningChildren } from "../../bench/child.ts";
import { cpuPerCallSecond, LATENCY_SETTINGS, turnOrder } from "../../bench/cluster_run.ts";
import { parseBenchArgs } from "../../bench/mod.ts";
import { type BenchResult, emptyResult, judge, largestHolding, renderReport } from "../../bench/report.ts";
import { runMemory } from "../../bench/memory_run.ts";
import { MODEL_DELAY_MS, type RungResult, runRung } from "../../bench/runs.ts";
import type { ServerKind } from "../../bench/servers.ts";
import { Histogram, summarize } from "../../bench/stats.ts";

function assertFiniteNonNegative(record: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    const value = record[key];
    assert.ok(typeof value === "number" && Number.isFinite(value) && value >= 0, `${key} = ${value}`);
  }
}

Deno.test("Bench stats - histogram quantiles and counts follow the samples", () => {
  const histogram = new Histogram(1, 200);
  for (let v = 1; v <= 100; v++) histogram.add(v - 0.5);
  histogram.add(1000); // overflow bucket
  assert.equal(histogram.quantile(0.5), 51);
  assert.equal(histogram.quantile(1), 1000);
  assert.deepEqual(histogram.summary(), { count: 101, p50: 51, p99: 100, max: 1000 });
  histogram.reset();
  assert.equal(histogram.summary().count, 0);
  assert.throws(() => new Histogram(0, 10), RangeError);
  assert.deepEqual(summarize([3, 1, 2]), { count: 3, p50: 2, p99: 3, max: 3 });
});

Deno.test("Bench args - flags parse and unknown flags are refused", () => {
  const quick = parseBenchArgs(["--quick", "--json", "out.json"]);
  assert.equal(quick.quick, true);
  assert.equal(quick.json, "out.json");
  assert.ok(quick.ladder.length >= 1);
  assert.deepEqual(parseBenchArgs(["--ladder", "5,10"]).ladder, [5, 10]);
  assert.deepEqual([...parseBenchArgs(["--only", "analysis,memory"]).only], ["analysis", "memory"]);
  assert.equal(parseBenchArgs([]).only.size, 5);
  assert.equal(parseBenchArgs(["--help"]).help, true);
  assert.throws(() => parseBenchArgs(["--fast"]), /Unknown option '--fast'/);
  assert.throws(() => parseBenchArgs(["--json"]), /argument missing/);
  assert.throws(() => parseBenchArgs(["--ladder", "0"]), /not a positive integer/);
  assert.throws(() => parseBenchArgs(["--ladder", "1.5"]), /not a positive integer/);
  assert.throws(() => parseBenchArgs(["--only", "everything"]), /unknown section/);
});

Deno.test("Bench analysis - a short conversation yields well-formed costs", async () => {
  const full = await loadConversation();
  const slots = 300;
  const short = {
    agent: full.agent.slice(0, slots),
    agentLoud: full.agentLoud.slice(0, slots),
    customer: full.customer.slice(0, slots),
    slots,
  };
  // A 9 s call on a 6 s conversation: the pass loops the conversation, as the 10-minute default does.
  const cost = measureAnalysisCost(short, { passes: 1, warmup: 0, callSeconds: 9 });
  assert.equal(cost.audio_s, 9);
  assertFiniteNonNegative(cost as unknown as Record<string, unknown>, [
    "json_parse_us_per_frame",
    "total_us_per_frame",
    "server_vs_json_parse",
  ]);
  assert.ok(cost.frames_per_core_s > 0);
  // Both are rounded from the same quotient: they may differ by the rounding of frames_per_core_s.
  assert.ok(Math.abs(cost.calls_per_core - cost.frames_per_core_s / 100) <= 0.51, JSON.stringify(cost));
  // One pass, so the pair is that pass: its ratio is its two figures'.
  const ratio = cost.paired_total_us_per_frame / cost.paired_json_parse_us_per_frame;
  assert.ok(Math.abs(cost.server_vs_json_parse - ratio) <= 0.01 * ratio + 0.002, JSON.stringify(cost));
});

Deno.test("Bench audio - the loud agent track is louder and frames are 20 ms", async () => {
  const conversation = await loadConversation();
  assert.ok(conversation.slots > 1000);
  assert.ok(conversation.agent.every((frame) => frame.length === 160));
  const energy = (frames: Uint8Array[]) =>
    frames.reduce((n, f) => n + f.filter((b) => (b & 0x7f) < 0x40).length, 0);
  // Louder speech has more μ-law codes in the high-magnitude half (small code values).
  assert.ok(energy(conversation.agentLoud) > energy(conversation.agent));
});

Deno.test("Bench runs - one tiny rung against the real server gives a well-formed row", async () => {
  const row = await runRung("coach", 2, { warmupMs: 300, windowMs: 1000 }, {
    latencyCalls: 1,
    coachSettings: LATENCY_SETTINGS,
  });
  assert.equal(row.server, "coach");
  assert.equal(row.calls, 2);
  assert.equal(row.connected, 2);
  assert.equal(row.expected_frames_per_s, 200);
  assert.ok(row.frames_per_s > 0);
  assert.ok(row.within_100ms >= 0 && row.within_100ms <= 1);
  assertFiniteNonNegative(row.frame_late_ms as unknown as Record<string, unknown>, ["p50", "p99", "max"]);
  assert.ok(row.rss_mb > 0);
  assert.equal(typeof row.holds_real_time, "boolean");
  assert.equal(row.redis, null, "one process has no Redis");
  assert.ok(row.metrics_latency_ms.count > 0, "the latency call's page got metrics");
  assert.equal(row.remote_tip_latency_ms, null, "one process has no other instance");
  assert.ok(row.server_cpu_pct !== null && row.server_cpu_pct > 0);
  assert.equal(runningChildren(), 0, "every child process is gone");
});

Deno.test("Bench runs - a tiny rung with the AI phrasing: tips wait for the fake model, in its words", async () => {
  const row = await runRung("coach", 2, { warmupMs: 300, windowMs: 2000 }, {
    latencyCalls: 1,
    coachSettings: LATENCY_SETTINGS,
    model: true,
  });
  assert.ok(row.tip_latency_ms.count > 0, "tips were measured");
  assert.ok(row.tips_phrased_by_model > 0, `${row.tips_phrased_by_model} tips in the model's words`);
  assert.ok(
    row.tip_latency_ms.p50 >= MODEL_DELAY_MS,
    `they waited for the model: ${row.tip_latency_ms.p50} ms`,
  );
  assert.equal(runningChildren(), 0);
});

Deno.test("Bench runs - the baseline server answers the same generator", async () => {
  const row = await runRung("baseline", 2, { warmupMs: 300, windowMs: 1000 });
  assert.equal(row.server, "baseline");
  assert.equal(row.connected, 2);
  assert.ok(row.frames_per_s > 0);
  assert.equal(row.tip_latency_ms.count, 0);
  assert.equal(runningChildren(), 0);
});

Deno.test("Bench runs - a tiny rung of a cluster: two instances and Redis, pages on both, Redis's load", async () => {
  const row = await runRung("cluster", 2, { warmupMs: 500, windowMs: 1500 }, {
    latencyCalls: 2,
    coachSettings: LATENCY_SETTINGS,
  });
  assert.equal(row.instances, 2);
  assert.equal(row.connected, 2);
  assert.ok(row.remote_metrics_latency_ms !== null && row.remote_metrics_latency_ms.count > 0, "fanned out");
  assert.ok(
    row.redis !== null && row.redis.commands_per_s > 0 && row.redis.used_memory_mb >= 0,
    JSON.stringify(row.redis),
  );
  assert.ok(
    row.redis_cpu_pct !== null && row.server_cpu_pct !== null && row.redis_cpu_pct <= row.server_cpu_pct,
  );
  assert.equal(runningChildren(), 0);
});

Deno.test("Bench runs - a tiny rung of a pair: two processes without Redis, frames from both, local pages only", async () => {
  const row = await runRung("pair", 4, { warmupMs: 500, windowMs: 1500 }, {
    latencyCalls: 2,
    coachSettings: LATENCY_SETTINGS,
  });
  assert.equal(row.instances, 2);
  assert.equal(row.connected, 4);
  // Both processes' frames are counted: four calls' worth, not two.
  assert.ok(row.frames_per_s > 4 * 100 * 0.9, `${row.frames_per_s} frames/s`);
  assert.ok(row.metrics_latency_ms.count > 0, "local pages get metrics");
  assert.equal(row.remote_metrics_latency_ms, null, "nothing serves a call's page on the other process");
  assert.equal(row.redis, null);
  assert.equal(row.redis_cpu_pct, null);
  assert.ok(row.server_cpu_pct !== null && row.server_cpu_pct > 0);
  assert.equal(runningChildren(), 0);
});

Deno.test("Bench runs - memory run over a few calls reports every reading", async () => {
  const memory = await runMemory(4, 4, 1);
  assert.equal(memory.short_calls, 4);
  assert.equal(memory.short_calls_completed, 4, memory.short_call_failures.join("; "));
  assert.equal(memory.next_calls_completed, 4, memory.next_call_failures.join("; "));
  const points = [
    memory.before,
    memory.after_long_call,
    memory.after_half_short_calls,
    memory.after_short_calls_held,
    memory.after_short_calls,
    memory.after_next_calls,
  ];
  for (const point of points) {
    assert.ok(point.rss_mb > 0 && point.heap_used_mb > 0 && point.heap_committed_mb >= point.heap_used_mb);
  }
  // Every reading after calls waits for the server's own idle release; the "held" one comes just before it.
  assert.deepEqual(
    [memory.before, memory.after_long_call, memory.after_half_short_calls].map((p) => p.memory_releases),
    [1, 2, 3],
  );
  assert.equal(memory.after_short_calls_held.memory_releases, 3);
  assert.equal(memory.after_short_calls.memory_releases, 4);
  assert.equal(memory.after_next_calls.memory_releases, 5);
  assert.equal(
    memory.rss_growth_mb,
    Math.round((memory.after_short_calls.rss_mb - memory.before.rss_mb) * 10) / 10,
  );
  assert.equal(memory.registry_size_after, 0);
  assert.equal(memory.after_next_calls.registry_size, 0);
  assert.equal(memory.health_local_sessions_after, 0);
  assert.ok(Number.isFinite(memory.rss_growth_next_calls_mb));
  assert.equal(runningChildren(), 0);
  const result = benchResult({ memory });
  const text = renderReport({ ...result, targets: judge(result) });
  assert.match(text, /\| moment \| RSS MB \| heap used MB \|/);
  assert.match(text, /\| after 4 more \|/);
  assert.match(text, /4\/4 short calls completed, and 4\/4 more/);
  assert.match(text, /\| after all 4 of them, before the idle release \|/);
  assert.match(
    text,
    /\([+-][\d.]+ MB held before the idle release; 2nd half -?[\d.]+ MB; 4 more [+-][\d.]+ MB\)/,
  );
  assert.deepEqual(JSON.parse(JSON.stringify(memory)), memory, "the JSON report carries every field");
});

function row(calls: number, holds: boolean): RungResult {
  const q = { count: 1, p50: 1, p99: 2, max: 3 };
  return {
    server: "coach",
    calls,
    connected: calls,
    window_s: 1,
    frames_per_s: calls * 100,
    expected_frames_per_s: calls * 100,
    within_100ms: holds ? 1 : 0.5,
    frame_late_ms: q,
    server_cpu_pct: 10,
    rss_mb: 100,
    generator_send_late_p99_ms: 1,
    generator_cpu_pct: 5,
    other_cpu_pct: 35,
    tip_latency_ms: q,
    tips_phrased_by_model: 0,
    metrics_latency_ms: q,
    remote_tip_latency_ms: null,
    remote_metrics_latency_ms: null,
    instances: 1,
    redis_cpu_pct: null,
    redis: null,
    holds_real_time: holds,
    note: "",
  };
}

/** A result of a quick run that measured nothing, with `fields` set. */
function benchResult(fields: Partial<BenchResult>): BenchResult {
  const machine = { cores: 2, deno: "2", load_avg_at_start: null };
  return { ...emptyResult("2026-01-01T00:00:00.000Z", true, machine), ...fields };
}

Deno.test("Bench cluster - each turn's ratios pair that turn's runs, whichever ran first", () => {
  const row = (server: ServerKind, cpu: number) => ({ server, server_cpu_pct: cpu }) as RungResult;
  // Each turn in its own order; the machine slows down in turn 2.
  const rows = [
    ...[row("coach", 40), row("cluster", 50), row("pair", 44)],
    ...[row("cluster", 75), row("pair", 60), row("coach", 60)],
  ];
  const { singleTurns, clusterTurns, pairTurns, turnRatios, pairTurnRatios, clusterOverPair } =
    cpuPerCallSecond(
      rows,
      100,
    );
  assert.deepEqual(singleTurns, [4000, 6000]);
  assert.deepEqual(clusterTurns, [5000, 7500]);
  assert.deepEqual(pairTurns, [4400, 6000]);
  assert.deepEqual(turnRatios, [1.25, 1.25]);
  assert.deepEqual(pairTurnRatios, [1.1, 1]);
  assert.deepEqual(clusterOverPair, [1.136, 1.25]);
});

Deno.test("Bench cluster - each kind runs first in one turn of three", () => {
  const orders = [0, 1, 2, 3].map(turnOrder);
  assert.deepEqual(orders[0], ["coach", "cluster", "pair"]);
  assert.deepEqual(
    new Set(orders.slice(0, 3).map((order) => order[0])),
    new Set(["coach", "cluster", "pair"]),
  );
  for (const order of orders) assert.deepEqual([...order].sort(), ["cluster", "coach", "pair"]);
  assert.deepEqual(orders[3], orders[0]);
});

Deno.test("Bench report - headline, targets and tables", () => {
  assert.deepEqual(largestHolding([row(50, true), row(100, true), row(200, false)]), {
    max: 100,
    capped: false,
  });
  assert.deepEqual(largestHolding([row(50, true)]), { max: 50, capped: true });
  assert.deepEqual(largestHolding([]), { max: 0, capped: false });
  const result = benchResult({
    ladder: { coach: [row(50, true), row(100, false)], baseline: [row(50, true), row(100, true)] },
    headline: {
      coach_max_calls: 50,
      baseline_max_calls: 100,
      coach_capped: false,
      baseline_capped: false,
      ratio: 0.5,
    },
    latency: {
      at_half: row(25, true),
      at_half_model: {
        ...row(25, true),
        tip_latency_ms: { count: 9, p50: 320, p99: 1600, max: 1700 },
      },
    },
  });
  const targets = judge(result);
  assert.deepEqual(targets.map((t) => t.pass), [false, null, null, null, null, false, null]);
  assert.match(targets[0].measured, /^50 % \(50 \/ 100\)$/);
  assert.equal(targets[5].name.split(" ")[0], "AI-phrased");
  assert.equal(targets[5].pass, false, "1600 ms is over the 1.5 s budget");
  const capped = judge({ ...result, headline: { ...result.headline, baseline_capped: true } });
  assert.equal(capped[0].pass, null, "no ratio verdict on a capped baseline");
  const even = judge({ ...result, headline: { ...result.headline, coach_max_calls: 90, ratio: 0.9 } });
  assert.equal(even[0].pass, true, "90 % of the bare server passes");
  const cluster = {
    calls: 100,
    rows: [],
    single_us_per_call_s: 80,
    cluster_us_per_call_s: 96,
    turn_ratios: [1.3, 1.2, 1.1],
    cpu_ratio: 1.2,
    pair_us_per_call_s: 84,
    pair_turn_ratios: [1.1, 1, 1.05],
    pair_cpu_ratio: 1.05,
    cluster_over_pair: 1.14,
    fanout_tip_p99_added_ms: 12,
    fanout_metrics_p99_added_ms: 25,
    redis: null,
    redis_per_1000_calls: null,
  };
  const withCluster = judge({ ...result, cluster });
  assert.deepEqual(withCluster.slice(2, 5).map((t) => t.pass), [true, true, false]);
  assert.equal(judge({ ...result, cluster: { ...cluster, cpu_ratio: 1.3 } })[2].pass, false);
  const load = { commands_per_s: 264, input_kb_per_s: 226, output_kb_per_s: 406, used_memory_mb: 0.89 };
  const redis = { ...cluster, redis: load, redis_per_1000_calls: { ...load, used_memory_mb: 8.9 } };
  const clusterText = renderReport({ ...result, cluster: redis, targets: withCluster });
  assert.match(
    clusterText,
    /\| 100 \| 264 \| 226 \| 406 \| 0\.89 \|\n\| 1,000 \(scaled\) \| 264 \| 226 \| 406 \| 8\.9 \|/,
  );
  assert.match(clusterText, /1\.2×, the median of 3 turns \(1\.3, 1\.2, 1\.1; medians 96 \/ 80 µs, N=100\)/);
  assert.match(
    clusterText,
    /2 processes, no Redis used 1\.05× one process's CPU per call-second, the median of the turns \(1\.1, 1, 1\.05\)/,
  );
  assert.match(clusterText, /The cluster used 1\.14× the pair's/);
  const text = renderReport({ ...result, targets });
  assert.match(text, /\| coach \| 100 \|/);
  assert.match(text, /FAIL/);
  assert.match(text, /NOT MEASURED/);
  assert.match(text, /Headline: 50 concurrent calls/);
  assert.match(text, /\| 25 \(25\) \| model \(300 ms\) \| 9 \| 0 \| 320 \| 1600 \|/);
});
