/**
 * A minimal RFC 6455 WebSocket client over a raw TCP connection (`Deno.connect`), built for the load
 * generator: many sockets, small text frames, as little CPU per frame as possible.
 *
 * Why not Deno's `WebSocket`: each `send()` there is its own op and its own write syscall. Here a caller
 * queues any number of frames and {@linkcode RawWebSocket.flush} hands them to the kernel in ONE write, so a
 * call's two tracks of a 20 ms slot (and any catch-up slots) cost one syscall, and the server reads them in
 * one read as well.
 *
 * What it does, per RFC 6455:
 * - Opening handshake (§4.1): HTTP/1.1 `GET` with `Upgrade: websocket`, a random 16-byte
 *   `Sec-WebSocket-Key` and any extra headers; it checks the `101` status, `Upgrade`, `Connection` and
 *   `Sec-WebSocket-Accept` (base64 of SHA-1 of key + GUID, via `crypto.subtle`), and refuses extensions or
 *   subprotocols it did not offer. Any failure rejects `connect` with the reason.
 * - Client frames are masked (§5.3) with a FRESH random 32-bit key per frame, as the RFC asks. Keys come
 *   from a pool filled by `crypto.getRandomValues` 64 KB at a time (16,384 keys per call), so a key costs
 *   four byte reads. Masking XORs 32-bit words (a `Uint32Array` over the queue buffer, with the key rotated
 *   to the payload's alignment) and only the unaligned head and tail byte by byte: measured on a 376-byte
 *   media frame, byte-wise masking cost ~390 ns per frame built, word-wise ~270 ns (including building it).
 * - Writes: frames are queued in a buffer; `flush()` starts one write of everything queued. While a write
 *   is pending no second write starts on the connection: new frames queue in a second buffer and go out in
 *   one write as soon as the first completes. Partial writes continue from where they stopped. Flushes that
 *   found the previous write still pending are counted in `writeWaits`: either the kernel's socket buffer
 *   was full (the server is not reading) or this process's event loop did not get to the write's
 *   completion in time (the generator itself is starved of CPU).
 * - Reads: server frames must be unmasked, with RSV bits clear. `ping` is answered with a masked `pong`
 *   carrying the same payload (§5.5.2); text messages go to `onText` if set; a `close` frame records its
 *   code (1005 when it has none), is echoed, and the connection ends when the server closes TCP (or after
 *   {@linkcode CLOSE_WAIT_MS}). EOF without a close frame records 1006. A protocol violation by the server
 *   closes with 1002 (1007 for invalid UTF-8, 1009 for an oversized message) and records an error.
 *
 * Not supported (the benchmark needs none of it): `wss:`, extensions, subprotocols, sending fragmented or
 * binary messages.
 *
 * @module
 */

/** RFC 6455 opcodes. */
export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** The GUID the server appends to the key before hashing it (RFC 6455 §1.3). */
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Longest response head the handshake accepts. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** After a close frame (ours or the server's), how long to wait for the server to end TCP. */
export const CLOSE_WAIT_MS = 2_000;
/** Largest message accepted from the server. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest backlog of unsent frames per connection: beyond it the server is not reading at all. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const INITIAL_QUEUE_BYTES = 2048;
const READ_CHUNK_BYTES = 4096;
/** Mask keys drawn per `crypto.getRandomValues` call (its limit is 65,536 bytes). */
const KEY_POOL_BYTES = 65_536;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Random masking keys shared by every connection of the process: 4 bytes per frame, refilled in bulk. */
const keyPool = new Uint8Array(KEY_POOL_BYTES);
let keyPoolAt = KEY_POOL_BYTES;

function takeKeyOffset(): number {
  if (keyPoolAt >= KEY_POOL_BYTES) {
    crypto.getRandomValues(keyPool);
    keyPoolAt = 0;
  }
  const at = keyPoolAt;
  keyPoolAt += 4;
  return at;
}

/** A growable byte buffer with a 32-bit word view of the same memory (for masking). */
class ByteQueue {
  bytes = new Uint8Array(INITIAL_QUEUE_BYTES);
  words = new Uint32Array(this.bytes.buffer);
  length = 0;

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    // Whole words, so the word view covers every byte.
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.words = new Uint32Array(bytes.buffer);
  }
}

