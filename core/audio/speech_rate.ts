/**
 * Speaking rate over the most recent `wpmWindowS` seconds of OWN turn time: a ring with one entry per
 * turn slot holding the syllable nuclei found in it, converted to words with {@linkcode SYLLABLES_PER_WORD}.
 *
 * Turn time is the speaker's voiced slots plus the silences between them that are shorter than
 * `turnPauseMs` (breaths, phrase breaks, hesitations), credited when the voice resumes. Longer pauses,
 * silences in which the other party spoke, and a turn's trailing silence are not turn time. This is the
 * conversational speaking rate the coaching thresholds are stated in; speech time alone would give the
 * articulation rate, which is about a third higher for the same talker.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { type AnalysisConfig, SYLLABLES_PER_WORD } from "./config.ts";
import { SLOT_MS } from "./types.ts";

/** Sliding window of turn slots and their syllable counts. */
export class SpeechRateWindow {
  readonly #syllables: Uint8Array;
  readonly #minFrames: number;
  #head = 0;
  #filled = 0;
  #sum = 0;
  #pending = 0;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#syllables = buffers.uint8(Math.max(1, Math.round((config.wpmWindowS * 1000) / SLOT_MS)));
    this.#minFrames = Math.round((config.wpmMinSpeechS * 1000) / SLOT_MS);
  }

  /** Appends `count` slots of turn time (a voiced slot, or a bridged pause credited when the voice resumes). */
  addSpeechFrames(count: number): void {
    const size = this.#syllables.length;
    for (let i = 0; i < count; i++) {
      if (this.#filled === size) this.#sum -= this.#syllables[this.#head];
      else this.#filled++;
      this.#syllables[this.#head] = 0;
      if (++this.#head === size) this.#head = 0;
    }
    if (this.#pending > 0 && this.#filled > 0) this.addSyllables(0);
  }

  /** Credits nuclei to the latest turn slot (they are confirmed a little after their peak). */
  addSyllables(count: number): void {
    count += this.#pending;
    if (count === 0) return;
    if (this.#filled === 0) {
      this.#pending = count;
      return;
    }
    this.#pending = 0;
    const size = this.#syllables.length;
    const last = this.#head === 0 ? size - 1 : this.#head - 1;
    this.#syllables[last] += count;
    this.#sum += count;
  }

  /** Seconds of turn time in the window. */
  get speechSeconds(): number {
    return (this.#filled * SLOT_MS) / 1000;
  }

  /** Words per minute of turn time, null until `wpmMinSpeechS` of turn time is in the window. */
  get wordsPerMinute(): number | null {
    if (this.#filled < this.#minFrames || this.#filled === 0) return null;
    return (this.#sum / this.speechSeconds) * 60 / SYLLABLES_PER_WORD;
  }
}
