/**
 * Gives memory back to the system once the calls are over.
 *
 * Under load V8 grows its young generation and keeps it: a server that coached a
 * busy hour would hold that memory all night. When no call has run for `idleReleaseMs`, the
 * server asks V8 once for the collection it runs before reporting out-of-memory ("last resort": full,
 * compacting, and shrinking the young generation), then waits for the next call before doing it again.
 * It is a sync GC of a few tens of milliseconds, run only while no call is live.
 *
 * V8 exposes that collection only with `--v8-flags=--expose-gc` (the `start` and `demo` tasks pass it).
 * Without it the release is off and the server says so once at start.
 *
 * @example
 * ```ts
 * const release = new IdleMemoryRelease({ idleReleaseMs: 5_000, collect: () => {}, log });
 * release.tick(true, 0); // a call is held
 * release.tick(false, 1_000); // idle from here
 * release.tick(false, 6_000); // → collects, returns true
 * ```
 *
 * @module
 */
import type { Logger } from "../core/log.ts";

/** Options for {@linkcode IdleMemoryRelease}. */
export interface IdleMemoryReleaseOptions {
  /** Idle time (no call running) before the release; 0 turns the release off. */
  idleReleaseMs: number;
  /** Runs the memory-reducing collection; null when the runtime does not offer one. */
  collect: (() => void) | null;
  log: Logger;
  /** Resident memory in bytes, for the log line (default `Deno.memoryUsage().rss`). */
  rss?: () => number;
}

type GcOptions = { type: "major"; execution: "sync"; flavor: "last-resort" };

/**
 * V8's memory-reducing collection, when the process runs with `--expose-gc`; null otherwise.
 */
export function lastResortCollector(): (() => void) | null {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (typeof gc !== "function") return null;
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}

/** Decides, tick by tick, when the server has been idle long enough to release memory. */
export class IdleMemoryRelease {
  readonly #options: IdleMemoryReleaseOptions;
  readonly #rss: () => number;
  /** A session was held since the last release (or since start). */
  #used = false;
  /** When the server last went idle (no call running); null while busy. */
  #idleSince: number | null = null;
  #releases = 0;

  constructor(options: IdleMemoryReleaseOptions) {
    this.#options = options;
    this.#rss = options.rss ?? (() => Deno.memoryUsage().rss);
    if (options.idleReleaseMs > 0 && options.collect === null) {
      options.log.info("memory_release_off", {
        message: "Memory is not given back after calls: start Deno with --v8-flags=--expose-gc " +
          "(deno task start does) to turn the idle release on.",
      });
    }
  }

  /** How many times memory was released. */
  get releases(): number {
    return this.#releases;
  }

  /**
   * Called about once a second with whether a call runs (or ended since the last tick); releases memory
   * when the server has been idle for `idleReleaseMs` since the last call. Returns whether it released now.
   */
  tick(busy: boolean, now: number): boolean {
    const { idleReleaseMs, collect, log } = this.#options;
    if (busy) {
      this.#used = true;
      this.#idleSince = null;
      return false;
    }
    this.#idleSince ??= now;
    if (!this.#used || collect === null || idleReleaseMs <= 0 || now - this.#idleSince < idleReleaseMs) {
      return false;
    }
    this.#used = false;
    const rssBefore = this.#rss();
    const started = performance.now();
    try {
      collect();
    } catch (error) {
      log.error("memory_release_failed", { error: String(error) });
      return false;
    }
    const ms = performance.now() - started;
    this.#releases++;
    log.info("memory_released", {
      gc_ms: Math.round(ms * 10) / 10,
      rss_before_mb: Math.round(rssBefore / 104_857.6) / 10,
      rss_after_mb: Math.round(this.#rss() / 104_857.6) / 10,
    });
    return true;
  }
}
