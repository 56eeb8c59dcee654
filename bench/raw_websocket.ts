/**
 * A minimal RFC 6455 WebSocket client over raw TCP (`Deno.connect`) for the load generator: a caller queues
 * any number of frames and {@linkcode RawWebSocket.flush} hands them to the kernel in one write, where Deno's
 * `WebSocket` makes every `send()` its own op and its own write (`raw_twilio_call.ts` says why that matters).
 *
 * The handshake's `101` and `Sec-WebSocket-Accept` are checked. Frames are masked with keys from a pool filled
 * in bulk. At most one write is pending; frames queued meanwhile go out together when it ends (`writeWaits`
 * counts the flushes that waited). `ping` gets a `pong`; close codes are recorded (1005 without one, 1006 on
 * TCP ending) and echoed; a malformed server frame closes with 1002. Not supported: `wss:`, extensions,
 * subprotocols, sending fragmented or binary messages.
 *
 * @module
 */

/** RFC 6455 opcodes. */
export const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

const HANDSHAKE_TIMEOUT_MS = 10_000;
/** After a close frame (ours or the server's), how long to wait for the server to end TCP. */
const CLOSE_WAIT_MS = 2_000;
/** Largest backlog of unsent frames per connection: beyond it the server is not reading at all. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const MAX_FRAME_BYTES = 1024 * 1024;
const KEY_POOL_BYTES = 65_536;

const encoder = new TextEncoder();
const keyPool = new Uint8Array(KEY_POOL_BYTES);
let keyPoolAt = KEY_POOL_BYTES;
const keyScratch = new Uint8Array(4);
const keyScratchWord = new Uint32Array(keyScratch.buffer);

/** A growable byte buffer with a 32-bit word view of the same memory (for masking). */
class ByteQueue {
  bytes = new Uint8Array(2048);
  words = new Uint32Array(this.bytes.buffer);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const bytes = new Uint8Array(2 ** Math.ceil(Math.log2(this.length + extra)));
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.words = new Uint32Array(bytes.buffer);
  }
}

/**
 * XORs `bytes[start, start + length)` with the 4-byte key at `key[keyAt…]` (payload byte i with key byte
 * i mod 4). `words` views the same memory as `bytes`. Masking and unmasking are the same operation.
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
  for (; (i & 3) !== 0 && i < end; i++) bytes[i] ^= key[keyAt + ((i - start) & 3)];
  const wordsEnd = end & ~3;
  if (i < wordsEnd) {
    // The key as seen from an aligned position: rotated by how far into the payload that position is.
    for (let b = 0; b < 4; b++) keyScratch[b] = key[keyAt + ((i - start + b) & 3)];
    const keyWord = keyScratchWord[0];
    for (let w = i >> 2, last = wordsEnd >> 2; w < last; w++) words[w] ^= keyWord;
    i = wordsEnd;
  }
  for (; i < end; i++) bytes[i] ^= key[keyAt + ((i - start) & 3)];
}

/** One client WebSocket over a raw TCP connection. See the module documentation. */
export class RawWebSocket {
  /** Close code from the server's close frame; 1005 if it had none, 1006 if TCP ended without one. */
  closeCode: number | null = null;
  closeReason = "";
  /** Set when the connection failed (I/O error or a protocol violation by the server). */
  error: Error | null = null;
  /** Resolves once the connection is closed, whichever side closed it. */
  readonly closed: Promise<void>;
  /** Writes started, flushes that found a write pending, pings answered, messages received. */
  writes = 0;
  writeWaits = 0;
  pingsAnswered = 0;
  messagesReceived = 0;

  readonly #conn: Deno.TcpConn;
  #open = true;
  #connClosed = false;
  #resolveClosed!: () => void;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #queue = new ByteQueue();
  /** The buffer of the write in flight and how much of it is written; -1 when none is. */
  #writing = new ByteQueue();
  #written = -1;
  #frameStart = 0;
  #frameLength = 0;
  #frameKeyAt = 0;
  /** Bytes received and not parsed yet. */
  #received: Uint8Array;

  private constructor(conn: Deno.TcpConn, received: Uint8Array) {
    this.#conn = conn;
    this.#received = received;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#readLoop();
  }

