import assert from "node:assert/strict";
import alawmulaw from "alawmulaw";
import { timeStretch, TrackTimeline } from "../../tools/scenario_audio.ts";

function tone(ms: number, hz: number, amplitude: number): Float32Array {
  return Float32Array.from({ length: ms * 8 }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
}

function rms(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / (to - from));
}

Deno.test("Scenario audio - time stretch lengthens by the factor and keeps level and pitch", () => {
  const input = tone(1_000, 400, 5_000);
  const out = timeStretch(input, 1.5);
  assert.ok(Math.abs(out.length / input.length - 1.5) < 0.05, `length ratio ${out.length / input.length}`);
  const middle = out.subarray(2_000, 10_000);
  assert.ok(Math.abs(rms(middle) / rms(input) - 1) < 0.05, "level kept");
  let crossings = 0;
  for (let i = 1; i < middle.length; i++) if ((middle[i - 1] < 0) !== (middle[i] < 0)) crossings++;
  const hz = (crossings / 2) / (middle.length / 8000);
  assert.ok(Math.abs(hz - 400) < 10, `pitch ${hz} Hz`);
});

Deno.test("Scenario audio - timeline mixes clips with gain and encodes μ-law, silence elsewhere", () => {
  const track = new TrackTimeline(1_000);
  track.place(500, tone(200, 500, 1_000), 20);
  const pcm = alawmulaw.mulaw.decode(track.toMulaw());
  assert.equal(pcm.length, 8_000);
  assert.ok(rms(pcm, 0, 4_000) < 10, "silence before the clip");
  const level = rms(pcm, 4_000, 5_600) / (1_000 / Math.SQRT2);
  assert.ok(Math.abs(level - 10) < 0.5, `gain ${level}`);
  assert.throws(() => track.place(900, tone(200, 500, 1_000)), /does not fit/);
});
