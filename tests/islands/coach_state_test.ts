import assert from "node:assert/strict";
import type { MetricsData, ServerMessage, SuggestionData } from "../../core/protocol/ui_messages.ts";
import {
  applyMessage,
  type CoachState,
  dismissOffer,
  followCall,
  followedCall,
  initialState,
  switchOffer,
} from "../../islands/coach_state.ts";
import { callLabel, callOptions, callStatusView } from "../../islands/call_views.ts";

const T0 = new Date(2026, 0, 1, 14, 31, 0).getTime();
const iso = (ms: number) => new Date(ms).toISOString();
const TARGETS = { paceWpm: { min: 110, max: 160 }, levelDb: { min: -38, max: -16 } };

export function tipData(id: string, streamMs: number, over: Partial<SuggestionData> = {}): SuggestionData {
  return {
    id,
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    fixed_message: "Slow down a little",
    phrased_by: "rules",
    severity: "medium",
    timestamp: iso(T0 + streamMs),
    stream_ms: streamMs,
    reason: "About 185 words a minute; aim for 110–160",
    active: true,
    ...over,
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
    customer_raised: false,
  };
}

function play(messages: [ServerMessage, number][], start = initialState(TARGETS)): CoachState {
  return messages.reduce((state, [message, now]) => applyMessage(state, message, now), start);
}

const started = (id: string, at: number, last4: string | null = null): ServerMessage => ({
  type: "stream_started",
  session_id: id,
  started_at: iso(at),
  agent_track: "outbound",
  customer_last4: last4,
});
const ended = (id: string): ServerMessage => ({
  type: "call_ended",
  session_id: id,
  reason: "stream_stopped",
});
const suggestion = (id: string, data: SuggestionData): ServerMessage => ({
  type: "suggestion",
  session_id: id,
  data,
});

Deno.test("Coach state - calls are numbered and labelled with their start time and the customer's last 4 digits", () => {
  const state = play([
    [started("A", T0, "4567"), T0],
    [started("B", T0 + 60_000), T0 + 60_000],
  ]);
  assert.deepEqual(state.calls.map(callLabel), ["Call 1 · 14:31 · …4567", "Call 2 · 14:32"]);
  assert.deepEqual(callOptions(play([[ended("A"), T0 + 70_000]], state)).map((o) => o.label), [
    "Call 2 · 14:32",
    "Call 1 · 14:31 · …4567 (ended)",
  ]);
});

Deno.test("Coach state - the followed call stays while it is live; a newer call is offered, not shown", () => {
  let state = play([[started("A", T0), T0], [started("B", T0 + 5000), T0 + 5000]]);
  assert.equal(state.followedId, "A");
  assert.equal(switchOffer(state)?.id, "B");
  state = play([[ended("B"), T0 + 9000]], state);
  assert.equal(switchOffer(state), null, "an ended call is not offered");
  state = play([[started("C", T0 + 10_000), T0 + 10_000]], state);
  assert.equal(switchOffer(state)?.id, "C");
  state = dismissOffer(state, "C");
  assert.equal(switchOffer(state), null, "a dismissed offer stays dismissed");
  state = followCall(state, "C", T0 + 11_000);
  assert.equal(followedCall(state)?.id, "C");
  assert.equal(switchOffer(state), null);
});

Deno.test("Coach state - an ended call stays on screen until the next call starts, then the page follows that", () => {
  let state = play([
    [started("A", T0), T0],
    [suggestion("A", tipData("1", 1000)), T0 + 1000],
    [ended("A"), T0 + 20_000],
  ]);
  assert.equal(followedCall(state)?.status, "ended");
  assert.deepEqual(callStatusView(followedCall(state), T0 + 30_000), { kind: "ended", durationMs: 20_000 });
  assert.equal(followedCall(state)?.tips.length, 1, "the ended call keeps its tips");
  state = play([[started("B", T0 + 60_000), T0 + 60_000]], state);
  assert.equal(state.followedId, "B", "the next call is followed");
  assert.equal(switchOffer(state), null);
});

Deno.test("Coach state - when the followed call ends while another runs, the page stays and offers the other", () => {
  let state = play([[started("A", T0), T0], [started("B", T0 + 1000), T0 + 1000], [ended("A"), T0 + 5000]]);
  assert.equal(state.followedId, "A");
  assert.equal(switchOffer(state)?.id, "B");
  // A reload: both calls arrive in one hello; the page follows the running one and offers nothing.
  state = play([[{
    type: "hello",
    sessions: [["A", "ended"], ["B", "live"]].map(([id, status], i) => ({
      session_id: id,
      status: status as "ended" | "live",
      started_at: iso(T0 + i * 1000),
      agent_track: "outbound" as const,
      customer_last4: null,
      metrics: null,
      suggestions: [],
    })),
  }, T0 + 6000]]);
  assert.equal(state.followedId, "B");
  assert.equal(switchOffer(state), null);
  assert.deepEqual(state.calls.map((c) => c.number), [1, 2]);
});

