import assert from "node:assert/strict";
import type { Suggestion } from "../../../core/coaching/types.ts";
import { MetricsDataSchema, SuggestionDataSchema } from "../../../core/protocol/ui_messages.ts";
import { metricsData, suggestionData } from "../../../core/session/page_messages.ts";

Deno.test("Page messages - metrics are rounded as the page shows them and pass the page's schema", () => {
  const data = metricsData({
    streamMs: 5_250,
    agent: { speaking: true, levelDb: -23.456, wpm: 152.5 },
    customer: { speaking: false, levelDb: null, wpm: null },
    silenceS: 0.04,
    interruptions: 2,
    talkRatio: 0.66666,
    customerRaised: false,
  });
  assert.deepEqual(data, {
    stream_ms: 5_250,
    agent: { speaking: true, level_db: -23.5, wpm: 153 },
    customer: { speaking: false, level_db: null, wpm: null },
    silence_s: 0,
    interruptions: 2,
    talk_ratio: 0.667,
    customer_raised: false,
  });
  assert.ok(MetricsDataSchema.safeParse(data).success);
});

Deno.test("Page messages - a tip keeps the rule's words beside the words shown, stamped in wall time", () => {
  const tip: Suggestion = {
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    severity: "medium",
    streamMs: 12_340,
    reason: "About 185 words a minute; aim for 110–160",
    situation: { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: 0.6 },
  };
  const data = suggestionData(
    tip,
    { message: "Ease the pace", phrasedBy: "model" },
    "3",
    Date.UTC(2026, 0, 2),
  );
  assert.deepEqual(data, {
    id: "3",
    type: "SPEAKING_TOO_FAST",
    message: "Ease the pace",
    fixed_message: "Slow down a little",
    phrased_by: "model",
    severity: "medium",
    timestamp: "2026-01-02T00:00:00.000Z",
    stream_ms: 12_340,
    reason: "About 185 words a minute; aim for 110–160",
    active: true,
  });
  assert.ok(SuggestionDataSchema.safeParse(data).success);
});
