/**
 * Accuracy of the speaking rate and the voice activity on speech of known rate, reported leave-one-speaker-
 * out: `tools/accuracy.ts` prints it, `tests/accuracy/clips_test.ts` asserts it.
 *
 * The clips: the espeak-ng fixtures (tests/fixtures/speech, `kind: "rate"`; each voice and variant is a
 * speaker) and the recordings of people (tests/fixtures/real; three speakers), the latter also played at
 * other tempos (WSOLA time-stretch, pitch kept: the same voices at 0.6-1.5 times their pace), so the real
 * voices cover the whole range of rates too. The truth is words per minute of turn time (speech plus the
 * pauses shorter than `turnPauseMs`), from the labels.
 *
 * The analyzer's reading is a syllable-nucleus rate, calibrated by a straight line fitted on these clips
 * (`rateCalibrationSlope`, `rateCalibrationInterceptWpm` in `core/audio/config.ts`); the dip a nucleus
 * needs (`syllableDipDb`) is chosen from a few values the same way. A speaker's figures must not come from
 * settings tuned on that speaker, so each speaker's clips are read with the dip and the line chosen on all
 * the OTHER speakers' clips only. The choice over every speaker is what the defaults hold. The line is
 * fitted on the clips as recorded or synthesized; the tempo-changed ones are only measured (WSOLA leaves
 * artefacts that natural speech at that pace does not have).
 *
 * A clip's reading is the rate over the whole clip (the window is made as long as the clip, so reading and
 * truth cover the same speech); a clip with no reading at all counts as infinitely wrong.
 *
 * Two measures say where the error comes from. The text bound: what a perfect syllable counter would read,
 * the clip's true syllable rate over {@linkcode SYLLABLES_PER_WORD} (words per minute cannot be heard; a text
 * with longer words reads fast however well its syllables are heard). And the syllables heard per syllable
 * said at each tempo, with the tempo changed two ways: WSOLA (pitch kept) and plain resampling (every
 * syllable an exact, faster or slower copy; pitch moves), which tells the detector's losses from the stretch's.
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import {
  type AnalysisConfig,
  AnalysisConfigSchema,
  defaultAnalysisConfig,
  SYLLABLES_PER_WORD,
} from "../core/audio/config.ts";
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { SLOT_MS, SLOT_SAMPLES } from "../core/audio/types.ts";
import { encodeMulaw, timeStretch } from "./scenario_audio.ts";

/** Where a clip comes from. */
export type ClipSet = "synthetic" | "real" | "real_tempo";
export const CLIP_SETS: readonly ClipSet[] = ["synthetic", "real", "real_tempo"];

/** The nucleus dips tried (dB): each speaker is read with the one that fits the other speakers best. */
export const DIP_GRID: readonly number[] = [2, 3, 4];

/** The tempo factors the real recordings are also played at (> 1 is slower). */
export const REAL_TEMPOS: readonly number[] = [0.65, 0.8, 1.25, 1.5];

/** The rate bands the report splits the errors by, WPM (lower bound inclusive). */
export const RATE_BANDS: readonly { name: string; from: number; to: number }[] = [
  { name: "< 120", from: 0, to: 120 },
  { name: "120-160", from: 120, to: 160 },
  { name: "160-220", from: 160, to: 220 },
  { name: "> 220", from: 220, to: Infinity },
];

/** A straight line from the true rate to the raw reading: raw = slope · true + interceptWpm. */
export interface Calibration {
  slope: number;
  interceptWpm: number;
}

