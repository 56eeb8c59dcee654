/**
 * Speech-like audio for the simulator: voiced syllables with clear intensity dips between them, grouped in
 * phrases with short pauses, at a chosen speaking rate, active level (dBov) and pitch.
 *
 * Each syllable is a Rosenberg glottal pulse train (pitch contour: phrase declination, a small accent per
 * syllable, jitter) through three cascaded formant resonators of a vowel, under a syllable-shaped envelope
 * that falls to a consonant-like dip at both ends (sometimes with a little fricative noise). The voice
 * analyzer counts syllable nuclei from intensity peaks with a dip test, so the dips are what makes the rate
 * measurable, as in real speech. All randomness comes from a seeded PRNG: the same script gives the same
 * bytes on every run.
 *
 * Rendering is lazy: a track plans its phrases up front (just numbers) and renders one phrase at a time
 * when the first frame that needs it is pulled, so a long call never holds more than a few seconds of audio.
 *
 * @example
 * ```ts
 * const track = new SpeechTrack([{ startMs: 500, durationMs: 4000, wpm: 140, levelDb: -26, pitchHz: 120 }]);
 * const frame = track.nextFrame(); // 160 μ-law bytes = 20 ms
 * ```
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import { defaultAnalysisConfig, SYLLABLES_PER_WORD } from "../core/audio/config.ts";
import { SAMPLE_RATE, SLOT_SAMPLES } from "../core/audio/types.ts";

/** 16-bit full scale: 0 dBov is a square wave of this amplitude (as in `core/audio/mulaw.ts`). */
const FULL_SCALE = 32768;

/** One stretch of speech of one party. */
export interface Utterance {
  /** Start, ms from the start of the stream. */
  startMs: number;
  /** Length, ms (the last phrase ends at or before `startMs + durationMs`). */
  durationMs: number;
  /**
   * Speaking rate in words per minute of turn time, as the analyzer measures it: the phrases plus the
   * pauses between them shorter than `turnPauseMs` (converted with `SYLLABLES_PER_WORD`).
   */
  wpm: number;
  /** Active speech level, dBov (RMS over the phrases, pauses excluded). */
  levelDb: number;
  /** Mean fundamental frequency, Hz. */
  pitchHz: number;
  /** One phrase without pauses, e.g. a backchannel "mm-hmm". */
  singlePhrase?: boolean;
  /** Range of the pauses between phrases, ms (default 180-450, natural breathing pauses). */
  pauseMs?: readonly [number, number];
}

/** Options for {@linkcode SpeechTrack}. */
export interface SpeechTrackOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** Level of the constant line hiss, dBov (default -70); `null` for digital silence between words. */
  hissDb?: number | null;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Syllables per second of turn time (speech plus within-turn pauses) for a rate in words per minute.
 * Inside the phrases the syllables come faster, since the pauses between them are part of the turn.
 */
export function syllableRate(wpm: number): number {
  return (wpm * SYLLABLES_PER_WORD) / 60;
}

/** Formants (Hz) of a few vowels, adult average; enough variety to sound like speech. */
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440], // a
  [530, 1840, 2480], // e
  [390, 1990, 2550], // i (lowered F2 for a telephone voice)
  [570, 840, 2410], // o
  [440, 1020, 2240], // u
  [660, 1720, 2410], // ae
  [520, 1190, 2390], // schwa
];
const BANDWIDTHS = [90, 110, 170] as const;
/** Envelope floor between syllables: -26 dB under the nucleus, a clear dip. */
const DIP_FLOOR = 0.05;
const DEFAULT_PAUSE_MS = [180, 450] as const;

interface Phrase {
  startSample: number;
  /** Syllable lengths, samples. */
  syllables: number[];
  utterance: Utterance;
  /** Level offset of this phrase, dB (natural variation). */
  levelJitterDb: number;
}

interface RenderedPhrase {
  startSample: number;
  samples: Float32Array;
}

/** A party's audio: utterances rendered to 20 ms μ-law frames, pulled in order. */
export class SpeechTrack {
  readonly #phrases: Phrase[];
  readonly #random: () => number;
  readonly #hiss: number;
  readonly #pcm = new Int16Array(SLOT_SAMPLES);
  #nextPhrase = 0;
  #rendered: RenderedPhrase[] = [];
  #sample = 0;

