/**
 * Synthetic test signals for the `core/audio` tests, μ-law encoded with alawmulaw.
 * Levels are RMS in dBov (0 dBov = full-scale square, see core/audio/mulaw.ts).
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import { TrackAnalyzer } from "../../../core/audio/track_analyzer.ts";
import type { TrackFrameResult } from "../../../core/audio/types.ts";
import { seededRandom } from "../../../simulator/synth.ts";

const RATE = 8000;
const FULL_SCALE = 32768;

/** Linear RMS amplitude of a level in dBov. */
export function rmsOf(db: number): number {
  return FULL_SCALE * 10 ** (db / 20);
}

/** Deterministic noise: the simulator's seeded PRNG (mulberry32). */
export const seeded = seededRandom;

/** Sine at `hz` with the given RMS level. */
export function tone(hz: number, db: number, seconds: number): Float64Array {
  const out = new Float64Array(Math.round(seconds * RATE));
  const amp = rmsOf(db) * Math.SQRT2;
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / RATE);
  return out;
}

/** Gaussian white noise with the given RMS level. */
export function whiteNoise(db: number, seconds: number, seed = 1): Float64Array {
  const random = seeded(seed);
  const out = new Float64Array(Math.round(seconds * RATE));
  const rms = rmsOf(db);
  for (let i = 0; i < out.length; i++) {
    out[i] = rms * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/**
 * Vowel-like syllable train: a 140 Hz harmonic complex (harmonics 3..20, the telephone band) under a
 * raised-cosine envelope per syllable, `perSecond` syllables per second, RMS over the train = `db`.
 */
export function syllableTrain(perSecond: number, db: number, seconds: number): Float64Array {
  const out = new Float64Array(Math.round(seconds * RATE));
  const period = RATE / perSecond;
  let sumSq = 0;
  for (let i = 0; i < out.length; i++) {
    let carrier = 0;
    for (let h = 3; h <= 20; h++) carrier += Math.sin((2 * Math.PI * 140 * h * i) / RATE) / h;
    const phase = (i % period) / period;
    out[i] = carrier * Math.sin(Math.PI * phase) ** 2;
    sumSq += out[i] * out[i];
  }
  const gain = rmsOf(db) / Math.sqrt(sumSq / out.length);
  for (let i = 0; i < out.length; i++) out[i] *= gain;
  return out;
}

/** Sums signals sample by sample (length of the longest). */
export function mix(...signals: Float64Array[]): Float64Array {
  const out = new Float64Array(Math.max(...signals.map((s) => s.length)));
  for (const s of signals) for (let i = 0; i < s.length; i++) out[i] += s[i];
  return out;
}

/** Joins signals end to end. */
export function concat(...signals: Float64Array[]): Float64Array {
  const out = new Float64Array(signals.reduce((n, s) => n + s.length, 0));
  let pos = 0;
  for (const s of signals) (out.set(s, pos), pos += s.length);
  return out;
}

/** Digital silence of the given length. */
export function silence(seconds: number): Float64Array {
  return new Float64Array(Math.round(seconds * RATE));
}

/** μ-law encodes a linear signal (clipped to 16 bits). */
export function toMulaw(signal: Float64Array): Uint8Array {
  const pcm = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(signal[i])));
  return alawmulaw.mulaw.encode(pcm);
}

/** Plays μ-law audio through an analyzer in `slotBytes` slots; returns a copy of every result. */
export function analyze(
  audio: Uint8Array,
  analyzer: TrackAnalyzer = new TrackAnalyzer(),
  slotBytes = 160,
): TrackFrameResult[] {
  const results: TrackFrameResult[] = [];
  for (let pos = 0; pos < audio.length; pos += slotBytes) {
    results.push({ ...analyzer.processFrame(audio.subarray(pos, pos + slotBytes)) });
  }
  return results;
}

/** Share of results in [from, to) (slot indices) that are speaking. */
export function speakingShare(results: TrackFrameResult[], from = 0, to = results.length): number {
  let n = 0;
  for (let i = from; i < to; i++) if (results[i].speaking) n++;
  return n / (to - from);
}