  /** Opens `url` (`ws://host:port/path`) with extra request `headers`; rejects unless the server upgrades. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const { protocol, hostname, host, port, pathname, search } = new URL(url);
    if (protocol !== "ws:") throw new Error(`raw WebSocket: only ws: URLs are supported, got ${url}`);
    const conn = await Deno.connect({ hostname, port: Number(port || 80) });
    conn.setNoDelay(true);
    // Closing the connection ends a pending read or write: the handshake's one time limit.
    let timedOut = false;
    const timer = setTimeout(() => (timedOut = true, conn.close()), HANDSHAKE_TIMEOUT_MS);
    try {
      const key = crypto.getRandomValues(new Uint8Array(16)).toBase64();
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
      let request = encoder.encode(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
      while (request.length > 0) request = request.subarray(await conn.write(request));
      let received = new Uint8Array(0);
      let end = -1;
      while (end < 0) {
        const chunk = new Uint8Array(4096);
        const read = await conn.read(chunk);
        if (read === null) throw new Error(`raw WebSocket ${url}: connection closed during the handshake`);
        received = new Uint8Array([...received, ...chunk.subarray(0, read)]);
        end = new TextDecoder().decode(received).indexOf("\r\n\r\n");
      }
      const [status, ...lines] = new TextDecoder().decode(received.subarray(0, end)).split("\r\n");
      const rest = received.slice(end + 4);
      if (!/^HTTP\/1\.1 101/.test(status)) {
        const body = new TextDecoder().decode(rest).slice(0, 200).trim();
        throw new Error(`raw WebSocket ${url}: server answered "${status}"${body ? `: ${body}` : ""}`);
      }
      const accept = lines.find((line) => /^sec-websocket-accept:/i.test(line))?.split(":")[1].trim();
      const expected = await acceptFor(key);
      if (accept !== expected) {
        throw new Error(
          `raw WebSocket ${url}: Sec-WebSocket-Accept is ${accept ?? "missing"}, expected ${expected}`,
        );
      }
      return new RawWebSocket(conn, rest);
    } catch (error) {
      if (timedOut) {
        throw new Error(`raw WebSocket ${url}: no handshake answer in ${HANDSHAKE_TIMEOUT_MS} ms`);
      }
      conn.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes queued or still being written. */
  get bufferedBytes(): number {
    return this.#queue.length + (this.#written < 0 ? 0 : this.#writing.length - this.#written);
  }

