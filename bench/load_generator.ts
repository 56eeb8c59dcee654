/**
 * The load generator: plays Twilio for many calls at once, in its own process, over real sockets on
 * 127.0.0.1 (`raw_twilio_call.ts`), configured by `--config` JSON ({@linkcode GeneratorConfig}).
 *
 * - `realtime`: N concurrent calls until `stop` on stdin; `mark` starts a measurement window. Frame k of a call
 *   is due at `t0 + 20k` ms; every 4 ms tick each call writes its due slots (catch-up ones too) in one write.
 *   With several instances call i goes to instance i mod n. Latency calls play the loud agent track and have a
 *   page socket on the instance coaching them and, in a cluster (`remotePages`), one on the next instance (fed
 *   through Redis).
 * - `sequential`: N calls one after another at up to 80× real time, every tenth with a page socket.
 *
 * Prints JSON lines on stdout: `ready`, `marked`, `done`.
 *
 * @module
 */
import { loadConversation } from "./audio.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { randomSid } from "../core/protocol/twilio_messages.ts";
import { readLines } from "./child.ts";
import { type PayloadSet, payloadsOf, RawTwilioCall } from "./raw_twilio_call.ts";
import { cpuMicros, Histogram, round, sleep, summarize, wallMs } from "./stats.ts";

/** What the generator does (the bench passes it as `--config` JSON). */
export interface GeneratorConfig {
  mode: "realtime" | "sequential";
  /** The server's base URL (its public URL too: signatures are over it), and a cluster's instances'. */
  baseUrl: string;
  instanceUrls?: string[];
  /** realtime: latency calls also have a page on the next instance (a cluster's; not a pair's, nothing serves it). */
  remotePages?: boolean;
  authToken: string;
  /** Concurrent calls (realtime), or calls in a row (sequential). */
  calls: number;
  /** realtime: calls that play the loud agent track and have page sockets. */
  latencyCalls?: number;
  /** sequential: stream seconds per call. */
  callSeconds?: number;
  /** realtime: calls start spread over this long, so their frames interleave as real calls do. */
  rampMs?: number;
  /** The generator's life at most, whatever happens. */
  maxSeconds: number;
}

const TICK_MS = 4;
/** Sockets a realtime run opens at once. */
const CONNECT_CONCURRENCY = 32;
/** A call's first frame leaves at least this long after its `start`. */
const START_LEAD_MS = 100;
/** A late call sends at most this many slots per tick while it catches up (bounds one tick's work). */
const MAX_CATCH_UP_SLOTS = 25;
const CLOSE_WAIT_MS = 5000;
/** Fast replay: 8,000 messages/s, under the server's flood limit of 10,000 per stream. */
const FAST_SLOTS_PER_S = 4000;
/** A fast replay waits while more than this is buffered, and gives up after DRAIN_LIMIT_MS of it. */
const FAST_BUFFER_BYTES = 512 * 1024;
const DRAIN_LIMIT_MS = 10_000;

