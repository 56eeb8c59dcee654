/**
 * Per-slot voice activity: slot energy against an adaptive noise floor, with hangover.
 *
 * The noise floor is a minimum statistic (Martin's idea, simplified): the lowest non-zero slot energy
 * over the last `noiseWindowS`, kept as `noiseBlocks` block minima so old minima drop out block by
 * block. A minimum cannot climb into continuous speech as long as the talker pauses or hits a quiet
 * consonant once per window, and it follows a rising line noise within one window. At the start of a
 * call the floor is simply the lowest slot seen so far; digital silence (zero energy, missing slots) is
 * left out, so silence followed by hiss does not leave the floor at zero, and a gap with no audio keeps
 * the floor learned before it. A track whose very first audio is already speech is detected once the
 * speech rises `vadNoiseMarginDb` above its first slot (typically 80-200 ms in), or after its first pause.
 *
 * A slot is voiced when its energy is above all of: floor + `vadNoiseMarginDb` (only
 * `vadContinueMarginDb` while a talkspurt is going on, a Schmitt trigger: weak consonants inside speech
 * stay speech, noise never starts a talkspurt), active speech level -
 * `vadBelowActiveDb` (once known), `vadMinLevelDb`, and the echo the other party's voice can leave in this
 * track (`echo.ts`): energy the echo explains is not this party speaking. Relative thresholds make a -40 dBov caller and
 * a -12 dBov caller equally detectable; there is no fixed speech level.
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import type { AnalysisConfig } from "./config.ts";
import type { EchoPath } from "./echo.ts";
import { dbovToEnergy } from "./mulaw.ts";
import { SLOT_MS } from "./types.ts";

/** What a detector derives from its config: the same for every call, so shared (`core/per_config.ts`). */
interface VadSettings {
  readonly blockFrames: number;
  readonly marginFactor: number;
  readonly continueFactor: number;
  readonly belowActiveFactor: number;
  readonly minEnergy: number;
  readonly hangoverFrames: number;
  readonly noisyHangoverFrames: number;
  readonly noisySnrFactor: number;
  readonly bridgeFrames: number;
}

const vadSettings = perConfig((config: AnalysisConfig): VadSettings => {
  const windowFrames = Math.round((config.noiseWindowS * 1000) / SLOT_MS);
  return {
    blockFrames: Math.max(1, Math.round(windowFrames / config.noiseBlocks)),
    marginFactor: 10 ** (config.vadNoiseMarginDb / 10),
    continueFactor: 10 ** (Math.min(config.vadContinueMarginDb, config.vadNoiseMarginDb) / 10),
    belowActiveFactor: 10 ** (-config.vadBelowActiveDb / 10),
    minEnergy: dbovToEnergy(config.vadMinLevelDb),
    hangoverFrames: Math.round(config.hangoverMs / SLOT_MS),
    noisyHangoverFrames: Math.round(config.noisyHangoverMs / SLOT_MS),
    noisySnrFactor: 10 ** (config.noisySnrDb / 10),
    bridgeFrames: Math.ceil(config.turnPauseMs / SLOT_MS) - 1,
  };
});

/** Voice activity detector fed one slot energy at a time. Reads its decision from the fields. */
export class VoiceActivityDetector {
  /** Raw decision for the last slot (before hangover). */
  voiced = false;
  /** Decision after hangover: what the track reports as speaking. */
  speaking = false;
  /** When `voiced` ends a silence shorter than `turnPauseMs` (a pause inside the turn), its slot count; else 0. */
  bridgedFrames = 0;
  /** Energy a slot had to exceed to be voiced, for the last slot. */
  threshold = 0;

  readonly #settings: VadSettings;
  readonly #blockMinima: Float64Array;
  #blockIndex = 0;
  #blockCount = 0;
  #blockMin = Infinity;
  #olderMin = Infinity;
  #hangLeft = 0;
  #gap = Infinity;

  constructor(config: AnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#settings = vadSettings(config);
    this.#blockMinima = buffers.float64(config.noiseBlocks).fill(Infinity);
  }

  /** Current noise floor estimate (energy), Infinity before any non-silent slot. */
  get noiseFloor(): number {
    return this.#blockMin < this.#olderMin ? this.#blockMin : this.#olderMin;
  }

  /**
   * Decides one slot.
   *
   * @param energy mean square of the slot (0 for digital silence or a missing slot)
   * @param activeEnergy active speech level as energy, 0 while unknown
   * @param echo the echo path from the other party's track: a slot its echo explains is not voice
   */
  update(energy: number, activeEnergy: number, echo: EchoPath | null = null): void {
    const s = this.#settings;
    this.#trackFloor(energy);
    const floor = this.noiseFloor;
    let threshold = s.minEnergy;
    const margin = this.speaking ? s.continueFactor : s.marginFactor;
    if (floor !== Infinity && floor * margin > threshold) threshold = floor * margin;
    const relative = activeEnergy * s.belowActiveFactor;
    if (relative > threshold) threshold = relative;
    // The echo only matters for a slot that would otherwise be voice: predict it only then.
    if (echo !== null && energy > threshold) {
      const echoEnergy = echo.echoEnergy();
      if (echoEnergy > threshold) threshold = echoEnergy;
    }
    this.threshold = threshold;

    const noisy = activeEnergy > 0 && floor !== Infinity && activeEnergy < floor * s.noisySnrFactor;
    const hangover = noisy ? s.noisyHangoverFrames : s.hangoverFrames;
    this.voiced = energy > threshold;
    this.bridgedFrames = 0;
    if (this.voiced) {
      if (this.#gap <= s.bridgeFrames || this.#gap <= hangover) this.bridgedFrames = this.#gap;
      this.#gap = 0;
      this.#hangLeft = hangover;
      this.speaking = true;
    } else {
      this.#gap++;
      this.speaking = this.#hangLeft > 0;
      if (this.#hangLeft > 0) this.#hangLeft--;
    }
  }

  #trackFloor(energy: number): void {
    if (energy > 0 && energy < this.#blockMin) this.#blockMin = energy;
    if (++this.#blockCount < this.#settings.blockFrames) return;
    this.#blockCount = 0;
    // A block of pure digital silence (no frames arrived) says nothing about the line: keep the floor
    // learned before it, so speech resuming after a long gap is measured against the known noise.
    if (this.#blockMin === Infinity) return;
    // Block complete: store its minimum, forget the oldest block.
    this.#blockMinima[this.#blockIndex] = this.#blockMin;
    this.#blockIndex = (this.#blockIndex + 1) % this.#blockMinima.length;
    let min = Infinity;
    for (let i = 0; i < this.#blockMinima.length; i++) {
      if (this.#blockMinima[i] < min) min = this.#blockMinima[i];
    }
    this.#olderMin = min;
    this.#blockMin = Infinity;
  }
}
