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
 * slot). At every candidate lag L (0 to `echoMaxDelayMs`, in 20 ms slots), `d_L = y - x_L` is the level
 * difference in dB between this track's newest slot and the other track's slot L earlier, taken while that
 * one was loud speech (near its active level). At the echo's lag, `d_L` is the echo loss
 * whenever this party is silent, and above it when they talk too: its low quantile is the echo loss. At any
 * other lag the other party's syllable peaks meet this track's dips, so the low quantile of `d_L` lies far
 * below it. The path is the lag with the highest low quantile (a running 20th percentile per lag, updated
 * with fixed steps: no sorting, no memory), and it is only believed when that lag stands out from the
 * others (`echoContrastDb`) and the loss is that of an echo (`echoMinLossDb`). Without echo, or with echo
 * under the line noise, no lag stands out and nothing is gated.
 *
 * Until a path stands out or the other party has talked long enough to be sure there is none (the first
 * seconds or so of a call), a cautious rule holds: energy more than `echoPriorLossDb` below the other party's
 * loudest speech of the last `echoMaxDelayMs` may be echo. Echo is 15 dB or more down; two people talking
 * over each other at their own levels are not.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import type { AnalysisConfig } from "./config.ts";
import { SLOT_MS } from "./types.ts";

/** Slots kept of the other track: a power of two above the longest lag plus one. */
const RING = 16;
const MASK = RING - 1;
/** The running quantile: 20th percentile, in steps of `STEP_DB` (coarser while the path is being learnt). */
const QUANTILE = 0.2;
const STEP_DB = 1;
const LEARNING_STEP_DB = 2.5;
/** Without a lag that stands out, the cautious bound stays this many times `echoLearnSlots` (no echo yet). */
const PRIOR_UNTIL = 3;
/** The path (best lag, gain) is re-read from the per-lag quantiles every this many slots. */
const REFRESH_SLOTS = 16;
/** Each lesson teaches every other lag, in turn; a lesson every this many slots (a power of two). */
const LAG_STRIDE = 2;
const LESSON_EVERY = 4;

/**
 * Level in dB re one 16-bit unit of an energy (0 for energies below 1, such as digital silence): the
 * octave from the bits, the rest by straight-line interpolation inside the octave (at most 0.26 dB off:
 * the quantiles move in 1 dB steps, and a logarithm would cost more than the rest of a slot's learning).
 */
export function fastDb(energy: number): number {
  if (!(energy >= 1)) return 0;
  if (energy >= 4_294_967_296) return 10 * Math.log10(energy); // beyond 16-bit audio
  const bits = 31 - Math.clz32(energy);
  const top = POWERS_OF_TWO[bits];
  return 3.0103 * (bits + (energy - top) / top);
}

