/**
 * The analysis pipeline of one call: Twilio frames → stream aligner → {@linkcode CallAnalyzer} (both
 * parties, echo-aware) → {@linkcode CoachingEngine} → metrics (4 Hz of stream time), suggestions, and the
 * moments a suggestion's condition stops holding, as domain values (the session maps them for the page).
 *
 * Everything runs on stream time, so replaying a recorded call at any speed gives identical output.
 *
 * @example
 * ```ts
 * const pipeline = new CallPipeline({
 *   agentTrack: "outbound",
 *   onSuggestion: (s) => console.log(s.type, s.reason),
 *   onMetrics: (m) => console.log(m.agent.wpm),
 * });
 * pipeline.ingest("outbound", 0, frameOf160MuLawBytes);
 * pipeline.flush();
 * ```
 *
 * @module
 */
import { type AnalysisConfig, defaultAnalysisConfig } from "../audio/config.ts";
import { type PushOutcome, StreamAligner, type TrackIndex } from "../audio/stream_aligner.ts";
import { CallAnalyzer } from "../audio/call_analyzer.ts";
import { SLOT_MS, type TrackFrameResult } from "../audio/types.ts";
import { type BufferLease, type BufferPool, freshBuffers } from "../buffers.ts";
import { type CoachingConfig, defaultCoachingConfig } from "../coaching/config.ts";
import { CoachingEngine } from "../coaching/engine.ts";
import type { ConversationMetrics, Suggestion, SuggestionType } from "../coaching/types.ts";
import type { TrackName } from "../protocol/twilio_messages.ts";
import { defaultSessionConfig, type SessionConfig } from "./config.ts";

/** One party's live reading. `wpm` is null until there is enough speech to tell. */
export interface PartyReading {
  speaking: boolean;
  /** Active speech level, dBov; null before any speech. */
  levelDb: number | null;
  wpm: number | null;
}

/** The call's live measurements at `streamMs` (core/session/page_messages.ts makes the page's `metrics`). */
export interface CallMetrics extends ConversationMetrics {
  streamMs: number;
  agent: PartyReading;
  customer: PartyReading;
}

/** Options for {@linkcode CallPipeline}. */
export interface CallPipelineOptions {
  /** Which Twilio track carries the agent for this call. */
  agentTrack: TrackName;
  analysis?: AnalysisConfig;
  coaching?: CoachingConfig;
  session?: SessionConfig;
  onSuggestion: (suggestion: Suggestion) => void;
  /** The condition of the last tip of type `type` stopped holding at `streamMs` (default: ignored). */
  onTipCleared?: (type: SuggestionType, streamMs: number) => void;
  /** About 4 times a second of stream time (`metricsIntervalMs`). */
  onMetrics: (metrics: CallMetrics) => void;
  /** The process's pool: the call leases its rings from it and gives them back on `dispose` (default: none). */
  buffers?: BufferPool;
}

/** Index 0 is always the agent, 1 the customer. */
const AGENT: TrackIndex = 0;
const CUSTOMER: TrackIndex = 1;

/** Analyses one call's two tracks and runs the coaching rules on them. */
export class CallPipeline {
  readonly #aligner: StreamAligner;
  readonly #call: CallAnalyzer;
  readonly #engine: CoachingEngine;
  readonly #agentTrack: TrackName;
  readonly #options: CallPipelineOptions;
  readonly #metricsIntervalMs: number;
  #nextMetricsMs = 0;
  #streamMs = 0;
  #lastAgent: TrackFrameResult | null = null;
  #lastCustomer: TrackFrameResult | null = null;
  readonly #lease: BufferLease | null;
  #disposed = false;

  constructor(options: CallPipelineOptions) {
    const analysis = options.analysis ?? defaultAnalysisConfig;
    const session = options.session ?? defaultSessionConfig;
    this.#metricsIntervalMs = session.metricsIntervalMs;
    this.#options = options;
    this.#agentTrack = options.agentTrack;
    this.#lease = options.buffers?.lease() ?? null;
    const buffers = this.#lease ?? freshBuffers;
    this.#call = new CallAnalyzer(analysis, buffers);
    this.#engine = new CoachingEngine(options.coaching ?? defaultCoachingConfig, buffers);
    this.#aligner = new StreamAligner({
      windowSlots: Math.ceil(session.alignmentWindowMs / SLOT_MS),
      maxJumpMs: session.maxTimestampJumpMs,
      batchSlots: session.analysisBatchMs / SLOT_MS,
      onSlot: (slot, measures, agentAt, customerAt) => this.#processSlot(slot, measures, agentAt, customerAt),
      buffers,
    });
  }

  /** Stream time (ms) analysed so far. */
  get streamMs(): number {
    return this.#streamMs;
  }

  /** Aligner counters (late, duplicate, jump, filled slots). */
  get alignment(): StreamAligner["stats"] {
    return this.#aligner.stats;
  }

  /**
   * Feeds one Twilio media frame (μ-law bytes) of `track` stamped `timestampMs`.
   *
   * @throws {Error} after {@linkcode CallPipeline.dispose}.
   */
  ingest(track: TrackName, timestampMs: number, mulaw: Uint8Array): PushOutcome {
    if (this.#disposed) throw disposedError();
    return this.#aligner.push(track === this.#agentTrack ? AGENT : CUSTOMER, timestampMs, mulaw);
  }

  /** Processes whatever is still waiting for the other track (end of stream). */
  flush(): void {
    if (this.#disposed) throw disposedError();
    this.#aligner.flush();
  }

  /**
   * The call is over: its rings go back to the pool for the next call. `streamMs` and `alignment` still
   * answer; `ingest`, `flush` and `metrics` throw (read the last metrics before).
   */
  dispose(): void {
    this.#disposed = true;
    this.#lease?.release();
  }

  #processSlot(slot: number, measures: Float64Array, agentAt: number, customerAt: number): void {
    const streamMs = slot * SLOT_MS;
    this.#streamMs = streamMs + SLOT_MS;
    const call = this.#call;
    call.processMeasured(measures, agentAt, customerAt);
    const agent = call.agent, customer = call.customer;
    this.#lastAgent = agent;
    this.#lastCustomer = customer;
    const suggestion = this.#engine.step(streamMs, agent, customer);
    const cleared = this.#engine.clearedNow;
    if (cleared.length > 0 && this.#options.onTipCleared) {
      for (const type of cleared) this.#options.onTipCleared(type, streamMs);
    }
    if (suggestion) this.#options.onSuggestion(suggestion);
    if (streamMs >= this.#nextMetricsMs) {
      this.#nextMetricsMs = streamMs - (streamMs % this.#metricsIntervalMs) + this.#metricsIntervalMs;
      this.#options.onMetrics(this.metrics());
    }
  }

  /** The current measurements (what the 4 Hz `metrics` message carries). */
  metrics(): CallMetrics {
    if (this.#disposed) throw disposedError();
    return {
      streamMs: this.#streamMs,
      agent: partyReading(this.#lastAgent),
      customer: partyReading(this.#lastCustomer),
      ...this.#engine.metrics(),
    };
  }
}

/** A copy of the analyzer's reading (its result object is reused for the next slot). */
function partyReading(result: TrackFrameResult | null): PartyReading {
  if (!result) return { speaking: false, levelDb: null, wpm: null };
  return { speaking: result.speaking, levelDb: result.activeLevelDb, wpm: result.wpm };
}

function disposedError(): Error {
  return new Error("this call's pipeline was disposed: its buffers belong to the next call now");
}
