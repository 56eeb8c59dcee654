/**
 * Accuracy of `TrackAnalyzer` on the real-speech fixtures (tests/fixtures/speech): speaking rate
 * against the labels' `trueWpm` (words / turn time: speech plus the pauses shorter than `turnPauseMs`,
 * the conversational rate), and per-slot voice activity against the labelled speech segments.
 * `tools/accuracy.ts` prints the report; `tests/accuracy/clips_test.ts` asserts it.
 *
 * The measured WPM of a clip is the analyzer's `wpm` after the clip's last slot: the window (12 s of
 * turn time by default) spans nearly the whole turn time of a clip, so it is the clip's overall rate.
 *
 * @module
 */
import { defaultAnalysisConfig } from "../core/audio/config.ts";
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { SLOT_MS, SLOT_SAMPLES } from "../core/audio/types.ts";

/** Result for one clip. `wpmErrorPct` is signed: (measured - true) / true · 100. */
export interface ClipAccuracy {
  name: string;
  voice: string;
  espeakRate: number;
  trueWpm: number;
  measuredWpm: number | null;
  wpmErrorPct: number | null;
  vadAgreement: number;
}

/** All clips plus the headline figures (median of |WPM error|, share within ±20 %, overall VAD agreement). */
export interface ClipAccuracySummary {
  clips: ClipAccuracy[];
  medianWpmErrorPct: number;
  within20PctShare: number;
  vadAgreement: number;
}

interface ClipLabel {
  name: string;
  file: string;
  kind: string;
  voice: string;
  espeakRate: number;
  trueWpm: number;
  speechSegmentsMs: [number, number][];
}

const DEFAULT_DIR = new URL("../tests/fixtures/speech/", import.meta.url);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function measureClip(
  label: ClipLabel,
  audio: Uint8Array,
): { clip: ClipAccuracy; agree: number; frames: number } {
  const analyzer = new TrackAnalyzer();
  const frames = Math.ceil(audio.length / SLOT_SAMPLES);
  let agree = 0;
  let segment = 0;
  let wpm: number | null = null;
  for (let f = 0; f < frames; f++) {
    const result = analyzer.processFrame(audio.subarray(f * SLOT_SAMPLES, (f + 1) * SLOT_SAMPLES));
    const startMs = f * SLOT_MS;
    const segments = label.speechSegmentsMs;
    while (segment < segments.length && segments[segment][1] <= startMs) segment++;
    const truth = segment < segments.length && segments[segment][0] <= startMs;
    if (truth === result.speaking) agree++;
    wpm = result.wpm;
  }
  const error = wpm === null ? null : ((wpm - label.trueWpm) / label.trueWpm) * 100;
  return {
    clip: {
      name: label.name,
      voice: label.voice,
      espeakRate: label.espeakRate,
      trueWpm: label.trueWpm,
      measuredWpm: wpm,
      wpmErrorPct: error,
      vadAgreement: agree / frames,
    },
    agree,
    frames,
  };
}

/**
 * Plays every speaking-rate clip (`kind: "rate"` in labels.json) through a fresh `TrackAnalyzer` in
 * 160-byte slots and compares with the labels.
 *
 * @param fixturesDir folder holding labels.json and the `.ulaw` clips (default: tests/fixtures/speech)
 */
export async function measureClipAccuracy(fixturesDir?: string): Promise<ClipAccuracySummary> {
  const dir = fixturesDir === undefined ? DEFAULT_DIR : new URL(`file://${Deno.realPathSync(fixturesDir)}/`);
  let text: string;
  try {
    text = await Deno.readTextFile(new URL("labels.json", dir));
  } catch (cause) {
    throw new Error(`cannot read ${dir.pathname}labels.json; run \`deno task fixtures\``, { cause });
  }
  const labels = JSON.parse(text) as { turnPauseMs?: number; clips: ClipLabel[] };
  // The truth must be the rate the analyzer measures: the same split between pauses and turn gaps.
  if (labels.turnPauseMs !== defaultAnalysisConfig.turnPauseMs) {
    throw new Error(
      `${dir.pathname}labels.json counts pauses under ${labels.turnPauseMs} ms as turn time, the analyzer ` +
        `under ${defaultAnalysisConfig.turnPauseMs} ms; run \`deno task fixtures\``,
    );
  }
  const rateClips = labels.clips.filter((c) => c.kind === "rate");
  if (rateClips.length === 0) {
    throw new Error(`no rate clips in ${dir.pathname}labels.json; run deno task fixtures`);
  }
  const clips: ClipAccuracy[] = [];
  let agree = 0;
  let frames = 0;
  for (const label of rateClips) {
    const measured = measureClip(label, await Deno.readFile(new URL(label.file, dir)));
    clips.push(measured.clip);
    agree += measured.agree;
    frames += measured.frames;
  }
  // A clip without a rate counts as infinitely wrong for the median and as outside ±20 %.
  const absErrors = clips.map((c) => (c.wpmErrorPct === null ? Infinity : Math.abs(c.wpmErrorPct)));
  return {
    clips,
    medianWpmErrorPct: median(absErrors),
    within20PctShare: absErrors.filter((e) => e <= 20).length / clips.length,
    vadAgreement: agree / frames,
  };
}

/** Fixed-width text table of the clips and the headline figures. */
export function formatClipReport(summary: ClipAccuracySummary): string {
  const lines = [
    `${"clip".padEnd(36)} ${"voice".padEnd(10)} espeak  true WPM  measured  error %   VAD %`,
  ];
  for (const c of summary.clips) {
    lines.push(
      `${c.name.padEnd(36)} ${c.voice.padEnd(10)} ${String(c.espeakRate).padStart(6)} ` +
        `${c.trueWpm.toFixed(1).padStart(9)} ${(c.measuredWpm?.toFixed(1) ?? "-").padStart(9)} ` +
        `${(c.wpmErrorPct?.toFixed(1) ?? "-").padStart(8)} ${(c.vadAgreement * 100).toFixed(1).padStart(7)}`,
    );
  }
  lines.push(
    `median |WPM error| ${summary.medianWpmErrorPct.toFixed(1)} %, ` +
      `within ±20 %: ${(summary.within20PctShare * 100).toFixed(0)} % of ${summary.clips.length} clips, ` +
      `VAD slot agreement ${(summary.vadAgreement * 100).toFixed(1)} %`,
  );
  return lines.join("\n");
}

if (import.meta.main) console.log(formatClipReport(await measureClipAccuracy(Deno.args[0])));
