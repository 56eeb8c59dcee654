/**
 * The page's end of the UI WebSocket: validates every server message with the shared zod schema and
 * reconnects with exponential backoff. After a reconnect the server's `hello` restores the view, so the page
 * never needs a reload.
 *
 * @module
 */
import { type ClientMessage, type ServerMessage, ServerMessageSchema } from "../core/protocol/ui_messages.ts";

/** Connection state as the page shows it. `retryAtMs` is browser time of the next attempt. */
export type SocketState =
  | { kind: "connecting" }
  | { kind: "connected" }
  | { kind: "reconnecting"; retryAtMs: number }
  | { kind: "offline" };

/** Backoff between attempts: `initialMs`, doubling, never above `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * Half a second, then doubling up to 4 s: a page is back within 5 s of the server (the wait plus the
 * connection), and a thousand pages retrying a server that is gone send a few hundred attempts a second.
 */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 4000 };

/** Delay before reconnect attempt number `attempt` (0 = first retry after a drop). */
export function backoffDelayMs(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt));
}

/**
 * A connection attempt that neither opens nor fails within this long is given up and retried: a server that
 * took the TCP connection but never answers the upgrade must not leave the page "connecting" for good.
 */
export const CONNECT_TIMEOUT_MS = 4000;

/** Options of {@link UiSocket}. */
export interface UiSocketOptions {
  backoff?: Backoff;
  connectTimeoutMs?: number;
}

/** Callbacks of {@link UiSocket}. */
export interface UiSocketHandlers {
  onMessage(message: ServerMessage): void;
  onState(state: SocketState): void;
}

/** A WebSocket to `/ws/ui` that keeps itself connected until {@link UiSocket.stop}. */
export class UiSocket {
  #socket: WebSocket | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #stopped = false;
  readonly #onOnline = () => this.#connect();
  readonly #onOffline = () => {
    this.#handlers.onState({ kind: "offline" });
    this.#socket?.close(); // a socket on a dead network can linger for minutes; drop it now
  };

  readonly #url: string;
  readonly #handlers: UiSocketHandlers;
  readonly #backoff: Backoff;
  readonly #connectTimeoutMs: number;

  constructor(url: string, handlers: UiSocketHandlers, options: UiSocketOptions = {}) {
    this.#url = url;
    this.#handlers = handlers;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  start(): void {
    globalThis.addEventListener("online", this.#onOnline);
    globalThis.addEventListener("offline", this.#onOffline);
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    globalThis.removeEventListener("online", this.#onOnline);
    globalThis.removeEventListener("offline", this.#onOffline);
    this.#socket?.close(1000, "page closed");
  }

  /** Send when connected; returns false if the socket is not open (the caller resends on reconnect). */
  send(message: ClientMessage): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  #connect(): void {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    if (this.#socket && this.#socket.readyState <= WebSocket.OPEN) return;
    this.#handlers.onState({ kind: "connecting" });
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      if (socket.readyState === WebSocket.CONNECTING) socket.close(); // onclose retries
    }, this.#connectTimeoutMs);
    socket.onopen = () => {
      clearTimeout(this.#connectTimer);
      this.#attempt = 0;
      this.#handlers.onState({ kind: "connected" });
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => {
      clearTimeout(this.#connectTimer);
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = null;
      if (!navigator.onLine) {
        this.#handlers.onState({ kind: "offline" }); // the "online" event reconnects
        return;
      }
      const delay = backoffDelayMs(this.#attempt++, this.#backoff);
      this.#handlers.onState({ kind: "reconnecting", retryAtMs: Date.now() + delay });
      this.#retryTimer = setTimeout(() => this.#connect(), delay);
    };
  }

  #receive(data: unknown): void {
    if (typeof data !== "string") {
      console.error("UI socket: ignoring a binary frame; the server only sends JSON text frames.");
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (error) {
      console.error("UI socket: ignoring a frame that is not JSON:", data.slice(0, 200), error);
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      console.error("UI socket: ignoring a message that does not match ui_messages.ts:", parsed.error.issues);
      return;
    }
    this.#handlers.onMessage(parsed.data);
  }
}
