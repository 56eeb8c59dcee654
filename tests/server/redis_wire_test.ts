import assert from "node:assert/strict";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { batchLine, decodeBatch, encodeBatch, parseCallEntry } from "../../server/redis_wire.ts";

Deno.test("Redis wire - a batch of page messages comes back as sent, whatever text the messages hold", () => {
  const tip: ServerMessage = {
    type: "suggestion",
    session_id: "CA1",
    data: {
      type: "SPEAKING_TOO_FAST",
      message: "Slow\tdown\na little \u2028 «bitte»",
      fixed_message: "Slow down a little",
      phrased_by: "model",
      severity: "medium",
      timestamp: "2026-12-04T10:00:00.000Z",
      stream_ms: 1200,
      reason: 'a "quoted" reason\\',
    },
  };
  const ended: ServerMessage = { type: "call_ended", session_id: "CA2", reason: "stream_stopped" };
  const lines = [tip, ended].map((m) => batchLine(m.type, m.session_id, JSON.stringify(m)));
  const batch = decodeBatch(encodeBatch("coach-1", lines));
  assert.ok(batch);
  assert.equal(batch.instance, "coach-1");
  assert.deepEqual(batch.items.map((item) => [item.type, item.sessionId, JSON.parse(item.json)]), [
    ["suggestion", "CA1", tip],
    ["call_ended", "CA2", ended],
  ]);
});

Deno.test("Redis wire - text that is not a batch or not an entry is refused, not guessed at", () => {
  assert.equal(decodeBatch(""), null);
  assert.equal(decodeBatch("coach-1\nmetrics CA1 {}"), null);
  assert.equal(parseCallEntry("{"), null);
  assert.equal(parseCallEntry(JSON.stringify({ session_id: "CA1", instance: "a", status: "gone" })), null);
  assert.equal(parseCallEntry(null), null);
});
