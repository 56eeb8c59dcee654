import assert from "node:assert/strict";
import { defaultAnalysisConfig } from "../../core/audio/config.ts";
import { formatClipReport, measureClipAccuracy } from "../../tools/accuracy_clips.ts";

const fixtures = new URL("../fixtures/speech/", import.meta.url);

interface Label {
  name: string;
  file: string;
  kind: string;
  voice: string;
  espeakRate: number;
  words: number;
  durationS: number;
  speakingS: number;
  turnS: number;
  trueWpm: number;
  articulationWpm: number;
  speechSegmentsMs: [number, number][];
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

Deno.test("Speech fixtures - labels match the audio files and cover voices, rates, levels and hiss", async () => {
  const doc = JSON.parse(await Deno.readTextFile(new URL("labels.json", fixtures)));
  assert.equal(doc.turnPauseMs, defaultAnalysisConfig.turnPauseMs, "labels made with another turnPauseMs");
  const clips: Label[] = doc.clips;
  const rateClips = clips.filter((c) => c.kind === "rate");
  assert.ok(rateClips.length >= 20, `${rateClips.length} rate clips`);
  assert.ok(new Set(rateClips.map((c) => c.voice)).size >= 4);
  const rates = rateClips.map((c) => c.espeakRate);
  assert.ok(Math.min(...rates) <= 100 && Math.max(...rates) >= 260);
  for (const kind of ["backchannel", "agent", "customer"]) {
    assert.ok(clips.some((c) => c.kind === kind), kind);
  }
  for (const clip of clips) {
    const size = (await Deno.stat(new URL(clip.file, fixtures))).size;
    assert.equal(size, Math.round(clip.durationS * 8000), clip.name);
    const speech = clip.speechSegmentsMs.reduce((s, [a, b]) => s + b - a, 0) / 1000;
    assert.ok(Math.abs(speech - clip.speakingS) < 1e-9, clip.name);
    // The true rate is words per turn time (pauses inside the turn included), not per speech time.
    const turnS = turnSeconds(clip.speechSegmentsMs, doc.turnPauseMs);
    assert.ok(Math.abs(turnS - clip.turnS) < 1e-9, clip.name);
    assert.ok(clip.turnS >= clip.speakingS, clip.name);
    assert.ok(Math.abs(clip.trueWpm - (clip.words / clip.turnS) * 60) < 0.1, clip.name);
    assert.ok(Math.abs(clip.articulationWpm - (clip.words / clip.speakingS) * 60) < 0.1, clip.name);
    for (const [a, b] of clip.speechSegmentsMs) {
      assert.ok(a < b && b <= clip.durationS * 1000 + 20, clip.name);
    }
  }
});

Deno.test("Accuracy - speaking rate and voice activity on the real-speech fixtures meet the targets", async () => {
  const summary = await measureClipAccuracy();
  const report = formatClipReport(summary);
  assert.ok(summary.medianWpmErrorPct <= 10, `median |WPM error| over 10 %\n${report}`);
  assert.ok(summary.within20PctShare >= 0.9, `fewer than 90 % of clips within 20 %\n${report}`);
  assert.ok(summary.vadAgreement >= 0.95, `VAD slot agreement under 95 %\n${report}`);
});
