/**
 * Twilio's side of one media stream, for the load generator: opens `/ws/twilio/media/{CallSid}` with the
 * `x-twilio-signature` header Twilio sends, `start`s with the call's stream token and sends both tracks'
 * frames as Twilio's JSON text messages (agent on `outbound`, customer on `inbound`).
 *
 * {@linkcode TwilioCall} uses Deno's `WebSocket` client (one op and one write per message); the realtime
 * ladder uses `RawTwilioCall` (`raw_twilio_call.ts`) instead, which sends the same messages with one write
 * per call per tick. Both implement {@linkcode MediaCall} and build their text from the message functions
 * of core/protocol/twilio_messages.ts, so the bytes on the wire are the same.
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
} from "../core/protocol/twilio_messages.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { streamToken } from "../core/twilio/stream_token.ts";
import { mediaStreamUrl } from "../core/twilio/twiml.ts";
import { type Conversation, toPayloads } from "./audio.ts";
import { wallMs } from "./stats.ts";

/** The account the bench's calls belong to. */
const ACCOUNT_SID = "AC" + "0".repeat(32);
/** Fast replay rate: 8,000 messages/s, under the server's flood limit of 10,000 per stream. */
const FAST_SLOTS_PER_S = 4000;
/** How long a fast replay waits for a full socket to drain before it gives up. */
const DRAIN_LIMIT_MS = 10_000;
/** Burst mode waits while more than this is buffered on the socket. */
const BURST_BUFFER_BYTES = 512 * 1024;

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

/** Twilio's `stop` message for a bench call. */
export function benchStopMessage(call: { callSid: string; streamSid: string }, sequence: number): string {
  return stopMessage({ callSid: call.callSid, streamSid: call.streamSid, accountSid: ACCOUNT_SID }, sequence);
}

/** What the realtime loop needs of one call, whichever client sends it. */
export interface MediaCall {
  readonly callSid: string;
  readonly streamSid: string;
  /** Plays the loud agent track and has a page socket (latency calls). */
  readonly loud: boolean;
  /** Page sockets following it (latency calls). */
  readonly pages: WebSocket[];
  /** Wall start of the stream: slot k is due at `t0 + 20k` ms. */
  t0: number;
  nextSlot: number;
  /** Close code of the media socket once closed (1006 when TCP ended without a close frame). */
  closeCode: number | null;
  readonly closed: Promise<void>;
  readonly isOpen: boolean;
  /** Bytes the client holds that the kernel has not taken yet. */
  readonly bufferedBytes: number;
  open(config: { baseUrl: string; authToken: string }): Promise<void>;
  /** Sends `connected` and `start`. */
  begin(authToken: string, t0: number): void;
  /** Sends (or queues, until {@linkcode flush}) slot `k` of both tracks. */
  sendSlot(k: number, audio: PayloadSet): void;
  /** Hands what `begin`/`sendSlot` queued to the kernel (one write); a no-op where every send writes. */
  flush(): void;
  /** Sends `stop`. */
  stop(): void;
}

/** Twilio's side of one call's media socket, over Deno's `WebSocket` client. */
export class TwilioCall implements MediaCall {
  socket: WebSocket | null = null;
  readonly pages: WebSocket[] = [];
  t0 = NaN;
  nextSlot = 0;
  closeCode: number | null = null;
  #sequence = 0;
  readonly streamSid = "MZ" + crypto.randomUUID().replaceAll("-", "");
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(readonly callSid: string, readonly loud: boolean) {
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  async open(config: { baseUrl: string; authToken: string }): Promise<void> {
    const url = mediaStreamUrl(config.baseUrl, this.callSid);
    const signature = signTwilioRequest(config.authToken, url, {});
    // Deno's WebSocket takes `{ headers }`; the DOM typings in this project do not know that option.
    const socket = new WebSocket(
      url,
      { headers: { "x-twilio-signature": signature } } as unknown as string[],
    );
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) =>
        reject(new Error(`media socket: ${(event as ErrorEvent).message ?? "error"}`));
    });
    socket.onerror = null;
    socket.onclose = (event) => {
      this.closeCode = event.code;
      this.#resolveClosed();
    };
    this.socket = socket;
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  get bufferedBytes(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  begin(authToken: string, t0: number): void {
    this.t0 = t0;
    this.#send(connectedMessage());
    this.#send(benchStartMessage(this, ++this.#sequence, authToken, t0));
  }

  /** Sends slot `k` of both tracks (agent on outbound, customer on inbound). */
  sendSlot(k: number, audio: PayloadSet): void {
    const i = k % audio.agent.length;
    const ts = k * SLOT_MS;
    const chunk = k + 1;
    const agent = (this.loud ? audio.agentLoud : audio.agent)[i];
    this.#send(mediaMessage(this.streamSid, ++this.#sequence, "outbound", chunk, ts, agent));
    this.#send(mediaMessage(this.streamSid, ++this.#sequence, "inbound", chunk, ts, audio.customer[i]));
  }

  /** Every send is already its own write. */
  flush(): void {}

  stop(): void {
    this.#send(benchStopMessage(this, ++this.#sequence));
  }

  #send(text: string): void {
    if (this.isOpen) this.socket!.send(text);
  }
}

/** Base64 payloads of the conversation's frames, as strings and as their ASCII bytes (for raw frames). */
export interface PayloadSet {
  agent: string[];
  agentLoud: string[];
  customer: string[];
  ascii: { agent: Uint8Array[]; agentLoud: Uint8Array[]; customer: Uint8Array[] };
}

export function payloadsOf(conversation: Conversation): PayloadSet {
  const agent = toPayloads(conversation.agent);
  const agentLoud = toPayloads(conversation.agentLoud);
  const customer = toPayloads(conversation.customer);
  const encoder = new TextEncoder();
  const ascii = (payloads: string[]) => payloads.map((payload) => encoder.encode(payload));
  return {
    agent,
    agentLoud,
    customer,
    ascii: { agent: ascii(agent), agentLoud: ascii(agentLoud), customer: ascii(customer) },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when every promise settled or `ms` passed. */
export async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

/**
 * Sends `slots` slots of a call as fast as allowed: at most {@linkcode FAST_SLOTS_PER_S} slots per second
 * (the server closes streams above 10,000 messages/s), optionally pausing at half way.
 */
export async function sendFast(
  call: TwilioCall,
  slots: number,
  audio: PayloadSet,
  onHalfway?: () => Promise<void>,
) {
  const startedAt = wallMs();
  for (let k = 0; k < slots; k++) {
    if (!call.isOpen) {
      throw new Error(`call ${call.callSid} closed (${call.closeCode}) at slot ${k} of ${slots}`);
    }
    call.sendSlot(k, audio);
    call.nextSlot = k + 1;
    if (k % 100 === 99) {
      const ahead = startedAt + ((k + 1) * 1000) / FAST_SLOTS_PER_S - wallMs();
      if (ahead > 0) await sleep(ahead);
      // Let the socket drain so the frames really reach the server at about the rate it takes them.
      const drainBy = wallMs() + DRAIN_LIMIT_MS;
      while (call.socket!.bufferedAmount > BURST_BUFFER_BYTES) {
        if (wallMs() > drainBy) throw new Error(`server stopped reading call ${call.callSid} at slot ${k}`);
        await sleep(1);
      }
    }
    if (onHalfway && k === Math.floor(slots / 2)) await onHalfway();
  }
}
