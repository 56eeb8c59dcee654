/**
 * Types produced by the coaching engine.
 *
 * @module
 */
import type { Severity, SuggestionType } from "../protocol/ui_messages.ts";

/** A coaching tip as the engine emits it (stream time only; the session adds wall time). */
export interface Suggestion {
  type: SuggestionType;
  message: string;
  severity: Severity;
  /** Stream time at which the tip was emitted. */
  streamMs: number;
  /** The evidence, e.g. "182 WPM for 5.0 s of speech". */
  reason: string;
}

/** Conversation-level measurements the engine keeps up to date. */
export interface ConversationMetrics {
  /** Seconds both parties have been silent (0 while anyone talks or before the conversation starts). */
  silenceS: number;
  /** Times the agent interrupted the customer (same test as INTERRUPTING_CUSTOMER, without cooldown). */
  interruptions: number;
  /** Agent share of talk time over the recent window (0..1), null before anyone talked. */
  talkRatio: number | null;
}
