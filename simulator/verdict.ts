/**
 * Compares the tips a call produced with what its scenario expects.
 *
 * Each expected tip is matched by the first unused tip of its type inside its stream-time window. A tip
 * that matches no expectation is unexpected, and fails the scenario unless its type is tolerated.
 *
 * @module
 */
import type { SuggestionType } from "../core/protocol/ui_messages.ts";
import type { TipWindow } from "./scenarios.ts";

/** A tip as seen on the UI socket: its type and stream time. */
export interface SeenTip {
  type: SuggestionType;
  streamMs: number;
}

/** The comparison. `ok` is false when an expected tip is missing or an intolerable tip appeared. */
export interface Verdict {
  ok: boolean;
  matched: { expected: TipWindow; tip: SeenTip }[];
  missing: TipWindow[];
  unexpected: SeenTip[];
  /** Unexpected but tolerated tips. */
  tolerated: SeenTip[];
}

/** Judges `tips` (in arrival order) against the scenario's expectations. */
export function judgeTips(
  expect: readonly TipWindow[],
  tolerate: readonly SuggestionType[],
  tips: readonly SeenTip[],
): Verdict {
  const used = new Set<number>();
  const matched: Verdict["matched"] = [];
  const missing: TipWindow[] = [];
  for (const expected of expect) {
    const index = tips.findIndex((tip, i) =>
      !used.has(i) && tip.type === expected.type && tip.streamMs >= expected.fromMs &&
      tip.streamMs <= expected.toMs
    );
    if (index < 0) missing.push(expected);
    else {
      used.add(index);
      matched.push({ expected, tip: tips[index] });
    }
  }
  const extra = tips.filter((_, i) => !used.has(i));
  const unexpected = extra.filter((tip) => !tolerate.includes(tip.type));
  const tolerated = extra.filter((tip) => tolerate.includes(tip.type));
  return { ok: missing.length === 0 && unexpected.length === 0, matched, missing, unexpected, tolerated };
}
