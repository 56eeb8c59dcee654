/**
 * `deno task soak [--seconds 120] [--concurrency 6] [--speed 12] [--seed 1] [--json FILE]`
 *
 * Calls start and end at random against one server at high speed, with the faults a live deployment sees
 * injected: the status callback before, after (twice) or instead of `stop`, the media socket dropped or
 * hanging without `stop`, and the agent page dropping and coming back mid-call. Faults go round in
 * {@linkcode FAULTS} order (call n gets fault n mod 7), so every fault is injected in every run: the soak
 * starts calls until each one has been, even past a very short budget. Scenarios and timings stay
 * random. It reports calls completed (per fault), tips delivered against expected, errors, and memory at
 * the end; exit code 1 when anything is off or a fault was never injected. Loopback only; every loop is
 * bounded by the wall-time budget.
 *
 * @module
 */
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/log.ts";
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import { type RunningServer, startServer } from "../server/start.ts";
import { buildScenarios, type Scenario, type ScenarioName } from "../simulator/scenarios.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { seededRandom, SpeechTrack } from "../simulator/synth.ts";
import { MediaMessageFactory, randomSid } from "../core/protocol/twilio_messages.ts";
import {
  openMediaSocket,
  parseStreamTwiml,
  postWebhook,
  type WebhookTarget,
} from "../simulator/twilio_client.ts";
import { judgeTips } from "../simulator/verdict.ts";

/** The faults a call may get. `none` is a clean call. */
export const FAULTS = [
  "none",
  "status_before_stop",
  "status_after_stop_twice",
  "status_without_stop",
  "media_dropped",
  "media_hangs",
  "page_drops",
] as const;
export type Fault = (typeof FAULTS)[number];
/** How the server must see each call end: the fault shows in the `call_ended` reason. */
const END_REASON: Record<Fault, string> = {
  none: "stream_stopped",
  status_before_stop: "call_completed",
  status_after_stop_twice: "stream_stopped",
  status_without_stop: "call_completed",
  media_dropped: "media_socket_closed",
  media_hangs: "idle_timeout",
  page_drops: "stream_stopped",
};
/** Faults after which the whole script was played, so its expected tips must all arrive. */
const FULL_AUDIO: ReadonlySet<Fault> = new Set([
  "none",
  "status_before_stop",
  "status_after_stop_twice",
  "page_drops",
]);
const SCENARIOS: ScenarioName[] = ["normal", "fast", "slow", "loud", "soft", "interrupt", "silence", "tense"];
const IDLE_TIMEOUT_MS = 1500;

/** Soak options. */
export interface SoakOptions {
  seconds: number;
  concurrency: number;
  speed: number;
  seed: number;
  print: (line: string) => void;
}

/** What one call did. */
interface CallOutcome {
  fault: Fault;
  /** Whether the fault really happened (e.g. the socket was still open when the callback came). */
  injected: boolean;
  audioMs: number;
  ended: number;
  endReason: string | null;
  expected: number;
  delivered: number;
  unexpected: number;
  error: string | null;
}

