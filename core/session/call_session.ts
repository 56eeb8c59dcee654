/**
 * One call's coaching session: its state, its analysis pipeline and the messages it sends to pages.
 *
 * Created and ended by the {@linkcode SessionRegistry}; the media socket adapter feeds it frames directly.
 *
 * @module
 */
import type { AnalysisConfig } from "../audio/config.ts";
import type { BufferPool } from "../buffers.ts";
import type { CoachingConfig } from "../coaching/config.ts";
import type { Suggestion, SuggestionType } from "../coaching/types.ts";
import type { TrackName } from "../protocol/twilio_messages.ts";
import type { Logger } from "../log.ts";
import type {
  MetricsData,
  ServerMessage,
  SessionSnapshot,
  SessionStatus,
  SuggestionData,
} from "../protocol/ui_messages.ts";
import { type CallMetrics, CallPipeline, type CallPipelineOptions } from "./call_pipeline.ts";
import { metricsData, suggestionData } from "./page_messages.ts";
import type { SessionConfig } from "./config.ts";
import { rulesWording, type TipStage, type TipStageFactory, type TipWording } from "./tip_stage.ts";

/** What a session needs from its call's analysis: a {@linkcode CallPipeline}, or a stand-in in tests. */
export interface SessionPipeline {
  /** Stream time analysed so far. */
  readonly streamMs: number;
  readonly alignment: object;
  /** Feeds one frame. */
  ingest(track: TrackName, timestampMs: number, mulaw: Uint8Array): unknown;
  /** Analyses what is left; every result is delivered before it returns. */
  flush(): void;
  /** The latest metrics (null if none were made). */
  metrics(): CallMetrics | null;
  dispose(): void;
}

/** Makes a call's analysis. */
export type PipelineFactory = (options: CallPipelineOptions) => SessionPipeline;

/** What a session needs from its registry. */
export interface SessionContext {
  analysis: AnalysisConfig;
  coaching: CoachingConfig;
  session: SessionConfig;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  log: Logger;
  /** Delivers a message to the pages following this session. */
  publish: (sessionId: string, message: ServerMessage) => void;
  /** The process's typed-array pool the call's pipeline leases from (default: none). */
  buffers?: BufferPool;
  /** Makes each call's analysis (default: a {@linkcode CallPipeline}; tests give a stand-in). */
  pipelines?: PipelineFactory;
  /** What each call's tips pass through before pages see them (default: nothing, the rules' words). */
  tipStages?: TipStageFactory;
}

/** Why a session ended, as logged and sent in `call_ended`. */
export type EndReason =
  | "stream_stopped"
  | "call_completed"
  | "media_socket_closed"
  | "idle_timeout"
  | "shutdown";

/** How many of a call's tips its snapshot keeps (the newest); a throttled call gives a few a minute. */
export const MAX_KEPT_SUGGESTIONS = 100;

/** The last tip of one type: its id, what was shown (null while it is being worded), when it stopped holding. */
interface LatestTip {
  id: string;
  shown: SuggestionData | null;
  clearedAtMs: number | null;
}

/** A media frame could not be used because the session is not streaming. */
export class SessionStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionStateError";
  }
}

/** One call's coaching session. */
export class CallSession {
  readonly id: string;
  readonly createdAt: number;
  #status: SessionStatus = "waiting";
  #agentTrack: TrackName;
  #pipeline: SessionPipeline | null = null;
  #tips: TipStage | null = null;
  /** The stream time analysed, once the call has ended and its pipeline is let go. */
  #endedStreamMs = 0;
  #latestMetrics: MetricsData | null = null;
  #customerLast4: string | null = null;
  /** The call's tips, oldest first, with `active` kept up to date (copies: sent messages never change). */
  #suggestions: SuggestionData[] = [];
  /** The last tip of each type, from the moment the engine gave it. */
  readonly #latest = new Map<SuggestionType, LatestTip>();
  #lastMediaAt: number;
  #endedAt: number | null = null;
  #endReason: EndReason | null = null;
  #suggestionCount = 0;
  readonly #context: SessionContext;

  constructor(id: string, agentTrack: TrackName, context: SessionContext) {
    this.id = id;
    this.#agentTrack = agentTrack;
    this.#context = context;
    this.createdAt = context.now();
    this.#lastMediaAt = this.createdAt;
  }

  get status(): SessionStatus {
    return this.#status;
  }

  get agentTrack(): TrackName {
    return this.#agentTrack;
  }

  /** Wall time of the last media frame (or of creation before any). */
  get lastMediaAt(): number {
    return this.#lastMediaAt;
  }

  /** Wall time the session ended, null while it runs. */
  get endedAt(): number | null {
    return this.#endedAt;
  }

  /** Why the session ended, null while it runs. */
  get endReason(): EndReason | null {
    return this.#endReason;
  }

  /** The last 4 digits of the customer's number, from the voice webhook; null when unknown. */
  get customerLast4(): string | null {
    return this.#customerLast4;
  }

  /** Tips the engine gave so far. */
  get suggestionCount(): number {
    return this.#suggestionCount;
  }

  /** Stream time analysed so far, ms. */
  get streamMs(): number {
    return this.#pipeline?.streamMs ?? this.#endedStreamMs;
  }

