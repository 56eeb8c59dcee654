import assert from "node:assert/strict";
import type { Severity, SuggestionType } from "../../core/protocol/ui_messages.ts";
import {
  HIGH_DWELL_MS,
  MIN_DWELL_MS,
  TIP_FADE_MS,
  tipDisplay,
  type TipRecord,
  WAIT_LIMIT_MS,
} from "../../islands/tip_display.ts";

let next = 0;
function tip(
  severity: Severity,
  receivedAtMs: number,
  clearedAtMs: number | null,
  type: SuggestionType = "SPEAKING_TOO_FAST",
): TipRecord {
  const id = String(++next);
  return {
    id,
    key: `A:${id}`,
    type,
    message: `${severity} ${id}`,
    fixed_message: `${severity} ${id}`,
    phrased_by: "rules",
    severity,
    timestamp: new Date(receivedAtMs).toISOString(),
    stream_ms: receivedAtMs,
    reason: "",
    active: clearedAtMs === null,
    receivedAtMs,
    clearedAtMs,
  };
}

/** The key of the card on screen at each time. */
function shownAt(tips: TipRecord[], times: number[], endedAtMs: number | null = null) {
  return times.map((t) => tipDisplay(tips, endedAtMs, t).current?.tip.key ?? null);
}

Deno.test("Tip display - a card stays 3 s (5 s when high) before a newer tip of equal or higher severity replaces it", () => {
  const low = tip("low", 0, 100);
  const high = tip("high", 1000, 1100);
  const medium = tip("medium", 2000, null);
  assert.deepEqual(shownAt([low, high, medium], [0, 2999, 3000, 7999, 8000]), [
    low.key,
    low.key,
    high.key, // the high tip waited for the low card's 3 s
    high.key,
    medium.key, // the medium tip waited for the high card's 5 s, and still holds
  ]);
  assert.equal(MIN_DWELL_MS, 3000);
  assert.equal(HIGH_DWELL_MS, 5000);
});

Deno.test("Tip display - a lower tip waits until the card on screen stops holding", () => {
  const medium = tip("medium", 0, 20_000);
  const low = tip("low", 1000, null);
  assert.deepEqual(shownAt([medium, low], [5000, 19_999, 20_000]), [medium.key, medium.key, low.key]);
});

Deno.test("Tip display - a card whose condition holds stays; it leaves when it stops, and the area empties", () => {
  const loud = tip("medium", 0, 30_000, "SPEAKING_TOO_LOUD");
  assert.deepEqual(shownAt([loud], [2000, 29_999, 30_000]), [loud.key, loud.key, null]);
  // Cleared within its dwell: it still stays its 3 s.
  const brief = tip("medium", 0, 500);
  assert.deepEqual(shownAt([brief], [2999, 3000]), [brief.key, null]);
  // Leaving, it fades under nothing for TIP_FADE_MS.
  assert.equal(tipDisplay([brief], null, 3000 + TIP_FADE_MS - 1).leaving?.key, brief.key);
  assert.equal(tipDisplay([brief], null, 3000 + TIP_FADE_MS).leaving, null);
  // The page renders at the moments the stage changes by itself: a dwell's end, a fade's end.
  assert.equal(tipDisplay([brief], null, 1000).nextChangeAtMs, 3000);
  assert.equal(tipDisplay([brief], null, 3100).nextChangeAtMs, 3000 + TIP_FADE_MS);
  assert.equal(
    tipDisplay([loud], null, 5000).nextChangeAtMs,
    null,
    "a holding card changes only by a message",
  );
});

Deno.test("Tip display - the area is never empty while a tip holds, and two holding tips do not take turns", () => {
  const loud = tip("medium", 0, 40_000, "SPEAKING_TOO_LOUD");
  const fast = tip("medium", 1000, 20_000);
  const times = Array.from({ length: 50 }, (_, i) => i * 1000);
  const shown = shownAt([loud, fast], times);
  // fast replaces loud at 3 s and holds until 20 s; loud (still holding) comes back, once.
  assert.deepEqual(
    shown,
    times.map((t) => (t < 3000 ? loud.key : t < 20_000 ? fast.key : t < 40_000 ? loud.key : null)),
  );
});

Deno.test("Tip display - a waiting tip that stopped holding is dropped after the wait limit", () => {
  const loud = tip("medium", 0, 15_000, "SPEAKING_TOO_LOUD");
  const soft = tip("low", 1000, 2000, "SPEAKING_TOO_SOFT"); // cleared while it waited
  const slow = tip("low", 10_000, 11_000, "SPEAKING_TOO_SLOW");
  assert.ok(15_000 - soft.receivedAtMs >= WAIT_LIMIT_MS);
  assert.deepEqual(shownAt([loud, soft, slow], [15_000, 17_999, 18_000]), [slow.key, slow.key, null]);
});

Deno.test("Tip display - when the call ends the card leaves at once", () => {
  const loud = tip("medium", 0, null, "SPEAKING_TOO_LOUD");
  assert.deepEqual(tipDisplay([loud], 1000, 999).current?.tip.key, loud.key);
  assert.deepEqual(tipDisplay([loud], 1000, 1000), { current: null, leaving: null, nextChangeAtMs: null });
});

Deno.test("Tip display - a card drawn late still stays its full time, counted from when it was drawn", () => {
  const first = tip("medium", 0, 100);
  const second = tip("medium", 1000, null);
  // The browser drew the first card 400 ms late: it stays until 3400, not 3000.
  const drawn = new Map([[first.key, 400]]);
  assert.equal(tipDisplay([first, second], null, 3399, drawn).current?.tip.key, first.key);
  assert.equal(tipDisplay([first, second], null, 3400, drawn).current?.tip.key, second.key);
  assert.equal(tipDisplay([first, second], null, 100, drawn).nextChangeAtMs, 3400);
});
