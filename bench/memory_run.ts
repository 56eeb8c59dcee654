/**
 * The memory run: one product server (with `endGraceMs` 0, so ended sessions are dropped at the next
 * once-a-second sweep), a few warm-up calls, a long call replayed fast, then many sequential short calls,
 * all over real sockets from a generator process. GC is forced before every reading.
 *
 * @module
 */
import type { Child } from "./child.ts";
import type { GeneratorConfig } from "./load_generator.ts";
import type { ProbeSnapshot } from "./probe.ts";
import { ServerUnderTest, sleep, startGenerator } from "./runs.ts";
import { round } from "./stats.ts";

const MB = 1024 * 1024;

/** Memory before, during and after a long call and many short calls. */
export interface MemoryResult {
  long_call_s: number;
  short_calls: number;
  short_call_s: number;
  before: MemoryPoint;
  during_long_call: MemoryPoint;
  after_long_call: MemoryPoint;
  after_half_short_calls: MemoryPoint;
  after_short_calls: MemoryPoint;
  rss_growth_mb: number;
  /** RSS growth over the second half of the short calls only (a leak keeps growing there). */
  rss_growth_second_half_mb: number;
  heap_growth_mb: number;
  /** Growth of V8's committed young generation over the run (sizing, not retained objects). */
  young_growth_mb: number;
  registry_size_after: number;
  health_active_sessions_after: number;
  short_calls_completed: number;
  short_call_failures: string[];
  short_calls_ms: number;
}

/** RSS and heap at one moment, MB. */
export interface MemoryPoint {
  rss_mb: number;
  heap_used_mb: number;
  /** V8 heap pages committed (used or not). */
  heap_committed_mb: number;
  /** Of which the young generation. */
  young_committed_mb: number;
  registry_size: number;
}

function point(stats: ProbeSnapshot): MemoryPoint {
  return {
    rss_mb: round(stats.rss / MB, 1),
    heap_used_mb: round(stats.heap_used / MB, 1),
    heap_committed_mb: round(stats.heap_physical / MB, 1),
    young_committed_mb: round(stats.young_committed / MB, 1),
    registry_size: stats.registry_size ?? -1,
  };
}

/** Sweeps run once a second; with `endGraceMs` 0 an ended session is gone after the next one. */
const SWEEP_WAIT_MS = 1_600;
const MEMORY_SETTINGS = { session: { endGraceMs: 0 } };

/**
 * One server (with `endGraceMs` 0): a few warm-up calls, then a long call replayed as fast as the server
 * takes it (sampled half way), then `shortCalls` sequential short calls. GC is forced before each reading.
 */
export async function runMemory(
  longCallS: number,
  shortCalls: number,
  shortCallS: number,
): Promise<MemoryResult> {
  const server = await ServerUnderTest.start("coach", { coachSettings: MEMORY_SETTINGS });
  const children: Child[] = [];
  const generate = async (
    config: Omit<GeneratorConfig, "baseUrl" | "authToken">,
    onHalfway?: () => Promise<void>,
  ) => {
    const child = startGenerator(server, config);
    children.push(child);
    if (onHalfway) {
      await child.waitFor((e) => e.event === "halfway", config.maxSeconds * 1000, "halfway");
      await onHalfway();
      await child.send("continue");
    }
    const done = await child.waitFor((e) => e.event === "done", config.maxSeconds * 1000, "done");
    await child.stop(5_000);
    return done;
  };
  const base = { latencyCalls: 0, rampMs: 0, connectConcurrency: 1 };
  try {
    await generate({ ...base, mode: "sequential", calls: 10, callSeconds: shortCallS, maxSeconds: 60 });
    await sleep(SWEEP_WAIT_MS);
    const before = point(await server.stats({ gc: true, reset: true }));
    let during: MemoryPoint | null = null;
    await generate(
      { ...base, mode: "burst", calls: 1, callSeconds: longCallS, maxSeconds: 120 + longCallS / 5 },
      async () => {
        during = point(await server.stats({ gc: true }));
      },
    );
    await sleep(SWEEP_WAIT_MS);
    const afterLong = point(await server.stats({ gc: true }));
    // The short calls in two halves: growth in the second half tells a leak (keeps growing) from heap
    // and allocator pools that grow once and stay.
    const half = Math.floor(shortCalls / 2);
    const sequential = (calls: number) =>
      generate({ ...base, mode: "sequential", calls, callSeconds: shortCallS, maxSeconds: 60 + calls });
    const first = await sequential(half);
    await sleep(SWEEP_WAIT_MS);
    const afterHalf = point(await server.stats({ gc: true }));
    const second = await sequential(shortCalls - half);
    await sleep(SWEEP_WAIT_MS);
    const afterShort = await server.stats({ gc: true });
    const health = await server.health();
    return {
      long_call_s: longCallS,
      short_calls: shortCalls,
      short_call_s: shortCallS,
      before,
      during_long_call: during!,
      after_long_call: afterLong,
      after_half_short_calls: afterHalf,
      after_short_calls: point(afterShort),
      rss_growth_mb: round(point(afterShort).rss_mb - before.rss_mb, 1),
      rss_growth_second_half_mb: round(point(afterShort).rss_mb - afterHalf.rss_mb, 1),
      heap_growth_mb: round(point(afterShort).heap_used_mb - before.heap_used_mb, 1),
      young_growth_mb: round(point(afterShort).young_committed_mb - before.young_committed_mb, 1),
      registry_size_after: afterShort.registry_size ?? -1,
      health_active_sessions_after: health.active_sessions,
      short_calls_completed: Number(first.calls) + Number(second.calls),
      short_call_failures: [...first.failures as string[], ...second.failures as string[]],
      short_calls_ms: Number(first.ms) + Number(second.ms),
    };
  } finally {
    for (const child of children) await child.stop(1_000);
    await server.stop();
  }
}
