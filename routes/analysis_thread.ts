/**
 * Runs every call's analysis on a second thread, so the thread that serves the sockets only reads
 * Twilio's messages and hands their audio over.
 *
 * A thousand calls send a hundred thousand media messages a second. Reading them (the runtime's socket
 * work, then `MediaReader`) takes most of a core here; the analysis, with a thousand calls' state going
 * through the caches, another 15–20 % (docs/performance.md, "Analysing on a second thread"). On one
 * thread the two came close to the whole core. Here, each frame is copied into a shared ring
 * ({@linkcode RecordRing}) with the call's id; the worker (routes/analysis_worker.ts) runs the
 * {@linkcode CallPipeline}s and writes metrics and suggestions to a second ring, which this thread reads
 * every {@linkcode DRAIN_MS} while calls are open and hands to each call's session, in order. A call's end waits for its last results, so a session
 * ends exactly as it would with its pipeline in this thread.
 *
 * If the analysis falls behind by a whole input ring (close to half a second of a thousand calls), frames are
 * dropped and counted; their slots count as silence, as for frames Twilio never delivered. A fault in one
 * call's analysis reaches only that call: its next frame throws and its media socket closes (1011). If
 * the worker itself dies, every call it analysed gets that fault and the next call starts a new one.
 *
 * @module
 */
import type { AnalysisConfig } from "../core/audio/config.ts";
import type { CoachingConfig } from "../core/coaching/config.ts";
import type { Suggestion } from "../core/coaching/types.ts";
import type { TrackName } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import { type MetricsData, SUGGESTION_TYPES, type SuggestionType } from "../core/protocol/ui_messages.ts";
import type { CallPipelineOptions } from "../core/session/call_pipeline.ts";
import type { SessionPipeline } from "../core/session/call_session.ts";
import type { SessionConfig } from "../core/session/config.ts";
import { RecordRing } from "./analysis_ring.ts";
import {
  type AnalysisWorkerInit,
  type AnalysisWorkerReady,
  BatchLog,
  type CallEnded,
  DELAY_BUCKETS,
  In,
  METRICS_FIELDS,
  Out,
  unpackMetrics,
} from "./analysis_protocol.ts";

/** How often this thread collects the worker's results while calls are open. */
export const DRAIN_MS = 5;
/**
 * How long a call's end waits for its last results. The worker is woken at once and is never more than one
 * input ring (close to half a second) behind, so a worker that has not answered by then is stuck or gone: it
 * is given up (its calls fail, the next call starts a new one) instead of stalling every later call's end.
 */
const END_WAIT_MS = 2_000;
/**
 * How long a call's end waits for a worker that has not started yet (it compiles its modules first: tens
 * of ms with a warm cache, seconds on a fresh machine under load) before the end's own wait begins.
 */
const START_WAIT_MS = 30_000;
/**
 * Input ring: about 45,000 frames, close to half a second of a thousand calls (resident from the start).
 * A quarter of that dropped frames while a thousand calls started at once and the worker was still being
 * optimized by V8.
 */
const INPUT_RING_BYTES = 8 * 1024 * 1024;
const OUTPUT_RING_BYTES = 1024 * 1024;
/** Room in the input ring that frames leave for starts and ends (2,000 of them; a quarter of a small ring). */
const CONTROL_RESERVE_BYTES = 64 * 1024;
/** Dropped frames are logged at most this often. */
const DROP_LOG_MS = 10_000;

/** Options for {@linkcode AnalysisThread}. */
export interface AnalysisThreadOptions {
  analysis: AnalysisConfig;
  coaching: CoachingConfig;
  session: SessionConfig;
  log: Logger;
  /** Wall clock, ms since the epoch (the worker measures queue delay with `Date.now()`). */
  now: () => number;
  /** Input ring size in bytes (tests make it small to see frames dropped). */
  inputBytes?: number;
  /** The worker's module (tests give one that fails on cue); default routes/analysis_worker.ts. */
  workerUrl?: URL;
  /** How long a call's end waits for its last results before the worker counts as stuck (ms). */
  endWaitMs?: number;
  /** How long a call's end waits for a worker that has not started yet, before its own wait (ms). */
  startWaitMs?: number;
}

