/**
 * Class strings that depend on state (severity, connection, call status). Kept in one place so the page can
 * pre-generate their CSS on the server: the island switches between them at runtime, after the server
 * render, and the browser has no twind runtime.
 *
 * Colours: the severity backgrounds are the product's palette; every text colour on them passes WCAG AA
 * (≥ 4.5:1), and each severity also has a text label, so colour is never the only cue.
 *
 * @module
 */
import type { Severity } from "../core/protocol/ui_messages.ts";

/** How a severity looks and reads. */
export interface SeverityStyle {
  label: string;
  card: string;
  badge: string;
  /** Small marker before an earlier tip in the history list. */
  dot: string;
}

export const SEVERITY_STYLES: Record<Severity, SeverityStyle> = {
  low: {
    label: "Low priority",
    card: "bg-[#E3F2FD] border-[#1565C0]",
    badge: "bg-white text-[#0D47A1] border-[#1565C0]",
    dot: "bg-[#1565C0]",
  },
  medium: {
    label: "Medium priority",
    card: "bg-[#FFF9C4] border-[#F9A825]",
    badge: "bg-white text-[#6D4C00] border-[#F9A825]",
    dot: "bg-[#F9A825]",
  },
  high: {
    label: "High priority",
    card: "bg-[#FFEBEE] border-[#C62828]",
    badge: "bg-white text-[#B71C1C] border-[#C62828]",
    dot: "bg-[#C62828]",
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

/** Pace verdicts under the WPM gauge. */
export const PACE_STYLES = {
  unknown: "text-slate-600",
  slow: "text-amber-900",
  good: "text-emerald-800",
  fast: "text-red-800",
} as const;
