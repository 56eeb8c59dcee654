/**
 * What the analysis needs of one 20 ms slot of μ-law bytes, in a few numbers: how many samples it holds, the
 * energy sum and the count of sign changes of each 10 ms half, and its first and last code (the sign change
 * across the boundary from the slot before is counted when the slots are put in order, in `track_analyzer.ts`).
 *
 * The stream aligner measures each frame as it arrives, while its bytes are still in the CPU's cache from
 * the payload's decoding, and keeps only the measures: one cache line per frame instead of 160 bytes to
 * write now and read back cold when the call's slots are analysed (docs/performance.md).
 *
 * Per sample the work is one table read and two adds, two samples per step: each half's sum is a chain of
 * half as many dependent additions. The sums are of integers far below 2^53, so they are exact in any order.
 *
 * @module
 */
import { MULAW_SQUARE } from "./mulaw.ts";
import { SLOT_SAMPLES } from "./types.ts";

/** Numbers per measured slot, the layout's stride (one 64-byte cache line). */
export const SLOT_MEASURES = 8;
/** Offsets in a slot's measures: samples (0 when the slot holds no audio), then the values described above. */
export const COUNT = 0;
export const ENERGY_1 = 1;
export const ENERGY_2 = 2;
export const CHANGES_1 = 3;
export const CHANGES_2 = 4;
export const FIRST_CODE = 5;
export const LAST_CODE = 6;

/** Samples in the first half of a slot. */
export const HALF_SLOT = SLOT_SAMPLES / 2;

/**
 * Measures `bytes[start, end)` (at most one slot, 160 bytes) into `into[at …]`. The first half is the first
 * 80 bytes; a slot of 80 bytes or fewer has only a first half. An empty range is a slot without audio.
 *
 * @throws RangeError when the range holds more than one slot
 */
export function measureSlot(
  bytes: Uint8Array,
  start: number,
  end: number,
  into: Float64Array,
  at: number,
): void {
  const n = end - start;
  if (n > SLOT_SAMPLES) {
    throw new RangeError(`${n} bytes is more than one ${SLOT_SAMPLES}-byte slot; split it first`);
  }
  if (n <= 0) {
    into[at + COUNT] = 0;
    return;
  }
  const mid = start + (n > HALF_SLOT ? HALF_SLOT : n);
  let e1 = 0, e2 = 0, z1 = 0, z2 = 0;
  // μ-law's bit 7 is the sign: a change of it between neighbours is a sign change.
  let prev = bytes[start];
  let i = start;
  for (; i + 1 < mid; i += 2) {
    const a = bytes[i], b = bytes[i + 1];
    e1 += MULAW_SQUARE[a] + MULAW_SQUARE[b];
    z1 += ((a ^ prev) >>> 7) + ((b ^ a) >>> 7);
    prev = b;
  }
  if (i < mid) { // the odd sample of a short slot
    const code = bytes[i++];
    e1 += MULAW_SQUARE[code];
    z1 += (code ^ prev) >>> 7;
    prev = code;
  }
  for (; i + 1 < end; i += 2) {
    const a = bytes[i], b = bytes[i + 1];
    e2 += MULAW_SQUARE[a] + MULAW_SQUARE[b];
    z2 += ((a ^ prev) >>> 7) + ((b ^ a) >>> 7);
    prev = b;
  }
  if (i < end) {
    const code = bytes[i];
    e2 += MULAW_SQUARE[code];
    z2 += (code ^ prev) >>> 7;
    prev = code;
  }
  into[at + COUNT] = n;
  into[at + ENERGY_1] = e1;
  into[at + ENERGY_2] = e2;
  into[at + CHANGES_1] = z1;
  into[at + CHANGES_2] = z2;
  into[at + FIRST_CODE] = bytes[start];
  into[at + LAST_CODE] = prev;
}

/** Measures a whole frame (at most 160 bytes) into `into[at …]`; `null`, no audio, measures as empty. */
export function measureFrame(frame: Uint8Array | null, into: Float64Array, at: number): void {
  if (frame === null) into[at + COUNT] = 0;
  else measureSlot(frame, 0, frame.length, into, at);
}
