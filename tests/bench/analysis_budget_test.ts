import assert from "node:assert/strict";
import { TwoStageBudget } from "../../bench/analysis_budget.ts";

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
