/**
 * Active speech level (ITU-T P.56 idea): mean energy over voiced slots only, across a sliding window of
 * the most recent `levelWindowS` seconds of speech, so pauses do not pull the level down; a change of
 * loudness shows within a second or two of speech and has fully settled after one window.
 *
 * Levels are dBov re a full-scale square wave (see `mulaw.ts`), the convention of ITU-T P.56 and the
 * G.191 `sv56` tool. Nominal telephone speech is -26 dBov active level, the customary normalisation
 * target in ITU-T speech processing and quality testing; -40 dBov is a quiet caller, -12 a loud one.
 * Unlike P.56 there is no envelope threshold search: the VAD decides which slots are speech.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import type { AnalysisConfig } from "./config.ts";
import { SLOT_MS } from "./types.ts";

/** Sliding mean of voiced-slot energies over a fixed number of voiced slots. */
export class ActiveLevelMeter {
  readonly #energies: Float64Array;
  readonly #minFrames: number;
  #head = 0;
  #filled = 0;
  #sum = 0;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#energies = buffers.float64(Math.max(1, Math.round((config.levelWindowS * 1000) / SLOT_MS)));
    this.#minFrames = Math.max(1, Math.round((config.levelMinSpeechS * 1000) / SLOT_MS));
  }

  /** Adds the energy of one voiced slot. */
  push(energy: number): void {
    const size = this.#energies.length;
    if (this.#filled === size) this.#sum -= this.#energies[this.#head];
    else this.#filled++;
    this.#energies[this.#head] = energy;
    this.#sum += energy;
    if (++this.#head === size) {
      this.#head = 0;
      // Re-sum once per lap so float cancellation from add/subtract never accumulates.
      if (this.#filled === size) {
        let sum = 0;
        for (let i = 0; i < size; i++) sum += this.#energies[i];
        this.#sum = sum;
      }
    }
  }

  /** Mean energy over the window, 0 until enough speech was measured. */
  get activeEnergy(): number {
    return this.#filled >= this.#minFrames ? this.#sum / this.#filled : 0;
  }
}