/** One clip's measurement. `errorPct` is signed: (reading - true) / true · 100, null without a reading. */
export interface ClipReading {
  name: string;
  speaker: string;
  set: ClipSet;
  /** Sentences of a call, or text read aloud (longer words). */
  text: "call" | "read";
  trueWpm: number;
  /** Syllables per word of the clip's text (espeak-ng's syllables over the words of the transcript). */
  syllablesPerWord: number;
  /**
   * What a perfect syllable counter would read, signed % against the truth: the text's syllables per word
   * over {@linkcode SYLLABLES_PER_WORD}, minus one. No acoustic measure can do better than this on average.
   */
  textErrorPct: number;
  /** Reading with no calibration (the syllable-nucleus rate in WPM). */
  rawWpm: number | null;
  /** Reading calibrated with a line fitted WITHOUT this clip's speaker. */
  wpm: number | null;
  /** The nucleus dip this clip was read with (chosen without its speaker), dB. */
  dipDb: number;
  /**
   * The calibrated reading against the transcript's syllable rate (espeak-ng's phonemes) in the same unit,
   * signed %: what the analyzer heard against what was said, before syllables become words.
   */
  syllableErrorPct: number | null;
  errorPct: number | null;
  /** Share of slots where the voice activity matches the labelled speech (clips as stored only). */
  vadAgreement: number | null;
  /** Active speech level measured minus labelled, dB (clips as stored only). */
  levelErrorDb: number | null;
}

/** Figures of a set of clips. */
export interface PaceFigures {
  count: number;
  /** Median |error| %, and the share of clips within ±20 %. */
  medianErrorPct: number;
  within20Share: number;
  /** Pearson r of reading against truth, and the fitted slope of reading against truth. */
  pearsonR: number;
  slope: number;
  /** Clips without any reading. */
  noReading: number;
  /** Median |error| % of the syllable rate (what the analyzer hears, before words come in). */
  medianSyllableErrorPct: number;
  /** The same figures for a perfect syllable counter (`textErrorPct`): the bound the texts set. */
  textBound: { medianErrorPct: number; within20Share: number; pearsonR: number };
}

/** Everything `measureClipAccuracy` finds. */
export interface ClipAccuracySummary {
  clips: ClipReading[];
  /** The dip and the line chosen on every speaker: what the analysis defaults should hold. */
  fit: Calibration & { dipDb: number };
  /** What the analyzer runs with now (its defaults). */
  configured: Calibration & { dipDb: number };
  /** Leave-one-speaker-out figures per set, and per set and rate band. */
  sets: Record<ClipSet, PaceFigures>;
  bands: Record<ClipSet, (PaceFigures & { band: string })[]>;
  /** Leave-one-speaker-out figures per set and kind of text (call sentences, or read aloud). */
  texts: Record<ClipSet, (PaceFigures & { band: string })[]>;
  /** The slope of the readings against the truth on the dev set (the clips the line is fitted on), full fit. */
  devSlope: number;
  /**
   * Syllables heard per syllable said (raw nuclei rate over the true syllable rate, median over the real
   * recordings) at each tempo, the tempo changed by WSOLA and by resampling.
   */
  tempoSyllables: { tempo: number; wsola: number; resampled: number }[];
  /** Voice activity agreement over the stored clips. */
  vadAgreement: number;
  /** Per set of stored clips: voice activity agreement, and the median |level error| in dB. */
  voice: Record<"synthetic" | "real", { vadAgreement: number; medianLevelErrorDb: number }>;
}

interface Label {
  name: string;
  file: string;
  kind: string;
  voice?: string;
  speaker?: string;
  textKind: "call" | "read";
  trueWpm: number;
  syllables: number;
  words: number;
  activeLevelDb: number;
  speechSegmentsMs: [number, number][];
}

interface Clip {
  name: string;
  speaker: string;
  set: ClipSet;
  text: "call" | "read";
  trueWpm: number;
  /** Transcript syllables per word. */
  syllablesPerWord: number;
  /** The true syllable rate in the calibration's unit: WPM of a text with `SYLLABLES_PER_WORD`. */
  trueSyllableWpm: number;
  audio: Uint8Array;
  segments: [number, number][] | null;
  /** The labelled active level, dBov (null for a tempo-changed clip). */
  levelDb: number | null;
}

const SYNTHETIC_DIR = new URL("../tests/fixtures/speech/", import.meta.url);
const REAL_DIR = new URL("../tests/fixtures/real/", import.meta.url);

