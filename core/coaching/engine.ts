/**
 * The coaching engine: feeds both parties' per-slot analysis into the conversation state, runs the rule
 * table (`rules.ts`) and applies hold times, per-rule cooldowns and the global throttle.
 *
 * A rule whose condition has held long enough is "due". A due tip goes out in that very slot unless its
 * cooldown is running or the global throttle (`minGapMs` since the last tip) holds it back; a high-severity
 * tip is exempt from the throttle. A throttled tip is not lost: it goes out as soon as the throttle allows,
 * provided its condition still holds then. At most one tip per slot: the most severe due tip first, then the
 * one that has waited longest, then table order.
 *
 * Each firing of a rule takes the next of its wordings (`messages` in the rule table), by how often the rule
 * fired before in the call: consecutive tips of one rule never read the same, and a replayed call reads the
 * same.
 *
 * A tip stays "open" while its rule's condition keeps holding; {@linkcode CoachingEngine.clearedNow} lists
 * the rules whose open tip's condition stopped holding in the last slot, so the page can keep a tip on
 * screen exactly as long as it applies. A rule measured on one party's speech is judged only while that
 * party speaks: its last verdict stands through their pauses.
 *
 * @example
 * ```ts
 * const engine = new CoachingEngine();
 * for (let slot = 0; slot < slots; slot++) {
 *   const tip = engine.step(slot * 20, agentAnalyzer.processFrame(a[slot]), customerAnalyzer.processFrame(c[slot]));
 *   if (tip) console.log(tip.type, tip.reason);
 * }
 * ```
 *
 * @module
 */
import { SLOT_MS, type TrackFrameResult } from "../audio/types.ts";
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import { type CoachingConfig, CoachingConfigSchema, defaultCoachingConfig } from "./config.ts";
import { ConversationState } from "./conversation.ts";
import { type CoachingRule, type HoldClock, type PartySnapshot, type RuleContext, RULES } from "./rules.ts";
import type { ConversationMetrics, Suggestion } from "./types.ts";

const SEVERITY_RANK = { low: 0, medium: 1, high: 2 } as const;
/** Hold clocks as small integers, so the per-slot loop compares numbers rather than strings. */
const STREAM = 0, AGENT_SPEECH = 1, CUSTOMER_SPEECH = 2;
const CLOCK_CODES: Record<HoldClock, number> = {
  stream: STREAM,
  agentSpeech: AGENT_SPEECH,
  customerSpeech: CUSTOMER_SPEECH,
};

/** What the engine derives from a config: the validated config and each rule's timing. */
interface RuleTiming {
  readonly config: CoachingConfig;
  readonly holdMs: readonly number[];
  /** Each rule's hold clock ({@linkcode CLOCK_CODES}). */
  readonly clocks: readonly number[];
  readonly cooldownMs: readonly number[];
}

/**
 * Validates `config` and derives the rules' timing, once per frozen config: every call with the server's
 * settings shares one copy (see `core/per_config.ts`).
 *
 * @throws {Error} when `config` does not satisfy {@linkcode CoachingConfigSchema}.
 */
