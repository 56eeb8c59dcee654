import assert from "node:assert/strict";
import { BufferPool, freshBuffers } from "../../core/buffers.ts";

Deno.test("Buffers - a lease hands out zeroed arrays of the asked kind and length", () => {
  const lease = new BufferPool().lease();
  const rings = [lease.float64(5), lease.uint8(7)];
  assert.deepEqual(rings.map((r) => [r.constructor.name, r.length]), [
    ["Float64Array", 5],
    ["Uint8Array", 7],
  ]);
  assert.ok(rings.every((r) => r.every((value) => value === 0)));
  assert.deepEqual(
    [freshBuffers.float64(2), freshBuffers.uint8(2)].map((r) => r.length),
    [
      2,
      2,
    ],
  );
});

Deno.test("Buffers - released arrays go to the next lease of the same kind and length, zeroed", () => {
  const pool = new BufferPool();
  const first = pool.lease();
  const ring = first.float64(4).fill(7.5);
  const bytes = first.uint8(4).fill(9);
  first.release();
  assert.equal(pool.idleBytes, 32 + 4);
  const second = pool.lease();
  assert.equal(second.float64(3).length, 3, "another length is a new array");
  const again = second.float64(4);
  assert.equal(again, ring, "the same array");
  assert.deepEqual([...again], [0, 0, 0, 0]);
  assert.notEqual(second.float64(4), bytes as unknown, "another kind is a new array");
  assert.equal(pool.idleBytes, 4, "only the uint8 ring waits");
});

Deno.test("Buffers - the pool keeps at most maxIdleBytes; release is once; no lease after release", () => {
  const pool = new BufferPool({ maxIdleBytes: 100 });
  const lease = pool.lease();
  for (let i = 0; i < 5; i++) lease.float64(4); // 32 bytes each
  lease.release();
  assert.equal(pool.idleBytes, 96, "three kept, two left to the garbage collector");
  lease.release();
  assert.equal(pool.idleBytes, 96, "a second release gives nothing twice");
  assert.throws(() => lease.uint8(1), /released/);
  assert.equal(pool.idleBytes, 96);
});
