/**
 * The agent page's state as a pure function of the UI socket messages and the browser clock, so the island
 * stays a thin view and the rules (which call to show, when a tip fades) are testable without a browser.
 *
 * @module
 */
import type { MetricsData, ServerMessage, SessionStatus } from "../core/protocol/ui_messages.ts";
import type { TipPhase, TipView } from "../components/suggestion_card.tsx";
import type { CallStatusView } from "../components/top_bar.tsx";
import type { CallOption } from "../components/call_picker.tsx";
import { formatClockTime } from "../components/format.ts";

/** How long a tip stays at full strength before it fades, unless a newer tip replaces it sooner. */
export const TIP_VISIBLE_MS = 5000;
/** Length of the fade-out; the card leaves the DOM after it (matches the CSS transition). */
export const TIP_FADE_MS = 500;
const MAX_TIPS_PER_CALL = 50;
const MAX_EARLIER_SHOWN = 8;
const MAX_CALLS = 12;

/** A tip with the browser time it arrived (its fade timer starts then). */
export type TipRecord = TipView & { receivedAtMs: number };

/** One call as the page knows it. */
export interface CallView {
  id: string;
  status: SessionStatus;
  startedAtMs: number;
  metrics: MetricsData | null;
  /** Oldest first. */
  tips: TipRecord[];
  endedAtMs: number | null;
}

/** Everything the page shows, apart from the connection. */
export interface CoachState {
  /** Oldest first. */
  calls: CallView[];
  /** Last `error` message from the server, shown to the user. */
  serverError: string | null;
}

export const EMPTY_STATE: CoachState = { calls: [], serverError: null };

function tipKey(sessionId: string, tip: { type: string; stream_ms: number }): string {
  return `${sessionId}:${tip.type}:${tip.stream_ms}`;
}

function parseTime(iso: string, fallbackMs: number): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallbackMs;
}

function newCall(id: string, startedAtMs: number): CallView {
  return { id, status: "waiting", startedAtMs, metrics: null, tips: [], endedAtMs: null };
}

function upsert(state: CoachState, id: string, create: () => CallView, update: (c: CallView) => CallView) {
  const existing = state.calls.find((call) => call.id === id);
  const updated = update(existing ?? create());
  const calls = existing
    ? state.calls.map((call) => (call.id === id ? updated : call))
    : [...state.calls, updated].slice(-MAX_CALLS);
  return { ...state, calls };
}

/**
 * The state after one server message received at browser time `nowMs`. `followed` is what the page
 * subscribed to (null = every call): a `hello` for one call says nothing about the others.
 */
