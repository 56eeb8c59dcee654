import assert from "node:assert/strict";
import { MULAW_LINEAR } from "../../../core/audio/mulaw.ts";
import {
  CHANGES_1,
  CHANGES_2,
  COUNT,
  ENERGY_1,
  ENERGY_2,
  FIRST_CODE,
  LAST_CODE,
  measureSlot,
  SLOT_MEASURES,
} from "../../../core/audio/slot_measure.ts";
import { TrackAnalyzer } from "../../../core/audio/track_analyzer.ts";

/** The measures computed sample by sample from the decoded values, as their definitions read. */
function reference(codes: Uint8Array) {
  const half = Math.min(codes.length, 80);
  const energy = (from: number, to: number) => {
    let sum = 0;
    for (let i = from; i < to; i++) sum += MULAW_LINEAR[codes[i]] ** 2;
    return sum;
  };
  const changes = (from: number, to: number) => {
    let count = 0;
    for (let i = Math.max(from, 1); i < to; i++) {
      // μ-law's bit 7 is the sign (0 and -0 decode alike, so it cannot be read from the value).
      if ((codes[i] & 0x80) !== (codes[i - 1] & 0x80)) count++;
    }
    return count;
  };
  return [
    codes.length,
    energy(0, half),
    energy(half, codes.length),
    changes(0, half),
    changes(half, codes.length),
    codes[0],
    codes[codes.length - 1],
  ];
}

Deno.test("Slot measures - energy and sign changes per half, first and last code, for every length of slot", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  for (const length of [1, 2, 3, 79, 80, 81, 82, 159, 160]) {
    const codes = Uint8Array.from({ length }, random);
    const measures = new Float64Array(2 * SLOT_MEASURES).fill(-1);
    // Measured from the middle of a longer buffer into the second entry: offsets are honoured.
    const buffer = new Uint8Array(length + 20);
    buffer.set(codes, 10);
    measureSlot(buffer, 10, 10 + length, measures, SLOT_MEASURES);
    const at = SLOT_MEASURES;
    assert.deepEqual(
      [COUNT, ENERGY_1, ENERGY_2, CHANGES_1, CHANGES_2, FIRST_CODE, LAST_CODE].map((i) => measures[at + i]),
      reference(codes),
      `${length} bytes`,
    );
    assert.equal(measures[0], -1, "the entry before is left alone");
  }
});

Deno.test("Slot measures - an empty range is a slot without audio; more than a slot is refused", () => {
  const measures = new Float64Array(SLOT_MEASURES).fill(5);
  measureSlot(new Uint8Array(10), 4, 4, measures, 0);
  assert.equal(measures[COUNT], 0);
  assert.throws(() => measureSlot(new Uint8Array(161), 0, 161, measures, 0), RangeError);
});

Deno.test("Slot measures - a track analysed from measures gives what it gives from bytes; a negative offset is a lost frame", () => {
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const frames = Array.from(
    { length: 300 },
    (_, k) => Uint8Array.from({ length: k % 7 === 0 ? 80 : 160 }, random),
  );
  const fromBytes = new TrackAnalyzer();
  const fromMeasures = new TrackAnalyzer();
  const measures = new Float64Array(SLOT_MEASURES);
  for (const [k, frame] of frames.entries()) {
    const lost = k % 11 === 5;
    const expected = { ...fromBytes.processFrame(lost ? null : frame) };
    if (!lost) measureSlot(frame, 0, frame.length, measures, 0);
    assert.deepEqual({ ...fromMeasures.processMeasured(measures, lost ? -1 : 0) }, expected, `slot ${k}`);
  }
});
