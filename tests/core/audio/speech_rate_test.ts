import assert from "node:assert/strict";
import {
  AnalysisConfigSchema,
  defaultAnalysisConfig,
  SYLLABLES_PER_WORD,
} from "../../../core/audio/config.ts";
import { SpeechRateWindow } from "../../../core/audio/speech_rate.ts";

/** A short window, every spurt counted, no calibration: the ring's arithmetic alone. */
const config = AnalysisConfigSchema.parse({
  wpmWindowS: 4,
  wpmMinSpeechS: 2,
  rateMinSpurtMs: 0,
  rateCalibrationSlope: 1,
  rateCalibrationInterceptWpm: 0,
});

Deno.test("SpeechRateWindow - null until the minimum speech time, then syllables per speech second", () => {
  const rate = new SpeechRateWindow(config);
  for (let i = 0; i < 99; i++) {
    rate.addSpeechFrames(1);
    if (i % 10 === 9) rate.addSyllables(1);
  }
  assert.equal(rate.wordsPerMinute, null);
  rate.addSpeechFrames(1);
  rate.addSyllables(1);
  assert.equal(rate.speechSeconds, 2);
  // 10 syllables in 2 s of speech.
  assert.ok(Math.abs(rate.wordsPerMinute! - (5 * 60) / SYLLABLES_PER_WORD) < 1e-9);
});

Deno.test("SpeechRateWindow - old speech slides out of the window with its syllables", () => {
  const rate = new SpeechRateWindow(config);
  for (let i = 0; i < 200; i++) (rate.addSpeechFrames(1), rate.addSyllables(1));
  for (let i = 0; i < 199; i++) rate.addSpeechFrames(1);
  rate.addSpeechFrames(1);
  rate.addSyllables(0);
  assert.equal(rate.speechSeconds, 4);
  // The 200 nuclei slid out; nothing new came: the turn time since the newest one does not count, so the
  // rate rests on the minimum time and its (no) syllables.
  assert.equal(rate.wordsPerMinute, 0);
});

Deno.test("SpeechRateWindow - a nucleus confirmed before any speech slot is kept for the first one", () => {
  const rate = new SpeechRateWindow(config);
  rate.addSyllables(2);
  rate.addSpeechFrames(99);
  rate.addSyllables(0);
  rate.addSpeechFrames(1);
  rate.addSyllables(1);
  // 3 nuclei in 2 s.
  assert.ok(Math.abs(rate.wordsPerMinute! - (1.5 * 60) / SYLLABLES_PER_WORD) < 1e-9);
});

Deno.test("SpeechRateWindow - turn time after the newest nucleus waits for the next one: no sag at pauses", () => {
  const rate = new SpeechRateWindow(config);
  for (let i = 0; i < 150; i++) (rate.addSpeechFrames(1), i % 10 === 9 && rate.addSyllables(1));
  const before = rate.wordsPerMinute!;
  // A pause inside the turn is credited when the voice resumes; its syllable comes a little later.
  rate.addSpeechFrames(30);
  assert.equal(rate.wordsPerMinute, before);
  for (let i = 0; i < 9; i++) rate.addSpeechFrames(1);
  rate.addSyllables(1);
  // 16 nuclei in 189 slots.
  assert.ok(Math.abs(rate.wordsPerMinute! - (16 / 3.78) * 60 / SYLLABLES_PER_WORD) < 1e-9);
});

Deno.test("SpeechRateWindow - a spurt shorter than rateMinSpurtMs is a backchannel: dropped, however fast", () => {
  const rate = new SpeechRateWindow(AnalysisConfigSchema.parse({ ...config, rateMinSpurtMs: 1_000 }));
  // A turn: 3 s at 4 nuclei per second.
  rate.startSpurt();
  for (let i = 0; i < 150; i++) (rate.addSpeechFrames(1), i % 12 === 11 && rate.addSyllables(1));
  const turn = rate.wordsPerMinute!;
  assert.equal(rate.speechSeconds, 3);
  // Three "mm-hm"s of 400 ms with two nuclei each: held back, then dropped when the next spurt starts.
  for (let b = 0; b < 3; b++) {
    rate.startSpurt();
    for (let i = 0; i < 20; i++) (rate.addSpeechFrames(1), i % 8 === 7 && rate.addSyllables(1));
    assert.equal(rate.speechSeconds, 3);
    assert.equal(rate.wordsPerMinute, turn);
  }
  // A spurt that reaches 1 s counts whole, its first second included.
  rate.startSpurt();
  for (let i = 0; i < 50; i++) (rate.addSpeechFrames(1), i % 12 === 11 && rate.addSyllables(1));
  assert.equal(rate.speechSeconds, 4);
});

Deno.test("SpeechRateWindow - the calibration inverts raw = slope x true + intercept", () => {
  const calibrated = AnalysisConfigSchema.parse({
    ...config,
    rateCalibrationSlope: 0.8,
    rateCalibrationInterceptWpm: 30,
  });
  const raw = new SpeechRateWindow(config), rate = new SpeechRateWindow(calibrated);
  for (const window of [raw, rate]) {
    for (let i = 0; i < 200; i++) (window.addSpeechFrames(1), i % 10 === 9 && window.addSyllables(1));
  }
  assert.ok(Math.abs(rate.wordsPerMinute! - (raw.wordsPerMinute! - 30) / 0.8) < 1e-9);
  // The defaults are a calibration, not the identity, and never give a negative rate.
  assert.notEqual(defaultAnalysisConfig.rateCalibrationSlope, 1);
  const silent = new SpeechRateWindow(defaultAnalysisConfig);
  for (let i = 0; i < 200; i++) silent.addSpeechFrames(1);
  assert.equal(silent.wordsPerMinute, 0);
});
