/**
 * Speaking rate over the most recent `wpmWindowS` seconds of OWN turn time: a ring with one entry per
 * turn slot holding the syllable nuclei found in it, converted to words with {@linkcode SYLLABLES_PER_WORD}
 * and calibrated against the true rate (`rateCalibrationSlope`, `rateCalibrationInterceptWpm`).
 *
 * Turn time is the speaker's voiced slots plus the silences between them that are shorter than
 * `turnPauseMs` (breaths, phrase breaks, hesitations), credited when the voice resumes. Longer pauses,
 * silences in which the other party took the turn, and a turn's trailing silence are not turn time. This is
 * the conversational speaking rate the coaching thresholds are stated in; speech time alone would give the
 * articulation rate, which is about a third higher for the same talker.
 *
 * Only talk spurts of at least `rateMinSpurtMs` count. A backchannel ("mm-hm", "right", "okay") is one or
 * two syllables said fast and alone, with no pause inside it: its own rate is high, and it says nothing about
 * how fast the speaker talks. A spurt is held back until it has lasted that long, then counted whole; a
 * spurt that ends before is dropped.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import { type AnalysisConfig, SYLLABLES_PER_WORD } from "./config.ts";
import { SLOT_MS } from "./types.ts";

const rateSettings = perConfig((config: AnalysisConfig) => ({
  minSpurtFrames: Math.round(config.rateMinSpurtMs / SLOT_MS),
  // Syllables per second of turn time to words per minute, and the calibration: raw = slope · true + intercept.
  wpmPerSyllableRate: 60 / SYLLABLES_PER_WORD / config.rateCalibrationSlope,
  offsetWpm: config.rateCalibrationInterceptWpm / config.rateCalibrationSlope,
}));

/** Sliding window of turn slots and their syllable counts. */
export class SpeechRateWindow {
  readonly #syllables: Uint8Array;
  readonly #minFrames: number;
  readonly #settings: {
    readonly minSpurtFrames: number;
    readonly wpmPerSyllableRate: number;
    readonly offsetWpm: number;
  };
  #head = 0;
  #filled = 0;
  #sum = 0;
  /** Turn slots of the current spurt so far, and what is held back while it is shorter than a turn. */
  #spurtFrames = 0;
  #heldFrames = 0;
  #heldSyllables = 0;
  /** Turn slots in the window since its newest nucleus. */
  #sinceNucleus = 0;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#syllables = buffers.uint8(Math.max(1, Math.round((config.wpmWindowS * 1000) / SLOT_MS)));
    this.#minFrames = Math.round((config.wpmMinSpeechS * 1000) / SLOT_MS);
    this.#settings = rateSettings(config);
  }

  /** A new talk spurt begins: whatever the previous one held back was a backchannel, and is dropped. */
  startSpurt(): void {
    this.#spurtFrames = 0;
    this.#heldFrames = 0;
    this.#heldSyllables = 0;
  }

  /** Appends `count` slots of turn time (a voiced slot, or a bridged pause credited when the voice resumes). */
  addSpeechFrames(count: number): void {
    this.#spurtFrames += count;
    if (this.#spurtFrames < this.#settings.minSpurtFrames) {
      this.#heldFrames += count;
      return;
    }
    if (this.#heldFrames > 0) {
      count += this.#heldFrames;
      this.#heldFrames = 0;
    }
    const size = this.#syllables.length;
    this.#sinceNucleus += count;
    for (let i = 0; i < count; i++) {
      if (this.#filled === size) this.#sum -= this.#syllables[this.#head];
      else this.#filled++;
      this.#syllables[this.#head] = 0;
      if (++this.#head === size) this.#head = 0;
    }
    if (this.#heldSyllables > 0) {
      const held = this.#heldSyllables;
      this.#heldSyllables = 0;
      this.addSyllables(held);
    }
  }

  /** Credits nuclei to the latest turn slot (they are confirmed a little after their peak). */
  addSyllables(count: number): void {
    if (count === 0) return;
    if (this.#spurtFrames < this.#settings.minSpurtFrames || this.#filled === 0) {
      this.#heldSyllables += count;
      return;
    }
    const size = this.#syllables.length;
    const last = this.#head === 0 ? size - 1 : this.#head - 1;
    this.#syllables[last] += count;
    this.#sum += count;
    this.#sinceNucleus = 0;
  }

  /** Seconds of turn time in the window. */
  get speechSeconds(): number {
    return (this.#filled * SLOT_MS) / 1000;
  }

  /**
   * Words per minute of turn time, calibrated; null until `wpmMinSpeechS` of turn time is in the window.
   *
   * Nuclei are events: the rate is the nuclei over the turn time up to the newest of them. The turn time
   * after it has no nucleus YET (a pause just credited, a syllable not yet confirmed), and counting it would
   * make the reading sag at every pause and jump back at the next syllable.
   */
  get wordsPerMinute(): number | null {
    if (this.#filled < this.#minFrames || this.#filled === 0) return null;
    const s = this.#settings;
    let span = this.#filled - this.#sinceNucleus;
    if (span < this.#minFrames) span = this.#minFrames;
    const wpm = ((this.#sum * 1000) / (span * SLOT_MS)) * s.wpmPerSyllableRate - s.offsetWpm;
    return wpm > 0 ? wpm : 0;
  }
}
