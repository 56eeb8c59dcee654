/**
 * Coaching thresholds, hold times, cooldowns and windows, with their documented defaults.
 *
 * This schema is THE place where the defaults live. Override any of them through `COACH_SETTINGS`
 * (`{"coaching": {"fastWpm": 170}}`), see `core/config.ts`. All times are stream milliseconds.
 *
 * Levels are dBov (RMS re a full-scale square wave). Nominal active telephone speech is about
 * -26 dBov (ITU-T P.56 / G.711 planning value); the loud and soft thresholds sit 10 and 12 dB away from
 * it, far enough that ordinary voices and lines never trip them.
 *
 * @module
 */
import { z } from "zod";

/** A duration in stream milliseconds (up to an hour). */
function ms(fallback: number) {
  return z.number().int().min(0).max(3_600_000).default(fallback);
}

/** A level in dBov. */
function dbov(fallback: number) {
  return z.number().min(-100).max(0).default(fallback);
}

export const CoachingConfigSchema = z.strictObject({
  /** Global throttle: tips are at least this far apart; a high-severity tip may pre-empt it. */
  minGapMs: ms(4_000),

  /**
   * SPEAKING_TOO_FAST when the agent's WPM is above this... (WPM as `TrackAnalyzer` reports it: words per
   * minute of the agent's turn time, i.e. speech plus the pauses inside the turn shorter than the analysis
   * `turnPauseMs`; the conversational rate, where ordinary talk is about 130-170).
   */
  fastWpm: z.number().min(1).default(160),
  /** ...for this much of the agent's own speech time. */
  fastHoldMs: ms(5_000),
  /** SPEAKING_TOO_FAST is not repeated within this long. */
  fastCooldownMs: ms(30_000),

  /** SPEAKING_TOO_SLOW when the agent's WPM is below this... */
  slowWpm: z.number().min(1).default(110),
  /** ...for this much of the agent's own speech time. */
  slowHoldMs: ms(10_000),
  /** SPEAKING_TOO_SLOW is not repeated within this long. */
  slowCooldownMs: ms(45_000),

  /** SPEAKING_TOO_LOUD when the agent's active level is above this (10 dB over nominal -26 dBov)... */
  loudDb: dbov(-16),
  /** ...for this much of the agent's own speech time (a level only exists while talking). */
  loudHoldMs: ms(3_000),
  /** SPEAKING_TOO_LOUD is not repeated within this long. */
  loudCooldownMs: ms(20_000),

  /** SPEAKING_TOO_SOFT when the agent's active level is below this (12 dB under nominal -26 dBov)... */
  softDb: dbov(-38),
  /** ...for this much of the agent's own speech time. */
  softHoldMs: ms(5_000),
  /** SPEAKING_TOO_SOFT is not repeated within this long. */
  softCooldownMs: ms(25_000),

  /**
   * INTERRUPTING_CUSTOMER when the agent starts while the customer is mid-turn and both talk this long, in a
   * spurt at least `turnMinMs` long (shorter spurts are backchannels such as "mm-hmm", however much of them
   * overlaps); the `interruptions` metric counts the same event.
   */
  interruptOverlapMs: ms(600),
  /** INTERRUPTING_CUSTOMER is not repeated within this long. */
  interruptCooldownMs: ms(15_000),

  /** TOO_MUCH_SILENCE when both parties are silent this long after someone has spoken. */
  silenceMs: ms(3_000),
  /** TOO_MUCH_SILENCE is not repeated within this long (and at most once per silence). */
  silenceCooldownMs: ms(10_000),

  /** CONTINUOUS_SPEAKING when the agent holds the floor this long without the customer taking a turn. */
  monologueMs: ms(45_000),
  /** CONTINUOUS_SPEAKING is not repeated within this long. */
  monologueCooldownMs: ms(60_000),

  /** CUSTOMER_RAISED_VOICE when the customer's recent level is this many dB above their own baseline... */
  raisedVoiceDb: z.number().min(1).max(40).default(6),
  /** ...for this much of the customer's own speech time. */
  raisedHoldMs: ms(3_000),
  /** CUSTOMER_RAISED_VOICE is not repeated within this long. */
  raisedCooldownMs: ms(60_000),
  /** The customer's "recent level" is the energy mean over this much of their latest speech. */
  raisedLevelWindowMs: z.number().int().min(20).max(10_000).default(1_000),
  /** The baseline is only trusted once this much customer speech has fed it (after the first level window). */
  baselineMinSpeechMs: ms(4_000),
  /** Time constant (customer speech time) of the baseline's running mean; raised speech never feeds it. */
  baselineTimeConstantMs: z.number().int().min(20).max(3_600_000).default(30_000),

  /** TALK_RATIO_HIGH when the agent's share of talk time in the window is above this (0..1)... */
  talkRatioHigh: z.number().min(0).max(1).default(0.7),
  /** ...for this long (stream time), so a brief crossing does not nag. */
  talkRatioHoldMs: ms(5_000),
  /** Sliding window of stream time the talk ratio is measured over. */
  talkRatioWindowMs: z.number().int().min(1_000).max(1_800_000).default(120_000),
  /** TALK_RATIO_HIGH stays quiet until the conversation is this old (stream time since first speech). */
  talkRatioMinCallMs: ms(60_000),
  /** TALK_RATIO_HIGH is not repeated within this long. */
  talkRatioCooldownMs: ms(120_000),

  /** A party takes a turn (the floor) with a talk spurt at least this long; shorter ones are backchannels. */
  turnMinMs: ms(1_000),
  /** Pauses shorter than this inside one party's speech do not end their talk spurt (breaths, word gaps). */
  spurtGapMs: ms(300),
  /** Joint silence this long releases the floor: a pause that gave the other party the chance to speak. */
  floorReleaseMs: ms(2_000),
});

export type CoachingConfig = z.infer<typeof CoachingConfigSchema>;

/** The defaults, as documented above (frozen, so the rule table derived from them is shared by all calls). */
export const defaultCoachingConfig: CoachingConfig = Object.freeze(CoachingConfigSchema.parse({}));
