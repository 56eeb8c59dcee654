/**
 * Live analysis of one call track (one party's voice), one 20 ms μ-law slot at a time.
 *
 * A slot's samples are reduced first to a few numbers (`slot_measure.ts`: energy and sign changes per 10 ms
 * half-slot); everything else runs on those per-slot or per-half-slot values in preallocated state, so a call
 * costs no allocation after construction.
 *
 * @example
 * ```ts
 * const analyzer = new TrackAnalyzer();
 * const result = analyzer.processFrame(frame); // frame: Uint8Array of ≤ 160 μ-law bytes, or null
 * if (result.speaking && result.wpm !== null) console.log(result.wpm.toFixed(0));
 * ```
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { perConfig } from "../per_config.ts";
import { type AnalysisConfig, defaultAnalysisConfig } from "./config.ts";
import type { EchoPath } from "./echo.ts";
import { ActiveLevelMeter } from "./level.ts";
import { energyToDbov } from "./mulaw.ts";
import {
  CHANGES_1,
  CHANGES_2,
  COUNT,
  ENERGY_1,
  ENERGY_2,
  FIRST_CODE,
  HALF_SLOT,
  LAST_CODE,
  measureFrame,
  SLOT_MEASURES,
} from "./slot_measure.ts";
import { SpeechRateWindow } from "./speech_rate.ts";
import { SyllableNucleusDetector } from "./syllables.ts";
import { SLOT_MS, type TrackFrameResult } from "./types.ts";
import { VoiceActivityDetector } from "./vad.ts";

/** Where `processFrame` measures its frame: it is read right away, so every analyzer shares one. */
const scratch = new Float64Array(SLOT_MEASURES);
/** What the analyzer derives from its config, shared per config (`core/per_config.ts`). */
const analyzerSettings = perConfig((config: AnalysisConfig) => ({
  /** How far below the active level a syllable peak may be, as an energy factor. */
  belowActive: 10 ** (-config.syllableBelowActiveDb / 10),
  /** Talk longer than this is a turn; shorter, a backchannel (slots). */
  turnFrames: Math.max(1, Math.round(config.rateMinSpurtMs / SLOT_MS)),
}));

