import assert from "node:assert/strict";
import { backoffDelayMs, UiSocket } from "../../islands/ui_socket.ts";

Deno.test("UI socket - reconnect delays double from 0.5 s and stop at 4 s, under the 5 s cap", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 4000, 4000, 4000]);
  assert.equal(backoffDelayMs(3, { initialMs: 100, maxMs: 500 }), 500);
});

Deno.test("UI socket - an attempt that neither opens nor fails is given up and retried", async () => {
  // A server that took the connection but never answers the upgrade: sockets that stay CONNECTING.
  const made: HangingSocket[] = [];
  class HangingSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    readyState = 0;
    onopen: (() => void) | null = null;
    onclose: (() => void) | null = null;
    onmessage: (() => void) | null = null;
    constructor(readonly url: string) {
      made.push(this);
    }
    close() {
      this.readyState = 3;
      queueMicrotask(() => this.onclose?.());
    }
    send() {}
  }
  const realSocket = globalThis.WebSocket;
  const realOnLine = Object.getOwnPropertyDescriptor(navigator, "onLine");
  Object.defineProperty(globalThis, "WebSocket", {
    value: HangingSocket,
    configurable: true,
    writable: true,
  });
  Object.defineProperty(navigator, "onLine", { value: true, configurable: true });
  const states: string[] = [];
  const ui = new UiSocket("ws://127.0.0.1:9/ws/ui", {
    onMessage: () => {},
    onState: (state) => states.push(state.kind),
  }, { connectTimeoutMs: 50, backoff: { initialMs: 10, maxMs: 10 } });
  try {
    ui.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(made.length >= 3, `it kept trying: ${made.length} attempts`);
    assert.ok(made.slice(0, -1).every((socket) => socket.readyState === 3), "each hung attempt was closed");
    assert.deepEqual(states.slice(0, 3), ["connecting", "reconnecting", "connecting"]);
  } finally {
    ui.stop();
    Object.defineProperty(globalThis, "WebSocket", { value: realSocket, configurable: true, writable: true });
    if (realOnLine) Object.defineProperty(navigator, "onLine", realOnLine);
    else delete (navigator as { onLine?: boolean }).onLine;
  }
});