  /**
   * The media stream started: analysis begins and pages are told. `customerLast4` (the last 4 digits of
   * the customer's number, from the voice webhook) labels the call on the page.
   */
  startStream(agentTrack: TrackName = this.#agentTrack, customerLast4: string | null = null): void {
    if (this.#status !== "waiting") {
      throw new SessionStateError(`session ${this.id} is ${this.#status}; a stream can start only once`);
    }
    const options: CallPipelineOptions = {
      agentTrack,
      analysis: this.#context.analysis,
      coaching: this.#context.coaching,
      session: this.#context.session,
      onSuggestion: (suggestion) => this.#suggest(suggestion),
      onTipCleared: (type, streamMs) => this.#clear(type, streamMs),
      onMetrics: (metrics) => this.#metrics(metrics),
      buffers: this.#context.buffers,
    };
    this.#pipeline = this.#context.pipelines?.(options) ?? new CallPipeline(options);
    this.#tips = this.#context.tipStages?.(this.id) ?? null;
    this.#agentTrack = agentTrack;
    this.#customerLast4 = customerLast4;
    this.#status = "live";
    this.#lastMediaAt = this.#context.now();
    this.#context.publish(this.id, {
      type: "stream_started",
      session_id: this.id,
      started_at: new Date(this.createdAt).toISOString(),
      agent_track: agentTrack,
      customer_last4: customerLast4,
    });
  }

  /**
   * Feeds one media frame. The hot path: called 100 times a second per call.
   *
   * @throws {SessionStateError} when the stream has not started or has ended.
   */
  ingest(track: TrackName, timestampMs: number, mulaw: Uint8Array, wallNow: number): void {
    if (this.#pipeline === null || this.#status !== "live") {
      throw new SessionStateError(
        `session ${this.id} is ${this.#status}: media is accepted only after start`,
      );
    }
    this.#lastMediaAt = wallNow;
    this.#pipeline.ingest(track, timestampMs, mulaw);
  }

  /**
   * Ends the session once: remaining audio is analysed, a tip still being worded is shown in the rules' words,
   * then pages get `call_ended` (it always follows the call's last tip). Later calls do nothing.
   */
  end(reason: EndReason): boolean {
    if (this.#status === "ended") return false;
    if (this.#pipeline) {
      try {
        this.#pipeline.flush();
        const last = this.#pipeline.metrics();
        if (last !== null) this.#latestMetrics = metricsData(last);
      } finally {
        this.#pipeline.dispose();
        this.#tips?.close();
      }
    }
    this.#status = "ended";
    this.#endedAt = this.#context.now();
    this.#endReason = reason;
    // Nothing holds once the call is over; `call_ended` tells the pages so.
    for (const latest of this.#latest.values()) if (latest.shown) latest.shown.active = false;
    this.#latest.clear();
    this.#context.log.info("session_ended", {
      session_id: this.id,
      reason,
      stream_s: Math.round(this.streamMs / 100) / 10,
      suggestions: this.#suggestionCount,
      alignment: this.#pipeline?.alignment,
    });
    // The ended session is kept for pages a while (endGraceMs): it keeps its results, not its analysis.
    this.#endedStreamMs = this.streamMs;
    this.#pipeline = null;
    this.#tips = null;
    this.#context.publish(this.id, { type: "call_ended", session_id: this.id, reason });
    return true;
  }

  /** Current state for a page that (re)connects. */
  snapshot(): SessionSnapshot {
    return {
      session_id: this.id,
      status: this.#status,
      started_at: new Date(this.createdAt).toISOString(),
      agent_track: this.#agentTrack,
      customer_last4: this.#customerLast4,
      metrics: this.#latestMetrics,
      suggestions: this.#suggestions.map((tip) => ({ ...tip })),
    };
  }

  #suggest(suggestion: Suggestion): void {
    // The id is taken now, in the engine's order: a tip still being worded may stop holding before it shows.
    const latest: LatestTip = { id: String(++this.#suggestionCount), shown: null, clearedAtMs: null };
    // A newer tip of a type replaces the older one, which then no longer counts as active.
    const replaced = this.#latest.get(suggestion.type);
    if (replaced?.shown) replaced.shown.active = false;
    this.#latest.set(suggestion.type, latest);
    if (this.#tips === null) this.#show(suggestion, rulesWording(suggestion), latest);
    else this.#tips.submit(suggestion, (wording) => this.#show(suggestion, wording, latest));
  }

  #show(suggestion: Suggestion, wording: TipWording, latest: LatestTip): void {
    if (this.#status === "ended") {
      // A stage broke its contract (nothing after close): never a tip after call_ended.
      this.#context.log.error("tip_after_end", { session_id: this.id, type: suggestion.type });
      return;
    }
    const data = suggestionData(suggestion, wording, latest.id, this.#context.now());
    latest.shown = { ...data, active: this.#latest.get(data.type) === latest };
    this.#suggestions.push(latest.shown);
    if (this.#suggestions.length > MAX_KEPT_SUGGESTIONS) this.#suggestions.shift();
    this.#context.log.info("suggestion", { session_id: this.id, ...data });
    this.#context.publish(this.id, { type: "suggestion", session_id: this.id, data });
    // It stopped holding while it was being worded: say so right after it.
    if (latest.clearedAtMs !== null) this.#cleared(latest);
  }

  #clear(type: SuggestionType, streamMs: number): void {
    const latest = this.#latest.get(type);
    if (!latest || latest.clearedAtMs !== null) return;
    latest.clearedAtMs = streamMs;
    if (latest.shown) this.#cleared(latest);
  }

  #cleared(latest: LatestTip): void {
    latest.shown!.active = false;
    this.#context.log.debug("suggestion_cleared", { session_id: this.id, suggestion_id: latest.id });
    this.#context.publish(this.id, {
      type: "suggestion_cleared",
      session_id: this.id,
      suggestion_id: latest.id,
      stream_ms: latest.clearedAtMs!,
    });
  }

  #metrics(metrics: CallMetrics): void {
    const data = metricsData(metrics);
    this.#latestMetrics = data;
    this.#context.publish(this.id, { type: "metrics", session_id: this.id, data });
  }
}
