/**
 * An instance's link to the cluster's Redis: a node-redis connection for reads, a native one for every
 * write (server/redis_writer.ts) and a native one for pub/sub (server/redis_subscriber.ts: a subscribed
 * connection can run nothing else), and whether the link works.
 *
 * The link is `ok` while the three connections are ready and Redis answers a `PING` within
 * {@linkcode PING_TIMEOUT_MS}; otherwise `down`. Dropped connections are retried for as long as the server
 * runs, and the subscriber's channels come back with it. Nothing is queued while a connection is down
 * (`disableOfflineQueue`), and no more than the writer's byte cap or {@linkcode MAX_QUEUED_COMMANDS} reads
 * while Redis is slow: writes are given up at once and counted, so a dead or slow Redis costs no memory that
 * grows.
 *
 * @module
 */
import { createClient } from "redis";
import { ConfigError } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import type { Command } from "./redis_resp.ts";
import { retryDelay } from "./redis_socket.ts";
import { type MessageListener, RedisSubscriber } from "./redis_subscriber.ts";
import { RedisWriter } from "./redis_writer.ts";

/** A node-redis client as this module creates it. */
export type RedisClient = ReturnType<typeof newClient>;

/** Whether the link works. */
export type LinkState = "ok" | "down";

/** How long the first connection may take before the server gives up with an error naming `REDIS_URL`. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How often Redis is asked whether it still answers. */
export const PING_INTERVAL_MS = 1_000;
/** A `PING` unanswered this long means Redis is stalled: the link counts as down. */
export const PING_TIMEOUT_MS = 2_000;
/** Reads waiting for Redis; beyond them a read fails at once ("queue is full"). */
export const MAX_QUEUED_COMMANDS = 5_000;
/** Dropped writes are logged at most this often. */
const DROP_LOG_MS = 10_000;

/** Options for {@linkcode RedisLink.open}. */
export interface RedisLinkOptions {
  url: string;
  log: Logger;
  /** How long the first connection may take (default {@linkcode CONNECT_TIMEOUT_MS}). */
  connectTimeoutMs?: number;
}

/** The three connections to Redis and their common state. */
export class RedisLink {
  readonly #log: Logger;
  readonly #listeners = new Set<(state: LinkState) => void>();
  #state: LinkState = "ok";
  #pingSentAt: number | null = null;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #dropped = 0;
  #droppedLogged = 0;
  #lastDropLog = -Infinity;
  #dropReason = "";
  #writer!: RedisWriter;
  #subscriber!: RedisSubscriber;

  private constructor(
    /**
     * Reads: the registry, the replay streams, `PING`. Writes go through {@linkcode RedisLink.write},
     * subscriptions through {@linkcode RedisLink.subscribe}.
     */
    readonly commands: RedisClient,
    log: Logger,
  ) {
    this.#log = log;
  }

