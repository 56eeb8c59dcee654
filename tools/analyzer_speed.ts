/**
 * Prints the CPU cost of `TrackAnalyzer.processFrame` per 20 ms slot on the speech fixtures
 * (a measurement to watch, never asserted). Run: `deno run -A tools/analyzer_speed.ts`.
 *
 * @module
 */
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { SLOT_SAMPLES } from "../core/audio/types.ts";

const dir = new URL("../tests/fixtures/speech/", import.meta.url);

/** Concatenates all fixture clips into one long μ-law stream. */
async function loadStream(): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".ulaw")) parts.push(await Deno.readFile(new URL(entry.name, dir)));
  }
  parts.sort((a, b) => a.length - b.length);
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) (stream.set(p, pos), pos += p.length);
  return stream;
}

/** Runs `rounds` passes over `stream` with fresh analyzers; returns µs per slot of the best pass. */
export function measureMicrosPerFrame(stream: Uint8Array, rounds = 5): number {
  const slots = Math.floor(stream.length / SLOT_SAMPLES);
  const frames = Array.from(
    { length: slots },
    (_, i) => stream.subarray(i * SLOT_SAMPLES, (i + 1) * SLOT_SAMPLES),
  );
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const analyzer = new TrackAnalyzer();
    const start = performance.now();
    for (let i = 0; i < slots; i++) sink += analyzer.processFrame(frames[i]).frameEnergy;
    best = Math.min(best, ((performance.now() - start) * 1000) / slots);
  }
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the loop from being optimised away");
  return best;
}

if (import.meta.main) {
  const stream = await loadStream();
  const perFrame = measureMicrosPerFrame(stream, 8);
  console.log(
    `${(stream.length / 8000).toFixed(0)} s of audio: ${perFrame.toFixed(3)} µs per 20 ms slot ` +
      `(${(perFrame * 100).toFixed(1)} µs per second of two-party audio)`,
  );
}
