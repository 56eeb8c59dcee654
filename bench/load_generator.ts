/**
 * The load generator: plays Twilio for many calls at once, in its own process, over real WebSockets on
 * 127.0.0.1. Each call opens `/ws/twilio/media/{CallSid}` with the `x-twilio-signature` header Twilio
 * would send, `start`s with the per-call token (`streamToken(authToken, callSid)`), then sends both
 * tracks at 50 frames/s each, paced by absolute wall time (frame k of a call leaves at `t0 + 20k` ms;
 * a late generator catches up rather than drifting).
 *
 * Modes (`--config` JSON, see {@linkcode GeneratorConfig}):
 * - `realtime`: N concurrent calls until `stop` arrives on stdin (or `maxSeconds`). With several
 *   `instanceUrls` (a cluster) call i's media goes to instance i mod n. Latency calls also open a page
 *   socket `/ws/ui/{CallSid}` (Deno's `WebSocket`) on the instance coaching them ("local") and, in a
 *   cluster, a second one on the next instance ("remote", fed through Redis), and play the loud agent
 *   track; the arrival of their suggestions and metrics is compared with `t0 + stream_ms`. `mark` on stdin
 *   starts a new measurement window. Media sockets use the raw-TCP client (`raw_twilio_call.ts`) unless `transport` is
 *   `"websocket"`: every 4 ms tick, each call whose slots are due queues them (both tracks, catch-up
 *   slots too) and flushes them in one write. Each call sends `connected` and `start` right after its
 *   socket opens, as Twilio does; its frames start at its place on the ramp.
 * - `sequential`: N short calls one after another, each sent at up to 80× real time; every tenth also opens
 *   a page socket unless `pages` is false.
 * - `burst`: one long call sent at 80× real time (under the server's flood limit); prints `halfway` and
 *   waits for `continue`.
 *
 * Prints JSON lines on stdout: `ready`, `halfway`, `progress`, `done`.
 *
 * @module
 */
import { loadConversation } from "./audio.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { randomSid } from "../core/protocol/twilio_messages.ts";
import { readLines } from "./child.ts";
import { RawTwilioCall } from "./raw_twilio_call.ts";
import { cpuMicros, Histogram, round, summarize, wallMs } from "./stats.ts";
import {
  type MediaCall,
  type PayloadSet,
  payloadsOf,
  sendFast,
  settleWithin,
  TwilioCall,
} from "./twilio_call.ts";

/** What the generator does. */
export interface GeneratorConfig {
  mode: "realtime" | "sequential" | "burst";
  /** Server base URL, `http://127.0.0.1:PORT` (also the server's public URL: signatures are over it). */
  baseUrl: string;
  /** realtime: every instance's base URL when the server is a cluster (default `[baseUrl]`). */
  instanceUrls?: string[];
  authToken: string;
  /** realtime: concurrent calls; sequential: calls in a row; burst: ignored (one call). */
  calls: number;
  /** realtime: calls that get a page socket and the loud agent track. */
  latencyCalls: number;
  /** sequential and burst: stream seconds per call. */
  callSeconds: number;
  /** Calls start spread over this long (realtime), so their frames interleave as real calls do. */
  rampMs: number;
  /** Hard limit on the generator's life, whatever happens. */
  maxSeconds: number;
  /** Sockets being opened at once. */
  connectConcurrency: number;
  /**
   * realtime: the media sockets' client. `raw` (default): raw TCP, one write per call per tick;
   * `websocket`: Deno's `WebSocket`, one op and write per message (the generator before `raw` existed).
   * sequential and burst always use `websocket`.
   */
  transport?: GeneratorTransport;
  /**
   * sequential: every tenth call also opens a page socket `/ws/ui/{CallSid}` (default true); false for a
   * server without that route (the bare baseline).
   */
  pages?: boolean;
}

/** Clients the realtime mode can send media with. */
export type GeneratorTransport = "raw" | "websocket";
export const GENERATOR_TRANSPORTS: readonly GeneratorTransport[] = ["raw", "websocket"];

const TICK_MS = 4;
/** A call's first frame leaves at least this long after its `start`. */
const START_LEAD_MS = 100;
/** A late call sends at most this many slots per tick while it catches up (bounds one tick's work). */
const MAX_CATCH_UP_SLOTS = 25;
const CLOSE_WAIT_MS = 5000;

