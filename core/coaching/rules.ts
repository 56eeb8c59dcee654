/**
 * The coaching rules, as one declarative table.
 *
 * Each rule says what must be true (`when`), on which clock and for how long it must hold (`clock`,
 * `holdMs`), how long it then stays quiet (`cooldownMs`), how urgent it is and what the agent reads.
 * The engine (`engine.ts`) does the timing, cooldowns and the global throttle; nothing here keeps state.
 *
 * What the agent reads: each rule has 3–4 wordings, each at most six words (a glance, two lines on a phone),
 * some built from the evidence ("Talking 50 s: ask a question"). A call goes through them in turn, so one
 * rule never shows the same words twice in a row, and a replayed call shows the same words (no randomness).
 * Each rule also says why it fired, in plain words (`reason`), shown small under the tip.
 *
 * Hold clocks:
 * - `stream`: every 20 ms slot counts; the condition is checked every slot.
 * - `agentSpeech` / `customerSpeech`: only that party's speaking slots count and the condition is checked
 *   only then; pauses neither add to nor reset the hold ("5 s of agent speech").
 *
 * @module
 */
import type { Severity, SuggestionType } from "./types.ts";
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
   * at most six words each. The first is the rule's own message.
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
  /** Why, in plain words, shown small under the tip; `heldMs` is how long the condition has held on its clock. */
  reason: (ctx: RuleContext, heldMs: number) => string;
}

/** A duration in a tip's few words: "0.6 s", "45 s". */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A duration in a reason's plain words: "1 second", "45 seconds", "2 minutes". */
function spoken(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s >= 90) return `${Math.round(s / 60)} minutes`;
  return s === 1 ? "1 second" : `${s} seconds`;
}

/** A rate for people, rounded to 5 as the page shows it: "About 185 words a minute; aim for 110–160". */
function pace(wpm: number | null, config: CoachingConfig): string {
  const rounded = Math.round((wpm ?? 0) / 5) * 5;
  return `About ${rounded} words a minute; aim for ${config.slowWpm}\u2013${config.fastWpm}`;
}

/** The rules, in tie-break order (when two are due in the same slot with the same severity). */
export const RULES: readonly CoachingRule[] = [
  {
    type: "INTERRUPTING_CUSTOMER",
    severity: "high",
    messages: [
      "Let the customer finish",
      ({ conversation }) => `Overlap ${seconds(conversation.interruptOverlapMs)}: let them finish`,
      "Hold your reply until they finish",
      "Let them complete their thought",
    ],
    clock: "stream",
    // The conversation state measures the overlap (interruptOverlapMs) and marks the customer's turn as
    // interrupted, so the rule and the `interruptions` metric count exactly the same event (once per
    // customer turn); no extra hold on top of it.
    holdMs: () => 0,
    cooldownMs: (c) => c.interruptCooldownMs,
    oncePerEpisode: true,
    when: ({ conversation }) => conversation.customerInterrupted,
    reason: () => "You started talking while the customer was speaking",
  },
  {
    type: "CUSTOMER_RAISED_VOICE",
    severity: "high",
    messages: [
      "Customer sounds upset: stay calm",
      ({ conversation }) =>
        `Customer ${conversation.customerAboveBaselineDb?.toFixed(0)} dB louder: stay calm`,
      "Acknowledge their frustration first",
      "Slow down and show you understand",
    ],
    clock: "customerSpeech",
    holdMs: (c) => c.raisedHoldMs,
    cooldownMs: (c) => c.raisedCooldownMs,
    oncePerEpisode: false,
    when: ({ conversation }) => conversation.customerRaised,
    reason: (_, held) => `The customer has been louder than usual for ${spoken(held)}`,
  },
  {
    type: "SPEAKING_TOO_FAST",
    severity: "medium",
    messages: [
      "Slow down a little",
      ({ agent }) => `${agent.wpm?.toFixed(0)} words a minute: ease off`,
      "Breathe between sentences",
      "Give them time to follow",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.fastHoldMs,
    cooldownMs: (c) => c.fastCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.wpm !== null && agent.wpm > config.fastWpm,
    // The rate is per minute of the agent's turn time (pauses inside the turn included, see core/audio).
    reason: ({ agent, config }) => pace(agent.wpm, config),
  },
  {
    type: "SPEAKING_TOO_LOUD",
    severity: "medium",
    messages: [
      "Lower your voice a little",
      "Ease off the volume a touch",
      (_, held) => `Loud for ${seconds(held)}: ease off`,
      "A softer voice carries fine",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.loudHoldMs,
    cooldownMs: (c) => c.loudCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.activeLevelDb !== null && agent.activeLevelDb > config.loudDb,
    reason: (_, held) => `Your voice has been loud for ${spoken(held)} of speech`,
  },
  {
    type: "TOO_MUCH_SILENCE",
    severity: "medium",
    messages: [
      "Check in with the customer",
      ({ conversation }) => `Silent ${seconds(conversation.silenceMs)}: check they're there`,
      "Say what you are doing",
      "Check the customer is still there",
    ],
    clock: "stream",
    holdMs: (c) => c.silenceMs,
    cooldownMs: (c) => c.silenceCooldownMs,
    oncePerEpisode: true,
    when: ({ conversation }) => conversation.silenceMs > 0,
    reason: ({ conversation }) => `Nobody has spoken for ${spoken(conversation.silenceMs)}`,
  },
  {
    type: "CONTINUOUS_SPEAKING",
    severity: "medium",
    messages: [
      "Pause and let the customer speak",
      ({ conversation }) => `Talking ${seconds(conversation.floorHeldMs)}: ask a question`,
      "Stop and check they follow",
      "Give the customer a turn",
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
    reason: ({ conversation }) => `You have been talking for ${spoken(conversation.floorHeldMs)}`,
  },
  {
    type: "SPEAKING_TOO_SLOW",
    severity: "low",
    messages: [
      "Pick up the pace a little",
      ({ agent }) => `${agent.wpm?.toFixed(0)} words a minute: go quicker`,
      "Shorter pauses between your points",
      "A little quicker keeps them engaged",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.slowHoldMs,
    cooldownMs: (c) => c.slowCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.wpm !== null && agent.wpm < config.slowWpm,
    reason: ({ agent, config }) => pace(agent.wpm, config),
  },
  {
    type: "SPEAKING_TOO_SOFT",
    severity: "low",
    messages: [
      "Speak up a little",
      "Raise your voice a touch",
      (_, held) => `Quiet for ${seconds(held)}: move closer`,
      "Project a bit more",
    ],
    clock: "agentSpeech",
    holdMs: (c) => c.softHoldMs,
    cooldownMs: (c) => c.softCooldownMs,
    oncePerEpisode: false,
    when: ({ agent, config }) => agent.activeLevelDb !== null && agent.activeLevelDb < config.softDb,
    reason: (_, held) => `Your voice has been quiet for ${spoken(held)} of speech`,
  },
  {
    type: "TALK_RATIO_HIGH",
    severity: "low",
    messages: [
      "Ask a question, then listen",
      ({ conversation }) => `You talked ${((conversation.talkRatio ?? 0) * 100).toFixed(0)}%: ask a question`,
      "Invite their view with a question",
      "Listen more: ask what matters",
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
      `You did ${Math.round((conversation.talkRatio ?? 0) * 100)}% of the talking in the last ${
        spoken(Math.min(config.talkRatioWindowMs, conversation.nowMs - (conversation.startedAtMs ?? 0)))
      }`,
  },
];