/** How long frames waited for the analysis thread, since the last {@linkcode AnalysisThread.takeQueueDelay}. */
export interface QueueDelay {
  frames: number;
  /** ms, rounded up to the whole ms; `max` is Infinity beyond {@linkcode DELAY_BUCKETS} ms. */
  p50: number;
  p99: number;
  max: number;
}

/**
 * Frames, median, p99 and longest of queue delay counts, as {@linkcode AnalysisThread.takeQueueDelayCounts}
 * adds them up.
 */
export function summarizeQueueDelay(counts: Float64Array): QueueDelay {
  let frames = 0;
  for (let i = 0; i < counts.length; i++) frames += counts[i];
  const at = (share: number) => {
    const rank = Math.ceil(share * frames);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank && seen > 0) return i === DELAY_BUCKETS ? Infinity : i + 1;
    }
    return 0;
  };
  return { frames, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** Shared memory the thread keeps across workers: the queue-delay counts and the batch log. */
interface LastingMemory {
  delays: SharedArrayBuffer;
  batches: SharedArrayBuffer;
}

/** One worker thread analysing the calls of this process. */
export class AnalysisThread {
  readonly #options: AnalysisThreadOptions;
  /** Outlives a worker: a worker started after one died counts and logs on after it. */
  readonly #shared: LastingMemory = {
    delays: new SharedArrayBuffer((DELAY_BUCKETS + 1) * 4),
    batches: new SharedArrayBuffer(BatchLog.BYTES),
  };
  readonly #batches = new BatchLog(this.#shared.batches);
  #worker: WorkerHandle | null = null;
  /** Call ids; 0 stands for the worker itself in its messages. */
  #nextId = 1;
  #dropped = 0;
  #droppedLogged = 0;
  #lastDropLog = -Infinity;
  #closed = false;

  constructor(options: AnalysisThreadOptions) {
    this.#options = options;
  }

  /** Frames dropped because the analysis had fallen a whole ring behind. */
  get droppedFrames(): number {
    return this.#dropped;
  }

  /** Calls being analysed. */
  get openCalls(): number {
    return this.#worker?.calls.size ?? 0;
  }

  /**
   * Starts the worker and resolves once it runs (it compiles its modules first: tens of ms, more under
   * load), so the first call's frames do not wait for that. Calls may open before; their frames queue.
   */
  start(): Promise<void> {
    return this.#running().ready;
  }

  /**
   * Starts one call's analysis; the result is what the call's session feeds and ends.
   *
   * @throws {Error} after {@linkcode close}, or when the worker cannot take the call (its queue is full).
   */
  open(options: CallPipelineOptions): SessionPipeline {
    const worker = this.#running();
    const call = new RemotePipeline(this.#nextId++, worker, options, this);
    if (!worker.send(In.Start, call.id, options.agentTrack === "outbound" ? 1 : 0, 0, 0, null)) {
      throw new Error(
        worker.dead === null
          ? "the analysis thread is a whole queue behind: no new call can start until it catches up"
          : `the analysis thread failed: ${worker.dead}`,
      );
    }
    worker.calls.set(call.id, call);
    worker.input.wake();
    if (worker.calls.size === 1) worker.startDraining();
    return call;
  }

  /** Queue delay of the frames analysed since the last call, then starts counting afresh. */
  takeQueueDelay(): QueueDelay {
    const counts = new Float64Array(DELAY_BUCKETS + 1);
    this.takeQueueDelayCounts(counts);
    return summarizeQueueDelay(counts);
  }

  /**
   * Adds the queue delays since the last call to `into` (per ms up to {@linkcode DELAY_BUCKETS}, then one
   * count for anything longer; {@linkcode summarizeQueueDelay} reads them), then starts counting afresh.
   */
  takeQueueDelayCounts(into: Float64Array): void {
    const counts = new Int32Array(this.#shared.delays);
    for (let i = 0; i < counts.length; i++) into[i] += Atomics.exchange(counts, i, 0);
  }

  /**
   * Hands `visit` each batch of the analysis thread since the last call: when it took the records that had
   * arrived and when it had analysed them (ms, `performance.timeOrigin + performance.now()`). A frame handed
   * over before a batch started was analysed by the time that batch ended (bench/analysis_budget.ts).
   */
  takeBatches(visit: (startMs: number, endMs: number) => void): void {
    this.#batches.take(visit);
  }

  /** Asks the analysis thread to give memory back (the server is idle; see routes/memory_release.ts). */
  releaseMemory(): void {
    const worker = this.#worker;
    if (worker === null || !worker.send(In.Release, 0, 0, 0, 0, null)) return;
    worker.input.wake();
  }

  /** Stops the worker (server shutdown); open calls should have ended first. */
  close(): void {
    this.#closed = true;
    this.#worker?.stop();
    this.#worker = null;
  }

  /** Counts a frame the full ring could not take. */
  dropped(): void {
    this.#dropped++;
    const now = this.#options.now();
    if (now - this.#lastDropLog < DROP_LOG_MS) return;
    this.#options.log.warn("analysis_behind", {
      dropped_frames: this.#dropped - this.#droppedLogged,
      message:
        "the analysis thread is a whole ring behind: frames are dropped (their slots count as silence)",
    });
    this.#droppedLogged = this.#dropped;
    this.#lastDropLog = now;
  }

  /** The worker, started if there is none (the first time, or after one died). */
  #running(): WorkerHandle {
    if (this.#closed) throw new Error("the analysis thread was stopped (server shutting down)");
    if (this.#worker !== null) return this.#worker;
    const handle = new WorkerHandle(this.#options, this.#shared, () => {
      if (this.#worker === handle) this.#worker = null;
    });
    this.#worker = handle;
    return handle;
  }
}

/** One worker, its rings, and the calls it analyses. */
class WorkerHandle {
  readonly input: RecordRing;
  readonly output: RecordRing;
  readonly calls = new Map<number, RemotePipeline>();
  /** Resolves when the worker has started. */
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly log: Logger;
  /** Bytes of the input ring frames leave free for starts and ends. */
  readonly #controlReserve: number;
  readonly #onGone: () => void;
  readonly #endWaitMs: number;
  readonly #startWaitMs: number;
  readonly #metrics = new Float64Array(METRICS_FIELDS);
  readonly #metricsBytes = new Uint8Array(this.#metrics.buffer);
  readonly #decoder = new TextDecoder();
  readonly #visit = (ring: RecordRing, at: number) => this.#result(ring, at);
  #drain: ReturnType<typeof setInterval> | null = null;
  #failStart: (error: Error) => void = () => {};
  #dead: string | null = null;
  /** Whether the worker's `Started` record has been read: until then it is starting, not stuck. */
  #started = false;

  constructor(options: AnalysisThreadOptions, shared: LastingMemory, onGone: () => void) {
    this.log = options.log;
    this.#onGone = onGone;
    this.#endWaitMs = options.endWaitMs ?? END_WAIT_MS;
    this.#startWaitMs = options.startWaitMs ?? START_WAIT_MS;
    const inputBytes = options.inputBytes ?? INPUT_RING_BYTES;
    this.#controlReserve = Math.min(CONTROL_RESERVE_BYTES, Math.floor(inputBytes / 4));
    const input = RecordRing.allocate(inputBytes);
    const output = RecordRing.allocate(OUTPUT_RING_BYTES);
    this.input = new RecordRing(input);
    this.output = new RecordRing(output);
    const url = options.workerUrl ?? new URL("./analysis_worker.ts", import.meta.url);
    this.#worker = new Worker(url, { type: "module" });
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.ready = promise;
    // A worker restarted for a new call is not awaited; #die has logged why it failed.
    promise.catch(() => {});
    this.#failStart = reject;
    this.#worker.onmessage = (event: MessageEvent<AnalysisWorkerReady>) => {
      this.log.info("analysis_thread_started", { priority: event.data.priority });
      resolve();
    };
    this.#worker.onerror = (event) => {
      // Handled here: an unhandled worker error would end the whole process.
      event.preventDefault();
      this.#die(event.message || "the analysis thread failed");
    };
    const init: AnalysisWorkerInit = {
      analysis: options.analysis,
      coaching: options.coaching,
      session: options.session,
      input,
      output,
      delays: shared.delays,
      batches: shared.batches,
    };
    this.#worker.postMessage(init);
  }

  /** Why the worker died, or null while it runs (its calls fail once it has died). */
  get dead(): string | null {
    return this.#dead;
  }

  send(kind: number, id: number, spare: number, a: number, b: number, payload: Uint8Array | null): boolean {
    // Frames leave room for control records, so a call can always start and end on a full queue.
    const reserve = kind === In.Frame ? this.#controlReserve : 0;
    return this.#dead === null && this.input.write(kind, id, spare, a, b, payload, reserve);
  }

  startDraining(): void {
    this.#drain ??= setInterval(() => this.drain(), DRAIN_MS);
  }

  /** Hands every result written so far to its call. */
  drain(): void {
    this.output.read(this.#visit);
    if (this.calls.size === 0 && this.#drain !== null) {
      clearInterval(this.#drain);
      this.#drain = null;
    }
  }

  /**
   * Blocks until `call` has its last results, handling every result meanwhile. A worker that sends nothing
   * for `endWaitMs` is given up: a dying worker's error event cannot arrive while this thread blocks, and a
   * stuck one would make every later call's end wait as long, with every socket of the process unread.
   * A worker that has not started yet is waited for up to `startWaitMs` first: it is not stuck, and giving
   * it up would fail every call that ends while it compiles.
   */
  awaitEnd(call: RemotePipeline): void {
    const begun = performance.now();
    const startBy = begun + this.#startWaitMs;
    let deadline = begun + this.#endWaitMs;
    for (;;) {
      const seen = this.output.writeOffset;
      this.drain();
      if (call.ended || this.#dead !== null) return;
      const now = performance.now();
      if (!this.#started) {
        if (now >= startBy) {
          return this.#die(
            `the thread did not start within ${this.#startWaitMs} ms (call ${call.id} ending)`,
          );
        }
        // A worker still starting has not had the end's time yet.
        deadline = now + this.#endWaitMs;
      }
      const left = deadline - now;
      if (left <= 0) break;
      this.output.waitForWrite(seen, Math.min(left, DRAIN_MS));
    }
    this.#die(
      `no last results for call ${call.id} within ${this.#endWaitMs} ms: the thread is stuck or gone`,
    );
  }

  stop(): void {
    this.input.write(In.Stop, 0, 0, 0, 0, null);
    this.input.wake();
    this.drain();
    if (this.#drain !== null) clearInterval(this.#drain);
    this.#drain = null;
    this.#dead = "stopped (server shutting down)";
    // Calls still open (the server ends its sessions first) fail at their next frame instead of feeding a
    // queue nobody reads.
    for (const call of this.calls.values()) call.deliverFault("the analysis thread was stopped");
    this.calls.clear();
    this.#worker.terminate();
  }

  #result(ring: RecordRing, at: number): void {
    if (ring.callId(at) === 0) {
      // Call id 0 is the thread itself: it has started, or it is dying (the error as UTF-8).
      if (ring.kind(at) === Out.Started) this.#started = true;
      else this.#die(this.#decoder.decode(ring.payload(at)));
      return;
    }
    const call = this.calls.get(ring.callId(at));
    if (call === undefined) return;
    const kind = ring.kind(at);
    if (kind === Out.Progress) return call.deliverProgress(ring.a(at));
    if (kind === Out.Cleared) return call.deliverCleared(SUGGESTION_TYPES[ring.spare(at)], ring.a(at));
    if (kind === Out.Metrics) {
      ring.copyPayload(at, this.#metricsBytes);
      return call.deliverMetrics(unpackMetrics(this.#metrics));
    }
    const text = this.#decoder.decode(ring.payload(at));
    if (kind === Out.Suggestion) return call.deliverSuggestion(JSON.parse(text) as Suggestion);
    if (kind === Out.Fault) return call.deliverFault(text);
    if (kind === Out.Ended) {
      this.calls.delete(call.id);
      call.deliverEnd(JSON.parse(text) as CallEnded);
    }
  }

  #die(message: string): void {
    if (this.#dead !== null) return;
    this.#dead = message;
    this.#failStart(new Error(`the analysis thread failed to start: ${message}`));
    this.log.error("analysis_thread_failed", { error: message, calls: this.calls.size });
    for (const call of this.calls.values()) call.deliverFault(`the analysis thread failed: ${message}`);
    this.calls.clear();
    if (this.#drain !== null) clearInterval(this.#drain);
    this.#drain = null;
    this.#onGone();
    this.#worker.terminate();
  }
}

/** A call whose {@linkcode CallPipeline} runs on the analysis thread. */
class RemotePipeline implements SessionPipeline {
  readonly id: number;
  readonly #worker: WorkerHandle;
  readonly #options: CallPipelineOptions;
  readonly #thread: AnalysisThread;
  #streamMs = 0;
  #metrics: MetricsData | null = null;
  #alignment: Record<string, number> = {};
  #fault: string | null = null;
  #ended = false;

  constructor(id: number, worker: WorkerHandle, options: CallPipelineOptions, thread: AnalysisThread) {
    this.id = id;
    this.#worker = worker;
    this.#options = options;
    this.#thread = thread;
  }

  get streamMs(): number {
    return this.#streamMs;
  }

  get alignment(): Record<string, number> {
    return this.#alignment;
  }

  /** Whether the last results arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Queues one frame for the analysis thread.
   *
   * @throws {Error} when this call's analysis failed (the media socket then closes with 1011).
   */
  ingest(track: TrackName, timestampMs: number, mulaw: Uint8Array, wallNow: number): void {
    if (this.#fault !== null) throw new Error(`the analysis of this call failed: ${this.#fault}`);
    if (this.#ended) throw new Error("this call's analysis has ended");
    if (!this.#worker.send(In.Frame, this.id, track === "outbound" ? 1 : 0, timestampMs, wallNow, mulaw)) {
      if (this.#worker.dead !== null) throw new Error(`the analysis thread failed: ${this.#worker.dead}`);
      this.#thread.dropped();
    }
  }

  /** Asks for the call's last results and waits for them (a few ms: the worker is woken at once). */
  flush(): void {
    if (this.#ended || this.#worker.dead !== null) return;
    if (!this.#worker.send(In.End, this.id, 0, 0, 0, null)) {
      // Only thousands of starts and ends at once fill the room frames leave for them.
      this.#worker.log.error("analysis_end_refused", {
        call: this.id,
        message: "the analysis queue is full even for a call's end; the call ends without its last results",
      });
      return;
    }
    this.#worker.input.wake();
    this.#worker.awaitEnd(this);
  }

  metrics(): MetricsData | null {
    return this.#metrics;
  }

  dispose(): void {
    this.#ended = true;
    this.#worker.calls.delete(this.id);
  }

  deliverMetrics(metrics: MetricsData): void {
    this.#streamMs = metrics.stream_ms;
    this.#metrics = metrics;
    this.#options.onMetrics(metrics);
  }

  deliverProgress(streamMs: number): void {
    this.#streamMs = streamMs;
  }

  deliverSuggestion(suggestion: Suggestion): void {
    this.#options.onSuggestion(suggestion);
  }

  deliverCleared(type: SuggestionType, streamMs: number): void {
    this.#options.onTipCleared?.(type, streamMs);
  }

  deliverFault(message: string): void {
    if (this.#fault !== null) return;
    this.#fault = message;
    this.#worker.log.error("analysis_fault", { call: this.id, error: message });
  }

  deliverEnd(ended: CallEnded): void {
    this.#ended = true;
    // A call whose analysis failed reports 0; keep what it reported before.
    this.#streamMs = Math.max(this.#streamMs, ended.streamMs);
    if (ended.metrics !== null) this.#metrics = ended.metrics;
    if (ended.alignment !== null) this.#alignment = ended.alignment;
  }
}