/** The analyzer with its calibration taken out, reading over the whole clip, with a nucleus dip. */
function rawConfig(dipDb: number): AnalysisConfig {
  return Object.freeze(AnalysisConfigSchema.parse({
    ...defaultAnalysisConfig,
    syllableDipDb: dipDb,
    wpmWindowS: 120,
    rateCalibrationSlope: 1,
    rateCalibrationInterceptWpm: 0,
  }));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Least squares line of `y` on `x`, and Pearson's r. */
export function regression(x: number[], y: number[]): { slope: number; intercept: number; r: number } {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r: sxy / Math.sqrt(sxx * syy) };
}

/**
 * Fits raw = slope · true + intercept over clips that have a raw reading, where "true" is the clip's true
 * SYLLABLE rate (as WPM at `SYLLABLES_PER_WORD`): the calibration is acoustic, the same for any text.
 */
export function fitCalibration(points: { trueSyllableWpm: number; rawWpm: number | null }[]): Calibration {
  const usable = points.filter((p) => p.rawWpm !== null);
  const line = regression(usable.map((p) => p.trueSyllableWpm), usable.map((p) => p.rawWpm!));
  return { slope: line.slope, interceptWpm: line.intercept };
}

/** The calibrated reading of a raw one, as the analyzer computes it (never below 0). */
export function calibrate(rawWpm: number, calibration: Calibration): number {
  return Math.max(0, (rawWpm - calibration.interceptWpm) / calibration.slope);
}

async function readLabels(dir: URL): Promise<Label[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(new URL("labels.json", dir));
  } catch (cause) {
    throw new Error(`cannot read ${dir.pathname}labels.json; run \`deno task fixtures\``, { cause });
  }
  const labels = JSON.parse(text) as { turnPauseMs?: number; clips: Label[] };
  // The truth must be the rate the analyzer measures: the same split between pauses and turn gaps.
  if (labels.turnPauseMs !== defaultAnalysisConfig.turnPauseMs) {
    throw new Error(
      `${dir.pathname}labels.json counts pauses under ${labels.turnPauseMs} ms as turn time, the analyzer ` +
        `under ${defaultAnalysisConfig.turnPauseMs} ms; run \`deno task fixtures\``,
    );
  }
  return labels.clips;
}

function truth(trueWpm: number, syllablesPerWord: number) {
  return { trueWpm, syllablesPerWord, trueSyllableWpm: (trueWpm * syllablesPerWord) / SYLLABLES_PER_WORD };
}

/** Every clip: the synthetic rate clips, the real recordings, and the real ones at other tempos. */
async function loadClips(): Promise<Clip[]> {
  const clips: Clip[] = [];
  for (const label of await readLabels(SYNTHETIC_DIR)) {
    if (label.kind !== "rate") continue;
    clips.push({
      name: label.name,
      speaker: `espeak ${label.voice}`,
      set: "synthetic",
      text: label.textKind,
      ...truth(label.trueWpm, label.syllables / label.words),
      audio: await Deno.readFile(new URL(label.file, SYNTHETIC_DIR)),
      segments: label.speechSegmentsMs,
      levelDb: label.activeLevelDb,
    });
  }
  for (const label of await readLabels(REAL_DIR)) {
    const audio = await Deno.readFile(new URL(label.file, REAL_DIR));
    const base = {
      speaker: label.speaker!,
      text: label.textKind,
      ...truth(label.trueWpm, label.syllables / label.words),
    };
    const stored = { audio, segments: label.speechSegmentsMs, levelDb: label.activeLevelDb };
    clips.push({ ...base, ...stored, name: label.name, set: "real" });
    const pcm = Float32Array.from(alawmulaw.mulaw.decode(audio));
    for (const tempo of REAL_TEMPOS) {
      const stretched = timeStretch(pcm, tempo);
      clips.push({
        ...base,
        name: `${label.name} x${tempo}`,
        set: "real_tempo",
        ...truth(label.trueWpm / tempo, base.syllablesPerWord),
        audio: encodeMulaw(stretched),
        segments: null,
        levelDb: null,
      });
    }
  }
  return clips;
}

