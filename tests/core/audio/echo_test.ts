import assert from "node:assert/strict";
import { AnalysisConfigSchema, defaultAnalysisConfig } from "../../../core/audio/config.ts";
import { EchoPath } from "../../../core/audio/echo.ts";
import { dbovToEnergy } from "../../../core/audio/mulaw.ts";
import { seeded } from "./signals.ts";

/**
 * Speech-like half-slot energies: syllables of 150-250 ms rising to about -26 dBov with a 25 dB dip between
 * them, in phrases with pauses, as a syllable-nucleus envelope looks.
 */
function speechEnvelope(halfSlots: number, seed: number): Float64Array {
  const random = seeded(seed);
  const out = new Float64Array(halfSlots);
  let i = 0;
  while (i < halfSlots) {
    const syllables = 3 + Math.floor(random() * 6);
    for (let s = 0; s < syllables && i < halfSlots; s++) {
      const length = 15 + Math.floor(random() * 10);
      const peakDb = -26 + (random() - 0.5) * 6;
      for (let k = 0; k < length && i < halfSlots; k++, i++) {
        out[i] = dbovToEnergy(peakDb - 25 * (1 - Math.sin((Math.PI * k) / length)));
      }
    }
    i += 20 + Math.floor(random() * 40); // a pause
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
 * envelope `delay` half-slots late and `lossDb` down, plus this party's own speech where given).
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
  const other = speechEnvelope(2 * slots, 1);
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
    const a = 2 * slot, b = a + 1;
    path.push(other[a], other[b], threshold, active, own(b).total);
    const echo = (own(a).echo + own(b).echo) / 2;
    if (slot > 1_000 && echo > (options.visibleAbove ?? 4) * noise) {
      echoSlots++;
      if (path.echoEnergy() < echo) misses++;
    }
  }
  return { path, misses, echoSlots };
}

Deno.test("EchoPath - learns the lag and the loss of an echo, and its prediction bounds the echo", () => {
  // A 40 dB echo of -26 dBov speech is at -66: on a quiet line (-95 dBov), not under -75 dBov of noise.
  for (const [lossDb, delay, noiseDb] of [[15, 2, -75], [28, 6, -75], [35, 12, -75], [40, 25, -95]]) {
    const { path, misses, echoSlots } = drive({ lossDb, delay, noiseDb });
    assert.equal(path.delayMs, delay * 10, `${lossDb} dB, ${delay * 10} ms: delay ${path.delayMs}`);
    assert.ok(Math.abs(path.lossDb! - lossDb) <= 4, `${lossDb} dB: learnt ${path.lossDb}`);
    assert.ok(
      echoSlots > 500 && misses <= echoSlots * 0.01,
      `${misses} of ${echoSlots} slots above the bound`,
    );
  }
});

Deno.test("EchoPath - an echo under the line noise has no lag, and its bound still holds", () => {
  const { path, misses, echoSlots } = drive({ lossDb: 30, delay: 25, noiseDb: -56, visibleAbove: 1 });
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
  for (let i = 0; i < 200; i++) path.push(loud, loud, dbovToEnergy(-60), 0, dbovToEnergy(-70));
  assert.equal(path.learnt, false);
  const bound = path.echoEnergy();
  assert.ok(Math.abs(10 * Math.log10(bound / loud) + defaultAnalysisConfig.echoPriorLossDb) < 0.01);
  // Below the other track's voice threshold it is not speech, and bounds nothing.
  const quiet = new EchoPath(defaultAnalysisConfig);
  for (let i = 0; i < 200; i++) quiet.push(loud, loud, dbovToEnergy(-10), 0, 0);
  assert.equal(quiet.echoEnergy(), 0);
});

Deno.test("EchoPath - constant double talk is never taken for an echo louder than echoMinLossDb", () => {
  // This party talks whenever the other does, at the same level: the envelopes differ, the levels match.
  const own = speechEnvelope(6_000, 9);
  const { path } = drive({ lossDb: null, delay: 0, own, noiseDb: -60 });
  const config = defaultAnalysisConfig;
  if (path.lossDb !== null) assert.ok(path.lossDb >= config.echoMinLossDb, `loss ${path.lossDb}`);
  const loudest = dbovToEnergy(-26 + 3);
  const cap = 10 ** ((config.echoMarginDb - config.echoMinLossDb) / 10);
  assert.ok(path.echoEnergy() <= loudest * cap * 1.0001, "the bound never exceeds the capped gain");
});

Deno.test("EchoPath - settings come from the config: a longer delay is found only when allowed", () => {
  const short = AnalysisConfigSchema.parse({ echoMaxDelayMs: 100 });
  const path = new EchoPath(short);
  const other = speechEnvelope(6_000, 3);
  for (let slot = 0; slot < 3_000; slot++) {
    const a = 2 * slot, b = a + 1;
    const own = b >= 20 ? 0.01 * other[b - 20] : 0; // 200 ms late
    path.push(other[a], other[b], dbovToEnergy(-60), dbovToEnergy(-28), own + dbovToEnergy(-75));
  }
  assert.equal(path.delayMs, null, "a 200 ms echo is beyond a 100 ms search");
});
