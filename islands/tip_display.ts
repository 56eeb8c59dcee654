/**
 * Which tip is on screen: the rules that keep a card up long enough to read and never leave the agent with
 * an empty tip area while something still needs attention.
 *
 * - A card stays at least {@linkcode MIN_DWELL_MS} ({@linkcode HIGH_DWELL_MS} for a high-severity tip)
 *   before anything replaces it.
 * - After that, a new tip of equal or higher severity replaces it; a lower one waits.
 * - While the server says the tip's condition still holds (`active`), the card stays; it leaves once the
 *   condition stopped holding and its dwell is over, and the best waiting tip takes its place.
 * - Waiting tips: any tip whose condition still holds, and tips never shown that arrived less than
 *   {@linkcode WAIT_LIMIT_MS} ago. The most severe goes first, then the newest. A tip shown before comes back
 *   only when the card on screen leaves, so two tips that both hold never take turns.
 * - When the call ends, the card leaves at once.
 *
 * A pure function of the call's tips (with the browser times they arrived and stopped holding), the time, and
 * when each card was first rendered: a card's dwell counts from the moment it was really on screen, however
 * late a busy browser drew it. The page replays the rules from the start on every render, which keeps them
 * simple and testable.
 *
 * @module
 */
import type { SuggestionData } from "../core/protocol/ui_messages.ts";

/** A tip as the page keeps it. */
export interface TipRecord extends SuggestionData {
  /** Unique on the page: session id and tip id. */
  key: string;
  /** Browser time the page learned of the tip. */
  receivedAtMs: number;
  /**
   * Browser time its condition stopped holding (a `suggestion_cleared`, a newer tip of its type, the end of
   * the call), or null while it holds.
   */
  clearedAtMs: number | null;
}

/** Least time a card stays before another replaces it. */
export const MIN_DWELL_MS = 3_000;
/** Least time a high-severity card stays. */
export const HIGH_DWELL_MS = 5_000;
/** A tip that waited this long for its turn and no longer holds is not shown (it stays in the list). */
export const WAIT_LIMIT_MS = 10_000;
/** The cross-fade between two cards (matches the CSS transition). */
export const TIP_FADE_MS = 400;

const RANK = { low: 0, medium: 1, high: 2 } as const;

/** What the tip area shows at a moment. */
export interface TipDisplay {
  /** The card on screen and when it came up. */
  current: { tip: TipRecord; shownAtMs: number } | null;
  /** The card fading out under it, for {@linkcode TIP_FADE_MS} after it was replaced or left. */
  leaving: TipRecord | null;
  /**
   * When the display changes next without a new message (a dwell or a fade ends), so the page can render
   * then and not a tick later; null when only a message can change it.
   */
  nextChangeAtMs: number | null;
}

/** Least time `tip` stays on screen. */
export function dwellMs(tip: Pick<SuggestionData, "severity">): number {
  return tip.severity === "high" ? HIGH_DWELL_MS : MIN_DWELL_MS;
}

/** Whether `tip`'s condition still holds at `atMs`. */
export function holdsAt(tip: TipRecord, atMs: number): boolean {
  return tip.clearedAtMs === null || tip.clearedAtMs > atMs;
}

/**
 * The tip area at `nowMs`, for a call that ended at `endedAtMs` (null while it runs); `renderedAt` holds when
 * the page first drew each card (by key), when it was later than the card was due.
 */
export function tipDisplay(
  tips: readonly TipRecord[],
  endedAtMs: number | null,
  nowMs: number,
  renderedAt: ReadonlyMap<string, number> = new Map(),
): TipDisplay {
  const arrived = [...tips].sort((a, b) => a.receivedAtMs - b.receivedAtMs);
  const seen = new Set<string>();
  const screen: { current: TipDisplay["current"]; leaving: { tip: TipRecord; atMs: number } | null } = {
    current: null,
    leaving: null,
  };
  const stop = endedAtMs === null ? nowMs : Math.min(nowMs, endedAtMs);

  const best = (atMs: number, onlyNew: boolean, atLeast: number): TipRecord | null => {
    let pick: TipRecord | null = null;
    for (const tip of arrived) {
      if (tip.receivedAtMs > atMs || tip === screen.current?.tip || RANK[tip.severity] < atLeast) continue;
      const fresh = !seen.has(tip.key);
      const waiting = (fresh || !onlyNew) && holdsAt(tip, atMs) ||
        fresh && atMs - tip.receivedAtMs < WAIT_LIMIT_MS;
      if (!waiting) continue;
      // Later arrivals come later in `arrived`: on equal severity the newest wins.
      if (!pick || RANK[tip.severity] >= RANK[pick.severity]) pick = tip;
    }
    return pick;
  };
  const show = (tip: TipRecord | null, atMs: number) => {
    if (screen.current) screen.leaving = { tip: screen.current.tip, atMs };
    screen.current = tip ? { tip, shownAtMs: Math.max(atMs, renderedAt.get(tip.key) ?? atMs) } : null;
    if (tip) seen.add(tip.key);
  };

  // Walk the moments something can change: arrivals, conditions that stop holding, dwells that end.
  let t = arrived.length > 0 ? arrived[0].receivedAtMs : Infinity;
  while (t <= stop) {
    const current = screen.current;
    if (current === null) {
      show(best(t, false, 0), t);
    } else if (t >= current.shownAtMs + dwellMs(current.tip)) {
      const replacement = best(t, true, RANK[current.tip.severity]);
      if (replacement) show(replacement, t);
      else if (!holdsAt(current.tip, t)) show(best(t, false, 0), t);
    }
    t = nextMoment(arrived, t, screen.current);
  }
  if (endedAtMs !== null && nowMs >= endedAtMs) return { current: null, leaving: null, nextChangeAtMs: null };
  const { current, leaving } = screen;
  const fading = leaving && nowMs - leaving.atMs < TIP_FADE_MS ? leaving : null;
  const moments = [
    fading ? fading.atMs + TIP_FADE_MS : Infinity,
    current && nowMs < current.shownAtMs + dwellMs(current.tip)
      ? current.shownAtMs + dwellMs(current.tip)
      : Infinity,
  ];
  const next = Math.min(...moments);
  return { current, leaving: fading?.tip ?? null, nextChangeAtMs: next === Infinity ? null : next };
}

/** The first moment after `t` at which the display may change. */
function nextMoment(
  arrived: readonly TipRecord[],
  t: number,
  current: TipDisplay["current"],
): number {
  let next = Infinity;
  for (const tip of arrived) {
    if (tip.receivedAtMs > t) next = Math.min(next, tip.receivedAtMs);
    if (tip.clearedAtMs !== null && tip.clearedAtMs > t) next = Math.min(next, tip.clearedAtMs);
  }
  if (current) {
    const dwellEnd = current.shownAtMs + dwellMs(current.tip);
    if (dwellEnd > t) next = Math.min(next, dwellEnd);
  }
  return next;
}
