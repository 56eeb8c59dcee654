import assert from "node:assert/strict";
import { AnalysisConfigSchema, SYLLABLES_PER_WORD } from "../../../core/audio/config.ts";
import { energyToDbov, MULAW_SQUARE } from "../../../core/audio/mulaw.ts";
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
    assert.equal(result.frameEnergy, 0);
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
    assert.ok(Number.isFinite(result.frameEnergy) && result.frameEnergy > 0);
    // A 1 kHz tone repeats every 8 samples, so any whole number of periods has the tone's level.
    const levelDb = energyToDbov(result.frameEnergy);
    if (pos >= 1600 && length % 8 === 0) {
      assert.ok(Math.abs(levelDb + 20) < 0.5, `${length} bytes: ${levelDb}`);
    }
    pos += length;
    if (pos + 160 > audio.length) pos = 1600;
  }
});

Deno.test("TrackAnalyzer - the frame energy is the exact mean square of every byte, at every length", () => {
  // The per-sample loop takes two samples per step with an odd one left over: no byte may be lost or counted
  // twice, in either half-slot.
  const analyzer = new TrackAnalyzer();
  let seed = 7;
  for (let length = 1; length <= 160; length++) {
    const frame = Uint8Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const expected = frame.reduce((sum, code) => sum + MULAW_SQUARE[code], 0) / length;
    assert.equal(analyzer.processFrame(frame).frameEnergy, expected, `${length} bytes`);
  }
});

Deno.test("TrackAnalyzer - returns one reused result object", () => {
  const analyzer = new TrackAnalyzer();
  const first = analyzer.processFrame(null);
  assert.equal(analyzer.processFrame(new Uint8Array(160).fill(0xff)), first);
});

/** The analyzer without the calibration (which is for natural speech): the turn-time logic alone. */
const RAW = AnalysisConfigSchema.parse({ rateCalibrationSlope: 1, rateCalibrationInterceptWpm: 0 });

Deno.test("TrackAnalyzer - wpm is null until 2 s of turn time; pauses that end the turn do not count", () => {
  // 1.5 s of syllables, 1 s of silence (longer than turnPauseMs), repeated: the pauses must not dilute the rate.
  const parts = [];
  for (let i = 0; i < 6; i++) parts.push(syllableTrain(4, -26, 1.5), silence(1));
  const results = analyze(toMulaw(concat(silence(0.5), ...parts)), new TrackAnalyzer(RAW));
  const at = (seconds: number) => results[Math.round(seconds * 50) - 1];
  assert.equal(at(0.5 + 2.5 + 0.6).wpm, null, "1.5 s and a spurt not yet 1 s long are not enough");
  assert.ok(at(0.5 + 2.5 + 1.2).wpm !== null, "a reading once 2 s of turn time are in");
  const end = results.at(-1)!;
  assert.ok(Math.abs(end.wpmWindowSpeechS - 9) < 0.5, `speech time ${end.wpmWindowSpeechS}`);
  const expected = (4 * 60) / SYLLABLES_PER_WORD;
  assert.ok(Math.abs(end.wpm! - expected) / expected < 0.1, `${end.wpm} vs ${expected}`);
});

/**
 * 1.2 s of 4 syllables per second, then `pauseS` of silence, six times; the last reading. The other party
 * talks from the middle of every silence: to its end (a backchannel), or on for 0.9 s over this party's
 * next words (a turn of a second or more).
 */
function pausedSpeech(pauseS: number, other: "none" | "in the pause" | "until after resuming" = "none") {
  const parts = [];
  for (let i = 0; i < 6; i++) parts.push(syllableTrain(4, -26, 1.2), silence(pauseS));
  const audio = toMulaw(concat(silence(0.5), ...parts));
  const analyzer = new TrackAnalyzer(RAW);
  let last = analyzer.processFrame(null);
  // Slot arithmetic (20 ms slots): the schedule must not drift with floating-point seconds.
  const period = Math.round((1.2 + pauseS) * 50), spurt = 60;
  for (let slot = 0; slot * 160 < audio.length; slot++) {
    const frame = audio.subarray(slot * 160, (slot + 1) * 160);
    const k = (slot - 25 + period) % period;
    const inPause = k >= spurt + (period - spurt) / 2;
    const speaking = other === "in the pause"
      ? inPause
      : other === "until after resuming"
      ? inPause || k < 45
      : false;
    last = analyzer.processFrame(frame, speaking);
  }
  return last;
}