const POWERS_OF_TWO = Float64Array.from({ length: 32 }, (_, bits) => 2 ** bits);

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
  lags: Math.min(RING - 2, Math.round(config.echoMaxDelayMs / SLOT_MS) + 1),
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
  /**
   * The other track's slots, newest just before `#pos`: at `2 * slot` its energy while it was speech (0
   * otherwise), at `2 * slot + 1` the same in dB while it was LOUD speech (near its active level), -1
   * otherwise. One array: a slot's two values share a cache line.
   */
  readonly #ring: Float64Array;
  /** Per lag (in slots), the running low quantile of this track's level minus the other's, dB. */
  readonly #quantile: Float64Array;
  #pos = 0;
  /** Loud entries among the newest `lags` slots: when none, nothing can be learnt this slot. */
  #loudInWindow = 0;
  /** The loudest speech energy among the newest `lags` slots, and where it is (-1: to be found again). */
  #loudest = 0;
  #loudestAt = -1;
  /** Slots heard with the other party's loud speech in the window, and lessons taken from them. */
  #heard = 0;
  #updates = 0;
  #sinceRefresh = 0;
  /** The believed path: its lag in slots, -1 when there is none. */
  #lag = -1;
  /** Energy factor from the other track's speech to the highest echo it explains here (margin included). */
  #gain = 0;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#settings = echoSettings(config);
    this.#ring = buffers.float64(2 * RING);
    for (let i = 1; i < this.#ring.length; i += 2) this.#ring[i] = -1;
    this.#quantile = buffers.float64(this.#settings.lags).fill(NaN);
  }

  /** The path's delay in ms (20 ms steps), null while no echo path is believed. */
  get delayMs(): number | null {
    return this.#lag < 0 ? null : this.#lag * SLOT_MS;
  }

  /** The path's echo loss in dB (the low quantile; the echo is mostly a few dB above it), null without a path. */
  get lossDb(): number | null {
    return this.#lag < 0 ? null : -this.#quantile[this.#lag];
  }

  /** Whether the path has been learnt (enough of the other party's loud speech was heard). */
  get learnt(): boolean {
    return this.#heard >= this.#settings.learnUpdates;
  }

  /**
   * Takes one slot: the other track's slot energy (with its voice threshold and active energy, which say
   * whether it was speech, and loud speech), and this track's.
   */
  push(otherEnergy: number, otherThreshold: number, otherActiveEnergy: number, ownEnergy: number): void {
    const s = this.#settings;
    const p = this.#pos;
    const ring = this.#ring;
    // The entry leaving the window of lags.
    const leaving = (p - s.lags) & MASK;
    if (ring[2 * leaving + 1] >= 0) this.#loudInWindow--;
    if (leaving === this.#loudestAt) this.#loudestAt = -1;
    let energy = 0, db = -1;
    if (otherEnergy > otherThreshold) {
      energy = otherEnergy;
      if (this.#loudestAt >= 0 && otherEnergy >= this.#loudest) {
        (this.#loudest = otherEnergy, this.#loudestAt = p);
      }
      if (otherActiveEnergy > 0 && otherEnergy >= otherActiveEnergy * s.loudFactor) {
        db = fastDb(otherEnergy);
        this.#loudInWindow++;
      }
    }
    ring[2 * p] = energy;
    ring[2 * p + 1] = db;
    this.#pos = (p + 1) & MASK;
    // Every fourth slot the other party talked in teaches half of the lags: an echo path stays put for
    // seconds, and an update of each lag every eighth such slot follows it well within them. Digital silence
    // (a lost frame, a silent line) reads as 0 dB re one 16-bit unit: far below any echo.
    if (this.#loudInWindow > 0 && (this.#heard++ & (LESSON_EVERY - 1)) === 0) {
      this.#learn(fastDb(ownEnergy), p);
    }
    if (++this.#sinceRefresh >= REFRESH_SLOTS) this.#refresh();
  }

  /**
   * The highest energy the other party's echo can give this track's NEXT slot (the one being decided,
   * before it is pushed), margin included: a slot at or below it is not this party's speech. 0 when there
   * is nothing to fear.
   */
  echoEnergy(): number {
    const ring = this.#ring;
    if (this.#lag >= 0) {
      // The slot at the path's lag and its neighbours (a delay between two 20 ms steps straddles two);
      // the next slot itself is not in yet, so a path of lag 0 or 1 reads the slots it has.
      const at = this.#pos - this.#lag;
      const later = this.#lag >= 2 ? ring[2 * ((at + 1) & MASK)] : 0;
      const source = this.#lag >= 1 ? ring[2 * (at & MASK)] : 0;
      return this.#gain * Math.max(later, source, ring[2 * ((at - 1) & MASK)]);
    }
    // No lag stands out (no echo, or echo drowned in noise; or not learnt yet): bound the echo by the other
    // party's loudest recent speech, at the learnt loss (or, before that, the cautious one).
    if (this.#loudestAt < 0) this.#findLoudest();
    const s = this.#settings;
    const factor = this.#heard < PRIOR_UNTIL * s.learnUpdates
      ? Math.max(s.priorFactor, this.#gain)
      : this.#gain;
    return this.#loudest * factor;
  }

  /** Scans the window for its loudest entry (only when the one known has left the window). */
  #findLoudest(): void {
    const ring = this.#ring;
    const newest = this.#pos - 1;
    this.#loudest = 0;
    this.#loudestAt = newest & MASK;
    for (let lag = 0; lag < this.#settings.lags; lag++) {
      const at = (newest - lag) & MASK;
      if (ring[2 * at] > this.#loudest) (this.#loudest = ring[2 * at], this.#loudestAt = at);
    }
  }

  #learn(ownDb: number, newest: number): void {
    const quantile = this.#quantile;
    const ring = this.#ring;
    const step = this.learnt ? STEP_DB : LEARNING_STEP_DB;
    const up = step * QUANTILE, down = step * (1 - QUANTILE);
    const first = this.#updates % LAG_STRIDE;
    for (let lag = first; lag < quantile.length; lag += LAG_STRIDE) {
      const x = ring[2 * ((newest - lag) & MASK) + 1];
      if (x < 0) continue; // the other track was not loud speech then
      const d = ownDb - x;
      const q = quantile[lag];
      if (q !== q) quantile[lag] = d;
      else quantile[lag] = d < q ? q - down : q + up;
    }
    this.#updates++;
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
