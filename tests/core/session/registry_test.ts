import assert from "node:assert/strict";
import { loadConfig } from "../../../core/config.ts";
import { createLogger, silentLogger } from "../../../core/log.ts";
import type { ServerMessage } from "../../../core/protocol/ui_messages.ts";
import type { CallPipelineOptions } from "../../../core/session/call_pipeline.ts";
import { MAX_KEPT_SUGGESTIONS } from "../../../core/session/call_session.ts";
import type { Suggestion } from "../../../core/coaching/types.ts";
import { SessionRegistry, SessionStateError } from "../../../core/session/registry.ts";

/** A registry on a fake wall clock, with its log lines collected. */
function setup() {
  const clock = { now: 1_700_000_000_000 };
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    now: () => new Date(clock.now),
    write: (line) => lines.push(JSON.parse(line)),
  });
  const registry = new SessionRegistry({ ...loadConfig({}), now: () => clock.now, log });
  return { registry, clock, lines };
}

function collect(registry: SessionRegistry, sessionId: string | null): ServerMessage[] {
  const messages: ServerMessage[] = [];
  registry.subscribe(sessionId, (message) => messages.push(message));
  return messages;
}

const silence = new Uint8Array(160).fill(0xff);

Deno.test("Registry - open is idempotent and a session starts waiting", () => {
  const { registry } = setup();
  const a = registry.open("CA1");
  assert.equal(registry.open("CA1"), a);
  assert.equal(a.status, "waiting");
  assert.equal(a.agentTrack, "outbound");
  assert.equal(registry.open("CA2", "inbound").agentTrack, "inbound");
  assert.equal(registry.size, 2);
  assert.equal(registry.activeCount, 2);
});

Deno.test("Registry - a stream starts once; media before start is refused", () => {
  const { registry, clock } = setup();
  const session = registry.open("CA1");
  assert.throws(() => session.ingest("inbound", 0, silence, clock.now), SessionStateError);
  session.startStream();
  assert.equal(session.status, "live");
  assert.throws(() => session.startStream(), /only once/);
  session.ingest("inbound", 0, silence, clock.now);
});

Deno.test("Registry - end happens once, sends call_ended, then the session is dropped after the grace", () => {
  const { registry, clock } = setup();
  const messages = collect(registry, "CA1");
  const session = registry.open("CA1");
  session.startStream();
  assert.equal(registry.end("CA1", "stream_stopped"), true);
  assert.equal(registry.end("CA1", "call_completed"), false, "a second end does nothing");
  assert.deepEqual(messages.filter((m) => m.type === "call_ended"), [
    { type: "call_ended", session_id: "CA1", reason: "stream_stopped" },
  ]);
  assert.throws(() => session.ingest("inbound", 0, silence, clock.now), SessionStateError);
  assert.equal(registry.activeCount, 0);
  clock.now += 599_999;
  registry.sweep(clock.now);
  assert.equal(registry.size, 1, "still listed during the ten-minute grace period");
  clock.now += 1;
  registry.sweep(clock.now);
  assert.equal(registry.size, 0);
});

Deno.test("Registry - an ended call gives its rings back at once and the next call reuses them", () => {
  const { registry, clock } = setup();
  const first = registry.open("CA1");
  first.startStream();
  for (let t = 0; t < 2_000; t += 20) first.ingest("inbound", t, silence, clock.now);
  assert.equal(registry.idleBufferBytes, 0);
  registry.end("CA1", "stream_stopped");
  const returned = registry.idleBufferBytes;
  assert.ok(returned > 10_000, `${returned} bytes given back`);
  assert.equal(registry.snapshot("CA1")[0].metrics?.stream_ms, 2_000, "the last metrics outlive the rings");
  registry.open("CA2").startStream();
  assert.equal(registry.idleBufferBytes, 0, "the next call took them");
  registry.end("CA2", "stream_stopped");
  assert.equal(registry.idleBufferBytes, returned);
});

