/**
 * A call's tips through a tip stage (the hook the optional AI phrasing uses): what pages see, in what order,
 * and that `call_ended` follows the call's last tip.
 */
import assert from "node:assert/strict";
import type { Suggestion } from "../../../core/coaching/types.ts";
import { loadConfig } from "../../../core/config.ts";
import { createLogger } from "../../../core/log.ts";
import type { ServerMessage } from "../../../core/protocol/ui_messages.ts";
import type { CallMetrics, CallPipelineOptions } from "../../../core/session/call_pipeline.ts";
import type { SessionPipeline } from "../../../core/session/call_session.ts";
import { SessionRegistry } from "../../../core/session/registry.ts";
import { rulesWording, type TipStage, type TipWording } from "../../../core/session/tip_stage.ts";

/** A stage that holds every tip until the test lets it go; `close` shows what it holds in the rules' words. */
class HoldingStage implements TipStage {
  held: { tip: Suggestion; show: (wording: TipWording) => void }[] = [];
  closed = false;
  submit(tip: Suggestion, show: (wording: TipWording) => void): void {
    this.held.push({ tip, show });
  }
  close(): void {
    this.closed = true;
    for (const { tip, show } of this.held.splice(0)) show(rulesWording(tip));
  }
}

function tip(type: Suggestion["type"], streamMs: number, message: string): Suggestion {
  return {
    type,
    message,
    severity: "medium",
    streamMs,
    reason: "evidence",
    situation: { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: null },
  };
}

function metricsAt(streamMs: number): CallMetrics {
  const party = { speaking: false, levelDb: null, wpm: null };
  return {
    streamMs,
    agent: party,
    customer: party,
    silenceS: 0,
    interruptions: 0,
    talkRatio: null,
    customerRaised: false,
  };
}

/** A registry whose calls' analysis the test drives by hand (it fires tips and metrics itself). */
function setup(stage: (() => TipStage) | undefined) {
  const lines: { event: string }[] = [];
  const log = createLogger({
    level: "debug",
    now: () => new Date(0),
    write: (l) => lines.push(JSON.parse(l)),
  });
  let analysis: CallPipelineOptions | null = null;
  const pipelines = (options: CallPipelineOptions): SessionPipeline => {
    analysis = options;
    return {
      streamMs: 0,
      alignment: {},
      ingest: () => {},
      flush: () => {},
      metrics: () => null,
      dispose() {},
    };
  };
  const registry = new SessionRegistry({
    ...loadConfig({}),
    now: () => 1_700_000_000_000,
    log,
    pipelines,
    tipStages: stage,
  });
  const messages: ServerMessage[] = [];
  registry.subscribe(null, (message) => messages.push(message));
  const session = registry.open("CA1");
  session.startStream();
  return { registry, session, messages, lines, fire: () => analysis! };
}

Deno.test("Tip stage - without one, a tip is shown at once in the rules' words", () => {
  const { messages, fire } = setup(undefined);
  fire().onSuggestion(tip("SPEAKING_TOO_FAST", 5_000, "Slow down a little"));
  const shown = messages.filter((m) => m.type === "suggestion");
  assert.equal(shown.length, 1);
  assert.ok(shown[0].type === "suggestion");
  assert.equal(shown[0].data.message, "Slow down a little");
  assert.equal(shown[0].data.fixed_message, "Slow down a little");
  assert.equal(shown[0].data.phrased_by, "rules");
});

Deno.test("Tip stage - a held tip does not hold back metrics; pages see the stage's words when it lets go", () => {
  const stage = new HoldingStage();
  const { registry, messages, fire } = setup(() => stage);
  fire().onSuggestion(tip("SPEAKING_TOO_FAST", 5_000, "Slow down a little"));
  fire().onMetrics(metricsAt(5_250));
  assert.deepEqual(
    messages.map((m) => m.type),
    ["stream_started", "metrics"],
    "metrics flow past a held tip",
  );
  stage.held[0].show({ message: "Ease the pace so they can follow", phrasedBy: "model" });
  const last = messages.at(-1)!;
  assert.ok(last.type === "suggestion");
  assert.equal(last.data.message, "Ease the pace so they can follow");
  assert.equal(last.data.fixed_message, "Slow down a little");
  assert.equal(last.data.phrased_by, "model");
  assert.deepEqual(
    registry.snapshot("CA1")[0].suggestions,
    [last.data],
    "a reconnecting page sees it",
  );
});

Deno.test("Tip stage - at the call's end a held tip is shown first, then call_ended; nothing after", () => {
  const stage = new HoldingStage();
  const { registry, messages, lines, fire } = setup(() => stage);
  fire().onSuggestion(tip("TOO_MUCH_SILENCE", 9_000, "Check in with the customer"));
  const show = stage.held[0].show;
  registry.end("CA1", "stream_stopped");
  assert.equal(stage.closed, true);
  assert.deepEqual(messages.map((m) => m.type), ["stream_started", "suggestion", "call_ended"]);
  const shown = messages[1];
  assert.ok(shown.type === "suggestion");
  assert.equal(shown.data.phrased_by, "rules");

  // A stage that broke its contract: the late tip is not shown after call_ended, and the log says so.
  show({ message: "Too late", phrasedBy: "model" });
  assert.equal(messages.length, 3);
  assert.ok(lines.some((line) => line.event === "tip_after_end"));
});

Deno.test("Tip stage - a tip that stops holding while it is being worded is shown, then cleared at once", () => {
  const stage = new HoldingStage();
  const { registry, messages, fire } = setup(() => stage);
  fire().onSuggestion(tip("SPEAKING_TOO_FAST", 5_000, "Slow down a little"));
  fire().onTipCleared!("SPEAKING_TOO_FAST", 5_400); // the agent slowed down before the words came
  assert.deepEqual(messages.map((m) => m.type), ["stream_started"], "nothing to clear on the page yet");
  stage.held[0].show({ message: "Ease off so they can follow", phrasedBy: "model" });
  assert.deepEqual(messages.slice(1), [
    { type: "suggestion", session_id: "CA1", data: (messages[1] as { data: unknown }).data },
    { type: "suggestion_cleared", session_id: "CA1", suggestion_id: "1", stream_ms: 5_400 },
  ]);
  assert.equal(registry.snapshot("CA1")[0].suggestions[0].active, false);
});
