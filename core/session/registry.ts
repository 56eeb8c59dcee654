/**
 * The live calls, keyed by CallSid, and the pages that follow them.
 *
 * A session is created by the voice webhook or by the media `start`, runs while media flows, and ends on
 * `stop`, a terminal call status, the media socket closing, or `idleTimeoutMs` without media. An ended
 * session stays visible for `endGraceMs` (so a page reloaded after the call still shows its tips), then
 * {@linkcode SessionRegistry.sweep} drops it. The registry
 * owns no timers: the server calls `sweep(now)` about once a second, tests call it with any time.
 *
 * Messages of a session reach only the pages following that session or following every call, so
 * calls never leak into each other.
 *
 * @module
 */
import type { AnalysisConfig } from "../audio/config.ts";
import { BufferPool } from "../buffers.ts";
import type { CoachingConfig } from "../coaching/config.ts";
import type { TrackName } from "../protocol/twilio_messages.ts";
import type { Logger } from "../log.ts";
import type { ServerMessage, SessionSnapshot } from "../protocol/ui_messages.ts";
import { CallSession, type EndReason, type PipelineFactory, SessionStateError } from "./call_session.ts";
import type { SessionConfig } from "./config.ts";
import type { TipStageFactory } from "./tip_stage.ts";

/** Options for {@linkcode SessionRegistry}. */
export interface SessionRegistryOptions {
  analysis: AnalysisConfig;
  coaching: CoachingConfig;
  session: SessionConfig;
  /** Agent track of calls that do not say otherwise. */
  agentTrack: TrackName;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  log: Logger;
  /** Makes each call's analysis (default: a `CallPipeline`; tests give a stand-in). */
  pipelines?: PipelineFactory;
  /** What each call's tips pass through before pages see them (default: nothing). */
  tipStages?: TipStageFactory;
  /**
   * Receives every message of every call once its pages here have it: with `REDIS_URL`, the fan-out to
   * the other instances (server/fanout.ts). It must not block: the media socket publishes through it.
   */
  relay?: (sessionId: string, message: ServerMessage) => void;
}

/** How many ended CallSids are remembered to refuse replays (a few hundred KB at most). */
const RECENTLY_ENDED_LIMIT = 10_000;
/**
 * How many ended sessions a page following every call gets in `hello` (the most recent): enough for the
 * page's call picker, and the `hello` stays small however many calls ended within the grace period.
 */
export const ENDED_IN_OVERVIEW = 10;

/** Receives the messages of the sessions it follows. */
export type SessionListener = (message: ServerMessage) => void;

/**
 * Where a page's feed comes from: this registry alone, or, in a cluster, this registry and the calls of
 * the other instances (server/cluster_feed.ts).
 */
export interface PageFeed {
  /**
   * Sends `listener` a `hello` with the current state of `sessionId` (every call when null), then every
   * message about it, in order, until the returned function is called.
   */
  follow(sessionId: string | null, listener: SessionListener): () => void;
}

export { CallSession, type EndReason, SessionStateError };

/** All live coaching sessions of this process. */
export class SessionRegistry implements PageFeed {
  readonly #sessions = new Map<string, CallSession>();
  readonly #followersOfAll = new Set<SessionListener>();
  readonly #followersOf = new Map<string, Set<SessionListener>>();
  readonly #options: SessionRegistryOptions;
  /** CallSids of calls that ended recently: a replayed webhook or stream must not bring them back. */
  readonly #recentlyEnded = new Set<string>();
  /** Every call's rings come from here and go back when it ends (see core/buffers.ts). */
  readonly #buffers = new BufferPool();

  constructor(options: SessionRegistryOptions) {
    this.#options = options;
  }

  /** Sessions currently held (live, waiting, or ended within the grace period). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Bytes of typed arrays that ended calls gave back, waiting for the next call (diagnostics). */
  get idleBufferBytes(): number {
    return this.#buffers.idleBytes;
  }

  /** Whether a session is running, or one ended at or after `since` (wall ms). */
  busySince(since: number): boolean {
    for (const session of this.#sessions.values()) {
      if (session.endedAt === null || session.endedAt >= since) return true;
    }
    return false;
  }

