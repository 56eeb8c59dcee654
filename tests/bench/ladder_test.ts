import assert from "node:assert/strict";
import { climbLadders, type LadderKind } from "../../bench/mod.ts";
import { headlineOf, limitsOf } from "../../bench/report.ts";
import type { RungResult } from "../../bench/runs.ts";

/** A rung that holds below `limit` calls and fails from there on. */
function fakeRung(kind: LadderKind, calls: number, limit: number): RungResult {
  return { server: kind, calls, holds_real_time: calls < limit } as RungResult;
}

Deno.test("Bench ladder - both servers climb in lockstep, the first at each rung alternating", async () => {
  const order: string[] = [];
  const limits = { coach: 700, baseline: 1000 };
  const rows = await climbLadders(["coach", "baseline"], [300, 500, 700, 850, 1000, 1200], (kind, calls) => {
    order.push(`${kind} ${calls}`);
    return Promise.resolve(fakeRung(kind, calls, limits[kind]));
  });
  assert.deepEqual(order, [
    "coach 300",
    "baseline 300",
    "baseline 500",
    "coach 500",
    "coach 700", // fails: the coach stops here
    "baseline 700",
    "baseline 850",
    "baseline 1000", // fails: the baseline stops here
  ]);
  assert.deepEqual(rows.coach.map((r) => [r.calls, r.holds_real_time]), [[300, true], [500, true], [
    700,
    false,
  ]]);
  assert.deepEqual(rows.baseline.map((r) => r.calls), [300, 500, 700, 850, 1000]);
});

Deno.test("Bench ladder - a rung that cannot be run stops that server only; one server climbs alone", async () => {
  const rows = await climbLadders(
    ["coach", "baseline"],
    [100, 200, 300],
    (kind, calls) =>
      Promise.resolve(kind === "coach" && calls === 200 ? null : fakeRung(kind, calls, Infinity)),
  );
  assert.deepEqual(rows.coach.map((r) => r.calls), [100]);
  assert.deepEqual(rows.baseline.map((r) => r.calls), [100, 200, 300]);
  const alone = await climbLadders(["baseline"], [100, 200], (kind, calls) => {
    assert.equal(kind, "baseline");
    return Promise.resolve(fakeRung(kind, calls, 200));
  });
  assert.deepEqual(alone, {
    coach: [],
    baseline: [fakeRung("baseline", 100, 200), fakeRung("baseline", 200, 200)],
  });
});

Deno.test("Bench ladder - refinement halves each server's gap between held and failed, in lockstep", async () => {
  const order: string[] = [];
  const limits = { coach: 1040, baseline: 1130 };
  const rows = await climbLadders(["coach", "baseline"], [900, 1000, 1100, 1200], (kind, calls) => {
    order.push(`${kind} ${calls}`);
    return Promise.resolve(fakeRung(kind, calls, limits[kind]));
  }, 2);
  assert.deepEqual(order, [
    "coach 900",
    "baseline 900",
    "baseline 1000",
    "coach 1000",
    "coach 1100", // fails
    "baseline 1100",
    "baseline 1200", // fails: the climb ends at step 4, so the refinement's first round starts with the coach
    "coach 1050", // fails: 1000 held, 1050 failed
    "baseline 1150", // fails: 1100 held
    "baseline 1130", // 1125 rounded to 10; fails (the limit is 1130)
    "coach 1030", // 1025 rounded; holds
  ]);
  assert.deepEqual(limitsOf(rows.coach), { held: 1030, failed: 1050 });
  assert.deepEqual(limitsOf(rows.baseline), { held: 1100, failed: 1130 });
  const headline = headlineOf(rows);
  assert.equal(headline.coach_max_calls, 1030);
  assert.equal(headline.baseline_max_calls, 1100);
  assert.equal(headline.coach_capped, false);
});

Deno.test("Bench ladder - no refinement for a server that held nothing, never failed, or has no gap left", async () => {
  const order: string[] = [];
  const limits = { coach: 100, baseline: Infinity };
  await climbLadders(["coach", "baseline"], [100, 200], (kind, calls) => {
    order.push(`${kind} ${calls}`);
    return Promise.resolve(fakeRung(kind, calls, limits[kind]));
  }, 2);
  assert.deepEqual(order, ["coach 100", "baseline 100", "baseline 200"]);
  const narrow: string[] = [];
  await climbLadders(["baseline"], [100, 110], (kind, calls) => {
    narrow.push(`${kind} ${calls}`);
    return Promise.resolve(fakeRung(kind, calls, 105));
  }, 2);
  assert.deepEqual(narrow, ["baseline 100", "baseline 110"]);
  assert.deepEqual(
    limitsOf([fakeRung("coach", 500, 700), fakeRung("coach", 700, 700), fakeRung("coach", 600, 600)]),
    {
      held: 500,
      failed: 600,
    },
  );
});
