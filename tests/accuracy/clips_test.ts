/**
 * The speaking rate on speech of known rate, leave-one-speaker-out: espeak-ng voices and recordings of
 * people (tests/fixtures/speech, tests/fixtures/real). Figures are printed by `deno task accuracy`.
 */
import assert from "node:assert/strict";
import { defaultAnalysisConfig } from "../../core/audio/config.ts";
import {
  type ClipAccuracySummary,
  fitCalibration,
  formatClipReport,
  measureClipAccuracy,
  resample,
} from "../../tools/accuracy_clips.ts";
import type { ClipTruth } from "../fixtures/speech_truth.ts";

interface Label extends ClipTruth {
  kind: string;
  voice?: string;
  speaker?: string;
  textKind: string;
}

const SYNTHETIC = new URL("../fixtures/speech/", import.meta.url);
const REAL = new URL("../fixtures/real/", import.meta.url);

/** Measured once for all tests of this file (a few seconds of work). */
let measured: Promise<ClipAccuracySummary> | undefined;
function summary(): Promise<ClipAccuracySummary> {
  return measured ??= measureClipAccuracy();
}

/** Turn time recomputed from the speech segments: the pauses between them shorter than `turnPauseMs` count. */
function turnSeconds(segments: [number, number][], turnPauseMs: number): number {
  let ms = 0;
  for (let i = 0; i < segments.length; i++) {
    ms += segments[i][1] - segments[i][0];
    const pause = i > 0 ? segments[i][0] - segments[i - 1][1] : Infinity;
    if (pause < turnPauseMs) ms += pause;
  }
  return ms / 1000;
}

async function checkLabels(
  dir: URL,
): Promise<{ doc: { turnPauseMs: number; credits?: string[] }; clips: Label[] }> {
  const doc = JSON.parse(await Deno.readTextFile(new URL("labels.json", dir)));
  assert.equal(doc.turnPauseMs, defaultAnalysisConfig.turnPauseMs, "labels made with another turnPauseMs");
  const clips: Label[] = doc.clips;
  for (const clip of clips) {
    const size = (await Deno.stat(new URL(clip.file, dir))).size;
    assert.equal(size, Math.round(clip.durationS * 8000), clip.name);
    const speech = clip.speechSegmentsMs.reduce((s, [a, b]) => s + b - a, 0) / 1000;
    assert.ok(Math.abs(speech - clip.speakingS) < 1e-9, clip.name);
    // The true rate is words per turn time (pauses inside the turn included), not per speech time.
    const turnS = turnSeconds(clip.speechSegmentsMs, doc.turnPauseMs);
    assert.ok(Math.abs(turnS - clip.turnS) < 1e-9, clip.name);
    assert.ok(clip.turnS >= clip.speakingS, clip.name);
    assert.ok(Math.abs(clip.trueWpm - (clip.words / clip.turnS) * 60) < 0.1, clip.name);
    assert.ok(Math.abs(clip.articulationWpm - (clip.words / clip.speakingS) * 60) < 0.1, clip.name);
    assert.ok(clip.syllables >= clip.words, `${clip.name}: ${clip.syllables} syllables`);
    assert.ok(["call", "read"].includes(clip.textKind), clip.name);
    for (const [a, b] of clip.speechSegmentsMs) {
      assert.ok(a < b && b <= clip.durationS * 1000 + 20, clip.name);
    }
  }
  return { doc, clips };
}

Deno.test("Speech fixtures - labels match the audio files and cover voices, rates, levels and hiss", async () => {
  const { clips } = await checkLabels(SYNTHETIC);
  const rateClips = clips.filter((c) => c.kind === "rate");
  assert.ok(rateClips.length >= 60, `${rateClips.length} rate clips`);
  assert.ok(new Set(rateClips.map((c) => c.voice)).size >= 20, "at least 20 voices and variants");
  const rates = rateClips.map((c) => c.trueWpm);
  assert.ok(
    Math.min(...rates) <= 90 && Math.max(...rates) >= 310,
    `true rates ${Math.min(...rates)}-${Math.max(...rates)}`,
  );
  assert.ok(rateClips.filter((c) => c.textKind === "read").length >= 15, "text read aloud too");
  for (const kind of ["backchannel", "agent", "customer"]) {
    assert.ok(clips.some((c) => c.kind === kind), kind);
  }
  assert.ok(
    clips.filter((c) => c.name.startsWith("backchannel_agent_")).length >= 3,
    "backchannels both ways",
  );
});