  /**
   * @param utterances this party's speech; overlapping utterances are mixed.
   * @throws {RangeError} for a negative start or duration, a rate or pitch that is not positive.
   */
  constructor(utterances: readonly Utterance[], options: SpeechTrackOptions = {}) {
    this.#random = seededRandom(options.seed ?? 1);
    const hissDb = options.hissDb === undefined ? -70 : options.hissDb;
    this.#hiss = hissDb === null ? 0 : FULL_SCALE * 10 ** (hissDb / 20);
    // Rendering pulls phrases in start order, so phrases of overlapping utterances are interleaved here.
    this.#phrases = utterances.flatMap((utterance) => planPhrases(utterance, this.#random))
      .sort((a, b) => a.startSample - b.startSample);
  }

  /** Stream time of the next frame, ms. */
  get positionMs(): number {
    return (this.#sample / SAMPLE_RATE) * 1000;
  }

  /** Renders the next 20 ms as 16-bit linear samples (the returned array is reused by the next call). */
  nextPcm(): Int16Array {
    const from = this.#sample;
    const to = from + SLOT_SAMPLES;
    while (this.#nextPhrase < this.#phrases.length && this.#phrases[this.#nextPhrase].startSample < to) {
      this.#rendered.push(renderPhrase(this.#phrases[this.#nextPhrase++], this.#random));
    }
    this.#rendered = this.#rendered.filter((p) => p.startSample + p.samples.length > from);
    const pcm = this.#pcm;
    for (let i = 0; i < SLOT_SAMPLES; i++) {
      let value = this.#hiss === 0 ? 0 : this.#hiss * gaussian(this.#random);
      const t = from + i;
      for (const phrase of this.#rendered) {
        const k = t - phrase.startSample;
        if (k >= 0 && k < phrase.samples.length) value += phrase.samples[k];
      }
      pcm[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
    }
    this.#sample = to;
    return pcm;
  }

  /** Renders the next 20 ms as 160 μ-law bytes (a new array each call). */
  nextFrame(): Uint8Array {
    return alawmulaw.mulaw.encode(this.nextPcm());
  }
}

/** Standard normal variate (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function validate(u: Utterance): void {
  if (!(u.startMs >= 0) || !(u.durationMs >= 0)) {
    throw new RangeError(`utterance start and duration must be ≥ 0 ms (got ${u.startMs}, ${u.durationMs})`);
  }
  if (!(u.wpm > 0) || !(u.pitchHz > 0)) {
    throw new RangeError(`utterance wpm and pitchHz must be > 0 (got ${u.wpm}, ${u.pitchHz})`);
  }
  if (!(u.levelDb <= 0)) throw new RangeError(`utterance levelDb must be ≤ 0 dBov (got ${u.levelDb})`);
}

/** Pauses between phrases up to this long are inside the turn: the analyzer counts them as turn time. */
const TURN_PAUSE_MS = defaultAnalysisConfig.turnPauseMs;
/**
 * Phrases are spoken at most this many times faster than the turn rate. Pauses inside the turn that would
 * take more than half of it (never with the default pauses) make the utterance run long and read slower.
 */
const MAX_ARTICULATION_RATIO = 2;

interface PhrasePlan {
  count: number;
  weights: number[];
  levelJitterDb: number;
  /** Pause before the phrase (0 for the first), samples. */
  pauseBefore: number;
}

/**
 * Splits an utterance into phrases of 3-8 syllables with pauses (180-450 ms unless given), so that
 * syllables per second of TURN time (phrases plus the pauses shorter than the analyzer's `turnPauseMs`)
 * is exactly the asked rate: the pauses inside the turn are paid for by speaking the phrases faster, as
 * people do. Longer pauses end the turn and are extra time. Syllable lengths vary ±20 % around the
 * phrases' articulation rate; the last phrase ends at or before the end of the utterance.
 */
function planPhrases(utterance: Utterance, random: () => number): Phrase[] {
  validate(utterance);
  const perSyllable = SAMPLE_RATE / syllableRate(utterance.wpm);
  const [minPause, maxPause] = utterance.pauseMs ?? DEFAULT_PAUSE_MS;
  const turnPause = TURN_PAUSE_MS * SAMPLE_RATE / 1000;
  // Turn time left, samples: every syllable costs `perSyllable`, a pause that ends the turn its length.
  let left = Math.round(utterance.durationMs * SAMPLE_RATE / 1000);
  const plans: PhrasePlan[] = [];
  while (true) {
    let pauseBefore = 0;
    if (plans.length > 0 && !utterance.singlePhrase) {
      pauseBefore = Math.round((minPause + (maxPause - minPause) * random()) * SAMPLE_RATE / 1000);
      if (pauseBefore >= turnPause) left -= pauseBefore;
    }
    const room = Math.floor(left / perSyllable);
    if (room < 1 || (utterance.singlePhrase && plans.length > 0)) break;
    const wanted = utterance.singlePhrase ? room : 3 + Math.floor(random() * 6);
    // Avoid leaving a lone syllable for the end of the utterance.
    const count = room - wanted < 2 ? room : wanted;
    const weights = Array.from({ length: count }, () => 0.8 + 0.4 * random());
    plans.push({ count, weights, levelJitterDb: (random() - 0.5) * 2, pauseBefore });
    left -= count * perSyllable;
  }
  const syllableCount = plans.reduce((sum, p) => sum + p.count, 0);
  const bridged = plans.reduce((sum, p) => sum + (p.pauseBefore < turnPause ? p.pauseBefore : 0), 0);
  const articulated = Math.max(
    perSyllable / MAX_ARTICULATION_RATIO,
    (syllableCount * perSyllable - bridged) / Math.max(1, syllableCount),
  );
  let at = Math.round(utterance.startMs * SAMPLE_RATE / 1000);
  return plans.map((plan) => {
    at += plan.pauseBefore;
    const total = plan.weights.reduce((sum, w) => sum + w, 0);
    const syllables = plan.weights.map((w) => Math.round((w / total) * plan.count * articulated));
    const phrase = { startSample: at, syllables, utterance, levelJitterDb: plan.levelJitterDb };
    at += syllables.reduce((sum, n) => sum + n, 0);
    return phrase;
  });
}

/** Two-pole resonator (Klatt) with unity gain at DC. */
class Resonator {
  #a = 0;
  #b = 0;
  #c = 0;
  #y1 = 0;
  #y2 = 0;

  tune(frequency: number, bandwidth: number): void {
    const r = Math.exp(-Math.PI * bandwidth / SAMPLE_RATE);
    this.#c = -r * r;
    this.#b = 2 * r * Math.cos(2 * Math.PI * frequency / SAMPLE_RATE);
    this.#a = 1 - this.#b - this.#c;
  }

  step(x: number): number {
    const y = this.#a * x + this.#b * this.#y1 + this.#c * this.#y2;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

/** Rosenberg glottal flow over one period: opening 40 %, closing 16 %, closed the rest. */
function glottalFlow(phase: number): number {
  if (phase < 0.4) return 0.5 * (1 - Math.cos(Math.PI * phase / 0.4));
  if (phase < 0.56) return Math.cos((Math.PI / 2) * (phase - 0.4) / 0.16);
  return 0;
}

function renderPhrase(phrase: Phrase, random: () => number): RenderedPhrase {
  const length = phrase.syllables.reduce((sum, n) => sum + n, 0);
  const out = new Float32Array(length);
  const formants = [new Resonator(), new Resonator(), new Resonator()];
  const { pitchHz } = phrase.utterance;
  let phase = 0;
  let lastFlow = 0;
  let k = 0;
  for (let s = 0; s < phrase.syllables.length; s++) {
    const n = phrase.syllables[s];
    const vowel = VOWELS[Math.floor(random() * VOWELS.length)];
    formants.forEach((f, i) => f.tune(vowel[i] * (0.95 + 0.1 * random()), BANDWIDTHS[i]));
    const accent = 1 + (random() - 0.5) * 0.12;
    const gain = 0.7 + 0.3 * random();
    const fricative = random() < 0.4 ? 0.04 + 0.04 * random() : 0;
    for (let i = 0; i < n; i++, k++) {
      // Declination over the phrase (+10 % to -10 %), an accent per syllable, 1 % jitter.
      const f0 = pitchHz * (1.1 - 0.2 * (k / length)) * accent * (1 + 0.01 * (random() - 0.5));
      phase += f0 / SAMPLE_RATE;
      if (phase >= 1) phase -= 1;
      const flow = glottalFlow(phase);
      // Lip radiation: the first difference of the flow.
      let voice = (flow - lastFlow) * 8;
      lastFlow = flow;
      voice = formants[2].step(formants[1].step(formants[0].step(voice)));
      const x = i / n;
      const shape = Math.sin(Math.PI * x) ** 1.5;
      const envelope = DIP_FLOOR + (1 - DIP_FLOOR) * shape;
      // Fricative hiss only in the consonant part, before the vowel rises.
      const hiss = fricative > 0 && x < 0.2 ? fricative * (random() - 0.5) * (1 - x / 0.2) : 0;
      out[k] = voice * envelope * gain + hiss;
    }
  }
  let energy = 0;
  for (let i = 0; i < length; i++) energy += out[i] * out[i];
  const rms = Math.sqrt(energy / Math.max(1, length));
  const target = FULL_SCALE * 10 ** ((phrase.utterance.levelDb + phrase.levelJitterDb) / 20);
  const scale = rms > 0 ? target / rms : 0;
  for (let i = 0; i < length; i++) out[i] *= scale;
  return { startSample: phrase.startSample, samples: out };
}
