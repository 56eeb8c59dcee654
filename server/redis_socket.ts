/**
 * Native connections to Redis on `Deno.connect` ({@linkcode RedisConnection}): where a `REDIS_URL` points,
 * opening a connection with its `AUTH`/`SELECT`, reading its replies, and connecting again after a drop for
 * as long as the server runs. The instance's writer (server/redis_writer.ts) and subscriber
 * (server/redis_subscriber.ts) are built on it; the reads stay on node-redis (server/redis_link.ts).
 *
 * The hot traffic goes through these sockets, not node-redis, because node-redis under Deno's Node layer
 * costs about twice the CPU per message (measured side by side, docs/performance.md).
 *
 * @module
 */
import { type Command, encodeCommands, type Reply, ReplyError, ReplyReader } from "./redis_resp.ts";

/** Where and how to connect, from a `redis://` or `rediss://` URL. */
export interface Target {
  hostname: string;
  port: number;
  tls: boolean;
  /** The commands that open a connection: `AUTH` and `SELECT`, as the URL asks. */
  handshake: Command[];
}

/** Longest wait between two reconnection attempts (and for one attempt). */
const MAX_RETRY_MS = 2_000;

/** What a {@linkcode RedisConnection} tells the writer or the subscriber built on it. */
export interface ConnectionUser {
  /** A connection is up: the first (`first`, from `open`) or a new one after a drop. */
  connected(conn: Deno.Conn, first: boolean): void;
  /** A reply Redis sent, in order. */
  reply(reply: Reply): void;
  /** The replies of one read have all been handed over. */
  afterRead?(): void;
  /** The connection is gone: `problem` says why, or is null when it was closed on purpose. */
  disconnected(problem: string | null): void;
}

/** One native connection to Redis that comes back by itself after a drop, until closed. */
export class RedisConnection {
  readonly #target: Target;
  readonly #user: ConnectionUser;
  readonly #readBytes: number;
  #conn: Deno.Conn | null = null;
  #retries = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(target: Target, user: ConnectionUser, readBytes: number) {
    this.#target = target;
    this.#user = user;
    this.#readBytes = readBytes;
  }

  /**
   * Connects to `url` within `timeoutMs`, sends the URL's `AUTH`/`SELECT`, and reads up to `readBytes` at
   * a time.
   *
   * @throws {Error} when Redis cannot be reached or refuses the handshake; the caller names `REDIS_URL`.
   */
  static async open(
    url: string,
    user: ConnectionUser,
    options: { timeoutMs: number; readBytes: number },
  ): Promise<RedisConnection> {
    const connection = new RedisConnection(parseTarget(url), user, options.readBytes);
    connection.#attach(await connectRedis(connection.#target, options.timeoutMs), true);
    return connection;
  }

  /** The connection while it is up. */
  get current(): Deno.Conn | null {
    return this.#conn;
  }

  /** Gives up `conn` (if it is still the current one) because of `problem`, and connects again. */
  lose(conn: Deno.Conn, problem: string): void {
    this.#drop(conn, problem);
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    if (this.#conn) this.#drop(this.#conn, null);
  }

  #attach(conn: Deno.Conn, first: boolean): void {
    this.#conn = conn;
    this.#retries = 0;
    this.#read(conn);
    this.#user.connected(conn, first);
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const replies = new ReplyReader((reply) => this.#user.reply(reply));
    const buffer = new Uint8Array(this.#readBytes);
    let problem = "Redis closed the connection";
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null || this.#conn !== conn) break;
        replies.feed(buffer.subarray(0, n));
        this.#user.afterRead?.();
      }
    } catch (error) {
      problem = `reading from Redis failed: ${(error as Error).message}`;
    }
    this.#drop(conn, problem);
  }

  #drop(conn: Deno.Conn, problem: string | null): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    try {
      conn.close();
    } catch {
      // Already closed by the runtime: nothing is left to release.
    }
    this.#user.disconnected(problem);
    if (!this.#closed) this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    this.#retry = setTimeout(() => {
      connectRedis(this.#target, MAX_RETRY_MS).then(
        (conn) => this.#closed ? conn.close() : this.#attach(conn, false),
        () => this.#closed || this.#scheduleRetry(),
      );
    }, retryDelay(this.#retries++));
  }
}

/** The wait before reconnection attempt `retries` (from 0): doubling, capped, with a little jitter. */
export function retryDelay(retries: number): number {
  // The jitter keeps a cluster's instances from reconnecting in step.
  return Math.min(50 * 2 ** retries, MAX_RETRY_MS) + Math.floor(Math.random() * 50);
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url);
  const handshake: Command[] = [];
  const password = decodeURIComponent(parsed.password);
  const username = decodeURIComponent(parsed.username);
  if (password) handshake.push(username ? ["AUTH", username, password] : ["AUTH", password]);
  const db = parsed.pathname.replace(/^\//, "");
  if (db && db !== "0") handshake.push(["SELECT", db]);
  return {
    // URL keeps an IPv6 host in brackets; Deno.connect wants it bare.
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: Number(parsed.port || 6379),
    tls: parsed.protocol === "rediss:",
    handshake,
  };
}

/**
 * Opens a connection to `target` within `timeoutMs` and runs its handshake.
 *
 * @throws {Error} when Redis cannot be reached or refuses the handshake.
 */
async function connectRedis(target: Target, timeoutMs: number): Promise<Deno.Conn> {
  const { hostname, port, tls, handshake } = target;
  const connecting = tls ? Deno.connectTls({ hostname, port }) : Deno.connect({ hostname, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let conn: Deno.Conn;
  try {
    conn = await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    // A connection that arrives after the timeout is closed, not leaked.
    connecting.then((late) => late.close(), () => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (handshake.length === 0) return conn;
  try {
    await writeAll(conn, encodeCommands(handshake));
    const replies: Reply[] = [];
    const reader = new ReplyReader((reply) => replies.push(reply));
    const buffer = new Uint8Array(512);
    while (replies.length < handshake.length) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("Redis closed the connection during AUTH/SELECT");
      reader.feed(buffer.subarray(0, n));
    }
    const refused = replies.find((reply) => reply instanceof ReplyError);
    if (refused) throw new Error(refused.message);
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}
