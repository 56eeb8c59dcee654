/**
 * The memory run: one product server (with `endGraceMs` 0, so ended sessions are dropped at the next
 * once-a-second sweep, and `idleReleaseMs` 1 s), a few warm-up calls, a long call replayed fast, then many
 * sequential short calls and as many again (the steady state), all over real sockets from a generator
 * process. Each reading after calls is taken once the server has given memory back on its own (its idle
 * release, server/memory_release.ts); after the short calls there is also a reading just before that, which
 * shows what the calls held. Then the bare baseline server takes the same warm-up and short calls, its
 * memory released the same way before each reading, so the runtime's own growth can be told from ours. GC
 * is forced before every reading.
 *
 * @module
 */
import type { ChildEvent } from "./child.ts";
import type { GeneratorConfig } from "./load_generator.ts";
import type { ProbeSnapshot } from "./probe.ts";
import { ServerUnderTest, sleep, startGenerator } from "./runs.ts";
import { round } from "./stats.ts";

const MB = 1024 * 1024;

/** Memory before, during and after a long call and many short calls; the baseline's over the same calls. */
export interface MemoryResult {
  long_call_s: number;
  short_calls: number;
  short_call_s: number;
  before: MemoryPoint;
  during_long_call: MemoryPoint;
  after_long_call: MemoryPoint;
  after_half_short_calls: MemoryPoint;
  /** Right after the short calls, before the server's idle release (what the calls made it hold). */
  after_short_calls_held: MemoryPoint;
  /** After the short calls and the idle release: the headline reading. */
  after_short_calls: MemoryPoint;
  /** `after_short_calls` minus `before`: memory kept once the calls are over. */
  rss_growth_mb: number;
  /** `after_short_calls_held` minus `before`. */
  rss_growth_held_mb: number;
  /** RSS growth over the second half of the short calls only (a leak keeps growing there). */
  rss_growth_second_half_mb: number;
  heap_growth_mb: number;
  /** Growth of V8's committed young generation over the short calls, before the release (sizing, not
   * retained objects). */
  young_growth_mb: number;
  registry_size_after: number;
  health_local_sessions_after: number;
  short_calls_completed: number;
  short_call_failures: string[];
  short_calls_ms: number;
  /** The steady state: after `short_calls` more sequential short calls on the same server. */
  after_next_calls: MemoryPoint;
  /** RSS after those further calls minus RSS after the first `short_calls` (a leak keeps growing). */
  rss_growth_next_calls_mb: number;
  next_calls_completed: number;
  next_call_failures: string[];
  /** The same warm-up and short calls against the bare baseline server. */
  baseline: BaselineMemory;
}

/** RSS and heap of a server process at one moment, MB. */
export interface ResidentMemory {
  rss_mb: number;
  /** RSS split as Linux reports it: anonymous memory and pages of mapped files; null elsewhere. */
  rss_anon_mb: number | null;
  rss_file_mb: number | null;
  heap_used_mb: number;
  /** V8 heap pages committed (used or not). */
  heap_committed_mb: number;
  /** Of which the young generation. */
  young_committed_mb: number;
  /** Anonymous memory by kind of mapping, MB (see `AnonymousMappings` in probe.ts); null off Linux. */
  anon_mappings: {
    brk_heap_mb: number;
    anonymous_mb: number;
    file_private_mb: number;
    anonymous_count: number;
    largest: { start: string; size_mb: number; resident_mb: number }[];
  } | null;
}

/** A reading of the product server: memory, the sessions its registry holds (-1 if not reported), and how
 * many times it had released memory by then. */
export interface MemoryPoint extends ResidentMemory {
  registry_size: number;
  memory_releases: number;
}

/**
 * The bare baseline server (`baseline_server.ts`: `Deno.serve`, `upgradeWebSocket`, `JSON.parse` only) over
 * the product's warm-up and short calls, without page sockets (it has no page route) and without the long
 * call. What it grows is the runtime's share of the product's growth.
 */
export interface BaselineMemory {
  calls: number;
  before: ResidentMemory;
  after: ResidentMemory;
  rss_growth_mb: number;
  rss_anon_growth_mb: number | null;
  rss_file_growth_mb: number | null;
  calls_completed: number;
  call_failures: string[];
}

function megabytes(bytes: number | null): number | null {
  return bytes === null ? null : round(bytes / MB, 1);
}

function growth(from: number | null, to: number | null): number | null {
  return from === null || to === null ? null : round(to - from, 1);
}

