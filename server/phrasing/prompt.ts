/**
 * The request the optional AI phrasing sends a model for one tip. Everything that leaves this machine is
 * built here, from these fields only:
 *
 * - the rule (its type and severity), this firing's fixed wording and the evidence, in plain words
 *   ("About 185 words a minute; aim for 110–160");
 * - seconds into the call;
 * - how often this tip was already given in the call;
 * - the customer's state: voice raised or not, dB over their usual level, the agent's share of talk time;
 * - the last two tips shown in the call (their words).
 *
 * Never audio, phone numbers, CallSids or other identifiers, account data, or anything a caller said: the
 * coaching engine has none of these to give (it measures voices, it does not transcribe them).
 * docs/security.md states this; tests/server/phrasing/phraser_test.ts captures the bodies and checks it.
 *
 * @module
 */
import type { Suggestion } from "../../core/coaching/types.ts";
import type { PhrasingLanguage } from "../../core/config.ts";
import { MAX_WORDS } from "./answer.ts";

/** An OpenAI-compatible chat completion request, as sent. */
export interface ChatRequest {
  model: string;
  messages: { role: "system" | "user"; content: string }[];
  /** Room for one short sentence (six words are about 10 tokens), so a rambling answer costs little. */
  max_tokens: number;
}

/** The facts about one tip that the model is given (the user message, as JSON). */
export interface TipFacts {
  tip: Suggestion["type"];
  severity: Suggestion["severity"];
  fixed_message: string;
  evidence: string;
  seconds_into_call: number;
  times_given_before: number;
  customer_voice_raised: boolean;
  customer_db_above_usual: number | null;
  agent_share_of_talk: number | null;
  last_tips_shown: string[];
}

const LANGUAGE_NAMES: Record<PhrasingLanguage, string> = {
  en: "English",
  de: "German",
  fr: "French",
  es: "Spanish",
};

/** The facts sent for `tip`; `lastShown` are the words of the call's last tips shown, oldest first. */
export function tipFacts(tip: Suggestion, lastShown: readonly string[]): TipFacts {
  return {
    tip: tip.type,
    severity: tip.severity,
    fixed_message: tip.message,
    evidence: tip.reason,
    seconds_into_call: Math.round(tip.streamMs / 1000),
    times_given_before: tip.situation.repeat,
    customer_voice_raised: tip.situation.customerRaisedVoice,
    customer_db_above_usual: tip.situation.customerAboveUsualDb,
    agent_share_of_talk: tip.situation.talkRatio,
    last_tips_shown: lastShown.slice(-2),
  };
}

/** The whole request for `tip`. */
export function chatRequest(
  model: string,
  language: PhrasingLanguage,
  tip: Suggestion,
  lastShown: readonly string[],
): ChatRequest {
  const system =
    `You reword live coaching tips for a contact-centre agent who is on a phone call right now. ` +
    `You get one tip as JSON. Answer with the reworded tip only: one sentence of at most ${MAX_WORDS} words ` +
    `in ${LANGUAGE_NAMES[language]}, addressed to the agent as "you", kind and concrete, with the same ` +
    `meaning as fixed_message. You may use the evidence numbers. Use different words from ` +
    `last_tips_shown. No quotes, no markup, no explanation.`;
  return {
    model,
    messages: [
      { role: "system", content: system },
      { role: "user", content: JSON.stringify(tipFacts(tip, lastShown)) },
    ],
    max_tokens: 40,
  };
}
