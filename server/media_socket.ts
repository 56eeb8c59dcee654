/**
 * `WS /ws/twilio/media/{CallSid}`: the Twilio Media Streams adapter.
 *
 * The upgrade is admitted by server/media_guard.ts (signature, sockets waiting for `start`, the start
 * deadline). Validates every frame, checks the `start` token against the CallSid in the path, then hands
 * μ-law frames to the call's session. A bad frame gets a logged reason and a close code; it never reaches
 * other calls.
 *
 * Close codes: 1000 after `stop`; 1003 binary frame; 1007 malformed frame; 1008 policy (bad token,
 * media before start, second start, wrong CallSid, call already ended, no start in time); 1009 oversize;
 * 1011 server fault.
 *
 * @module
 */
import type { TrackName } from "../core/protocol/twilio_messages.ts";
import type { Logger } from "../core/log.ts";
import { SLOT_SAMPLES } from "../core/audio/types.ts";
import { MediaReader } from "../core/protocol/media_reader.ts";
import { MAX_MEDIA_BYTES, parseTwilioMessage, type TwilioMessage } from "../core/protocol/twilio_messages.ts";
import { type CallSession, type SessionRegistry, SessionStateError } from "../core/session/registry.ts";
import { verifyStreamToken } from "../core/twilio/stream_token.ts";
import { type MediaUpgradeGuard, type PendingStream, refusal } from "./media_guard.ts";

/** Largest text frame accepted on the media socket. */
export const MAX_MEDIA_MESSAGE_BYTES = 64 * 1024;
/** Messages accepted before a valid `start` (Twilio sends `connected` then `start`). */
export const MAX_MESSAGES_BEFORE_START = 8;
/**
 * Messages per second of wall time a stream may send. A real call sends 100 (two tracks × 50 frames);
 * the cap leaves room for replaying recorded calls 100× faster than real time, and stops floods.
 */
export const MAX_MESSAGES_PER_SECOND = 10_000;

/** What the media socket needs. */
export interface MediaSocketDeps {
  registry: SessionRegistry;
  authToken: string;
  /** Signature, pre-start cap and start deadline (server/media_guard.ts). */
  guard: MediaUpgradeGuard;
  log: Logger;
  /** Wall clock, ms. */
  now: () => number;
  /** Registers an open socket so shutdown can close it; returns the function that unregisters it. */
  trackSocket: (socket: WebSocket) => () => void;
}

/** A protocol violation: the socket is closed with `code` and the reason is logged. */
class ProtocolError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * Upgrades the request to the media socket for `callSid`, once the guard has admitted it (a valid
 * `x-twilio-signature`, room among the sockets waiting for `start`); otherwise answers the guard's refusal.
 */
export function upgradeMediaSocket(request: Request, callSid: string, deps: MediaSocketDeps): Response {
  const pending = deps.guard.admit(request, callSid);
  if (pending instanceof Response) return pending;
  let upgrade: { socket: WebSocket; response: Response };
  try {
    upgrade = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
  } catch (error) {
    pending.abandon();
    // The runtime refuses a malformed handshake (no Sec-WebSocket-Key, …) with a TypeError: the client's fault.
    if (!(error instanceof TypeError)) throw error;
    deps.log.warn("media_socket_rejected", { session_id: callSid, reason: error.message });
    return refusal(400, `Bad request: ${error.message}.`);
  }
  const { socket, response } = upgrade;
  pending.watch(socket);
  new MediaConnection(socket, callSid, deps, pending);
  return response;
}

/**
 * One decode buffer for every media socket of the process. A frame is decoded and handed to its session,
 * which measures it, in one synchronous step, so no two frames ever share it at once; one buffer stays in
 * the CPU cache, where a buffer per call would be a cold one for each of a thousand calls.
 */
const frameBuffer = new Uint8Array(MAX_MEDIA_BYTES);
/** The buffer's first 20 ms, made once: a view per frame would be garbage 100 times a second. */
const slotView = frameBuffer.subarray(0, SLOT_SAMPLES);

class MediaConnection {
  #session: CallSession | null = null;
  #streamSid = "";
  /** Reads this stream's media messages without `JSON.parse`; set by `start` (null if its SID needs escapes). */
  #reader: MediaReader | null = null;
  #untrack = () => {};
  #windowStart = 0;
  #windowCount = 0;
  #messagesBeforeStart = 0;

  constructor(
    readonly socket: WebSocket,
    readonly callSid: string,
    readonly deps: MediaSocketDeps,
    readonly pending: PendingStream,
  ) {
    socket.onopen = () => this.#untrack = deps.trackSocket(socket);
    // A listener, not `onmessage`: the runtime calls an `on…` handler through one more wrapper per message.
    socket.addEventListener("message", (event) => this.#onMessage(event.data));
    socket.onclose = () => this.#onClose();
    socket.onerror = (event) => {
      const message = event instanceof ErrorEvent ? event.message : "socket error";
      deps.log.warn("media_socket_error", { session_id: callSid, error: message });
    };
  }

  #onMessage(data: unknown): void {
    try {
      if (typeof data !== "string") {
        throw new ProtocolError(1003, "binary frames are not part of the protocol");
      }
      if (data.length > MAX_MEDIA_MESSAGE_BYTES) {
        throw new ProtocolError(1009, `message of ${data.length} bytes exceeds ${MAX_MEDIA_MESSAGE_BYTES}`);
      }
      // One clock read per message, shared by the rate limit and the session's idle timer.
      const now = this.deps.now();
      this.#checkRate(now);
      // Twilio's media messages, as Twilio writes them, skip JSON.parse; anything else takes the general path.
      const reader = this.#reader;
      const session = this.#session;
      if (reader !== null && session !== null && reader.read(data, frameBuffer)) {
        return this.#ingest(session, reader.track, reader.timestampMs, reader.length, now);
      }
      const parsed = parseTwilioMessage(data);
      if (!parsed.ok) throw new ProtocolError(1007, `malformed message: ${parsed.error}`);
      this.#handle(parsed.message, now);
    } catch (error) {
      if (error instanceof ProtocolError) return this.#close(error.code, error.message);
      this.deps.log.error("media_socket_fault", { session_id: this.callSid, error });
      this.#close(1011, "internal error");
    }
  }

