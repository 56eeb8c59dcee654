/**
 * One simulated call through a running server, exactly as Twilio would place it:
 *
 * 1. signed `POST /webhooks/twilio/voice` (CallStatus ringing), read `<Start><Stream>` from the TwiML;
 * 2. follow the call on `/ws/ui/{CallSid}` (before any audio, so no tip is missed);
 * 3. open the media socket (signed upgrade), send `connected`, `start`, both tracks' `media`, `stop`;
 * 4. signed `POST /webhooks/twilio/voice/status` (CallStatus completed);
 * 5. wait for `call_ended`, then judge the tips against the scenario.
 *
 * Pacing: `speed` 1 is real time (20 ms of audio per 20 ms of wall time, scheduled on absolute time so it
 * never drifts; several frames go out per tick when a timer fires late), 10 is ten times faster, 0 is as
 * fast as the socket and the server's flood limit allow ({@linkcode MAX_SPEED}). The server works on
 * stream time, so the tips do not depend on the speed.
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import {
  isCallSid,
  MediaMessageFactory,
  randomSid,
  type TrackName,
} from "../core/protocol/twilio_messages.ts";
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import { MAX_MESSAGES_PER_SECOND } from "../server/media_socket.ts";
import { MulawTrack } from "./audio_file.ts";
import { PhoneLine } from "./line.ts";
import { formatStreamTime, formatVerdict } from "./report.ts";
import type { Scenario } from "./scenarios.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { SpeechTrack } from "./synth.ts";
import {
  joinUrl,
  openMediaSocket,
  parseStreamTwiml,
  postWebhook,
  SimulatorError,
  type StreamInstruction,
  type WebhookTarget,
} from "./twilio_client.ts";
import { followCall } from "./ui_feed.ts";
import { judgeTips, type Verdict } from "./verdict.ts";

/** Options for {@linkcode runSimulation}. */
export interface SimulationOptions {
  scenario: Scenario;
  /** Base URL the simulator talks to, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /**
   * Base URL the media socket connects to (default `url`): another instance of a cluster, as a load
   * balancer may send Twilio's stream elsewhere than its webhook.
   */
  mediaUrl?: string;
  /** The server's PUBLIC_URL, which Twilio signs over (default `url`). */
  publicUrl?: string;
  /** The token the server checks signatures with. */
  authToken: string;
  /** 1 real time (default), 10 ten times faster, 0 as fast as possible. */
  speed?: number;
  /** Default: a random "CA…" SID. */
  callSid?: string;
  /** Default: a random "AC…" SID. */
  accountSid?: string;
  /** Which track carries the agent. Default: the server's `agent_track` parameter, else "outbound". */
  agentTrack?: TrackName;
  /** 8 kHz μ-law audio replacing the scenario's agent / customer voice. */
  agentAudio?: Uint8Array;
  customerAudio?: Uint8Array;
  /** The server's UI access key, needed to follow the call when `url` is not on this machine. */
  uiAccessKey?: string;
  /** Seed of the synthesized voices (default 0); the same seed gives the same audio. */
  seed?: number;
  /** How long to wait for `call_ended` after hanging up, ms (default 10 s). */
  endTimeoutMs?: number;
  /** Receives each line of output (tips as they arrive, the summary). Default: silent. */
  print?: (line: string) => void;
  signal?: AbortSignal;
}

/** What happened on the call. */
export interface SimulationResult {
  callSid: string;
  streamSid: string;
  agentTrack: TrackName;
  /** Audio sent per track, ms of stream time. */
  audioMs: number;
  /** Wall time from the first webhook to the end, ms. */
  wallMs: number;
  /** Suggestions received on the UI socket, in arrival order. */
  tips: SuggestionData[];
  /** The `call_ended` reason, or null when it did not come in time. */
  endReason: string | null;
  /** Tips against the scenario; null when recorded audio replaced a party (expectations do not apply). */
  verdict: Verdict | null;
  /** True when the call ended and the verdict (if any) passed. */
  ok: boolean;
}

/** Above this many unsent bytes the sender waits for the socket to drain. */
const MAX_BUFFERED_BYTES = 256 * 1024;
/**
 * The fastest pace, in times real time: 70 % of the server's flood limit (two messages per 20 ms frame),
 * so `speed 0` ("as fast as possible") never trips it.
 */
export const MAX_SPEED = Math.floor((0.7 * MAX_MESSAGES_PER_SECOND) / (2 * (1000 / SLOT_MS)));
/**
 * Most frames sent at once to catch up after the process stalled (a busy CPU, a GC pause). Owing more is
 * forgotten rather than sent in one burst, so at {@linkcode MAX_SPEED} no second of wall time carries more
 * than 80 % of the flood limit. At real time it is 10 s of audio: no real stall loses sync.
 */
