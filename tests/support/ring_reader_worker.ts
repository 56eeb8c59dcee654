/**
 * A worker for tests/routes/analysis_ring_test.ts: reads `count` records from the ring it is sent and
 * posts back the sum of their call ids and first payload bytes.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { RecordRing, type SharedRing } from "../../routes/analysis_ring.ts";

self.onmessage = (event: MessageEvent<{ ring: SharedRing; count: number }>) => {
  const ring = new RecordRing(event.data.ring);
  let sum = 0;
  let count = 0;
  while (count < event.data.count) {
    count += ring.read((r, at) => sum += r.callId(at) + r.payload(at)[0]);
  }
  self.postMessage({ sum, count });
};
