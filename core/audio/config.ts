/**
 * Tunable thresholds and windows of the per-track voice analysis, validated with zod.
 * `defaultAnalysisConfig` is the one place the defaults live.
 *
 * @module
 */
import { z } from "zod";

/**
 * Syllables per word used to turn a syllable rate into words per minute.
 *
 * English averages about 1.3 syllables per word in conversation, where most word tokens are monosyllabic
 * (function words, "yeah", "okay"; cf. Greenberg's analyses of the Switchboard telephone corpus), and about
 * 1.45-1.6 in text read aloud. An agent on a call converses, and the pace thresholds are conversational
 * rates, so the conversational figure is used (the call sentences of the fixtures have 1.27). It is a
 * property of the language, not fitted to the test fixtures. The cost: text read aloud, with its longer
 * words, reads fast: the real recordings (1.47 on average) by 12.6 % (median) even with every syllable
 * heard. Fitting this on them instead makes calm conversation read slow (the README's known limits).
 */
export const SYLLABLES_PER_WORD = 1.3;

/** Schema for {@linkcode AnalysisConfig}; every field has a documented default. */
export const AnalysisConfigSchema = z.strictObject({
  /** Seconds of history the noise floor (minimum statistics) looks back over. */
  noiseWindowS: z.number().min(0.5).max(30).default(4),
  /** Number of blocks the noise window is split into (the floor forgets old minima block by block). */
  noiseBlocks: z.number().int().min(2).max(64).default(8),
  /** A slot is voice when its energy exceeds the noise floor by at least this many dB. */
  vadNoiseMarginDb: z.number().min(3).max(30).default(9),
  /** ...and is no more than this many dB below the active speech level (ignores far-away noise bursts). */
  vadBelowActiveDb: z.number().min(10).max(60).default(32),
  /** ...and is above this absolute level, dBov (μ-law idle noise and codec residue are never voice). */
  vadMinLevelDb: z.number().min(-90).max(-40).default(-68),
  /** Inside a talkspurt (speaking, incl. hangover) the noise margin drops to this: strict onset, lenient offset. */
  vadContinueMarginDb: z.number().min(1).max(30).default(4),
  /** Milliseconds a track stays "speaking" after the last voiced slot; shorter pauses count as speech. */
  hangoverMs: z.number().min(0).max(1000).default(80),
  /** Below this speech-to-noise ratio (active level over noise floor, dB) the track counts as noisy. */
  noisySnrDb: z.number().min(0).max(60).default(25),
  /** Hangover on a noisy track: weak consonants drown in the noise, so talkspurts are held longer. */
  noisyHangoverMs: z.number().min(0).max(1000).default(160),
  /** Seconds of recent speech the active speech level is measured over. */
  levelWindowS: z.number().min(0.5).max(30).default(3),
  /** Seconds of speech needed before an active speech level is reported. */
  levelMinSpeechS: z.number().min(0.1).max(10).default(0.5),
  /**
   * Silences shorter than this between a speaker's own words are pauses inside their turn and count as
   * turn time for the speaking rate; longer ones (and silences in which the other party spoke) end the turn.
   *
   * The rate thresholds (`fastWpm`, `slowWpm`) are conversational rates, which include the short pauses
   * between phrases; speech time alone would give the articulation rate, some 30 % higher. Within-turn
   * pauses are mostly shorter than about a second (Campione & Véronis 2002 class 0.2-1 s pauses as
   * "medium", the longer ones as breaks), and spoken-dialogue systems commonly take about 700 ms of
   * silence as the end of a turn, hence the default.
   */
  turnPauseMs: z.number().min(0).max(2000).default(700),
  /** Seconds of recent own turn time (speech plus within-turn pauses) the speaking rate is measured over. */
  wpmWindowS: z.number().min(2).max(120).default(12),
  /** Seconds of turn time in the window needed before a speaking rate is reported (a 3 s answer gets one). */
  wpmMinSpeechS: z.number().min(0.5).max(60).default(2),
  /**
   * Only talk spurts at least this long count towards the rate, ms: a backchannel ("mm-hm", "right") or a
   * one-word answer says nothing about pace, and alone it reads fast (a syllable or two and no pause).
   */
  rateMinSpurtMs: z.number().min(0).max(5000).default(1000),
  /**
   * Calibration of the syllable count against the truth: the nucleus rate, measured on speech whose true
   * syllable rate is known, is about `slope · true + intercept` (both as words per minute at
   * {@linkcode SYLLABLES_PER_WORD}); the reading inverts that, which undoes the detector's compression (fast
   * speech merges syllables, slow speech splits long vowels). Fitted by `deno task accuracy` on every
   * espeak-ng and human fixture (it prints the fit, and each speaker's figures from a fit without them).
   */
  rateCalibrationSlope: z.number().min(0.3).max(3).default(0.908),
  /** See `rateCalibrationSlope`, WPM. */
  rateCalibrationInterceptWpm: z.number().min(-200).max(200).default(21.3),
  /** Minimum dip, in dB, between two intensity peaks for both to count as syllable nuclei. */
  syllableDipDb: z.number().min(0.5).max(10).default(4),
  /** A syllable nucleus peak may be at most this many dB below the active speech level. */
  syllableBelowActiveDb: z.number().min(3).max(40).default(14),
  /** Voicing cue: a nucleus needs fewer sign changes per sample than this (vowels < ~0.5, /s/-like fricatives more). */
  syllableMaxZcr: z.number().min(0.05).max(1).default(0.6),

  // Echo of the other party in a track (`echo.ts`).
  /** Longest echo delay looked for, ms: line echo arrives 20-250 ms late (codec, jitter buffer, network). */
  echoMaxDelayMs: z.number().min(20).max(600).default(260),
  /** A slot is this party's voice only this far above the highest echo the path predicts for it, dB. */
  echoMarginDb: z.number().min(0).max(30).default(8),
  /** A path whose loss is less than this is not echo (double talk), dB: even a face-down handset loses 6. */
  echoMinLossDb: z.number().min(0).max(40).default(10),
  /** Until the path is learnt, energy this far below the other party's recent speech may be echo, dB. */
  echoPriorLossDb: z.number().min(0).max(60).default(12),
  /** The path's lag must stand out from the other lags by this much (its low quantile, dB) to be echo. */
  echoContrastDb: z.number().min(0).max(40).default(6),
  /**
   * The path is learnt after this many slots with the other party's loud speech in the search window (about
   * six seconds of their talk); until then, and while no lag stands out, the cautious bound holds.
   */
  echoLearnSlots: z.number().int().min(10).max(10_000).default(300),
  /** The other party's speech within this many dB of their active level teaches the path. */
  echoLoudWithinDb: z.number().min(1).max(40).default(10),
});

/** Validated analysis settings. Parse user input with `AnalysisConfigSchema.parse`. */
export type AnalysisConfig = z.infer<typeof AnalysisConfigSchema>;

/** The defaults of every field (frozen, so settings derived from it are shared: see `core/per_config.ts`). */
export const defaultAnalysisConfig: AnalysisConfig = Object.freeze(AnalysisConfigSchema.parse({}));
