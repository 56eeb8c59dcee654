/**
 * Class strings that depend on state (severity, connection, call status). Kept in one place so the page can
 * pre-generate their CSS on the server: the island switches between them at runtime, after the server
 * render, and the browser has no twind runtime.
 *
 * Colours: one accent per severity (blue, amber, red). Every text colour on a card passes WCAG AA
 * (≥ 4.5:1) and every icon and meter zone is at least 3:1 against what it sits on. Severity is never told by
 * colour alone: the card's icon differs in shape, and screen readers hear the label.
 *
 * @module
 */
import type { Severity } from "../core/protocol/ui_messages.ts";

/** How a severity looks and reads. */
export interface SeverityStyle {
  /** Read by screen readers (never shown as a badge). */
  label: string;
  /** Card background and border. */
  card: string;
  /** Icons on the card and in the list. */
  icon: string;
}

export const SEVERITY_STYLES: Record<Severity, SeverityStyle> = {
  low: {
    label: "Low priority",
    card: "bg-[#E3F2FD] border-[#1565C0]",
    icon: "text-[#0D47A1]",
  },
  medium: {
    label: "Medium priority",
    card: "bg-[#FFF9C4] border-[#F9A825]",
    icon: "text-[#6D4C00]",
  },
  high: {
    label: "High priority",
    card: "bg-[#FFEBEE] border-[#C62828]",
    icon: "text-[#B71C1C]",
  },
};

/** A status pill: text colour, background and the little dot. */
export interface PillStyle {
  pill: string;
  dot: string;
}

export const PILL_STYLES = {
  neutral: { pill: "bg-slate-100 text-slate-700", dot: "bg-slate-400" },
  live: { pill: "bg-red-50 text-red-800", dot: "bg-red-600 animate-pulse motion-reduce:animate-none" },
  good: { pill: "bg-emerald-50 text-emerald-800", dot: "bg-emerald-600" },
  warning: {
    pill: "bg-amber-50 text-amber-900",
    dot: "bg-amber-500 animate-pulse motion-reduce:animate-none",
  },
  bad: { pill: "bg-slate-200 text-slate-900", dot: "bg-slate-600" },
} satisfies Record<string, PillStyle>;

/** Meter verdicts: on target, off target one way or the other, not known yet. */
export const VERDICT_STYLES = {
  unknown: "text-slate-600",
  good: "text-emerald-800",
  low: "text-amber-900",
  high: "text-red-800",
} as const;
export type VerdictTone = keyof typeof VERDICT_STYLES;

/**
 * Meter bars: the track, the target zone on it (≥ 3:1 against the track, so the zone is visible to
 * everyone) and the marker of the current value (≥ 3:1 against both, with a white outline).
 */
export const GAUGE_STYLES = {
  track: "bg-slate-200",
  zone: "bg-emerald-700",
  marker: "bg-slate-900 ring-2 ring-white",
  fill: "bg-sky-700",
  agentShare: "bg-indigo-600",
  customerShare: "bg-orange-400",
} as const;
