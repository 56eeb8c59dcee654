/**
 * The pages' feed in a cluster: the calls coached here (from the {@linkcode SessionRegistry}) and the calls
 * coached on the other instances (from Redis), behind the one `follow` that `/ws/ui` uses.
 *
 * Other instances' messages arrive in batches on `lcc:ui`. This instance keeps a small view of their calls
 * (entry, latest metrics, end) for `hello`, takes their tips from the calls' replay streams when a page
 * (re)connects, and passes each message, as the text it arrived in, to the pages following it; a message
 * no page here follows is not even parsed. Ended calls stay in the view as long as their instance keeps
 * them (`endGraceMs`), so a page reloaded here after a call shows what it would show there.
 *
 * When the link to Redis is down, pages here that follow other instances' calls get `feed_status`
 * `degraded` (this instance's own calls go on as usual); when it is back, the view is read again from the
 * registry and those pages get `ok` and a fresh `hello`. A remote call whose entry disappears from the
 * registry (its instance died and stopped renewing it) ends here with the reason `instance_lost`.
 *
 * @module
 */
import type { Logger } from "../core/log.ts";
import {
  type FeedStatus,
  type MetricsData,
  MetricsDataSchema,
  type ServerMessage,
  ServerMessageSchema,
  type SessionSnapshot,
  type SuggestionData,
} from "../core/protocol/ui_messages.ts";
import {
  ENDED_IN_OVERVIEW,
  type PageFeed,
  type SessionListener,
  type SessionRegistry,
} from "../core/session/registry.ts";
import type { CallDirectory } from "./call_directory.ts";
import type { LinkState, RedisLink } from "./redis_link.ts";
import {
  type BatchItem,
  type CallEntry,
  CONTROL_CHANNEL,
  ControlMessageSchema,
  decodeBatch,
  encodeBatch,
  UI_CHANNEL,
} from "./redis_wire.ts";
import { withSerialized } from "./serialized.ts";
import { commands } from "./redis_writer.ts";

/**
 * After the link comes back, how long before the view is read again: the other instances write their
 * entries and tips again as soon as their own link is back (after a Redis restart the registry is empty),
 * and each connection retries at most every 2 s, so another instance may be back up to that much later.
 */
export const RESYNC_DELAY_MS = 2_500;
/** Bad messages from Redis are logged at most this often. */
const BAD_MESSAGE_LOG_MS = 10_000;

/** Options for {@linkcode ClusterFeed}. */
export interface ClusterFeedOptions {
  registry: SessionRegistry;
  link: RedisLink;
  directory: CallDirectory;
  instanceId: string;
  log: Logger;
  /** How long an ended call stays listed (`session.endGraceMs`). */
  endGraceMs: number;
  /** Wall clock, ms. */
  now: () => number;
}

/** A call coached on another instance, as this one knows it. */
interface RemoteCall {
  entry: CallEntry;
  /** The latest `metrics` message, as it arrived (parsed only for a hello). */
  metricsJson: string | null;
  /** Wall time it was seen ending here. */
  endedAt: number | null;
}

/** A page following one call or every call. */
interface Follower {
  sessionId: string | null;
  listener: SessionListener;
  /** Messages held while its `hello` is being made. */
  held: ServerMessage[] | null;
  /** Counts its hellos, so an older one still being made is not sent. */
  generation: number;
  /** Whether it was told the feed is degraded. */
  degraded: boolean;
  active: boolean;
}

const DEGRADED_MESSAGE = "Coaching feed degraded: calls coached on other servers are not updated here " +
  "until this server reaches them again. It recovers by itself.";
const OK_MESSAGE = "Coaching feed restored.";

