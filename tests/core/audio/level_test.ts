import assert from "node:assert/strict";
import { energyToDbov } from "../../../core/audio/mulaw.ts";
import { analyze, concat, silence, syllableTrain, toMulaw, tone, whiteNoise } from "./signals.ts";

function closeTo(actual: number | null, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

// A steady sound from the very first slot is indistinguishable from line noise, so the known-level
// signals below start after half a second of faint noise, as a call would.
const lead = () => whiteNoise(-65, 0.5, 3);

Deno.test("Level - a -26 dBov sine reads -26 dBov within 1 dB (slot and active level)", () => {
  const results = analyze(toMulaw(concat(lead(), tone(1000, -26, 3))));
  closeTo(energyToDbov(results[100].frameEnergy), -26, 1, "slot level");
  closeTo(results.at(-1)!.activeLevelDb, -26, 1, "active level");
});

Deno.test("Level - 0 dBov is a full-scale square: the largest μ-law codes read -0.17 dBov", () => {
  const square = new Uint8Array(8000 * 2);
  for (let i = 0; i < square.length; i++) square[i] = (i >> 2) & 1 ? 0x80 : 0x00; // +32124 / -32124
  const results = analyze(new Uint8Array([...toMulaw(lead()), ...square]));
  closeTo(energyToDbov(results[50 + 25].frameEnergy), -0.17, 0.01, "slot level");
  closeTo(results.at(-1)!.activeLevelDb, -0.17, 0.01, "active level");
});

Deno.test("Level - active level is measured over speech only: pauses do not pull it down", () => {
  const train = () => syllableTrain(4, -30, 2);
  const results = analyze(toMulaw(concat(train(), silence(3), train(), silence(3), train(), silence(3))));
  closeTo(results.at(-1)!.activeLevelDb, -30, 1, "active level after pauses");
});

Deno.test("Level - null until half a second of speech", () => {
  const results = analyze(toMulaw(concat(silence(1), syllableTrain(4, -20, 1))));
  assert.equal(results[50 + 20].activeLevelDb, null);
  assert.notEqual(results[50 + 35].activeLevelDb, null);
});

Deno.test("Level - a louder caller shows within 1.5 s of speech and settles within 3.5 s", () => {
  const results = analyze(toMulaw(concat(syllableTrain(4, -32, 5), syllableTrain(4, -20, 4))));
  const before = results[5 * 50 - 1].activeLevelDb!;
  closeTo(before, -32, 1, "before the change");
  assert.ok(results[5 * 50 + 75].activeLevelDb! > before + 6, "risen by more than 6 dB after 1.5 s");
  closeTo(results[5 * 50 + 175].activeLevelDb, -20, 1, "after 3.5 s");
});
