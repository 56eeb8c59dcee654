import assert from "node:assert/strict";
import { compareCore } from "../../bench/core_ab.ts";

Deno.test("Bench - core A/B: HEAD's core against this checkout's, in one process", async () => {
  const result = await compareCore("HEAD", { passes: 3, warmup: 1, callSeconds: 5 });
  assert.equal(result.passes, 3);
  assert.ok(result.before_us_per_call_s > 0 && result.after_us_per_call_s > 0, JSON.stringify(result));
  // Timings on a shared machine: only that both ran and the ratio is a ratio of like with like.
  assert.ok(result.ratio > 0.2 && result.ratio < 5, JSON.stringify(result));
  await assert.rejects(
    () => compareCore("no-such-ref-xyz", { passes: 1, warmup: 0, callSeconds: 1 }),
    /git archive/,
  );
});