/**
 * Plays speech `factor` times as long (> 1 is slower) by resampling it, as a tape played at another speed:
 * every syllable is an exact copy of the original, only faster or slower, and the pitch and formants move
 * with it. Windowed-sinc interpolation (Hann window, 8 zero crossings a side, the kernel tabulated at 1/64
 * sample), low-passed below the new Nyquist frequency when speeding up.
 */
export function resample(input: Float32Array, factor: number): Float32Array {
  const PHASES = 64;
  const cutoff = Math.min(1, factor); // of the input's Nyquist frequency
  const half = Math.ceil(8 / cutoff);
  const taps = 2 * half;
  // kernel[p * taps + j]: the weight of input sample (centre - half + 1 + j) at fractional offset p / PHASES.
  const kernel = new Float32Array((PHASES + 1) * taps);
  for (let p = 0; p <= PHASES; p++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const d = p / PHASES + half - 1 - j;
      const x = d * cutoff;
      const w = (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x)) *
        (0.5 + 0.5 * Math.cos((Math.PI * d) / half));
      kernel[p * taps + j] = w;
      sum += w;
    }
    for (let j = 0; j < taps; j++) kernel[p * taps + j] /= sum;
  }
  const out = new Float32Array(Math.floor(input.length * factor));
  for (let n = 0; n < out.length; n++) {
    const at = n / factor;
    const centre = Math.floor(at);
    const row = Math.round((at - centre) * PHASES) * taps;
    const first = centre - half + 1;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const k = first + j;
      if (k >= 0 && k < input.length) sum += input[k] * kernel[row + j];
    }
    out[n] = sum;
  }
  return out;
}

/** Plays a clip through a fresh analyzer: the last reading, and the slots whose voice activity matches. */
function playClip(
  clip: Clip,
  config: AnalysisConfig,
): { wpm: number | null; levelDb: number | null; agree: number; frames: number } {
  const analyzer = new TrackAnalyzer(config);
  const frames = Math.ceil(clip.audio.length / SLOT_SAMPLES);
  let agree = 0;
  let segment = 0;
  let wpm: number | null = null, levelDb: number | null = null;
  const segments = clip.segments ?? [];
  for (let f = 0; f < frames; f++) {
    const result = analyzer.processFrame(clip.audio.subarray(f * SLOT_SAMPLES, (f + 1) * SLOT_SAMPLES));
    const startMs = f * SLOT_MS;
    while (segment < segments.length && segments[segment][1] <= startMs) segment++;
    const truth = segment < segments.length && segments[segment][0] <= startMs;
    if (truth === result.speaking) agree++;
    wpm = result.wpm;
    levelDb = result.activeLevelDb;
  }
  return { wpm, levelDb, agree, frames };
}

/** Figures of some clips' readings. */
export function paceFigures(clips: ClipReading[]): PaceFigures {
  // A clip without a reading counts as infinitely wrong for the median and as outside ±20 %.
  const absErrors = clips.map((c) => (c.errorPct === null ? Infinity : Math.abs(c.errorPct)));
  const read = clips.filter((c) => c.wpm !== null);
  const line = read.length >= 3
    ? regression(read.map((c) => c.trueWpm), read.map((c) => c.wpm!))
    : { slope: NaN, r: NaN };
  const textErrors = clips.map((c) => Math.abs(c.textErrorPct));
  const textBound = {
    medianErrorPct: clips.length ? median(textErrors) : NaN,
    within20Share: clips.length ? textErrors.filter((e) => e <= 20).length / clips.length : NaN,
    pearsonR: clips.length >= 3
      ? regression(clips.map((c) => c.trueWpm), clips.map((c) => c.trueWpm * (1 + c.textErrorPct / 100))).r
      : NaN,
  };
  return {
    count: clips.length,
    medianErrorPct: clips.length ? median(absErrors) : NaN,
    within20Share: clips.length ? absErrors.filter((e) => e <= 20).length / clips.length : NaN,
    pearsonR: line.r,
    slope: line.slope,
    noReading: clips.length - read.length,
    medianSyllableErrorPct: read.length ? median(read.map((c) => Math.abs(c.syllableErrorPct!))) : NaN,
    textBound,
  };
}

