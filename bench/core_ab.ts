/**
 * Before against after: the analysis pipeline of this checkout and of another git ref's `core/`, timed in
 * the same process, pass by pass in turn (A, B, B, A, ...), so both see the same moments of a machine whose
 * speed swings within the hour. Prints the median CPU per second of two-party call audio of each, and the
 * ratio after / before: the median of the ratios of back-to-back pairs.
 *
 * Run: `deno run -A bench/core_ab.ts [REF]` (default `main`). The ref's `core/` is extracted with `git
 * archive` into a temporary folder and imported from there; its npm imports resolve through
 * this checkout's `deno.json`.
 *
 * @module
 */
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { type Conversation, loadConversation, toPayloads } from "./audio.ts";
import { cpuMicros, round } from "./stats.ts";

/** What both versions of the pipeline offer this benchmark. */
interface Pipeline {
  ingest(track: "inbound" | "outbound", timestampMs: number, mulaw: Uint8Array): unknown;
  flush(): void;
}
type NewPipeline = () => Pipeline;

/** The per-call-second cost of each version (median of `passes`), and after / before. */
export interface CoreComparison {
  ref: string;
  passes: number;
  callSeconds: number;
  before_us_per_call_s: number;
  after_us_per_call_s: number;
  /** Median of after / before over each pair of passes run back to back: what the target is judged on. */
  ratio: number;
  /** The same from the fastest pass of each (the least disturbed by other processes), for comparison. */
  ratio_best: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Times one pass: a fresh pipeline through `slots` slots of the conversation (base64 decode included). */
function pass(
  newPipeline: NewPipeline,
  conversation: Conversation,
  agent: string[],
  customer: string[],
  slots: number,
) {
  const now = () => cpuMicros() ?? performance.now() * 1000;
  const buffer = new Uint8Array(8000);
  const view = buffer.subarray(0, 160);
  const pipeline = newPipeline();
  const start = now();
  for (let k = 0; k < slots; k++) {
    const i = k % conversation.slots;
    let written = buffer.setFromBase64(agent[i]).written;
    pipeline.ingest("outbound", k * 20, written === 160 ? view : buffer.subarray(0, written));
    written = buffer.setFromBase64(customer[i]).written;
    pipeline.ingest("inbound", k * 20, written === 160 ? view : buffer.subarray(0, written));
  }
  pipeline.flush();
  return now() - start;
}

/** Extracts `ref`'s core/ next to this checkout's and returns a factory for its pipeline. */
async function pipelineOf(ref: string): Promise<{ newPipeline: NewPipeline; cleanup: () => Promise<void> }> {
  const root = new URL("../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "core_ab_" });
  try {
    const archive = new Deno.Command("git", { args: ["archive", ref, "core"], cwd: root, stdout: "piped" });
    const tar = await archive.output();
    if (!tar.success) throw new Error(`git archive ${ref} core failed: is ${ref} a ref of this repository?`);
    const untar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
    const writer = untar.stdin.getWriter();
    await writer.write(tar.stdout);
    await writer.close();
    if (!(await untar.status).success) throw new Error("tar could not extract the archive");
    const module = await import(`file://${dir}/core/session/call_pipeline.ts`);
    const Before = module.CallPipeline as new (options: unknown) => Pipeline;
    return {
      newPipeline: () => new Before({ agentTrack: "outbound", onSuggestion: () => {}, onMetrics: () => {} }),
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/** Compares this checkout's pipeline with `ref`'s over `passes` alternating passes of `callSeconds` each. */
export async function compareCore(
  ref = "main",
  options: { passes?: number; warmup?: number; callSeconds?: number } = {},
): Promise<CoreComparison> {
  const { passes = 61, warmup = 10, callSeconds = 60 } = options;
  const conversation = await loadConversation();
  const agent = toPayloads(conversation.agent), customer = toPayloads(conversation.customer);
  const slots = Math.round((callSeconds * 1000) / 20);
  const before = await pipelineOf(ref);
  try {
    const after: NewPipeline = () =>
      new CallPipeline({ agentTrack: "outbound", onSuggestion: () => {}, onMetrics: () => {} });
    const times: { before: number[]; after: number[] } = { before: [], after: [] };
    for (let i = 0; i < warmup + passes; i++) {
      // Alternate which goes first, so neither always runs right after the other's garbage.
      const order = i % 2 === 0 ? ["before", "after"] as const : ["after", "before"] as const;
      for (const which of order) {
        const elapsed = pass(
          which === "before" ? before.newPipeline : after,
          conversation,
          agent,
          customer,
          slots,
        );
        if (i >= warmup) times[which].push(elapsed);
      }
    }
    const b = median(times.before) / callSeconds, a = median(times.after) / callSeconds;
    // Two passes run back to back see the same moment of the machine: their ratio drifts less than either.
    const pairs = times.after.map((after, i) => after / times.before[i]);
    return {
      ref,
      passes,
      callSeconds,
      before_us_per_call_s: round(b, 1),
      after_us_per_call_s: round(a, 1),
      ratio: round(median(pairs), 3),
      ratio_best: round(Math.min(...times.after) / Math.min(...times.before), 3),
    };
  } finally {
    await before.cleanup();
  }
}

if (import.meta.main) {
  const result = await compareCore(Deno.args[0] ?? "main");
  console.log(
    `analysis per second of two-party call audio: ${result.ref} ${result.before_us_per_call_s} µs, ` +
      `this checkout ${result.after_us_per_call_s} µs (medians); after / before = ${result.ratio} (median over ` +
      `${result.passes} back-to-back pairs of ${result.callSeconds} s passes; fastest passes: ${result.ratio_best})`,
  );
}
