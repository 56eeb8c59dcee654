import assert from "node:assert/strict";
import { AnalysisConfigSchema, defaultAnalysisConfig } from "../../../core/audio/config.ts";
import { EchoPath, fastDb } from "../../../core/audio/echo.ts";
import { dbovToEnergy } from "../../../core/audio/mulaw.ts";
import { seeded } from "./signals.ts";

/**
 * Speech-like slot energies (20 ms): syllables of 160-300 ms rising to about -26 dBov with a 25 dB dip
 * between them, in phrases with pauses, as a syllable-nucleus envelope looks.
 */
function speechEnvelope(slots: number, seed: number): Float64Array {
  const random = seeded(seed);
  const out = new Float64Array(slots);
  let i = 0;
  while (i < slots) {
    const syllables = 3 + Math.floor(random() * 6);
    for (let s = 0; s < syllables && i < slots; s++) {
      const length = 8 + Math.floor(random() * 7);
      const peakDb = -26 + (random() - 0.5) * 6;
      for (let k = 0; k < length && i < slots; k++, i++) {
        out[i] = dbovToEnergy(peakDb - 25 * (1 - Math.sin((Math.PI * (k + 0.5)) / length)));
      }
    }
    i += 10 + Math.floor(random() * 20); // a pause
  }
  return out;
}

interface Run {
  path: EchoPath;
  /** Slots in which the prediction was below the echo actually there (a miss of the bound). */
  misses: number;
  /** Slots with echo above the noise. */
  echoSlots: number;
}

/**
 * Drives a path slot by slot: the other party's envelope, and this track's energy (noise, plus the other's
 * envelope `delay` slots late and `lossDb` down, plus this party's own speech where given). Before each slot
 * is pushed, the path's bound for it is checked against the echo really in it.
 */
function drive(
  options: {
    lossDb: number | null;
    delay: number;
    own?: Float64Array;
    noiseDb?: number;
    slots?: number;
    /** An echo counts in `echoSlots` from this many times the noise (default 4). */
    visibleAbove?: number;
  },
): Run {
  const slots = options.slots ?? 3_000;
  const other = speechEnvelope(slots, 1);
  const noise = dbovToEnergy(options.noiseDb ?? -75);
  const gain = options.lossDb === null ? 0 : 10 ** (-options.lossDb / 10);
  const own = (i: number) => {
    const echo = i >= options.delay ? gain * other[i - options.delay] : 0;
    return { echo, total: noise + echo + (options.own?.[i] ?? 0) };
  };
  const path = new EchoPath(defaultAnalysisConfig);
  // The other party's voice threshold (-60 dBov) and active level (-28 dBov) as its analyzer would have them.
  const threshold = dbovToEnergy(-60), active = dbovToEnergy(-28);
  let misses = 0, echoSlots = 0;
  for (let slot = 0; slot < slots; slot++) {
    const { echo, total } = own(slot);
    if (slot > 1_000 && echo > (options.visibleAbove ?? 4) * noise) {
      echoSlots++;
      if (path.echoEnergy() < echo) misses++;
    }
    path.push(other[slot], threshold, active, total);
  }
  return { path, misses, echoSlots };
}

Deno.test("EchoPath - learns the lag and the loss of an echo, and its prediction bounds the echo", () => {
  // A 40 dB echo of -26 dBov speech is at -66: on a quiet line (-95 dBov), not under -75 dBov of noise.
  for (const [lossDb, delay, noiseDb] of [[15, 1, -75], [28, 3, -75], [35, 6, -75], [40, 12, -95]]) {
    const { path, misses, echoSlots } = drive({ lossDb, delay, noiseDb });
    assert.equal(path.delayMs, delay * 20, `${lossDb} dB, ${delay * 20} ms: delay ${path.delayMs}`);
    assert.ok(Math.abs(path.lossDb! - lossDb) <= 4, `${lossDb} dB: learnt ${path.lossDb}`);
    assert.ok(
      echoSlots > 500 && misses <= echoSlots * 0.01,
      `${misses} of ${echoSlots} slots above the bound`,
    );
  }
});

