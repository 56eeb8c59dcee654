/**
 * Syllable nuclei from the intensity contour, after De Jong & Wempe (2009): a nucleus is an intensity
 * peak that stands out from its neighbours by a dip of at least `syllableDipDb` on both sides, is loud
 * enough (caller's threshold) and is voiced. The contour is the 10 ms half-slot energy smoothed with a
 * 50 ms triangular kernel (1-2-3-2-1), close to Praat's intensity analysis the method was built on.
 * Everything runs in the energy domain (a dB dip is an energy ratio), so no logarithms are needed.
 *
 * Voicing cue: sign changes per sample. Vowels cross zero at about twice their strongest formant: ~0.1-0.3
 * per sample for open vowels, up to ~0.5 for /i/-like vowels whose first formant the 300 Hz telephone
 * high-pass weakens; /s/-like fricatives cross more often (0.6-0.8). White hiss (0.5) is kept out by
 * the loudness test, not by this cue.
 *
 * @module
 */
import { perConfig } from "../per_config.ts";
import type { AnalysisConfig } from "./config.ts";

/** The detector's two settings, shared by every call with the same config (`core/per_config.ts`). */
const peakSettings = perConfig((config: AnalysisConfig) => ({
  dipFactor: 10 ** (config.syllableDipDb / 10),
  maxZcr: config.syllableMaxZcr,
}));

/** Online peak picker fed one 10 ms half-slot at a time; 20 ms of look-ahead for the smoothing. */
export class SyllableNucleusDetector {
  readonly #settings: { readonly dipFactor: number; readonly maxZcr: number };
  // Last five half-slot energies and the two latest zero-crossing rates, oldest first (smoothing window).
  #e0 = 0;
  #e1 = 0;
  #e2 = 0;
  #e3 = 0;
  #z2 = 0;
  #z3 = 0;
  #rising = false;
  #extreme = Infinity;
  #peakVoiced = false;
  #peakInSpeech = false;

  constructor(config: AnalysisConfig) {
    this.#settings = peakSettings(config);
  }

  /**
   * Feeds one half-slot.
   *
   * @param energy mean square of the half-slot
   * @param zcr sign changes per sample in the half-slot
   * @param inSpeech whether the track is speaking in this slot
   * @param minPeakEnergy how loud a peak must be to count
   * @returns 1 when a nucleus was confirmed at this step, else 0
   */
  update(energy: number, zcr: number, inSpeech: boolean, minPeakEnergy: number): number {
    const { dipFactor, maxZcr } = this.#settings;
    const smoothed = (this.#e0 + 2 * this.#e1 + 3 * this.#e2 + 2 * this.#e3 + energy) / 9;
    const centreZcr = this.#z2;
    this.#e0 = this.#e1;
    this.#e1 = this.#e2;
    this.#e2 = this.#e3;
    this.#e3 = energy;
    this.#z2 = this.#z3;
    this.#z3 = zcr;

    if (this.#rising) {
      if (smoothed > this.#extreme) {
        this.#extreme = smoothed;
        this.#peakVoiced = centreZcr < maxZcr;
        this.#peakInSpeech = inSpeech;
      } else if (smoothed * dipFactor < this.#extreme) {
        const counted = this.#peakVoiced && this.#peakInSpeech && this.#extreme > minPeakEnergy;
        this.#rising = false;
        this.#extreme = smoothed;
        return counted ? 1 : 0;
      }
    } else if (smoothed < this.#extreme) {
      this.#extreme = smoothed;
    } else if (smoothed > this.#extreme * dipFactor) {
      this.#rising = true;
      this.#extreme = smoothed;
      this.#peakVoiced = centreZcr < maxZcr;
      this.#peakInSpeech = inSpeech;
    }
    return 0;
  }
}
