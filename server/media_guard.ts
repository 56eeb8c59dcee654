/**
 * Who may open a media socket, and for how long it may stay silent: the checks around
 * `WS /ws/twilio/media/{CallSid}` that come before the stream's own `start`.
 *
 * - The upgrade must carry `x-twilio-signature` over the stream's `wss://` URL (Twilio always sends it, and
 *   so do the simulator, the tests and the bench). Without a valid one the answer is 403 before any
 *   WebSocket exists, so a stranger never reaches the runtime's frame buffer: Deno buffers a whole message
 *   (up to 64 MiB) before the server sees it, and `Deno.upgradeWebSocket` has no option to lower that.
 * - At most {@linkcode MAX_PENDING_STREAMS} sockets per process, and one per CallSid, may wait for their
 *   `start`; more get 503. Twilio sends `start` within milliseconds of the upgrade.
 * - A socket with no valid `start` within {@linkcode START_DEADLINE_MS} is closed (1008).
 *
 * A socket counts as waiting until its `start` is accepted or it has closed. One closed at the deadline
 * by a peer that never answers the close stays counted: the runtime keeps such a connection until the
 * peer speaks or goes away, so it must keep its place under the cap too.
 *
 * @module
 */
import type { Logger } from "../core/log.ts";
import { isValidTwilioSignature } from "../core/twilio/signature.ts";
import { mediaStreamUrl } from "../core/twilio/twiml.ts";

/** Sockets of this process that may wait for `start` at once (a real one waits milliseconds). */
export const MAX_PENDING_STREAMS = 64;
/** How long a media socket may wait for a valid `start` before it is closed. */
export const START_DEADLINE_MS = 5_000;

/** Options of {@linkcode MediaUpgradeGuard}. */
export interface MediaUpgradeGuardOptions {
  /** The token Twilio signs with (or the ephemeral local one). */
  authToken: string;
  /** `PUBLIC_URL`: signatures are over the stream URL built from it, never from the request's Host. */
  publicUrl: string;
  log: Logger;
  /** Default {@linkcode MAX_PENDING_STREAMS}. */
  maxPending?: number;
  /** Default {@linkcode START_DEADLINE_MS}. */
  startDeadlineMs?: number;
}

/** A socket admitted by the guard, waiting for its `start`. */
export interface PendingStream {
  /** Watches `socket`: closes it at the deadline, and frees its place once it has closed. */
  watch(socket: WebSocket): void;
  /** The stream's `start` was accepted: it no longer counts as waiting. */
  started(): void;
  /** The upgrade failed (a malformed request): the place is given back. */
  abandon(): void;
}

/** The media-socket checks of one process. */
export class MediaUpgradeGuard {
  readonly #options: MediaUpgradeGuardOptions;
  readonly #maxPending: number;
  readonly #deadlineMs: number;
  /** Waiting sockets per CallSid (one at most). */
  readonly #pending = new Set<string>();

  constructor(options: MediaUpgradeGuardOptions) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? MAX_PENDING_STREAMS;
    this.#deadlineMs = options.startDeadlineMs ?? START_DEADLINE_MS;
  }

  /** Sockets waiting for `start` now. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Checks an upgrade request for `callSid`. Returns the refusal to send (403 unsigned, 409 a socket of
   * this call already waits, 503 too many wait), or the admitted stream, which the caller must
   * {@linkcode PendingStream.watch} once upgraded.
   */
  admit(request: Request, callSid: string): Response | PendingStream {
    const { authToken, publicUrl, log } = this.#options;
    const signature = request.headers.get("x-twilio-signature");
    const url = mediaStreamUrl(publicUrl, callSid);
    if (!isValidTwilioSignature(authToken, signature, url, {})) {
      const reason = signature === null ? "signature missing" : "signature does not match";
      log.warn("media_socket_rejected", { session_id: callSid, reason, url });
      return refusal(403, `Forbidden: ${reason} (x-twilio-signature over ${url}).`);
    }
    if (this.#pending.has(callSid)) {
      log.warn("media_socket_rejected", {
        session_id: callSid,
        reason: "a socket of this call already waits",
      });
      return refusal(409, `Conflict: a media socket for ${callSid} is already waiting for its start.`);
    }
    if (this.#pending.size >= this.#maxPending) {
      log.warn("media_socket_rejected", {
        session_id: callSid,
        reason: `${this.#pending.size} sockets already wait for their start`,
      });
      return refusal(503, "Service unavailable: too many media sockets are waiting for their start.", {
        "retry-after": "1",
      });
    }
    this.#pending.add(callSid);
    return this.#pendingStream(callSid);
  }

  #pendingStream(callSid: string): PendingStream {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiting = true;
    const release = () => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(timer);
      this.#pending.delete(callSid);
    };
    return {
      watch: (socket) => {
        socket.addEventListener("close", release, { once: true });
        timer = setTimeout(() => {
          const reason = `no valid start within ${this.#deadlineMs / 1000} s`;
          this.#options.log.warn("media_socket_closed", { session_id: callSid, code: 1008, reason });
          if (socket.readyState === WebSocket.OPEN) {
            // Still counted as waiting until the close completes: see the module notes.
            socket.close(1008, reason);
          } else {
            // The upgrade itself never completed (the client left during it): nothing holds a place.
            socket.close();
            release();
          }
        }, this.#deadlineMs);
      },
      started: release,
      abandon: release,
    };
  }
}

/** A refused upgrade: the connection is not kept for another request either. */
export function refusal(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", connection: "close", ...headers },
  });
}
