/**
 * Echo of the other party in a track: how much of a slot's energy the other party's voice explains.
 *
 * On a real line a track often carries the other party's voice: a handset or a speakerphone plays it and
 * its microphone picks it up again, 15-40 dB down and 20-250 ms late, when the echo canceller leaves it
 * in. It is the other track's energy envelope at ONE lag, lower. Real double talk is not: it has its own
 * envelope, at its own level. So each track keeps an estimate of the echo path from the other track (lag
 * and loss), and a slot counts as this party's speech only when its energy is well above the echo that
 * path predicts (`TrackAnalyzer` raises its voice threshold to the prediction, see `vad.ts`).
 *
 * The path is learnt from the envelopes alone (no samples are correlated, so it costs a few operations per
 * slot). At every candidate lag L (0 to `echoMaxDelayMs`, 10 ms steps), `d_L = y - x_L` is the level
 * difference in dB between this track's newest half-slot and the other track's half-slot L earlier,
 * taken while that one was loud speech (near its active level). At the echo's lag, `d_L` is the echo loss
 * whenever this party is silent, and above it when they talk too: its low quantile is the echo loss. At any
 * other lag the other party's syllable peaks meet this track's dips, so the low quantile of `d_L` lies far
 * below it. The path is the lag with the highest low quantile (a running 20th percentile per lag, updated
 * with fixed steps: no sorting, no memory), and it is only believed when that lag stands out from the
 * others (`echoContrastDb`) and the loss is that of an echo (`echoMinLossDb`). Without echo, or with echo
 * under the line noise, no lag stands out and nothing is gated.
 *
 * Until the path is learnt (the first seconds the other party talks), a cautious rule covers the start of a
 * call: energy more than `echoPriorLossDb` below the other party's loudest speech of the last
 * `echoMaxDelayMs` may be echo. Echo is 15 dB or more down; two people talking over each other at their
 * own levels are not.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import type { AnalysisConfig } from "./config.ts";

/** Half-slot entries kept of the other track: a power of two above the longest lag plus one. */
const RING = 64;
const MASK = RING - 1;
/** The running quantile: 20th percentile, in steps of `STEP_DB`. */
const QUANTILE = 0.2;
const STEP_DB = 1;
/** The path (best lag, gain) is re-read from the per-lag quantiles every this many slots. */
const REFRESH_SLOTS = 4;
/** dB per natural-log unit of energy: 10 / ln 10. */
const DB_PER_NEPER = 10 / Math.LN10;

/** What a path derives from its config, shared by every call with the same settings (`core/per_config.ts`). */
interface EchoSettings {
  readonly lags: number;
  readonly marginDb: number;
  readonly minLossDb: number;
  readonly priorFactor: number;
  readonly contrastDb: number;
  readonly learnUpdates: number;
  readonly loudFactor: number;
}

const echoSettings = perConfig((config: AnalysisConfig): EchoSettings => ({
  lags: Math.min(RING - 2, Math.round(config.echoMaxDelayMs / 10) + 1),
  marginDb: config.echoMarginDb,
  minLossDb: config.echoMinLossDb,
  priorFactor: 10 ** (-config.echoPriorLossDb / 10),
  contrastDb: config.echoContrastDb,
  learnUpdates: config.echoLearnSlots,
  loudFactor: 10 ** (-config.echoLoudWithinDb / 10),
}));

