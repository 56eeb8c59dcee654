/**
 * The memory run: one product server (`endGraceMs` 0, `idleReleaseMs` 1 s), a few warm-up calls, a long call
 * replayed fast, then many sequential short calls and as many again (the steady state), from a generator
 * process. Each reading after calls waits for the server's own idle release (server/memory_release.ts); one
 * more just before it shows what the calls held. GC is forced before every reading.
 *
 * @module
 */
import type { ProbeSnapshot } from "./server_process.ts";
import { ServerUnderTest } from "./servers.ts";
import { round, sleep } from "./stats.ts";

const MB = 1024 * 1024;
/** Shorter than the product's 5 s, so the run takes less time; the release is the same. */
const IDLE_RELEASE_MS = 1_000;
const MEMORY_SETTINGS = { session: { endGraceMs: 0, idleReleaseMs: IDLE_RELEASE_MS } };
const RELEASE_WAIT_MS = IDLE_RELEASE_MS + 5_000;
const WARM_UP_CALLS = 10;

/** The server's memory at one moment, MB; the sessions its registry holds and its memory releases so far. */
export type MemoryPoint = ReturnType<typeof point>;
/** Memory before and after a long call and many short calls. */
export type MemoryResult = Awaited<ReturnType<typeof runMemory>>;

function point(stats: ProbeSnapshot) {
  const mb = (bytes: number) => round(bytes / MB, 1);
  return {
    rss_mb: mb(stats.rss),
    heap_used_mb: mb(stats.heap_used),
    /** V8 heap pages committed (used or not). */
    heap_committed_mb: mb(stats.heap_physical),
    registry_size: stats.registry_size!,
    memory_releases: stats.memory_releases!,
  };
}

const growth = (from: MemoryPoint, to: MemoryPoint) => round(to.rss_mb - from.rss_mb, 1);

/** Polls the probe (no GC) until `done`, for at most RELEASE_WAIT_MS. */
async function until(server: ServerUnderTest, done: (stats: ProbeSnapshot) => boolean, what: string) {
  for (const deadline = Date.now() + RELEASE_WAIT_MS;; await sleep(100)) {
    const stats = await server.stats();
    if (done(stats)) return;
    if (Date.now() > deadline) {
      const state = `registry ${stats.registry_size}, releases ${stats.memory_releases}`;
      throw new Error(`waited ${RELEASE_WAIT_MS} ms for ${what} after the calls ended (${state})`);
    }
  }
}

/** Waits until the server has released memory more than `releases` times, then reads it with GC forced. */
async function afterRelease(server: ServerUnderTest, releases: number): Promise<MemoryPoint> {
  await until(server, (stats) => stats.memory_releases! > releases, "the server to release memory");
  return point(await server.stats({ gc: true }));
}

/** Plays `calls` sequential calls of `callSeconds` each (every tenth with a page socket) to the end. */
async function play(server: ServerUnderTest, calls: number, callSeconds: number) {
  const maxSeconds = 60 + calls + callSeconds / 5;
  const child = server.startGenerator({
    mode: "sequential",
    calls,
    callSeconds,
    maxSeconds,
  });
  try {
    return await child.waitFor((e) => e.event === "done", maxSeconds * 1000, "done");
  } finally {
    await child.stop(5_000);
  }
}

/** The product server: warm-up calls, a long call, short calls in two halves, as many again. */
export async function runMemory(longCallS: number, shortCalls: number, shortCallS: number) {
  const server = await ServerUnderTest.start("coach", { coachSettings: MEMORY_SETTINGS });
  try {
    await play(server, WARM_UP_CALLS, shortCallS);
    const before = await afterRelease(server, 0);
    await play(server, 1, longCallS);
    const afterLong = await afterRelease(server, before.memory_releases);
    // In two halves: growth in the second half tells a leak from pools that grow once and stay.
    const half = Math.floor(shortCalls / 2);
    const first = await play(server, half, shortCallS);
    const afterHalf = await afterRelease(server, afterLong.memory_releases);
    const second = await play(server, shortCalls - half, shortCallS);
    // What the calls held: read as soon as the sweep has dropped the last session, before the release.
    await until(server, (stats) => stats.registry_size === 0, "the registry to empty");
    const held = point(await server.stats({ gc: true }));
    if (held.memory_releases !== afterHalf.memory_releases) {
      throw new Error("the server released memory before the reading of what the calls held");
    }
    const afterShort = await afterRelease(server, afterHalf.memory_releases);
    const health = await server.health();
    const next = await play(server, shortCalls, shortCallS);
    const afterNext = await afterRelease(server, afterShort.memory_releases);
    return {
      long_call_s: longCallS,
      short_calls: shortCalls,
      short_call_s: shortCallS,
      before,
      after_long_call: afterLong,
      after_half_short_calls: afterHalf,
      /** Right after the short calls, before the server's idle release (what the calls made it hold). */
      after_short_calls_held: held,
      after_short_calls: afterShort,
      /** The steady state: after as many calls again. */
      after_next_calls: afterNext,
      /** Memory kept once the calls are over: the target. */
      rss_growth_mb: growth(before, afterShort),
      rss_growth_held_mb: growth(before, held),
      /** Over the second half of the short calls only (a leak keeps growing there). */
      rss_growth_second_half_mb: growth(afterHalf, afterShort),
      rss_growth_next_calls_mb: growth(afterShort, afterNext),
      registry_size_after: afterShort.registry_size,
      health_local_sessions_after: health.local_sessions,
      short_calls_completed: Number(first.calls) + Number(second.calls),
      short_call_failures: [...first.failures as string[], ...second.failures as string[]],
      next_calls_completed: Number(next.calls),
      next_call_failures: next.failures as string[],
    };
  } finally {
    await server.stop();
  }
}
