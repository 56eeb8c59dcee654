import assert from "node:assert/strict";
import { AnalysisConfigSchema, SYLLABLES_PER_WORD } from "../../../core/audio/config.ts";
import { SpeechRateWindow } from "../../../core/audio/speech_rate.ts";

const config = AnalysisConfigSchema.parse({ wpmWindowS: 4, wpmMinSpeechS: 2 });

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
  for (let i = 0; i < 200; i++) rate.addSpeechFrames(1);
  assert.equal(rate.speechSeconds, 4);
  assert.equal(rate.wordsPerMinute, 0);
});

Deno.test("SpeechRateWindow - a nucleus confirmed before any speech slot is kept for the first one", () => {
  const rate = new SpeechRateWindow(config);
  rate.addSyllables(2);
  rate.addSpeechFrames(100);
  assert.ok(Math.abs(rate.wordsPerMinute! - (1 * 60) / SYLLABLES_PER_WORD) < 1e-9);
});
