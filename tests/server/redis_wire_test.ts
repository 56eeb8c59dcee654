import assert from "node:assert/strict";
import type { SuggestionData } from "../../core/protocol/ui_messages.ts";
import { MAX_KEPT_SUGGESTIONS } from "../../core/session/call_session.ts";
import {
  batchLine,
  clearedEntry,
  decodeBatch,
  encodeBatch,
  MAX_TIP_STREAM_ENTRIES,
  parseCallEntry,
  replayedTips,
  tipEntry,
} from "../../server/redis_wire.ts";

const tipData = (id: string, type: SuggestionData["type"] = "SPEAKING_TOO_FAST"): SuggestionData => ({
  id,
  type,
  message: "Slow\tdown\na little \u2028 «bitte»",
  fixed_message: "Slow down a little",
  phrased_by: "model",
  severity: "medium",
  timestamp: "2026-12-04T10:00:00.000Z",
  stream_ms: 1200 * Number(id),
  reason: 'a "quoted" reason\\',
  active: true,
});

Deno.test("Redis wire - a batch of page messages comes back as sent, whatever text the messages hold", () => {
  const messages = [
    { type: "suggestion", session_id: "CA1", data: tipData("1") },
    { type: "suggestion_cleared", session_id: "CA1", suggestion_id: "1", stream_ms: 3000 },
    { type: "call_ended", session_id: "CA2", reason: "stream_stopped" },
  ] as const;
  const lines = messages.map((m) => batchLine(m.type, m.session_id, JSON.stringify(m)));
  const batch = decodeBatch(encodeBatch("coach-1", lines));
  assert.ok(batch);
  assert.equal(batch.instance, "coach-1");
  assert.deepEqual(
    batch.items.map((item) => [item.type, item.sessionId, JSON.parse(item.json)]),
    messages.map((m) => [m.type, m.session_id, m]),
  );
});

Deno.test("Redis wire - text that is not a batch or not an entry is refused, not guessed at", () => {
  assert.equal(decodeBatch(""), null);
  assert.equal(decodeBatch("coach-1\nmetrics CA1 {}"), null);
  assert.equal(parseCallEntry("{"), null);
  assert.equal(parseCallEntry(JSON.stringify({ session_id: "CA1", instance: "a", status: "gone" })), null);
  assert.equal(parseCallEntry(null), null);
});

Deno.test("Redis wire - a replay stream gives the tips back with what still holds, as the coaching instance has them", () => {
  const entries = [
    tipEntry(tipData("1", "SPEAKING_TOO_LOUD")),
    tipEntry(tipData("2", "SPEAKING_TOO_FAST")),
    clearedEntry("1"),
    { tip: "{not json" },
    { something: "else" },
    tipEntry(tipData("3", "SPEAKING_TOO_FAST")), // replaces tip 2
    tipEntry(tipData("4", "TOO_MUCH_SILENCE")),
    clearedEntry("99"), // a tip trimmed from the stream: nothing to do
  ];
  assert.deepEqual(replayedTips(entries).map((tip) => [tip.id, tip.active]), [
    ["1", false],
    ["2", false],
    ["3", true],
    ["4", true],
  ]);
  assert.deepEqual(replayedTips(entries)[0], { ...tipData("1", "SPEAKING_TOO_LOUD"), active: false });
});

Deno.test("Redis wire - the stream of a long call keeps as many tips as the call's own snapshot", () => {
  assert.ok(
    MAX_TIP_STREAM_ENTRIES >= 2 * MAX_KEPT_SUGGESTIONS,
    "every kept tip and the end of its condition",
  );
  const entries = Array.from({ length: MAX_KEPT_SUGGESTIONS + 20 }, (_, i) => [
    tipEntry(tipData(String(i + 1), i % 2 ? "SPEAKING_TOO_LOUD" : "TOO_MUCH_SILENCE")),
    clearedEntry(String(i + 1)),
  ]).flat().slice(-MAX_TIP_STREAM_ENTRIES);
  const tips = replayedTips(entries);
  assert.equal(tips.length, MAX_KEPT_SUGGESTIONS);
  assert.equal(tips[0].id, "21", "the newest, oldest first");
  assert.ok(tips.every((tip) => !tip.active));
});
