/**
 * The cluster's live-call registry in Redis: which instance coaches which call, since when, and in what
 * state, plus each call's recent tips for pages that (re)connect on another instance.
 *
 * This instance writes the entries of its own calls: when a stream starts and when it ends, and renews
 * them (and its own instance key) four times per `registryTtlMs`, so the entries of an instance that dies
 * expire within that time. An ended call's entry and tips stay as long as the call's session stays on its
 * instance (`endGraceMs`), so a page reloaded on any instance shows the call's tips as it would there.
 * Every write goes through `RedisLink.fire`: never awaited, given up and counted when Redis is down. When
 * the link comes back (after a Redis restart everything is gone), the entries and the tips of the calls
 * still held here are written again.
 *
 * The reads serve pages and the check that remote calls still exist (server/cluster_feed.ts).
 *
 * @module
 */
import type { ServerMessage, SuggestionData } from "../core/protocol/ui_messages.ts";
import type { CallSession, SessionRegistry } from "../core/session/registry.ts";
import type { FanoutPublisher } from "./fanout.ts";
import type { RedisLink } from "./redis_link.ts";
import { commands } from "./redis_writer.ts";
import {
  CALL_KEY_PATTERN,
  type CallEntry,
  callKey,
  clearedEntry,
  instanceKey,
  MAX_TIP_STREAM_ENTRIES,
  parseCallEntry,
  replayedTips,
  tipEntry,
  tipsKey,
} from "./redis_wire.ts";
/** Keys read per `MGET` or pipeline. */
const READ_CHUNK = 500;

/** Options for {@linkcode CallDirectory}. */
export interface CallDirectoryOptions {
  link: RedisLink;
  instanceId: string;
  registry: SessionRegistry;
  /** How long an entry lives without renewal (`session.registryTtlMs`). */
  ttlMs: number;
  /** How long an ended call stays listed (`session.endGraceMs`). */
  endGraceMs: number;
  /** The batches a call's writes go out with (one write to Redis for both). */
  publisher: FanoutPublisher;
}

/** This instance's side of the registry: its entries, and what it reads of the others'. */
export class CallDirectory {
  readonly #link: RedisLink;
  readonly #instanceId: string;
  readonly #registry: SessionRegistry;
  readonly #ttlMs: number;
  /** How long an ended call's entry and tips stay: its grace period, and at least one TTL. */
  readonly #endedMs: number;
  readonly #publisher: FanoutPublisher;
  #renewer: ReturnType<typeof setInterval> | undefined;
  readonly #liveEntries = new WeakMap<CallSession, string>();

  constructor(options: CallDirectoryOptions) {
    this.#link = options.link;
    this.#instanceId = options.instanceId;
    this.#registry = options.registry;
    this.#ttlMs = options.ttlMs;
    this.#endedMs = Math.max(options.endGraceMs, options.ttlMs);
    this.#publisher = options.publisher;
  }

