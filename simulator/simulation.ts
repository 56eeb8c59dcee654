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
import { type ServerMessage, ServerMessageSchema, type SuggestionData } from "../core/protocol/ui_messages.ts";
import { MAX_MESSAGES_PER_SECOND } from "../routes/media_socket.ts";
import { ACCESS_COOKIE } from "../routes/ui_access.ts";
import { MulawTrack } from "./audio_file.ts";
import { formatStreamTime, formatTip, formatVerdict } from "./report.ts";
import type { Scenario } from "./scenarios.ts";
import { FRAME_MS, SpeechTrack } from "./synth.ts";
import {
  isCallSid,
  joinUrl,
  MediaMessageFactory,
  openedSocket,
  openMediaSocket,
  parseStreamTwiml,
  postWebhook,
  randomSid,
  SimulatorError,
  type TrackName,
  type WebhookTarget,
  WebSocketWithHeaders,
} from "./twilio_client.ts";
import { judgeTips, type Verdict } from "./verdict.ts";

/** Options for {@linkcode runSimulation}. */
export interface SimulationOptions {
  scenario: Scenario;
  /** Base URL the simulator talks to, e.g. `http://127.0.0.1:8000`. */
  url: string;
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
 * The fastest pace, in times real time: 80 % of the server's flood limit (two messages per 20 ms frame),
 * so `speed 0` ("as fast as possible") never trips it.
 */
export const MAX_SPEED = Math.floor((0.8 * MAX_MESSAGES_PER_SECOND) / (2 * (1000 / FRAME_MS)));
/** How long to wait for the server to close the media socket after `stop`, ms. */
const STOP_CLOSE_TIMEOUT_MS = 5_000;

/** Plays `options.scenario` through the server at `options.url`. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const print = options.print ?? (() => {});
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new SimulatorError(`speed must be ≥ 0 (got ${speed})`);
  const callSid = options.callSid ?? randomSid("CA");
  if (!isCallSid(callSid)) throw new SimulatorError(`call SID must be "CA" and 32 hex digits (got ${callSid})`);
  const accountSid = options.accountSid ?? randomSid("AC");
  const target: WebhookTarget = { url: options.url, publicUrl: options.publicUrl ?? options.url, authToken: options.authToken };
  const began = performance.now();
  const caller = { AccountSid: accountSid, From: "+15555550100", To: "+15555550199", ApiVersion: "2010-04-01" };

  const voice = await postWebhook(target, "/webhooks/twilio/voice", {
    CallSid: callSid,
    ...caller,
    Caller: caller.From,
    Called: caller.To,
    CallStatus: "ringing",
    Direction: "inbound",
  });
  const twiml = await voice.text();
  if (!voice.ok) throw webhookError("voice webhook", voice.status, twiml);
  const stream = parseStreamTwiml(twiml);
  const serverTrack = stream.parameters.agent_track;
  const agentTrack: TrackName = options.agentTrack ??
    (serverTrack === "inbound" || serverTrack === "outbound" ? serverTrack : "outbound");
  const customerTrack: TrackName = agentTrack === "outbound" ? "inbound" : "outbound";

  const feed = await followCall(options.url, callSid, options.uiAccessKey, print);
  const streamSid = randomSid("MZ");
  let media: WebSocket | null = null;
  try {
    const connectUrl = joinUrl(toWebSocketBase(options.url), new URL(stream.url).pathname);
    media = await openMediaSocket(connectUrl, stream.url, options.authToken);
    const mediaClosed = watchClose(media);
    print(`Call ${callSid}: stream ${streamSid}, agent on the ${agentTrack} track, speed ${speed || "max"}`);

    const agent = options.agentAudio ? new MulawTrack(options.agentAudio) : null;
    const customer = options.customerAudio ? new MulawTrack(options.customerAudio) : null;
    const audioMs = Math.max(options.scenario.durationMs, agent?.durationMs ?? 0, customer?.durationMs ?? 0);
    const seed = options.seed ?? 0;
    const agentSource = agent ?? new SpeechTrack(options.scenario.agent, { seed: 11 + seed });
    const customerSource = customer ?? new SpeechTrack(options.scenario.customer, { seed: 22 + seed });
    const sourceOf = (track: TrackName) => track === agentTrack ? agentSource : customerSource;

    const messages = new MediaMessageFactory({ streamSid, callSid, accountSid });
    media.send(messages.connected());
    media.send(messages.start(["inbound", "outbound"], stream.parameters));
    const frames = Math.ceil(audioMs / FRAME_MS);
    await playFrames(media, frames, speed === 0 ? MAX_SPEED : Math.min(speed, MAX_SPEED), options.signal, mediaClosed.early, (k) => {
      for (const track of ["inbound", "outbound"] as const) {
        media!.send(messages.media(track, k * FRAME_MS, sourceOf(track).nextFrame()));
      }
    });
    media.send(messages.stop());
    // Twilio's status callback comes after the stream ends; waiting for the server to close the socket
    // (which it does once it has read `stop`) keeps the callback from overtaking the last frames.
    const closed = await mediaClosed.wait(STOP_CLOSE_TIMEOUT_MS);
    if (closed === null) print("The server did not close the media socket after stop; hanging up anyway.");

    const status = await postWebhook(target, "/webhooks/twilio/voice/status", {
      CallSid: callSid,
      ...caller,
      CallStatus: "completed",
      Direction: "inbound",
      CallDuration: String(Math.ceil(audioMs / 1000)),
      Duration: String(Math.ceil(audioMs / 60_000)),
      SequenceNumber: "0",
      CallbackSource: "call-progress-events",
      Timestamp: new Date().toUTCString(),
    });
    if (!status.ok) throw webhookError("status callback", status.status, await status.text());
    await status.body?.cancel();

    const endReason = await feed.ended(options.endTimeoutMs ?? 10_000);
    const wallMs = performance.now() - began;
    if (endReason === null) print("The server did not send call_ended in time.");
    else print(`Call ended (${endReason}) after ${formatStreamTime(audioMs)} of audio in ${(wallMs / 1000).toFixed(1)} s.`);

    const custom = options.agentAudio !== undefined || options.customerAudio !== undefined;
    const seen = feed.tips.map((tip) => ({ type: tip.type, streamMs: tip.stream_ms }));
    const verdict = custom ? null : judgeTips(options.scenario.expect, options.scenario.tolerate, seen);
    if (verdict) for (const line of formatVerdict(verdict)) print(line);
    else print(`Recorded audio replaced a party: ${feed.tips.length} tips, expectations not checked.`);
    const ok = endReason !== null && (verdict?.ok ?? true);
    print(ok ? "PASS" : "FAIL");
    return { callSid, streamSid, agentTrack, audioMs, wallMs, tips: feed.tips, endReason, verdict, ok };
  } finally {
    feed.close();
    if (media && media.readyState === WebSocket.OPEN) media.close(1000, "simulator done");
  }
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
  const started = performance.now();
  let next = 0;
  while (next < count) {
    signal?.throwIfAborted();
    const closed = closedEarly();
    if (closed) throw new SimulatorError(`the server closed the media socket: ${closed.code} ${closed.reason}`);
    // Frames are scheduled on absolute time from the start: a late timer sends the backlog, no drift.
    const due = Math.min(count, Math.floor(((performance.now() - started) * speed) / FRAME_MS) + 1);
    for (; next < due; next++) send(next);
    while (socket.bufferedAmount > MAX_BUFFERED_BYTES) await sleep(5);
    await sleep(Math.max(0, started + (next * FRAME_MS) / speed - performance.now()));
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

interface CallFeed {
  tips: SuggestionData[];
  /** Resolves with the `call_ended` reason, or null after `timeoutMs`. */
  ended(timeoutMs: number): Promise<string | null>;
  close(): void;
}