/** Voice activity agreement (mean over clips) and median |level error| of stored clips. */
function voiceFigures(clips: ClipReading[]): { vadAgreement: number; medianLevelErrorDb: number } {
  const vad = clips.flatMap((c) => c.vadAgreement === null ? [] : [c.vadAgreement]);
  const level = clips.flatMap((c) => c.levelErrorDb === null ? [] : [Math.abs(c.levelErrorDb)]);
  return { vadAgreement: vad.reduce((a, b) => a + b, 0) / vad.length, medianLevelErrorDb: median(level) };
}

/** Fit-eligible clips (as recorded or synthesized) read at one dip: the line, and how well it reads them. */
function tune(points: { set: ClipSet; trueSyllableWpm: number; rawWpm: number | null }[]) {
  const fitted = points.filter((p) => p.set !== "real_tempo");
  const calibration = fitCalibration(fitted);
  const errors = fitted.map((p) =>
    p.rawWpm === null ? Infinity : Math.abs(calibrate(p.rawWpm, calibration) / p.trueSyllableWpm - 1)
  );
  return { calibration, score: median(errors) };
}

/**
 * Syllables heard per syllable said on the real recordings at each tempo (median), with the tempo changed by
 * WSOLA (the `real_tempo` clips, read in `raw`) and by resampling the same recordings.
 */
function tempoSyllableShares(
  clips: Clip[],
  raw: (number | null)[],
  config: AnalysisConfig,
): ClipAccuracySummary["tempoSyllables"] {
  const heard = (wpm: number | null, clip: Clip, tempo: number) =>
    wpm === null ? 0 : wpm / (clip.trueSyllableWpm / tempo);
  const recordings = clips.flatMap((clip, i) => clip.set === "real" ? [{ clip, i }] : []);
  return [1, ...REAL_TEMPOS].sort((a, b) => a - b).map((tempo) => {
    if (tempo === 1) {
      const share = median(recordings.map(({ clip, i }) => heard(raw[i], clip, 1)));
      return { tempo, wsola: share, resampled: share };
    }
    const wsola = recordings.map(({ clip }) => {
      const i = clips.findIndex((c) => c.name === `${clip.name} x${tempo}`);
      return heard(raw[i], clip, tempo);
    });
    const resampled = recordings.map(({ clip }) => {
      const pcm = Float32Array.from(alawmulaw.mulaw.decode(clip.audio));
      const audio = encodeMulaw(resample(pcm, tempo));
      return heard(playClip({ ...clip, audio, segments: null }, config).wpm, clip, tempo);
    });
    return { tempo, wsola: median(wsola), resampled: median(resampled) };
  });
}

