/**
 * The coaching rules, as one declarative table.
 *
 * Each rule says what must be true (`when`), on which clock and for how long it must hold (`clock`,
 * `holdMs`), how long it then stays quiet (`cooldownMs`), how urgent it is and what the agent reads.
 * The engine (`engine.ts`) does the timing, cooldowns and the global throttle; nothing here keeps state.
 *
 * What the agent reads: each rule has 3–4 wordings, each at most 12 words, some built from the evidence
 * ("You've held the floor for 50 s: ask a question"). A call goes through them in turn, so one rule never
 * shows the same words twice in a row, and a replayed call shows the same words (no randomness).
 *
 * Hold clocks:
 * - `stream`: every 20 ms slot counts; the condition is checked every slot.
 * - `agentSpeech` / `customerSpeech`: only that party's speaking slots count and the condition is checked
 *   only then; pauses neither add to nor reset the hold ("5 s of agent speech").
 *
 * @module
 */
import type { Severity, SuggestionType } from "../protocol/ui_messages.ts";
import type { CoachingConfig } from "./config.ts";
import type { ConversationState } from "./conversation.ts";

/** What a rule reads about one party in the current slot (the analyzer's result for the slot). */
export interface PartySnapshot {
  speaking: boolean;
  activeLevelDb: number | null;
  wpm: number | null;
  wpmWindowSpeechS: number;
}

/** Everything a rule may look at. */
export interface RuleContext {
  readonly config: CoachingConfig;
  readonly agent: Readonly<PartySnapshot>;
  readonly customer: Readonly<PartySnapshot>;
  readonly conversation: ConversationState;
}

/** Which time counts towards a rule's hold. */
export type HoldClock = "stream" | "agentSpeech" | "customerSpeech";

/**
 * One wording of a tip: fixed text, or text built from the evidence when the rule fires (`heldMs` as for
 * `reason`).
 */
export type TipWording = string | ((ctx: RuleContext, heldMs: number) => string);

