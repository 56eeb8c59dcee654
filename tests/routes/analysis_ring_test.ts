import assert from "node:assert/strict";
import { RecordRing } from "../../routes/analysis_ring.ts";

interface Written {
  kind: number;
  callId: number;
  spare: number;
  a: number;
  b: number;
  payload: number[];
}

function readAll(ring: RecordRing): Written[] {
  const out: Written[] = [];
  ring.read((r, at) => {
    out.push({
      kind: r.kind(at),
      callId: r.callId(at),
      spare: r.spare(at),
      a: r.a(at),
      b: r.b(at),
      payload: [...r.payload(at)],
    });
  });
  return out;
}

/** A small deterministic generator, so a failure repeats. */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

Deno.test("Analysis ring - records come out in order, whole, across thousands of wraps", () => {
  const shared = RecordRing.allocate(1024);
  const writer = new RecordRing(shared);
  const reader = new RecordRing(shared);
  const next = random(7);
  const pending: Written[] = [];
  let written = 0;
  let refused = 0;
  for (let round = 0; round < 20_000; round++) {
    if (next() < 0.55) {
      const length = Math.floor(next() * 300);
      const record: Written = {
        kind: 1 + Math.floor(next() * 4),
        callId: Math.floor(next() * 1e6),
        spare: Math.floor(next() * 2),
        a: next() * 1e9,
        b: -next(),
        payload: Array.from({ length }, () => Math.floor(next() * 256)),
      };
      if (
        writer.write(
          record.kind,
          record.callId,
          record.spare,
          record.a,
          record.b,
          new Uint8Array(record.payload),
        )
      ) {
        pending.push(record);
        written++;
      } else {
        refused++;
        // Refused only when the ring really holds too much: at worst the unused tail before a wrap is one
        // record's size less 8.
        const size = 32 + Math.ceil(length / 8) * 8;
        assert.ok(
          reader.pendingBytes + 2 * size > 1024 - 8,
          `refused at ${reader.pendingBytes} bytes pending`,
        );
      }
    } else {
      assert.deepEqual(readAll(reader), pending.splice(0));
    }
  }
  assert.deepEqual(readAll(reader), pending);
  assert.ok(written > 5_000 && refused > 100, `${written} written, ${refused} refused`);
});

Deno.test("Analysis ring - a full ring refuses a record without touching what it holds", () => {
  const shared = RecordRing.allocate(1024);
  const writer = new RecordRing(shared);
  const reader = new RecordRing(shared);
  const frame = new Uint8Array(160).fill(9);
  let held = 0;
  while (writer.write(2, held, 0, held, 0, frame)) held++;
  assert.equal(held, 5, "five 192-byte records fit in 1024 bytes with the 8 kept free");
  assert.equal(writer.write(3, 5, 0, 0, 0, null), true, "a 32-byte record still fits in the last 56");
  assert.equal(writer.write(3, 6, 0, 0, 0, null), false, "then nothing does");
  const seen = readAll(reader);
  assert.deepEqual(seen.map((r) => r.callId), [0, 1, 2, 3, 4, 5]);
  assert.ok(seen.slice(0, 5).every((r) => r.payload.length === 160 && r.payload.every((b) => b === 9)));
  assert.equal(writer.write(2, 5, 0, 0, 0, frame), true, "room again once read");
});

Deno.test("Analysis ring - copyPayload copies without a view and stops at the target's length", () => {
  const shared = RecordRing.allocate(4096);
  const writer = new RecordRing(shared);
  const reader = new RecordRing(shared);
  writer.write(2, 1, 1, 20, 0, Uint8Array.from({ length: 200 }, (_, i) => i));
  const into = new Uint8Array(160);
  reader.read((ring, at) => {
    assert.equal(ring.copyPayload(at, into), 160);
    assert.equal(ring.payloadLength(at), 200);
  });
  assert.deepEqual([...into], Array.from({ length: 160 }, (_, i) => i));
});

Deno.test("Analysis ring - another thread reads what this one writes", async () => {
  const shared = RecordRing.allocate(2048);
  const writer = new RecordRing(shared);
  const worker = new Worker(new URL("../support/ring_reader_worker.ts", import.meta.url), { type: "module" });
  const done = new Promise<{ sum: number; count: number }>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  worker.postMessage({ ring: shared, count: 10000 });
  let expected = 0;
  for (let i = 0; i < 10000;) {
    if (writer.write(2, i, 0, 0, 0, new Uint8Array([i % 251]))) {
      expected += i + (i % 251);
      i++;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  const result = await done;
  worker.terminate();
  assert.deepEqual(result, { sum: expected, count: 10000 });
});
