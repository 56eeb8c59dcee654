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
export const METRICS_FIELDS = 10;

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
  };
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