Deno.test("Registry - 15 s without media ends a session (idle timeout)", () => {
  const { registry, clock, lines } = setup();
  const messages = collect(registry, null);
  const session = registry.open("CA1");
  session.startStream();
  session.ingest("outbound", 0, silence, clock.now);
  clock.now += 14_000;
  registry.sweep(clock.now);
  assert.equal(session.status, "live");
  session.ingest("outbound", 20, silence, clock.now);
  clock.now += 14_999;
  registry.sweep(clock.now);
  assert.equal(session.status, "live", "media resets the idle timer");
  clock.now += 1;
  registry.sweep(clock.now);
  assert.equal(session.status, "ended");
  assert.deepEqual(messages.at(-1), { type: "call_ended", session_id: "CA1", reason: "idle_timeout" });
  assert.ok(lines.some((l) => l.event === "session_ended" && l.reason === "idle_timeout"));
});

Deno.test("Registry - a session whose media never comes also times out", () => {
  const { registry, clock } = setup();
  registry.open("CA1");
  clock.now += 15_000;
  registry.sweep(clock.now);
  assert.equal(registry.get("CA1")?.status, "ended");
});

Deno.test("Registry - followers of one call get only that call; followers of all get every call", () => {
  const { registry, clock } = setup();
  const ofA = collect(registry, "CA_A");
  const ofB = collect(registry, "CA_B");
  const ofAll = collect(registry, null);
  for (const id of ["CA_A", "CA_B"]) {
    const session = registry.open(id);
    session.startStream();
    for (let t = 0; t < 1000; t += 20) session.ingest("outbound", t, silence, clock.now);
    registry.end(id, "stream_stopped");
  }
  assert.ok(ofA.length > 3 && ofB.length > 3);
  assert.ok(ofA.every((m) => "session_id" in m && m.session_id === "CA_A"));
  assert.ok(ofB.every((m) => "session_id" in m && m.session_id === "CA_B"));
  assert.equal(ofAll.length, ofA.length + ofB.length);
});

Deno.test("Registry - a failing page listener is logged and does not stop others", () => {
  const { registry, lines } = setup();
  registry.subscribe("CA1", () => {
    throw new Error("socket gone");
  });
  const messages = collect(registry, "CA1");
  registry.open("CA1").startStream();
  assert.equal(messages.length, 1);
  assert.ok(lines.some((l) => l.event === "listener_failed"));
});

Deno.test("Registry - unsubscribe stops delivery", () => {
  const { registry } = setup();
  const messages: ServerMessage[] = [];
  const stop = registry.subscribe("CA1", (m) => messages.push(m));
  stop();
  registry.open("CA1").startStream();
  assert.deepEqual(messages, []);
});

Deno.test("Registry - snapshot gives the state a reconnecting page needs", () => {
  const { registry, clock } = setup();
  const session = registry.open("CA1", "inbound");
  assert.deepEqual(registry.snapshot("CA1"), [{
    session_id: "CA1",
    status: "waiting",
    started_at: new Date(clock.now).toISOString(),
    agent_track: "inbound",
    customer_last4: null,
    metrics: null,
    suggestions: [],
  }]);
  session.startStream();
  for (let t = 0; t < 600; t += 20) session.ingest("inbound", t, silence, clock.now);
  const [snap] = registry.snapshot(null);
  assert.equal(snap.status, "live");
  assert.ok(snap.metrics && snap.metrics.stream_ms >= 250);
  assert.deepEqual(registry.snapshot("CA_unknown"), []);
});

Deno.test("Registry - endAll ends every running session", () => {
  const { registry } = setup();
  registry.open("CA1").startStream();
  registry.open("CA2");
  registry.endAll("shutdown");
  assert.equal(registry.activeCount, 0);
});

Deno.test("Registry - a call that ended and was dropped cannot be reopened by a replay", () => {
  const { registry, clock } = setup();
  registry.open("CA1").startStream();
  registry.end("CA1", "stream_stopped");
  clock.now += 600_000;
  registry.sweep(clock.now);
  assert.equal(registry.size, 0);
  assert.throws(() => registry.open("CA1"), /already ended/);
  assert.equal(registry.size, 0);
});

