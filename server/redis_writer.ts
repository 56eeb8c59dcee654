/**
 * The instance's writes to Redis, in order, on one native connection, without waiting for Redis.
 *
 * Every write of an instance (page-message batches, registry entries, tip streams, control messages) goes
 * through here as pipelined RESP commands on a `Deno.connect` socket. Replies are read only to count the
 * commands Redis refused. The reads and the subscription stay on node-redis (server/redis_link.ts). The
 * writes have their own connection because a batch goes out up to a hundred times a second per instance,
 * and node-redis's pipelines under Deno's Node layer cost about twice the CPU per batch that this socket
 * does (measured side by side, docs/performance.md). One connection for all writes also keeps them in order:
 * a call's "ended" entry can never be overtaken by an older "live" one.
 *
 * Nothing waits here: {@linkcode RedisWriter.send} queues bytes and returns. While the connection is down or
 * more than {@linkcode MAX_QUEUED_BYTES} wait for a slow Redis, it refuses at once and the caller counts the
 * loss. A dropped connection is retried for as long as the server runs.
 *
 * @module
 */

/** One Redis command: its name and arguments. */
export type Command = readonly string[];

/** Bytes that may wait for a slow Redis; beyond them {@linkcode RedisWriter.send} refuses. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Longest wait between two reconnection attempts. */
const MAX_RETRY_MS = 2_000;

/** What the writer tells its owner. */
export interface WriterEvents {
  /** The connection came up (`null`) or went down (what happened). */
  onState(problem: string | null): void;
  /** Commands lost: refused by Redis, or sent on a connection that dropped before Redis answered them. */
  onLost(commands: number, reason: string): void;
}

/** Where and how to connect, from a `redis://` or `rediss://` URL. */
interface Target {
  hostname: string;
  port: number;
  tls: boolean;
  /** The commands that open a connection: `AUTH` and `SELECT`, as the URL asks. */
  handshake: Command[];
}

/** A pipelined, fire-and-forget connection for an instance's writes. */
export class RedisWriter {
  readonly #target: Target;
  readonly #events: WriterEvents;
  #conn: Deno.Conn | null = null;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #queuedCommands = 0;
  #writing = false;
  /** Commands sent and answered over the writer's life (a dropped connection's unanswered ones count as answered). */
  #sent = 0;
  #answered = 0;
  #waiters: { until: number; resolve: () => void }[] = [];
  #retries = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(target: Target, events: WriterEvents) {
    this.#target = target;
    this.#events = events;
  }

  /**
   * Connects to `url` (within `timeoutMs`) and sends the URL's `AUTH`/`SELECT`.
   *
   * @throws {Error} when Redis cannot be reached or refuses the handshake; the caller names `REDIS_URL`.
   */
  static async open(url: string, events: WriterEvents, timeoutMs: number): Promise<RedisWriter> {
    const writer = new RedisWriter(parseTarget(url), events);
    writer.#attach(await writer.#connect(timeoutMs), false);
    return writer;
  }

  /** Whether writes can be sent now. */
  get ready(): boolean {
    return this.#conn !== null;
  }

  /** Queues `commands` for Redis; false, and nothing sent, while disconnected or too far behind. */
  send(commands: readonly Command[]): boolean {
    const conn = this.#conn;
    if (conn === null || commands.length === 0) return conn !== null;
    const bytes = encodeCommands(commands);
    if (this.#queuedBytes + bytes.length > MAX_QUEUED_BYTES) return false;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#queuedCommands += commands.length;
    if (!this.#writing) this.#pump(conn);
    return true;
  }

  /** Waits (at most `timeoutMs`) until Redis has answered every command sent so far. */
  async drain(timeoutMs: number): Promise<void> {
    const until = this.#sent + this.#queuedCommands;
    if (this.#answered >= until) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#waiters.push({ until, resolve });
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    const conn = this.#conn;
    if (conn) this.#lose(conn, null);
  }

  async #connect(timeoutMs: number): Promise<Deno.Conn> {
    const { hostname, port, tls, handshake } = this.#target;
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
      const replies = new ReplyReader();
      const buffer = new Uint8Array(512);
      while (replies.count < handshake.length) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("Redis closed the connection during AUTH/SELECT");
        replies.feed(buffer.subarray(0, n));
      }
      if (replies.firstError !== null) throw new Error(replies.firstError);
      return conn;
    } catch (error) {
      conn.close();
      throw error;
    }
  }

  /** Starts using `conn`; `announce`: tell the owner (not for the first connection, which `open` returns). */
  #attach(conn: Deno.Conn, announce = true): void {
    this.#conn = conn;
    this.#retries = 0;
    this.#read(conn);
    if (announce) this.#events.onState(null);
  }

  async #pump(conn: Deno.Conn): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && this.#conn === conn) {
        const chunk = this.#queue.length === 1 ? this.#queue[0] : concat(this.#queue, this.#queuedBytes);
        this.#queue = [];
        this.#sent += this.#queuedCommands;
        this.#queuedCommands = 0;
        await writeAll(conn, chunk);
        this.#queuedBytes -= chunk.length;
      }
    } catch (error) {
      this.#lose(conn, `writing to Redis failed: ${(error as Error).message}`);
    } finally {
      this.#writing = false;
    }
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const replies = new ReplyReader();
    const buffer = new Uint8Array(16 * 1024);
    let problem = "Redis closed the connection";
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const before = replies.count;
        replies.feed(buffer.subarray(0, n));
        this.#answered += replies.count - before;
        if (replies.errors > 0) {
          this.#events.onLost(replies.errors, `Redis refused them (${replies.firstError})`);
          replies.clearErrors();
        }
        this.#wake();
      }
    } catch (error) {
      problem = `reading from Redis failed: ${(error as Error).message}`;
    }
    this.#lose(conn, problem);
  }

  /** Gives up `conn`: what it had not had answered is lost; reconnects unless closed. */
  #lose(conn: Deno.Conn, problem: string | null): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    try {
      conn.close();
    } catch {
      // Already closed by the runtime: nothing is left to release.
    }
    const lost = this.#sent + this.#queuedCommands - this.#answered;
    this.#sent += this.#queuedCommands;
    this.#answered = this.#sent;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#queuedCommands = 0;
    this.#wake();
    if (lost > 0) this.#events.onLost(lost, "the connection to Redis dropped before Redis answered them");
    if (this.#closed) return;
    this.#events.onState(problem ?? "closed");
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    // A little jitter, so a cluster does not reconnect in step.
    const wait = Math.min(50 * 2 ** this.#retries++, MAX_RETRY_MS) + Math.floor(Math.random() * 50);
    this.#retry = setTimeout(() => {
      this.#connect(MAX_RETRY_MS).then(
        (conn) => this.#closed ? conn.close() : this.#attach(conn),
        () => this.#closed || this.#scheduleRetry(),
      );
    }, wait);
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (waiter.until <= this.#answered) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }
}