export function applyMessage(
  state: CoachState,
  msg: ServerMessage,
  nowMs: number,
  followed: string | null = null,
): CoachState {
  switch (msg.type) {
    case "hello": {
      // The server's view wins; when following every call, calls it no longer knows ended while we were away
      // (the server drops ended calls after a few seconds, but the page keeps showing "Call ended").
      const fromServer = msg.sessions.map((s) => {
        const known = state.calls.find((call) => call.id === s.session_id);
        const tips = new Map((known?.tips ?? []).map((tip) => [tip.key, tip]));
        for (const tip of s.recent_suggestions) {
          const key = tipKey(s.session_id, tip);
          if (!tips.has(key)) {
            tips.set(key, { ...tip, key, receivedAtMs: Math.min(nowMs, parseTime(tip.timestamp, nowMs)) });
          }
        }
        return {
          id: s.session_id,
          status: s.status,
          startedAtMs: parseTime(s.started_at, nowMs),
          metrics: s.metrics ?? known?.metrics ?? null,
          tips: [...tips.values()].sort((a, b) => a.receivedAtMs - b.receivedAtMs).slice(-MAX_TIPS_PER_CALL),
          endedAtMs: s.status === "ended" ? (known?.endedAtMs ?? nowMs) : null,
        } satisfies CallView;
      });
      const gone = state.calls
        .filter((call) => !msg.sessions.some((s) => s.session_id === call.id))
        .map((call) =>
          call.status === "ended" || followed !== null
            ? call
            : { ...call, status: "ended" as const, endedAtMs: nowMs }
        );
      const calls = [...gone, ...fromServer].sort((a, b) => a.startedAtMs - b.startedAtMs).slice(-MAX_CALLS);
      return { calls, serverError: null };
    }
    case "stream_started":
      return upsert(
        state,
        msg.session_id,
        () => newCall(msg.session_id, parseTime(msg.started_at, nowMs)),
        (call) => ({ ...call, status: "live", startedAtMs: parseTime(msg.started_at, call.startedAtMs) }),
      );
    case "metrics":
      return upsert(
        state,
        msg.session_id,
        () => newCall(msg.session_id, nowMs - msg.data.stream_ms),
        (call) => ({ ...call, metrics: msg.data, status: call.status === "waiting" ? "live" : call.status }),
      );
    case "suggestion": {
      const tip: TipRecord = { ...msg.data, key: tipKey(msg.session_id, msg.data), receivedAtMs: nowMs };
      return upsert(
        state,
        msg.session_id,
        () => newCall(msg.session_id, nowMs - msg.data.stream_ms),
        (call) =>
          call.tips.some((t) => t.key === tip.key)
            ? call
            : { ...call, tips: [...call.tips, tip].slice(-MAX_TIPS_PER_CALL) },
      );
    }
    case "call_ended":
      return upsert(
        state,
        msg.session_id,
        () => newCall(msg.session_id, nowMs),
        (call) => ({ ...call, status: "ended", endedAtMs: call.endedAtMs ?? nowMs }),
      );
    case "error":
      return { ...state, serverError: msg.message };
  }
}

/** The call on screen: the chosen one if it still exists, else the newest live call, else the newest call. */
export function shownCall(state: CoachState, selectedId: string | null): CallView | null {
  const chosen = state.calls.find((call) => call.id === selectedId);
  if (chosen) return chosen;
  const live = state.calls.filter((call) => call.status === "live");
  return live.at(-1) ?? state.calls.at(-1) ?? null;
}

/** Split a call's tips into cards on screen (newest first, with their phase) and earlier tips. */
export function tipsView(call: CallView | null, nowMs: number): {
  current: { tip: TipRecord; phase: TipPhase }[];
  earlier: TipRecord[];
} {
  const newestFirst = [...(call?.tips ?? [])].reverse();
  const current: { tip: TipRecord; phase: TipPhase }[] = [];
  const earlier: TipRecord[] = [];
  newestFirst.forEach((tip, i) => {
    const replacedAt = i > 0 ? newestFirst[i - 1].receivedAtMs : Infinity;
    const fadeAt = Math.min(tip.receivedAtMs + TIP_VISIBLE_MS, replacedAt);
    if (nowMs < fadeAt) current.push({ tip, phase: "shown" });
    else if (nowMs < fadeAt + TIP_FADE_MS) current.push({ tip, phase: "leaving" });
    else earlier.push(tip);
  });
  return { current, earlier: earlier.slice(0, MAX_EARLIER_SHOWN) };
}

/** The top bar's call status. Duration prefers stream time, which does not depend on clock skew. */
export function callStatusView(call: CallView | null, nowMs: number): CallStatusView {
  if (!call) return { kind: "none" };
  if (call.status === "waiting") return { kind: "waiting" };
  if (call.status === "live") return { kind: "live", elapsedMs: Math.max(0, nowMs - call.startedAtMs) };
  const durationMs = call.metrics?.stream_ms ??
    (call.endedAtMs !== null ? Math.max(0, call.endedAtMs - call.startedAtMs) : null);
  return { kind: "ended", durationMs };
}

const STATUS_WORDS: Record<SessionStatus, string> = { waiting: "connecting", live: "live", ended: "ended" };

/** Picker entries, newest first: "Call …a1b2 · live · since 14:02:31". */
export function callOptions(state: CoachState): CallOption[] {
  return [...state.calls].reverse().map((call) => ({
    id: call.id,
    label: `Call …${call.id.slice(-4)} · ${STATUS_WORDS[call.status]} · since ${
      formatClockTime(new Date(call.startedAtMs).toISOString())
    }`,
  }));
}
