/**
 * The instance's subscription to the cluster's channels, on one native connection
 * (server/redis_socket.ts).
 *
 * Every batch of page messages that any instance publishes arrives here, so this is the busiest read of
 * an instance; that is why it is not node-redis. A dropped connection is retried for as long as the server
 * runs, and every channel is subscribed again on the new one before the subscriber counts as ready:
 * messages published while it was down are not recovered (the cluster feed reads the registry again
 * instead).
 *
 * @module
 */
import {
  closeQuietly,
  connectRedis,
  encodeCommands,
  MAX_RETRY_MS,
  parseTarget,
  type Reply,
  ReplyError,
  ReplyReader,
  retryDelay,
  type Target,
  writeAll,
} from "./redis_socket.ts";

/** What the subscriber tells its owner. */
export interface SubscriberEvents {
  /** Subscribed on a new connection (`null`), or the connection went down (what happened). */
  onState(problem: string | null): void;
}

/** Called with each message published on its channel. */
export type MessageListener = (message: string) => void;

/** A connection that only listens. */
export class RedisSubscriber {
  readonly #target: Target;
  readonly #events: SubscriberEvents;
  readonly #listeners = new Map<string, MessageListener>();
  #conn: Deno.Conn | null = null;
  /** Channels Redis has confirmed on the current connection. */
  readonly #confirmed = new Set<string>();
  #waiters: { channel: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  #retries = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(target: Target, events: SubscriberEvents) {
    this.#target = target;
    this.#events = events;
  }

  /**
   * Connects to `url` (within `timeoutMs`) and sends the URL's `AUTH`/`SELECT`.
   *
   * @throws {Error} when Redis cannot be reached or refuses the handshake; the caller names `REDIS_URL`.
   */
  static async open(url: string, events: SubscriberEvents, timeoutMs: number): Promise<RedisSubscriber> {
    const subscriber = new RedisSubscriber(parseTarget(url), events);
    subscriber.#attach(await connectRedis(subscriber.#target, timeoutMs), false);
    return subscriber;
  }

  /** Whether the connection is up and Redis has confirmed every channel on it. */
  get ready(): boolean {
    return this.#conn !== null && this.#confirmed.size === this.#listeners.size;
  }

  /**
   * Calls `listener` with every message on `channel`, from now on and after every reconnection. Resolves
   * once Redis has confirmed the subscription.
   *
   * @throws {Error} when the connection is down or drops before Redis confirms.
   */
  subscribe(channel: string, listener: MessageListener): Promise<void> {
    if (this.#listeners.has(channel)) throw new Error(`already subscribed to ${channel}`);
    const conn = this.#conn;
    if (conn === null) return Promise.reject(new Error("not connected to Redis"));
    this.#listeners.set(channel, listener);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ channel, resolve, reject });
      this.#send(conn, [channel]);
    });
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    const conn = this.#conn;
    if (conn) this.#lose(conn, null);
  }

  /** Starts using `conn`; `announce`: tell the owner once subscribed (not for the first connection). */
  #attach(conn: Deno.Conn, announce = true): void {
    this.#conn = conn;
    this.#retries = 0;
    this.#confirmed.clear();
    this.#read(conn, announce);
    if (this.#listeners.size > 0) this.#send(conn, [...this.#listeners.keys()]);
    else if (announce) this.#events.onState(null);
  }

  #send(conn: Deno.Conn, channels: string[]): void {
    writeAll(conn, encodeCommands([["SUBSCRIBE", ...channels]])).catch((error: Error) =>
      this.#lose(conn, `writing to Redis failed: ${error.message}`)
    );
  }

  async #read(conn: Deno.Conn, announce: boolean): Promise<void> {
    let pendingAnnouncement = announce;
    const replies = new ReplyReader((reply) => {
      this.#onReply(reply);
      if (pendingAnnouncement && this.ready) {
        pendingAnnouncement = false;
        this.#events.onState(null);
      }
    });
    const buffer = new Uint8Array(64 * 1024);
    let problem = "Redis closed the connection";
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        replies.feed(buffer.subarray(0, n));
      }
    } catch (error) {
      problem = `reading from Redis failed: ${(error as Error).message}`;
    }
    this.#lose(conn, problem);
  }

  /** A push from Redis: `message` (channel, text) or `subscribe` (channel, count); anything else is a fault. */
  #onReply(reply: Reply): void {
    if (Array.isArray(reply) && reply.length === 3 && typeof reply[1] === "string") {
      const [kind, channel, payload] = reply;
      if (kind === "message" && typeof payload === "string") {
        this.#listeners.get(channel)?.(payload);
        return;
      }
      if (kind === "subscribe") {
        this.#confirmed.add(channel);
        this.#settle(channel, null);
        return;
      }
    }
    // Redis refuses a SUBSCRIBE only when the connection itself is wrong (e.g. a RESP3 or ACL problem):
    // say so on the channel's promise and in the link's state rather than going on deaf.
    const problem = reply instanceof ReplyError ? reply.message : `unexpected reply ${JSON.stringify(reply)}`;
    if (this.#conn) this.#lose(this.#conn, `subscribing failed: ${problem}`);
  }

  /** Settles the promises waiting on `channel` (every one, with `error`, when `channel` is null). */
  #settle(channel: string | null, error: Error | null): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (channel !== null && waiter.channel !== channel) this.#waiters.push(waiter);
      else if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  /** Gives up `conn`; reconnects unless closed. */
  #lose(conn: Deno.Conn, problem: string | null): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    this.#confirmed.clear();
    closeQuietly(conn);
    this.#settle(null, new Error(problem ?? "closed before Redis confirmed the subscription"));
    if (this.#closed) return;
    this.#events.onState(problem ?? "closed");
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    this.#retry = setTimeout(() => {
      connectRedis(this.#target, MAX_RETRY_MS).then(
        (conn) => this.#closed ? conn.close() : this.#attach(conn),
        () => this.#closed || this.#scheduleRetry(),
      );
    }, retryDelay(this.#retries++));
  }
}
