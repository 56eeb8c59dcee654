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
import { encodeCommands, type Reply, ReplyError } from "./redis_resp.ts";
import { RedisConnection, writeAll } from "./redis_socket.ts";

/** What the subscriber tells its owner. */
export interface SubscriberEvents {
  /** Subscribed on a new connection (`null`), or the connection went down (what happened). */
  onState(problem: string | null): void;
}

/** Called with each message published on its channel. */
export type MessageListener = (message: string) => void;

/** A connection that only listens. */
export class RedisSubscriber {
  readonly #events: SubscriberEvents;
  readonly #listeners = new Map<string, MessageListener>();
  #connection!: RedisConnection;
  /** Channels Redis has confirmed on the current connection. */
  readonly #confirmed = new Set<string>();
  /** The current connection is a new one, not announced until every channel is confirmed on it. */
  #announce = false;
  #waiters: { channel: string; resolve: () => void; reject: (error: Error) => void }[] = [];

  private constructor(events: SubscriberEvents) {
    this.#events = events;
  }

  /**
   * Connects to `url` (within `timeoutMs`) and sends the URL's `AUTH`/`SELECT`.
   *
   * @throws {Error} when Redis cannot be reached or refuses the handshake; the caller names `REDIS_URL`.
   */
  static async open(url: string, events: SubscriberEvents, timeoutMs: number): Promise<RedisSubscriber> {
    const subscriber = new RedisSubscriber(events);
    subscriber.#connection = await RedisConnection.open(url, {
      connected: (conn, first) => subscriber.#connected(conn, first),
      reply: (reply) => subscriber.#reply(reply),
      disconnected: (problem) => subscriber.#disconnected(problem),
    }, { timeoutMs, readBytes: 64 * 1024 });
    return subscriber;
  }

  /** Whether the connection is up and, after a reconnection, Redis has confirmed every channel again. */
  get ready(): boolean {
    return this.#connection.current !== null && !this.#announce;
  }

  /**
   * Calls `listener` with every message on `channel`, from now on and after every reconnection. Resolves
   * once Redis has confirmed the subscription.
   *
   * @throws {Error} when the connection is down or drops before Redis confirms.
   */
  subscribe(channel: string, listener: MessageListener): Promise<void> {
    if (this.#listeners.has(channel)) throw new Error(`already subscribed to ${channel}`);
    const conn = this.#connection.current;
    if (conn === null) return Promise.reject(new Error("not connected to Redis"));
    this.#listeners.set(channel, listener);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ channel, resolve, reject });
      this.#send(conn, [channel]);
    });
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#connection.close();
  }

  /** A new connection subscribes to every channel again; the first (from `open`) has none yet. */
  #connected(conn: Deno.Conn, first: boolean): void {
    this.#confirmed.clear();
    this.#announce = !first;
    if (this.#listeners.size > 0) this.#send(conn, [...this.#listeners.keys()]);
    else if (this.#announce) this.#announced();
  }

  #send(conn: Deno.Conn, channels: string[]): void {
    writeAll(conn, encodeCommands([["SUBSCRIBE", ...channels]])).catch((error: Error) =>
      this.#connection.lose(conn, `writing to Redis failed: ${error.message}`)
    );
  }

  /** A push from Redis: `message` (channel, text) or `subscribe` (channel, count); anything else is a fault. */
  #reply(reply: Reply): void {
    if (Array.isArray(reply) && reply.length === 3 && typeof reply[1] === "string") {
      const [kind, channel, payload] = reply;
      if (kind === "message" && typeof payload === "string") {
        this.#listeners.get(channel)?.(payload);
        return;
      }
      if (kind === "subscribe") {
        this.#confirmed.add(channel);
        this.#settle(channel, null);
        if (this.#announce && this.#confirmed.size === this.#listeners.size) this.#announced();
        return;
      }
    }
    // Redis refuses a SUBSCRIBE only when the connection itself is wrong (e.g. a RESP3 or ACL problem):
    // say so on the channel's promise and in the link's state rather than going on deaf.
    const problem = reply instanceof ReplyError ? reply.message : `unexpected reply ${JSON.stringify(reply)}`;
    const conn = this.#connection.current;
    if (conn) this.#connection.lose(conn, `subscribing failed: ${problem}`);
  }

  #announced(): void {
    this.#announce = false;
    this.#events.onState(null);
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

  #disconnected(problem: string | null): void {
    this.#settle(null, new Error(problem ?? "closed before Redis confirmed the subscription"));
    if (problem !== null) this.#events.onState(problem);
  }
}
