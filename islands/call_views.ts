/**
 * How the page names and describes calls: "Call 2 · 14:31 · …4567", the top bar's status, the picker's
 * entries and what is announced when a call starts or ends.
 *
 * @module
 */
import type { CallOption } from "../components/call_bar.tsx";
import { formatClockMinutes, formatDuration } from "../components/format.ts";
import type { CallStatusView } from "../components/top_bar.tsx";
import type { CallView, CoachState } from "./coach_state.ts";

/** "Call 2 · 14:31 · …4567": number, start time, and the customer's last 4 digits when known. */
export function callLabel(call: Pick<CallView, "number" | "startedAtMs" | "customerLast4">): string {
  const parts = [`Call ${call.number}`, formatClockMinutes(call.startedAtMs)];
  if (call.customerLast4) parts.push(`…${call.customerLast4}`);
  return parts.join(" · ");
}

/** Picker entries, newest first; ended calls say so. */
export function callOptions(state: CoachState): CallOption[] {
  return [...state.calls].reverse().map((call) => ({
    id: call.id,
    label: call.status === "ended" ? `${callLabel(call)} (ended)` : callLabel(call),
  }));
}

/** How long the call ran: stream time when known (it does not depend on clock skew). */
export function callDurationMs(call: CallView): number | null {
  return call.metrics?.stream_ms ??
    (call.endedAtMs !== null ? Math.max(0, call.endedAtMs - call.startedAtMs) : null);
}

/**
 * The top bar's call status. A live call's time is stream time once metrics come (what the tips' "at 0:44"
 * count in), running on between them.
 */
export function callStatusView(call: CallView | null, nowMs: number): CallStatusView {
  if (!call) return { kind: "none" };
  if (call.status === "waiting") return { kind: "waiting" };
  if (call.status === "live") {
    const elapsedMs = call.metrics
      ? call.metrics.stream_ms + nowMs - call.metricsAtMs
      : nowMs - call.startedAtMs;
    return { kind: "live", elapsedMs: Math.max(0, elapsedMs) };
  }
  return { kind: "ended", durationMs: callDurationMs(call) };
}

/** What a screen reader hears when the followed call starts or ends. */
export function callAnnouncement(call: CallView, event: "started" | "ended"): string {
  if (event === "started") return `${callLabel(call)} is live. Coaching is on.`;
  const duration = callDurationMs(call);
  const tips = call.tips.length === 1 ? "1 tip" : `${call.tips.length} tips`;
  return `${callLabel(call)} ended${duration === null ? "" : ` after ${formatDuration(duration)}`}, ${tips}.`;
}