Deno.test("Coach state - tips: cleared by the server, replaced by a newer tip of their type, ended with the call", () => {
  let state = play([
    [started("A", T0), T0],
    [suggestion("A", tipData("1", 1000)), T0 + 1000],
    [suggestion("A", tipData("2", 2000, { type: "SPEAKING_TOO_LOUD" })), T0 + 2000],
    [{ type: "suggestion_cleared", session_id: "A", suggestion_id: "2", stream_ms: 2500 }, T0 + 2500],
  ]);
  const cleared = () => followedCall(state)!.tips.map((t) => t.clearedAtMs);
  assert.deepEqual(cleared(), [null, T0 + 2500]);
  state = play([[suggestion("A", tipData("3", 40_000)), T0 + 40_000]], state);
  assert.deepEqual(cleared(), [T0 + 40_000, T0 + 2500, null], "tip 3 replaces tip 1");
  state = play([[suggestion("A", tipData("3", 40_000)), T0 + 40_100]], state);
  assert.equal(followedCall(state)!.tips.length, 3, "a repeated message adds nothing");
  state = play([[ended("A"), T0 + 50_000]], state);
  assert.deepEqual(cleared(), [T0 + 40_000, T0 + 2500, T0 + 50_000], "nothing holds after the call");
});

Deno.test("Coach state - a reload's hello restores every tip, with those no longer active already cleared", () => {
  const state = play([[{
    type: "hello",
    sessions: [{
      session_id: "A",
      status: "ended",
      started_at: iso(T0),
      agent_track: "outbound",
      customer_last4: "0100",
      metrics: metrics(120_000),
      suggestions: Array.from({ length: 9 }, (_, i) => tipData(String(i + 1), i * 10_000, { active: false })),
    }],
  }, T0 + 200_000]]);
  const call = followedCall(state)!;
  assert.equal(call.tips.length, 9, "all nine tips, not the last few");
  assert.ok(call.tips.every((tip) => tip.clearedAtMs !== null && tip.clearedAtMs <= T0 + 200_000));
  assert.equal(call.customerLast4, "0100");
  assert.deepEqual(callStatusView(call, T0 + 300_000), { kind: "ended", durationMs: 120_000 });
});

Deno.test("Coach state - tips missed while the feed was down come with a later hello, in their places", () => {
  const loud = { type: "SPEAKING_TOO_LOUD" as const };
  const session = (suggestions: SuggestionData[]) => ({
    type: "hello" as const,
    sessions: [{
      session_id: "A",
      status: "live" as const,
      started_at: iso(T0),
      agent_track: "outbound" as const,
      customer_last4: null,
      metrics: metrics(9000),
      suggestions,
    }],
  });
  // Tip 1 came live; 2 and 3 were missed; 4 came live once the feed was back, before the fresh hello.
  const state = play([
    [started("A", T0), T0],
    [suggestion("A", tipData("1", 1000, loud)), T0 + 1000],
    [suggestion("A", tipData("4", 8000)), T0 + 8000],
    [
      session([tipData("1", 1000, loud), tipData("2", 2000, loud), tipData("3", 3000), tipData("4", 8000)]),
      T0 + 9000,
    ],
  ]);
  const tips = followedCall(state)!.tips;
  assert.deepEqual(tips.map((t) => t.id), ["1", "2", "3", "4"], "in stream order");
  assert.deepEqual(
    tips.map((t) => t.clearedAtMs),
    [T0 + 2000, null, T0 + 8000, null],
    "2 replaces 1; 3 comes replaced by 4 (from when 4 came), which still holds",
  );
});

Deno.test("Coach state - calls missing from a later hello have ended; the server's error is kept until then", () => {
  let state = play([[started("A", T0), T0], [{ type: "error", message: "boom" }, T0 + 1]]);
  assert.equal(state.serverError, "boom");
  state = play([[{ type: "hello", sessions: [] }, T0 + 5000]], state);
  assert.equal(followedCall(state)?.status, "ended");
  assert.equal(state.serverError, null);
});

Deno.test("Coach state - metrics start a call the page missed and feed its meters", () => {
  const state = play([[{ type: "metrics", session_id: "A", data: metrics(4000) }, T0 + 4000]]);
  const call = followedCall(state)!;
  assert.equal(call.status, "live");
  assert.equal(call.startedAtMs, T0);
  assert.equal(call.meters.wpm, 150);
  assert.deepEqual(callStatusView(call, T0 + 61_000), { kind: "live", elapsedMs: 61_000 });
  // The call's time is stream time, what the tips count in, even when the audio comes faster than real time.
  const fast = play([[{ type: "metrics", session_id: "A", data: metrics(20_000) }, T0 + 5000]], state);
  assert.deepEqual(callStatusView(followedCall(fast), T0 + 5100), { kind: "live", elapsedMs: 20_100 });
});

Deno.test("Coach state - the feed of other servers' calls degrades and recovers; a hello keeps the note", () => {
  const degraded: ServerMessage = {
    type: "feed_status",
    status: "degraded",
    message: "Coaching feed degraded: …",
  };
  let state = applyMessage(initialState(TARGETS), degraded, T0);
  assert.equal(state.feedDegraded, "Coaching feed degraded: …");
  state = applyMessage(state, { type: "hello", sessions: [] }, T0 + 1);
  assert.equal(state.feedDegraded, "Coaching feed degraded: …", "a hello says nothing about the feed");
  state = applyMessage(
    state,
    { type: "feed_status", status: "ok", message: "Coaching feed restored." },
    T0 + 2,
  );
  assert.equal(state.feedDegraded, null);
});