  /** Closes floods: too many messages before `start`, or more per second than any real call sends. */
  #checkRate(now: number): void {
    if (!this.#session && ++this.#messagesBeforeStart > MAX_MESSAGES_BEFORE_START) {
      throw new ProtocolError(1008, `more than ${MAX_MESSAGES_BEFORE_START} messages before start`);
    }
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    if (++this.#windowCount > MAX_MESSAGES_PER_SECOND) {
      throw new ProtocolError(1008, `flood: more than ${MAX_MESSAGES_PER_SECOND} messages per second`);
    }
  }

  #handle(message: TwilioMessage, now: number): void {
    switch (message.event) {
      case "media":
        return this.#media(message.streamSid, message.media, now);
      case "start":
        return this.#start(message);
      case "stop":
        this.#requireStarted("stop");
        this.deps.registry.end(this.callSid, "stream_stopped");
        return this.#close(1000, "stream stopped", "info");
      case "connected":
      case "dtmf":
      case "mark":
        return;
    }
  }

  #start(message: Extract<TwilioMessage, { event: "start" }>): void {
    const { callSid, customParameters } = message.start;
    if (this.#session) throw new ProtocolError(1008, "a second start on one stream");
    if (callSid !== this.callSid) {
      throw new ProtocolError(1008, `start is for ${callSid} but the socket URL names ${this.callSid}`);
    }
    if (!verifyStreamToken(this.deps.authToken, callSid, customParameters.token)) {
      throw new ProtocolError(1008, "the token parameter does not match this call");
    }
    const requested = customParameters.agent_track;
    let session: CallSession;
    try {
      session = this.deps.registry.open(callSid);
    } catch (error) {
      if (error instanceof SessionStateError) throw new ProtocolError(1008, error.message);
      throw error;
    }
    if (session.status !== "waiting") throw new ProtocolError(1008, `the call is already ${session.status}`);
    const last4 = customParameters.customer_last4;
    session.startStream(
      requested === "inbound" || requested === "outbound" ? requested : session.agentTrack,
      last4 !== undefined && /^\d{4}$/.test(last4) ? last4 : null,
    );
    this.#session = session;
    this.#streamSid = message.streamSid;
    this.#reader = MediaReader.forStream(message.streamSid);
    this.pending.started();
    this.deps.log.info("stream_started", { session_id: callSid, stream_sid: message.streamSid });
  }

  #media(
    streamSid: string,
    media: { track: "inbound" | "outbound"; timestamp: string; payload: string },
    now: number,
  ): void {
    const session = this.#requireStarted("media");
    if (streamSid !== this.#streamSid) throw new ProtocolError(1008, `media for unknown stream ${streamSid}`);
    if (session.status === "ended") return this.#close(1000, "call ended", "info");
    let written: number;
    try {
      const result = frameBuffer.setFromBase64(media.payload);
      if (result.read !== media.payload.length) throw new Error("payload longer than the frame limit");
      written = result.written;
    } catch (error) {
      throw new ProtocolError(1007, `payload is not valid base64 μ-law: ${(error as Error).message}`);
    }
    if (written === 0) throw new ProtocolError(1007, "empty media payload");
    this.#ingest(session, media.track, Number(media.timestamp), written, now);
  }

  /** Hands the `length` bytes decoded into the shared buffer to the session (both paths end here). */
  #ingest(session: CallSession, track: TrackName, timestampMs: number, length: number, now: number): void {
    if (session.status === "ended") return this.#close(1000, "call ended", "info");
    session.ingest(
      track,
      timestampMs,
      length === SLOT_SAMPLES ? slotView : frameBuffer.subarray(0, length),
      now,
    );
  }

  #requireStarted(event: string): CallSession {
    if (!this.#session) throw new ProtocolError(1008, `${event} before start`);
    return this.#session;
  }

  #onClose(): void {
    this.#untrack();
    if (this.#session?.status === "live") this.deps.registry.end(this.callSid, "media_socket_closed");
  }

  #close(code: number, reason: string, level: "info" | "warn" = "warn"): void {
    this.deps.log[level]("media_socket_closed", {
      session_id: this.callSid,
      code,
      reason: truncateUtf8(reason, MAX_LOGGED_REASON_BYTES),
    });
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
    }
  }
}

/** A close frame's reason is at most 123 bytes of UTF-8; `WebSocket.close` throws beyond that. */
const MAX_CLOSE_REASON_BYTES = 123;
/** Reasons quote the peer's input (a CallSid, a field name): the log keeps this much of one. */
const MAX_LOGGED_REASON_BYTES = 500;

/**
 * `text` cut to at most `maxBytes` of UTF-8 at a character boundary, with "…" when cut. Reasons quote
 * what the peer sent, so they may hold any characters and be of any length.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  /** End of the longest prefix that still leaves room for the 3-byte "…". */
  let cut = 0;
  for (const char of text) {
    bytes += utf8Length(char.codePointAt(0)!);
    if (bytes > maxBytes) return text.slice(0, cut) + "…";
    end += char.length;
    if (bytes <= maxBytes - 3) cut = end;
  }
  return text;
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}
