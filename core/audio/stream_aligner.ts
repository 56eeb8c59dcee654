/**
 * Places the frames of two tracks on one stream clock of 20 ms slots.
 *
 * Twilio's tracks are not in lockstep, frames can be dropped, duplicated or reordered, and a silent
 * track may send nothing at all. The aligner keeps a short window of slots per track, keyed by the
 * frame's `timestamp`, and releases slot `k` once both tracks have it, or once the newest frame on either
 * track is `windowSlots` ahead (a slot still missing then is silence). Late and duplicate frames are
 * counted and dropped. Slots may be released in groups (`batchSlots`): a few slots analysed in a row cost
 * less per slot than the same slots one at a time between other calls' frames.
 *
 * A frame is not kept as bytes: it is measured as it is placed (`slot_measure.ts`), while the caller's bytes
 * are still in the CPU's cache, and the ring keeps the measures, one cache line per slot and track in one
 * preallocated array for both tracks. No allocation per frame, and the analysis of a batch reads a few lines
 * per slot instead of the frames' bytes written a batch earlier and long out of the cache since.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { COUNT, measureSlot, SLOT_MEASURES } from "./slot_measure.ts";
import { SLOT_MS, SLOT_SAMPLES } from "./types.ts";

/** Index of a track inside the aligner: 0 and 1. */
export type TrackIndex = 0 | 1;

/** Options for {@linkcode StreamAligner}. */
export interface StreamAlignerOptions {
  /** How far (in slots) the newest frame may run ahead before a missing slot counts as silence. */
  windowSlots: number;
  /** Frames further ahead of the newest frame than this (ms) are rejected as a timestamp jump. */
  maxJumpMs: number;
  /**
   * Called for every released slot in order, with each track's measures at `measures[at0 …]` and
   * `measures[at1 …]` (`slot_measure.ts`), or a negative `at` when the track had no audio in the slot. The
   * measures are read during the call: the ring reuses them after it.
   */
  onSlot: (slot: number, measures: Float64Array, at0: number, at1: number) => void;
  /** Where the ring of measures comes from (default: new arrays). */
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
   * Ring entry `track * capacity + slot % capacity` holds its slot's measures at `entry * SLOT_MEASURES`; a
   * count of 0 marks it empty (a placed frame holds at least one sample).
   */
  readonly #measures: Float64Array;
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
    const buffers = options.buffers ?? freshBuffers;
    this.#measures = buffers.float64(2 * this.#capacity * SLOT_MEASURES);
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
   * starting at the frame's timestamp. The bytes are measured at once; the caller may reuse its buffer.
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
    const measures = this.#measures;
    const trackBase = track * this.#capacity;
    for (let offset = 0, slot = firstSlot; offset < bytes.length; offset += SLOT_SAMPLES, slot++) {
      this.#advanceHead(slot);
      const at = (trackBase + slot % this.#capacity) * SLOT_MEASURES;
      if (measures[at + COUNT] !== 0) continue;
      measureSlot(bytes, offset, Math.min(offset + SLOT_SAMPLES, bytes.length), measures, at);
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
    const measures = this.#measures;
    const track1 = this.#capacity * SLOT_MEASURES;
    while (this.#nextSlot <= this.#headSlot) {
      const at0 = (this.#nextSlot % this.#capacity) * SLOT_MEASURES;
      const at1 = at0 + track1;
      const has0 = measures[at0 + COUNT] !== 0;
      const has1 = measures[at1 + COUNT] !== 0;
      const expired = all || this.#headSlot >= this.#nextSlot + window;
      if (!expired && !(has0 && has1)) return;
      if (!has0 || !has1) this.#filledSlots++;
      this.#onSlot(this.#nextSlot, measures, has0 ? at0 : -1, has1 ? at1 : -1);
      measures[at0 + COUNT] = 0;
      measures[at1 + COUNT] = 0;
      this.#nextSlot++;
    }
  }
}