function emit(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Resolves when every promise settled or `ms` passed. */
function settleWithin(promises: Promise<unknown>[], ms: number): Promise<unknown> {
  return Promise.race([Promise.allSettled(promises), sleep(ms)]);
}

/**
 * When a page socket on the instance coaching the call (`local`) or on another (`remote`, a cluster's fan-out)
 * got a suggestion or metrics, after the stream moment it is about; `model`: a tip in a model's words.
 */
interface LatencySample {
  kind: "suggestion" | "metrics";
  where: "local" | "remote";
  ms: number;
  model: boolean;
}

/** Opens a page socket on `baseUrl` following the call, recording into `samples`. */
async function openPage(
  baseUrl: string,
  call: RawTwilioCall,
  where: LatencySample["where"],
  samples: LatencySample[],
) {
  const url = baseUrl.replace(/^http/, "ws") + `/ws/ui/${call.callSid}`;
  const page = new WebSocket(url);
  await new Promise((resolve, reject) => {
    page.onopen = resolve;
    page.onerror = () => reject(new Error(`page socket ${url} failed to open`));
  });
  page.onerror = null;
  page.onmessage = (event) => {
    const arrived = wallMs();
    const { type, data } = JSON.parse(event.data);
    if (
      (type !== "suggestion" && type !== "metrics") || !Number.isFinite(call.t0) || samples.length >= 400_000
    ) return;
    samples.push({
      kind: type,
      where,
      ms: arrived - (call.t0 + data.stream_ms),
      model: data.phrased_by === "model",
    });
  };
  call.pages.push(page);
}

async function runRealtime(config: GeneratorConfig, audio: PayloadSet): Promise<void> {
  const startedAt = wallMs();
  const calls = Array.from(
    { length: config.calls },
    (_, i) => new RawTwilioCall(randomSid("CA", i), i < (config.latencyCalls ?? 0)),
  );
  const instances = config.instanceUrls ?? [config.baseUrl];
  let samples: LatencySample[] = [];
  let firstError = "";
  // Like Twilio, a call sends `start` as soon as its socket is open (the server closes a socket that waits
  // 5 s for it). Its frames begin at its place on the ramp, or just after the open when opening took longer.
  const open = async (call: RawTwilioCall, i: number) => {
    const at = i % instances.length;
    try {
      if (call.loud) await openPage(instances[at], call, "local", samples);
      if (call.loud && config.remotePages && instances.length > 1) {
        await openPage(instances[(at + 1) % instances.length], call, "remote", samples);
      }
      await call.open({ baseUrl: instances[at], authToken: config.authToken });
      const rampAt = startedAt + START_LEAD_MS + (i / calls.length) * (config.rampMs ?? 0);
      call.begin(config.authToken, Math.max(rampAt, wallMs() + START_LEAD_MS));
      call.flush();
    } catch (error) {
      firstError ||= (error as Error).message;
    }
  };
  let next = 0;
  const opener = async () => {
    while (next < calls.length) await open(calls[next], next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, calls.length) }, opener));

  const sendLate = new Histogram(1, 5000);
  let cpuAtMark = cpuMicros();
  let wallAtMark = wallMs();
  const writeWaits = () => calls.reduce((n, call) => n + (call.socket?.writeWaits ?? 0), 0);
  let waitsAtMark = writeWaits();
  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
  let stopping = false;
  // Commands from the benchmark on stdin; EOF counts as `stop`.
  const onCommand = (command: string) => {
    if (command === "mark") {
      sendLate.reset();
      samples.length = 0;
      cpuAtMark = cpuMicros();
      wallAtMark = wallMs();
      waitsAtMark = writeWaits();
      emit("marked");
    } else if (command === "stop") {
      stopping = true;
      finish();
    }
  };
  (async () => {
    for await (const line of readLines(Deno.stdin.readable)) onCommand(line.trim());
    onCommand("stop");
  })();

  const live = calls.filter((call) => call.isOpen);
  const readyAt = live.reduce((last, call) => Math.max(last, call.t0), wallMs());
  let readySent = false;
  const deadline = startedAt + config.maxSeconds * 1000;
  const tick = () => {
    const now = wallMs();
    if (stopping || now > deadline) return finish();
    for (const call of live) {
      if (now < call.t0 || !call.isOpen) continue;
      for (let n = 0; n < MAX_CATCH_UP_SLOTS; n++) {
        const due = call.t0 + call.nextSlot * SLOT_MS;
        if (due > now) break;
        call.sendSlot(call.nextSlot++, audio);
        sendLate.add(now - due);
      }
      call.flush();
    }
    if (!readySent && now >= readyAt) {
      readySent = true;
      emit("ready", { calls: live.length, first_error: firstError });
    }
    setTimeout(tick, TICK_MS);
  };
  tick();
  await finished;

  const windowS = (wallMs() - wallAtMark) / 1000;
  const cpuNow = cpuMicros();
  const waits = writeWaits() - waitsAtMark;
  for (const call of live) call.stop();
  await settleWithin(live.map((call) => call.closed), CLOSE_WAIT_MS);
  const window = samples;
  samples = [];
  for (const call of calls) for (const page of call.pages) page.close();
  const latency = (kind: LatencySample["kind"], where: LatencySample["where"]) =>
    where === "remote" && !(config.remotePages && instances.length > 1)
      ? null
      : summarize(window.filter((s) => s.kind === kind && s.where === where).map((s) => s.ms));
  const closes: Record<string, number> = {};
  for (const { closeCode } of calls) closes[closeCode ?? "open"] = (closes[closeCode ?? "open"] ?? 0) + 1;
  const errors = new Set(calls.flatMap((call) => call.socket?.error ? [call.socket.error.message] : []));
  emit("done", {
    calls: live.length,
    window_s: round(windowS, 2),
    send_late_ms: sendLate.summary(),
    // Flushes that found the call's last write still pending: the server was not reading, or this event loop
    // was starved.
    write_waits: waits,
    socket_errors: [...errors].slice(0, 5),
    cpu_pct: cpuNow === null || cpuAtMark === null ? null : round((cpuNow - cpuAtMark) / 1e4 / windowS, 1),
    closes,
    tip_latency_ms: latency("suggestion", "local"),
    metrics_latency_ms: latency("metrics", "local"),
    remote_tip_latency_ms: latency("suggestion", "remote"),
    remote_metrics_latency_ms: latency("metrics", "remote"),
    tips_phrased_by_model: window.filter((s) => s.kind === "suggestion" && s.model).length,
  });
}

