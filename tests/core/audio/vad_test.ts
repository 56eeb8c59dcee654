import assert from "node:assert/strict";
import { AnalysisConfigSchema } from "../../../core/audio/config.ts";
import { TrackAnalyzer } from "../../../core/audio/track_analyzer.ts";
import { dbovToEnergy } from "../../../core/audio/mulaw.ts";
import { VoiceActivityDetector } from "../../../core/audio/vad.ts";
import {
  analyze,
  concat,
  mix,
  silence,
  speakingShare,
  syllableTrain,
  toMulaw,
  tone,
  whiteNoise,
} from "./signals.ts";

const SLOTS_PER_S = 50;

Deno.test("VAD - digital silence and missing slots are never speech", () => {
  const results = analyze(toMulaw(silence(3)));
  assert.equal(speakingShare(results), 0);
  assert.ok(results.every((r) => r.frameEnergy === 0));
});

for (const hissDb of [-55, -48, -40]) {
  Deno.test(`VAD - white line hiss at ${hissDb} dBov alone is not speech, from the first slot`, () => {
    const results = analyze(toMulaw(whiteNoise(hissDb, 10, 7)));
    assert.equal(speakingShare(results), 0);
  });
}

for (
  const { speechDb, hissDb } of [
    { speechDb: -40, hissDb: -55 },
    { speechDb: -12, hissDb: -48 },
    { speechDb: -26, hissDb: -40 },
    { speechDb: -40, hissDb: null },
    { speechDb: -12, hissDb: null },
  ]
) {
  Deno.test(`VAD - a caller at ${speechDb} dBov over ${hissDb ?? "no"} hiss is found, pauses are not`, () => {
    // 2 s line noise, 4 s speech, 2 s pause, 4 s speech, 2 s pause.
    const speech = concat(
      silence(2),
      syllableTrain(4, speechDb, 4),
      silence(2),
      syllableTrain(5, speechDb, 4),
      silence(2),
    );
    const noise = hissDb === null ? silence(14) : whiteNoise(hissDb, 14, 3);
    const results = analyze(toMulaw(mix(speech, noise)));
    const s = SLOTS_PER_S;
    assert.ok(speakingShare(results, 0, 2 * s) === 0, "no speech before the caller talks");
    assert.ok(
      speakingShare(results, 2 * s, 6 * s) > 0.9,
      `first turn ${speakingShare(results, 2 * s, 6 * s)}`,
    );
    assert.ok(
      speakingShare(results, 8 * s, 12 * s) > 0.9,
      `second turn ${speakingShare(results, 8 * s, 12 * s)}`,
    );
    // The pauses after each turn, once the hangover is over.
    assert.ok(speakingShare(results, 6 * s + 15, 8 * s) === 0, "pause after the first turn");
    assert.ok(speakingShare(results, 12 * s + 15, 14 * s) === 0, "pause after the second turn");
  });
}

Deno.test("VAD - speech from the very first slot (noise floor unknown) is found within 200 ms", () => {
  const results = analyze(toMulaw(mix(syllableTrain(4, -26, 6), whiteNoise(-50, 6, 5))));
  assert.ok(speakingShare(results, 10, 6 * SLOTS_PER_S) > 0.9, `${speakingShare(results, 10, 300)}`);
});

Deno.test("VAD - the noise floor does not climb into 30 s of continuous speech", () => {
  const results = analyze(toMulaw(mix(syllableTrain(4, -30, 30), whiteNoise(-55, 30, 9))));
  assert.ok(speakingShare(results, 20 * SLOTS_PER_S, 30 * SLOTS_PER_S) > 0.95);
});

Deno.test("VAD - a steady tone well above the floor stays speech; hangover ends a turn within 200 ms", () => {
  const results = analyze(toMulaw(concat(whiteNoise(-60, 1, 2), tone(440, -20, 2), whiteNoise(-60, 1, 4))));
  assert.ok(speakingShare(results, 55, 150) === 1);
  const lastSpeaking = results.findLastIndex((r) => r.speaking);
  assert.ok(lastSpeaking >= 150 && lastSpeaking < 160, `last speaking slot ${lastSpeaking}`);
});

Deno.test("VAD - louder noise after silence is learned at once, not taken for speech", () => {
  const results = analyze(toMulaw(concat(silence(2), whiteNoise(-45, 6, 11))));
  assert.equal(speakingShare(results), 0);
});

Deno.test("VAD - hangover bridges a short gap and reports the bridged slots", () => {
  const vad = new VoiceActivityDetector(AnalysisConfigSchema.parse({ hangoverMs: 80, turnPauseMs: 120 }));
  const loud = dbovToEnergy(-20);
  const quiet = dbovToEnergy(-70);
  const sequence = [quiet, loud, loud, quiet, quiet, quiet, loud, quiet, quiet, quiet, quiet, quiet, quiet];
  const speaking: boolean[] = [];
  const bridged: number[] = [];
  for (const e of sequence) {
    vad.update(e, 0);
    speaking.push(vad.speaking);
    bridged.push(vad.bridgedFrames);
  }
  assert.deepEqual(speaking.map(Number), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  assert.equal(bridged[6], 3);
});

Deno.test("VAD - pauses shorter than turnPauseMs are reported as bridged, longer ones are not", () => {
  const vad = new VoiceActivityDetector(AnalysisConfigSchema.parse({ hangoverMs: 80, turnPauseMs: 700 }));
  const loud = dbovToEnergy(-20);
  const quiet = dbovToEnergy(-70);
  vad.update(quiet, 0);
  const bridgedAfter = (gapSlots: number) => {
    for (let i = 0; i < 5; i++) vad.update(loud, 0);
    for (let i = 0; i < gapSlots; i++) vad.update(quiet, 0);
    vad.update(loud, 0);
    return vad.bridgedFrames;
  };
  // 680 ms is inside the turn, 700 ms is not.
  assert.equal(bridgedAfter(34), 34);
  assert.equal(bridgedAfter(35), 0);
  assert.equal(bridgedAfter(15), 15);
});

Deno.test("VAD - after a long gap with no audio, speech is judged against the floor learned before it", () => {
  const analyzer = new TrackAnalyzer();
  analyze(toMulaw(whiteNoise(-50, 2, 8)), analyzer);
  for (let i = 0; i < 10 * SLOTS_PER_S; i++) analyzer.processFrame(null);
  // A steady vowel as the very first sound after the gap: only a known floor can tell it from noise.
  const results = analyze(
    toMulaw(mix(tone(300, -26, 0.4), tone(700, -30, 0.4), whiteNoise(-50, 0.4, 9))),
    analyzer,
  );
  assert.ok(speakingShare(results, 1) === 1, `${speakingShare(results, 1)}`);
});