function resident(stats: ProbeSnapshot): ResidentMemory {
  return {
    rss_mb: round(stats.rss / MB, 1),
    rss_anon_mb: megabytes(stats.rss_anon),
    rss_file_mb: megabytes(stats.rss_file),
    heap_used_mb: round(stats.heap_used / MB, 1),
    heap_committed_mb: round(stats.heap_physical / MB, 1),
    young_committed_mb: round(stats.young_committed / MB, 1),
    anon_mappings: stats.anon_mappings && {
      brk_heap_mb: round(stats.anon_mappings.brk_heap / MB, 1),
      anonymous_mb: round(stats.anon_mappings.anonymous / MB, 1),
      file_private_mb: round(stats.anon_mappings.file_private / MB, 1),
      anonymous_count: stats.anon_mappings.anonymous_count,
      largest: stats.anon_mappings.largest.map(({ start, size, resident }) => ({
        start,
        size_mb: round(size / MB, 1),
        resident_mb: round(resident / MB, 1),
      })),
    },
  };
}

function point(stats: ProbeSnapshot): MemoryPoint {
  return {
    ...resident(stats),
    registry_size: stats.registry_size ?? -1,
    memory_releases: stats.memory_releases ?? -1,
  };
}

/** Sweeps run once a second; with `endGraceMs` 0 an ended session is gone after the next one. */
const SWEEP_WAIT_MS = 1_600;
/**
 * The product's default is 5 s; shorter here so the run takes less time (the release is the same). With
 * sweeps once a second the release comes 2 s after the sweep that drops the last session.
 */
const IDLE_RELEASE_MS = 1_000;
const MEMORY_SETTINGS = { session: { endGraceMs: 0, idleReleaseMs: IDLE_RELEASE_MS } };
const RELEASE_WAIT_MS = IDLE_RELEASE_MS + 5_000;
const WARM_UP_CALLS = 10;
const GENERATOR_BASE = { latencyCalls: 0, rampMs: 0, connectConcurrency: 1 };

/**
 * Waits until the product server has released memory more than `releases` times (its registry empty and
 * idle for `idleReleaseMs`), then reads it with GC forced.
 */
async function afterRelease(server: ServerUnderTest, releases: number): Promise<MemoryPoint> {
  await until(server, (stats) => (stats.memory_releases ?? -1) > releases, "the server to release memory");
  return point(await server.stats({ gc: true }));
}