  /**
   * Opens the three connections.
   *
   * @throws {ConfigError} naming `REDIS_URL` when Redis cannot be reached (or refuses the credentials)
   *   within the connect timeout.
   */
  static async open(options: RedisLinkOptions): Promise<RedisLink> {
    const limit = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const shown = redactedUrl(options.url);
    const connect = async (name: string): Promise<RedisClient> => {
      const startedAt = Date.now();
      let connected = false;
      // At start a Redis that cannot be reached is a configuration error; once connected, every drop is
      // retried.
      const client = newClient(
        options.url,
        name,
        Math.min(limit, 2_000),
        (retries, cause) => !connected && Date.now() - startedAt >= limit ? cause : retryDelay(retries),
      );
      client.on("ready", () => connected = true);
      // node-redis reports every failed attempt here; the link logs the changes of state instead.
      client.on("error", () => {});
      try {
        await client.connect();
        return client;
      } catch (error) {
        client.destroy();
        throw new ConfigError(
          "REDIS_URL",
          `could not connect to ${shown} within ${limit} ms (${(error as Error).message}): start Redis ` +
            "there, fix the URL (and its password), or leave REDIS_URL unset to run one self-contained process",
        );
      }
    };
    const commands = await connect("live-call-coach");
    const link = new RedisLink(commands, options.log);
    const native = async <T>(what: string, open: () => Promise<T>): Promise<T> => {
      try {
        return await open();
      } catch (error) {
        link.close();
        throw new ConfigError(
          "REDIS_URL",
          `could not open the ${what} connection to ${shown} within ${limit} ms ` +
            `(${(error as Error).message})`,
        );
      }
    };
    link.#writer = await native("write", () =>
      RedisWriter.open(options.url, {
        onState: (problem) => link.#update(problem === null ? null : `writes: ${problem}`),
        onLost: (count, reason) => link.#drop(count, reason),
      }, limit));
    link.#subscriber = await native("subscriber", () =>
      RedisSubscriber.open(options.url, {
        onState: (problem) => link.#update(problem === null ? null : `subscriber: ${problem}`),
      }, limit));
    link.#watch();
    return link;
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Calls `listener` on every change of state; returns the function that stops it. */
  onState(listener: (state: LinkState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Items (page messages, registry writes) given up since start because Redis was down or behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Sends writes without waiting for them: the audio path calls this. While the link is down, or Redis is
   * too far behind, they are given up at once; writes Redis refuses are given up then. Either way `items`
   * (or each refused command) are counted in {@linkcode RedisLink.dropped}, and the count is logged now and
   * then.
   */
  write(commands: readonly Command[], items = commands.length): void {
    if (this.#state === "down" || !this.#writer.send(commands)) {
      this.#drop(items, this.#state === "down" ? "Redis is down" : "Redis fell too far behind");
    }
  }

  #drop(items: number, reason: string): void {
    this.#dropped += items;
    this.#dropReason = reason;
    const now = Date.now();
    if (now - this.#lastDropLog < DROP_LOG_MS) return;
    this.#lastDropLog = now;
    this.#log.warn("redis_writes_dropped", {
      dropped: this.#dropped - this.#droppedLogged,
      dropped_total: this.#dropped,
      reason: this.#dropReason,
    });
    this.#droppedLogged = this.#dropped;
  }

  /**
   * Calls `listener` with every message published on `channel`, also after Redis comes back; resolves once
   * Redis has confirmed the subscription.
   */
  subscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#subscriber.subscribe(channel, listener);
  }

  /** Waits (at most `timeoutMs`) until Redis has answered the writes sent so far. */
  async drain(timeoutMs: number): Promise<void> {
    await this.#writer.drain(timeoutMs);
  }

  /** Closes the connections (pending commands fail). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pinger);
    this.commands.destroy();
    this.#writer?.close();
    this.#subscriber?.close();
  }

  #watch(): void {
    this.commands.on("error", (error: Error) => this.#update(`commands: ${error.message}`));
    this.commands.on("ready", () => this.#update(null));
    this.commands.on("end", () => this.#update("commands: connection closed"));
    this.#pinger = setInterval(() => this.#ping(), PING_INTERVAL_MS);
  }

  #ping(): void {
    const sentAt = this.#pingSentAt;
    if (sentAt !== null) {
      if (Date.now() - sentAt > PING_TIMEOUT_MS) this.#update(`no answer to PING for ${PING_TIMEOUT_MS} ms`);
      return;
    }
    if (!this.commands.isReady) return this.#update("commands: not connected");
    this.#pingSentAt = Date.now();
    this.commands.ping().then(
      () => {
        this.#pingSentAt = null;
        this.#update(null);
      },
      (error: Error) => {
        this.#pingSentAt = null;
        this.#update(`PING failed: ${error.message}`);
      },
    );
  }

  /** Recomputes the state; `problem` is what just went wrong (null: something just went right). */
  #update(problem: string | null): void {
    // Until `open` has all three connections there is no state to change (the first PING reads it).
    if (this.#closed || this.#subscriber === undefined) return;
    const works = problem === null && this.commands.isReady && this.#subscriber.ready &&
      this.#writer.ready && this.#pingSentAt === null;
    const next: LinkState = works ? "ok" : "down";
    if (next === this.#state) return;
    this.#state = next;
    if (next === "down") {
      this.#log.warn("redis_down", {
        reason: problem ?? "a connection is not ready",
        effect: "calls here are coached and their pages served as usual; pages here lose the calls of " +
          "other instances (they see the feed degraded) until Redis is back",
      });
    } else this.#log.info("redis_ok", {});
    for (const listener of this.#listeners) listener(next);
  }
}

function newClient(
  url: string,
  name: string,
  connectTimeout: number,
  reconnectStrategy: (retries: number, cause: Error) => number | Error,
) {
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    socket: { connectTimeout, reconnectStrategy },
  });
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return "the REDIS_URL";
  if (parsed.password) parsed.password = "***";
  return parsed.href;
}
