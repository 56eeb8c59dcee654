/**
 * One process against a cluster of two processes and Redis at the same number of calls, in turns (which runs
 * first rotating from turn to turn): the cluster's CPU per call-second (Redis included) over one process's, as
 * the median of the turns' ratios (each turn runs them within a couple of minutes, so a drift of the shared
 * machine's speed over the run cancels out of each ratio), what the fan-out through Redis adds to the tip and
 * metrics p99 of a page on the other instance over one on the instance coaching the call, and what Redis
 * carries. Each turn also runs a pair, two processes without Redis placed as the cluster's: its ratio, as
 * information, is what two processes sharing this machine with the load generator cost before any fan-out.
 *
 * @module
 */
import { type RedisLoad, type RungResult, type RungTiming, runRung } from "./runs.ts";
import type { ServerKind } from "./servers.ts";
import { median, type QuantileSummary, round } from "./stats.ts";

/** Coaching settings of the latency calls: `SPEAKING_TOO_LOUD` after 0.5 s of loud speech, no cooldown or throttle. */
export const LATENCY_SETTINGS = { coaching: { loudHoldMs: 500, loudCooldownMs: 0, minGapMs: 0 } };
/** Calls of a run that have pages and the loud agent track. */
export const LATENCY_CALLS = 20;

/** What the comparison found. */
export type ClusterComparison = Awaited<ReturnType<typeof compareCluster>>;

/** The kinds a turn runs, in the order of `turn` (the first is each kind in turn). */
export function turnOrder(turn: number): ServerKind[] {
  const kinds: ServerKind[] = ["coach", "cluster", "pair"];
  const first = turn % kinds.length;
  return [...kinds.slice(first), ...kinds.slice(0, first)];
}

/**
 * Each turn's CPU per call-second (µs) of one process, the cluster and the pair, and the cluster's and the
 * pair's over one process's, from `rows` in turn order (each turn one row of each kind; the pair's may be
 * missing).
 */
export function cpuPerCallSecond(rows: readonly RungResult[], calls: number) {
  const usOf = (kind: ServerKind) =>
    rows.filter((row) => row.server === kind).map((row) => (row.server_cpu_pct ?? NaN) * 1e4 / calls);
  const [singleTurns, clusterTurns, pairTurns] = [usOf("coach"), usOf("cluster"), usOf("pair")];
  const over = (turns: number[]) => turns.map((us, turn) => round(us / singleTurns[turn], 3));
  return {
    singleTurns,
    clusterTurns,
    pairTurns,
    turnRatios: over(clusterTurns),
    pairTurnRatios: over(pairTurns),
    /** The cluster over the pair, turn by turn: what Redis and the fan-out add to two processes. */
    clusterOverPair: clusterTurns.map((us, turn) => round(us / pairTurns[turn], 3)),
  };
}

/** Runs `turns` turns of one process, the cluster and the pair at `calls` calls. */
export async function compareCluster(
  calls: number,
  turns: number,
  timing: RungTiming,
  log: (line: string) => void,
) {
  const rows: RungResult[] = [];
  for (let turn = 0; turn < turns; turn++) {
    for (const kind of turnOrder(turn)) {
      log(`cluster comparison, turn ${turn + 1}: ${kind} at N=${calls}…`);
      const row = await runRung(kind, calls, timing, {
        latencyCalls: Math.min(calls, LATENCY_CALLS),
        coachSettings: LATENCY_SETTINGS,
      });
      const remote = row.remote_tip_latency_ms ? `/${row.remote_tip_latency_ms.p99}` : "";
      log(
        `${kind} N=${calls}: CPU ${row.server_cpu_pct} % (Redis ${row.redis_cpu_pct ?? 0} %), tips p99 ` +
          `${row.tip_latency_ms.p99}${remote} ms, ${(row.within_100ms * 100).toFixed(2)} % of frames ≤100 ms`,
      );
      rows.push(row);
    }
  }
  const cluster = rows.filter((row) => row.server === "cluster");
  const { singleTurns, clusterTurns, pairTurns, turnRatios, pairTurnRatios, clusterOverPair } =
    cpuPerCallSecond(
      rows,
      calls,
    );
  /** The median over the cluster turns of remote p99 − local p99, where both were measured. */
  const added = (
    pick: (row: RungResult) => [QuantileSummary, QuantileSummary | null],
    bothCounted: boolean,
  ) => {
    const differences = cluster.flatMap((row) => {
      const [local, remote] = pick(row);
      const counted = local.count > 0 && (!bothCounted || remote !== null && remote.count > 0);
      return remote && counted ? [remote.p99 - local.p99] : [];
    });
    return differences.length ? round(median(differences), 1) : null;
  };
  const redisRows = cluster.flatMap((row) => row.redis ? [row.redis] : []);
  const redis = redisRows.sort((a, b) => a.commands_per_s - b.commands_per_s)
    .at(redisRows.length >> 1) as RedisLoad | undefined ?? null;
  const scale = 1000 / calls;
  return {
    calls,
    rows,
    /** CPU per second of one call (µs), the median over the turns: one process, and the cluster with Redis. */
    single_us_per_call_s: round(median(singleTurns), 1),
    cluster_us_per_call_s: round(median(clusterTurns), 1),
    /** Each turn's cluster over one process, in turn order. */
    turn_ratios: turnRatios,
    /** The target's figure: the median of the turns' ratios. */
    cpu_ratio: round(median(turnRatios), 3),
    /** Information: two processes without Redis over one process, each turn's and their median. */
    pair_us_per_call_s: round(median(pairTurns), 1),
    pair_turn_ratios: pairTurnRatios,
    pair_cpu_ratio: round(median(pairTurnRatios), 3),
    /** Information: the cluster over the pair, the median of the turns' ratios. */
    cluster_over_pair: round(median(clusterOverPair), 3),
    /** The median over the turns of p99 on another instance − p99 on the coaching instance, ms. */
    fanout_tip_p99_added_ms: added((row) => [row.tip_latency_ms, row.remote_tip_latency_ms], true),
    fanout_metrics_p99_added_ms: added(
      (row) => [row.metrics_latency_ms, row.remote_metrics_latency_ms],
      false,
    ),
    /** Redis's load in the cluster runs (median turn), and the same scaled to 1,000 calls. */
    redis,
    redis_per_1000_calls: redis && {
      // Commands go out in batches per instance, not per call: they do not scale with the calls.
      commands_per_s: redis.commands_per_s,
      input_kb_per_s: round(redis.input_kb_per_s * scale, 0),
      output_kb_per_s: round(redis.output_kb_per_s * scale, 0),
      used_memory_mb: round(redis.used_memory_mb * scale, 2),
    },
  };
}
