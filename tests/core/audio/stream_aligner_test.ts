import assert from "node:assert/strict";
import { COUNT, FIRST_CODE } from "../../../core/audio/slot_measure.ts";
import { StreamAligner } from "../../../core/audio/stream_aligner.ts";

type Slot = [number, number | null, number | null];

/** An aligner whose slots are recorded as [slot, first byte of track 0, first byte of track 1] (measured). */
function recorder(windowSlots = 3, maxJumpMs = 15_000, batchSlots = 1) {
  const slots: Slot[] = [];
  const aligner = new StreamAligner({
    windowSlots,
    maxJumpMs,
    batchSlots,
    onSlot: (slot, measures, a, b) =>
      slots.push([slot, a < 0 ? null : measures[a + FIRST_CODE], b < 0 ? null : measures[b + FIRST_CODE]]),
  });
  return { aligner, slots };
}
const frame = (value: number, length = 160) => new Uint8Array(length).fill(value);

Deno.test("Aligner - releases a slot as soon as both tracks have it", () => {
  const { aligner, slots } = recorder();
  aligner.push(0, 0, frame(1));
  assert.deepEqual(slots, []);
  aligner.push(1, 0, frame(2));
  aligner.push(0, 20, frame(3));
  aligner.push(1, 20, frame(4));
  assert.deepEqual(slots, [[0, 1, 2], [1, 3, 4]]);
});

Deno.test("Aligner - in batches, complete slots wait until the newest frame is a batch ahead, then go together", () => {
  const { aligner, slots } = recorder(10, 15_000, 4);
  for (let i = 0; i < 3; i++) {
    aligner.push(0, i * 20, frame(i));
    aligner.push(1, i * 20, frame(50 + i));
  }
  assert.deepEqual(slots, [], "three complete slots, the newest frame only two ahead of the first");
  aligner.push(0, 60, frame(3));
  assert.deepEqual(slots, [[0, 0, 50], [1, 1, 51], [2, 2, 52]], "slot 3 still lacks track 1");
  aligner.push(1, 60, frame(53));
  assert.equal(slots.length, 3, "slot 3 waits for the next batch");
  for (let i = 4; i < 7; i++) {
    aligner.push(0, i * 20, frame(i));
    aligner.push(1, i * 20, frame(50 + i));
  }
  assert.deepEqual(slots.map((s) => s[0]), [0, 1, 2, 3, 4, 5], "slot 6 starts the next batch");
  aligner.push(0, 140, frame(7));
  aligner.flush();
  assert.deepEqual(slots.slice(6), [[6, 6, 56], [7, 7, null]], "flush releases what waits");
});

Deno.test("Aligner - batches leave what is released, and in what order, as it was", () => {
  const frames: [0 | 1, number][] = [[0, 40], [0, 0], [1, 0], [0, 20], [1, 40], [1, 20], [0, 100], [1, 60]];
  for (let k = 8; k < 40; k++) {
    frames.push([(k % 2) as 0 | 1, Math.floor(k / 2) * 20 + (k % 5 === 0 ? 40 : 0)]);
  }
  const run = (batch: number) => {
    const { aligner, slots } = recorder(3, 15_000, batch);
    for (const [track, ts] of frames) aligner.push(track, ts, frame(ts / 20 + 100 * track));
    aligner.flush();
    return slots;
  };
  const single = run(1);
  assert.ok(single.length > 15);
  for (const batch of [2, 4, 5]) assert.deepEqual(run(batch), single, `batches of ${batch}`);
});

Deno.test("Aligner - a track that sends nothing is silence once the other runs a window ahead", () => {
  const { aligner, slots } = recorder(3);
  for (let i = 0; i < 6; i++) aligner.push(0, i * 20, frame(10 + i));
  assert.deepEqual(slots, [[0, 10, null], [1, 11, null], [2, 12, null]]);
  aligner.flush();
  assert.equal(slots.length, 6);
  assert.equal(aligner.stats.filledSlots, 6);
});

Deno.test("Aligner - out-of-order frames inside the window are put in place", () => {
  const { aligner, slots } = recorder(3);
  aligner.push(0, 40, frame(3));
  aligner.push(0, 0, frame(1));
  aligner.push(0, 20, frame(2));
  for (const ts of [0, 20, 40]) aligner.push(1, ts, frame(9));
  assert.deepEqual(slots, [[0, 1, 9], [1, 2, 9], [2, 3, 9]]);
});

Deno.test("Aligner - gaps are filled with silence, duplicates and late frames dropped", () => {
  const { aligner, slots } = recorder(2);
  aligner.push(0, 0, frame(1));
  aligner.push(1, 0, frame(1));
  assert.equal(aligner.push(0, 0, frame(7)), "late", "slot 0 was already released");
  aligner.push(0, 100, frame(5)); // slots 1..4 missing on track 0
  assert.equal(aligner.push(0, 100, frame(6)), "duplicate");
  aligner.flush();
  assert.deepEqual(slots.map((s) => s[0]), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(slots[5], [5, 5, null], "the first copy of a duplicate wins");
  assert.equal(aligner.stats.late, 1);
  assert.equal(aligner.stats.duplicate, 1);
});

Deno.test("Aligner - Twilio timestamps not on 20 ms boundaries round to the nearest slot", () => {
  const { aligner, slots } = recorder(2);
  aligner.push(0, 5, frame(1));
  aligner.push(1, 3, frame(2));
  aligner.push(0, 21, frame(3));
  aligner.push(1, 19, frame(4));
  assert.deepEqual(slots, [[0, 1, 2], [1, 3, 4]]);
});

Deno.test("Aligner - a stream joined late starts one window before its first frame", () => {
  const { aligner, slots } = recorder(2);
  aligner.push(0, 60_000, frame(1));
  aligner.push(1, 60_000, frame(2));
  aligner.flush();
  assert.deepEqual(slots, [[2998, null, null], [2999, null, null], [3000, 1, 2]]);
});

Deno.test("Aligner - long and short frames fill as many slots as they hold", () => {
  const { aligner, slots } = recorder(4);
  aligner.push(0, 0, frame(1, 400)); // 2.5 slots
  aligner.push(1, 0, frame(2, 480));
  aligner.flush();
  assert.deepEqual(slots, [[0, 1, 2], [1, 1, 2], [2, 1, 2]]);
  const lengths: number[] = [];
  const short = new StreamAligner({
    windowSlots: 2,
    maxJumpMs: 1000,
    onSlot: (_s, measures, a) => lengths.push(measures[a + COUNT]),
  });
  short.push(0, 0, frame(1, 80));
  short.flush();
  assert.deepEqual(lengths, [80]);
});

Deno.test("Aligner - a timestamp jump beyond the limit is rejected, not filled", () => {
  const { aligner, slots } = recorder(2, 1000);
  aligner.push(0, 0, frame(1));
  assert.equal(aligner.push(0, 1_000_000_000, frame(2)), "jump");
  assert.equal(aligner.stats.jump, 1);
  aligner.flush();
  assert.equal(slots.length, 1);
});

Deno.test("Aligner - the caller's buffer may be reused after push", () => {
  const { aligner, slots } = recorder(2);
  const buffer = frame(1);
  aligner.push(0, 0, buffer);
  buffer.fill(99);
  aligner.push(1, 0, buffer);
  assert.deepEqual(slots, [[0, 1, 99]]);
});