/** Measures every clip, chooses dip and line leave-one-speaker-out, and sums up. */
export async function measureClipAccuracy(): Promise<ClipAccuracySummary> {
  const clips = await loadClips();
  // Raw readings of every clip at every dip.
  const raw = DIP_GRID.map((dipDb) => {
    const config = rawConfig(dipDb);
    return clips.map((clip) => playClip(clip, config).wpm);
  });
  const points = (dip: number, keep: (clip: Clip) => boolean) =>
    clips.flatMap((clip, i) =>
      keep(clip) ? [{ set: clip.set, trueSyllableWpm: clip.trueSyllableWpm, rawWpm: raw[dip][i] }] : []
    );
  /** The dip (index) and line that read the chosen clips best. */
  const choose = (keep: (clip: Clip) => boolean) => {
    const tuned = DIP_GRID.map((_, dip) => tune(points(dip, keep)));
    const dip = tuned.reduce((best, t, i) => (t.score < tuned[best].score ? i : best), 0);
    return { dip, calibration: tuned[dip].calibration };
  };

  let agree = 0, frames = 0;
  const readings: ClipReading[] = clips.map((clip) => {
    let vadAgreement: number | null = null, levelErrorDb: number | null = null;
    if (clip.segments !== null) {
      // Voice activity and level as the product runs (calibration and window do not change them).
      const run = playClip(clip, defaultAnalysisConfig);
      agree += run.agree;
      frames += run.frames;
      vadAgreement = run.agree / run.frames;
      if (run.levelDb !== null && clip.levelDb !== null) levelErrorDb = run.levelDb - clip.levelDb;
    }
    const { name, speaker, set, text, trueWpm } = clip;
    return {
      name,
      speaker,
      set,
      text,
      trueWpm,
      syllablesPerWord: clip.syllablesPerWord,
      textErrorPct: (clip.syllablesPerWord / SYLLABLES_PER_WORD - 1) * 100,
      rawWpm: null,
      wpm: null,
      errorPct: null,
      dipDb: NaN,
      syllableErrorPct: null,
      vadAgreement,
      levelErrorDb,
    };
  });
  for (const speaker of new Set(clips.map((c) => c.speaker))) {
    const { dip, calibration } = choose((clip) => clip.speaker !== speaker);
    clips.forEach((clip, i) => {
      if (clip.speaker !== speaker) return;
      const reading = readings[i];
      reading.dipDb = DIP_GRID[dip];
      reading.rawWpm = raw[dip][i];
      if (reading.rawWpm === null) return;
      reading.wpm = calibrate(reading.rawWpm, calibration);
      reading.errorPct = ((reading.wpm - reading.trueWpm) / reading.trueWpm) * 100;
      // What the analyzer heard against what was said, before syllables become words.
      reading.syllableErrorPct = (reading.wpm / clip.trueSyllableWpm - 1) * 100;
    });
  }
  const all = choose(() => true);
  const fit = { ...all.calibration, dipDb: DIP_GRID[all.dip] };
  const dev = clips.flatMap((clip, i) =>
    raw[all.dip][i] === null || clip.set === "real_tempo" ? [] : [{ clip, raw: raw[all.dip][i]! }]
  );
  const devSlope = regression(
    dev.map((d) => d.clip.trueWpm),
    dev.map((d) => calibrate(d.raw, all.calibration)),
  ).slope;
  const tempoSyllables = tempoSyllableShares(clips, raw[all.dip], rawConfig(DIP_GRID[all.dip]));
  const sets = {} as ClipAccuracySummary["sets"];
  const bands = {} as ClipAccuracySummary["bands"];
  const texts = {} as ClipAccuracySummary["texts"];
  for (const set of CLIP_SETS) {
    const inSet = readings.filter((r) => r.set === set);
    texts[set] = (["call", "read"] as const).map((text) => ({
      band: `${text} text`,
      ...paceFigures(inSet.filter((r) => r.text === text)),
    }));
    sets[set] = paceFigures(inSet);
    bands[set] = RATE_BANDS.map((band) => ({
      band: band.name,
      ...paceFigures(inSet.filter((r) => r.trueWpm >= band.from && r.trueWpm < band.to)),
    }));
  }
  return {
    clips: readings,
    fit,
    configured: {
      slope: defaultAnalysisConfig.rateCalibrationSlope,
      interceptWpm: defaultAnalysisConfig.rateCalibrationInterceptWpm,
      dipDb: defaultAnalysisConfig.syllableDipDb,
    },
    sets,
    bands,
    texts,
    devSlope,
    tempoSyllables,
    vadAgreement: agree / frames,
    voice: {
      synthetic: voiceFigures(readings.filter((r) => r.set === "synthetic")),
      real: voiceFigures(readings.filter((r) => r.set === "real")),
    },
  };
}

const pct = (value: number) => Number.isNaN(value) ? "-" : `${(value * 100).toFixed(0)} %`;
const fixed = (value: number | null, digits = 1) =>
  value === null || Number.isNaN(value) ? "-" : value.toFixed(digits);