/** Scratch for composing a rotated mask key as one native-endian 32-bit word. */
const keyScratch = new Uint8Array(4);
const keyScratchWord = new Uint32Array(keyScratch.buffer);

/**
 * XORs `bytes[start, start + length)` with the 4-byte key at `key[keyAt…]` (RFC 6455 §5.3: byte i of the
 * payload is XORed with key byte i mod 4). `words` must view the same memory as `bytes`, from offset 0.
 * Masking and unmasking are the same operation.
 */
export function maskInPlace(
  bytes: Uint8Array,
  words: Uint32Array,
  start: number,
  length: number,
  key: Uint8Array,
  keyAt: number,
): void {
  const end = start + length;
  let i = start;
  // Unaligned head, byte by byte.
  while ((i & 3) !== 0 && i < end) {
    bytes[i] ^= key[keyAt + ((i - start) & 3)];
    i++;
  }
  const wordsEnd = end & ~3;
  if (i < wordsEnd) {
    // The key as seen from an aligned position: rotated by how far into the payload that position is.
    const shift = i - start;
    for (let b = 0; b < 4; b++) keyScratch[b] = key[keyAt + ((shift + b) & 3)];
    const keyWord = keyScratchWord[0];
    for (let w = i >> 2, last = wordsEnd >> 2; w < last; w++) words[w] ^= keyWord;
    i = wordsEnd;
  }
  // Tail, byte by byte.
  for (; i < end; i++) bytes[i] ^= key[keyAt + ((i - start) & 3)];
}

/** Options of {@linkcode RawWebSocket.connect}. */
export interface RawWebSocketOptions {
  /** Extra request headers of the opening handshake (e.g. `x-twilio-signature`). */
  headers?: Record<string, string>;
  /** Called with each text message the server sends. */
  onText?: (text: string) => void;
}

type State = "open" | "closing" | "closed";

/** One client WebSocket over a raw TCP connection. See the module documentation. */
export class RawWebSocket {
  /** Close code from the server's close frame; 1005 if it had none, 1006 if TCP ended without one. */
  closeCode: number | null = null;
  closeReason = "";
  /** Set when the connection failed (I/O error or a protocol violation by the server). */
  error: Error | null = null;
  /** Resolves once the connection is closed, whichever side closed it. */
  readonly closed: Promise<void>;
  /** Flushes that found the previous write still pending (full socket buffer, or a starved event loop). */
  writeWaits = 0;
  /** Writes the kernel took only part of (the rest was written next). */
  partialWrites = 0;
  /** Largest number of bytes queued behind a pending write. */
  maxQueuedBytes = 0;
  /** Writes started. */
  writes = 0;
  pingsAnswered = 0;
  messagesReceived = 0;

  readonly #conn: Deno.TcpConn;
  readonly #onText: ((text: string) => void) | undefined;
  #state: State = "open";
  #connClosed = false;
  #resolveClosed!: () => void;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Frames being queued; `#writing` is the buffer of the write in flight (if any). */
  #queue = new ByteQueue();
  #writing = new ByteQueue();
  #writeInFlight = false;
  #writeOffset = 0;
  #frameStart = -1;
  #frameLength = 0;
  #frameKeyAt = 0;
  /** Received bytes not yet parsed. */
  #received = new Uint8Array(READ_CHUNK_BYTES * 2);
  #receivedLength = 0;
  /** Fragments of a message being received (opcode of its first frame, or -1). */
  #messageOpcode = -1;
  #messageParts: Uint8Array[] = [];
  #messageBytes = 0;

  private constructor(conn: Deno.TcpConn, leftover: Uint8Array, options: RawWebSocketOptions) {
    this.#conn = conn;
    this.#onText = options.onText;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#appendReceived(leftover);
    this.#readLoop();
  }