/** Commands of the common kinds, as the instance writes them. */
export const commands = {
  /** `SET key value PX ms`. */
  set: (key: string, value: string, ms: number): Command => ["SET", key, value, "PX", String(Math.ceil(ms))],
  pExpire: (key: string, ms: number): Command => ["PEXPIRE", key, String(Math.ceil(ms))],
  del: (key: string): Command => ["DEL", key],
  publish: (channel: string, message: string): Command => ["PUBLISH", channel, message],
  /** `XADD key [MAXLEN ~ cap] * field value …`. */
  xAdd: (key: string, fields: Record<string, string>, cap?: number): Command => [
    "XADD",
    key,
    ...(cap === undefined ? [] : ["MAXLEN", "~", String(cap)]),
    "*",
    ...Object.entries(fields).flat(),
  ],
};

function parseTarget(url: string): Target {
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = encoder.encode("\r\n");

/** RESP arrays of bulk strings, as Redis reads commands. */
export function encodeCommands(commands: readonly Command[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const command of commands) {
    let header = `*${command.length}\r\n`;
    for (const argument of command) {
      const bytes = encoder.encode(argument);
      const prefix = encoder.encode(`${header}$${bytes.length}\r\n`);
      header = "";
      parts.push(prefix, bytes, CRLF);
      size += prefix.length + bytes.length + CRLF.length;
    }
  }
  return concat(parts, size);
}

/**
 * Counts complete RESP2 replies in a byte stream and notes the errors among them. Replies may arrive
 * split across reads; what is not complete yet is kept for the next.
 */
export class ReplyReader {
  count = 0;
  errors = 0;
  firstError: string | null = null;
  #pending: Uint8Array = new Uint8Array(0);

  feed(bytes: Uint8Array): void {
    const data = this.#pending.length === 0 ? bytes : concat([this.#pending, bytes]);
    let offset = 0;
    for (;;) {
      const end = this.#reply(data, offset, true);
      if (end < 0) break;
      offset = end;
      this.count++;
    }
    this.#pending = data.slice(offset);
  }

  clearErrors(): void {
    this.errors = 0;
    this.firstError = null;
  }

  /** The offset after the reply at `offset`, or -1 when it is not all there yet. */
  #reply(data: Uint8Array, offset: number, topLevel: boolean): number {
    const lineEnd = findCrlf(data, offset);
    if (lineEnd < 0) return -1;
    const kind = data[offset];
    const line = () => decoder.decode(data.subarray(offset + 1, lineEnd));
    switch (kind) {
      case 0x2d: // "-": an error
        if (topLevel) {
          this.errors++;
          this.firstError ??= line();
        }
        return lineEnd + 2;
      case 0x2b: // "+"
      case 0x3a: // ":"
        return lineEnd + 2;
      case 0x24: { // "$": a bulk string
        const length = Number(line());
        if (length < 0) return lineEnd + 2;
        const end = lineEnd + 2 + length + 2;
        return end <= data.length ? end : -1;
      }
      case 0x2a: { // "*": an array
        const length = Number(line());
        let next = lineEnd + 2;
        for (let i = 0; i < length && next >= 0; i++) next = this.#reply(data, next, false);
        return next;
      }
      default:
        throw new Error(`Redis sent a reply that is not RESP2 (first byte ${kind})`);
    }
  }
}

function findCrlf(data: Uint8Array, from: number): number {
  for (let i = from; i + 1 < data.length; i++) {
    if (data[i] === 0x0d && data[i + 1] === 0x0a) return i;
  }
  return -1;
}

function concat(
  parts: readonly Uint8Array[],
  size = parts.reduce((sum, part) => sum + part.length, 0),
): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}