/** Follows the call on the UI socket; resolves once `hello` arrived, so the subscription is live. */
async function followCall(
  url: string,
  callSid: string,
  accessKey: string | undefined,
  print: (line: string) => void,
): Promise<CallFeed> {
  const socketUrl = joinUrl(toWebSocketBase(url), `/ws/ui/${callSid}`);
  const headers: Record<string, string> = accessKey ? { cookie: `${ACCESS_COOKIE}=${accessKey}` } : {};
  const socket = await openedSocket(new WebSocketWithHeaders(socketUrl, { headers }), socketUrl, "the UI socket");
  const tips: SuggestionData[] = [];
  let endReason: string | null = null;
  let onEnded = () => {};
  let onHello = () => {};
  const hello = new Promise<void>((resolve) => onHello = resolve);
  socket.onmessage = (event) => {
    const message = parseServerMessage(event.data, print);
    if (message?.type === "hello") onHello();
    if (message?.type === "suggestion" && message.session_id === callSid) {
      tips.push(message.data);
      print(formatTip(message.data));
    }
    if (message?.type === "call_ended" && message.session_id === callSid) {
      endReason = message.reason;
      onEnded();
    }
  };
  socket.onclose = () => onHello();
  await hello;
  if (socket.readyState !== WebSocket.OPEN) throw new SimulatorError(`the UI socket ${socketUrl} closed at once`);
  return {
    tips,
    ended: (timeoutMs) => {
      if (endReason !== null) return Promise.resolve(endReason);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        onEnded = () => {
          clearTimeout(timer);
          resolve(endReason);
        };
      });
    },
    close: () => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000);
    },
  };
}

function parseServerMessage(data: unknown, print: (line: string) => void): ServerMessage | null {
  if (typeof data !== "string") {
    print("The UI socket sent a binary frame; ignored.");
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    print(`The UI socket sent something that is not JSON: ${data.slice(0, 120)}`);
    return null;
  }
  const parsed = ServerMessageSchema.safeParse(json);
  if (!parsed.success) {
    print(`The UI socket sent an invalid message: ${parsed.error.issues[0]?.message} in ${data.slice(0, 120)}`);
    return null;
  }
  return parsed.data;
}