  /**
   * Opens `url` (`ws://host:port/path`): TCP connect, then the opening handshake. Rejects with the reason
   * when the server does not answer with a valid `101` upgrade.
   */
  static async connect(url: string, options: RawWebSocketOptions = {}): Promise<RawWebSocket> {
    const target = new URL(url);
    if (target.protocol !== "ws:") throw new Error(`raw WebSocket: only ws: URLs are supported, got ${url}`);
    const port = target.port === "" ? 80 : Number(target.port);
    const conn = await Deno.connect({ hostname: target.hostname, port });
    conn.setNoDelay(true);
    // The one time limit on the handshake: closing the connection ends the pending read or write.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, HANDSHAKE_TIMEOUT_MS);
    try {
      const key = crypto.getRandomValues(new Uint8Array(16)).toBase64();
      const extra = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`);
      const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\n` +
        `Host: ${target.host}\r\n` +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${key}\r\n` +
        "Sec-WebSocket-Version: 13\r\n" +
        extra.join("") +
        "\r\n";
      await writeAll(conn, encoder.encode(request));
      const { head, leftover } = await readResponseHead(conn, url);
      await checkUpgrade(head, key, url, leftover);
      if (timedOut) throw new Error("timed out");
      return new RawWebSocket(conn, leftover, options);
    } catch (error) {
      if (timedOut) {
        throw new Error(`raw WebSocket ${url}: no handshake answer within ${HANDSHAKE_TIMEOUT_MS} ms`);
      }
      conn.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.#state === "open";
  }

  /** Bytes queued or still being written. */
  get bufferedBytes(): number {
    return this.#queue.length + (this.#writeInFlight ? this.#writing.length - this.#writeOffset : 0);
  }

  /**
   * Starts a masked frame of `length` payload bytes in the queue and returns the offset at which the
   * caller writes the payload into {@linkcode frameTarget}; then call {@linkcode endFrame}. The payload is
   * written in clear and masked by `endFrame`. Nothing is queued if the socket is not open (returns -1).
   */
  beginFrame(opcode: number, length: number): number {
    if (this.#state !== "open" && opcode !== OPCODE.close) return -1;
    if (this.#frameStart >= 0) throw new Error("raw WebSocket: beginFrame before endFrame of the last one");
    const queue = this.#queue;
    const headLength = length < 126 ? 6 : length < 65_536 ? 8 : 14;
    queue.reserve(headLength + length);
    const bytes = queue.bytes;
    let at = queue.length;
    bytes[at++] = 0x80 | opcode; // FIN, no RSV bits
    if (length < 126) {
      bytes[at++] = 0x80 | length; // MASK bit + 7-bit length
    } else if (length < 65_536) {
      bytes[at++] = 0x80 | 126;
      bytes[at++] = length >>> 8;
      bytes[at++] = length & 0xff;
    } else {
      bytes[at++] = 0x80 | 127;
      // 64-bit length; frames here are far below 2^32.
      bytes[at++] = 0;
      bytes[at++] = 0;
      bytes[at++] = 0;
      bytes[at++] = 0;
      bytes[at++] = length >>> 24;
      bytes[at++] = (length >>> 16) & 0xff;
      bytes[at++] = (length >>> 8) & 0xff;
      bytes[at++] = length & 0xff;
    }
    const keyAt = takeKeyOffset();
    bytes[at++] = keyPool[keyAt];
    bytes[at++] = keyPool[keyAt + 1];
    bytes[at++] = keyPool[keyAt + 2];
    bytes[at++] = keyPool[keyAt + 3];
    this.#frameStart = at;
    this.#frameLength = length;
    this.#frameKeyAt = keyAt;
    return at;
  }

  /** The buffer a frame started by {@linkcode beginFrame} is written into (valid until `endFrame`). */
  get frameTarget(): Uint8Array {
    return this.#queue.bytes;
  }

  /** Masks the frame started by {@linkcode beginFrame} and adds it to the queue. */
  endFrame(): void {
    const start = this.#frameStart;
    if (start < 0) throw new Error("raw WebSocket: endFrame without beginFrame");
    const queue = this.#queue;
    maskInPlace(queue.bytes, queue.words, start, this.#frameLength, keyPool, this.#frameKeyAt);
    queue.length = start + this.#frameLength;
    this.#frameStart = -1;
  }

  /** Queues `payload` as one masked frame (whole message). */
  queueFrame(opcode: number, payload: Uint8Array): void {
    const at = this.beginFrame(opcode, payload.length);
    if (at < 0) return;
    this.frameTarget.set(payload, at);
    this.endFrame();
  }

  /** Queues a text message (one frame). Call {@linkcode flush} to send what is queued. */
  queueText(text: string): void {
    this.queueFrame(OPCODE.text, encoder.encode(text));
  }

  /**
   * Sends everything queued in one write. If the previous write is still pending, the queue waits for it
   * (counted in `writeWaits`) and goes out as soon as it completes.
   */
  flush(): void {
    if (this.#connClosed || this.#queue.length === 0) return;
    if (this.#queue.length > this.maxQueuedBytes) this.maxQueuedBytes = this.#queue.length;
    if (this.#writeInFlight) {
      this.writeWaits++;
      if (this.#queue.length > MAX_QUEUED_BYTES) {
        // The server has stopped reading: give up on the connection (no close frame could get through).
        this.error ??= new Error(`server stopped reading: ${this.#queue.length} bytes queued`);
        this.closeCode ??= 1006;
        this.#finish();
      }
      return;
    }
    const sending = this.#queue;
    this.#queue = this.#writing;
    this.#writing = sending;
    this.#writeOffset = 0;
    this.#writeInFlight = true;
    this.writes++;
    this.#writeNext();
  }

