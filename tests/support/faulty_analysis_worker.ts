/**
 * The real analysis worker (routes/analysis_worker.ts) with two faults on cue, for
 * tests/routes/analysis_thread_test.ts:
 * - a frame stamped `FAULTY_FRAME_MS` makes that call's pipeline throw;
 * - a call ending after a frame stamped `FATAL_FRAME_MS` kills the whole worker;
 * - a frame stamped `STUCK_FRAME_MS` blocks the worker for good, without a word (as an endless loop would).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { CallPipeline } from "../../core/session/call_pipeline.ts";

import { FATAL_FRAME_MS, FAULTY_FRAME_MS, STUCK_FRAME_MS } from "./analysis_faults.ts";

const ingest = CallPipeline.prototype.ingest;
const fatal = new WeakSet<CallPipeline>();
CallPipeline.prototype.ingest = function (this: CallPipeline, track, timestampMs, mulaw) {
  if (timestampMs === FAULTY_FRAME_MS) throw new RangeError("injected analysis fault");
  if (timestampMs === FATAL_FRAME_MS) fatal.add(this);
  // Waits on a word nobody notifies; only `terminate` ends it.
  if (timestampMs === STUCK_FRAME_MS) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  return ingest.call(this, track, timestampMs, mulaw);
};
const dispose = CallPipeline.prototype.dispose;
CallPipeline.prototype.dispose = function (this: CallPipeline) {
  dispose.call(this);
  // Called while the call ends, from the worker's loop, which does not catch it: the worker dies.
  if (fatal.has(this)) throw new Error("injected worker death");
};

await import("../../routes/analysis_worker.ts");
