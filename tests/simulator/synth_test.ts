/**
 * The synthesized voices, measured by the real voice analyzer: the level and the speaking rate it
 * reports must be the ones asked for, and the same seed must give the same bytes.
 */
import assert from "node:assert/strict";
import { TrackAnalyzer } from "../../core/audio/track_analyzer.ts";
import { seededRandom, SpeechTrack, syllableRate, type Utterance } from "../../simulator/synth.ts";
import { AnalysisConfigSchema, SYLLABLES_PER_WORD } from "../../core/audio/config.ts";

const voice = (over: Partial<Utterance> = {}): Utterance => ({
  startMs: 500,
  durationMs: 15_000,
  wpm: 140,
  levelDb: -26,
  pitchHz: 120,
  ...over,
});

/**
 * Plays `ms` of the track through a fresh analyzer; returns its last reading and the speaking time. The
 * analyzer's rate calibration is for natural speech (whose syllables blur at speed and split when drawn
 * out); these voices have ideal syllables, so what they are checked against is the syllable count itself.
 */
function measure(track: SpeechTrack, ms: number) {
  const analyzer = new TrackAnalyzer(
    AnalysisConfigSchema.parse({ rateCalibrationSlope: 1, rateCalibrationInterceptWpm: 0 }),
  );
  let last = { wpm: null as number | null, level: null as number | null };
  let speakingMs = 0;
  for (let t = 0; t < ms; t += 20) {
    const result = analyzer.processFrame(track.nextFrame());
    if (result.speaking) speakingMs += 20;
    last = { wpm: result.wpm, level: result.activeLevelDb };
  }
  return { ...last, speakingMs };
}

Deno.test("Synth - same seed, same bytes; another seed, other bytes", () => {
  const render = (seed: number) => {
    const track = new SpeechTrack([voice({ durationMs: 3_000 })], { seed });
    return Array.from({ length: 200 }, () => track.nextFrame()).flatMap((frame) => [...frame]);
  };
  assert.deepEqual(render(5), render(5));
  assert.notDeepEqual(render(5), render(6));
});

Deno.test("Synth - frames are 160 μ-law bytes and time advances 20 ms per frame", () => {
  const track = new SpeechTrack([voice({ durationMs: 1_000 })]);
  for (let i = 0; i < 10; i++) assert.equal(track.nextFrame().length, 160);
  assert.equal(track.positionMs, 200);
});

for (const levelDb of [-40, -26, -12]) {
  Deno.test(`Synth - active level ${levelDb} dBov measures within 1 dB`, () => {
    const { level } = measure(new SpeechTrack([voice({ levelDb })], { seed: 3 }), 16_000);
    assert.ok(level !== null);
    assert.ok(Math.abs(level - levelDb) <= 1, `measured ${level.toFixed(2)} dBov for ${levelDb}`);
  });
}

for (const wpm of [85, 140, 195]) {
  Deno.test(`Synth - ${wpm} WPM measures within 8 %`, () => {
    const { wpm: measured } = measure(new SpeechTrack([voice({ wpm })], { seed: 4 }), 16_000);
    assert.ok(measured !== null);
    assert.ok(Math.abs(measured - wpm) <= wpm * 0.08, `measured ${measured.toFixed(1)} WPM for ${wpm}`);
  });
}

Deno.test("Synth - the rate holds whether the phrase pauses are inside the turn or end it", () => {
  // 300-600 ms pauses are turn time (the phrases run faster); 800-1100 ms pauses end the turn.
  for (const pauseMs of [[300, 600], [800, 1_100]] as const) {
    const { wpm: measured } = measure(new SpeechTrack([voice({ pauseMs })], { seed: 2 }), 16_000);
    assert.ok(measured !== null);
    assert.ok(Math.abs(measured - 140) <= 140 * 0.08, `pauses ${pauseMs}: measured ${measured.toFixed(1)}`);
  }
});

Deno.test("Synth - speaking rate is converted with the analyzer's syllables per word", () => {
  assert.equal(syllableRate(60 / SYLLABLES_PER_WORD), 1);
});

Deno.test("Synth - silence outside utterances, speech inside, pauses between phrases", () => {
  const { speakingMs } = measure(new SpeechTrack([voice({ startMs: 2_000, durationMs: 8_000 })]), 14_000);
  // Speech only inside the 8 s utterance; the phrase pauses take some of it away.
  assert.ok(speakingMs > 6_000 && speakingMs < 8_400, `speaking ${speakingMs} ms`);
  const quiet = measure(new SpeechTrack([]), 5_000);
  assert.equal(quiet.speakingMs, 0, "line hiss alone is not speech");
});

Deno.test("Synth - pause range is honoured", () => {
  // With pauses shorter than the analyzer's hangover bridge every pause is filled: near-continuous speech.
  const track = new SpeechTrack([voice({ durationMs: 10_000, pauseMs: [40, 60] })]);
  const { speakingMs } = measure(track, 11_000);
  assert.ok(speakingMs >= 9_700, `speaking ${speakingMs} ms`);
});

Deno.test("Synth - bad utterances are rejected with the reason", () => {
  assert.throws(() => new SpeechTrack([voice({ wpm: 0 })]), /wpm and pitchHz must be > 0/);
  assert.throws(() => new SpeechTrack([voice({ startMs: -1 })]), /start and duration must be ≥ 0/);
  assert.throws(() => new SpeechTrack([voice({ levelDb: 3 })]), /levelDb must be ≤ 0/);
});

Deno.test("Synth - seeded PRNG is deterministic and in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 1000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});

Deno.test("Synth - overlapping utterances of one party are mixed", () => {
  const render = (utterances: Utterance[]) => {
    const track = new SpeechTrack(utterances, { seed: 9, hissDb: null });
    return Array.from({ length: 300 }, () => track.nextPcm().slice());
  };
  const long = voice({ startMs: 0, durationMs: 6_000 });
  const short = voice({ startMs: 1_000, durationMs: 1_000, pitchHz: 200, singlePhrase: true });
  const mixed = render([long, short]);
  // Energy in the second of the short utterance is higher than in the long one alone.
  const energy = (frames: Int16Array[]) =>
    frames.slice(50, 100).flatMap((f) => [...f]).reduce((e, x) => e + x * x, 0);
  assert.ok(energy(mixed) > energy(render([long])) * 1.2);
});