function emit(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Runs `task` over `items` with at most `limit` at once. */
async function withLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function closeCounts(calls: readonly MediaCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    const key = call.closeCode === null ? "open" : String(call.closeCode);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Opens a page socket on `baseUrl` following `callSid` and records how late its suggestions and metrics
 * arrive into `samples`, as seen from `where`.
 */
async function openPage(
  baseUrl: string,
  call: MediaCall,
  where: PageSide,
  samples: LatencySample[],
): Promise<WebSocket> {
  const url = baseUrl.replace(/^http/, "ws") + `/ws/ui/${call.callSid}`;
  const page = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    page.onopen = () => resolve();
    page.onerror = () => reject(new Error(`page socket ${url} failed to open`));
  });
  page.onerror = null;
  page.onmessage = (event) => {
    const arrived = wallMs();
    const message = JSON.parse(event.data);
    if ((message.type !== "suggestion" && message.type !== "metrics") || !Number.isFinite(call.t0)) return;
    if (samples.length < 400_000) {
      samples.push({
        kind: message.type,
        where,
        rule: message.type === "suggestion" ? message.data.type : "",
        ms: arrived - (call.t0 + message.data.stream_ms),
        model: message.type === "suggestion" && message.data.phrased_by === "model",
      });
    }
  };
  return page;
}

/** A page on the instance coaching the call, or on another one (a cluster's fan-out). */
type PageSide = "local" | "remote";

interface LatencySample {
  kind: "suggestion" | "metrics";
  where: PageSide;
  rule: string;
  ms: number;
  /** The tip came in a model's words (the AI phrasing was on and answered in time). */
  model: boolean;
}

/** The latency of one kind of message on one side; null when no such page was open. */
function latencyOf(samples: readonly LatencySample[], kind: LatencySample["kind"], where: PageSide) {
  return summarize(samples.filter((s) => s.kind === kind && s.where === where).map((s) => s.ms));
}

/** Commands from the benchmark on stdin; EOF counts as `stop`. */
function listenForCommands(on: (command: string) => void): void {
  (async () => {
    for await (const line of readLines(Deno.stdin.readable)) on(line.trim());
    on("stop");
  })();
}

/** Write counters of the raw client, summed over calls (zero for the `websocket` transport). */
interface WriteTotals {
  writes: number;
  writeWaits: number;
  partialWrites: number;
  pingsAnswered: number;
}

function writeTotals(calls: readonly MediaCall[]): WriteTotals {
  const totals: WriteTotals = { writes: 0, writeWaits: 0, partialWrites: 0, pingsAnswered: 0 };
  for (const call of calls) {
    if (!(call instanceof RawTwilioCall) || call.socket === null) continue;
    totals.writes += call.socket.writes;
    totals.writeWaits += call.socket.writeWaits;
    totals.partialWrites += call.socket.partialWrites;
    totals.pingsAnswered += call.socket.pingsAnswered;
  }
  return totals;
}

/** Errors the raw client recorded (I/O, protocol), first few distinct ones. */
function socketErrors(calls: readonly MediaCall[]): string[] {
  const errors = new Set<string>();
  for (const call of calls) {
    if (call instanceof RawTwilioCall && call.socket?.error) errors.add(call.socket.error.message);
    if (errors.size >= 5) break;
  }
  return [...errors];
}

