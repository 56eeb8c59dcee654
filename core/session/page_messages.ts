/**
 * The one place where the analysis's domain values become page messages (core/protocol/ui_messages.ts):
 * names in the wire's snake_case, figures rounded as the page shows them, wall time as ISO 8601.
 *
 * @module
 */
import type { Suggestion } from "../coaching/types.ts";
import type { MetricsData, PartyMetrics, SuggestionData } from "../protocol/ui_messages.ts";
import type { CallMetrics, PartyReading } from "./call_pipeline.ts";
import type { TipWording } from "./tip_stage.ts";

/** The body of a `metrics` message: levels to 0.1 dB, WPM whole, silence to 0.1 s, talk ratio to 0.001. */
export function metricsData(metrics: CallMetrics): MetricsData {
  return {
    stream_ms: metrics.streamMs,
    agent: partyMetrics(metrics.agent),
    customer: partyMetrics(metrics.customer),
    silence_s: round(metrics.silenceS, 1),
    interruptions: metrics.interruptions,
    talk_ratio: metrics.talkRatio === null ? null : round(metrics.talkRatio, 3),
    customer_raised: metrics.customerRaised,
  };
}

function partyMetrics(reading: PartyReading): PartyMetrics {
  return {
    speaking: reading.speaking,
    level_db: reading.levelDb === null ? null : round(reading.levelDb, 1),
    wpm: reading.wpm === null ? null : Math.round(reading.wpm),
  };
}

/** The body of a `suggestion` message: tip `id` of its call, shown in `wording` at wall time `wallMs`. */
export function suggestionData(
  tip: Suggestion,
  wording: TipWording,
  id: string,
  wallMs: number,
): SuggestionData {
  return {
    id,
    type: tip.type,
    message: wording.message,
    fixed_message: tip.message,
    phrased_by: wording.phrasedBy,
    severity: tip.severity,
    timestamp: new Date(wallMs).toISOString(),
    stream_ms: tip.streamMs,
    reason: tip.reason,
    active: true,
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