/** The echo path from the other party's track into this one. One per track of a call. */
export class EchoPath {
  readonly #settings: EchoSettings;
  /** The other track's half-slot energies while it was speech (0 otherwise), newest at `#pos`. */
  readonly #energy: Float64Array;
  /** The same in dB while it was LOUD speech (near its active level), NaN otherwise. */
  readonly #loudDb: Float64Array;
  /** Per lag (in half-slots), the running low quantile of this track's level minus the other's, dB. */
  readonly #quantile: Float64Array;
  #pos = 0;
  /** Loud entries among the newest `lags` half-slots: when none, nothing can be learnt this slot. */
  #loudInWindow = 0;
  #updates = 0;
  #sinceRefresh = 0;
  /** The believed path: its lag in half-slots, -1 when there is none. */
  #lag = -1;
  /** Energy factor from the other track's speech to the highest echo it explains here (margin included). */
  #gain = 0;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#settings = echoSettings(config);
    this.#energy = buffers.float64(RING);
    this.#loudDb = buffers.float64(RING).fill(NaN);
    this.#quantile = buffers.float64(this.#settings.lags).fill(NaN);
  }

  /** The path's delay in ms, null while no echo path is believed. */
  get delayMs(): number | null {
    return this.#lag < 0 ? null : this.#lag * 10;
  }

  /** The path's echo loss in dB (the low quantile; the echo is mostly a few dB above it), null without a path. */
  get lossDb(): number | null {
    return this.#lag < 0 ? null : -this.#quantile[this.#lag];
  }

  /** Whether the path has been learnt (enough of the other party's loud speech was heard). */
  get learnt(): boolean {
    return this.#updates >= this.#settings.learnUpdates;
  }

  /**
   * Takes one slot: the other track's two half-slot energies (with its voice threshold and active energy,
   * which say whether they were speech, and loud speech), and this track's second half-slot energy.
   */
  push(
    otherHalf1: number,
    otherHalf2: number,
    otherThreshold: number,
    otherActiveEnergy: number,
    ownHalf2: number,
  ): void {
    const loudEnergy = otherActiveEnergy > 0 ? otherActiveEnergy * this.#settings.loudFactor : Infinity;
    this.#store(otherHalf1, otherThreshold, loudEnergy);
    this.#store(otherHalf2, otherThreshold, loudEnergy);
    // Digital silence (a lost frame, a silent line) reads as 0 dB re one 16-bit unit: far below any echo.
    if (this.#loudInWindow > 0) this.#learn(Math.log(ownHalf2 + 1) * DB_PER_NEPER);
    if (++this.#sinceRefresh >= REFRESH_SLOTS) this.#refresh();
  }

  /**
   * The highest energy the other party's echo can give this track's newest slot (margin included): a
   * slot at or below it is not this party's speech. 0 when there is nothing to fear.
   */
  echoEnergy(): number {
    const energy = this.#energy;
    const p = this.#pos;
    if (this.#lag >= 0) {
      // Each half-slot's echo comes from one lag; its neighbours cover a path between two 10 ms steps.
      const a = p - this.#lag - 1, b = a - 1;
      const half2 = Math.max(energy[(a + 1) & MASK], energy[a & MASK], energy[(a - 1) & MASK]);
      const half1 = Math.max(energy[(b + 1) & MASK], energy[b & MASK], energy[(b - 1) & MASK]);
      return this.#gain * (half1 + half2) * 0.5;
    }
    // No lag stands out (no echo, or echo drowned in noise; or not learnt yet): bound the echo by the other
    // party's loudest recent speech, at the learnt loss (or, before that, the cautious one).
    let loudest = 0;
    for (let lag = 0; lag < this.#settings.lags; lag++) {
      const e = energy[(p - 1 - lag) & MASK];
      if (e > loudest) loudest = e;
    }
    return loudest * (this.learnt ? this.#gain : this.#settings.priorFactor);
  }

  #store(energy: number, threshold: number, loudEnergy: number): void {
    const lags = this.#settings.lags;
    const p = this.#pos;
    // The entry leaving the window of lags.
    if (!Number.isNaN(this.#loudDb[(p - lags) & MASK])) this.#loudInWindow--;
    const speech = energy > threshold;
    this.#energy[p] = speech ? energy : 0;
    if (speech && energy >= loudEnergy) {
      this.#loudDb[p] = Math.log(energy) * DB_PER_NEPER;
      this.#loudInWindow++;
    } else {
      this.#loudDb[p] = NaN;
    }
    this.#pos = (p + 1) & MASK;
  }

  #learn(ownDb: number): void {
    const quantile = this.#quantile;
    const loudDb = this.#loudDb;
    const newest = this.#pos - 1;
    const up = STEP_DB * QUANTILE, down = STEP_DB * (1 - QUANTILE);
    for (let lag = 0; lag < quantile.length; lag++) {
      const x = loudDb[(newest - lag) & MASK];
      if (x !== x) continue; // NaN: the other track was not loud speech then
      const d = ownDb - x;
      const q = quantile[lag];
      if (q !== q) quantile[lag] = d;
      else quantile[lag] = d < q ? q - down : q + up;
    }
    this.#updates++;
  }

  quantile_(): Float64Array {
    return this.#quantile;
  }
  /**
   * Re-reads the path: the loss is the highest low quantile (capped at an echo's least loss); its lag is the
   * path's when it stands out from the other lags.
   */
  #refresh(): void {
    this.#sinceRefresh = 0;
    const s = this.#settings;
    this.#lag = -1;
    if (!this.learnt) return;
    const quantile = this.#quantile;
    let best = -1, sum = 0, count = 0;
    for (let lag = 0; lag < quantile.length; lag++) {
      const q = quantile[lag];
      if (q !== q) continue;
      sum += q;
      count++;
      if (best < 0 || q > quantile[best]) best = lag;
    }
    if (best < 0) return;
    const top = Math.min(quantile[best], -s.minLossDb);
    this.#gain = 10 ** ((top + s.marginDb) / 10);
    if (count >= 3 && quantile[best] - (sum - quantile[best]) / (count - 1) >= s.contrastDb) this.#lag = best;
  }
}
