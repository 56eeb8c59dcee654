/**
 * Recorded audio for `--agent-audio` / `--customer-audio`: headerless 8 kHz μ-law (`.ulaw`, `.mulaw`,
 * `.raw`) or WAV (PCM 16-bit, 32-bit float, μ-law or A-law; any rate, any channel count), turned into
 * 8 kHz mono μ-law, the format Twilio streams.
 *
 * Other rates are resampled simply (box pre-filter and linear interpolation): good enough for replaying a
 * recording through the analyzer, not for listening tests. Several channels are averaged to one.
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import { SAMPLE_RATE, SLOT_SAMPLES } from "../core/audio/types.ts";

/** A file that cannot be used, with the reason and what would work. */
export class AudioFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AudioFileError";
  }
}

const RAW_EXTENSIONS = [".ulaw", ".mulaw", ".raw", ".ul"];
const WAVE_FORMAT = { PCM: 1, FLOAT: 3, ALAW: 6, MULAW: 7, EXTENSIBLE: 0xfffe } as const;
const SUPPORTED = "8 kHz μ-law .ulaw/.raw, or a WAV file (PCM 16-bit, float 32-bit, μ-law or A-law)";

/** Reads an audio file as 8 kHz mono μ-law bytes. */
export async function loadAudioFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new AudioFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeAudioFile(bytes, path);
}

/** Converts the bytes of an audio file named `name` (the extension decides raw or WAV) to 8 kHz μ-law. */
export function decodeAudioFile(bytes: Uint8Array, name: string): Uint8Array {
  const lower = name.toLowerCase();
  if (RAW_EXTENSIONS.some((ext) => lower.endsWith(ext))) {
    if (bytes.length === 0) throw new AudioFileError(`${name} is empty`);
    return bytes;
  }
  if (lower.endsWith(".wav") || isRiffWave(bytes)) return decodeWav(bytes, name);
  throw new AudioFileError(`${name}: unknown audio format; use ${SUPPORTED}`);
}

function isRiffWave(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WAVE";
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

interface WavFormat {
  format: number;
  channels: number;
  rate: number;
  bits: number;
}

/** Parses a RIFF/WAVE file and converts its audio to 8 kHz mono μ-law. */
export function decodeWav(bytes: Uint8Array, name: string): Uint8Array {
  if (!isRiffWave(bytes)) throw new AudioFileError(`${name} is not a RIFF/WAVE file; use ${SUPPORTED}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | null = null;
  let data: Uint8Array | null = null;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = ascii(bytes, at, 4);
    const size = view.getUint32(at + 4, true);
    const body = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + size));
    if (id === "fmt ") format = readFormat(new DataView(body.buffer, body.byteOffset, body.byteLength), name);
    if (id === "data") data = body;
    at += 8 + size + (size % 2);
  }
  if (!format) throw new AudioFileError(`${name}: WAV file without a "fmt " chunk`);
  if (!data || data.length === 0) throw new AudioFileError(`${name}: WAV file without audio data`);
  const { format: code, channels, rate } = format;
  if (code === WAVE_FORMAT.MULAW && channels === 1 && rate === SAMPLE_RATE) return data.slice();
  const mono = toMono(toFloat(data, format, name), channels);
  return alawmulaw.mulaw.encode(toInt16(resample(mono, rate, SAMPLE_RATE)));
}

function readFormat(view: DataView, name: string): WavFormat {
  if (view.byteLength < 16) throw new AudioFileError(`${name}: "fmt " chunk is too short`);
  let format = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const rate = view.getUint32(4, true);
  const bits = view.getUint16(14, true);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first two bytes of the sub-format GUID.
  if (format === WAVE_FORMAT.EXTENSIBLE && view.byteLength >= 26) format = view.getUint16(24, true);
  if (channels < 1 || rate < 1000) {
    throw new AudioFileError(`${name}: ${channels} channels at ${rate} Hz is not audio`);
  }
  const ok = (format === WAVE_FORMAT.PCM && bits === 16) || (format === WAVE_FORMAT.FLOAT && bits === 32) ||
    ((format === WAVE_FORMAT.MULAW || format === WAVE_FORMAT.ALAW) && bits === 8);
  if (!ok) {
    throw new AudioFileError(
      `${name}: WAV format ${format} with ${bits}-bit samples is not supported; use ${SUPPORTED}`,
    );
  }
  return { format, channels, rate, bits };
}

/** Samples as floats in [-1, 1], channels still interleaved. */
function toFloat(data: Uint8Array, { format, bits }: WavFormat, name: string): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = Math.floor(data.length / (bits / 8));
  const out = new Float32Array(count);
  if (format === WAVE_FORMAT.PCM) {
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  } else if (format === WAVE_FORMAT.FLOAT) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (format === WAVE_FORMAT.MULAW || format === WAVE_FORMAT.ALAW) {
    const pcm = format === WAVE_FORMAT.MULAW ? alawmulaw.mulaw.decode(data) : alawmulaw.alaw.decode(data);
    for (let i = 0; i < count; i++) out[i] = pcm[i] / 32768;
  } else {
    throw new AudioFileError(`${name}: unsupported WAV format ${format}`);
  }
  return out;
}

function toMono(samples: Float32Array, channels: number): Float32Array {
  if (channels === 1) return samples;
  const frames = Math.floor(samples.length / channels);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[i * channels + c];
    out[i] = sum / channels;
  }
  return out;
}

/** Linear interpolation; when shrinking, a moving average first keeps the worst aliasing out. */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  let source = samples;
  const width = Math.floor(from / to);
  if (width > 1) {
    source = new Float32Array(samples.length);
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
      sum += samples[i] - (i >= width ? samples[i - width] : 0);
      source[i] = sum / Math.min(i + 1, width);
    }
  }
  const length = Math.floor((samples.length * to) / from);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const position = (i * from) / to;
    const k = Math.floor(position);
    const frac = position - k;
    const next = k + 1 < source.length ? source[k + 1] : source[k];
    out[i] = source[k] * (1 - frac) + next * frac;
  }
  return out;
}

function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.round(samples[i] * 32768);
    out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return out;
}

/** μ-law bytes played as 20 ms frames; after the end, μ-law silence (0xFF). */
export class MulawTrack {
  readonly #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Length of the recording, ms. */
  get durationMs(): number {
    return (this.#bytes.length / SAMPLE_RATE) * 1000;
  }

  /** The next 160 bytes (a new array each call; padded with silence at the end). */
  nextFrame(): Uint8Array {
    const frame = new Uint8Array(SLOT_SAMPLES).fill(0xff);
    frame.set(this.#bytes.subarray(this.#at, this.#at + SLOT_SAMPLES));
    this.#at += SLOT_SAMPLES;
    return frame;
  }
}
