/**
 * The agent page's state as a pure function of the UI socket messages and the browser clock, so the island
 * stays a thin view and its rules (which call to follow, what the meters and the tip area show) are tested
 * without a browser.
 *
 * Which call the page follows: the one it follows stays while it is live; a call that starts meanwhile is
 * offered ("Another call started — switch?"). Once the followed call has ended, the page keeps showing it
 * (its tips, greyed meters) until the next call starts, and then follows that one.
 *
 * @module
 */
import type {
  MetricsData,
  ServerMessage,
  SessionStatus,
  SuggestionData,
} from "../core/protocol/ui_messages.ts";
import { EMPTY_METERS, type MeterDisplay, type MeterTargets, nextMeterDisplay } from "./meter_display.ts";
import type { TipRecord } from "./tip_display.ts";

/** At most this many tips are kept per call (the server keeps the newest 100 too). */
const MAX_TIPS_PER_CALL = 100;
/** At most this many calls are kept (ended ones go first). */
const MAX_CALLS = 12;

/** One call as the page knows it. */
export interface CallView {
  id: string;
  /** "Call 2": calls are numbered in the order the page learned of them. */
  number: number;
  status: SessionStatus;
  startedAtMs: number;
  customerLast4: string | null;
  /** Browser time the page first heard of the call. */
  firstSeenAtMs: number;
  endedAtMs: number | null;
  metrics: MetricsData | null;
  /** Browser time the latest metrics arrived. */
  metricsAtMs: number;
  meters: MeterDisplay;
  /** Oldest first. */
  tips: TipRecord[];
}

/** Everything the page shows, apart from the connection. */
export interface CoachState {
  targets: MeterTargets;
  /** Oldest first. */
  calls: CallView[];
  nextNumber: number;
  /** The call on screen, and since when (browser ms). */
  followedId: string | null;
  followedSinceMs: number;
  /** Calls whose "switch?" offer was dismissed. */
  dismissed: string[];
  /** Last `error` message from the server, shown to the user. */
  serverError: string | null;
  /** While the server says the feed of other servers' calls is degraded (cluster only): its message. */
  feedDegraded: string | null;
}

/** The state before the first message. */
export function initialState(targets: MeterTargets): CoachState {
  return {
    targets,
    calls: [],
    nextNumber: 1,
    followedId: null,
    followedSinceMs: 0,
    dismissed: [],
    serverError: null,
    feedDegraded: null,
  };
}

function parseTime(iso: string, fallbackMs: number): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallbackMs;
}

function tipRecord(sessionId: string, data: SuggestionData, receivedAtMs: number): TipRecord {
  return {
    ...data,
    key: `${sessionId}:${data.id}`,
    receivedAtMs,
    clearedAtMs: data.active ? null : receivedAtMs,
  };
}

/**
 * `tips` with `tip` added in its place in stream time: a tip missed while the feed was down comes with a
 * later `hello`, after newer tips came live. It supersedes an older tip of its type that still held; a
 * newer tip of its type already there supersedes it.
 */
function addTip(tips: TipRecord[], tip: TipRecord): TipRecord[] {
  if (tips.some((t) => t.key === tip.key)) return tips;
  const newer = tips.find((t) => t.type === tip.type && t.stream_ms > tip.stream_ms);
  const added = newer && tip.clearedAtMs === null
    ? { ...tip, clearedAtMs: Math.max(tip.receivedAtMs, newer.receivedAtMs) }
    : tip;
  const updated = tips.map((t) =>
    t.type === tip.type && t.clearedAtMs === null && t.stream_ms <= tip.stream_ms
      ? { ...t, clearedAtMs: tip.receivedAtMs }
      : t
  );
  let at = updated.length;
  while (at > 0 && updated[at - 1].stream_ms > tip.stream_ms) at--;
  return [...updated.slice(0, at), added, ...updated.slice(at)].slice(-MAX_TIPS_PER_CALL);
}

function endTips(tips: TipRecord[], atMs: number): TipRecord[] {
  return tips.map((tip) => (tip.clearedAtMs === null ? { ...tip, clearedAtMs: atMs } : tip));
}

/** Adds a call the page did not know, or updates it; new calls get the next number. */
function upsert(
  state: CoachState,
  id: string,
  nowMs: number,
  startedAtMs: number,
  update: (call: CallView) => CallView,
): CoachState {
  const existing = state.calls.find((call) => call.id === id);
  if (existing) return { ...state, calls: state.calls.map((call) => (call.id === id ? update(call) : call)) };
  const created: CallView = {
    id,
    number: state.nextNumber,
    status: "waiting",
    startedAtMs,
    customerLast4: null,
    firstSeenAtMs: nowMs,
    endedAtMs: null,
    metrics: null,
    metricsAtMs: nowMs,
    meters: EMPTY_METERS,
    tips: [],
  };
  return { ...state, calls: prune([...state.calls, update(created)]), nextNumber: state.nextNumber + 1 };
}

/** Keeps at most MAX_CALLS calls, dropping the oldest ended ones first. */
function prune(calls: CallView[]): CallView[] {
  const result = [...calls];
  while (result.length > MAX_CALLS) {
    const index = result.findIndex((call) => call.status === "ended");
    result.splice(index === -1 ? 0 : index, 1);
  }
  return result;
}

/** The state after one server message received at browser time `nowMs`. */
export function applyMessage(state: CoachState, msg: ServerMessage, nowMs: number): CoachState {
  return followNext(applyToCalls(state, msg, nowMs), nowMs);
}

