import assert from "node:assert/strict";
import type { Suggestion } from "../../core/coaching/types.ts";
import { defaultAnalysisConfig } from "../../core/audio/config.ts";
import { defaultCoachingConfig } from "../../core/coaching/config.ts";
import type { TrackName } from "../../core/config.ts";
import { createLogger, type LogFields } from "../../core/log.ts";
import type { MetricsData, SuggestionType } from "../../core/protocol/ui_messages.ts";
import { CallPipeline } from "../../core/session/call_pipeline.ts";
import type { SessionPipeline } from "../../core/session/call_session.ts";
import { defaultSessionConfig } from "../../core/session/config.ts";
import { AnalysisThread, type AnalysisThreadOptions } from "../../routes/analysis_thread.ts";
import {
  FATAL_FRAME_MS,
  FAULTY_FRAME_MS,
  SLOW_START_MS,
  STUCK_FRAME_MS,
} from "../support/analysis_faults.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../fixtures/speech/${name}.ulaw`, import.meta.url));

/** Agent and customer take turns with two clips, `seconds` long; `fast` uses the fast talker. */
function conversation(seconds: number, fast = false) {
  const total = seconds * 8000;
  const agent = new Uint8Array(total).fill(0xff);
  const customer = new Uint8Array(total).fill(0xff);
  const clips = [fixture(fast ? "agent_fast" : "agent_explain"), fixture("customer_problem")];
  let at = 0;
  for (let turn = 0; at < total; turn++) {
    const clip = clips[turn % 2];
    const length = Math.min(clip.length, total - at);
    (turn % 2 === 0 ? agent : customer).set(clip.subarray(0, length), at);
    at += length + 4000;
  }
  return { agent, customer };
}

type Audio = ReturnType<typeof conversation>;

interface Recorded {
  suggestions: Suggestion[];
  /** The moments a tip's condition stopped holding. */
  cleared: [SuggestionType, number][];
  metrics: MetricsData[];
}

function recorder(agentTrack: TrackName) {
  const seen: Recorded = { suggestions: [], cleared: [], metrics: [] };
  const options = {
    agentTrack,
    onSuggestion: (s: Suggestion) => seen.suggestions.push(s),
    onTipCleared: (type: SuggestionType, streamMs: number) => seen.cleared.push([type, streamMs]),
    onMetrics: (m: MetricsData) => seen.metrics.push(m),
  };
  return { seen, options };
}

