import assert from "node:assert/strict";
import type { MetricsData, ServerMessage, SuggestionData } from "../../core/protocol/ui_messages.ts";
import {
  applyMessage,
  callOptions,
  callStatusView,
  type CoachState,
  EMPTY_STATE,
  shownCall,
  TIP_FADE_MS,
  TIP_VISIBLE_MS,
  tipsView,
} from "../../islands/coach_state.ts";

const T0 = Date.parse("2026-01-01T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function tip(streamMs: number, severity: SuggestionData["severity"] = "medium"): SuggestionData {
  return {
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    fixed_message: "Slow down a little",
    phrased_by: "rules",
    severity,
    timestamp: iso(T0 + streamMs),
    stream_ms: streamMs,
    reason: "182 WPM for 5.0 s of speech",
  };
}

function metrics(streamMs: number): MetricsData {
  return {
    stream_ms: streamMs,
    agent: { speaking: true, level_db: -20, wpm: 150 },
    customer: { speaking: false, level_db: null, wpm: null },
    silence_s: 0,
    interruptions: 0,
    talk_ratio: 0.5,
  };
}

function play(messages: [ServerMessage, number][], start: CoachState = EMPTY_STATE): CoachState {
  return messages.reduce((state, [message, now]) => applyMessage(state, message, now), start);
}

const started = (id: string, at: number): ServerMessage => ({
  type: "stream_started",
  session_id: id,
  started_at: iso(at),
  agent_track: "outbound",
});

Deno.test("Coach state - a tip is shown for 5 s, fades for 0.5 s, then is an earlier tip", () => {
  const state = play([[started("A", T0), T0], [
    { type: "suggestion", session_id: "A", data: tip(1000) },
    T0 + 1000,
  ]]);
  const call = shownCall(state, null);
  const phaseAt = (ms: number) => {
    const view = tipsView(call, T0 + 1000 + ms);
    return view.current[0]?.phase ?? (view.earlier.length === 1 ? "earlier" : "none");
  };
  assert.equal(phaseAt(0), "shown");
  assert.equal(phaseAt(TIP_VISIBLE_MS - 1), "shown");
  assert.equal(phaseAt(TIP_VISIBLE_MS), "leaving");
  assert.equal(phaseAt(TIP_VISIBLE_MS + TIP_FADE_MS), "earlier");
});

Deno.test("Coach state - a newer tip replaces the current one at once, newest on top", () => {
  const state = play([
    [started("A", T0), T0],
    [{ type: "suggestion", session_id: "A", data: tip(1000, "high") }, T0 + 1000],
    [{ type: "suggestion", session_id: "A", data: tip(2000, "low") }, T0 + 2000],
  ]);
  const view = tipsView(shownCall(state, null), T0 + 2100);
  assert.deepEqual(view.current.map((c) => [c.tip.severity, c.phase]), [["low", "shown"], [
    "high",
    "leaving",
  ]]);
  assert.deepEqual(tipsView(shownCall(state, null), T0 + 2000 + TIP_FADE_MS).earlier.map((t) => t.severity), [
    "high",
  ]);
});

Deno.test("Coach state - the newest live call is followed unless one is chosen", () => {
  const state = play([[started("A", T0), T0], [started("B", T0 + 5000), T0 + 5000]]);
  assert.equal(shownCall(state, null)?.id, "B");
  assert.equal(shownCall(state, "A")?.id, "A");
  assert.equal(shownCall(state, "gone")?.id, "B", "a chosen call that vanished falls back to the newest");
  const ended = applyMessage(
    state,
    { type: "call_ended", session_id: "B", reason: "stream_stopped" },
    T0 + 6000,
  );
  assert.equal(shownCall(ended, null)?.id, "A", "a live call wins over a newer ended one");
  assert.deepEqual(callOptions(state).map((o) => o.id), ["B", "A"]);
});

Deno.test("Coach state - hello after a reconnect restores tips and metrics without duplicates", () => {
  const before = play([
    [started("A", T0), T0],
    [{ type: "suggestion", session_id: "A", data: tip(1000) }, T0 + 1000],
    [started("B", T0), T0],
  ]);
  const after = applyMessage(before, {
    type: "hello",
    sessions: [{
      session_id: "A",
      status: "live",
      started_at: iso(T0),
      agent_track: "outbound",
      metrics: metrics(9000),
      recent_suggestions: [tip(1000), tip(8000)],
    }],
  }, T0 + 9000);
  const a = after.calls.find((c) => c.id === "A")!;
  assert.deepEqual(a.tips.map((t) => t.stream_ms), [1000, 8000]);
  assert.equal(a.metrics?.stream_ms, 9000);
  assert.equal(after.calls.find((c) => c.id === "B")?.status, "ended", "a call the server forgot has ended");

  const scoped = applyMessage(
    before,
    {
      type: "hello",
      sessions: [{
        session_id: "A",
        status: "live",
        started_at: iso(T0),
        agent_track: "outbound",
        metrics: null,
        recent_suggestions: [],
      }],
    },
    T0 + 9000,
    "A",
  );
  assert.equal(
    scoped.calls.find((c) => c.id === "B")?.status,
    "live",
    "a hello for one call says nothing of others",
  );
});

Deno.test("Coach state - call status: none, live with a running timer, ended with its length", () => {
  assert.deepEqual(callStatusView(null, T0), { kind: "none" });
  const live = play([[started("A", T0), T0], [
    { type: "metrics", session_id: "A", data: metrics(61_000) },
    T0,
  ]]);
  assert.deepEqual(callStatusView(shownCall(live, null), T0 + 65_000), { kind: "live", elapsedMs: 65_000 });
  const ended = applyMessage(
    live,
    { type: "call_ended", session_id: "A", reason: "stream_stopped" },
    T0 + 70_000,
  );
  assert.deepEqual(callStatusView(shownCall(ended, null), T0 + 90_000), {
    kind: "ended",
    durationMs: 61_000,
  });
});

Deno.test("Coach state - messages for an unknown call create it; a server error is kept for display", () => {
  const state = applyMessage(
    EMPTY_STATE,
    { type: "metrics", session_id: "X", data: metrics(4000) },
    T0 + 4000,
  );
  assert.equal(state.calls[0].status, "live");
  assert.equal(state.calls[0].startedAtMs, T0);
  assert.equal(applyMessage(state, { type: "error", message: "nope" }, T0).serverError, "nope");
});
