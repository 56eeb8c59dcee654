/**
 * The contract between per-track audio analysis (`core/audio`) and the coaching engine
 * (`core/coaching`). Time is stream time: one result per 20 ms slot, in order.
 *
 * @module
 */

/** Samples per second of telephone audio (Twilio's 8 kHz μ-law). */
export const SAMPLE_RATE = 8000;
/** Duration of one analysis slot (one Twilio frame), in milliseconds. */
export const SLOT_MS = 20;
/** μ-law samples in one 20 ms slot at 8 kHz. */
export const SLOT_SAMPLES = (SAMPLE_RATE * SLOT_MS) / 1000;

/**
 * What one 20 ms slot of one track yields.
 *
 * Analyzers may reuse one result object between calls for speed: read it before the next
 * `processFrame` call, copy it if you need to keep it.
 */
export interface TrackFrameResult {
  /** Voice activity for this slot (after hangover). */
  speaking: boolean;
  /**
   * This slot's energy: the mean square of its samples in 16-bit linear units² (0 for digital silence or a
   * missing frame). `energyToDbov` in `mulaw.ts` gives it in dBov. Energy rather than dB, because what reads
   * it (the customer's level baseline) averages power: no logarithm per slot that is undone right after.
   */
  frameEnergy: number;
  /** Active speech level in dBov over recent speech (P.56 idea), null until enough speech. */
  activeLevelDb: number | null;
  /**
   * Words per minute of own turn time (speech plus the pauses inside the speaker's turns shorter than
   * `turnPauseMs`) over a sliding window, null until enough. A conversational rate, not an articulation rate.
   */
  wpm: number | null;
  /** Seconds of turn time inside the window `wpm` was measured over (evidence for reasons). */
  wpmWindowSpeechS: number;
}
