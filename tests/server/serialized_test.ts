import assert from "node:assert/strict";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { serialized, serializedLast, withSerialized } from "../../server/serialized.ts";

const ended = (id: string): ServerMessage => ({
  type: "call_ended",
  session_id: id,
  reason: "call_completed",
});

Deno.test("Serialized - a message's JSON is made once and shared by every page", () => {
  const message = ended("CA1");
  const text = serialized(message);
  assert.equal(text, JSON.stringify(message));
  assert.equal(serialized(message), text);
  // The fan-out after the pages takes the same text, not a new one.
  assert.equal(serializedLast(message), text);
});

Deno.test("Serialized - the fan-out reuses a message's known text and makes one when no page did", () => {
  const relayed = withSerialized(
    ended("CA2"),
    '{"type":"call_ended","session_id":"CA2","reason":"call_completed"}',
  );
  assert.equal(serializedLast(relayed), '{"type":"call_ended","session_id":"CA2","reason":"call_completed"}');
  const unseen = ended("CA3");
  assert.equal(serializedLast(unseen), JSON.stringify(unseen));
  // Its text was not kept: the next reader makes its own (a changed copy shows it).
  (unseen as { reason: string }).reason = "instance_lost";
  assert.match(serialized(unseen), /instance_lost/);
});
