/** Judging the tips of a call against its scenario: windows, missing, unexpected and tolerated tips. */
import assert from "node:assert/strict";
import { judgeTips } from "../../simulator/verdict.ts";

const fast = { type: "SPEAKING_TOO_FAST", fromMs: 1_000, toMs: 5_000 } as const;
const silence = { type: "TOO_MUCH_SILENCE", fromMs: 6_000, toMs: 9_000 } as const;

Deno.test("Verdict - every expected tip inside its window passes", () => {
  const verdict = judgeTips([fast, silence], [], [
    { type: "TOO_MUCH_SILENCE", streamMs: 8_000 },
    { type: "SPEAKING_TOO_FAST", streamMs: 5_000 },
  ]);
  assert.equal(verdict.ok, true);
  assert.deepEqual(verdict.matched.map((m) => m.tip.streamMs), [5_000, 8_000]);
});

Deno.test("Verdict - a tip outside its window is missing AND unexpected", () => {
  const verdict = judgeTips([fast], [], [{ type: "SPEAKING_TOO_FAST", streamMs: 5_020 }]);
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.missing, [fast]);
  assert.deepEqual(verdict.unexpected, [{ type: "SPEAKING_TOO_FAST", streamMs: 5_020 }]);
});

Deno.test("Verdict - any tip in a call that expects none fails it", () => {
  const verdict = judgeTips([], [], [{ type: "TALK_RATIO_HIGH", streamMs: 70_000 }]);
  assert.equal(verdict.ok, false);
  assert.equal(verdict.unexpected.length, 1);
  assert.equal(judgeTips([], [], []).ok, true);
});

Deno.test("Verdict - tolerated extras pass; one tip matches one expectation only", () => {
  const tolerated = judgeTips([fast], ["TALK_RATIO_HIGH"], [
    { type: "SPEAKING_TOO_FAST", streamMs: 2_000 },
    { type: "TALK_RATIO_HIGH", streamMs: 3_000 },
  ]);
  assert.equal(tolerated.ok, true);
  assert.equal(tolerated.tolerated.length, 1);
  const twice = judgeTips([fast, fast], [], [{ type: "SPEAKING_TOO_FAST", streamMs: 2_000 }]);
  assert.equal(twice.ok, false);
  assert.equal(twice.missing.length, 1);
});

Deno.test("Verdict - a repeat inside its window is tolerated, one outside it is unexpected", () => {
  const verdict = judgeTips([fast], [], [
    { type: "SPEAKING_TOO_FAST", streamMs: 2_000 },
    { type: "SPEAKING_TOO_FAST", streamMs: 4_500 },
    { type: "SPEAKING_TOO_FAST", streamMs: 7_000 },
  ]);
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.tolerated, [{ type: "SPEAKING_TOO_FAST", streamMs: 4_500 }]);
  assert.deepEqual(verdict.unexpected, [{ type: "SPEAKING_TOO_FAST", streamMs: 7_000 }]);
});
