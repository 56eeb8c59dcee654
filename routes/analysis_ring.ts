/**
 * A one-writer, one-reader queue of records in a `SharedArrayBuffer`: how the socket thread hands media
 * frames to the analysis thread, and how the analysis thread hands metrics and tips back
 * (routes/analysis_thread.ts). No message passing, no copies beyond the record itself, no allocation.
 *
 * A record is a 32-byte header (four int32: kind, call id, payload length, one spare int; two float64)
 * followed by its payload, padded to 8 bytes. A record that does not fit before the end of the buffer is
 * preceded by a wrap marker and written at the start. The write and read offsets live in a separate small
 * shared buffer and are published with `Atomics.store`: the reader sees a record only after all its bytes.
 *
 * @example
 * ```ts
 * const shared = RecordRing.allocate(1 << 16);
 * const writer = new RecordRing(shared);
 * const reader = new RecordRing(shared);
 * writer.write(1, 7, 0, 20, 0, new Uint8Array(160));
 * reader.read((ring, at) => console.log(ring.kind(at), ring.callId(at), ring.payload(at).length));
 * ```
 *
 * @module
 */

/** The buffers of one ring, as sent to the other thread. */
export interface SharedRing {
  /** `[write offset, read offset, wake flag]`, int32. */
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

// The write offset, the read offset and the wake flag each get their own 64-byte cache line: each is
// written by one thread and read by the other, and sharing a line would move it between the cores on
// every record.
const WRITE = 0;
const READ = 16;
/** Index of a flag the reader's thread sleeps on (see {@linkcode RecordRing.sleep}). */
const WAKE = 32;
const CONTROL_BYTES = 33 * 4;

const HEADER_BYTES = 32;
/** A kind no record uses: "continue at offset 0". */
const WRAP = -1;
const PAGE_BYTES = 4096;
/** One record's header must always fit, so the writer never needs a marker it cannot place. */
const MIN_CAPACITY = 1024;

/**
 * Free bytes for a writer at `write` when the reader is at `read`. Eight bytes always stay free, so a full
 * ring never looks empty (write === read).
 */
function free(write: number, read: number, capacity: number): number {
  return read > write ? read - write - 8 : capacity - write + read - 8;
}

/** Called for each record; read its fields through the ring at offset `at` before returning. */
export type RecordVisitor = (ring: RecordRing, at: number) => void;

/** One side of a shared record queue: use one instance to write and another (any thread) to read. */
export class RecordRing {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #ints: Int32Array;
  readonly #floats: Float64Array;
  readonly #capacity: number;
  /** The writer's idea of the read offset: refreshed only when it seems to leave too little room. */
  #readSeen = 0;
  /** The reader's offset after its last {@linkcode scan}. */
  #scanned = 0;

  /**
   * New shared buffers for a ring of `capacity` bytes (rounded up to 8). Every page is touched now: the
   * ring's memory is resident from the start, not taken bit by bit as the first busy minutes sweep it
   * (which would look like growth).
   */
  static allocate(capacity: number): SharedRing {
    const bytes = Math.max(MIN_CAPACITY, Math.ceil(capacity / 8) * 8);
    const data = new SharedArrayBuffer(bytes);
    const view = new Uint8Array(data);
    for (let at = 0; at < bytes; at += PAGE_BYTES) view[at] = 0;
    return { control: new SharedArrayBuffer(CONTROL_BYTES), data };
  }

  constructor(shared: SharedRing) {
    this.#control = new Int32Array(shared.control);
    this.#bytes = new Uint8Array(shared.data);
    this.#ints = new Int32Array(shared.data);
    this.#floats = new Float64Array(shared.data);
    this.#capacity = shared.data.byteLength;
    this.#scanned = Atomics.load(this.#control, READ);
  }

