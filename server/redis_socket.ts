/**
 * Native connections to Redis on `Deno.connect`: where a `REDIS_URL` points, opening a connection with its
 * `AUTH`/`SELECT`, and RESP2 both ways. The instance's writer (server/redis_writer.ts) and subscriber
 * (server/redis_subscriber.ts) are built on it; the reads stay on node-redis (server/redis_link.ts).
 *
 * The hot traffic goes through these sockets, not node-redis, because node-redis under Deno's Node layer
 * costs about twice the CPU per message (measured side by side, docs/performance.md).
 *
 * @module
 */

/** One Redis command: its name and arguments. */
export type Command = readonly string[];

/** A reply Redis sent: a simple or bulk string, an integer, a nil, an error or an array of replies. */
export type Reply = string | number | null | ReplyError | Reply[];

/** An error reply (`-ERR …`), as a value: a refused command does not break the connection. */
export class ReplyError {
  constructor(readonly message: string) {}
}

/** Where and how to connect, from a `redis://` or `rediss://` URL. */
export interface Target {
  hostname: string;
  port: number;
  tls: boolean;
  /** The commands that open a connection: `AUTH` and `SELECT`, as the URL asks. */
  handshake: Command[];
}

/** Longest wait between two reconnection attempts. */
export const MAX_RETRY_MS = 2_000;

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
export async function connectRedis(target: Target, timeoutMs: number): Promise<Deno.Conn> {
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

/** Closes `conn` if the runtime has not already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the runtime: nothing is left to release.
  }
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

/** What {@linkcode ReplyReader} returns while a reply has not all arrived. */
const INCOMPLETE = Symbol("incomplete");

/**
 * Reads RESP2 replies out of a byte stream and hands each complete one to `onReply`, in order. Replies may
 * arrive split across reads; what is not complete yet is kept for the next.
 */
export class ReplyReader {
  readonly #onReply: (reply: Reply) => void;
  #pending: Uint8Array = new Uint8Array(0);
  /** Where the reply being read continues. */
  #at = 0;

  constructor(onReply: (reply: Reply) => void) {
    this.#onReply = onReply;
  }

  feed(bytes: Uint8Array): void {
    const data = this.#pending.length === 0 ? bytes : concat([this.#pending, bytes]);
    let done = 0;
    for (;;) {
      this.#at = done;
      const reply = this.#reply(data);
      if (reply === INCOMPLETE) break;
      done = this.#at;
      this.#onReply(reply);
    }
    this.#pending = data.slice(done);
  }

  #reply(data: Uint8Array): Reply | typeof INCOMPLETE {
    const start = this.#at;
    const lineEnd = findCrlf(data, start);
    if (lineEnd < 0) return INCOMPLETE;
    const line = decoder.decode(data.subarray(start + 1, lineEnd));
    this.#at = lineEnd + 2;
    switch (data[start]) {
      case 0x2b: // "+"
        return line;
      case 0x2d: // "-"
        return new ReplyError(line);
      case 0x3a: // ":"
        return Number(line);
      case 0x24: { // "$": a bulk string
        const length = Number(line);
        if (length < 0) return null;
        const end = this.#at + length;
        if (end + 2 > data.length) return INCOMPLETE;
        const text = decoder.decode(data.subarray(this.#at, end));
        this.#at = end + 2;
        return text;
      }
      case 0x2a: { // "*": an array
        const length = Number(line);
        if (length < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < length; i++) {
          const item = this.#reply(data);
          if (item === INCOMPLETE) return INCOMPLETE;
          items.push(item);
        }
        return items;
      }
      default:
        throw new Error(`Redis sent a reply that is not RESP2 (first byte ${data[start]})`);
    }
  }
}

function findCrlf(data: Uint8Array, from: number): number {
  for (let i = data.indexOf(0x0d, from); i >= 0 && i + 1 < data.length; i = data.indexOf(0x0d, i + 1)) {
    if (data[i + 1] === 0x0a) return i;
  }
  return -1;
}

export function concat(
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

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}
