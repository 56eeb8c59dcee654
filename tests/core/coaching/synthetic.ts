/**
 * Synthetic per-slot analysis for driving the coaching engine in tests: each party is described by
 * speech intervals and what the analyzer would report during them.
 *
 * @module
 */
import { dbovToEnergy } from "../../../core/audio/mulaw.ts";
import { SLOT_MS, type TrackFrameResult } from "../../../core/audio/types.ts";
import type { CoachingConfig } from "../../../core/coaching/config.ts";
import { CoachingEngine } from "../../../core/coaching/engine.ts";
import type { Suggestion } from "../../../core/coaching/types.ts";

/** A stretch of speech [startMs, endMs) with what the analyzer reports during it. */
export interface SpeechSpan {
  from: number;
  to: number;
  wpm?: number | null;
  activeLevelDb?: number | null;
  /** This slot's level while speaking (dBov). */
  levelDb?: number;
}

/** One party's script: speech spans in time order; silence elsewhere. */
export type PartyScript = SpeechSpan[];

/**
 * Returns a frame source for the script that reuses ONE result object, like the real analyzer does.
 * Between spans `wpm` and `activeLevelDb` keep the last span's values (they describe recent speech).
 */
export function partyFrames(script: PartyScript): (streamMs: number) => TrackFrameResult {
  const result: TrackFrameResult = {
    speaking: false,
    frameEnergy: 0,
    activeLevelDb: null,
    wpm: null,
    wpmWindowSpeechS: 0,
  };
  let index = 0;
  return (streamMs) => {
    while (index < script.length && script[index].to <= streamMs) index++;
    const span = script[index];
    const inside = span !== undefined && span.from <= streamMs;
    result.speaking = inside;
    result.frameEnergy = inside ? dbovToEnergy(span.levelDb ?? -26) : 0;
    if (inside) {
      result.wpm = span.wpm === undefined ? 140 : span.wpm;
      result.activeLevelDb = span.activeLevelDb === undefined ? -26 : span.activeLevelDb;
      result.wpmWindowSpeechS = Math.min(20, result.wpmWindowSpeechS + SLOT_MS / 1000);
    }
    return result;
  };
}

/** Alternating `[from, to)` spans of `speakMs` speech and `pauseMs` pause inside [from, to). */
export function talking(
  from: number,
  to: number,
  speakMs: number,
  pauseMs: number,
  extra: Omit<SpeechSpan, "from" | "to"> = {},
): SpeechSpan[] {
  const spans: SpeechSpan[] = [];
  for (let t = from; t < to; t += speakMs + pauseMs) {
    spans.push({ from: t, to: Math.min(to, t + speakMs), ...extra });
  }
  return spans;
}

/** Sorts and merges several span lists into one script. */
export function script(...parts: SpeechSpan[][]): PartyScript {
  return parts.flat().sort((a, b) => a.from - b.from);
}

/**
 * Runs both scripts through a fresh engine for `durationMs` and returns the tips, the moments a tip's
 * condition stopped holding, and the engine.
 */
export function runCall(
  agent: PartyScript,
  customer: PartyScript,
  durationMs: number,
  config?: CoachingConfig,
): { tips: Suggestion[]; cleared: { type: Suggestion["type"]; streamMs: number }[]; engine: CoachingEngine } {
  const engine = new CoachingEngine(config);
  const agentAt = partyFrames(agent);
  const customerAt = partyFrames(customer);
  const tips: Suggestion[] = [];
  const cleared: { type: Suggestion["type"]; streamMs: number }[] = [];
  for (let t = 0; t < durationMs; t += SLOT_MS) {
    const tip = engine.step(t, agentAt(t), customerAt(t));
    for (const type of engine.clearedNow) cleared.push({ type, streamMs: t });
    if (tip) tips.push(tip);
  }
  return { tips, cleared, engine };
}

/** Stream times of the tips of one type. */
export function timesOf(tips: Suggestion[], type: Suggestion["type"]): number[] {
  return tips.filter((tip) => tip.type === type).map((tip) => tip.streamMs);
}