  /** Starts the closing handshake with `code` (and `reason`), then waits for the server to end TCP. */
  close(code = 1000, reason = ""): void {
    if (this.#state !== "open") return;
    this.#sendClose(code, reason);
  }

  #sendClose(code: number | null, reason: string): void {
    this.#state = "closing";
    const reasonBytes = encoder.encode(reason);
    const payload = new Uint8Array(code === null ? 0 : 2 + reasonBytes.length);
    if (code !== null) {
      payload[0] = code >>> 8;
      payload[1] = code & 0xff;
      payload.set(reasonBytes, 2);
    }
    this.queueFrame(OPCODE.close, payload);
    this.flush();
    this.#closeTimer ??= setTimeout(() => this.#finish(), CLOSE_WAIT_MS);
  }

  #writeNext(): void {
    const writing = this.#writing;
    this.#conn.write(writing.bytes.subarray(this.#writeOffset, writing.length))
      .then(this.#onWritten, this.#onWriteFailed);
  }

  readonly #onWritten = (written: number): void => {
    this.#writeOffset += written;
    if (this.#writeOffset < this.#writing.length) {
      this.partialWrites++;
      if (!this.#connClosed) this.#writeNext();
      return;
    }
    this.#writing.length = 0;
    this.#writeInFlight = false;
    // Frames queued while this write was pending go out now, in one write.
    this.flush();
  };

  readonly #onWriteFailed = (error: Error): void => {
    this.#writeInFlight = false;
    // A write cut short because we closed the connection ourselves is expected; anything else is recorded.
    if (this.#connClosed) return;
    this.error ??= error;
    this.closeCode ??= 1006;
    this.#finish();
  };

