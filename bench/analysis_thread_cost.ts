/**
 * What the analysis thread costs against analysing on the calling thread: `calls` calls fed at real-time
 * pace (both tracks, one 20 ms slot per call every 20 ms) for `seconds` of audio, twice, with the CPU of
 * the process and of the main thread per call second. With `worker` the frames go through
 * `AnalysisThread` as the server sends them; with `main` each call's `CallPipeline` runs in place.
 *
 * ```sh
 * deno run -A bench/analysis_thread_cost.ts [calls=1000] [seconds=10] [worker|main]
 * ```
 *
 * Linux only (the main thread's CPU comes from /proc). Not part of `deno task bench`: it takes 2 × `seconds`
 * of wall time and measures one design choice (docs/performance.md, "Analysing on a second thread").
 *
 * @module
 */
import { defaultAnalysisConfig } from "../core/audio/config.ts";
import { BufferPool } from "../core/buffers.ts";
import { defaultCoachingConfig } from "../core/coaching/config.ts";
import { silentLogger } from "../core/log.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import type { SessionPipeline } from "../core/session/call_session.ts";
import { defaultSessionConfig } from "../core/session/config.ts";
import { AnalysisThread } from "../routes/analysis_thread.ts";
import { cpuMicros, mainThreadCpuMicros } from "./stats.ts";

const calls = Number(Deno.args[0] ?? 1000);
const seconds = Number(Deno.args[1] ?? 10);
const mode = Deno.args[2] ?? "worker";
if (!(calls > 0 && seconds > 0 && (mode === "worker" || mode === "main"))) {
  console.error("usage: deno run -A bench/analysis_thread_cost.ts [calls] [seconds] [worker|main]");
  Deno.exit(2);
}
const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../tests/fixtures/speech/${name}.ulaw`, import.meta.url));
const agent = fixture("agent_explain");
const customer = fixture("customer_problem");
const options = { agentTrack: "outbound" as const, onSuggestion: () => {}, onMetrics: () => {} };
const thread = new AnalysisThread({
  analysis: defaultAnalysisConfig,
  coaching: defaultCoachingConfig,
  session: defaultSessionConfig,
  log: silentLogger,
  now: Date.now,
});
const pool = new BufferPool();
if (mode === "worker") await thread.start();
const pipelines: SessionPipeline[] = Array.from(
  { length: calls },
  () => mode === "worker" ? thread.open(options) : new CallPipeline({ ...options, buffers: pool }),
);
const slots = seconds * 50;
for (let pass = 0; pass < 2; pass++) {
  const process0 = cpuMicros()!;
  const main0 = mainThreadCpuMicros()!;
  const started = performance.now();
  for (let slot = 0; slot < slots; slot++) {
    const due = started + (slot + 1) * 20;
    const ts = (pass * slots + slot) * 20;
    const a = (slot * 160) % (agent.length - 160);
    const c = (slot * 160) % (customer.length - 160);
    const now = Date.now();
    for (const pipeline of pipelines) {
      pipeline.ingest("outbound", ts, agent.subarray(a, a + 160), now);
      pipeline.ingest("inbound", ts, customer.subarray(c, c + 160), now);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  // Let the worker finish the last batch before reading the clocks.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const callSeconds = calls * seconds;
  const total = (cpuMicros()! - process0) / callSeconds;
  const main = (mainThreadCpuMicros()! - main0) / callSeconds;
  console.log(
    `${mode}, pass ${pass + 1}: ${total.toFixed(1)} µs CPU per call second (main thread ${
      main.toFixed(1)
    }, ` +
      `other threads ${(total - main).toFixed(1)}); ${thread.droppedFrames} frames dropped`,
  );
}
for (const pipeline of pipelines) {
  pipeline.flush();
  pipeline.dispose();
}
thread.close();
