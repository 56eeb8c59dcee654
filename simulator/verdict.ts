/**
 * Compares the tips a call produced with what its scenario expects: the one judge of the simulator's
 * calls and of the accuracy report's.
 *
 * Each expected tip is matched by the first unused tip of its type inside its stream-time window. A tip
 * that matches no expectation is unexpected, and fails the scenario, unless its type is tolerated or it
 * repeats an expected tip inside that tip's window (the engine reminds again, after its cooldown, while
 * the cause lasts).
 *
 * @module
 */
import type { SuggestionType } from "../core/coaching/types.ts";
import type { TipWindow } from "./script.ts";

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
  /** Tips that matched no expectation but may appear: a tolerated type, or a repeat inside its window. */
  tolerated: SeenTip[];
}

/** Judges `tips` (in arrival order) against the scenario's expectations. */
export function judgeTips(
  expect: readonly TipWindow[],
  tolerate: readonly SuggestionType[],
  tips: readonly SeenTip[],
): Verdict {
  const inside = (tip: SeenTip, window: TipWindow) =>
    tip.type === window.type && tip.streamMs >= window.fromMs && tip.streamMs <= window.toMs;
  const used = new Set<number>();
  const matched: Verdict["matched"] = [];
  const missing: TipWindow[] = [];
  for (const expected of expect) {
    const index = tips.findIndex((tip, i) => !used.has(i) && inside(tip, expected));
    if (index < 0) missing.push(expected);
    else {
      used.add(index);
      matched.push({ expected, tip: tips[index] });
    }
  }
  const allowed = (tip: SeenTip) => tolerate.includes(tip.type) || expect.some((w) => inside(tip, w));
  const extra = tips.filter((_, i) => !used.has(i));
  const unexpected = extra.filter((tip) => !allowed(tip));
  const tolerated = extra.filter(allowed);
  return { ok: missing.length === 0 && unexpected.length === 0, matched, missing, unexpected, tolerated };
}
