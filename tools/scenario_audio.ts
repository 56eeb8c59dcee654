/**
 * Audio building blocks for the scripted two-party scenarios (`accuracy_scenarios.ts`): the committed
 * espeak-ng fixture clips decoded from μ-law, cut at their labelled speech segments, scaled, time-stretched
 * and placed on a per-track timeline that is μ-law encoded again.
 *
 * @module
 */
import alawmulaw from "alawmulaw";

/** The fields of a fixture label that the scenarios use (see tests/fixtures/speech/labels.json). */
export interface FixtureLabel {
  name: string;
  file: string;
  kind: string;
  trueWpm: number;
  activeLevelDb: number;
  speechSegmentsMs: [number, number][];
}

/** A fixture clip: its label and its samples (16-bit scale, 8 kHz). */
export interface FixtureClip {
  label: FixtureLabel;
  pcm: Float32Array;
}

const RATE = 8000;
const DEFAULT_DIR = new URL("../tests/fixtures/speech/", import.meta.url);

/** Loads every clip listed in labels.json. */
export async function loadFixtureClips(dir: URL = DEFAULT_DIR): Promise<Map<string, FixtureClip>> {
  const labelsUrl = new URL("labels.json", dir);
  let doc: { clips: FixtureLabel[] };
  try {
    doc = JSON.parse(await Deno.readTextFile(labelsUrl));
  } catch (error) {
    throw new Error(
      `cannot read ${labelsUrl.pathname} (${(error as Error).message}); run deno task fixtures`,
    );
  }
  const clips = new Map<string, FixtureClip>();
  for (const label of doc.clips) {
    const bytes = await Deno.readFile(new URL(label.file, dir));
    clips.set(label.name, { label, pcm: Float32Array.from(alawmulaw.mulaw.decode(bytes)) });
  }
  return clips;
}

/**
 * Samples of speech segments `from`..`to` (inclusive indices into `speechSegmentsMs`) with 100 ms of the
 * clip's own audio around them, so a long multi-sentence clip yields single sentences.
 */
export function cutSegments(clip: FixtureClip, from: number, to: number): Float32Array {
  const segments = clip.label.speechSegmentsMs;
  if (from < 0 || to >= segments.length || from > to) {
    throw new RangeError(`${clip.label.name} has segments 0..${segments.length - 1}, asked ${from}..${to}`);
  }
  const start = Math.max(0, ((segments[from][0] - 100) * RATE) / 1000);
  const end = Math.min(clip.pcm.length, ((segments[to][1] + 100) * RATE) / 1000);
  return clip.pcm.slice(start, end);
}

/**
 * Slows speech down by `factor` (> 1 is slower) keeping its pitch: WSOLA (waveform-similarity overlap-add)
 * with 32 ms Hann windows and a ±8 ms search, the textbook method. Syllables keep their count and shape,
 * so the true words per minute divide by `factor`.
 */
export function timeStretch(input: Float32Array, factor: number): Float32Array {
  const win = 256;
  const synthesisHop = win / 2;
  const analysisHop = synthesisHop / factor;
  const tolerance = 64;
  const window = Float32Array.from({ length: win }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / win));
  const out = new Float32Array(Math.ceil(input.length * factor) + win);
  const norm = new Float32Array(out.length);
  let previous = 0;
  for (let k = 0;; k++) {
    const nominal = Math.round(k * analysisHop);
    if (nominal + win + tolerance >= input.length || k * synthesisHop + win > out.length) break;
    let position = nominal;
    if (k > 0) {
      // Pick the candidate most like the natural continuation of the previous frame.
      const natural = previous + synthesisHop;
      let best = -Infinity;
      for (let delta = -tolerance; delta <= tolerance; delta++) {
        const candidate = nominal + delta;
        if (candidate < 0 || natural + win > input.length) continue;
        let dot = 0;
        for (let i = 0; i < win; i++) dot += input[candidate + i] * input[natural + i];
        if (dot > best) (best = dot), (position = candidate);
      }
    }
    const at = k * synthesisHop;
    for (let i = 0; i < win; i++) {
      out[at + i] += input[position + i] * window[i];
      norm[at + i] += window[i];
    }
    previous = position;
  }
  for (let i = 0; i < out.length; i++) if (norm[i] > 1e-3) out[i] /= norm[i];
  return out;
}

/** One track of a scenario: clips mixed at given times, silence elsewhere. */
export class TrackTimeline {
  readonly #pcm: Float32Array;

  constructor(durationMs: number) {
    this.#pcm = new Float32Array(Math.ceil((durationMs * RATE) / 1000));
  }

  /** Mixes `pcm` in at `atMs` with `gainDb` applied; throws when it does not fit. */
  place(atMs: number, pcm: Float32Array, gainDb = 0): void {
    const start = Math.round((atMs * RATE) / 1000);
    if (start < 0 || start + pcm.length > this.#pcm.length) {
      throw new RangeError(
        `clip at ${atMs} ms (${(pcm.length / 8).toFixed(0)} ms long) does not fit the track`,
      );
    }
    const gain = 10 ** (gainDb / 20);
    for (let i = 0; i < pcm.length; i++) this.#pcm[start + i] += pcm[i] * gain;
  }

  /** The mixed samples (16-bit scale, not yet clipped). */
  get pcm(): Float32Array {
    return this.#pcm;
  }

  /** The track as μ-law bytes (clipped to 16 bits first, as a real codec would). */
  toMulaw(): Uint8Array {
    return encodeMulaw(this.#pcm);
  }
}

let mulawOf: Uint8Array | null = null;

/**
 * μ-law bytes of samples on the 16-bit scale, rounded and clipped as a codec would: `alawmulaw`'s encoder
 * through a table of all 65,536 values, built once (encoding a long call sample by sample is slow).
 */
export function encodeMulaw(samples: ArrayLike<number>): Uint8Array {
  if (mulawOf === null) {
    const all = new Int16Array(65_536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32_768;
    mulawOf = alawmulaw.mulaw.encode(all);
  }
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < out.length; i++) {
    const x = Math.round(samples[i]);
    out[i] = mulawOf[(x > 32_767 ? 32_767 : x < -32_768 ? -32_768 : x) + 32_768];
  }
  return out;
}

/** Duration of samples in ms. */
export function durationMs(pcm: Float32Array): number {
  return (pcm.length * 1000) / RATE;
}