  /** Sessions that have not ended. */
  get activeCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.status !== "ended") count++;
    return count;
  }

  get(sessionId: string): CallSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /** The sessions held, in creation order. */
  sessions(): IterableIterator<CallSession> {
    return this.#sessions.values();
  }

  /** Whether this call ended here: still held in its grace period, or remembered after it. */
  hasEnded(callSid: string): boolean {
    return this.#sessions.get(callSid)?.status === "ended" || this.#recentlyEnded.has(callSid);
  }

  /**
   * Returns the session of a call, creating it in the waiting state when it is new.
   * `agentTrack` defaults to the configured one.
   *
   * @throws {SessionStateError} when the call ended and was dropped already (a replayed request).
   */
  open(callSid: string, agentTrack: TrackName = this.#options.agentTrack): CallSession {
    const existing = this.#sessions.get(callSid);
    if (existing) return existing;
    if (this.#recentlyEnded.has(callSid)) {
      throw new SessionStateError(`call ${callSid} has already ended; a replayed request cannot reopen it`);
    }
    const session = new CallSession(callSid, agentTrack, {
      analysis: this.#options.analysis,
      coaching: this.#options.coaching,
      session: this.#options.session,
      now: this.#options.now,
      log: this.#options.log,
      publish: (sessionId, message) => this.#publish(sessionId, message),
      buffers: this.#buffers,
      pipelines: this.#options.pipelines,
      tipStages: this.#options.tipStages,
    });
    this.#sessions.set(callSid, session);
    this.#options.log.info("session_created", { session_id: callSid, agent_track: agentTrack });
    return session;
  }

  /** Ends a session if it exists and is running. Returns whether this call ended it. */
  end(sessionId: string, reason: EndReason): boolean {
    return this.#sessions.get(sessionId)?.end(reason) ?? false;
  }

  /** Ends every running session (server shutdown). */
  endAll(reason: EndReason): void {
    for (const session of this.#sessions.values()) session.end(reason);
  }

  /**
   * Ends sessions idle for `idleTimeoutMs` and drops sessions ended more than `endGraceMs` ago.
   * Call it periodically with the wall clock.
   */
  sweep(now: number): void {
    const { idleTimeoutMs, endGraceMs } = this.#options.session;
    for (const [id, session] of this.#sessions) {
      if (session.status !== "ended" && now - session.lastMediaAt >= idleTimeoutMs) {
        session.end("idle_timeout");
      }
      const endedAt = session.endedAt;
      if (endedAt !== null && now - endedAt >= endGraceMs) {
        this.#sessions.delete(id);
        this.#followersOf.delete(id);
        this.#rememberEnded(id);
        this.#options.log.debug("session_dropped", { session_id: id });
      }
    }
  }

  /**
   * Current state of one session, for `hello`; with `sessionId` null, of every running session and the
   * {@linkcode ENDED_IN_OVERVIEW} most recently ended ones, in the order they were created.
   */
  snapshot(sessionId: string | null): SessionSnapshot[] {
    if (sessionId !== null) {
      const session = this.#sessions.get(sessionId);
      return session ? [session.snapshot()] : [];
    }
    const sessions = [...this.#sessions.values()];
    const ended = sessions.filter((session) => session.endedAt !== null)
      .sort((a, b) => b.endedAt! - a.endedAt!)
      .slice(0, ENDED_IN_OVERVIEW);
    return sessions.filter((session) => session.endedAt === null || ended.includes(session))
      .map((session) => session.snapshot());
  }

  follow(sessionId: string | null, listener: SessionListener): () => void {
    const unsubscribe = this.subscribe(sessionId, listener);
    listener({ type: "hello", sessions: this.snapshot(sessionId) });
    return unsubscribe;
  }

  /**
   * Follows one session (or every session when `sessionId` is null). Returns the function that stops.
   */
  subscribe(sessionId: string | null, listener: SessionListener): () => void {
    if (sessionId === null) {
      this.#followersOfAll.add(listener);
      return () => this.#followersOfAll.delete(listener);
    }
    let set = this.#followersOf.get(sessionId);
    if (!set) this.#followersOf.set(sessionId, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#followersOf.get(sessionId) === set) this.#followersOf.delete(sessionId);
    };
  }

  #rememberEnded(callSid: string): void {
    this.#recentlyEnded.add(callSid);
    if (this.#recentlyEnded.size > RECENTLY_ENDED_LIMIT) {
      // Sets iterate in insertion order: forget the oldest.
      this.#recentlyEnded.delete(this.#recentlyEnded.values().next().value!);
    }
  }

  #publish(sessionId: string, message: ServerMessage): void {
    for (const listener of this.#followersOfAll) this.#deliver(listener, message);
    const followers = this.#followersOf.get(sessionId);
    if (followers) { for (const listener of followers) this.#deliver(listener, message); }
    this.#options.relay?.(sessionId, message);
  }

  #deliver(listener: SessionListener, message: ServerMessage): void {
    try {
      listener(message);
    } catch (error) {
      // A broken page connection must not stop the audio path or other pages; it is logged, not hidden.
      this.#options.log.error("listener_failed", { type: message.type, error });
    }
  }
}
