import assert from "node:assert/strict";
import { climbLadders, type LadderKind } from "../../bench/mod.ts";
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
