/**
 * Twilio's side of one media stream, for the load generator: opens `/ws/twilio/media/{CallSid}` with the
 * `x-twilio-signature` header Twilio sends, `start`s with the call's stream token and sends both tracks'
 * frames as Twilio's JSON text messages (agent on `outbound`, customer on `inbound`).
 *
 * @module
 */
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { streamToken } from "../core/twilio/stream_token.ts";
import { mediaStreamUrl } from "../core/twilio/twiml.ts";
import { type Conversation, toPayloads } from "./audio.ts";
import { wallMs } from "./stats.ts";

export const SLOT_MS = 20;
const ACCOUNT_SID = "AC" + "0".repeat(32);
/** Fast replay rate: 8,000 messages/s, under the server's flood limit of 10,000 per stream. */
const FAST_SLOTS_PER_S = 4000;
/** How long a fast replay waits for a full socket to drain before it gives up. */
const DRAIN_LIMIT_MS = 10_000;
/** Burst mode waits while more than this is buffered on the socket. */
const BURST_BUFFER_BYTES = 512 * 1024;

export function newCallSid(index: number): string {
  const hex = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0"));
  return "CA" + index.toString(16).padStart(8, "0") + hex.join("");
}

/** Twilio's side of one call's media socket. */
export class TwilioCall {
  socket: WebSocket | null = null;
  page: WebSocket | null = null;
  t0 = NaN;
  nextSlot = 0;
  started = false;
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

  begin(authToken: string, t0: number): void {
    this.t0 = t0;
    this.started = true;
    this.#send(`{"event":"connected","protocol":"Call","version":"1.0.0"}`);
    this.#send(JSON.stringify({
      event: "start",
      sequenceNumber: String(++this.#sequence),
      streamSid: this.streamSid,
      start: {
        accountSid: ACCOUNT_SID,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ["inbound", "outbound"],
        customParameters: {
          token: streamToken(authToken, this.callSid),
          agent_track: "outbound",
          bench_t0: String(t0),
        },
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
      },
    }));
  }

  /** Sends slot `k` of both tracks (agent on outbound, customer on inbound). */
  sendSlot(k: number, audio: PayloadSet): void {
    const i = k % audio.agent.length;
    const ts = k * SLOT_MS;
    const chunk = k + 1;
    this.#send(
      `{"event":"media","sequenceNumber":"${++this.#sequence}","streamSid":"${this.streamSid}",` +
        `"media":{"track":"outbound","chunk":"${chunk}","timestamp":"${ts}","payload":"${
          (this.loud ? audio.agentLoud : audio.agent)[i]
        }"}}`,
    );
    this.#send(
      `{"event":"media","sequenceNumber":"${++this.#sequence}","streamSid":"${this.streamSid}",` +
        `"media":{"track":"inbound","chunk":"${chunk}","timestamp":"${ts}","payload":"${
          audio.customer[i]
        }"}}`,
    );
  }

  stop(): void {
    this.#send(JSON.stringify({
      event: "stop",
      sequenceNumber: String(++this.#sequence),
      streamSid: this.streamSid,
      stop: { accountSid: ACCOUNT_SID, callSid: this.callSid },
    }));
  }

  #send(text: string): void {
    if (this.isOpen) this.socket!.send(text);
  }
}

/** Base64 payloads of the conversation's frames. */
export interface PayloadSet {
  agent: string[];
  agentLoud: string[];
  customer: string[];
}

export function payloadsOf(conversation: Conversation): PayloadSet {
  return {
    agent: toPayloads(conversation.agent),
    agentLoud: toPayloads(conversation.agentLoud),
    customer: toPayloads(conversation.customer),
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