Deno.test("Real fixtures - three speakers with their transcripts, credited, 3-second clips among them", async () => {
  const { doc, clips } = await checkLabels(REAL);
  const speakers = new Set(clips.map((c) => c.speaker));
  assert.deepEqual([...speakers].sort(), ["asterisk_allison", "librivox_sns", "ljspeech"]);
  assert.ok(clips.length >= 20, `${clips.length} clips`);
  assert.ok(clips.some((c) => c.durationS <= 3.1), "a clip of about 3 s");
  for (const source of ["LJSpeech", "LibriVox", "Allison Smith"]) {
    assert.ok(doc.credits?.some((line) => line.includes(source)), `credit for ${source}`);
  }
});

Deno.test("Pace - the calibration the analyzer runs with is the one fitted on every speaker", async () => {
  const { fit, configured } = await summary();
  assert.equal(configured.dipDb, fit.dipDb);
  assert.ok(
    Math.abs(configured.slope - fit.slope) < 0.02,
    `configured ${configured.slope}, fitted ${fit.slope}`,
  );
  assert.ok(
    Math.abs(configured.interceptWpm - fit.interceptWpm) < 3,
    `configured ${configured.interceptWpm}, fitted ${fit.interceptWpm}`,
  );
});

Deno.test("Pace - on the dev set the calibrated readings follow the truth with a slope of 0.9-1.1", async () => {
  const s = await summary();
  assert.ok(s.devSlope >= 0.9 && s.devSlope <= 1.1, `slope ${s.devSlope}\n${formatClipReport(s, false)}`);
});

Deno.test("Pace - unseen synthetic voices: median <= 10 %, 90 % within 20 % on call sentences, no compression", async () => {
  const s = await summary();
  const report = formatClipReport(s, false);
  const all = s.sets.synthetic;
  const call = s.texts.synthetic.find((row) => row.band === "call text")!;
  assert.ok(all.medianErrorPct <= 10, `median ${all.medianErrorPct}\n${report}`);
  assert.ok(call.medianErrorPct <= 10 && call.within20Share >= 0.9, `call sentences\n${report}`);
  // Read-aloud text has longer words than the conversational words per syllable the rate assumes: the
  // README states the 90 % target is missed there (85-90 % overall); this guards against getting worse.
  assert.ok(all.within20Share >= 0.85, `within 20 %: ${all.within20Share}\n${report}`);
  // The whole range follows the truth: a slope near 1 leave-one-speaker-out, both ends within 15 %.
  assert.ok(
    all.slope >= 0.9 && all.slope <= 1.1 && all.pearsonR >= 0.95,
    `slope ${all.slope}, r ${all.pearsonR}`,
  );
  for (const band of s.bands.synthetic) {
    assert.ok(band.medianErrorPct <= 15, `band ${band.band}: median ${band.medianErrorPct}\n${report}`);
  }
});

Deno.test("Pace - unseen real voices: syllables heard within 10 %, words as far as the text allows", async () => {
  const s = await summary();
  const report = formatClipReport(s, false);
  const { real, real_tempo: tempo } = s.sets;
  // What the analyzer hears (syllables) meets the targets on every real set...
  assert.ok(real.medianSyllableErrorPct <= 10, `real syllables ${real.medianSyllableErrorPct}\n${report}`);
  assert.ok(tempo.medianSyllableErrorPct <= 10, `tempo syllables ${tempo.medianSyllableErrorPct}\n${report}`);
  // ...words per minute add the texts' syllables per word (1.1-1.8 in these read texts): the README states
  // the WPM targets missed on real voices; these bounds guard the measured level.
  assert.ok(real.medianErrorPct <= 16 && real.within20Share >= 0.6, `real WPM\n${report}`);
  assert.ok(tempo.medianErrorPct <= 14 && tempo.within20Share >= 0.65, `real at other tempos\n${report}`);
  assert.ok(tempo.pearsonR >= 0.85, `r ${tempo.pearsonR}\n${report}`);
});

Deno.test("Pace - a reading appears on every clip, a 3-second one too", async () => {
  const s = await summary();
  assert.equal(s.sets.synthetic.noReading + s.sets.real.noReading, 0, formatClipReport(s));
  for (const name of ["pocketsphinx_sns_0880", "pocketsphinx_sns_0930"]) {
    const clip = s.clips.find((c) => c.name === name);
    assert.ok(clip?.wpm !== null && clip?.wpm !== undefined, `${name} has no reading`);
  }
});