/** Polls the probe (no GC) until `done`, for at most RELEASE_WAIT_MS. */
async function until(server: ServerUnderTest, done: (stats: ProbeSnapshot) => boolean, what: string) {
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (;;) {
    const stats = await server.stats();
    if (done(stats)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${RELEASE_WAIT_MS} ms for ${what} after the calls ended ` +
          `(registry ${stats.registry_size}, releases ${stats.memory_releases})`,
      );
    }
    await sleep(100);
  }
}

/** Runs one generator to its `done` (a burst pauses at `halfway` for `onHalfway`), then stops it. */
async function play(
  server: ServerUnderTest,
  config: Omit<GeneratorConfig, "baseUrl" | "authToken">,
  onHalfway?: () => Promise<void>,
): Promise<ChildEvent> {
  const child = startGenerator(server, config);
  try {
    if (onHalfway) {
      await child.waitFor((e) => e.event === "halfway", config.maxSeconds * 1000, "halfway");
      await onHalfway();
      await child.send("continue");
    }
    return await child.waitFor((e) => e.event === "done", config.maxSeconds * 1000, "done");
  } finally {
    await child.stop(5_000);
  }
}

/** `calls` sequential short calls; with `pages`, every tenth also has a page socket. */
function sequential(
  server: ServerUnderTest,
  calls: number,
  callS: number,
  pages = true,
): Promise<ChildEvent> {
  return play(server, {
    ...GENERATOR_BASE,
    mode: "sequential",
    calls,
    callSeconds: callS,
    maxSeconds: 60 + calls,
    pages,
  });
}

/**
 * The product server (with `endGraceMs` 0): a few warm-up calls, then a long call replayed as fast as the
 * server takes it (sampled half way), then `shortCalls` sequential short calls and `shortCalls` more. Then
 * the bare baseline takes the warm-up and `shortCalls` short calls. GC is forced before each reading.
 */
export async function runMemory(
  longCallS: number,
  shortCalls: number,
  shortCallS: number,
): Promise<MemoryResult> {
  const product = await runProduct(longCallS, shortCalls, shortCallS);
  return { ...product, baseline: await runBaseline(shortCalls, shortCallS) };
}

async function runProduct(
  longCallS: number,
  shortCalls: number,
  shortCallS: number,
): Promise<Omit<MemoryResult, "baseline">> {
  const server = await ServerUnderTest.start("coach", { coachSettings: MEMORY_SETTINGS });
  try {
    await sequential(server, WARM_UP_CALLS, shortCallS);
    const before = await afterRelease(server, 0);
    await server.stats({ reset: true });
    let during: MemoryPoint | null = null;
    await play(
      server,
      { ...GENERATOR_BASE, mode: "burst", calls: 1, callSeconds: longCallS, maxSeconds: 120 + longCallS / 5 },
      async () => {
        during = point(await server.stats({ gc: true }));
      },
    );
    const afterLong = await afterRelease(server, before.memory_releases);
    // The short calls in two halves: growth in the second half tells a leak (keeps growing) from heap
    // and allocator pools that grow once and stay.
    const half = Math.floor(shortCalls / 2);
    const first = await sequential(server, half, shortCallS);
    const afterHalf = await afterRelease(server, afterLong.memory_releases);
    const second = await sequential(server, shortCalls - half, shortCallS);
    // What the calls held: read as soon as the sweep has dropped the last session, before the release.
    await until(server, (stats) => stats.registry_size === 0, "the registry to empty");
    const held = point(await server.stats({ gc: true }));
    if (held.memory_releases !== afterHalf.memory_releases) {
      throw new Error("the server released memory before the reading of what the calls held");
    }
    const afterShort = await afterRelease(server, afterHalf.memory_releases);
    const health = await server.health();
    // As many calls again: once pools have grown to what this load needs, RSS stays where it is.
    const next = await sequential(server, shortCalls, shortCallS);
    const afterNext = await afterRelease(server, afterShort.memory_releases);
    return {
      long_call_s: longCallS,
      short_calls: shortCalls,
      short_call_s: shortCallS,
      before,
      during_long_call: during!,
      after_long_call: afterLong,
      after_half_short_calls: afterHalf,
      after_short_calls_held: held,
      after_short_calls: afterShort,
      rss_growth_mb: round(afterShort.rss_mb - before.rss_mb, 1),
      rss_growth_held_mb: round(held.rss_mb - before.rss_mb, 1),
      rss_growth_second_half_mb: round(afterShort.rss_mb - afterHalf.rss_mb, 1),
      heap_growth_mb: round(afterShort.heap_used_mb - before.heap_used_mb, 1),
      young_growth_mb: round(held.young_committed_mb - before.young_committed_mb, 1),
      registry_size_after: afterShort.registry_size,
      health_local_sessions_after: health.local_sessions,
      short_calls_completed: Number(first.calls) + Number(second.calls),
      short_call_failures: [...first.failures as string[], ...second.failures as string[]],
      short_calls_ms: Number(first.ms) + Number(second.ms),
      after_next_calls: afterNext,
      rss_growth_next_calls_mb: round(afterNext.rss_mb - afterShort.rss_mb, 1),
      next_calls_completed: Number(next.calls),
      next_call_failures: next.failures as string[],
    };
  } finally {
    await server.stop();
  }
}

/**
 * The baseline over the same warm-up and short calls, read with the same pauses and forced GC, its memory
 * released first by the same collection as the product's idle release (the probe runs it).
 */
async function runBaseline(calls: number, callS: number): Promise<BaselineMemory> {
  const server = await ServerUnderTest.start("baseline");
  try {
    await sequential(server, WARM_UP_CALLS, callS, false);
    await sleep(SWEEP_WAIT_MS);
    const before = resident(await server.stats({ release: true, gc: true, reset: true }));
    const done = await sequential(server, calls, callS, false);
    await sleep(SWEEP_WAIT_MS);
    const after = resident(await server.stats({ release: true, gc: true }));
    return {
      calls,
      before,
      after,
      rss_growth_mb: round(after.rss_mb - before.rss_mb, 1),
      rss_anon_growth_mb: growth(before.rss_anon_mb, after.rss_anon_mb),
      rss_file_growth_mb: growth(before.rss_file_mb, after.rss_file_mb),
      calls_completed: Number(done.calls),
      call_failures: done.failures as string[],
    };
  } finally {
    await server.stop();
  }
}
