import assert from "node:assert/strict";
import { CLOCK_SKEW_MS, FrameBudget, TwoStageBudget } from "../../bench/analysis_budget.ts";

Deno.test("Analysis budget - a frame is within when its lateness plus the longest nearby wait is", () => {
  const budget = new TwoStageBudget(100);
  for (const late of [5, 40, 69.5, 70, 95]) budget.addFrame(late);
  budget.closeInterval(5, 20);
  budget.closeInterval(0, 0); // all five were analysed: nothing waits, so an idle interval is no stall
  // Waits of 20 ms leave 80 ms: 5, 40, 69.5 and 70 fit (bucket [70, 71) ends within 80), 95 does not.
  assert.equal(budget.within(), 4);
});

Deno.test("Analysis budget - the next interval's longest wait is charged too", () => {
  const budget = new TwoStageBudget(100);
  budget.addFrame(10);
  budget.addFrame(60);
  budget.closeInterval(2, 5);
  budget.addFrame(10);
  budget.closeInterval(3, 45); // the first interval's frames may have waited this long
  budget.closeInterval(1, 5);
  // Interval 1: 10 + 45 fits, 60 + 45 does not. Interval 2: 10 + max(45, 5) fits.
  assert.equal(budget.within(), 2);
});

Deno.test("Analysis budget - an interval with frames waiting and none analysed is a stall", () => {
  const budget = new TwoStageBudget(100);
  budget.addFrame(1);
  budget.addFrame(2);
  budget.closeInterval(1, 3); // one of the two is still waiting
  budget.addFrame(1);
  budget.closeInterval(0, 0); // frames were waiting, the analysis took none
  assert.equal(budget.within(), 0, "both intervals touch the stall");
  budget.reset();
  budget.addFrame(1);
  budget.closeInterval(1, 2);
  assert.equal(budget.within(), 1, "reset starts afresh");
});

Deno.test("Frame budget - each frame is done when the first batch that started after it was seen ends", () => {
  const budget = new FrameBudget(100);
  budget.addFrame(0, -5);
  budget.addFrame(10, 0);
  budget.addFrame(50, -40); // seen 90 ms late
  budget.addBatch(20, 25); // takes the first two: done by 25 (+ skew), 31 and 26 ms after due
  budget.addBatch(60, 62); // takes the third: 62 + skew - (-40) = 103 ms
  budget.settle(70);
  const end = budget.checkpoint();
  assert.equal(budget.withinBefore(end), 2);
});

Deno.test("Frame budget - a batch that started before the frame was seen (within the clocks' skew) did not take it", () => {
  const budget = new FrameBudget(100);
  budget.addFrame(100, 90);
  budget.addBatch(100 + CLOCK_SKEW_MS / 2, 101); // may have started before the frame was handed over
  budget.settle(150);
  const end = budget.checkpoint();
  assert.equal(budget.withinBefore(end), null, "still waiting for a batch that surely took it");
  budget.addBatch(180, 185);
  budget.settle(190);
  assert.equal(budget.withinBefore(end), 1, "done by 185 + skew, 96 ms after due");
});

Deno.test("Frame budget - a frame no batch takes counts as late once past its budget, not before", () => {
  const budget = new FrameBudget(100);
  budget.addFrame(5, 0);
  budget.addFrame(6, 1);
  const end = budget.checkpoint();
  budget.settle(99); // the analysis may still take them in time
  assert.equal(budget.withinBefore(end), null);
  budget.settle(100.5); // the first is past its budget, the second not yet
  assert.equal(budget.withinBefore(end), null);
  budget.settle(102);
  assert.equal(budget.withinBefore(end), 0, "a stalled analysis makes both late");
});

Deno.test("Frame budget - checkpoints split windows, and many waiting frames keep their order", () => {
  const budget = new FrameBudget(100);
  const start = budget.checkpoint();
  assert.equal(budget.withinBefore(start), 0, "nothing added yet: known at once");
  // 70,000 frames (more than the first queue holds) seen 2 µs apart from 0 to 140 ms, each when due.
  for (let i = 0; i < 70_000; i++) budget.addFrame(i / 500, i / 500);
  const middle = budget.checkpoint();
  budget.addFrame(500, 300); // seen 200 ms late: never within
  const end = budget.checkpoint();
  budget.addBatch(90, 95); // takes the 44,500 frames seen before 89 ms; done by 96: all within
  budget.settle(96);
  assert.equal(budget.withinBefore(middle), null, "the frames seen from 89 ms on still wait");
  budget.addBatch(150, 200); // takes the rest; done by 201: within only those seen from 101 ms on
  budget.settle(201);
  assert.equal(budget.withinBefore(middle), 70_000 - 6_000, "the 6,000 seen from 89 to 101 ms were late");
  assert.equal(budget.withinBefore(end), null, "the last frame was seen after both batches started");
  budget.addBatch(600, 601);
  budget.settle(601);
  assert.equal(budget.withinBefore(end), 64_000, "the last frame was 302 ms late");
  assert.equal(budget.withinBefore(start), 0);
});
