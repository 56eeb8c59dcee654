/**
 * The real analysis worker (routes/analysis_worker.ts), started {@linkcode SLOW_START_MS} late, as on a
 * fresh machine where the worker's first start compiles its modules while the suite runs: for
 * tests/routes/analysis_thread_test.ts.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SLOW_START_MS } from "./analysis_faults.ts";

Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_START_MS);
await import("../../routes/analysis_worker.ts");