const MAX_CATCH_UP_FRAMES = Math.floor((0.1 * MAX_MESSAGES_PER_SECOND) / 2);
/** How long to wait for the server to close the media socket after `stop`, ms. */
const STOP_CLOSE_TIMEOUT_MS = 5_000;

/** Plays `options.scenario` through the server at `options.url`. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const print = options.print ?? (() => {});
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new SimulatorError(`speed must be ≥ 0 (got ${speed})`);
  const callSid = options.callSid ?? randomSid("CA");
  if (!isCallSid(callSid)) {
    throw new SimulatorError(`call SID must be "CA" and 32 hex digits (got ${callSid})`);
  }
  const accountSid = options.accountSid ?? randomSid("AC");
  const target: WebhookTarget = {
    url: options.url,
    publicUrl: options.publicUrl ?? options.url,
    authToken: options.authToken,
  };
  const began = performance.now();
  const caller = {
    AccountSid: accountSid,
    From: "+15555550100",
    To: "+15555550199",
    ApiVersion: "2010-04-01",
  };
  const stream = await answerCall(target, { CallSid: callSid, ...caller });
  const serverTrack = stream.parameters.agent_track;
  const agentTrack: TrackName = options.agentTrack ??
    (serverTrack === "inbound" || serverTrack === "outbound" ? serverTrack : "outbound");
  const pace = speed === 0 ? MAX_SPEED : Math.min(speed, MAX_SPEED);
  if (pace < speed) print(`Speed ${speed} is above the server's flood limit; playing at ${pace}.`);

  const feed = await followCall(options.url, callSid, options.uiAccessKey, print);
  const streamSid = randomSid("MZ");
  let media: WebSocket | null = null;
  try {
    const connectUrl = joinUrl(
      toWebSocketBase(options.mediaUrl ?? options.url),
      new URL(stream.url).pathname,
    );
    media = await openMediaSocket(connectUrl, stream.url, options.authToken);
    const mediaClosed = watchClose(media);
    print(`Call ${callSid}: stream ${streamSid}, agent on the ${agentTrack} track, speed ${speed || "max"}`);

    const agent = options.agentAudio ? new MulawTrack(options.agentAudio) : null;
    const customer = options.customerAudio ? new MulawTrack(options.customerAudio) : null;
    const audioMs = Math.max(options.scenario.durationMs, agent?.durationMs ?? 0, customer?.durationMs ?? 0);
    const seed = options.seed ?? 0;
    const agentVoice = new SpeechTrack(options.scenario.agent, { seed: 11 + seed });
    const customerVoice = new SpeechTrack(options.scenario.customer, { seed: 22 + seed });
    const agentSource = agent ?? agentVoice;
    const customerSource = customer ?? customerVoice;
    const sourceOf = (track: TrackName) => track === agentTrack ? agentSource : customerSource;

    const messages = new MediaMessageFactory({ streamSid, callSid, accountSid });
    media.send(messages.connected());
    media.send(messages.start(["inbound", "outbound"], stream.parameters));
    const frames = Math.ceil(audioMs / SLOT_MS);
    // The scenario's phone line (echo, noise, lost frames) applies to the synthesized voices; a recording
    // already carries the line it was made on.
    const line = options.scenario.line && !agent && !customer ? new PhoneLine(options.scenario.line) : null;
    await playFrames(media, frames, pace, options.signal, mediaClosed.early, (k) => {
      if (line === null) {
        for (const track of ["inbound", "outbound"] as const) {
          media!.send(messages.media(track, k * SLOT_MS, sourceOf(track).nextFrame()));
        }
        return;
      }
      const heard = line.process(agentVoice.nextPcm(), customerVoice.nextPcm());
      for (const track of ["inbound", "outbound"] as const) {
        const party = track === agentTrack ? 0 : 1;
        // A lost frame is never sent: Twilio's timestamps skip it.
        if (!line.lost[party]) {
          media!.send(messages.media(track, k * SLOT_MS, alawmulaw.mulaw.encode(heard[party])));
        }
      }
    });
    media.send(messages.stop());
    // Twilio's status callback comes after the stream ends; waiting for the server to close the socket
    // (which it does once it has read `stop`) keeps the callback from overtaking the last frames.
    const closed = await mediaClosed.wait(STOP_CLOSE_TIMEOUT_MS);
    if (closed === null) print("The server did not close the media socket after stop; hanging up anyway.");
    await hangUp(target, { CallSid: callSid, ...caller }, audioMs);

    const endReason = await feed.ended(options.endTimeoutMs ?? 10_000);
    const wallMs = performance.now() - began;
    const took = `${formatStreamTime(audioMs)} of audio in ${(wallMs / 1000).toFixed(1)} s`;
    print(
      endReason === null
        ? "The server did not send call_ended in time."
        : `Call ended (${endReason}) after ${took}.`,
    );

    const custom = options.agentAudio !== undefined || options.customerAudio !== undefined;
    const seen = feed.tips.map((tip) => ({ type: tip.type, streamMs: tip.stream_ms }));
    const verdict = custom ? null : judgeTips(options.scenario.expect, options.scenario.tolerate, seen);
    const lines = verdict
      ? formatVerdict(verdict)
      : [`Recorded audio replaced a party: ${feed.tips.length} tip(s), expectations not checked.`];
    lines.forEach((line) => print(line));
    const ok = endReason !== null && (verdict?.ok ?? true);
    print(ok ? "PASS" : "FAIL");
    return { callSid, streamSid, agentTrack, audioMs, wallMs, tips: feed.tips, endReason, verdict, ok };
  } finally {
    feed.close();
    if (media && media.readyState === WebSocket.OPEN) media.close(1000, "simulator done");
  }
}

/** The voice webhook, as Twilio calls it when the call comes in; returns the `<Stream>` to open. */
async function answerCall(target: WebhookTarget, call: Record<string, string>): Promise<StreamInstruction> {
  const response = await postWebhook(target, "/webhooks/twilio/voice", {
    ...call,
    Caller: call.From,
    Called: call.To,
    CallStatus: "ringing",
    Direction: "inbound",
  });
  const twiml = await response.text();
  if (!response.ok) throw webhookError("voice webhook", response.status, twiml);
  return parseStreamTwiml(twiml);
}