  /** Bytes waiting to be read (diagnostics). */
  get pendingBytes(): number {
    const write = Atomics.load(this.#control, WRITE);
    const read = Atomics.load(this.#control, READ);
    return write >= read ? write - read : this.#capacity - read + write;
  }

  /**
   * Appends a record. `payload` (may be null) is copied. Returns false, writing nothing, when the ring is
   * too full: the reader has fallen behind by the whole ring. With `reserveBytes`, the record is refused
   * unless that much room would still be left (so bulk records leave room for rare, important ones).
   */
  write(
    kind: number,
    callId: number,
    spare: number,
    a: number,
    b: number,
    payload: Uint8Array | null,
    reserveBytes = 0,
  ): boolean {
    const length = payload === null ? 0 : payload.length;
    const size = HEADER_BYTES + ((length + 7) & ~7);
    const capacity = this.#capacity;
    // Only this side writes WRITE, so reading it back is cheap; READ is re-read only when needed.
    let at = Atomics.load(this.#control, WRITE);
    const needed = (at + size > capacity ? capacity - at + size : size) + reserveBytes;
    if (free(at, this.#readSeen, capacity) < needed) {
      this.#readSeen = Atomics.load(this.#control, READ);
      if (free(at, this.#readSeen, capacity) < needed) return false;
    }
    if (at + size > capacity) {
      this.#ints[at >> 2] = WRAP;
      at = 0;
    }
    const word = at >> 2;
    this.#ints[word] = kind;
    this.#ints[word + 1] = callId;
    this.#ints[word + 2] = length;
    this.#ints[word + 3] = spare;
    this.#floats[(at >> 3) + 2] = a;
    this.#floats[(at >> 3) + 3] = b;
    if (payload !== null) this.#bytes.set(payload, at + HEADER_BYTES);
    const next = at + size;
    Atomics.store(this.#control, WRITE, next === capacity ? 0 : next);
    return true;
  }

  /** Reads every record written so far, in order, and frees their space. Returns how many. */
  read(visit: RecordVisitor): number {
    const count = this.scan(visit);
    this.commit();
    return count;
  }

  /**
   * Visits every record written so far, in order, but keeps their space until {@linkcode commit}: their
   * offsets stay valid, so a reader may note them now and read them later in another order.
   */
  scan(visit: RecordVisitor): number {
    const capacity = this.#capacity;
    let at = this.#scanned;
    let count = 0;
    for (let write = Atomics.load(this.#control, WRITE); at !== write;) {
      if (this.#ints[at >> 2] === WRAP) {
        at = 0;
        continue;
      }
      visit(this, at);
      count++;
      const next = at + HEADER_BYTES + ((this.#ints[(at >> 2) + 2] + 7) & ~7);
      at = next === capacity ? 0 : next;
      if (at === write) write = Atomics.load(this.#control, WRITE);
    }
    this.#scanned = at;
    return count;
  }

  /** Frees the space of every record scanned so far. */
  commit(): void {
    Atomics.store(this.#control, READ, this.#scanned);
  }

  kind(at: number): number {
    return this.#ints[at >> 2];
  }

  callId(at: number): number {
    return this.#ints[(at >> 2) + 1];
  }

  payloadLength(at: number): number {
    return this.#ints[(at >> 2) + 2];
  }

  spare(at: number): number {
    return this.#ints[(at >> 2) + 3];
  }

  a(at: number): number {
    return this.#floats[(at >> 3) + 2];
  }

  b(at: number): number {
    return this.#floats[(at >> 3) + 3];
  }

  /** A view of the record's payload (allocates: for rare records; frames use {@linkcode copyPayload}). */
  payload(at: number): Uint8Array {
    return this.#bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + this.payloadLength(at));
  }

  /** Copies the record's payload into `into` without making a view; returns its length. */
  copyPayload(at: number, into: Uint8Array): number {
    const length = Math.min(this.payloadLength(at), into.length);
    const bytes = this.#bytes;
    const from = at + HEADER_BYTES;
    for (let i = 0; i < length; i++) into[i] = bytes[from + i];
    return length;
  }

  /**
   * Sleeps the calling thread until {@linkcode wake} or `timeoutMs` (Infinity: no limit). Only the reader's
   * thread calls this; it blocks, so never on a thread that serves sockets.
   */
  sleep(timeoutMs: number): void {
    if (Atomics.load(this.#control, WAKE) === 0) Atomics.wait(this.#control, WAKE, 0, timeoutMs);
    Atomics.store(this.#control, WAKE, 0);
  }

  /** Wakes the reader's thread from {@linkcode sleep} now. */
  wake(): void {
    Atomics.store(this.#control, WAKE, 1);
    Atomics.notify(this.#control, WAKE);
  }

  /**
   * Blocks until something is written after `seen` (a value of {@linkcode writeOffset}) or `timeoutMs`.
   * For the rare waits of the socket thread (a call's last results), never per frame.
   */
  waitForWrite(seen: number, timeoutMs: number): void {
    Atomics.wait(this.#control, WRITE, seen, timeoutMs);
  }

  /** Where the next record will be written (changes on every write). */
  get writeOffset(): number {
    return Atomics.load(this.#control, WRITE);
  }

  /** Wakes threads blocked in {@linkcode waitForWrite}. */
  notifyWritten(): void {
    Atomics.notify(this.#control, WRITE);
  }
}
