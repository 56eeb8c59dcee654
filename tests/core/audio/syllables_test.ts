import assert from "node:assert/strict";
import { AnalysisConfigSchema, SYLLABLES_PER_WORD } from "../../../core/audio/config.ts";
import { SyllableNucleusDetector } from "../../../core/audio/syllables.ts";
import { TrackAnalyzer } from "../../../core/audio/track_analyzer.ts";
import { analyze, concat, mix, seeded, silence, syllableTrain, toMulaw, whiteNoise } from "./signals.ts";

/** Feeds an energy contour given in dB (one value per 10 ms) and counts nuclei. */
function countPeaks(contourDb: number[], zcr = 0.2): number {
  const detector = new SyllableNucleusDetector(AnalysisConfigSchema.parse({}));
  let count = 0;
  for (const db of [...contourDb, -90, -90, -90, -90]) {
    count += detector.update(10 ** (db / 10), zcr, true, 1e-9);
  }
  return count;
}

/** A contour of `peaks` plateaus `flat` dB high, each followed by a dip of `dipDb` (10 ms steps). */
function contour(peaks: number, dipDb: number): number[] {
  const out: number[] = [-90, -90];
  for (let p = 0; p < peaks; p++) out.push(...Array(8).fill(-20), ...Array(6).fill(-20 - dipDb));
  return out;
}

/** The detector's nucleus count in WPM, before the calibration (which is for natural speech). */
const uncalibrated = () =>
  new TrackAnalyzer(AnalysisConfigSchema.parse({ rateCalibrationSlope: 1, rateCalibrationInterceptWpm: 0 }));

Deno.test("Syllables - peaks separated by a 6 dB dip each count; a 2 dB ripple does not split a nucleus", () => {
  assert.equal(countPeaks(contour(5, 6)), 5);
  assert.equal(countPeaks(contour(5, 2)), 1);
});

Deno.test("Syllables - unvoiced peaks (many sign changes) are not nuclei", () => {
  assert.equal(countPeaks(contour(5, 10), 0.75), 0);
});

for (const perSecond of [2, 3, 4, 5, 6, 7]) {
  Deno.test(`Syllables - a ${perSecond}/s syllable train reads ${perSecond} syllables per second of speech`, () => {
    const audio = toMulaw(mix(syllableTrain(perSecond, -26, 10), whiteNoise(-60, 10, perSecond)));
    const results = analyze(audio, uncalibrated());
    const expected = (perSecond * 60) / SYLLABLES_PER_WORD;
    const wpm = results.at(-1)!.wpm!;
    assert.ok(Math.abs(wpm - expected) / expected < 0.05, `${wpm} vs ${expected}`);
  });
}

Deno.test("Syllables - the rate holds for a quiet caller in hiss and for a loud caller", () => {
  for (const [speechDb, hissDb] of [[-40, -55], [-12, -45]]) {
    const results = analyze(
      toMulaw(mix(syllableTrain(4, speechDb, 10), whiteNoise(hissDb, 10, 5))),
      uncalibrated(),
    );
    const expected = (4 * 60) / SYLLABLES_PER_WORD;
    const wpm = results.at(-1)!.wpm!;
    assert.ok(Math.abs(wpm - expected) / expected < 0.08, `${speechDb} dBov: ${wpm} vs ${expected}`);
  }
});

Deno.test("Syllables - fricative-like noise bursts add speaking time but no nuclei", () => {
  // Second difference of white noise: about 0.73 sign changes per sample, like /s/.
  const random = seeded(4);
  const bursts = new Float64Array(8000 * 6);
  let a = 0, b = 0;
  for (let i = 0; i < bursts.length; i++) {
    const x = (random() - 0.5) * 6000;
    const envelope = Math.sin((Math.PI * (i % 2000)) / 2000) ** 2;
    bursts[i] = (x - 2 * a + b) * envelope;
    b = a;
    a = x;
  }
  const results = analyze(toMulaw(concat(silence(0.5), bursts)));
  const last = results.at(-1)!;
  assert.ok(last.wpmWindowSpeechS > 4, `speech time ${last.wpmWindowSpeechS}`);
  assert.ok(last.wpm !== null && last.wpm < 10, `wpm ${last.wpm}`);
});