async function runRealtime(config: GeneratorConfig, audio: PayloadSet): Promise<void> {
  const startedAt = wallMs();
  const transport = config.transport ?? "raw";
  if (!GENERATOR_TRANSPORTS.includes(transport)) throw new Error(`unknown transport ${transport}`);
  const calls: MediaCall[] = Array.from({ length: config.calls }, (_, i) => {
    const callSid = randomSid("CA", i);
    const loud = i < config.latencyCalls;
    return transport === "raw" ? new RawTwilioCall(callSid, loud) : new TwilioCall(callSid, loud);
  });
  const instances = config.instanceUrls ?? [config.baseUrl];
  const instanceOf = new Map(calls.map((call, i) => [call, i % instances.length]));
  let latency: LatencySample[] = [];
  let failedOpens = 0;
  let firstError = "";
  // Like Twilio, a call sends `start` as soon as its socket is open (the server closes a socket that waits
  // 5 s for it). Its frames begin at its place on the ramp, or just after the open when opening took longer.
  const base = startedAt + START_LEAD_MS;
  const rampAt = new Map(calls.map((call, i) => [call, base + (i / calls.length) * config.rampMs]));
  await withLimit(calls, config.connectConcurrency, async (call) => {
    const at = instanceOf.get(call)!;
    try {
      if (call.loud) {
        call.pages.push(await openPage(instances[at], call, "local", latency));
        if (instances.length > 1) {
          call.pages.push(await openPage(instances[(at + 1) % instances.length], call, "remote", latency));
        }
      }
      await call.open({ baseUrl: instances[at], authToken: config.authToken });
      call.begin(config.authToken, Math.max(rampAt.get(call)!, wallMs() + START_LEAD_MS));
      call.flush();
    } catch (error) {
      failedOpens++;
      firstError ||= (error as Error).message;
    }
  });
  const openMs = wallMs() - startedAt;

  const sendLate = new Histogram(1, 5000);
  let sent = 0;
  let cpuAtMark = cpuMicros();
  let wallAtMark = wallMs();
  let writesAtMark = writeTotals(calls);
  let stopping = false;
  let markDone!: () => void;
  const finished = new Promise<void>((resolve) => markDone = resolve);
  listenForCommands((command) => {
    if (command === "mark") {
      sendLate.reset();
      latency.length = 0;
      sent = 0;
      cpuAtMark = cpuMicros();
      wallAtMark = wallMs();
      writesAtMark = writeTotals(calls);
      emit("marked");
    } else if (command === "stop" && !stopping) {
      stopping = true;
      markDone();
    }
  });

  const live = calls.filter((call) => call.isOpen);
  const readyAt = live.reduce((last, call) => Math.max(last, call.t0), wallMs());
  let readySent = false;
  const deadline = startedAt + config.maxSeconds * 1000;
  let maxBuffered = 0;
  let ticks = 0;

  const tick = () => {
    if (stopping) return;
    const now = wallMs();
    if (now > deadline) {
      stopping = true;
      markDone();
      return;
    }
    for (const call of live) {
      if (now < call.t0 || !call.isOpen) continue;
      for (let n = 0; n < MAX_CATCH_UP_SLOTS; n++) {
        const due = call.t0 + call.nextSlot * SLOT_MS;
        if (due > now) break;
        call.sendSlot(call.nextSlot++, audio);
        sendLate.add(now - due);
        sent += 2;
      }
      // One write for everything this call queued this tick (the raw client; a no-op for `websocket`).
      call.flush();
      if (ticks % 25 === 0) {
        // Sampled every 100 ms: for `websocket` reading it is a call into the runtime, too costly per tick.
        const buffered = call.bufferedBytes;
        if (buffered > maxBuffered) maxBuffered = buffered;
      }
    }
    ticks++;
    if (!readySent && now >= readyAt) {
      readySent = true;
      emit("ready", {
        calls: live.length,
        failed_opens: failedOpens,
        first_error: firstError,
        open_ms: round(openMs, 0),
      });
    }
    setTimeout(tick, TICK_MS);
  };
  if (live.length === 0) {
    emit("ready", {
      calls: 0,
      failed_opens: failedOpens,
      first_error: firstError,
      open_ms: round(openMs, 0),
    });
  } else tick();
  await finished;

  const windowS = (wallMs() - wallAtMark) / 1000;
  const cpuNow = cpuMicros();
  const writesNow = writeTotals(calls);
  for (const call of live) call.stop();
  await settleWithin(live.map((call) => call.closed), CLOSE_WAIT_MS);
  const samples = latency;
  latency = [];
  for (const call of calls) for (const page of call.pages) page.close();
  const remote = instances.length > 1;
  emit("done", {
    calls: live.length,
    failed_opens: failedOpens,
    first_error: firstError,
    window_s: round(windowS, 2),
    frames_sent: sent,
    send_late_ms: sendLate.summary(),
    max_buffered_bytes: maxBuffered,
    transport,
    // Raw client, over the window: writes started, flushes that found the call's last write still pending
    // (full socket buffer: the server was not reading; or this event loop was starved), partial writes.
    writes: writesNow.writes - writesAtMark.writes,
    write_waits: writesNow.writeWaits - writesAtMark.writeWaits,
    partial_writes: writesNow.partialWrites - writesAtMark.partialWrites,
    max_queued_bytes: calls.reduce(
      (max, call) =>
        call instanceof RawTwilioCall && call.socket ? Math.max(max, call.socket.maxQueuedBytes) : max,
      0,
    ),
    pings_answered: writesNow.pingsAnswered,
    socket_errors: socketErrors(calls),
    cpu_pct: cpuNow === null || cpuAtMark === null ? null : round((cpuNow - cpuAtMark) / 1e4 / windowS, 1),
    closes: closeCounts(calls),
    tip_latency_ms: latencyOf(samples, "suggestion", "local"),
    metrics_latency_ms: latencyOf(samples, "metrics", "local"),
    remote_tip_latency_ms: remote ? latencyOf(samples, "suggestion", "remote") : null,
    remote_metrics_latency_ms: remote ? latencyOf(samples, "metrics", "remote") : null,
    tip_rules: countBy(samples.filter((s) => s.kind === "suggestion").map((s) => s.rule)),
    tips_phrased_by_model: samples.filter((s) => s.kind === "suggestion" && s.model).length,
  });
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function runSequential(config: GeneratorConfig, audio: PayloadSet): Promise<void> {
  const startedAt = wallMs();
  const deadline = startedAt + config.maxSeconds * 1000;
  const slots = Math.round(config.callSeconds * 1000 / SLOT_MS);
  let done = 0;
  const failures: string[] = [];
  const closes: Record<string, number> = {};
  for (let i = 0; i < config.calls && wallMs() < deadline; i++) {
    const call = new TwilioCall(randomSid("CA", i), false);
    try {
      // Every tenth call also has a page following it (if asked), so page subscriptions get cleaned up too.
      if (config.pages !== false && i % 10 === 0) {
        call.pages.push(await openPage(config.baseUrl, call, "local", []));
      }
      await call.open(config);
      call.begin(config.authToken, wallMs());
      await sendFast(call, slots, audio);
      call.stop();
      await settleWithin([call.closed], CLOSE_WAIT_MS);
      done++;
    } catch (error) {
      if (failures.length < 5) failures.push((error as Error).message);
    } finally {
      if (call.isOpen) call.socket!.close();
      for (const page of call.pages) page.close();
      const key = String(call.closeCode ?? "open");
      closes[key] = (closes[key] ?? 0) + 1;
    }
    if (i % 200 === 199) emit("progress", { calls: i + 1 });
  }
  emit("done", { calls: done, failures, closes, ms: round(wallMs() - startedAt, 0) });
}

async function runBurst(config: GeneratorConfig, audio: PayloadSet): Promise<void> {
  const startedAt = wallMs();
  const slots = Math.round(config.callSeconds * 1000 / SLOT_MS);
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => resume = resolve);
  listenForCommands((command) => {
    if (command === "continue" || command === "stop") resume();
  });
  const call = new TwilioCall(randomSid("CA", 0), false);
  await call.open(config);
  call.begin(config.authToken, wallMs());
  await sendFast(call, slots, audio, async () => {
    emit("halfway", { slots: call.nextSlot });
    await resumed;
  });
  call.stop();
  await settleWithin([call.closed], CLOSE_WAIT_MS);
  emit("done", { calls: 1, slots, close: call.closeCode, ms: round(wallMs() - startedAt, 0) });
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--config");
  if (at < 0) throw new Error('usage: load_generator.ts --config \'{"mode":"realtime",…}\'');
  const config = JSON.parse(Deno.args[at + 1]) as GeneratorConfig;
  const audio = payloadsOf(await loadConversation());
  // The hard limit: whatever the benchmark does, this process ends.
  const guard = setTimeout(() => {
    emit("error", { message: `generator exceeded maxSeconds=${config.maxSeconds}` });
    Deno.exit(3);
  }, (config.maxSeconds + 15) * 1000);
  if (config.mode === "realtime") await runRealtime(config, audio);
  else if (config.mode === "sequential") await runSequential(config, audio);
  else if (config.mode === "burst") await runBurst(config, audio);
  else throw new Error(`unknown mode ${config.mode}`);
  clearTimeout(guard);
  Deno.exit(0);
}