/** Sends `slots` slots of a call at most {@linkcode FAST_SLOTS_PER_S} a second, the socket drained as it goes. */
async function sendFast(call: RawTwilioCall, slots: number, audio: PayloadSet) {
  const startedAt = wallMs();
  for (let k = 0; k < slots; k++) {
    if (!call.isOpen) {
      throw new Error(`call ${call.callSid} closed (${call.closeCode}) at slot ${k} of ${slots}`);
    }
    call.sendSlot(k, audio);
    call.flush();
    call.nextSlot = k + 1;
    if (k % 100 === 99) {
      const ahead = startedAt + ((k + 1) * 1000) / FAST_SLOTS_PER_S - wallMs();
      if (ahead > 0) await sleep(ahead);
      const drainBy = wallMs() + DRAIN_LIMIT_MS;
      while (call.socket!.bufferedBytes > FAST_BUFFER_BYTES) {
        if (wallMs() > drainBy) throw new Error(`server stopped reading call ${call.callSid} at slot ${k}`);
        await sleep(1);
      }
    }
  }
}

async function runSequential(config: GeneratorConfig, audio: PayloadSet): Promise<void> {
  const startedAt = wallMs();
  const deadline = startedAt + config.maxSeconds * 1000;
  const slots = Math.round((config.callSeconds ?? 0) * 1000 / SLOT_MS);
  let done = 0;
  const failures: string[] = [];
  for (let i = 0; i < config.calls && wallMs() < deadline; i++) {
    const call = new RawTwilioCall(randomSid("CA", i), false);
    try {
      // Every tenth call has a page following it, so page subscriptions get cleaned up too.
      if (i % 10 === 0) await openPage(config.baseUrl, call, "local", []);
      await call.open(config);
      call.begin(config.authToken, wallMs());
      await sendFast(call, slots, audio);
      call.stop();
      await settleWithin([call.closed], CLOSE_WAIT_MS);
      done++;
    } catch (error) {
      if (failures.length < 5) failures.push((error as Error).message);
    } finally {
      call.socket?.close();
      for (const page of call.pages) page.close();
    }
  }
  emit("done", { calls: done, failures });
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
  const modes = { realtime: runRealtime, sequential: runSequential };
  if (!(config.mode in modes)) throw new Error(`unknown mode ${config.mode}`);
  await modes[config.mode](config, audio);
  clearTimeout(guard);
  Deno.exit(0);
}
