/**
 * Run with `--v8-flags=--expose-gc` by tests/server/memory_release_test.ts: grows V8's young generation the
 * way a busy server does (objects that live a while, made all the time), then runs the idle release's
 * collector and prints the young generation's committed size (bytes) at each step as one JSON line.
 *
 * @module
 */
import v8 from "node:v8";
import { lastResortCollector } from "../../server/memory_release.ts";

function youngCommitted(): number {
  return v8.getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith("new"))
    .reduce((sum, space) => sum + space.space_size, 0);
}

const collect = lastResortCollector();
if (collect === null) throw new Error("run me with --v8-flags=--expose-gc");
const start = youngCommitted();
let live: unknown[][] = [];
for (let call = 0; call < 300; call++) {
  live.push(Array.from({ length: 2_000 }, (_, i) => ({ call, i, ring: [i, i + 1] })));
  if (live.length > 20) live.shift();
  for (let frame = 0; frame < 10_000; frame++) live[0][frame % 2_000] = { frame };
}
live = [];
(globalThis as unknown as { gc(): void }).gc();
const grown = youngCommitted();
collect();
console.log(JSON.stringify({ start, grown, released: youngCommitted() }));
