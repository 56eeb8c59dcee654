/**
 * What the socket thread and the analysis thread say to each other through their two record rings
 * (routes/analysis_ring.ts): record kinds, the metrics layout, and the worker's start message.
 *
 * @module
 */
import type { AnalysisConfig } from "../core/audio/config.ts";
import type { CoachingConfig } from "../core/coaching/config.ts";
import type { TrackName } from "../core/config.ts";
import type { SessionConfig } from "../core/session/config.ts";
import type { MetricsData } from "../core/protocol/ui_messages.ts";
import type { SharedRing } from "./analysis_ring.ts";

/** Socket thread → analysis thread. */
export const In = {
  /** A call's stream started; `spare` is its agent track (0 inbound, 1 outbound). */
  Start: 1,
  /** One media frame: `spare` track (0 inbound, 1 outbound), `a` stream timestamp ms, `b` wall ms received. */
  Frame: 2,
  /** The call is over: analyse what is left, report the last results, free the call. */
  End: 3,
  /** The server is stopping: the thread returns. */
  Stop: 4,
  /** The server is idle: give memory back, as the socket thread does (routes/memory_release.ts). */
  Release: 5,
} as const;

/** Analysis thread → socket thread. */
export const Out = {
  /** {@linkcode METRICS_FIELDS} float64 as payload. */
  Metrics: 1,
  /** A suggestion as JSON. */
  Suggestion: 2,
  /** The call's last results as JSON ({@linkcode CallEnded}); nothing more comes for it. */
  Ended: 3,
  /** The call's analysis failed; the message as UTF-8. Its frames are ignored from then on. */
  Fault: 4,
  /** Stream ms analysed so far (`a`), after each batch of the call's frames and the results they gave. */
  Progress: 5,
  /** The thread runs (call id 0): it has compiled its modules and reads the input ring from now on. */
  Started: 6,
  /** A tip's condition stopped holding: `spare` its index in `SUGGESTION_TYPES`, `a` the stream ms. */
  Cleared: 7,
} as const;

/** The worker's first and only message. */
export interface AnalysisWorkerInit {
  analysis: AnalysisConfig;
  coaching: CoachingConfig;
  session: SessionConfig;
  input: SharedRing;
  output: SharedRing;
  /** Queue delay histogram: {@linkcode DELAY_BUCKETS} int32 counts of 1 ms, then one for anything longer. */
  delays: SharedArrayBuffer;
  /** The {@linkcode BatchLog}'s memory. */
  batches: SharedArrayBuffer;
}

/** The worker's one message back, once it runs. */
export interface AnalysisWorkerReady {
  /** The thread's scheduling priority, e.g. "nice 10", or why it is unchanged. */
  priority: string;
}

/** What a call's `Ended` record carries. */
export interface CallEnded {
  metrics: MetricsData | null;
  streamMs: number;
  alignment: Record<string, number> | null;
}

/** Queue delays up to this many ms are counted per ms; longer ones in one overflow bucket. */
export const DELAY_BUCKETS = 2000;

export const TRACKS: readonly TrackName[] = ["inbound", "outbound"];

/** Number of float64 in a `Metrics` record. */
export const METRICS_FIELDS = 11;

/** Writes `metrics` into `into` (NaN stands for null). */
export function packMetrics(metrics: MetricsData, into: Float64Array): void {
  into[0] = metrics.stream_ms;
  into[1] = metrics.agent.speaking ? 1 : 0;
  into[2] = metrics.agent.level_db ?? NaN;
  into[3] = metrics.agent.wpm ?? NaN;
  into[4] = metrics.customer.speaking ? 1 : 0;
  into[5] = metrics.customer.level_db ?? NaN;
  into[6] = metrics.customer.wpm ?? NaN;
  into[7] = metrics.silence_s;
  into[8] = metrics.interruptions;
  into[9] = metrics.talk_ratio ?? NaN;
  into[10] = metrics.customer_raised ? 1 : 0;
}

/** The inverse of {@linkcode packMetrics}. */
export function unpackMetrics(from: Float64Array): MetricsData {
  return {
    stream_ms: from[0],
    agent: { speaking: from[1] === 1, level_db: orNull(from[2]), wpm: orNull(from[3]) },
    customer: { speaking: from[4] === 1, level_db: orNull(from[5]), wpm: orNull(from[6]) },
    silence_s: from[7],
    interruptions: from[8],
    talk_ratio: orNull(from[9]),
    customer_raised: from[10] === 1,
  };
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/**
 * When the analysis thread's batches ran: for each batch that took any record, when it took what had arrived
 * and when it was done, in ms on the `performance.timeOrigin + performance.now()` clock (which the threads of
 * a process share). A frame written before a batch started was analysed by the time it ended: that pairs a
 * frame with its wait, which the benchmark needs (bench/analysis_budget.ts). One writer (the worker), one
 * reader; the last {@linkcode BatchLog.ENTRIES} batches are kept.
 */
export class BatchLog {
  /** About 40 s of batches, one every 40 ms. */
  static readonly ENTRIES = 1024;
  /** Bytes of a log's memory: the int32 count of batches logged, then two float64 per batch from byte 8. */
  static readonly BYTES = 8 + BatchLog.ENTRIES * 16;
  readonly #count: Int32Array;
  readonly #times: Float64Array;
  /** Batches the reader has taken. */
  #taken: number;

  constructor(memory: SharedArrayBuffer) {
    this.#count = new Int32Array(memory, 0, 1);
    this.#times = new Float64Array(memory, 8, 2 * BatchLog.ENTRIES);
    this.#taken = Atomics.load(this.#count, 0);
  }

  /** Logs a batch (the writer). */
  add(startMs: number, endMs: number): void {
    const count = Atomics.load(this.#count, 0);
    const at = 2 * (count % BatchLog.ENTRIES);
    this.#times[at] = startMs;
    this.#times[at + 1] = endMs;
    Atomics.store(this.#count, 0, count + 1);
  }

  /**
   * Hands `visit` every batch logged since the last call, oldest first (the reader). Batches overwritten
   * before they were taken are skipped: a later batch still bounds when a frame was done, only less tightly.
   */
  take(visit: (startMs: number, endMs: number) => void): void {
    const count = Atomics.load(this.#count, 0);
    for (let i = Math.max(this.#taken, count - BatchLog.ENTRIES); i < count; i++) {
      const at = 2 * (i % BatchLog.ENTRIES);
      visit(this.#times[at], this.#times[at + 1]);
    }
    this.#taken = count;
  }
}
