/**
 * The cluster's live-call registry in Redis: which instance coaches which call, since when, and in what
 * state, plus each call's recent tips for pages that (re)connect on another instance.
 *
 * This instance writes the entries of its own calls: when a stream starts and when it ends, and renews
 * them (and its own instance key) four times per `registryTtlMs`, so the entries of an instance that dies
 * expire within that time. Every write goes through `RedisLink.fire`: never awaited, given up and counted
 * when Redis is down. When the link comes back (after a Redis restart everything is gone), the entries and
 * the tips of the calls still live here are written again.
 *
 * The reads serve pages and the check that remote calls still exist (server/cluster_feed.ts).
 *
 * @module
 */
import type { ServerMessage, SuggestionData } from "../core/protocol/ui_messages.ts";
import type { CallSession, SessionRegistry } from "../core/session/registry.ts";
import type { FanoutPublisher } from "./fanout.ts";
import type { RedisLink } from "./redis_link.ts";
import {
  CALL_KEY_PATTERN,
  type CallEntry,
  callKey,
  instanceKey,
  parseCallEntry,
  parseTip,
  tipsKey,
} from "./redis_wire.ts";

/** How long an ended call's entry stays (with its end reason) for instances that missed the end. */
export const ENDED_ENTRY_MS = 60_000;
/** Tips kept per call in its replay stream: more than the 30 s replay window holds at any tip rate. */
export const MAX_TIPS_PER_CALL = 64;
/** Keys read per `MGET` or pipeline. */
const READ_CHUNK = 500;

/** Options for {@linkcode CallDirectory}. */
export interface CallDirectoryOptions {
  link: RedisLink;
  instanceId: string;
  registry: SessionRegistry;
  /** How long an entry lives without renewal (`session.registryTtlMs`). */
  ttlMs: number;
  /** The batches a call's writes go out with (one write to Redis for both). */
  publisher: FanoutPublisher;
}

/** This instance's side of the registry: its entries, and what it reads of the others'. */
export class CallDirectory {
  readonly #link: RedisLink;
  readonly #instanceId: string;
  readonly #registry: SessionRegistry;
  readonly #ttlMs: number;
  readonly #publisher: FanoutPublisher;
  #renewer: ReturnType<typeof setInterval> | undefined;

  constructor(options: CallDirectoryOptions) {
    this.#link = options.link;
    this.#instanceId = options.instanceId;
    this.#registry = options.registry;
    this.#ttlMs = options.ttlMs;
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
    this.#link.fire((redis) => redis.del(instanceKey(this.#instanceId)));
  }

  /** Records what a message of a call here changes in the registry: its start, a tip, its end. */
  record(sessionId: string, message: ServerMessage): void {
    if (message.type === "suggestion") {
      const key = tipsKey(sessionId);
      const data = JSON.stringify(message.data);
      this.#publisher.enqueue((pipeline) =>
        pipeline
          .xAdd(key, "*", { data }, {
            TRIM: { strategy: "MAXLEN", strategyModifier: "=", threshold: MAX_TIPS_PER_CALL },
          })
          .pExpire(key, this.#ttlMs)
      );
      return;
    }
    if (message.type !== "stream_started" && message.type !== "call_ended") return;
    const session = this.#registry.get(sessionId);
    if (!session) return;
    const ended = message.type === "call_ended";
    const entry = this.#entryOf(session, ended ? message.reason : undefined);
    const lifetime = ended ? ENDED_ENTRY_MS : this.#ttlMs;
    this.#publisher.enqueue((pipeline) => {
      pipeline.set(callKey(sessionId), JSON.stringify(entry), {
        expiration: { type: "PX", value: lifetime },
      });
      if (ended) pipeline.pExpire(tipsKey(sessionId), ENDED_ENTRY_MS);
    });
  }

  /** Renews the instance key and the entries (and tip streams) of every live call here. */
  renew(): void {
    const live = [...this.#registry.sessions()].filter((session) => session.status === "live");
    this.#link.fire((redis) => {
      const writes = redis.multi().set(instanceKey(this.#instanceId), String(Date.now()), {
        expiration: { type: "PX", value: this.#ttlMs },
      });
      for (const session of live) {
        writes.set(callKey(session.id), JSON.stringify(this.#entryOf(session)), {
          expiration: { type: "PX", value: this.#ttlMs },
        });
        writes.pExpire(tipsKey(session.id), this.#ttlMs);
      }
      return writes.execAsPipeline();
    }, 1 + live.length);
  }

  /** After the link was down: the entries, and the tip streams of live calls here, as they are now. */
  #rewrite(): void {
    this.renew();
    for (const session of this.#registry.sessions()) {
      if (session.status !== "live") continue;
      const tips = session.snapshot().recent_suggestions;
      const key = tipsKey(session.id);
      this.#link.fire((redis) => {
        const writes = redis.multi().del(key);
        for (const tip of tips) writes.xAdd(key, "*", { data: JSON.stringify(tip) });
        return writes.pExpire(key, this.#ttlMs).exec();
      });
    }
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

  /** The tips in the replay streams of `sessionIds`, oldest first. */
  async tips(sessionIds: readonly string[]): Promise<Map<string, SuggestionData[]>> {
    const tips = new Map<string, SuggestionData[]>();
    for (let from = 0; from < sessionIds.length; from += READ_CHUNK) {
      const chunk = sessionIds.slice(from, from + READ_CHUNK);
      const reads = this.#link.commands.multi();
      for (const id of chunk) reads.xRange(tipsKey(id), "-", "+");
      const replies = await reads.execAsPipeline() as unknown as { message: Record<string, string> }[][];
      chunk.forEach((id, i) => {
        const list = (replies[i] ?? []).map((entry) => parseTip(entry.message.data));
        tips.set(id, list.filter((tip): tip is SuggestionData => tip !== null));
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

  #entryOf(session: CallSession, endReason?: string): CallEntry {
    return {
      session_id: session.id,
      instance: this.#instanceId,
      status: endReason === undefined ? session.status : "ended",
      started_at: new Date(session.createdAt).toISOString(),
      agent_track: session.agentTrack,
      ...(endReason === undefined ? {} : { end_reason: endReason }),
    };
  }
}
