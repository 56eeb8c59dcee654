/**
 * Twilio's side of one media stream, for the load generator: opens `/ws/twilio/media/{CallSid}` with the
 * `x-twilio-signature` Twilio sends, `start`s with the call's stream token and sends both tracks (agent on
 * `outbound`, customer on `inbound`) as Twilio's text messages, a call's frames of one generator tick in one
 * write over {@linkcode RawWebSocket}.
 *
 * Why not Deno's `WebSocket` client: the generator shares the machine's two cores with the server it measures,
 * and one op and one write per message cost the bare server its rung at N=1000 (57–96 % of frames in time,
 * against 99.3–99.99 % with this client; docs/performance.md, what was tried). Media messages are written as
 * bytes straight into the socket's queue: {@linkcode MediaTemplate} cuts the text of `mediaMessage` (the one
 * definition of the format) into its constant parts once per call and track, and each frame only writes its
 * three counters and copies the base64 payload.
 *
 * @module
 */
import { SLOT_MS } from "../core/audio/types.ts";
import {
  connectedMessage,
  mediaMessage,
  startMessage,
  stopMessage,
  TRACK_NAMES,
  type TrackName,
} from "../core/protocol/twilio_messages.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { streamToken } from "../core/twilio/stream_token.ts";
import { mediaStreamUrl } from "../core/twilio/twiml.ts";
import { type Conversation, toPayloads } from "./audio.ts";
import { OPCODE, RawWebSocket } from "./raw_websocket.ts";

const ascii = new TextEncoder();
/** The account the bench's calls belong to. */
const ACCOUNT_SID = "AC" + "0".repeat(32);

/** Base64 payloads of the conversation's frames as ASCII bytes, as the encoder copies them. */
export interface PayloadSet {
  agent: Uint8Array[];
  agentLoud: Uint8Array[];
  customer: Uint8Array[];
}

export function payloadsOf(conversation: Conversation): PayloadSet {
  const bytes = (frames: Uint8Array[]) => toPayloads(frames).map((payload) => ascii.encode(payload));
  return {
    agent: bytes(conversation.agent),
    agentLoud: bytes(conversation.agentLoud),
    customer: bytes(conversation.customer),
  };
}

/** Twilio's `start` message, with the bench's `customParameters` (token, agent_track, bench_t0). */
export function benchStartMessage(
  call: { callSid: string; streamSid: string },
  sequence: number,
  authToken: string,
  t0: number,
): string {
  const ids = { callSid: call.callSid, streamSid: call.streamSid, accountSid: ACCOUNT_SID };
  return startMessage(ids, sequence, TRACK_NAMES, {
    token: streamToken(authToken, call.callSid),
    agent_track: "outbound",
    bench_t0: String(t0),
  });
}

function digitsOf(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/** Writes `value` as ASCII decimal digits at `at` in `target`; returns the offset after them. */
function writeDecimal(target: Uint8Array, at: number, value: number): number {
  const end = at + digitsOf(value);
  for (let i = end - 1, rest = value; i >= at; i--, rest = Math.floor(rest / 10)) target[i] = 48 + rest % 10;
  return end;
}

/**
 * One stream's and track's `media` message (`mediaMessage`, in its field order: sequence number, chunk,
 * timestamp, payload) as the constant bytes between its variable fields.
 */
export class MediaTemplate {
  readonly #parts: Uint8Array[];
  readonly #length: number;

  constructor(streamSid: string, track: TrackName) {
    const mark = 1_000_000_001;
    this.#parts = mediaMessage(streamSid, mark, track, mark, mark, "~payload~").split(/1000000001|~payload~/)
      .map((part) => ascii.encode(part));
    this.#length = this.#parts.reduce((n, part) => n + part.length, 0);
  }

  /** Queues the message as one masked text frame; `payload` is the base64 text's ASCII bytes. */
  write(socket: RawWebSocket, sequence: number, chunk: number, timestamp: number, payload: Uint8Array): void {
    const parts = this.#parts;
    const digits = digitsOf(sequence) + digitsOf(chunk) + digitsOf(timestamp);
    let at = socket.beginFrame(OPCODE.text, this.#length + digits + payload.length);
    if (at < 0) return;
    const target = socket.frameTarget;
    target.set(parts[0], at);
    at = writeDecimal(target, at + parts[0].length, sequence);
    target.set(parts[1], at);
    at = writeDecimal(target, at + parts[1].length, chunk);
    target.set(parts[2], at);
    at = writeDecimal(target, at + parts[2].length, timestamp);
    target.set(parts[3], at);
    target.set(payload, at += parts[3].length);
    target.set(parts[4], at + payload.length);
    socket.endFrame();
  }
}

/** Twilio's side of one call's media socket. */
export class RawTwilioCall {
  socket: RawWebSocket | null = null;
  /** Page sockets following the call (latency calls). */
  readonly pages: WebSocket[] = [];
  /** Wall start of the stream: slot k is due at `t0 + 20k` ms. */
  t0 = NaN;
  nextSlot = 0;
  closeCode: number | null = null;
  readonly streamSid = "MZ" + crypto.randomUUID().replaceAll("-", "");
  readonly closed: Promise<void>;
  #sequence = 0;
  readonly #outbound = new MediaTemplate(this.streamSid, "outbound");
  readonly #inbound = new MediaTemplate(this.streamSid, "inbound");
  #resolveClosed!: () => void;

  /** `loud`: plays the loud agent track (latency calls). */
  constructor(readonly callSid: string, readonly loud: boolean) {
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  async open(config: { baseUrl: string; authToken: string }): Promise<void> {
    const url = mediaStreamUrl(config.baseUrl, this.callSid);
    const socket = await RawWebSocket.connect(url, {
      "x-twilio-signature": signTwilioRequest(config.authToken, url, {}),
    });
    this.socket = socket;
    socket.closed.then(() => {
      this.closeCode = socket.closeCode;
      this.#resolveClosed();
    });
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.isOpen;
  }

  /** Queues `connected` and `start`. */
  begin(authToken: string, t0: number): void {
    this.t0 = t0;
    if (!this.isOpen) return;
    this.socket!.queueText(connectedMessage());
    this.socket!.queueText(benchStartMessage(this, ++this.#sequence, authToken, t0));
  }

  /** Queues slot `k` of both tracks; {@linkcode flush} sends. */
  sendSlot(k: number, audio: PayloadSet): void {
    if (!this.isOpen) return;
    const i = k % audio.agent.length;
    const agent = (this.loud ? audio.agentLoud : audio.agent)[i];
    this.#outbound.write(this.socket!, ++this.#sequence, k + 1, k * SLOT_MS, agent);
    this.#inbound.write(this.socket!, ++this.#sequence, k + 1, k * SLOT_MS, audio.customer[i]);
  }

  flush(): void {
    this.socket?.flush();
  }

  /** Sends `stop`. */
  stop(): void {
    if (!this.isOpen) return;
    const ids = { callSid: this.callSid, streamSid: this.streamSid, accountSid: ACCOUNT_SID };
    this.socket!.queueText(stopMessage(ids, ++this.#sequence));
    this.socket!.flush();
  }
}
