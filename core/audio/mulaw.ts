/**
 * G.711 μ-law lookup tables, built once at module load from `alawmulaw` so per-sample work in the
 * analyzer is a single table read.
 *
 * Level convention used across `core/audio`: dBov = 10·log10(mean square / 32768²), i.e. 0 dBov is a
 * full-scale SQUARE wave of the 16-bit linear range (a full-scale sine is -3.01 dBov). The loudest μ-law
 * code decodes to ±32124, so a μ-law "square" at the largest code reads -0.17 dBov.
 *
 * @module
 */
import alawmulaw from "alawmulaw";

/** 16-bit linear full scale; 0 dBov is a square wave at this amplitude. */
export const FULL_SCALE = 32768;
/** `FULL_SCALE²`, the mean square of a 0 dBov signal. */
export const FULL_SCALE_SQUARE = FULL_SCALE * FULL_SCALE;
/** The level reported for digital silence, and the floor of {@linkcode energyToDbov}. */
export const SILENCE_DB = -100;

/** Energy (mean square, 16-bit units²) of a level in dBov. */
export function dbovToEnergy(db: number): number {
  return FULL_SCALE_SQUARE * 10 ** (db / 10);
}

/** Level in dBov of an energy (mean square, 16-bit units²), floored at {@linkcode SILENCE_DB}. */
export function energyToDbov(energy: number): number {
  if (energy <= 0) return SILENCE_DB;
  const db = 10 * Math.log10(energy / FULL_SCALE_SQUARE);
  return db < SILENCE_DB ? SILENCE_DB : db;
}

function buildTables(): { linear: Int16Array; square: Float64Array } {
  const codes = new Uint8Array(256);
  for (let c = 0; c < 256; c++) codes[c] = c;
  const linear = alawmulaw.mulaw.decode(codes);
  const square = new Float64Array(256);
  for (let c = 0; c < 256; c++) square[c] = linear[c] * linear[c];
  return { linear, square };
}

const tables = buildTables();

/** Linear 16-bit value of each μ-law code (index = code byte). */
export const MULAW_LINEAR: Int16Array = tables.linear;
/** Squared linear value of each μ-law code, for energy sums without a multiply per sample. */
export const MULAW_SQUARE: Float64Array = tables.square;

/**
 * Decodes μ-law bytes to 16-bit linear samples with the lookup table.
 *
 * @param codes μ-law bytes
 * @param out optional destination (at least `codes.length` long) to avoid allocating
 * @returns the decoded samples (`out` when given)
 */
export function decodeMulaw(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  if (out.length < codes.length) {
    throw new RangeError(`decodeMulaw: output holds ${out.length} samples, need ${codes.length}`);
  }
  for (let i = 0; i < codes.length; i++) out[i] = MULAW_LINEAR[codes[i]];
  return out;
}
