/**
 * `WS /ws/ui` (every call) and `WS /ws/ui/{session_id}` (one call): the agent page's live feed.
 *
 * On connect the page gets `hello` with the current state of what it follows, so a reconnecting page
 * resumes where it was; then `stream_started`, `metrics`, `suggestion`, `suggestion_cleared` and `call_ended`
 * as they happen.
 * The page may send `subscribe` to follow another call. A page that reads too slowly loses metrics first,
 * never suggestions, and never slows the audio path.
 *
 * @module
 */
import type { Logger } from "../core/log.ts";
import { ClientMessageSchema, type ServerMessage } from "../core/protocol/ui_messages.ts";
import type { PageFeed } from "../core/session/registry.ts";
import { serialized } from "./serialized.ts";

/** Largest message a page may send. */
export const MAX_UI_MESSAGE_BYTES = 4 * 1024;
/** Above this many buffered bytes a page's metrics are dropped until it catches up. */
export const METRICS_DROP_BUFFERED_BYTES = 256 * 1024;
/** Above this many buffered bytes the page is too far behind and is disconnected (it will reconnect). */
export const DISCONNECT_BUFFERED_BYTES = 4 * 1024 * 1024;

/** What the UI socket needs. */
export interface UiSocketDeps {
  /** The calls a page can follow: this server's, or the whole cluster's. */
  feed: PageFeed;
  log: Logger;
  /** Registers an open socket so shutdown can close it; returns the function that unregisters it. */
  track: (socket: WebSocket) => () => void;
}

/** Upgrades the request to a UI socket following `sessionId` (or every call when null). */
export function upgradeUiSocket(request: Request, sessionId: string | null, deps: UiSocketDeps): Response {
  const { socket, response } = Deno.upgradeWebSocket(request);
  let unfollow = () => {};
  let untrack = () => {};

  const follow = (id: string | null, via: "url" | "subscribe") => {
    unfollow();
    let first = true;
    unfollow = deps.feed.follow(id, (message) => {
      send(socket, message, deps.log);
      if (first && message.type === "hello") {
        first = false;
        if (id !== null && message.sessions.length === 0) unknownSession(id, via);
      }
    });
  };
  const unknownSession = (id: string, via: "url" | "subscribe") => {
    deps.log.warn("ui_subscribe_unknown_session", {
      session_id: id,
      via,
      reason: "no call with this id is known (not started yet, or ended and forgotten); " +
        "the page gets an empty hello and waits for it",
    });
    send(
      socket,
      { type: "error", message: `No call ${id} is known yet; waiting for it to start.` },
      deps.log,
    );
  };

  socket.onopen = () => {
    untrack = deps.track(socket);
    follow(sessionId, "url");
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== "string" || event.data.length > MAX_UI_MESSAGE_BYTES) {
      deps.log.warn("ui_socket_closed", { reason: "binary or oversize message" });
      socket.close(1009, "messages must be JSON text under 4 KiB");
      return;
    }
    let json: unknown;
    let notJson = false;
    try {
      json = JSON.parse(event.data);
    } catch {
      notJson = true;
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      deps.log.warn("ui_message_rejected", {
        reason: notJson
          ? "not JSON"
          : `not a known page message: ${issue?.path.join(".") || "message"}: ${issue?.message}`,
        message: event.data.slice(0, 100),
      });
      send(
        socket,
        { type: "error", message: 'Unknown message: send {"type":"subscribe","session_id":…}.' },
        deps.log,
      );
      return;
    }
    follow(parsed.data.session_id, "subscribe");
  };
  socket.onclose = () => {
    unfollow();
    untrack();
  };
  socket.onerror = (event) => {
    deps.log.debug("ui_socket_error", {
      error: event instanceof ErrorEvent ? event.message : "socket error",
    });
  };
  return response;
}

/** The part of a WebSocket that {@linkcode send} uses (a test can pass a stand-in). */
export type PageSocketLike = Pick<WebSocket, "readyState" | "bufferedAmount" | "send" | "close">;

/**
 * Sends one message to a page without ever blocking: metrics are dropped while the page's send buffer is
 * over {@linkcode METRICS_DROP_BUFFERED_BYTES}; a page over {@linkcode DISCONNECT_BUFFERED_BYTES} is
 * disconnected (it reconnects and resumes from `hello`). Returns whether the message was sent.
 */
export function send(socket: PageSocketLike, message: ServerMessage, log: Logger): boolean {
  if (socket.readyState !== WebSocket.OPEN) return false;
  const buffered = socket.bufferedAmount;
  if (buffered > DISCONNECT_BUFFERED_BYTES) {
    log.warn("ui_socket_closed", { reason: "page too slow", buffered });
    socket.close(4000, "too far behind; reconnect to resume");
    return false;
  }
  if (message.type === "metrics" && buffered > METRICS_DROP_BUFFERED_BYTES) return false;
  socket.send(serialized(message));
  return true;
}