  /** How often entries are renewed. */
  get renewMs(): number {
    return Math.floor(this.#ttlMs / 4);
  }

  /** Writes the instance key and starts renewing; writes everything again whenever the link comes back. */
  start(): void {
    this.renew();
    this.#renewer = setInterval(() => this.renew(), this.renewMs);
    this.#link.onState((state) => {
      if (state === "ok") this.#rewrite();
    });
  }

  /** Stops renewing and removes the instance key (its calls have ended and said so by then). */
  close(): void {
    clearInterval(this.#renewer);
    this.#link.write([commands.del(instanceKey(this.#instanceId))]);
  }

  /** Records what a message of a call here changes in the registry: its start, a tip and its end, its end. */
  record(sessionId: string, message: ServerMessage): void {
    switch (message.type) {
      case "suggestion":
        return this.#addToStream(sessionId, tipEntry(message.data));
      case "suggestion_cleared":
        return this.#addToStream(sessionId, clearedEntry(message.suggestion_id));
      case "stream_started":
      case "call_ended": {
        const session = this.#registry.get(sessionId);
        if (!session) return;
        const entry = JSON.stringify(this.#entryOf(session));
        const lifetime = session.status === "ended" ? this.#endedMs : this.#ttlMs;
        this.#publisher.enqueue(commands.set(callKey(sessionId), entry, lifetime));
        if (session.status === "ended") {
          this.#publisher.enqueue(commands.pExpire(tipsKey(sessionId), lifetime));
        }
      }
    }
  }

  #addToStream(sessionId: string, fields: Record<string, string>): void {
    const key = tipsKey(sessionId);
    this.#publisher.enqueue(
      commands.xAdd(key, fields, MAX_TIP_STREAM_ENTRIES),
      commands.pExpire(key, this.#ttlMs),
    );
  }

  /** Renews the instance key and the entries (and tip streams) of every live call here. */
  renew(): void {
    const live = [...this.#registry.sessions()].filter((session) => session.status === "live");
    const writes = [commands.set(instanceKey(this.#instanceId), String(Date.now()), this.#ttlMs)];
    for (const session of live) {
      // SET, not PEXPIRE: an entry that expired anyway (this process stalled longer than the TTL) comes back.
      writes.push(
        commands.set(callKey(session.id), this.#liveEntry(session), this.#ttlMs),
        commands.pExpire(tipsKey(session.id), this.#ttlMs),
      );
    }
    this.#link.write(writes, 1 + live.length);
  }

  /**
   * After the link was down: the entries and tip streams of the calls held here, live or ended within their
   * grace period, as they are now.
   */
  #rewrite(): void {
    const now = Date.now();
    const writes = [commands.set(instanceKey(this.#instanceId), String(now), this.#ttlMs)];
    for (const session of this.#registry.sessions()) {
      if (session.status === "waiting") continue;
      const lifetime = session.endedAt === null ? this.#ttlMs : this.#endedMs - (now - session.endedAt);
      if (lifetime <= 0) continue;
      const key = tipsKey(session.id);
      writes.push(
        commands.set(callKey(session.id), JSON.stringify(this.#entryOf(session)), lifetime),
        commands.del(key),
        ...session.snapshot().suggestions.map((tip) => commands.xAdd(key, tipEntry(tip))),
        commands.pExpire(key, lifetime),
      );
    }
    this.#link.write(writes, 1);
  }

  /** Every entry in the registry (all instances'). */
  async list(): Promise<CallEntry[]> {
    const keys: string[] = [];
    for await (const batch of this.#link.commands.scanIterator({ MATCH: CALL_KEY_PATTERN, COUNT: 1000 })) {
      keys.push(...batch);
    }
    const entries = await this.#getAll(keys);
    return entries.filter((entry): entry is CallEntry => entry !== null);
  }

  /** The entries of `sessionIds`, in order; null where there is none. */
  entries(sessionIds: readonly string[]): Promise<(CallEntry | null)[]> {
    return this.#getAll(sessionIds.map(callKey));
  }

  /** Which of `instanceIds` are alive (their key exists). */
  async liveInstances(instanceIds: readonly string[]): Promise<Set<string>> {
    const values = await this.#link.commands.mGet(instanceIds.map(instanceKey));
    return new Set(instanceIds.filter((_, i) => values[i] !== null));
  }

  /** The tips in the replay streams of `sessionIds`, oldest first, as {@linkcode replayedTips} reads them. */
  async tips(sessionIds: readonly string[]): Promise<Map<string, SuggestionData[]>> {
    const tips = new Map<string, SuggestionData[]>();
    for (let from = 0; from < sessionIds.length; from += READ_CHUNK) {
      const chunk = sessionIds.slice(from, from + READ_CHUNK);
      const reads = this.#link.commands.multi();
      for (const id of chunk) reads.xRange(tipsKey(id), "-", "+");
      const replies = await reads.execAsPipeline() as unknown as { message: Record<string, string> }[][];
      chunk.forEach((id, i) => {
        tips.set(id, replayedTips((replies[i] ?? []).map((entry) => entry.message)));
      });
    }
    return tips;
  }

  async #getAll(keys: readonly string[]): Promise<(CallEntry | null)[]> {
    const entries: (CallEntry | null)[] = [];
    for (let from = 0; from < keys.length; from += READ_CHUNK) {
      const values = await this.#link.commands.mGet(keys.slice(from, from + READ_CHUNK));
      for (const value of values) entries.push(parseCallEntry(value));
    }
    return entries;
  }

  /** A live call's entry as JSON, made once (it does not change while the call runs). */
  #liveEntry(session: CallSession): string {
    let json = this.#liveEntries.get(session);
    if (json === undefined) this.#liveEntries.set(session, json = JSON.stringify(this.#entryOf(session)));
    return json;
  }

  #entryOf(session: CallSession): CallEntry {
    return {
      session_id: session.id,
      instance: this.#instanceId,
      status: session.status,
      started_at: new Date(session.createdAt).toISOString(),
      agent_track: session.agentTrack,
      customer_last4: session.customerLast4,
      ...(session.endedAt === null ? {} : {
        end_reason: session.endReason ?? "ended",
        ended_at: new Date(session.endedAt).toISOString(),
      }),
    };
  }
}