Deno.test("Pace - voice activity agrees with the labelled speech on >= 95 % of slots", async () => {
  const s = await summary();
  assert.ok(s.vadAgreement >= 0.95, `VAD slot agreement ${s.vadAgreement}`);
});

Deno.test("Pace - the calibration line is a least-squares fit of raw readings on the true syllable rate", () => {
  const points = [80, 120, 200, 300].map((t) => ({ trueSyllableWpm: t, rawWpm: 0.8 * t + 30 }));
  const fit = fitCalibration([...points, { trueSyllableWpm: 150, rawWpm: null }]);
  assert.ok(Math.abs(fit.slope - 0.8) < 1e-9 && Math.abs(fit.interceptWpm - 30) < 1e-9);
});

Deno.test("Pace - the real recordings' texts bound what syllables can tell: a perfect counter misses the targets as recorded", async () => {
  const s = await summary();
  const { real, real_tempo: tempo } = s.sets;
  // Their texts have 1.1-1.8 syllables per word (read aloud), and their rates span 120-210 WPM: read at the
  // conversational 1.3, exact syllable counts would be 12.6 % off (median), 71 % within 20 %, r 0.53. The
  // README states the real-voice targets as bounded by this; at other tempos the bound on r is 0.94.
  assert.ok(
    real.textBound.medianErrorPct > 10 && real.textBound.within20Share < 0.8,
    formatClipReport(s, false),
  );
  assert.ok(real.textBound.pearsonR < 0.7 && tempo.textBound.pearsonR >= 0.9, formatClipReport(s, false));
  // And the analyzer is near that bound: within a few points of a perfect counter on the recordings.
  assert.ok(real.medianErrorPct - real.textBound.medianErrorPct < 4, formatClipReport(s, false));
  const clip = s.clips.find((c) => c.name === "asterisk_03")!;
  assert.ok(Math.abs(clip.syllablesPerWord - 46 / 25) < 1e-9 && Math.abs(clip.textErrorPct - 41.5) < 0.1);
});

Deno.test("Pace - fast real speech loses syllables in the detector, not in the time-stretch", async () => {
  const s = await summary();
  const rows = s.tempoSyllables.map((t) => `x${t.tempo} ${t.wsola.toFixed(2)}/${t.resampled.toFixed(2)}`);
  // Resampled speech has every syllable intact, only faster: it loses as many as WSOLA's stretch does.
  for (const t of s.tempoSyllables) {
    assert.ok(Math.abs(t.wsola - t.resampled) <= 0.05, rows.join(", "));
  }
  const fastest = s.tempoSyllables[0];
  assert.ok(fastest.tempo < 1 && fastest.resampled < 0.9, `the fastest tempo loses syllables: ${rows}`);
});

Deno.test("Pace - resampling plays a tone at another speed: twice as long, half the pitch, same level", () => {
  const tone = Float32Array.from({ length: 8000 }, (_, i) => 1000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  const crossings = (x: Float32Array) => x.slice(1).filter((v, i) => (v >= 0) !== (x[i] >= 0)).length;
  const rms = (x: Float32Array) =>
    Math.sqrt(x.slice(200, -200).reduce((a, v) => a + v * v, 0) / (x.length - 400));
  const slow = resample(tone, 2);
  assert.equal(slow.length, 16000);
  assert.ok(Math.abs(crossings(slow) - crossings(tone)) <= 2, `${crossings(slow)} vs ${crossings(tone)}`);
  assert.ok(Math.abs(rms(slow) / rms(tone) - 1) < 0.02, `${rms(slow)} vs ${rms(tone)}`);
  const fast = resample(tone, 0.5); // 800 Hz, under the new Nyquist frequency (2 kHz of the original)
  assert.equal(fast.length, 4000);
  assert.ok(Math.abs(crossings(fast) - crossings(tone)) <= 2 && Math.abs(rms(fast) / rms(tone) - 1) < 0.02);
  // A 3 kHz tone sped up twice would be 6 kHz, above what 8 kHz sampling holds: it is filtered out.
  const high = Float32Array.from(
    { length: 8000 },
    (_, i) => 1000 * Math.sin((2 * Math.PI * 3000 * i) / 8000),
  );
  assert.ok(rms(resample(high, 0.5)) < 0.05 * rms(high), `aliasing: ${rms(resample(high, 0.5))}`);
});