/** Feeds `audio` frame by frame, agent first in each slot; yields to the event loop every `yieldEvery` slots. */
async function feed(pipeline: SessionPipeline, audio: Audio, agentTrack: TrackName, yieldEvery = 50) {
  const customerTrack: TrackName = agentTrack === "outbound" ? "inbound" : "outbound";
  for (let slot = 0; slot * 160 < audio.agent.length; slot++) {
    const from = slot * 160;
    pipeline.ingest(agentTrack, slot * 20, audio.agent.subarray(from, from + 160), Date.now());
    pipeline.ingest(customerTrack, slot * 20, audio.customer.subarray(from, from + 160), Date.now());
    if (slot % yieldEvery === yieldEvery - 1) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** What the same call gives with its pipeline on this thread. */
async function inPlace(
  audio: Audio,
  agentTrack: TrackName,
): Promise<Recorded & { last: MetricsData | null }> {
  const { seen, options } = recorder(agentTrack);
  const pipeline = new CallPipeline(options);
  await feed(pipeline, audio, agentTrack, Infinity);
  pipeline.flush();
  return { ...seen, last: pipeline.metrics() };
}

function threadWith(overrides: Partial<AnalysisThreadOptions> = {}) {
  const logged: LogFields[] = [];
  const log = createLogger({
    level: "debug",
    now: () => new Date(0),
    write: (line) => logged.push(JSON.parse(line)),
  });
  const thread = new AnalysisThread({
    analysis: defaultAnalysisConfig,
    coaching: defaultCoachingConfig,
    session: defaultSessionConfig,
    log,
    now: Date.now,
    ...overrides,
  });
  return { thread, logged };
}

const faultyWorker = new URL("../support/faulty_analysis_worker.ts", import.meta.url);
const slowStartWorker = new URL("../support/slow_start_analysis_worker.ts", import.meta.url);

Deno.test("Analysis thread - a call gives exactly the suggestions, their ends and metrics it gives on this thread", async () => {
  const audio = conversation(90, true);
  // From 45 s the agent greets at an ordinary pace, alone: the fast-talking tip's condition ends.
  const greeting = fixture("agent_greeting");
  for (const track of [audio.agent, audio.customer]) track.fill(0xff, 45 * 8000);
  for (let at = 45 * 8000; at + greeting.length <= audio.agent.length; at += greeting.length + 4000) {
    audio.agent.set(greeting, at);
  }
  const expected = await inPlace(audio, "outbound");
  assert.ok(expected.suggestions.length > 0, "the fast talker trips a rule");
  assert.ok(expected.cleared.length > 0, `a tip's condition ends: ${JSON.stringify(expected)}`);
  const { thread } = threadWith();
  try {
    await thread.start(); // frames queued during a cold start would wait seconds (measured below)
    const { seen, options } = recorder("outbound");
    const call = thread.open(options);
    await feed(call, audio, "outbound");
    call.flush();
    assert.deepEqual(seen.suggestions, expected.suggestions);
    assert.deepEqual(seen.cleared, expected.cleared);
    assert.deepEqual(seen.metrics, expected.metrics);
    assert.deepEqual(call.metrics(), expected.last, "the last metrics are there as soon as flush returns");
    assert.equal(call.streamMs, 90_000);
    assert.ok(call.streamMs > 0);
    call.dispose();
    assert.equal(thread.openCalls, 0);
    const delay = thread.takeQueueDelay();
    assert.equal(delay.frames, 9000, "every frame's wait was measured");
    assert.ok(delay.p99 <= delay.max && delay.max < Infinity);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - it logs when its batches ran, each frame analysed before its batch ended", async () => {
  const { thread } = threadWith();
  try {
    await thread.start();
    thread.takeBatches(() => {}); // none yet; starts the reader at the log's end
    const { seen, options } = recorder("outbound");
    const call = thread.open(options);
    const handedOver = performance.timeOrigin + performance.now();
    // 2 s of audio: 200 frames, metrics at 4 Hz of stream time.
    await feed(call, conversation(2), "outbound");
    call.flush();
    // The worker logs a batch once it is done with it, which may be just after the call's last results
    // reached this thread: read the log until the batch that took the last frames is in (2 s at most).
    const batches: number[][] = [];
    const deadline = performance.now() + 2000;
    do {
      thread.takeBatches((start, end) => batches.push([start, end]));
      if (batches.length > 0 && batches.at(-1)![1] >= handedOver) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    } while (performance.now() < deadline);
    const after = performance.timeOrigin + performance.now();
    assert.ok(batches.length >= 1, "the frames were analysed in logged batches");
    for (let i = 0; i < batches.length; i++) {
      const [start, end] = batches[i];
      assert.ok(start <= end && end <= after + 1, `batch ${i} ran ${start}–${end}, before ${after}`);
      if (i > 0) assert.ok(start >= batches[i - 1][1], "batches run one after another");
    }
    assert.ok(batches.at(-1)![1] >= handedOver, "the last batch ended after the frames were handed over");
    assert.ok(seen.metrics.length >= 8);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - calls analysed together each get only their own results", async () => {
  const fast = conversation(40, true);
  const calm = conversation(40);
  const expectedFast = await inPlace(fast, "outbound");
  const expectedCalm = await inPlace(calm, "inbound");
  const { thread } = threadWith();
  try {
    const a = recorder("outbound");
    const b = recorder("inbound");
    const callA = thread.open(a.options);
    const callB = thread.open(b.options);
    await Promise.all([feed(callA, fast, "outbound", 7), feed(callB, calm, "inbound", 11)]);
    callA.flush();
    callB.flush();
    const { last: _a, ...fastResults } = expectedFast;
    const { last: _b, ...calmResults } = expectedCalm;
    assert.deepEqual(a.seen, fastResults);
    assert.deepEqual(b.seen, calmResults);
    assert.notDeepEqual(a.seen.metrics, b.seen.metrics);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - a fault in one call's analysis fails that call only", async () => {
  const audio = conversation(20, true);
  const expected = await inPlace(audio, "outbound");
  const { thread } = threadWith({ workerUrl: faultyWorker });
  try {
    // On a fresh machine the worker's first start compiles its modules: seconds while the suite runs.
    await thread.start();
    const broken = thread.open(recorder("outbound").options);
    const healthy = recorder("outbound");
    const call = thread.open(healthy.options);
    broken.ingest("outbound", FAULTY_FRAME_MS, new Uint8Array(160), Date.now());
    await feed(call, audio, "outbound");
    // The fault comes back with the next collection of results (every few ms): wait for it, 5 s at most.
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline) {
      try {
        broken.ingest("outbound", 0, new Uint8Array(160), Date.now());
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.throws(
      () => broken.ingest("outbound", 0, new Uint8Array(160), Date.now()),
      /analysis of this call failed: RangeError: injected analysis fault/,
    );
    broken.flush();
    broken.dispose();
    call.flush();
    assert.deepEqual(healthy.seen.suggestions, expected.suggestions);
    assert.deepEqual(healthy.seen.metrics, expected.metrics);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - if the worker dies its calls fail, and the next call gets a new worker", async () => {
  const audio = conversation(20, true);
  const expected = await inPlace(audio, "outbound");
  const { thread, logged } = threadWith({ workerUrl: faultyWorker });
  try {
    await thread.start(); // the time asserted below is the death's, not a cold start's
    const doomed = thread.open(recorder("outbound").options);
    const bystander = thread.open(recorder("outbound").options);
    doomed.ingest("outbound", FATAL_FRAME_MS, new Uint8Array(160), Date.now());
    const started = performance.now();
    doomed.flush();
    assert.ok(performance.now() - started < 1000, "the dying worker says so; flush does not wait it out");
    const failure = logged.find((l) => l.event === "analysis_thread_failed");
    assert.ok(failure, "the death is logged");
    assert.match(String(failure.error), /injected worker death/);
    assert.throws(
      () => bystander.ingest("outbound", 0, new Uint8Array(160), Date.now()),
      /the analysis thread failed/,
    );
    bystander.flush(); // returns at once: nothing to wait for
    const next = recorder("outbound");
    const call = thread.open(next.options);
    await feed(call, audio, "outbound");
    call.flush();
    assert.deepEqual(next.seen.suggestions, expected.suggestions);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - a stuck worker is given up after one call's end, and the next call gets a new one", async () => {
  const audio = conversation(20, true);
  const expected = await inPlace(audio, "outbound");
  // Long enough for a new worker to start and analyse a 20 s call while the whole suite runs in parallel
  // (with 300 ms the new call's end sometimes gave up on the healthy but still cold new worker).
  const endWaitMs = 1000;
  const { thread, logged } = threadWith({ workerUrl: faultyWorker, endWaitMs });
  try {
    await thread.start();
    const stuck = thread.open(recorder("outbound").options);
    const bystander = thread.open(recorder("outbound").options);
    stuck.ingest("outbound", STUCK_FRAME_MS, new Uint8Array(160), Date.now());
    let started = performance.now();
    stuck.flush();
    const waited = performance.now() - started;
    assert.ok(waited >= endWaitMs && waited < endWaitMs + 1000, `the first end waited ${waited} ms`);
    const failure = logged.find((l) => l.event === "analysis_thread_failed");
    assert.ok(failure, "giving up is logged");
    assert.match(String(failure.error), /no last results .* within 1000 ms/);
    assert.equal(failure.calls, 2);
    // The other call fails at once instead of waiting out the limit again.
    assert.throws(
      () => bystander.ingest("outbound", 0, new Uint8Array(160), Date.now()),
      /the analysis thread failed/,
    );
    started = performance.now();
    bystander.flush();
    assert.ok(performance.now() - started < 50, "a later end does not wait for the stuck worker");
    const next = recorder("outbound");
    const call = thread.open(next.options);
    await feed(call, audio, "outbound");
    await thread.start(); // the new worker is up: the end below waits for the analysis, not for a start
    call.flush();
    assert.deepEqual(next.seen.suggestions, expected.suggestions);
    assert.equal(
      logged.filter((l) => l.event === "analysis_thread_started").length,
      2,
      "a second worker ran",
    );
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - a call's end waits for a worker still starting instead of giving it up", async () => {
  const audio = conversation(2);
  const expected = await inPlace(audio, "outbound");
  // The end's own wait is far shorter than the worker's start: only a worker that runs can be stuck.
  const endWaitMs = 300;
  const { thread, logged } = threadWith({ workerUrl: slowStartWorker, endWaitMs });
  try {
    const opened = performance.now();
    const { seen, options } = recorder("outbound");
    const call = thread.open(options);
    await feed(call, audio, "outbound");
    call.flush();
    assert.ok(
      performance.now() - opened >= SLOW_START_MS,
      "the end returned only once the late worker had analysed the call",
    );
    assert.ok(
      !logged.some((l) => l.event === "analysis_thread_failed"),
      "the starting worker was not given up",
    );
    assert.equal(call.streamMs, 2000, "the last results arrived");
    assert.deepEqual(seen.suggestions, expected.suggestions);
    assert.deepEqual(seen.cleared, expected.cleared);
    assert.deepEqual(seen.metrics, expected.metrics);
    assert.ok(seen.metrics.length >= 8);
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - a worker that does not start in time is given up at a call's end", async () => {
  const startWaitMs = 300;
  assert.ok(startWaitMs < SLOW_START_MS, "the worker starts later than the end waits for it");
  const { thread, logged } = threadWith({ workerUrl: slowStartWorker, startWaitMs, endWaitMs: 300 });
  try {
    const ending = thread.open(recorder("outbound").options);
    const bystander = thread.open(recorder("outbound").options);
    await feed(ending, conversation(1), "outbound");
    const started = performance.now();
    ending.flush();
    const waited = performance.now() - started;
    assert.ok(waited >= startWaitMs && waited < SLOW_START_MS, `the end waited ${waited} ms`);
    const failure = logged.find((l) => l.event === "analysis_thread_failed");
    assert.ok(failure, "giving up is logged");
    assert.match(String(failure.error), /did not start within 300 ms/);
    assert.throws(
      () => bystander.ingest("outbound", 0, new Uint8Array(160), Date.now()),
      /the analysis thread failed/,
    );
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - frames a full ring cannot take are dropped, counted and logged", () => {
  const { thread, logged } = threadWith({ inputBytes: 4096 });
  try {
    const { seen, options } = recorder("outbound");
    const call = thread.open(options);
    // No await: the worker may read meanwhile, but 500 frames cannot all fit in 4 KB.
    for (let slot = 0; slot < 500; slot++) {
      call.ingest("outbound", slot * 20, new Uint8Array(160).fill(0x80), Date.now());
    }
    assert.ok(thread.droppedFrames > 0, `${thread.droppedFrames} dropped`);
    const warning = logged.find((l) => l.event === "analysis_behind");
    assert.ok(warning && Number(warning.dropped_frames) >= 1);
    // Frames leave room for starts and ends: a call still starts and ends on the full queue.
    const other = thread.open(recorder("inbound").options);
    other.flush();
    assert.ok(
      !logged.some((l) => l.event === "analysis_end_refused" || l.event === "analysis_thread_failed"),
    );
    call.flush();
    assert.ok(seen.metrics.length > 0, "what got through was analysed");
  } finally {
    thread.close();
  }
});

Deno.test("Analysis thread - a stopped thread refuses new calls and fails the open ones", async () => {
  const { thread, logged } = threadWith();
  await thread.start();
  const call = thread.open(recorder("outbound").options);
  thread.close();
  assert.throws(() => thread.open(recorder("outbound").options), /stopped/);
  assert.throws(() => call.ingest("outbound", 0, new Uint8Array(160), Date.now()), /stopped/);
  assert.ok(logged.some((l) => l.event === "analysis_fault"), "the fault is logged, not kept quiet");
  call.flush(); // returns at once
});
