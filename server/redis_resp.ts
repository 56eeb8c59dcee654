/**
 * RESP2, the protocol Redis speaks: commands encoded as Redis reads them, and replies read back out of a
 * byte stream. One copy for every native connection (server/redis_socket.ts).
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
