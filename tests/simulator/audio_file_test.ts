/**
 * Loading recordings for `--agent-audio` / `--customer-audio`: raw μ-law, WAV in the formats named in
 * the help, conversion of other rates and channel counts, and clear errors for everything else.
 */
import assert from "node:assert/strict";
import alawmulaw from "alawmulaw";
import {
  AudioFileError,
  decodeAudioFile,
  loadAudioFile,
  MulawTrack,
  resample,
} from "../../simulator/audio_file.ts";

/** A WAV file with one "fmt " chunk (optionally extensible) and the given data. */
function wav(
  format: number,
  channels: number,
  rate: number,
  bits: number,
  data: Uint8Array,
  extensible = false,
) {
  const fmtSize = extensible ? 40 : 16;
  const bytes = new Uint8Array(12 + 8 + fmtSize + 8 + data.length + (data.length % 2));
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => bytes[at + i] = c.charCodeAt(0));
  text(0, "RIFF");
  view.setUint32(4, bytes.length - 8, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, extensible ? 0xfffe : format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, (rate * channels * bits) / 8, true);
  view.setUint16(32, (channels * bits) / 8, true);
  view.setUint16(34, bits, true);
  if (extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(44, format, true); // first two bytes of the sub-format GUID
  }
  const dataAt = 20 + fmtSize;
  text(dataAt, "data");
  view.setUint32(dataAt + 4, data.length, true);
  bytes.set(data, dataAt + 8);
  return bytes;
}

function pcm16(samples: number[]): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((s, i) => view.setInt16(i * 2, s, true));
  return bytes;
}

const tone = Array.from(
  { length: 800 },
  (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
);

Deno.test("Audio file - raw μ-law passes through unchanged", () => {
  const bytes = Uint8Array.from({ length: 321 }, (_, i) => i % 256);
  assert.deepEqual(decodeAudioFile(bytes, "call.ulaw"), bytes);
  assert.deepEqual(decodeAudioFile(bytes, "CALL.RAW"), bytes);
  assert.throws(() => decodeAudioFile(new Uint8Array(0), "x.ulaw"), /empty/);
});

Deno.test("Audio file - WAV PCM 16-bit 8 kHz mono is μ-law encoded sample by sample", () => {
  const file = wav(1, 1, 8000, 16, pcm16(tone));
  assert.deepEqual(decodeAudioFile(file, "a.wav"), alawmulaw.mulaw.encode(Int16Array.from(tone)));
});

Deno.test("Audio file - WAV μ-law 8 kHz mono is taken as is; A-law and extensible are converted", () => {
  const mulaw = alawmulaw.mulaw.encode(Int16Array.from(tone));
  assert.deepEqual(decodeAudioFile(wav(7, 1, 8000, 8, mulaw), "m.wav"), mulaw);
  const alaw = alawmulaw.alaw.encode(Int16Array.from(tone));
  const fromAlaw = alawmulaw.mulaw.decode(decodeAudioFile(wav(6, 1, 8000, 8, alaw), "a.wav"));
  const expected = alawmulaw.alaw.decode(alaw);
  // A-law and μ-law quantise differently: the same signal within a few percent.
  for (let i = 0; i < tone.length; i++) {
    assert.ok(Math.abs(fromAlaw[i] - expected[i]) <= Math.abs(expected[i]) * 0.07 + 8);
  }
  assert.deepEqual(
    decodeAudioFile(wav(1, 1, 8000, 16, pcm16(tone), true), "x.wav"),
    decodeAudioFile(wav(1, 1, 8000, 16, pcm16(tone)), "y.wav"),
  );
});

Deno.test("Audio file - 16 kHz stereo becomes 8 kHz mono", () => {
  const stereo: number[] = [];
  for (let i = 0; i < 1600; i++) stereo.push(4000, -4000 + 8000 * (i % 2)); // left constant, right alternating
  const out = decodeAudioFile(wav(1, 2, 16000, 16, pcm16(stereo)), "s.wav");
  assert.equal(out.length, 800);
  const decoded = alawmulaw.mulaw.decode(out);
  // Mono = mean of channels; the alternating right channel averages out in the box pre-filter.
  for (let i = 10; i < 790; i++) assert.ok(Math.abs(decoded[i] - 2000) < 150, `sample ${i} = ${decoded[i]}`);
});

Deno.test("Audio file - float WAV and upsampling", () => {
  const floats = new Float32Array(400).map((_, i) => Math.sin((2 * Math.PI * 100 * i) / 4000) * 0.25);
  const out = decodeAudioFile(wav(3, 1, 4000, 32, new Uint8Array(floats.buffer)), "f.wav");
  assert.equal(out.length, 800);
  assert.equal(resample(new Float32Array([0, 1]), 8000, 8000).length, 2);
});

Deno.test("Audio file - unsupported and broken files get clear errors", () => {
  assert.throws(
    () => decodeAudioFile(wav(1, 1, 8000, 24, new Uint8Array(30)), "deep.wav"),
    /24-bit samples is not supported/,
  );
  assert.throws(() => decodeAudioFile(new TextEncoder().encode("hello"), "x.wav"), /not a RIFF\/WAVE/);
  assert.throws(() => decodeAudioFile(new Uint8Array(10), "x.mp3"), AudioFileError);
  assert.throws(() => decodeAudioFile(wav(1, 1, 8000, 16, new Uint8Array(0)), "x.wav"), /without audio data/);
});

Deno.test("Audio file - loads from disk, and a missing file names the path", async () => {
  const path = await Deno.makeTempFile({ suffix: ".wav" });
  try {
    await Deno.writeFile(path, wav(1, 1, 8000, 16, pcm16(tone)));
    assert.equal((await loadAudioFile(path)).length, 800);
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(
    loadAudioFile(path),
    (error: Error) => error instanceof AudioFileError && error.message.includes(path),
  );
});

Deno.test("Audio file - a track plays 160-byte frames, then μ-law silence", () => {
  const track = new MulawTrack(Uint8Array.from({ length: 200 }, () => 0x10));
  assert.equal(track.durationMs, 25);
  assert.deepEqual(track.nextFrame(), new Uint8Array(160).fill(0x10));
  const second = track.nextFrame();
  assert.deepEqual(second.subarray(0, 40), new Uint8Array(40).fill(0x10));
  assert.deepEqual(second.subarray(40), new Uint8Array(120).fill(0xff));
  assert.deepEqual(track.nextFrame(), new Uint8Array(160).fill(0xff));
});
