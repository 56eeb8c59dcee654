import assert from "node:assert/strict";
import { BatchLog } from "../../routes/analysis_protocol.ts";

Deno.test("Batch log - the reader takes each batch once, oldest first", () => {
  const memory = new SharedArrayBuffer(BatchLog.BYTES);
  const writer = new BatchLog(memory);
  const reader = new BatchLog(memory);
  const taken: number[][] = [];
  writer.add(10, 12);
  writer.add(50, 53.5);
  reader.take((start, end) => taken.push([start, end]));
  assert.deepEqual(taken, [[10, 12], [50, 53.5]]);
  reader.take((start, end) => taken.push([start, end]));
  assert.equal(taken.length, 2, "nothing new");
  writer.add(90, 91);
  reader.take((start, end) => taken.push([start, end]));
  assert.deepEqual(taken.at(-1), [90, 91]);
});

Deno.test("Batch log - a reader that fell a whole log behind gets the batches still kept", () => {
  const memory = new SharedArrayBuffer(BatchLog.BYTES);
  const writer = new BatchLog(memory);
  const reader = new BatchLog(memory);
  const total = BatchLog.ENTRIES + 10;
  for (let i = 0; i < total; i++) writer.add(i, i + 0.5);
  const starts: number[] = [];
  reader.take((start) => starts.push(start));
  assert.equal(starts.length, BatchLog.ENTRIES);
  assert.equal(starts[0], 10, "the ten oldest were overwritten");
  assert.equal(starts.at(-1), total - 1);
  // A log opened later (a worker started after one died) writes on after the batches already logged.
  const next = new BatchLog(memory);
  next.add(5000, 5001);
  reader.take((start) => starts.push(start));
  assert.equal(starts.at(-1), 5000);
});
