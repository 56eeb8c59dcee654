/**
 * The analysis thread (a Web Worker started by routes/analysis_thread.ts): every call's
 * {@linkcode CallPipeline} runs here, off the thread that serves the sockets.
 *
 * It reads frames from the input ring, feeds each call's pipeline, and writes metrics, suggestions and
 * each call's last results to the output ring. It wakes every {@linkcode TICK_MS} while calls are open (and
 * at once for a call's end), so a frame waits at most a tick; with no calls it sleeps until woken.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import os from "node:os";
import { SLOT_SAMPLES } from "../core/audio/types.ts";
import { BufferPool } from "../core/buffers.ts";
import type { Suggestion } from "../core/coaching/types.ts";
import { type MetricsData, SUGGESTION_TYPES, type SuggestionType } from "../core/protocol/ui_messages.ts";
import { MAX_MEDIA_BYTES } from "../core/protocol/twilio_messages.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { RecordRing } from "./analysis_ring.ts";
import { lastResortCollector } from "./memory_release.ts";
import {
  type AnalysisWorkerInit,
  type AnalysisWorkerReady,
  BatchLog,
  type CallEnded,
  DELAY_BUCKETS,
  In,
  METRICS_FIELDS,
  Out,
  packMetrics,
  TRACKS,
} from "./analysis_protocol.ts";

/**
 * How often the thread takes the frames that arrived while calls are open: a 20 ms frame of each party of
 * each call per tick, analysed call by call (see `run`). A frame waits a tick at most, plus the batch.
 */
export const TICK_MS = 40;
/** The analysis thread's nice value (0 is the socket thread's; higher yields the core to it). */
export const ANALYSIS_NICE = 5;
/** How long a write waits for the socket thread to make room in the output ring before it retries. */
const OUTPUT_FULL_WAIT_MS = 1;

interface Call {
  id: number;
  pipeline: CallPipeline | null;
  fault: string | null;
  /** Ring offsets of this call's frames in the batch being read, analysed together after the scan. */
  frames: number[];
}

self.onmessage = (event: MessageEvent<AnalysisWorkerInit>) => {
  self.onmessage = null;
  const loop = new AnalysisLoop(event.data);
  const ready: AnalysisWorkerReady = { priority: lowerPriority() };
  loop.started();
  self.postMessage(ready);
  loop.run();
  self.close();
};

/**
 * Gives this thread a lower scheduling priority than the socket thread (Linux: `setpriority` on the
 * thread's own id). When both want the same core, reading the sockets on time matters more: Twilio's
 * frames queue in the kernel and their lateness grows, where the analysis can run a few milliseconds late
 * and catch up from its queue. Returns what was done, for the log.
 */
function lowerPriority(): string {
  let threadId: number;
  try {
    threadId = Number(Deno.readLinkSync("/proc/thread-self").split("/").pop());
  } catch (error) {
    return `unchanged: no /proc/thread-self (${(error as Error).message})`;
  }
  try {
    os.setPriority(threadId, ANALYSIS_NICE);
    return `nice ${os.getPriority(threadId)}`;
  } catch (error) {
    return `unchanged: ${(error as Error).message}`;
  }
}

class AnalysisLoop {
  readonly #input: RecordRing;
  readonly #output: RecordRing;
  readonly #delays: Int32Array;
  readonly #batches: BatchLog;
  readonly #init: AnalysisWorkerInit;
  readonly #calls = new Map<number, Call>();
  readonly #buffers = new BufferPool();
  readonly #frame = new Uint8Array(MAX_MEDIA_BYTES);
  readonly #slotView = this.#frame.subarray(0, SLOT_SAMPLES);
  readonly #metrics = new Float64Array(METRICS_FIELDS);
  readonly #metricsBytes = new Uint8Array(this.#metrics.buffer);
  readonly #encoder = new TextEncoder();
  readonly #visit = (ring: RecordRing, at: number) => this.#record(ring, at);
  /** Calls with frames in the batch being read. */
  readonly #batch: Call[] = [];
  #stopped = false;

  constructor(init: AnalysisWorkerInit) {
    this.#init = init;
    this.#input = new RecordRing(init.input);
    this.#output = new RecordRing(init.output);
    this.#delays = new Int32Array(init.delays);
    this.#batches = new BatchLog(init.batches);
  }

  /**
   * Tells the socket thread through the ring that this thread runs: a call's end blocks that thread, which
   * then sees no message, and must not take a thread still compiling its modules for a stuck one.
   */
  started(): void {
    this.#output.write(Out.Started, 0, 0, 0, 0, null);
    this.#output.notifyWritten();
  }