/** The soak's findings. */
export interface SoakReport {
  calls: number;
  completed: number;
  audioMinutes: number;
  /**
   * Per fault (every fault of {@linkcode FAULTS} is a key): calls that got it, calls where it really
   * happened, and calls that completed cleanly.
   */
  byFault: Record<Fault, { calls: number; injected: number; completed: number }>;
  /** Faults that never really happened in any call (empty in a good run). */
  faultsMissed: Fault[];
  tipsExpected: number;
  tipsDelivered: number;
  tipsUnexpected: number;
  errors: string[];
  serverErrors: number;
  rssMb: number;
  heapMb: number;
  registrySize: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the soak against a server it starts in this process. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const random = seededRandom(options.seed);
  const serverErrors: string[] = [];
  const log = createLogger({
    level: "error",
    now: () => new Date(),
    write: (line) => serverErrors.push(line),
  });
  const settings = { session: { idleTimeoutMs: IDLE_TIMEOUT_MS, endGraceMs: 500 } };
  const server = await startServer(loadConfig({ PORT: "0", COACH_SETTINGS: JSON.stringify(settings) }), {
    hostname: "127.0.0.1",
    log,
  });
  const scenarios = buildScenarios(server.config.coaching);
  const outcomes: CallOutcome[] = [];
  const deadline = performance.now() + options.seconds * 1000;
  let started = 0;
  try {
    const worker = async () => {
      // Every fault is injected at least once, however short the budget.
      while (performance.now() < deadline - 2_000 || started < FAULTS.length) {
        await sleep(random() * 300); // calls start at random moments
        const fault = faultOfCall(started++);
        const scenario = scenarios[SCENARIOS[Math.floor(random() * SCENARIOS.length)]];
        const outcome = await playCall(server, scenario, fault, options.speed, random, deadline);
        outcomes.push(outcome);
        if (outcome.error) options.print(`  ${fault} ${scenario.name}: ${outcome.error}`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    await sleep(settings.session.endGraceMs + 1_200);
    server.registry.sweep(Date.now());
    const memory = Deno.memoryUsage();
    return summarize(outcomes, serverErrors.length, memory, server.registry.size);
  } finally {
    await server.shutdown();
  }
}

/** The fault of the `n`th call started (from 0): round-robin, so the first 7 calls get all 7. */
export function faultOfCall(n: number): Fault {
  return FAULTS[n % FAULTS.length];
}

async function playCall(
  server: RunningServer,
  scenario: Scenario,
  fault: Fault,
  speed: number,
  random: () => number,
  deadline: number,
): Promise<CallOutcome> {
  const callSid = randomSid("CA");
  const outcome: CallOutcome = {
    fault,
    injected: false,
    audioMs: 0,
    ended: 0,
    endReason: null,
    expected: 0,
    delivered: 0,
    unexpected: 0,
    error: null,
  };
  const target: WebhookTarget = { url: server.url, publicUrl: server.url, authToken: server.authToken };
  const status = async () => {
    const response = await postWebhook(target, "/webhooks/twilio/voice/status", {
      CallSid: callSid,
      CallStatus: "completed",
    });
    await response.body?.cancel();
    if (response.status !== 204) throw new Error(`status callback answered ${response.status}`);
  };
  const tips = new Map<string, SuggestionData>();
  let page: WebSocket | null = null;
  const openPage = async () => {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/ws/ui/${callSid}`);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "suggestion") {
        tips.set(`${message.data.stream_ms}:${message.data.type}`, message.data);
      }
      if (message.type === "hello") {
        for (const s of message.sessions[0]?.suggestions ?? []) {
          tips.set(`${s.stream_ms}:${s.type}`, s);
        }
      }
      if (message.type === "call_ended") {
        outcome.ended++;
        outcome.endReason = message.reason;
      }
    };
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("page socket failed to open"));
    });
    return socket;
  };
  let media: WebSocket | null = null;
  try {
    const voice = await postWebhook(target, "/webhooks/twilio/voice", {
      CallSid: callSid,
      From: "+15555550100",
    });
    const stream = parseStreamTwiml(await voice.text());
    page = await openPage();
    media = await openMediaSocket(stream.url, stream.url, server.authToken);
    const messages = new MediaMessageFactory({
      streamSid: randomSid("MZ"),
      callSid,
      accountSid: randomSid("AC"),
    });
    media.send(messages.connected());
    media.send(messages.start(["inbound", "outbound"], stream.parameters));
    const agent = new SpeechTrack(scenario.agent, { seed: 3 });
    const customer = new SpeechTrack(scenario.customer, { seed: 4 });
    const frames = Math.ceil(scenario.durationMs / SLOT_MS);
    const cutAt = FULL_AUDIO.has(fault) ? frames : Math.floor(frames * (0.3 + 0.6 * random()));
    const pageDropAt = Math.floor(frames * 0.4);
    const pageBackAt = Math.floor(frames * 0.55);
    let pageCameBack = false;
    const started = performance.now();
    for (let k = 0; k < cutAt && media.readyState === WebSocket.OPEN; k++) {
      if (performance.now() > deadline + 30_000) throw new Error("soak budget exceeded");
      media.send(messages.media("outbound", k * SLOT_MS, agent.nextFrame()));
      media.send(messages.media("inbound", k * SLOT_MS, customer.nextFrame()));
      outcome.audioMs = (k + 1) * SLOT_MS;
      if (fault === "page_drops" && k === pageDropAt) page.close();
      if (fault === "page_drops" && k === pageBackAt) {
        page = await openPage();
        pageCameBack = true;
      }
      const ahead = started + (k * SLOT_MS) / speed - performance.now();
      if (ahead > 2 || k % 50 === 49) await sleep(Math.max(0, ahead));
    }
    const mediaClosed = new Promise((resolve) => media!.addEventListener("close", resolve, { once: true }));
    const mediaOpen = () => media!.readyState === WebSocket.OPEN;
    switch (fault) {
      case "none":
        media.send(messages.stop());
        await mediaClosed;
        await status();
        outcome.injected = true;
        break;
      case "page_drops":
        media.send(messages.stop());
        await mediaClosed;
        await status();
        outcome.injected = pageCameBack;
        break;
      case "status_before_stop": {
        await sleep(300); // let the last frames land, as Twilio's callback trails the audio
        const openAtStatus = mediaOpen();
        await status();
        if (mediaOpen()) media.send(messages.stop());
        outcome.injected = openAtStatus;
        break;
      }
      case "status_after_stop_twice":
        media.send(messages.stop());
        await mediaClosed;
        await status();
        await status();
        outcome.injected = true;
        break;
      case "status_without_stop":
        outcome.injected = mediaOpen();
        await status();
        break;
      case "media_dropped":
        outcome.injected = mediaOpen();
        media.close();
        break;
      case "media_hangs":
        outcome.injected = mediaOpen();
        await sleep(IDLE_TIMEOUT_MS + 1_500); // the socket stays open, silent
        break;
    }
    const waitEnd = performance.now() + IDLE_TIMEOUT_MS + 3_000;
    while (outcome.ended === 0 && performance.now() < waitEnd) await sleep(20);
    await sleep(100); // a second call_ended would show up here
    if (outcome.ended !== 1) throw new Error(`${outcome.ended} call_ended messages (want exactly 1)`);
    if (outcome.endReason !== END_REASON[fault]) {
      throw new Error(`the call ended with ${outcome.endReason}, not ${END_REASON[fault]}`);
    }
    if (FULL_AUDIO.has(fault)) {
      const seen = [...tips.values()].map((t) => ({ type: t.type, streamMs: t.stream_ms }));
      const verdict = judgeTips(scenario.expect, scenario.tolerate, seen);
      outcome.expected = scenario.expect.length;
      outcome.delivered = verdict.matched.length;
      outcome.unexpected = verdict.unexpected.length;
      if (!verdict.ok) {
        throw new Error(
          `tips off: ${verdict.missing.length} missing, ${verdict.unexpected.length} unexpected`,
        );
      }
    }
  } catch (error) {
    outcome.error = (error as Error).message;
  } finally {
    if (media?.readyState === WebSocket.OPEN) media.close();
    if (page?.readyState === WebSocket.OPEN) page.close();
  }
  return outcome;
}

function summarize(
  outcomes: CallOutcome[],
  serverErrors: number,
  memory: Deno.MemoryUsage,
  registrySize: number,
) {
  const byFault = Object.fromEntries(
    FAULTS.map((f) => [f, { calls: 0, injected: 0, completed: 0 }]),
  ) as SoakReport["byFault"];
  for (const o of outcomes) {
    byFault[o.fault].calls++;
    if (o.injected) byFault[o.fault].injected++;
    if (!o.error) byFault[o.fault].completed++;
  }
  const sum = (pick: (o: CallOutcome) => number) => outcomes.reduce((total, o) => total + pick(o), 0);
  const errors = outcomes.filter((o) => o.error).map((o) => `${o.fault}: ${o.error}`);
  const report: SoakReport = {
    calls: outcomes.length,
    completed: outcomes.length - errors.length,
    audioMinutes: sum((o) => o.audioMs) / 60_000,
    byFault,
    faultsMissed: FAULTS.filter((f) => byFault[f].injected === 0),
    tipsExpected: sum((o) => o.expected),
    tipsDelivered: sum((o) => o.delivered),
    tipsUnexpected: sum((o) => o.unexpected),
    errors,
    serverErrors,
    rssMb: memory.rss / 2 ** 20,
    heapMb: memory.heapUsed / 2 ** 20,
    registrySize,
    ok: false,
  };
  report.ok = errors.length === 0 && serverErrors === 0 && registrySize === 0 && report.calls > 0 &&
    report.faultsMissed.length === 0 && report.tipsDelivered === report.tipsExpected;
  return report;
}

/** The report as a few lines of text. */
export function formatSoakReport(report: SoakReport, minAudioMinutes: number): string[] {
  const lines = [
    `calls: ${report.calls} started, ${report.completed} completed cleanly`,
    `call audio: ${report.audioMinutes.toFixed(1)} min (target ≥ ${minAudioMinutes})`,
    `  ${"fault".padEnd(24)} completed/calls (injected)`,
    ...Object.entries(report.byFault).map(([fault, n]) =>
      `  ${fault.padEnd(24)} ${n.completed}/${n.calls} (${n.injected})`
    ),
    ...(report.faultsMissed.length ? [`faults never injected: ${report.faultsMissed.join(", ")}`] : []),
    `tips: ${report.tipsDelivered} delivered of ${report.tipsExpected} expected, ${report.tipsUnexpected} unexpected`,
    `errors: ${report.errors.length} in calls, ${report.serverErrors} logged by the server`,
    `memory at the end: RSS ${report.rssMb.toFixed(0)} MB, heap ${report.heapMb.toFixed(1)} MB; ` +
    `registry ${report.registrySize} sessions`,
  ];
  return [...lines, ...report.errors.slice(0, 10).map((e) => `  error: ${e}`)];
}

function parseArgs(args: string[]): SoakOptions & { json?: string; minAudioMinutes: number } {
  const value = (name: string, fallback: number) => {
    const index = args.indexOf(`--${name}`);
    const parsed = index >= 0 ? Number(args[index + 1]) : fallback;
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} needs a positive number`);
    return parsed;
  };
  const jsonIndex = args.indexOf("--json");
  return {
    seconds: value("seconds", 120),
    concurrency: value("concurrency", 6),
    speed: value("speed", 12),
    seed: value("seed", 1),
    minAudioMinutes: value("min-audio-minutes", 30),
    json: jsonIndex >= 0 ? args[jsonIndex + 1] : undefined,
    print: console.log,
  };
}

if (import.meta.main) {
  const options = parseArgs(Deno.args);
  console.log(
    `Soak: ${options.seconds} s, ${options.concurrency} calls at a time, ${options.speed}× real time, seed ${options.seed}`,
  );
  const report = await runSoak(options);
  for (const line of formatSoakReport(report, options.minAudioMinutes)) console.log(line);
  if (options.json) await Deno.writeTextFile(options.json, JSON.stringify(report, null, 2));
  const enoughAudio = report.audioMinutes >= options.minAudioMinutes;
  console.log(report.ok && enoughAudio ? "SOAK PASS" : "SOAK FAIL");
  Deno.exit(report.ok && enoughAudio ? 0 : 1);
}
