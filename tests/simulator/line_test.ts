/** The phone-line model the simulator and the accuracy tools play calls through. */
import assert from "node:assert/strict";
import { PhoneLine, validateLine } from "../../simulator/line.ts";

const FRAMES = 500;

/** A 1 kHz burst every 200 ms on one party's clean track, silence on the other. */
function burst(frame: number): Float32Array {
  const out = new Float32Array(160);
  if (frame % 10 === 0) {
    for (let i = 0; i < 160; i++) out[i] = 8_000 * Math.sin((2 * Math.PI * 1_000 * i) / 8_000);
  }
  return out;
}

const silent = new Float32Array(160);
const energy = (samples: Int16Array) => samples.reduce((sum, x) => sum + x * x, 0) / samples.length;

Deno.test("PhoneLine - the other party's voice comes back in a track as echo, lower and later", () => {
  const line = new PhoneLine({ agent: { echo: { lossDb: 20, delayMs: 60 } } });
  const heard: number[] = [];
  for (let f = 0; f < 20; f++) heard.push(energy(line.process(silent, burst(f))[0]));
  // The burst at frame 0 comes back 60 ms (three frames) later in the agent's track, about 20 dB down.
  assert.equal(heard.indexOf(Math.max(...heard)), 3);
  const source = energy(Int16Array.from(burst(0)));
  const lossDb = 10 * Math.log10(source / heard[3]);
  assert.ok(lossDb > 19 && lossDb < 23, `echo ${lossDb.toFixed(1)} dB down`);
  // The customer's own track has no echo of the (silent) agent.
  const customer = new PhoneLine({ agent: { echo: { lossDb: 20, delayMs: 60 } } });
  assert.equal(energy(customer.process(burst(0), silent)[1]), 0);
});

Deno.test("PhoneLine - steady noise at its level, lost frames at their share and in bursts", () => {
  const line = new PhoneLine({ customer: { noiseDb: -48, lossShare: 0.05 }, seed: 4 });
  let sum = 0, lost = 0, bursts = 0, previous = false;
  for (let f = 0; f < 20 * FRAMES; f++) {
    sum += energy(line.process(silent, silent)[1]);
    if (line.lost[1]) (lost++, bursts += previous ? 0 : 1);
    previous = line.lost[1];
    assert.equal(line.lost[0], false);
  }
  const levelDb = 10 * Math.log10(sum / (20 * FRAMES) / 32768 ** 2);
  assert.ok(Math.abs(levelDb + 48) < 1, `noise at ${levelDb.toFixed(1)} dBov`);
  const share = lost / (20 * FRAMES);
  assert.ok(share > 0.035 && share < 0.065, `lost ${(share * 100).toFixed(1)} %`);
  assert.ok(lost / bursts > 1.5, "losses come in bursts");
});

Deno.test("PhoneLine - the same seed gives the same line; settings outside real lines are refused", () => {
  const run = () => {
    const line = new PhoneLine({ agent: { noiseDb: -50, lossShare: 0.1 }, seed: 9 });
    return Array.from({ length: 50 }, (_, f) => [...line.process(burst(f), burst(f + 5))[0], line.lost[0]]);
  };
  assert.deepEqual(run(), run());
  assert.throws(() => validateLine({ agent: { echo: { lossDb: 20, delayMs: 900 } } }), /delayMs/);
  assert.throws(() => validateLine({ customer: { lossShare: 0.5 } }), /lossShare/);
  assert.throws(() => validateLine({ customer: { noiseDb: -5 } }), /noiseDb/);
});