const ruleTiming = perConfig((input: CoachingConfig): RuleTiming => {
  const parsed = CoachingConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid coaching config: ${issues.join("; ")}`);
  }
  const config = Object.freeze(parsed.data);
  return {
    config,
    holdMs: RULES.map((rule) => rule.holdMs(config)),
    clocks: RULES.map((rule) => CLOCK_CODES[rule.clock]),
    cooldownMs: RULES.map((rule) => rule.cooldownMs(config)),
  };
});

/** Turns per-slot analysis of both parties into throttled coaching tips. */
export class CoachingEngine {
  readonly #config: CoachingConfig;
  readonly #rules: readonly CoachingRule[] = RULES;
  // Timing shared by every engine with the same config; only what changes during a call is per engine.
  readonly #holdMs: readonly number[];
  readonly #clocks: readonly number[];
  readonly #cooldownMs: readonly number[];
  // Per-rule state in plain arrays (unboxed doubles kept on the V8 heap next to the engine), not typed
  // arrays: a typed array over 64 bytes keeps its data in a separate allocation, one more cache miss per
  // slot for each of a thousand concurrent calls.
  /** How long each rule's condition has held on its clock. */
  readonly #heldMs: number[];
  /** 0 after an once-per-episode rule fired, until its condition stops holding. */
  readonly #armed: number[];
  readonly #lastFiredMs: number[];
  /** How often each rule fired in this call. */
  readonly #fired: number[];
  /** 1 while rule i's last tip is open: given, and its condition has held ever since. */
  readonly #open: number[];
  /** Rules whose open tip closed in the current slot. */
  readonly #cleared: CoachingRule["type"][] = [];
  readonly #conversation: ConversationState;
  /**
   * What the rules read. `agent` and `customer` are the results passed to the current `step` (no copies: two
   * fewer objects per slot); they are read only during that `step`.
   */
  readonly #context: { -readonly [K in keyof RuleContext]: RuleContext[K] };
  #lastTipMs = -Infinity;
  #lastStreamMs = -Infinity;

  /**
   * @param buffers where the conversation's rings come from (default: new arrays)
   * @throws {Error} when `config` does not satisfy {@linkcode CoachingConfigSchema}.
   */
  constructor(config: CoachingConfig = defaultCoachingConfig, buffers: BufferSource = freshBuffers) {
    const timing = ruleTiming(config);
    this.#config = timing.config;
    this.#holdMs = timing.holdMs;
    this.#clocks = timing.clocks;
    this.#cooldownMs = timing.cooldownMs;
    const rules = this.#rules;
    this.#heldMs = rules.map(() => 0);
    this.#armed = rules.map(() => 1);
    this.#lastFiredMs = rules.map(() => -Infinity);
    this.#fired = rules.map(() => 0);
    this.#open = rules.map(() => 0);
    this.#conversation = new ConversationState(this.#config, buffers);
    const nobody: PartySnapshot = { speaking: false, activeLevelDb: null, wpm: null, wpmWindowSpeechS: 0 };
    this.#context = {
      config: this.#config,
      agent: nobody,
      customer: nobody,
      conversation: this.#conversation,
    };
  }

  /**
   * Processes one 20 ms slot starting at `streamMs` (called once per slot, in order). The passed results
   * are read during this call only: changing them afterwards changes nothing. Returns the tip to show now, or
   * null.
   *
   * @throws {RangeError} when `streamMs` is not a finite number greater than the previous slot's, or a
   * frame energy is not a finite number ≥ 0 (it would poison the customer's running baseline for the rest of
   * the call).
   */
  step(
    streamMs: number,
    agent: Readonly<TrackFrameResult>,
    customer: Readonly<TrackFrameResult>,
  ): Suggestion | null {
    if (!Number.isFinite(streamMs) || streamMs <= this.#lastStreamMs) {
      throw new RangeError(
        `streamMs must increase slot by slot: got ${streamMs} after ${this.#lastStreamMs}`,
      );
    }
    if (!isEnergy(agent.frameEnergy) || !isEnergy(customer.frameEnergy)) {
      throw new RangeError(
        `frameEnergy must be a mean square ≥ 0 at stream ms ${streamMs}: got ${agent.frameEnergy} (agent), ` +
          `${customer.frameEnergy} (customer)`,
      );
    }
    this.#lastStreamMs = streamMs;
    if (this.#cleared.length > 0) this.#cleared.length = 0;
    this.#context.agent = agent;
    this.#context.customer = customer;
    this.#conversation.update(streamMs, agent.speaking, customer.speaking, customer.frameEnergy);

    let best = -1;
    const held = this.#heldMs;
    const clocks = this.#clocks;
    for (let i = 0; i < this.#rules.length; i++) {
      const clock = clocks[i];
      if (clock === STREAM || (clock === AGENT_SPEECH ? agent.speaking : customer.speaking)) {
        if (this.#rules[i].when(this.#context)) held[i] += SLOT_MS;
        else {
          held[i] = 0;
          this.#armed[i] = 1;
          if (this.#open[i]) {
            this.#open[i] = 0;
            this.#cleared.push(this.#rules[i].type);
          }
        }
      }
      // Most slots most rules have not held long enough: that test first, the rest only then.
      if (held[i] < this.#holdMs[i] || held[i] === 0) continue;
      if (this.#isDue(i, streamMs) && (best < 0 || this.#outranks(i, best))) best = i;
    }
    return best < 0 ? null : this.#fire(best, streamMs);
  }

  /**
   * The types of the tips whose condition stopped holding in the last `step` (empty in most slots). Valid
   * until the next `step`.
   */
  get clearedNow(): readonly CoachingRule["type"][] {
    return this.#cleared;
  }

  /** Conversation measurements as of the last slot. */
  metrics(): ConversationMetrics {
    const conversation = this.#conversation;
    return {
      silenceS: conversation.silenceMs / 1000,
      interruptions: conversation.interruptions,
      talkRatio: conversation.talkRatio,
      customerRaised: conversation.customerRaised,
    };
  }

  /** Whether rule `i`, whose condition has held long enough (checked by the caller), may fire now. */
  #isDue(i: number, streamMs: number): boolean {
    if (!this.#armed[i]) return false;
    if (streamMs - this.#lastFiredMs[i] < this.#cooldownMs[i]) return false;
    const throttled = streamMs - this.#lastTipMs < this.#config.minGapMs;
    return !throttled || this.#rules[i].severity === "high";
  }

  #outranks(i: number, j: number): boolean {
    const bySeverity = SEVERITY_RANK[this.#rules[i].severity] - SEVERITY_RANK[this.#rules[j].severity];
    if (bySeverity !== 0) return bySeverity > 0;
    // Longest overdue first (hold clocks differ, but overdue time is comparable enough for a tie-break).
    return this.#heldMs[i] - this.#holdMs[i] > this.#heldMs[j] - this.#holdMs[j];
  }

  #fire(i: number, streamMs: number): Suggestion {
    const rule = this.#rules[i];
    const context = this.#context;
    const held = this.#heldMs[i];
    const repeat = this.#fired[i]++;
    const wording = rule.messages[repeat % rule.messages.length];
    const message = typeof wording === "string" ? wording : wording(context, held);
    const reason = rule.reason(context, held);
    this.#lastFiredMs[i] = streamMs;
    this.#lastTipMs = streamMs;
    this.#heldMs[i] = 0;
    this.#open[i] = 1;
    if (rule.oncePerEpisode) this.#armed[i] = 0;
    const conversation = this.#conversation;
    const aboveUsual = conversation.customerAboveBaselineDb;
    return {
      type: rule.type,
      message,
      severity: rule.severity,
      streamMs,
      reason,
      situation: {
        repeat,
        customerRaisedVoice: conversation.customerRaised,
        // `|| 0`: a level just under the usual one rounds to -0, which JSON (the worker's ring) turns into 0.
        customerAboveUsualDb: aboveUsual === null ? null : Math.round(aboveUsual) || 0,
        talkRatio: conversation.talkRatio === null ? null : Math.round(conversation.talkRatio * 100) / 100,
      },
    };
  }
}

/** A mean square: finite and not negative. */
function isEnergy(value: number): boolean {
  return value >= 0 && value !== Infinity;
}