function applyToCalls(state: CoachState, msg: ServerMessage, nowMs: number): CoachState {
  switch (msg.type) {
    case "hello": {
      // The server's view wins. Calls it no longer lists ended while the page was away (or the server
      // restarted); the page keeps them as ended.
      let next: CoachState = {
        ...state,
        serverError: null,
        calls: state.calls.map((call) =>
          call.status === "ended" || msg.sessions.some((s) => s.session_id === call.id)
            ? call
            : { ...call, status: "ended", endedAtMs: nowMs, tips: endTips(call.tips, nowMs) }
        ),
      };
      const sessions = [...msg.sessions].sort((a, b) =>
        parseTime(a.started_at, nowMs) - parseTime(b.started_at, nowMs)
      );
      for (const s of sessions) {
        next = upsert(next, s.session_id, nowMs, parseTime(s.started_at, nowMs), (call) => {
          let tips = call.tips;
          for (const data of s.suggestions) {
            const known = tips.find((t) => t.key === `${s.session_id}:${data.id}`);
            if (known) {
              if (!data.active && known.clearedAtMs === null) {
                tips = tips.map((t) => (t === known ? { ...t, clearedAtMs: nowMs } : t));
              }
            } else {
              tips = addTip(
                tips,
                tipRecord(s.session_id, data, Math.min(nowMs, parseTime(data.timestamp, nowMs))),
              );
            }
          }
          const endedAtMs = s.status === "ended" ? (call.endedAtMs ?? nowMs) : null;
          return {
            ...call,
            status: s.status,
            startedAtMs: parseTime(s.started_at, call.startedAtMs),
            customerLast4: s.customer_last4,
            endedAtMs,
            metrics: s.metrics ?? call.metrics,
            metricsAtMs: s.metrics ? nowMs : call.metricsAtMs,
            meters: s.metrics ? nextMeterDisplay(call.meters, s.metrics, nowMs, state.targets) : call.meters,
            tips: endedAtMs === null ? tips : endTips(tips, endedAtMs),
          };
        });
      }
      return next;
    }
    case "stream_started":
      return upsert(state, msg.session_id, nowMs, parseTime(msg.started_at, nowMs), (call) => ({
        ...call,
        status: "live",
        startedAtMs: parseTime(msg.started_at, call.startedAtMs),
        customerLast4: msg.customer_last4,
      }));
    case "metrics":
      return upsert(state, msg.session_id, nowMs, nowMs - msg.data.stream_ms, (call) => ({
        ...call,
        metrics: msg.data,
        metricsAtMs: nowMs,
        meters: nextMeterDisplay(call.meters, msg.data, nowMs, state.targets),
        status: call.status === "waiting" ? "live" : call.status,
      }));
    case "suggestion":
      return upsert(state, msg.session_id, nowMs, nowMs - msg.data.stream_ms, (call) => ({
        ...call,
        tips: addTip(call.tips, tipRecord(msg.session_id, msg.data, nowMs)),
      }));
    case "suggestion_cleared": {
      const key = `${msg.session_id}:${msg.suggestion_id}`;
      return {
        ...state,
        calls: state.calls.map((call) =>
          call.id !== msg.session_id ? call : {
            ...call,
            tips: call.tips.map((
              tip,
            ) => (tip.key === key && tip.clearedAtMs === null ? { ...tip, clearedAtMs: nowMs } : tip)),
          }
        ),
      };
    }
    case "call_ended":
      return upsert(state, msg.session_id, nowMs, nowMs, (call) => {
        const endedAtMs = call.endedAtMs ?? nowMs;
        return { ...call, status: "ended", endedAtMs, tips: endTips(call.tips, endedAtMs) };
      });
    case "error":
      return { ...state, serverError: msg.message };
    case "feed_status":
      return { ...state, feedDegraded: msg.status === "degraded" ? msg.message : null };
  }
}

function newest(calls: CallView[]): CallView | undefined {
  return calls.reduce<CallView | undefined>(
    (best, call) => (!best || call.startedAtMs >= best.startedAtMs ? call : best),
    undefined,
  );
}

/** Follows a call when there is none, and the next call once the followed one has ended. */
function followNext(state: CoachState, nowMs: number): CoachState {
  const followed = state.calls.find((call) => call.id === state.followedId);
  const running = state.calls.filter((call) => call.status !== "ended");
  let next: CallView | undefined;
  if (!followed) next = newest(running) ?? newest(state.calls);
  else if (followed.status === "ended") {
    next = newest(running.filter((call) => call.firstSeenAtMs >= (followed.endedAtMs ?? Infinity)));
  }
  if (!next || next.id === state.followedId) return state;
  return { ...state, followedId: next.id, followedSinceMs: nowMs };
}

/** The user picked call `id` in the picker or took the "switch?" offer. */
export function followCall(state: CoachState, id: string, nowMs: number): CoachState {
  if (!state.calls.some((call) => call.id === id)) return state;
  return { ...state, followedId: id, followedSinceMs: nowMs };
}

/** The user dismissed the "switch?" offer for call `id`. */
export function dismissOffer(state: CoachState, id: string): CoachState {
  return { ...state, dismissed: [...state.dismissed, id].slice(-MAX_CALLS) };
}

/** The call on screen. */
export function followedCall(state: CoachState): CallView | null {
  return state.calls.find((call) => call.id === state.followedId) ?? null;
}

/** A call that started after the page began following its call, still runs, and was not dismissed. */
export function switchOffer(state: CoachState): CallView | null {
  return newest(
    state.calls.filter((call) =>
      call.id !== state.followedId && call.status !== "ended" && !state.dismissed.includes(call.id) &&
      call.firstSeenAtMs > state.followedSinceMs
    ),
  ) ?? null;
}
