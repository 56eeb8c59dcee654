/**
 * Places the frames of two tracks on one stream clock of 20 ms slots.
 *
 * Twilio's tracks are not in lockstep, frames can be dropped, duplicated or reordered, and a silent
 * track may send nothing at all. The aligner keeps a short window of slots per track, keyed by the
 * frame's `timestamp`, and releases slot `k` once both tracks have it, or once the newest frame on either
 * track is `windowSlots` ahead (a slot still missing then is silence). Late and duplicate frames are
 * counted and dropped. Slots may be released in groups (`batchSlots`): a few slots analysed in a row cost
 * less per slot than the same slots one at a time between other calls' frames. Frame bytes live in
 * preallocated ring storage: no allocation per frame. Both tracks share one byte array (their lengths and
 * bytes) and one list of views, so a frame touches few separate objects.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { SLOT_MS, SLOT_SAMPLES } from "./types.ts";

/** Index of a track inside the aligner: 0 and 1. */
export type TrackIndex = 0 | 1;

/** Options for {@linkcode StreamAligner}. */
export interface StreamAlignerOptions {
  /** How far (in slots) the newest frame may run ahead before a missing slot counts as silence. */
  windowSlots: number;
  /** Frames further ahead of the newest frame than this (ms) are rejected as a timestamp jump. */
  maxJumpMs: number;
  /** Called for every released slot in order; a track's frame is null when it had no audio. */
  onSlot: (slot: number, frame0: Uint8Array | null, frame1: Uint8Array | null) => void;
  /** Where the frame storage comes from (default: new arrays). */
  buffers?: BufferSource;
  /**
   * Slots released together (default 1): a slot waits until the newest frame is `batchSlots - 1` slots
   * ahead of it, then it and the complete slots after it go at once. `flush` releases everything.
   */
  batchSlots?: number;
}

/** What happened to a pushed frame. */
export type PushOutcome = "placed" | "late" | "duplicate" | "jump";

/** Aligns two tracks of 20 ms μ-law frames by stream timestamp. */
export class StreamAligner {
  readonly #windowSlots: number;
  readonly #maxJumpMs: number;
  readonly #onSlot: StreamAlignerOptions["onSlot"];
  readonly #capacity: number;
  /** The newest frame must be this many slots ahead of the next slot before any slot is released. */
  readonly #batchAhead: number;
  /**
   * One array for the whole ring, so that a frame touches one array: byte `entry` is the length of ring entry
   * `track * capacity + slot % capacity` (0 when it is empty; a slot holds at most 160 bytes), and the entry's
   * bytes start at `#dataStart + entry * SLOT_SAMPLES`.
   */
  readonly #storage: Uint8Array;
  readonly #dataStart: number;
  /** A view of each entry's bytes, made once. */
  readonly #views: Uint8Array[];
  #nextSlot = 0;
  #headSlot = -1;
  #started = false;
  #placed = 0;
  #late = 0;
  #duplicate = 0;
  #jump = 0;
  #filledSlots = 0;

  constructor(options: StreamAlignerOptions) {
    this.#windowSlots = options.windowSlots;
    this.#maxJumpMs = options.maxJumpMs;
    this.#onSlot = options.onSlot;
    this.#batchAhead = Math.max(1, options.batchSlots ?? 1) - 1;
    this.#capacity = Math.max(options.windowSlots, this.#batchAhead) + 2;
    const entries = 2 * this.#capacity;
    const buffers = options.buffers ?? freshBuffers;
    this.#dataStart = entries;
    this.#storage = buffers.uint8(entries + entries * SLOT_SAMPLES);
    this.#views = Array.from({ length: entries }, (_, entry) => {
      const start = this.#dataStart + entry * SLOT_SAMPLES;
      return this.#storage.subarray(start, start + SLOT_SAMPLES);
    });
  }

  /** Counters for diagnostics and tests (a snapshot). */
  get stats(): { placed: number; late: number; duplicate: number; jump: number; filledSlots: number } {
    return {
      placed: this.#placed,
      late: this.#late,
      duplicate: this.#duplicate,
      jump: this.#jump,
      filledSlots: this.#filledSlots,
    };
  }

  /** The next slot to be released (everything before it has been delivered). */
  get nextSlot(): number {
    return this.#nextSlot;
  }

  /**
   * Places one frame. `bytes` may hold any number of μ-law samples: each 160 of them fill one slot
   * starting at the frame's timestamp. The bytes are copied; the caller may reuse its buffer.
   */
  push(track: TrackIndex, timestampMs: number, bytes: Uint8Array): PushOutcome {
    const firstSlot = Math.round(timestampMs / SLOT_MS);
    if (!this.#started) {
      // The clock starts one window before the first frame, so frames that overtook their elders at
      // the very start still find their place, and a stream joined late replays no long silence.
      this.#started = true;
      this.#nextSlot = Math.max(0, firstSlot - this.#windowSlots);
      this.#headSlot = firstSlot - 1;
    }
    if (firstSlot < this.#nextSlot) {
      this.#late++;
      return "late";
    }
    if ((firstSlot - this.#headSlot) * SLOT_MS > this.#maxJumpMs) {
      this.#jump++;
      return "jump";
    }
    let placed = false;
    const storage = this.#storage;
    const trackBase = track * this.#capacity;
    for (let offset = 0, slot = firstSlot; offset < bytes.length; offset += SLOT_SAMPLES, slot++) {
      this.#advanceHead(slot);
      const entry = trackBase + slot % this.#capacity;
      if (storage[entry] !== 0) continue;
      // A frame of one slot (Twilio's 160 bytes) is copied as is; only longer payloads need views.
      const end = Math.min(offset + SLOT_SAMPLES, bytes.length);
      const chunk = offset === 0 && end === bytes.length ? bytes : bytes.subarray(offset, end);
      storage.set(chunk, this.#dataStart + entry * SLOT_SAMPLES);
      storage[entry] = end - offset;
      placed = true;
    }
    this.#release(false);
    if (placed) {
      this.#placed++;
      return "placed";
    }
    this.#duplicate++;
    return "duplicate";
  }

  /** Releases every slot up to the newest frame (end of stream): nothing is left waiting. */
  flush(): void {
    this.#release(true);
  }

  #advanceHead(slot: number): void {
    if (slot <= this.#headSlot) return;
    this.#headSlot = slot;
    this.#release(false);
  }

  #release(all: boolean): void {
    if (!all && this.#headSlot < this.#nextSlot + this.#batchAhead) return;
    const window = this.#windowSlots;
    const lengths = this.#storage;
    while (this.#nextSlot <= this.#headSlot) {
      const entry0 = this.#nextSlot % this.#capacity;
      const entry1 = entry0 + this.#capacity;
      const has0 = lengths[entry0] !== 0;
      const has1 = lengths[entry1] !== 0;
      const expired = all || this.#headSlot >= this.#nextSlot + window;
      if (!expired && !(has0 && has1)) return;
      if (!has0 || !has1) this.#filledSlots++;
      this.#onSlot(this.#nextSlot, this.#frame(entry0), this.#frame(entry1));
      lengths[entry0] = 0;
      lengths[entry1] = 0;
      this.#nextSlot++;
    }
  }

  #frame(entry: number): Uint8Array | null {
    const length = this.#storage[entry];
    if (length === 0) return null;
    const view = this.#views[entry];
    return length === SLOT_SAMPLES ? view : view.subarray(0, length);
  }
}