/** The cluster's calls, for pages on this instance. */
export class ClusterFeed implements PageFeed {
  readonly #options: ClusterFeedOptions;
  readonly #remote = new Map<string, RemoteCall>();
  readonly #followers = new Set<Follower>();
  readonly #followersOfAll = new Set<Follower>();
  readonly #followersOf = new Map<string, Set<Follower>>();
  /** Calls heard of before their entry: looked up once. */
  readonly #lookups = new Set<string>();
  /** Wall time the link last came back and the view was read again; null while it is down. */
  #syncedAt: number | null = null;
  #checking = false;
  /** The link came back and the view is being read again (see `#onLink`). */
  #resyncing = false;
  /** The first line of this instance's own batches (`encodeBatch` with no items). */
  readonly #ownBatchHead: string;
  #resyncTimer: ReturnType<typeof setTimeout> | undefined;
  #lastBadLog = -Infinity;
  #closed = false;

  constructor(options: ClusterFeedOptions) {
    this.#options = options;
    this.#ownBatchHead = encodeBatch(options.instanceId, []);
  }

  /** Subscribes to the cluster's channels and reads the registry. */
  async start(): Promise<void> {
    const { link } = this.#options;
    await link.subscribe(UI_CHANNEL, (text) => this.#onBatch(text));
    await link.subscribe(CONTROL_CHANNEL, (text) => this.#onControl(text));
    link.onState((state) => this.#onLink(state));
    await this.#resync();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#resyncTimer);
  }

  /** Calls not ended in the whole cluster, as this instance knows them. */
  get clusterSessions(): number {
    let count = this.#options.registry.activeCount;
    for (const call of this.#remote.values()) if (call.entry.status !== "ended") count++;
    return count;
  }

  follow(sessionId: string | null, listener: SessionListener): () => void {
    const follower: Follower = {
      sessionId,
      listener,
      held: null,
      generation: 0,
      degraded: false,
      active: true,
    };
    this.#followers.add(follower);
    if (sessionId === null) this.#followersOfAll.add(follower);
    else {
      let set = this.#followersOf.get(sessionId);
      if (!set) this.#followersOf.set(sessionId, set = new Set());
      set.add(follower);
    }
    const stopLocal = this.#options.registry.subscribe(
      sessionId,
      (message) => this.#deliver(follower, message),
    );
    this.#hello(follower);
    return () => {
      follower.active = false;
      stopLocal();
      this.#followers.delete(follower);
      this.#followersOfAll.delete(follower);
      if (sessionId === null) return;
      const set = this.#followersOf.get(sessionId);
      set?.delete(follower);
      if (set?.size === 0) this.#followersOf.delete(sessionId);
    };
  }

  /** Once a second: forgets calls ended long enough ago, and checks that remote calls still exist. */
  sweep(now: number): void {
    for (const [id, call] of this.#remote) {
      if (call.endedAt !== null && now - call.endedAt >= this.#options.endGraceMs) this.#remote.delete(id);
    }
    const synced = this.#syncedAt;
    // Other instances write their entries again within one renewal of their link coming back.
    if (synced === null || now - synced < this.#options.directory.renewMs + RESYNC_DELAY_MS) return;
    if (this.#checking) return;
    this.#checking = true;
    this.#checkRemote().catch((error) => this.#options.log.warn("cluster_check_failed", { error }))
      .finally(() => this.#checking = false);
  }

  /** Sends `follower` a hello of what it follows now, holding its live messages until then. */
  #hello(follower: Follower): void {
    const generation = ++follower.generation;
    const { registry, link, directory } = this.#options;
    const { sessionId } = follower;
    const local = registry.snapshot(sessionId);
    const finish = (remote: RemoteCall[], tips: Map<string, SuggestionData[]>) => {
      if (!follower.active || follower.generation !== generation) return;
      const sessions = this.#overview(local, remote.map((call) => this.#snapshotOf(call, tips)));
      const held = follower.held ?? [];
      follower.held = null;
      this.#send(follower, { type: "hello", sessions });
      for (const message of held) this.#send(follower, message);
      if (link.state === "down" && this.#followsRemote(follower)) this.#tell(follower, "degraded");
    };
    const known = this.#remoteCalls(sessionId, local);
    // A call this instance has not heard of may still be in the registry: it started before this instance
    // joined, or it ended within its grace period and was forgotten here.
    const lookUp = sessionId !== null && local.length === 0 && known.length === 0;
    if ((known.length === 0 && !lookUp) || link.state === "down") return finish(known, new Map());
    follower.held ??= [];
    (async () => {
      if (lookUp) {
        const [entry] = await directory.entries([sessionId]);
        if (entry && !this.#remote.has(sessionId)) this.#adopt(entry);
      }
      const remote = this.#remoteCalls(sessionId, local);
      const tips = remote.length === 0
        ? new Map()
        : await directory.tips(remote.map((call) => call.entry.session_id));
      finish(remote, tips);
    })().catch((error) => {
      this.#options.log.warn("cluster_replay_failed", {
        error,
        effect: "the page gets its hello without the tips of calls coached elsewhere",
      });
      finish(this.#remoteCalls(sessionId, local), new Map());
    });
  }

  /** The remote calls a hello for `sessionId` includes (none that this instance coaches). */
  #remoteCalls(sessionId: string | null, local: SessionSnapshot[]): RemoteCall[] {
    if (sessionId !== null) {
      const call = this.#remote.get(sessionId);
      return call && local.length === 0 ? [call] : [];
    }
    return [...this.#remote.values()];
  }

  /**
   * A hello's sessions, oldest first. Following every call: every call not ended and the
   * {@linkcode ENDED_IN_OVERVIEW} that ended most recently in the cluster, as one process lists its own.
   */
  #overview(local: SessionSnapshot[], remote: SessionSnapshot[]): SessionSnapshot[] {
    const all = [...local, ...remote];
    const endedAt = (snapshot: SessionSnapshot) =>
      this.#options.registry.get(snapshot.session_id)?.endedAt ??
        this.#remote.get(snapshot.session_id)?.endedAt ?? 0;
    const ended = all.filter((snapshot) => snapshot.status === "ended");
    if (ended.length > ENDED_IN_OVERVIEW) {
      const kept = new Set(
        ended.sort((a, b) => endedAt(b) - endedAt(a)).slice(0, ENDED_IN_OVERVIEW).map((s) => s.session_id),
      );
      return all.filter((s) => s.status !== "ended" || kept.has(s.session_id)).sort(byStart);
    }
    return all.sort(byStart);
  }

  #snapshotOf(call: RemoteCall, tips: Map<string, SuggestionData[]>): SessionSnapshot {
    const ended = call.entry.status === "ended";
    const suggestions = tips.get(call.entry.session_id) ?? [];
    return {
      session_id: call.entry.session_id,
      status: call.entry.status,
      started_at: call.entry.started_at,
      agent_track: call.entry.agent_track,
      customer_last4: call.entry.customer_last4,
      metrics: this.#metricsOf(call),
      // Nothing holds once the call is over (`call_ended` told the pages so).
      suggestions: ended ? suggestions.map((tip) => ({ ...tip, active: false })) : suggestions,
    };
  }

  #metricsOf(call: RemoteCall): MetricsData | null {
    if (call.metricsJson === null) return null;
    const message = this.#parse(call.metricsJson);
    const parsed = message?.type === "metrics" ? MetricsDataSchema.safeParse(message.data) : null;
    return parsed?.success ? parsed.data : null;
  }

  #followsRemote(follower: Follower): boolean {
    return follower.sessionId === null || !this.#options.registry.get(follower.sessionId);
  }

  #deliver(follower: Follower, message: ServerMessage): void {
    if (!follower.active) return;
    if (follower.held !== null) follower.held.push(message);
    else this.#send(follower, message);
  }

  #send(follower: Follower, message: ServerMessage): void {
    try {
      follower.listener(message);
    } catch (error) {
      // A broken page connection must not stop the feed of the others; it is logged, not hidden.
      this.#options.log.error("listener_failed", { type: message.type, error });
    }
  }

  #tell(follower: Follower, status: FeedStatus): void {
    follower.degraded = status === "degraded";
    this.#deliver(follower, {
      type: "feed_status",
      status,
      message: status === "degraded" ? DEGRADED_MESSAGE : OK_MESSAGE,
    });
  }

  #onBatch(text: string): void {
    // This instance's own messages reached its pages before they were published: its own batches (half of
    // what a cluster of two receives) are dropped on their first line, before any splitting.
    if (text.startsWith(this.#ownBatchHead)) return;
    const batch = decodeBatch(text);
    if (batch === null) return this.#bad("a page-message batch that does not parse", text);
    if (this.#resyncing) return;
    for (const item of batch.items) this.#onItem(batch.instance, item);
  }

  #onItem(instance: string, item: BatchItem): void {
    const id = item.sessionId;
    const followers = this.#followersOf.get(id);
    let message: ServerMessage | null = null;
    const parsed = () => message ??= this.#parse(item.json);
    let call = this.#remote.get(id);
    switch (item.type) {
      case "stream_started": {
        const started = parsed();
        if (started?.type !== "stream_started" || started.session_id !== id) return;
        call = {
          entry: {
            session_id: id,
            instance,
            status: "live",
            started_at: started.started_at,
            agent_track: started.agent_track,
            customer_last4: started.customer_last4,
          },
          metricsJson: null,
          endedAt: null,
        };
        this.#remote.set(id, call);
        break;
      }
      case "metrics":
        if (call) {
          call.metricsJson = item.json;
        } else this.#lookUp(id);
        break;
      case "call_ended": {
        const ended = parsed();
        if (ended?.type !== "call_ended") return;
        if (call) this.#markEnded(call, ended.reason);
        break;
      }
      case "suggestion":
      case "suggestion_cleared":
        if (!call) this.#lookUp(id);
        break;
      default:
        return this.#bad(`a message of unknown type ${JSON.stringify(item.type)}`, item.json);
    }
    if (!followers && this.#followersOfAll.size === 0) return;
    const delivered = parsed();
    if (delivered === null || !("session_id" in delivered) || delivered.session_id !== id) return;
    this.#deliverAll(id, delivered);
  }

  /** Delivers a message of call `sessionId` to the pages following it or every call. */
  #deliverAll(sessionId: string, message: ServerMessage): void {
    for (const follower of this.#followersOfAll) this.#deliver(follower, message);
    const followers = this.#followersOf.get(sessionId);
    if (followers) { for (const follower of followers) this.#deliver(follower, message); }
  }

  /** A message from Redis, validated, serializing as the text it came in; null (logged) if it is not one. */
  #parse(json: string): ServerMessage | null {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      this.#bad("a page message that is not JSON", json);
      return null;
    }
    const result = ServerMessageSchema.safeParse(value);
    if (!result.success) {
      this.#bad(`a page message that breaks the protocol (${result.error.issues[0]?.message})`, json);
      return null;
    }
    return withSerialized(result.data, json);
  }

  #bad(what: string, text: string): void {
    const now = this.#options.now();
    if (now - this.#lastBadLog < BAD_MESSAGE_LOG_MS) return;
    this.#lastBadLog = now;
    this.#options.log.warn("cluster_message_rejected", {
      reason: `Redis delivered ${what}`,
      text: text.slice(0, 200),
    });
  }

  /** A call heard of before its entry (this instance joined after it started): its entry is read once. */
  #lookUp(sessionId: string): void {
    if (this.#lookups.has(sessionId) || this.#closed) return;
    this.#lookups.add(sessionId);
    this.#options.directory.entries([sessionId]).then(([entry]) => {
      if (entry && entry.status !== "ended" && !this.#remote.has(sessionId)) this.#adopt(entry);
    }, (error) => this.#options.log.warn("cluster_lookup_failed", { session_id: sessionId, error }))
      .finally(() => this.#lookups.delete(sessionId));
  }

  /** Adds a remote call to the view, unless it is this instance's or ended longer than the grace period ago. */
  #adopt(entry: CallEntry): void {
    if (entry.instance === this.#options.instanceId) return;
    const now = this.#options.now();
    const endedAt = entry.status !== "ended" ? null : Math.min(now, Date.parse(entry.ended_at ?? "") || now);
    if (endedAt !== null && now - endedAt >= this.#options.endGraceMs) return;
    this.#remote.set(entry.session_id, { entry, metricsJson: null, endedAt });
  }

  #onControl(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#bad("a control message that is not JSON", text);
    }
    const result = ControlMessageSchema.safeParse(value);
    if (!result.success) return this.#bad("a control message that breaks the protocol", text);
    // Only the instance coaching the call has it; for the others this does nothing.
    this.#options.registry.end(result.data.session_id, result.data.reason);
  }

  /** Asks the instance coaching `sessionId` to end it (Twilio told this instance the call is over). */
  requestEnd(sessionId: string, reason: "call_completed"): void {
    const message = JSON.stringify({ type: "end", session_id: sessionId, reason });
    this.#options.link.write([commands.publish(CONTROL_CHANNEL, message)]);
  }

  #onLink(state: LinkState): void {
    clearTimeout(this.#resyncTimer);
    if (state === "down") {
      this.#syncedAt = null;
      for (const follower of this.#followers) {
        if (!follower.degraded && this.#followsRemote(follower)) this.#tell(follower, "degraded");
      }
      return;
    }
    // Until the pages have their fresh hello, the other instances' messages are left out: the hello has
    // all they carry (the registry and the tip streams are written before a batch is published), and a
    // tip shown before the hello would come before the older tips the hello brings.
    this.#resyncing = true;
    const resync = () => {
      this.#resyncTimer = setTimeout(() => {
        this.#resync().then(() => {
          for (const follower of this.#followers) {
            if (follower.degraded) this.#tell(follower, "ok");
            this.#hello(follower);
          }
          this.#resyncing = false;
        }, (error) => {
          this.#options.log.warn("cluster_resync_failed", { error, effect: "tried again in a second" });
          if (this.#options.link.state === "ok" && !this.#closed) resync();
        });
      }, RESYNC_DELAY_MS);
    };
    resync();
  }

  /** Reads the registry into the view: calls this instance did not know of, and ends it missed. */
  async #resync(): Promise<void> {
    for (const entry of await this.#options.directory.list()) {
      if (entry.instance === this.#options.instanceId) continue;
      const known = this.#remote.get(entry.session_id);
      if (!known) {
        this.#adopt(entry);
      } else if (entry.status === "ended" && known.entry.status !== "ended") {
        this.#endRemote(known, entry.end_reason ?? "ended");
      }
    }
    this.#syncedAt = this.#options.now();
  }

  /** Ends the remote calls whose entry is gone or ended: their instance died, or the end passed unseen. */
  async #checkRemote(): Promise<void> {
    const live = [...this.#remote.values()].filter((call) => call.entry.status !== "ended");
    if (live.length === 0) return;
    const { directory } = this.#options;
    const entries = await directory.entries(live.map((call) => call.entry.session_id));
    const gone: { call: RemoteCall; entry: CallEntry | null }[] = [];
    live.forEach((call, i) => {
      const entry = entries[i];
      if (entry === null || entry.status === "ended") gone.push({ call, entry });
    });
    if (gone.length === 0) return;
    const alive = await directory.liveInstances([...new Set(gone.map(({ call }) => call.entry.instance))]);
    gone.forEach(({ call, entry }) => {
      const reason = entry?.end_reason ?? (alive.has(call.entry.instance) ? "ended" : "instance_lost");
      if (reason === "instance_lost") {
        this.#options.log.warn("remote_call_lost", {
          session_id: call.entry.session_id,
          instance: call.entry.instance,
          reason: "its instance stopped renewing the registry (it died or lost Redis)",
        });
      }
      this.#endRemote(call, reason);
    });
  }

  #endRemote(call: RemoteCall, reason: string): void {
    if (!this.#markEnded(call, reason)) return;
    const id = call.entry.session_id;
    this.#deliverAll(id, { type: "call_ended", session_id: id, reason });
  }

  /** Records a remote call's end; false if it had ended already. */
  #markEnded(call: RemoteCall, reason: string): boolean {
    if (call.entry.status === "ended") return false;
    const now = this.#options.now();
    call.entry = {
      ...call.entry,
      status: "ended",
      end_reason: reason,
      ended_at: new Date(now).toISOString(),
    };
    call.endedAt = now;
    return true;
  }
}

function byStart(a: SessionSnapshot, b: SessionSnapshot): number {
  return a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0;
}