/** The call status callback Twilio sends when the call is over. */
async function hangUp(target: WebhookTarget, call: Record<string, string>, audioMs: number): Promise<void> {
  const response = await postWebhook(target, "/webhooks/twilio/voice/status", {
    ...call,
    CallStatus: "completed",
    Direction: "inbound",
    CallDuration: String(Math.ceil(audioMs / 1000)),
    Duration: String(Math.ceil(audioMs / 60_000)),
    SequenceNumber: "0",
    CallbackSource: "call-progress-events",
    Timestamp: new Date().toUTCString(),
  });
  const body = await response.text();
  if (!response.ok) throw webhookError("status callback", response.status, body);
}

function webhookError(what: string, status: number, body: string): SimulatorError {
  const hint = status === 403
    ? " The signature was rejected: use the server's TWILIO_AUTH_TOKEN, and --public-url when it runs with PUBLIC_URL."
    : "";
  return new SimulatorError(`${what} answered ${status}: ${body.slice(0, 200).trim()}.${hint}`);
}

function toWebSocketBase(url: string): string {
  return url.replace(/^http(s?):/, "ws$1:");
}

/** Sends frames 0..count-1 through `send`, `speed` times real time, never letting the socket buffer pile up. */
async function playFrames(
  socket: WebSocket,
  count: number,
  speed: number,
  signal: AbortSignal | undefined,
  closedEarly: () => CloseEvent | null,
  send: (frame: number) => void,
): Promise<void> {
  let started = performance.now();
  let next = 0;
  while (next < count) {
    signal?.throwIfAborted();
    const closed = closedEarly();
    if (closed) {
      throw new SimulatorError(`the server closed the media socket: ${closed.code} ${closed.reason}`);
    }
    // Frames are scheduled on absolute time from the start: a late timer sends the backlog, no drift.
    const now = performance.now();
    if (((now - started) * speed) / SLOT_MS - next > MAX_CATCH_UP_FRAMES) {
      started = now - ((next + MAX_CATCH_UP_FRAMES) * SLOT_MS) / speed;
    }
    const due = Math.min(count, Math.floor(((now - started) * speed) / SLOT_MS) + 1);
    for (; next < due; next++) send(next);
    while (socket.bufferedAmount > MAX_BUFFERED_BYTES) await sleep(5);
    await sleep(Math.max(0, started + (next * SLOT_MS) / speed - performance.now()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function watchClose(socket: WebSocket): {
  early: () => CloseEvent | null;
  wait: (timeoutMs: number) => Promise<CloseEvent | null>;
} {
  let closed: CloseEvent | null = null;
  let onClose = () => {};
  socket.addEventListener("close", (event) => {
    closed = event;
    onClose();
  });
  return {
    early: () => closed,
    wait: (timeoutMs) =>
      closed ? Promise.resolve(closed) : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        onClose = () => {
          clearTimeout(timer);
          resolve(closed);
        };
      }),
  };
}