Deno.test("EchoPath - an echo under the line noise has no lag, and its bound still holds", () => {
  const { path, misses, echoSlots } = drive({ lossDb: 30, delay: 12, noiseDb: -56, visibleAbove: 1 });
  assert.equal(path.delayMs, null);
  assert.ok(echoSlots > 100 && misses <= echoSlots * 0.01, `${misses} of ${echoSlots} slots above the bound`);
});

Deno.test("EchoPath - without echo no lag stands out, and the bound stays at the line noise", () => {
  const { path } = drive({ lossDb: null, delay: 0, noiseDb: -60 });
  assert.ok(path.learnt);
  assert.equal(path.delayMs, null);
  // Loud speech of the other party leaves a bound near this track's noise, far under anyone's speech.
  assert.ok(path.echoEnergy() < dbovToEnergy(-45), `bound ${path.echoEnergy()}`);
});

Deno.test("EchoPath - the other party's speech teaches nothing until it is loud, and the cautious bound holds", () => {
  const path = new EchoPath(defaultAnalysisConfig);
  const loud = dbovToEnergy(-20);
  // Unknown active level: nothing is learnt, but energy 12 dB under the recent speech may be echo.
  for (let i = 0; i < 200; i++) path.push(loud, dbovToEnergy(-60), 0, dbovToEnergy(-70));
  assert.equal(path.learnt, false);
  const bound = path.echoEnergy();
  assert.ok(Math.abs(10 * Math.log10(bound / loud) + defaultAnalysisConfig.echoPriorLossDb) < 0.01);
  // Below the other track's voice threshold it is not speech, and bounds nothing.
  const quiet = new EchoPath(defaultAnalysisConfig);
  for (let i = 0; i < 200; i++) quiet.push(loud, dbovToEnergy(-10), 0, 0);
  assert.equal(quiet.echoEnergy(), 0);
});

Deno.test("EchoPath - constant double talk is never taken for an echo louder than echoMinLossDb", () => {
  // This party talks whenever the other does, at the same level: the envelopes differ, the levels match.
  const own = speechEnvelope(3_000, 9);
  const { path } = drive({ lossDb: null, delay: 0, own, noiseDb: -60 });
  const config = defaultAnalysisConfig;
  if (path.lossDb !== null) assert.ok(path.lossDb >= config.echoMinLossDb, `loss ${path.lossDb}`);
  const loudest = dbovToEnergy(-26 + 3);
  const cap = 10 ** ((config.echoMarginDb - config.echoMinLossDb) / 10);
  assert.ok(path.echoEnergy() <= loudest * cap * 1.0001, "the bound never exceeds the capped gain");
});

Deno.test("EchoPath - settings come from the config: a 200 ms echo is found only when the search reaches it", () => {
  const delayOf = (echoMaxDelayMs: number) => {
    const path = new EchoPath(AnalysisConfigSchema.parse({ echoMaxDelayMs }));
    const other = speechEnvelope(3_000, 3);
    for (let slot = 0; slot < 3_000; slot++) {
      const own = slot >= 10 ? 0.01 * other[slot - 10] : 0; // 200 ms late, 20 dB down
      path.push(other[slot], dbovToEnergy(-60), dbovToEnergy(-28), own + dbovToEnergy(-75));
    }
    return path.delayMs;
  };
  assert.equal(delayOf(300), 200);
  assert.notEqual(delayOf(100), 200);
});

Deno.test("EchoPath - fastDb is within 0.3 dB of 10 log10 across the 16-bit range", () => {
  for (let e = 1; e < 2 ** 31; e *= 1.37) {
    assert.ok(Math.abs(fastDb(e) - 10 * Math.log10(e)) <= 0.3, `${e}: ${fastDb(e)}`);
  }
  assert.equal(fastDb(0), 0);
  assert.equal(fastDb(0.5), 0);
});