/** One row of the rule table. */
export interface CoachingRule {
  type: SuggestionType;
  severity: Severity;
  /**
   * What the agent reads, in the order a call uses them: short, kind and concrete, addressed to the agent,
   * at most 12 words each. The first is the rule's own message.
   */
  messages: readonly TipWording[];
  clock: HoldClock;
  /** How long `when` must hold on `clock` before the tip is due. */
  holdMs: (config: CoachingConfig) => number;
  /** After firing, the rule stays quiet this long (stream time). */
  cooldownMs: (config: CoachingConfig) => number;
  /** Fire at most once while the condition keeps holding (one tip per silence, per interruption). */
  oncePerEpisode: boolean;
  when: (ctx: RuleContext) => boolean;
  /** The evidence shown with the tip; `heldMs` is how long the condition has held on its clock. */
  reason: (ctx: RuleContext, heldMs: number) => string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A level for people: "−14" with a real minus sign. */
function db(value: number | null): string {
  return value === null ? "?" : `${value < 0 ? "\u2212" : ""}${Math.abs(value).toFixed(0)}`;
}

/** The rules, in tie-break order (when two are due in the same slot with the same severity). */
export const RULES: readonly CoachingRule[] = [
  {
    type: "INTERRUPTING_CUSTOMER",
    severity: "high",
    messages: [
      "Let the customer finish",
      ({ conversation }) =>
        `You talked over them for ${seconds(conversation.interruptOverlapMs)}: let them finish`,
      "Hold your reply until the customer has finished",
      "Pause and let them complete their thought",
    ],
    clock: "stream",
    // The conversation state measures the overlap (interruptOverlapMs) and marks the customer's turn as
    // interrupted, so the rule and the `interruptions` metric count exactly the same event (once per
    // customer turn); no extra hold on top of it.
    holdMs: () => 0,
    cooldownMs: (c) => c.interruptCooldownMs,
    oncePerEpisode: true,
    when: ({ conversation }) => conversation.customerInterrupted,
    reason: ({ conversation }) => `talked over the customer for ${seconds(conversation.interruptOverlapMs)}`,
  },
  {
    type: "CUSTOMER_RAISED_VOICE",
    severity: "high",
    messages: [
      "The customer sounds upset: stay calm and acknowledge it",
      ({ conversation }) =>
        `Customer is ${
          conversation.customerAboveBaselineDb?.toFixed(0)
        } dB louder than usual: keep your voice calm`,
      "Acknowledge their frustration before you answer",
      "Lower your pace and say you understand",
    ],
    clock: "customerSpeech",
    holdMs: (c) => c.raisedHoldMs,
    cooldownMs: (c) => c.raisedCooldownMs,
    oncePerEpisode: false,
    when: ({ conversation, config }) => (conversation.customerAboveBaselineDb ?? 0) >= config.raisedVoiceDb,
    reason: ({ conversation }, held) =>
      `customer ${conversation.customerAboveBaselineDb?.toFixed(0)} dB above their usual level for ${
        seconds(held)
      }`,
  },
  {
    type: "SPEAKING_TOO_FAST",
    severity: "medium",
    messages: [
      "Slow down a little",
      ({ agent }) => `You're at ${agent.wpm?.toFixed(0)} words a minute: ease the pace`,
      "Take a breath between sentences",
      "Give the customer time to follow: slow down",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.fastHoldMs,
    cooldownMs: (c) => c.fastCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.wpm !== null && agent.wpm > config.fastWpm,
    // The rate is per minute of the agent's turn time (pauses inside the turn included, see core/audio);
    // the seconds are how long it has stayed too fast, counted in agent speech like the hold.
    reason: ({ agent }, held) => `${agent.wpm?.toFixed(0)} WPM for ${seconds(held)} of speech`,
  },
  {
    type: "SPEAKING_TOO_LOUD",
    severity: "medium",
    messages: [
      "You sound a bit loud: ease off a little",
      "Lower your voice a touch",
      (_, held) => `Loud for ${seconds(held)}: sit back from the microphone a little`,
      "Try a softer voice: the line carries it fine",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.loudHoldMs,
    cooldownMs: (c) => c.loudCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.activeLevelDb !== null && agent.activeLevelDb > config.loudDb,
    reason: ({ agent }, held) => `${db(agent.activeLevelDb)} dBov for ${seconds(held)}`,
  },
  {
    type: "TOO_MUCH_SILENCE",
    severity: "medium",
    messages: [
      "It has gone quiet: check in with the customer",
      ({ conversation }) => `Silent for ${seconds(conversation.silenceMs)}: ask if they are still with you`,
      "Say what you are doing so they are not left waiting",
      "Check the customer is still there",
    ],
    clock: "stream",
    holdMs: (c) => c.silenceMs,
    cooldownMs: (c) => c.silenceCooldownMs,
    oncePerEpisode: true,
    when: ({ conversation }) => conversation.silenceMs > 0,
    reason: ({ conversation }) => `both silent ${seconds(conversation.silenceMs)}`,
  },
  {
    type: "CONTINUOUS_SPEAKING",
    severity: "medium",
    messages: [
      "Pause and let the customer speak",
      ({ conversation }) => `You've held the floor for ${seconds(conversation.floorHeldMs)}: ask a question`,
      "Stop and check they are following",
      "Give the customer a turn to respond",
    ],
    clock: "stream",
    // The conversation state measures the floor from the start of the spurt with which the agent took it
    // (backchannels do not end it), so monologueMs sits in the condition and there is no extra hold. While
    // the monologue goes on, the tip repeats once per cooldown.
    holdMs: () => 0,
    cooldownMs: (c) => c.monologueCooldownMs,
    oncePerEpisode: false,
    when: ({ conversation, config }) =>
      conversation.floor === "agent" && conversation.floorHeldMs >= config.monologueMs,
    reason: ({ conversation }) => `talking ${seconds(conversation.floorHeldMs)} without a customer turn`,
  },
  {
    type: "SPEAKING_TOO_SLOW",
    severity: "low",
    messages: [
      "You could pick up the pace a little",
      ({ agent }) => `You're at ${agent.wpm?.toFixed(0)} words a minute: a bit quicker is fine`,
      "Keep it moving with shorter pauses between points",
      "Pick up the pace slightly to keep them engaged",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.slowHoldMs,
    cooldownMs: (c) => c.slowCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.wpm !== null && agent.wpm < config.slowWpm,
    reason: ({ agent }, held) => `${agent.wpm?.toFixed(0)} WPM for ${seconds(held)} of speech`,
  },
  {
    type: "SPEAKING_TOO_SOFT",
    severity: "low",
    messages: [
      "Speak up a little",
      "Raise your voice a touch so they hear you clearly",
      (_, held) => `Quiet for ${seconds(held)} of speech: move closer to the microphone`,
      "Project a bit more: the customer may be straining",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.softHoldMs,
    cooldownMs: (c) => c.softCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.activeLevelDb !== null && agent.activeLevelDb < config.softDb,
    reason: ({ agent }, held) => `${db(agent.activeLevelDb)} dBov for ${seconds(held)} of speech`,
  },
  {
    type: "TALK_RATIO_HIGH",
    severity: "low",
    messages: [
      "Ask a question and let the customer talk",
      ({ conversation }) =>
        `You've talked ${((conversation.talkRatio ?? 0) * 100).toFixed(0)} % of the time: ask a question`,
      "Invite their view with an open question",
      "Listen more: ask what matters most to them",
    ],
    clock: "stream",
    holdMs: (c) => c.talkRatioHoldMs,
    cooldownMs: (c) => c.talkRatioCooldownMs,
    oncePerEpisode: false,
    when: ({ conversation, config }) => {
      const ratio = conversation.talkRatio;
      const started = conversation.startedAtMs;
      return ratio !== null && started !== null && ratio > config.talkRatioHigh &&
        conversation.nowMs - started >= config.talkRatioMinCallMs;
    },
    reason: ({ conversation, config }) =>
      `you talked ${((conversation.talkRatio ?? 0) * 100).toFixed(0)} % of the last ${
        seconds(Math.min(config.talkRatioWindowMs, conversation.nowMs - (conversation.startedAtMs ?? 0)))
      }`,
  },
];
