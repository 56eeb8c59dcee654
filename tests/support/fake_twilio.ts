/**
 * Plays Twilio's part in server tests: signed webhooks and a media socket speaking the Media Streams
 * protocol, plus a page socket that records what the server sends. Loopback only.
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import {
  MediaMessageFactory,
  randomSid,
  TRACK_NAMES,
  type TrackName,
} from "../../core/protocol/twilio_messages.ts";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import type { RunningServer } from "../../server/start.ts";

/** The account the tests' calls belong to. */
export const TEST_ACCOUNT_SID = "AC" + "0".repeat(32);

/** A random, well-formed CallSid. */
export function newCallSid(): string {
  return randomSid("CA");
}

/** POSTs a form to `path` signed with `token` over the server's public URL (or with `signature`). */
export function postWebhook(
  server: RunningServer,
  path: string,
  params: Record<string, string>,
  options: { token?: string; signature?: string | null } = {},
): Promise<Response> {
  const url = server.config.publicUrl + path;
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const signature = options.signature === undefined
    ? signTwilioRequest(options.token ?? server.authToken, url, params)
    : options.signature;
  if (signature !== null) headers["x-twilio-signature"] = signature;
  return fetch(server.url + path, { method: "POST", headers, body: new URLSearchParams(params) });
}

/** Sends the voice webhook and returns the stream URL and the `<Parameter>`s of the TwiML. */
export async function answerCall(server: RunningServer, callSid: string) {
  const response = await postWebhook(server, "/webhooks/twilio/voice", {
    CallSid: callSid,
    From: "+15550001111",
    To: "+15550002222",
    CallStatus: "ringing",
    Direction: "inbound",
  });
  const twiml = await response.text();
  if (response.status !== 200) throw new Error(`voice webhook answered ${response.status}: ${twiml}`);
  const url = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  const parameters = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]),
  );
  if (!url) throw new Error(`no <Stream url> in ${twiml}`);
  return { url: url.replaceAll("&amp;", "&"), parameters, twiml };
}

/** Opens a WebSocket and resolves once it is open (rejects if it closes first). */
export function openSocket(url: string, headers?: Record<string, string>): Promise<WebSocket> {
  // Deno's WebSocket takes `{ headers }`; the DOM typings in this project do not know that option.
  const socket = new WebSocket(url, (headers ? { headers } : undefined) as unknown as string[]);
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`could not open ${url}`));
  });
}

/** Resolves with the close event of a socket. */
export function closed(socket: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) =>
    socket.addEventListener("close", (event) => resolve(event), { once: true })
  );
}

/** Twilio's side of one media stream: the shared message builders on a test's socket. */
export class MediaStream {
  readonly streamSid = randomSid("MZ");
  readonly #messages: MediaMessageFactory;

  constructor(readonly socket: WebSocket, readonly callSid: string) {
    this.#messages = new MediaMessageFactory({
      streamSid: this.streamSid,
      callSid,
      accountSid: TEST_ACCOUNT_SID,
    });
  }

  /**
   * Sends a message as JSON. Every message of the stream goes through here as an object, so a test can
   * replace it to record, reshape or mutate what Twilio would send.
   */
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  connected(): void {
    this.send(JSON.parse(this.#messages.connected()));
  }

  start(customParameters: Record<string, string>): void {
    this.send(JSON.parse(this.#messages.start(TRACK_NAMES, customParameters)));
  }

  media(track: TrackName, timestampMs: number, mulaw: Uint8Array): void {
    this.send(JSON.parse(this.#messages.media(track, timestampMs, mulaw)));
  }

  stop(): void {
    this.send(JSON.parse(this.#messages.stop()));
  }
}

/** A new call as Twilio runs it: voice webhook, signed media socket, `connected` and `start`. */
export async function startLiveCall(
  server: RunningServer,
): Promise<{ callSid: string; stream: MediaStream }> {
  const callSid = newCallSid();
  const answer = await answerCall(server, callSid);
  const socket = await openSocket(answer.url, {
    "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}),
  });
  const stream = new MediaStream(socket, callSid);
  stream.connected();
  stream.start(answer.parameters);
  return { callSid, stream };
}

/** A page socket that records every message and can wait for one. */
export class PageSocket {
  readonly messages: ServerMessage[] = [];
  /** When each of `messages` arrived (`performance.now()`). */
  readonly arrivedAt: number[] = [];
  #waiters: { test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as ServerMessage;
      this.messages.push(message);
      this.arrivedAt.push(performance.now());
      this.#waiters = this.#waiters.filter((w) => !(w.test(message) && (w.resolve(message), true)));
    };
  }

  static async open(server: RunningServer, sessionId?: string): Promise<PageSocket> {
    const url = server.url.replace("http", "ws") + (sessionId ? `/ws/ui/${sessionId}` : "/ws/ui");
    const page = new PageSocket(await openSocket(url));
    await page.next((m) => m.type === "hello");
    return page;
  }

  /** The first message (already received or coming) that passes `test`; fails after `timeoutMs`. */
  next(test: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  types(): string[] {
    return this.messages.map((m) => m.type);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const done = closed(this.socket);
    this.socket.close();
    await done;
  }
}

/** μ-law bytes of a 20 ms frame: a 440 Hz tone of `amplitude` (0..1 of full scale), 0 for silence. */
export function toneFrame(amplitude: number, phase = 0): Uint8Array {
  const samples = new Int16Array(160);
  for (let i = 0; i < 160; i++) {
    samples[i] = Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * 440 * (phase + i) / 8000));
  }
  return alawmulaw.mulaw.encode(samples);
}

/** Resolves once `condition()` holds; fails after `timeoutMs` naming `what` it waited for. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
