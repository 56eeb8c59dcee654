/**
 * What the meters show, settled so an agent can read them at a glance: the 4-per-second `metrics` turned
 * into values and verdicts that change only when the change is real.
 *
 * - Words per minute are rounded to 5 and change at most once a second.
 * - Every verdict (pace, volume, customer's mood) has hysteresis twice over: leaving a verdict takes a
 *   margin past its threshold, and a new verdict must hold for {@linkcode VERDICT_HOLD_MS} before it shows.
 * - "Speaking" shows at once, "Listening" only after {@linkcode LISTENING_AFTER_MS} without speech, so the
 *   pauses between phrases do not flicker.
 * - The two talk shares are whole percentages that always add up to 100.
 *
 * Times are browser milliseconds: this is about what a person sees. A pure function of the previous display,
 * one `metrics` message and the time, so it is tested without a browser.
 *
 * @module
 */
import type { MetricsData } from "../core/protocol/ui_messages.ts";

/** The agent's target zones (the coaching thresholds the server runs with); plain JSON, an island prop. */
export type MeterTargets = {
  /** Words per minute: below `min` is too slow, above `max` too fast. */
  paceWpm: { min: number; max: number };
  /** Active speech level in dBov: below `min` is too quiet, above `max` too loud. */
  levelDb: { min: number; max: number };
};

export type PaceVerdict = "slow" | "good" | "fast";
export type VolumeVerdict = "quiet" | "good" | "loud";
export type MoodVerdict = "calm" | "raised";

/** A value that changes only after its replacement has held for a while. */
export interface Settled<T> {
  value: T;
  /** The value waiting to replace it, and since when. */
  pending: T;
  pendingSinceMs: number;
}

/** The meters of one call as shown. */
export interface MeterDisplay {
  /** Words per minute, a multiple of 5; null until the server knows. */
  wpm: number | null;
  wpmShownAtMs: number;
  pace: Settled<PaceVerdict | null>;
  volume: Settled<VolumeVerdict | null>;
  mood: Settled<MoodVerdict | null>;
  agentSpeaking: boolean;
  agentSpokeAtMs: number;
  customerSpeaking: boolean;
  customerSpokeAtMs: number;
  /** Whole percentages adding up to 100; null before anyone talked. */
  talk: { agent: number; customer: number } | null;
  talkShownAtMs: number;
}

/** How long a new verdict must hold before it shows. */
export const VERDICT_HOLD_MS = 2_000;
/** The least time between two changes of a shown number (words per minute, talk shares). */
export const NUMBER_UPDATE_MS = 1_000;
/** "Listening" after this long without speech. */
export const LISTENING_AFTER_MS = 1_500;
/** Margins past a threshold before a verdict is left again. */
export const PACE_MARGIN_WPM = 5;
export const LEVEL_MARGIN_DB = 2;

export const EMPTY_METERS: MeterDisplay = {
  wpm: null,
  wpmShownAtMs: -Infinity,
  pace: { value: null, pending: null, pendingSinceMs: 0 },
  volume: { value: null, pending: null, pendingSinceMs: 0 },
  mood: { value: null, pending: null, pendingSinceMs: 0 },
  agentSpeaking: false,
  agentSpokeAtMs: -Infinity,
  customerSpeaking: false,
  customerSpokeAtMs: -Infinity,
  talk: null,
  talkShownAtMs: -Infinity,
};

/** `value` rounded to the nearest multiple of 5. */
export function roundTo5(value: number): number {
  return Math.round(value / 5) * 5;
}

/** The agent's share as a whole percentage and the customer's as the rest, so the two add up to 100. */
export function talkShares(ratio: number): { agent: number; customer: number } {
  const agent = Math.round(Math.min(1, Math.max(0, ratio)) * 100);
  return { agent, customer: 100 - agent };
}

/**
 * Which side of `zone` a value is on, leaving the current verdict only `margin` past the threshold it
 * crossed to get there.
 */
export function zoneVerdict<T extends string>(
  value: number,
  current: T | null,
  zone: { min: number; max: number },
  margin: number,
  words: { below: T; inside: T; above: T },
): T {
  if (current === words.above && value > zone.max - margin) return words.above;
  if (current === words.below && value < zone.min + margin) return words.below;
  return value > zone.max ? words.above : value < zone.min ? words.below : words.inside;
}

/** `settled` after seeing `candidate` at `nowMs`: the first known value shows at once, later ones after a hold. */
export function settle<T>(settled: Settled<T | null>, candidate: T | null, nowMs: number): Settled<T | null> {
  if (candidate === settled.value) return { ...settled, pending: candidate };
  if (settled.value === null || candidate === null) {
    return { value: candidate, pending: candidate, pendingSinceMs: nowMs };
  }
  if (candidate !== settled.pending) return { ...settled, pending: candidate, pendingSinceMs: nowMs };
  if (nowMs - settled.pendingSinceMs < VERDICT_HOLD_MS) return settled;
  return { value: candidate, pending: candidate, pendingSinceMs: nowMs };
}

/** The display after one `metrics` message received at browser time `nowMs`. */
export function nextMeterDisplay(
  prev: MeterDisplay,
  metrics: MetricsData,
  nowMs: number,
  targets: MeterTargets,
): MeterDisplay {
  const { agent, customer } = metrics;
  const wpm = agent.wpm === null ? null : roundTo5(agent.wpm);
  // The first number shows at once; after it, any change (to "—" too) waits its second.
  const wpmChanges = wpm !== prev.wpm &&
    (prev.wpmShownAtMs === -Infinity || nowMs - prev.wpmShownAtMs >= NUMBER_UPDATE_MS);
  const talk = metrics.talk_ratio === null ? null : talkShares(metrics.talk_ratio);
  const talkChanges = (talk === null) !== (prev.talk === null) ||
    (talk !== null && talk.agent !== prev.talk!.agent && nowMs - prev.talkShownAtMs >= NUMBER_UPDATE_MS);
  const agentSpokeAtMs = agent.speaking ? nowMs : prev.agentSpokeAtMs;
  const customerSpokeAtMs = customer.speaking ? nowMs : prev.customerSpokeAtMs;
  return {
    wpm: wpmChanges ? wpm : prev.wpm,
    wpmShownAtMs: wpmChanges ? nowMs : prev.wpmShownAtMs,
    pace: settle(
      prev.pace,
      agent.wpm === null
        ? null
        : zoneVerdict<PaceVerdict>(agent.wpm, prev.pace.value, targets.paceWpm, PACE_MARGIN_WPM, {
          below: "slow",
          inside: "good",
          above: "fast",
        }),
      nowMs,
    ),
    volume: settle(
      prev.volume,
      agent.level_db === null
        ? null
        : zoneVerdict<VolumeVerdict>(agent.level_db, prev.volume.value, targets.levelDb, LEVEL_MARGIN_DB, {
          below: "quiet",
          inside: "good",
          above: "loud",
        }),
      nowMs,
    ),
    mood: settle(
      prev.mood,
      customer.level_db === null ? null : metrics.customer_raised ? "raised" : "calm",
      nowMs,
    ),
    agentSpeaking: nowMs - agentSpokeAtMs < LISTENING_AFTER_MS,
    agentSpokeAtMs,
    customerSpeaking: nowMs - customerSpokeAtMs < LISTENING_AFTER_MS,
    customerSpokeAtMs,
    talk: talkChanges ? talk : prev.talk,
    talkShownAtMs: talkChanges ? nowMs : prev.talkShownAtMs,
  };
}