/** Fixed-width text report: the clips, then the figures per set and per rate band. */
export function formatClipReport(summary: ClipAccuracySummary, detail = true): string {
  const lines: string[] = [];
  if (detail) {
    lines.push(
      `${"clip".padEnd(48)} ${
        "speaker".padEnd(22)
      } true WPM  syl/w  text %   raw  reading  error %  syll. %  ` +
        "dip   VAD %",
    );
    for (const c of summary.clips) {
      lines.push(
        `${c.name.padEnd(48)} ${c.speaker.slice(0, 22).padEnd(22)} ${c.trueWpm.toFixed(1).padStart(8)} ` +
          `${c.syllablesPerWord.toFixed(2).padStart(6)} ${c.textErrorPct.toFixed(1).padStart(7)} ` +
          `${fixed(c.rawWpm, 0).padStart(5)} ${fixed(c.wpm).padStart(8)} ${fixed(c.errorPct).padStart(8)} ` +
          `${fixed(c.syllableErrorPct).padStart(8)} ${String(c.dipDb).padStart(4)} ` +
          `${c.vadAgreement === null ? "      -" : (c.vadAgreement * 100).toFixed(1).padStart(7)}`,
      );
    }
    lines.push(
      `syl/w: the text's syllables per word; text %: what a perfect syllable counter would read at ` +
        `${SYLLABLES_PER_WORD} syllables per word; syll. %: the reading against the true syllable rate`,
    );
    lines.push("");
  }
  const { fit, configured } = summary;
  lines.push(
    `chosen on every speaker: dip ${fit.dipDb} dB, raw = ${fit.slope.toFixed(3)} x true + ` +
      `${fit.interceptWpm.toFixed(1)} WPM (configured: dip ${configured.dipDb} dB, ${configured.slope} x ` +
      `true + ${configured.interceptWpm}); slope of the readings against the truth on the dev set (the ` +
      `clips the line is fitted on): ${summary.devSlope.toFixed(3)}`,
  );
  lines.push("leave-one-speaker-out (each speaker read with the dip and line chosen without them):");
  lines.push(
    `${"set".padEnd(12)} ${
      "clips".padEnd(10)
    } count  median |err|  within 20 %  Pearson r  slope  syllable |err|  text bound: median, within 20 %, r`,
  );
  for (const set of CLIP_SETS) {
    const rows = [{ band: "all", ...summary.sets[set] }, ...summary.bands[set], ...summary.texts[set]];
    for (const row of rows) {
      if (row.count === 0) continue;
      lines.push(
        `${set.padEnd(12)} ${row.band.padEnd(10)} ${String(row.count).padStart(5)} ` +
          `${(fixed(row.medianErrorPct) + " %").padStart(13)} ${pct(row.within20Share).padStart(12)} ` +
          `${fixed(row.pearsonR, 3).padStart(10)} ${fixed(row.slope, 2).padStart(6)} ` +
          `${(fixed(row.medianSyllableErrorPct) + " %").padStart(15)}  ` +
          `${fixed(row.textBound.medianErrorPct)} %, ${pct(row.textBound.within20Share)}, ` +
          `${fixed(row.textBound.pearsonR, 2)}` +
          (row.noReading ? `  (${row.noReading} without a reading)` : ""),
      );
    }
  }
  lines.push(
    "text bound: the figures of a perfect syllable counter (each text's syllables per word against " +
      `${SYLLABLES_PER_WORD}); no acoustic measure of syllables does better on average`,
  );
  lines.push(
    "syllables heard per syllable said, real recordings (median), tempo changed by WSOLA / by resampling: " +
      summary.tempoSyllables.map((t) => `x${t.tempo} ${t.wsola.toFixed(2)} / ${t.resampled.toFixed(2)}`)
        .join(", "),
  );
  lines.push(`VAD slot agreement on the stored clips: ${(summary.vadAgreement * 100).toFixed(1)} %`);
  for (const set of ["synthetic", "real"] as const) {
    const v = summary.voice[set];
    lines.push(
      `${set}: voice activity agrees on ${
        (v.vadAgreement * 100).toFixed(1)
      } % of slots, active level within ` +
        `${v.medianLevelErrorDb.toFixed(2)} dB (median)`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) console.log(formatClipReport(await measureClipAccuracy()));
