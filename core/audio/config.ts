/**
 * Tunable thresholds and windows of the per-track voice analysis, validated with zod.
 * `defaultAnalysisConfig` is the one place the defaults live.
 *
 * @module
 */
import { z } from "zod";

/**
 * Syllables per word used to turn a syllable-nucleus rate into words per minute.
 *
 * English averages about 1.5 syllables per word in read or written text, and about 1.3 in conversation,
 * where most word tokens are monosyllabic (function words, "yeah", "okay"; cf. Greenberg's analyses of
 * the Switchboard telephone corpus). Support calls mix scripted and free speech, so the midpoint 1.4 is
 * used. It is a property of the language, not fitted to the test fixtures.
 */
export const SYLLABLES_PER_WORD = 1.4;

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
  /** Seconds of turn time in the window needed before a speaking rate is reported. */
  wpmMinSpeechS: z.number().min(0.5).max(60).default(3),
  /** Minimum dip, in dB, between two intensity peaks for both to count as syllable nuclei. */
  syllableDipDb: z.number().min(0.5).max(10).default(2),
  /** A syllable nucleus peak may be at most this many dB below the active speech level. */
  syllableBelowActiveDb: z.number().min(3).max(40).default(14),
  /** Voicing cue: a nucleus needs fewer sign changes per sample than this (vowels < ~0.5, /s/-like fricatives more). */
  syllableMaxZcr: z.number().min(0.05).max(1).default(0.6),
});

/** Validated analysis settings. Parse user input with `AnalysisConfigSchema.parse`. */
export type AnalysisConfig = z.infer<typeof AnalysisConfigSchema>;

/** The defaults of every field (frozen, so settings derived from it are shared: see `core/per_config.ts`). */
export const defaultAnalysisConfig: AnalysisConfig = Object.freeze(AnalysisConfigSchema.parse({}));
