import assert from "node:assert/strict";
import { AnalysisConfigSchema, SYLLABLES_PER_WORD } from "../../../core/audio/config.ts";
import { TrackAnalyzer } from "../../../core/audio/track_analyzer.ts";
import { analyze, concat, silence, syllableTrain, toMulaw, tone, whiteNoise } from "./signals.ts";

Deno.test("TrackAnalyzer - a frame longer than one slot is a RangeError that says to split it", () => {
  const analyzer = new TrackAnalyzer();
  assert.throws(() => analyzer.processFrame(new Uint8Array(161)), /split it first/);
});

Deno.test("TrackAnalyzer - null and empty frames are digital silence", () => {
  const analyzer = new TrackAnalyzer();
  for (const frame of [null, new Uint8Array(0)]) {
    const result = analyzer.processFrame(frame);
    assert.equal(result.speaking, false);
    assert.equal(result.frameLevelDb, -100);
    assert.equal(result.activeLevelDb, null);
    assert.equal(result.wpm, null);
  }
});

Deno.test("TrackAnalyzer - every frame length 1..160 is accepted; short frames measure the bytes present", () => {
  const audio = toMulaw(concat(whiteNoise(-65, 0.2, 1), tone(1000, -20, 1)));
  const analyzer = new TrackAnalyzer();
  let pos = 0;
  for (let length = 1; length <= 160; length++) {
    const result = analyzer.processFrame(audio.subarray(pos, pos + length));
    assert.ok(Number.isFinite(result.frameLevelDb));
    // A 1 kHz tone repeats every 8 samples, so any whole number of periods has the tone's level.
    if (pos >= 1600 && length % 8 === 0) {
      assert.ok(Math.abs(result.frameLevelDb + 20) < 0.5, `${length} bytes: ${result.frameLevelDb}`);
    }
    pos += length;
    if (pos + 160 > audio.length) pos = 1600;
  }
});

Deno.test("TrackAnalyzer - returns one reused result object", () => {
  const analyzer = new TrackAnalyzer();
  const first = analyzer.processFrame(null);
  assert.equal(analyzer.processFrame(new Uint8Array(160).fill(0xff)), first);
});

Deno.test("TrackAnalyzer - wpm is null until 3 s of speech, then counts speaking time only", () => {
  // 1 s of syllables, 1 s of silence, repeated: the pauses must not dilute the rate.
  const parts = [];
  for (let i = 0; i < 6; i++) parts.push(syllableTrain(4, -26, 1), silence(1));
  const results = analyze(toMulaw(concat(silence(0.5), ...parts)));
  const at = (seconds: number) => results[Math.round(seconds * 50) - 1];
  assert.equal(at(0.5 + 4.9).wpm, null, "2.5 s of speech is not enough");
  assert.ok(at(0.5 + 4.9).wpmWindowSpeechS > 2 && at(0.5 + 4.9).wpmWindowSpeechS < 3.2);
  const end = results.at(-1)!;
  assert.ok(Math.abs(end.wpmWindowSpeechS - 6) < 0.5, `speech time ${end.wpmWindowSpeechS}`);
  const expected = (4 * 60) / SYLLABLES_PER_WORD;
  assert.ok(Math.abs(end.wpm! - expected) / expected < 0.1, `${end.wpm} vs ${expected}`);
});

Deno.test("TrackAnalyzer - the rate window slides: a speaker who speeds up reads fast after a window", () => {
  const config = AnalysisConfigSchema.parse({ wpmWindowS: 8 });
  const results = analyze(
    toMulaw(concat(syllableTrain(3, -26, 15), syllableTrain(6, -26, 10))),
    new TrackAnalyzer(config),
  );
  const slow = (3 * 60) / SYLLABLES_PER_WORD;
  const fast = (6 * 60) / SYLLABLES_PER_WORD;
  assert.ok(Math.abs(results[15 * 50 - 1].wpm! - slow) / slow < 0.1, `slow ${results[749].wpm}`);
  assert.ok(Math.abs(results.at(-1)!.wpm! - fast) / fast < 0.1, `fast ${results.at(-1)!.wpm}`);
  assert.ok(Math.abs(results.at(-1)!.wpmWindowSpeechS - 8) < 0.05);
});

Deno.test("TrackAnalyzer - deterministic: the same audio gives the same results", () => {
  const audio = toMulaw(concat(syllableTrain(5, -30, 4), whiteNoise(-50, 1, 2), syllableTrain(3, -20, 4)));
  assert.deepEqual(analyze(audio), analyze(audio));
});