  async #readLoop(): Promise<void> {
    try {
      this.#parseReceived();
      while (!this.#connClosed) {
        if (this.#received.length - this.#receivedLength < READ_CHUNK_BYTES) this.#growReceived();
        const read = await this.#conn.read(this.#received.subarray(this.#receivedLength));
        if (read === null) break;
        this.#receivedLength += read;
        this.#parseReceived();
      }
    } catch (error) {
      // A read cut short because we closed the connection ourselves is expected; anything else is recorded.
      if (!this.#connClosed) this.error ??= error as Error;
    }
    this.closeCode ??= 1006;
    this.#finish();
    // Only now, with no read pending on the connection, is the socket fully closed.
    this.#resolveClosed();
  }

  #appendReceived(bytes: Uint8Array): void {
    while (this.#received.length - this.#receivedLength < bytes.length) this.#growReceived();
    this.#received.set(bytes, this.#receivedLength);
    this.#receivedLength += bytes.length;
  }

  #growReceived(): void {
    const bigger = new Uint8Array(this.#received.length * 2);
    bigger.set(this.#received.subarray(0, this.#receivedLength));
    this.#received = bigger;
  }

  /** Handles every complete frame in the receive buffer and keeps the incomplete rest. */
  #parseReceived(): void {
    const bytes = this.#received;
    let at = 0;
    while (!this.#connClosed) {
      const available = this.#receivedLength - at;
      if (available < 2) break;
      const first = bytes[at];
      const second = bytes[at + 1];
      const fin = (first & 0x80) !== 0;
      const opcode = first & 0x0f;
      let length = second & 0x7f;
      let headLength = 2;
      if (length === 126) {
        if (available < 4) break;
        length = (bytes[at + 2] << 8) | bytes[at + 3];
        headLength = 4;
      } else if (length === 127) {
        if (available < 10) break;
        const high = bytes[at + 2] * 2 ** 24 + bytes[at + 3] * 2 ** 16 + bytes[at + 4] * 2 ** 8 +
          bytes[at + 5];
        const low = bytes[at + 6] * 2 ** 24 + bytes[at + 7] * 2 ** 16 + bytes[at + 8] * 2 ** 8 +
          bytes[at + 9];
        length = high * 2 ** 32 + low;
        headLength = 10;
      }
      if ((first & 0x70) !== 0) return this.#fail(1002, new Error("server frame with RSV bits set"));
      if ((second & 0x80) !== 0) return this.#fail(1002, new Error("server frame is masked"));
      if (length > MAX_MESSAGE_BYTES) return this.#fail(1009, new Error(`server frame of ${length} bytes`));
      if (available < headLength + length) break;
      const payload = bytes.subarray(at + headLength, at + headLength + length);
      at += headLength + length;
      this.#onFrame(fin, opcode, payload);
    }
    if (at > 0) {
      bytes.copyWithin(0, at, this.#receivedLength);
      this.#receivedLength -= at;
    }
  }

  #onFrame(fin: boolean, opcode: number, payload: Uint8Array): void {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) {
        return this.#fail(1002, new Error(`server control frame ${opcode} fragmented or over 125 bytes`));
      }
      if (opcode === OPCODE.ping) {
        this.pingsAnswered++;
        this.queueFrame(OPCODE.pong, payload);
        this.flush();
      } else if (opcode === OPCODE.close) {
        this.#onCloseFrame(payload);
      } else if (opcode !== OPCODE.pong) {
        this.#fail(1002, new Error(`server sent unknown control opcode ${opcode}`));
      }
      return;
    }
    if (opcode === OPCODE.continuation) {
      if (this.#messageOpcode < 0) return this.#fail(1002, new Error("continuation without a message"));
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.#messageOpcode >= 0) return this.#fail(1002, new Error("new message inside a fragmented one"));
      this.#messageOpcode = opcode;
    } else {
      return this.#fail(1002, new Error(`server sent unknown opcode ${opcode}`));
    }
    this.#messageBytes += payload.length;
    if (this.#messageBytes > MAX_MESSAGE_BYTES) {
      return this.#fail(1009, new Error(`server message over ${MAX_MESSAGE_BYTES} bytes`));
    }
    // The receive buffer is reused: keep a copy of each fragment only if someone reads text.
    if (this.#onText) this.#messageParts.push(payload.slice());
    if (!fin) return;
    const messageOpcode = this.#messageOpcode;
    const parts = this.#messageParts;
    this.#messageOpcode = -1;
    this.#messageParts = [];
    this.#messageBytes = 0;
    this.messagesReceived++;
    if (messageOpcode !== OPCODE.text || !this.#onText) return;
    let text: string;
    try {
      text = utf8.decode(parts.length === 1 ? parts[0] : concat(parts));
    } catch (error) {
      return this.#fail(1007, new Error(`server text is not UTF-8: ${(error as Error).message}`));
    }
    this.#onText(text);
  }

  #onCloseFrame(payload: Uint8Array): void {
    if (payload.length === 1) return this.#fail(1002, new Error("close frame with a 1-byte payload"));
    const code = payload.length === 0 ? 1005 : (payload[0] << 8) | payload[1];
    let reason = "";
    try {
      reason = utf8.decode(payload.subarray(2));
    } catch (error) {
      return this.#fail(1007, new Error(`close reason is not UTF-8: ${(error as Error).message}`));
    }
    this.closeCode ??= code;
    this.closeReason = reason;
    // Echo the code (§5.5.1) unless we started the closing handshake; then wait for the server to end TCP.
    if (this.#state === "open") this.#sendClose(code === 1005 ? null : code, "");
  }

  /** The server broke the protocol (or stopped reading): close with `code` and record why. */
  #fail(code: number, error: Error): void {
    this.error ??= error;
    this.closeCode ??= code;
    if (this.#state === "open") this.#sendClose(code, error.message.slice(0, 100));
    else this.#finish();
  }

  /** Ends the TCP connection (if still up); the read loop then ends and resolves `closed`. */
  #finish(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clearTimeout(this.#closeTimer);
    if (!this.#connClosed) {
      this.#connClosed = true;
      this.#conn.close();
    }
  }
}

/** Writes all of `bytes` (handshake only: frames go through the queue). */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Reads the HTTP response head (through the blank line); what follows it is the first frames' bytes. */
async function readResponseHead(
  conn: Deno.Conn,
  url: string,
): Promise<{ head: string; leftover: Uint8Array }> {
  const buffer = new Uint8Array(MAX_RESPONSE_HEAD_BYTES);
  let length = 0;
  while (length < buffer.length) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) {
      throw new Error(`raw WebSocket ${url}: connection closed during the handshake`);
    }
    const searchFrom = Math.max(0, length - 3);
    length += read;
    for (let i = searchFrom; i + 3 < length; i++) {
      if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
        return {
          head: new TextDecoder().decode(buffer.subarray(0, i)),
          leftover: buffer.slice(i + 4, length),
        };
      }
    }
  }
  throw new Error(`raw WebSocket ${url}: response head longer than ${MAX_RESPONSE_HEAD_BYTES} bytes`);
}

