/**
 * Types produced by the coaching engine.
 *
 * @module
 */

/** The coaching tips the rule engine can give. */
export const SUGGESTION_TYPES = [
  "SPEAKING_TOO_FAST",
  "SPEAKING_TOO_SLOW",
  "SPEAKING_TOO_LOUD",
  "SPEAKING_TOO_SOFT",
  "INTERRUPTING_CUSTOMER",
  "TOO_MUCH_SILENCE",
  "CONTINUOUS_SPEAKING",
  "CUSTOMER_RAISED_VOICE",
  "TALK_RATIO_HIGH",
] as const;
export type SuggestionType = (typeof SUGGESTION_TYPES)[number];

/** How much a tip matters: its colour and icon on the page, and which tip may replace which. */
export const SEVERITIES = ["low", "medium", "high"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A coaching tip as the engine emits it (stream time only; the session adds wall time). */
export interface Suggestion {
  type: SuggestionType;
  /** This firing's wording from the rule table. */
  message: string;
  severity: Severity;
  /** Stream time at which the tip was emitted. */
  streamMs: number;
  /** Why, in plain words, e.g. "About 185 words a minute; aim for 110–160". */
  reason: string;
  situation: TipSituation;
}

/**
 * The moment a tip fired, as numbers: what the optional phrasing of tips may tell a model besides the tip
 * itself (server/phrasing). Nothing in it identifies the call or quotes anyone.
 */
export interface TipSituation {
  /** How often this rule fired earlier in the call (0 the first time). */
  repeat: number;
  /** The customer's voice is raised (as `CUSTOMER_RAISED_VOICE` tests it). */
  customerRaisedVoice: boolean;
  /** The customer's recent level over their usual one, whole dB; null until their usual level is known. */
  customerAboveUsualDb: number | null;
  /** The agent's share of talk time in the recent window (0..1, two decimals); null before anyone talked. */
  talkRatio: number | null;
}

/** Conversation-level measurements the engine keeps up to date. */
export interface ConversationMetrics {
  /** Seconds both parties have been silent (0 while anyone talks or before the conversation starts). */
  silenceS: number;
  /** Times the agent interrupted the customer (same test as INTERRUPTING_CUSTOMER, without cooldown). */
  interruptions: number;
  /** Agent share of talk time over the recent window (0..1), null before anyone talked. */
  talkRatio: number | null;
  /** The customer speaks well above their usual level (CUSTOMER_RAISED_VOICE's condition, without its hold). */
  customerRaised: boolean;
}