/** Measures speaking, speech level and speaking rate of one track. Not shared between tracks. */
export class TrackAnalyzer {
  readonly #vad: VoiceActivityDetector;
  readonly #level: ActiveLevelMeter;
  readonly #syllables: SyllableNucleusDetector;
  readonly #rate: SpeechRateWindow;
  readonly #settings: { readonly belowActive: number; readonly turnFrames: number };
  readonly #result: TrackFrameResult = {
    speaking: false,
    frameEnergy: 0,
    activeLevelDb: null,
    wpm: null,
    wpmWindowSpeechS: 0,
  };
  #lastCode = 0xff;
  #activeEnergy = 0;
  #wasVoiced = false;
  #levelTick = 0;
  #otherWasSpeaking = false;
  /** The other party started talking during this track's current silence. */
  #otherStartedInGap = false;
  /** Slots the other party has been speaking in a row. */
  #otherRun = 0;
  /** A pause of this party (slots) in which the other party started talking: theirs unless that was a turn. */
  #pausePending = 0;

  /**
   * @param config validated settings; defaults to {@linkcode defaultAnalysisConfig}
   * @param buffers where the rings come from (a call's lease from a pool in the server; new arrays otherwise)
   */
  constructor(config: AnalysisConfig = defaultAnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#vad = new VoiceActivityDetector(config, buffers);
    this.#level = new ActiveLevelMeter(config, buffers);
    this.#syllables = new SyllableNucleusDetector(config);
    this.#rate = new SpeechRateWindow(config, buffers);
    this.#settings = analyzerSettings(config);
  }

  /**
   * Analyses the next 20 ms slot of the track. Call once per slot, in stream order.
   *
   * @param frame up to 160 μ-law bytes; shorter frames are measured over the bytes present. `null` (or
   *   an empty frame) means no audio arrived for the slot and counts as digital silence.
   * @param otherSpeaking whether the other party of the call is speaking (their latest result): talk of
   *   theirs that starts in a pause of this track and lasts a turn makes the pause a change of turn, not this
   *   track's turn time. Leave it false for a track analysed on its own.
   * @param echo the echo path from the other party's track into this one (`call_analyzer.ts`): energy its
   *   echo explains is not voice. Null for a track analysed on its own.
   * @returns the slot's result. The SAME object is returned on every call and overwritten by the next
   *   one: read it before calling again, copy it to keep it.
   * @throws RangeError if the frame holds more than 160 bytes (split longer payloads into slots first)
   */
  processFrame(
    frame: Uint8Array | null,
    otherSpeaking = false,
    echo: EchoPath | null = null,
  ): TrackFrameResult {
    measureFrame(frame, scratch, 0);
    return this.processMeasured(scratch, 0, otherSpeaking, echo);
  }

  /**
   * {@linkcode TrackAnalyzer.processFrame} of a slot measured already (`slot_measure.ts`): its measures at
   * `measures[at …]`, or no audio when `at` is negative. The stream aligner measures each frame as it arrives.
   */
  processMeasured(
    measures: Float64Array,
    at: number,
    otherSpeaking = false,
    echo: EchoPath | null = null,
  ): TrackFrameResult {
    const n = at < 0 ? 0 : measures[at + COUNT];
    let e1 = 0, e2 = 0, z1 = 0, z2 = 0;
    const n1 = n > HALF_SLOT ? HALF_SLOT : n;
    if (n > 0) {
      e1 = measures[at + ENERGY_1];
      e2 = measures[at + ENERGY_2];
      // The sign change from this track's last sample before the slot into its first.
      z1 = measures[at + CHANGES_1] + ((measures[at + FIRST_CODE] ^ this.#lastCode) >>> 7);
      z2 = measures[at + CHANGES_2];
      this.#lastCode = measures[at + LAST_CODE] | 0;
    }
    const energy = n > 0 ? (e1 + e2) / n : 0;
    const vad = this.#vad;
    vad.update(energy, this.#activeEnergy, echo);
    const result = this.#result;
    if (vad.voiced) {
      this.#level.push(energy);
      this.#activeEnergy = this.#level.activeEnergy;
      // The level moves slowly (a 3 s window): in dB every fourth voiced slot, a logarithm saved on three.
      if ((++this.#levelTick & 3) === 0 || result.activeLevelDb === null) {
        result.activeLevelDb = this.#activeEnergy > 0 ? energyToDbov(this.#activeEnergy) : null;
      }
      // A pause is this party's own, inside their turn, unless the other party took the turn in it: started
      // talking in it and went on for as long as a turn. Whether they do is known only later, so a pause the
      // other party is still talking in when this one resumes waits (see below); a backchannel in the pause,
      // or talk the other party was already doing when this one paused (a talk-over), leaves it theirs.
      if (!this.#wasVoiced && vad.bridgedFrames === 0) {
        this.#rate.startSpurt();
        this.#rate.addSpeechFrames(1);
      } else if (this.#otherStartedInGap && otherSpeaking) {
        this.#pausePending = vad.bridgedFrames;
        this.#rate.addSpeechFrames(1);
      } else {
        this.#rate.addSpeechFrames(1 + vad.bridgedFrames);
      }
      this.#otherStartedInGap = false;
    } else if (otherSpeaking && !this.#otherWasSpeaking) {
      this.#otherStartedInGap = true;
    }
    this.#otherRun = otherSpeaking ? this.#otherRun + 1 : 0;
    if (this.#pausePending > 0) {
      if (this.#otherRun >= this.#settings.turnFrames) {
        this.#pausePending = 0; // it was the other party's turn
      } else if (!otherSpeaking) {
        this.#rate.addSpeechFrames(this.#pausePending); // a backchannel: the pause was this party's
        this.#pausePending = 0;
      }
    }
    this.#wasVoiced = vad.voiced;
    this.#otherWasSpeaking = otherSpeaking;

    // Two half-slots into the contour; a slot of ≤ 80 bytes repeats its only half. A slot with no audio (a
    // frame lost on the line) leaves the contour as it was: a hole in a vowel is not a dip between syllables.
    let nuclei = 0;
    if (n > 0) {
      let minPeak = this.#activeEnergy * this.#settings.belowActive;
      if (vad.threshold > minPeak) minPeak = vad.threshold;
      const h1 = e1 / n1;
      const zc1 = z1 / n1;
      const n2 = n - n1;
      nuclei = this.#syllables.update(h1, zc1, vad.speaking, minPeak);
      nuclei += n2 > 0
        ? this.#syllables.update(e2 / n2, z2 / n2, vad.speaking, minPeak)
        : this.#syllables.update(h1, zc1, vad.speaking, minPeak);
      if (nuclei > 0) this.#rate.addSyllables(nuclei);
    }
    // The rate is read up to the newest nucleus (`speech_rate.ts`): it changes with new nuclei (and once,
    // when the first reading appears). Reading it only then avoids boxing a number (`wpm` may be null) on
    // every slot.
    if (nuclei > 0 || (vad.voiced && result.wpm === null)) result.wpm = this.#rate.wordsPerMinute;
    if (vad.voiced || nuclei > 0) result.wpmWindowSpeechS = this.#rate.speechSeconds;

    result.speaking = vad.speaking;
    result.frameEnergy = energy;
    return result;
  }

  /** The energy a slot had to exceed to be voice, as of the last slot (`vad.ts`). */
  get voiceThreshold(): number {
    return this.#vad.threshold;
  }

  /** The active speech level as energy, 0 while unknown. */
  get activeEnergy(): number {
    return this.#activeEnergy;
  }
}