/** Checks the server's answer to the opening handshake (RFC 6455 §4.1, the client's checks 1–6). */
async function checkUpgrade(head: string, key: string, url: string, leftover: Uint8Array): Promise<void> {
  const [statusLine, ...headerLines] = head.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
  if (status !== "101") {
    const body = new TextDecoder().decode(leftover).slice(0, 200).trim();
    throw new Error(`raw WebSocket ${url}: server answered "${statusLine}"${body ? `: ${body}` : ""}`);
  }
  if (headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new Error(`raw WebSocket ${url}: 101 without "Upgrade: websocket"`);
  }
  const connection = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
  if (!connection.includes("upgrade")) {
    throw new Error(`raw WebSocket ${url}: 101 without "Connection: Upgrade"`);
  }
  const expected = await acceptFor(key);
  const accept = headers.get("sec-websocket-accept");
  if (accept !== expected) {
    throw new Error(
      `raw WebSocket ${url}: Sec-WebSocket-Accept is ${accept ?? "missing"}, expected ${expected}`,
    );
  }
  for (const name of ["sec-websocket-extensions", "sec-websocket-protocol"]) {
    if (headers.has(name)) throw new Error(`raw WebSocket ${url}: server chose ${name} we did not offer`);
  }
}

/** `Sec-WebSocket-Accept` for a key: base64 of SHA-1 of key + GUID. */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + HANDSHAKE_GUID));
  return new Uint8Array(digest).toBase64();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