Deno.test("TrackAnalyzer - pauses inside the turn count as turn time: the conversational rate", () => {
  const articulation = (4 * 60) / SYLLABLES_PER_WORD;
  const end = pausedSpeech(0.4);
  // Six spurts of 1.2 s and five 0.4 s pauses in between; the trailing pause is not counted.
  assert.ok(Math.abs(end.wpmWindowSpeechS - 9.2) < 0.5, `turn time ${end.wpmWindowSpeechS}`);
  const expected = articulation * 1.2 / 1.6;
  assert.ok(Math.abs(end.wpm! - expected) / expected < 0.1, `${end.wpm} vs ${expected}`);
});

Deno.test("TrackAnalyzer - a short silence in which the other party took the turn is not turn time", () => {
  const articulation = (4 * 60) / SYLLABLES_PER_WORD;
  // The other party starts in the pause and talks on for a turn's length over this one: a turn change.
  const end = pausedSpeech(0.4, "until after resuming");
  assert.ok(Math.abs(end.wpmWindowSpeechS - 7.2) < 0.5, `turn time ${end.wpmWindowSpeechS}`);
  assert.ok(Math.abs(end.wpm! - articulation) / articulation < 0.1, `${end.wpm} vs ${articulation}`);
});

Deno.test("TrackAnalyzer - the other party's backchannel in a pause leaves it this party's pause", () => {
  // "Mm-hm" from the other party, over before this one resumes: not a turn, so no inflated rate.
  const withBackchannels = pausedSpeech(0.4, "in the pause");
  const alone = pausedSpeech(0.4);
  assert.equal(withBackchannels.wpmWindowSpeechS, alone.wpmWindowSpeechS);
  assert.equal(withBackchannels.wpm, alone.wpm);
});

Deno.test("TrackAnalyzer - this party's backchannels do not count towards their rate", () => {
  // A 12 s turn at 4 syllables per second, then "mm-hm"s (0.4 s, two syllables) with long pauses.
  const parts = [syllableTrain(4, -26, 12)];
  for (let i = 0; i < 8; i++) parts.push(silence(2), syllableTrain(5, -26, 0.4));
  const results = analyze(toMulaw(concat(silence(0.5), ...parts)), new TrackAnalyzer(RAW));
  const afterTurn = results[Math.round(12.5 * 50) + 5];
  const end = results.at(-1)!;
  assert.ok(afterTurn.wpm !== null && end.wpm !== null);
  assert.ok(Math.abs(end.wpm - afterTurn.wpm) <= afterTurn.wpm * 0.02, `${afterTurn.wpm} then ${end.wpm}`);
  assert.ok(Math.abs(end.wpmWindowSpeechS - afterTurn.wpmWindowSpeechS) < 0.1);
});

Deno.test("TrackAnalyzer - a frame lost in a vowel is not a dip between syllables", () => {
  const audio = toMulaw(concat(silence(0.5), syllableTrain(3, -26, 12)));
  const read = (lose: (slot: number) => boolean) => {
    const analyzer = new TrackAnalyzer(RAW);
    let last = analyzer.processFrame(null);
    for (let slot = 0; slot * 160 < audio.length; slot++) {
      last = analyzer.processFrame(lose(slot) ? null : audio.subarray(slot * 160, (slot + 1) * 160));
    }
    return last.wpm!;
  };
  const whole = read(() => false);
  // One frame in twenty lost (5 %), landing anywhere in the syllables.
  const lossy = read((slot) => slot % 20 === 7);
  assert.ok(Math.abs(lossy - whole) <= whole * 0.05, `${whole} whole, ${lossy} with lost frames`);
});

Deno.test("TrackAnalyzer - the rate window slides: a speaker who speeds up reads fast after a window", () => {
  const config = AnalysisConfigSchema.parse({ ...RAW, wpmWindowS: 8 });
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
