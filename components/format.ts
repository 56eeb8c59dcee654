/**
 * Number formatting for the agent page. Every helper returns "—" for unknown values (null, NaN, ±Infinity)
 * so a meter never shows "NaN" while nobody is talking.
 *
 * @module
 */

/** Shown for a value that is not known yet. */
export const UNKNOWN = "—";

/** True for a usable number (not null, not NaN, not infinite). */
export function isKnown(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Clamp `value` into `[min, max]`. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** `m:ss`, or `h:mm:ss` from one hour on; negative durations count as 0. */
export function formatDuration(ms: number | null): string {
  if (!isKnown(ms)) return UNKNOWN;
  const total = Math.floor(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Whole words per minute, e.g. "142". */
export function formatWpm(wpm: number | null): string {
  return isKnown(wpm) ? String(Math.round(wpm)) : UNKNOWN;
}

/** Speech level, e.g. "−18 dBov" (with a real minus sign). */
export function formatDb(db: number | null): string {
  if (!isKnown(db)) return UNKNOWN;
  const rounded = Math.round(db);
  return `${rounded < 0 ? "\u2212" : ""}${Math.abs(rounded)} dBov`;
}

/** Seconds with one decimal under 10 s, whole seconds above, e.g. "3.2 s", "14 s". */
export function formatSeconds(seconds: number | null): string {
  if (!isKnown(seconds)) return UNKNOWN;
  const s = Math.max(0, seconds);
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** Local wall-clock hours and minutes of a time in ms since the epoch, e.g. "14:31"; "—" when unknown. */
export function formatClockMinutes(ms: number): string {
  if (!isKnown(ms)) return UNKNOWN;
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes()].map((n) => String(n).padStart(2, "0")).join(":");
}