  run(): void {
    try {
      while (!this.#stopped) {
        // A batch is analysed call by call, not in arrival order: a call's frames of the whole tick then
        // go through its pipeline while its state is in the cache, where arrival order would fetch each
        // call's state from memory once per frame.
        const started = performance.now();
        const records = this.#input.scan(this.#visit);
        this.#analyseBatch();
        this.#input.commit();
        const ended = performance.now();
        if (records > 0) {
          this.#output.notifyWritten();
          this.#batches.add(performance.timeOrigin + started, performance.timeOrigin + ended);
        }
        if (this.#stopped) return;
        const busy = ended - started;
        this.#input.sleep(this.#calls.size > 0 ? Math.max(1, TICK_MS - busy) : Infinity);
      }
    } catch (error) {
      // The socket thread may be blocked waiting for a call's end, where it sees no error event: tell it
      // through the ring too (call id 0 is the thread itself), then die with the error.
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#output.write(Out.Fault, 0, 0, 0, 0, this.#encoder.encode(message));
      this.#output.notifyWritten();
      throw error;
    }
  }

  #record(ring: RecordRing, at: number): void {
    const kind = ring.kind(at);
    const id = ring.callId(at);
    if (kind === In.Frame) {
      const call = this.#calls.get(id);
      if (call === undefined || call.pipeline === null) return;
      if (call.frames.length === 0) this.#batch.push(call);
      call.frames.push(at);
      return;
    }
    if (kind === In.Start) return this.#onStart(id, ring.spare(at));
    if (kind === In.End) return this.#onEnd(id);
    if (kind === In.Release) return lastResortCollector()?.();
    if (kind === In.Stop) this.#stopped = true;
  }

  #analyseBatch(): void {
    const batch = this.#batch;
    for (let i = 0; i < batch.length; i++) this.#analyseFrames(batch[i]);
    batch.length = 0;
  }

  /**
   * Analyses the frames `call` has in the batch (an ending call's, before its end), then reports how far its
   * stream is analysed, after the results those frames gave.
   */
  #analyseFrames(call: Call): void {
    const frames = call.frames;
    if (frames.length === 0) return;
    for (let i = 0; i < frames.length && call.pipeline !== null; i++) {
      this.#onFrame(frames[i], call);
    }
    frames.length = 0;
    if (call.pipeline !== null) this.#send(Out.Progress, call.id, null, call.pipeline.streamMs);
  }

  #onStart(id: number, agentTrack: number): void {
    const call: Call = { id, pipeline: null, fault: null, frames: [] };
    this.#calls.set(id, call);
    try {
      call.pipeline = new CallPipeline({
        agentTrack: TRACKS[agentTrack],
        analysis: this.#init.analysis,
        coaching: this.#init.coaching,
        session: this.#init.session,
        buffers: this.#buffers,
        onSuggestion: (suggestion) => this.#suggest(id, suggestion),
        onTipCleared: (type, streamMs) => this.#cleared(id, type, streamMs),
        onMetrics: (metrics) => this.#sendMetrics(id, metrics),
      });
    } catch (error) {
      this.#fail(call, error);
    }
  }

  #onFrame(at: number, call: Call): void {
    if (call.pipeline === null) return;
    const ring = this.#input;
    const length = ring.copyPayload(at, this.#frame);
    try {
      const pipeline = call.pipeline;
      pipeline.ingest(
        TRACKS[ring.spare(at)],
        ring.a(at),
        length === SLOT_SAMPLES ? this.#slotView : this.#frame.subarray(0, length),
      );
    } catch (error) {
      this.#fail(call, error);
    }
    const delay = Date.now() - ring.b(at);
    Atomics.add(this.#delays, delay < DELAY_BUCKETS ? (delay < 0 ? 0 : Math.floor(delay)) : DELAY_BUCKETS, 1);
  }

  #onEnd(id: number): void {
    const call = this.#calls.get(id);
    this.#calls.delete(id);
    if (call !== undefined) this.#analyseFrames(call);
    const ended: CallEnded = { metrics: null, streamMs: 0, alignment: null };
    const pipeline = call?.pipeline ?? null;
    if (pipeline !== null) {
      try {
        pipeline.flush();
        ended.metrics = pipeline.metrics();
      } catch (error) {
        this.#fail(call!, error);
      } finally {
        ended.streamMs = pipeline.streamMs;
        ended.alignment = { ...pipeline.alignment };
        pipeline.dispose();
      }
    }
    this.#send(Out.Ended, id, this.#encoder.encode(JSON.stringify(ended)));
  }

  #fail(call: Call, error: unknown): void {
    call.fault = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    call.pipeline?.dispose();
    call.pipeline = null;
    this.#send(Out.Fault, call.id, this.#encoder.encode(call.fault));
  }

  #suggest(id: number, suggestion: Suggestion): void {
    this.#send(Out.Suggestion, id, this.#encoder.encode(JSON.stringify(suggestion)));
  }

  #cleared(id: number, type: SuggestionType, streamMs: number): void {
    this.#send(Out.Cleared, id, null, streamMs, SUGGESTION_TYPES.indexOf(type));
  }

  #sendMetrics(id: number, metrics: MetricsData): void {
    packMetrics(metrics, this.#metrics);
    this.#send(Out.Metrics, id, this.#metricsBytes);
  }

  /** Writes a record, waiting for the socket thread to drain the output ring if it is full. */
  #send(kind: number, id: number, payload: Uint8Array | null, a = 0, spare = 0): void {
    while (!this.#output.write(kind, id, spare, a, 0, payload)) {
      this.#output.notifyWritten();
      // Nothing else writes this ring, so this is a plain pause of OUTPUT_FULL_WAIT_MS.
      this.#output.waitForWrite(this.#output.writeOffset, OUTPUT_FULL_WAIT_MS);
    }
  }
}