  /**
   * Starts a masked frame of `length` payload bytes; returns the offset in {@linkcode frameTarget} where the
   * caller writes the payload in clear, then calls {@linkcode endFrame}. -1 (nothing queued) once closed.
   */
  beginFrame(opcode: number, length: number): number {
    if (!this.#open && opcode !== OPCODE.close) return -1;
    if (length >= 65_536) {
      throw new Error(`raw WebSocket: a ${length}-byte frame is over this client's 64 KiB`);
    }
    this.#queue.reserve(8 + length);
    const bytes = this.#queue.bytes;
    let at = this.#queue.length;
    bytes[at++] = 0x80 | opcode; // FIN, no RSV bits
    if (length < 126) bytes[at++] = 0x80 | length; // MASK bit and the length
    else {
      bytes[at++] = 0x80 | 126;
      bytes[at++] = length >>> 8;
      bytes[at++] = length & 0xff;
    }
    if (keyPoolAt >= KEY_POOL_BYTES) {
      crypto.getRandomValues(keyPool);
      keyPoolAt = 0;
    }
    for (let b = 0; b < 4; b++) bytes[at++] = keyPool[keyPoolAt + b];
    this.#frameKeyAt = keyPoolAt;
    keyPoolAt += 4;
    this.#frameStart = at;
    this.#frameLength = length;
    return at;
  }

  /** The buffer a frame started by {@linkcode beginFrame} is written into (valid until `endFrame`). */
  get frameTarget(): Uint8Array {
    return this.#queue.bytes;
  }

  endFrame(): void {
    const queue = this.#queue;
    maskInPlace(queue.bytes, queue.words, this.#frameStart, this.#frameLength, keyPool, this.#frameKeyAt);
    queue.length = this.#frameStart + this.#frameLength;
  }

  /** Queues `payload` as one masked frame. */
  queueFrame(opcode: number, payload: Uint8Array): void {
    const at = this.beginFrame(opcode, payload.length);
    if (at < 0) return;
    this.frameTarget.set(payload, at);
    this.endFrame();
  }

  queueText(text: string): void {
    this.queueFrame(OPCODE.text, encoder.encode(text));
  }

  /** Sends everything queued in one write, or as soon as the pending write completes. */
  flush(): void {
    if (this.#connClosed || this.#queue.length === 0) return;
    if (this.#written >= 0) {
      this.writeWaits++;
      const queued = this.#queue.length;
      if (queued > MAX_QUEUED_BYTES) {
        this.#fail(1006, new Error(`server stopped reading: ${queued} bytes queued`));
      }
      return;
    }
    const sending = this.#queue;
    this.#queue = this.#writing;
    this.#writing = sending;
    this.#written = 0;
    this.writes++;
    this.#onWritten(0);
  }

  /** Starts the closing handshake, then waits for the server to end TCP. */
  close(code = 1000, reason = ""): void {
    if (this.#open) this.#sendClose(code, reason);
  }

  #sendClose(code: number | null, reason: string): void {
    this.#open = false;
    const text = encoder.encode(reason);
    this.queueFrame(OPCODE.close, code === null ? text : new Uint8Array([code >>> 8, code & 0xff, ...text]));
    this.flush();
    this.#closeTimer ??= setTimeout(() => this.#finish(), CLOSE_WAIT_MS);
  }

  /** Continues the write in flight after `written` more bytes; when it is done, sends what queued meanwhile. */
  readonly #onWritten = (written: number): void => {
    this.#written += written;
    if (this.#written < this.#writing.length) {
      if (this.#connClosed) return;
      this.#conn.write(this.#writing.bytes.subarray(this.#written, this.#writing.length))
        .then(this.#onWritten, (error) => {
          // A write cut short because we closed the connection ourselves is expected.
          if (!this.#connClosed) this.#fail(1006, error);
        });
      return;
    }
    this.#writing.length = 0;
    this.#written = -1;
    this.flush();
  };

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(4096);
    try {
      this.#parseReceived();
      for (let read: number | null; !this.#connClosed && (read = await this.#conn.read(chunk)) !== null;) {
        this.#received = new Uint8Array([...this.#received, ...chunk.subarray(0, read)]);
        this.#parseReceived();
      }
    } catch (error) {
      if (!this.#connClosed) this.error ??= error as Error;
    }
    this.closeCode ??= 1006;
    this.#finish();
    // Only now, with no read pending on the connection, is the socket fully closed.
    this.#resolveClosed();
  }

  /** Handles every complete frame received and keeps the incomplete rest. */
  #parseReceived(): void {
    const bytes = this.#received;
    let at = 0;
    while (!this.#connClosed && bytes.length - at >= 2) {
      const [first, second] = [bytes[at], bytes[at + 1]];
      let [length, head] = [second & 0x7f, 2];
      if (length >= 126) {
        head = length === 126 ? 4 : 10;
        if (bytes.length - at < head) break;
        const view = new DataView(bytes.buffer, bytes.byteOffset + at + 2);
        length = head === 4 ? view.getUint16(0) : Number(view.getBigUint64(0));
      }
      if ((first & 0x70) !== 0) return this.#fail(1002, new Error("server frame with RSV bits set"));
      if ((second & 0x80) !== 0) return this.#fail(1002, new Error("server frame is masked"));
      if (length > MAX_FRAME_BYTES) return this.#fail(1009, new Error(`server frame of ${length} bytes`));
      if (bytes.length - at < head + length) break;
      this.#onFrame((first & 0x80) !== 0, first & 0x0f, bytes.subarray(at + head, at + head + length));
      at += head + length;
    }
    this.#received = bytes.slice(at);
  }

  #onFrame(fin: boolean, opcode: number, payload: Uint8Array): void {
    if (opcode < 0x8) {
      if (fin) this.messagesReceived++;
    } else if (!fin || payload.length > 125) {
      this.#fail(1002, new Error(`server control frame ${opcode} fragmented or over 125 bytes`));
    } else if (opcode === OPCODE.ping) {
      this.pingsAnswered++;
      this.queueFrame(OPCODE.pong, payload);
      this.flush();
    } else if (opcode === OPCODE.close) {
      if (payload.length === 1) return this.#fail(1002, new Error("close frame with a 1-byte payload"));
      const code = payload.length === 0 ? 1005 : (payload[0] << 8) | payload[1];
      this.closeCode ??= code;
      this.closeReason = new TextDecoder().decode(payload.subarray(2));
      // Echo the code (§5.5.1) unless we started the closing handshake.
      if (this.#open) this.#sendClose(code === 1005 ? null : code, "");
    } else if (opcode !== OPCODE.pong) {
      this.#fail(1002, new Error(`server sent unknown control opcode ${opcode}`));
    }
  }

  /** Records why the connection failed; closes with `code` while a close frame can still get through. */
  #fail(code: number, error: Error): void {
    this.error ??= error;
    this.closeCode ??= code;
    if (this.#open && code !== 1006) this.#sendClose(code, error.message.slice(0, 100));
    else this.#finish();
  }

  /** Ends the TCP connection; the read loop then ends and resolves `closed`. */
  #finish(): void {
    this.#open = false;
    clearTimeout(this.#closeTimer);
    if (this.#connClosed) return;
    this.#connClosed = true;
    this.#conn.close();
  }
}

/** `Sec-WebSocket-Accept` for a key: base64 of SHA-1 of key + GUID. */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    encoder.encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
  );
  return new Uint8Array(digest).toBase64();
}