Deno.test("Registry - a page following every call gets the running calls and the 10 latest ended ones", () => {
  const { registry, clock } = setup();
  for (let i = 0; i < 14; i++) {
    registry.open(`CA${i}`).startStream();
    clock.now += 1000;
    if (i < 13) registry.end(`CA${i}`, "stream_stopped");
  }
  assert.deepEqual(
    registry.snapshot(null).map((s) => s.session_id),
    ["CA3", "CA4", "CA5", "CA6", "CA7", "CA8", "CA9", "CA10", "CA11", "CA12", "CA13"],
  );
  assert.equal(registry.snapshot("CA0")[0].status, "ended", "an older ended call is still there by its id");
  // Busy while a call runs, and in the tick after one ended; not for calls ended before.
  assert.equal(registry.busySince(clock.now), true);
  registry.end("CA13", "stream_stopped");
  assert.equal(registry.busySince(clock.now), true);
  assert.equal(registry.busySince(clock.now + 1), false);
});

const NO_SITUATION = { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: null };

/**
 * A registry whose calls' analysis is a stand-in: the test gives a session its results through the
 * callbacks of the last pipeline made (`analysis()`).
 */
function withStandInAnalysis(clock: { now: number }) {
  let options: CallPipelineOptions | null = null;
  const registry = new SessionRegistry({
    ...loadConfig({}),
    now: () => clock.now,
    log: silentLogger,
    pipelines: (made) => {
      options = made;
      return { streamMs: 0, alignment: {}, ingest() {}, flush() {}, metrics: () => null, dispose() {} };
    },
  });
  return { registry, analysis: () => options! };
}

Deno.test("Registry - a session keeps every tip, marks which still hold, and names the customer's last digits", () => {
  const clock = { now: 1_700_000_000_000 };
  const { registry, analysis } = withStandInAnalysis(clock);
  const messages = collect(registry, "CA1");
  registry.open("CA1").startStream("outbound", "4567");
  const tip = (type: Suggestion["type"], streamMs: number): Suggestion => ({
    type,
    message: type,
    severity: "medium",
    streamMs,
    reason: "",
    situation: NO_SITUATION,
  });
  analysis().onSuggestion(tip("SPEAKING_TOO_LOUD", 3_000));
  analysis().onSuggestion(tip("SPEAKING_TOO_FAST", 5_000));
  analysis().onTipCleared!("SPEAKING_TOO_LOUD", 6_000);
  analysis().onTipCleared!("SPEAKING_TOO_LOUD", 6_020); // nothing open: nothing to say
  analysis().onSuggestion(tip("SPEAKING_TOO_FAST", 40_000)); // replaces tip 2

  assert.deepEqual(messages[0], {
    type: "stream_started",
    session_id: "CA1",
    started_at: new Date(clock.now).toISOString(),
    agent_track: "outbound",
    customer_last4: "4567",
  });
  assert.deepEqual(messages.slice(1).map((m) => [m.type, m.type === "suggestion" ? m.data.id : null]), [
    ["suggestion", "1"],
    ["suggestion", "2"],
    ["suggestion_cleared", null],
    ["suggestion", "3"],
  ]);
  assert.deepEqual(messages[3], {
    type: "suggestion_cleared",
    session_id: "CA1",
    suggestion_id: "1",
    stream_ms: 6_000,
  });
  const active = () => registry.snapshot("CA1")[0].suggestions.map((s) => [s.id, s.active]);
  assert.deepEqual(active(), [["1", false], ["2", false], ["3", true]]);
  registry.end("CA1", "stream_stopped");
  assert.deepEqual(active(), [["1", false], ["2", false], ["3", false]], "nothing holds after the call");
  assert.equal(registry.snapshot("CA1")[0].customer_last4, "4567");
  const sent = messages[1];
  assert.ok(sent.type === "suggestion" && sent.data.active, "a message already sent is never changed");
});

Deno.test("Registry - a snapshot keeps the newest tips of a very long call", () => {
  const { registry, analysis } = withStandInAnalysis({ now: 0 });
  registry.open("CA1").startStream();
  for (let i = 0; i < MAX_KEPT_SUGGESTIONS + 5; i++) {
    analysis().onSuggestion({
      type: "TOO_MUCH_SILENCE",
      message: "",
      severity: "medium",
      streamMs: i,
      reason: "",
      situation: NO_SITUATION,
    });
  }
  const kept = registry.snapshot("CA1")[0].suggestions;
  assert.equal(kept.length, MAX_KEPT_SUGGESTIONS);
  assert.equal(kept[0].id, "6");
});
