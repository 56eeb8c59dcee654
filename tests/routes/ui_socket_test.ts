import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { startServer } from "../../routes/server.ts";
import {
  DISCONNECT_BUFFERED_BYTES,
  METRICS_DROP_BUFFERED_BYTES,
  type PageSocketLike,
  send,
} from "../../routes/ui_socket.ts";
import { closed, openSocket, PageSocket } from "../support/fake_twilio.ts";

const METRICS: ServerMessage = {
  type: "metrics",
  session_id: "CA1",
  data: {
    stream_ms: 250,
    agent: { speaking: true, level_db: -25, wpm: null },
    customer: { speaking: false, level_db: null, wpm: null },
    silence_s: 0,
    interruptions: 0,
    talk_ratio: 1,
  },
};
const SUGGESTION: ServerMessage = {
  type: "suggestion",
  session_id: "CA1",
  data: {
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    severity: "medium",
    timestamp: new Date(0).toISOString(),
    stream_ms: 6000,
    reason: "182 WPM for 5.0 s of speech",
  },
};

function fakeSocket(bufferedAmount: number) {
  const sent: string[] = [];
  const closes: number[] = [];
  const socket: PageSocketLike = {
    readyState: WebSocket.OPEN,
    bufferedAmount,
    send: (text) => void sent.push(String(text)),
    close: (code) => void closes.push(code ?? 0),
  };
  return { socket, sent, closes };
}

Deno.test("UI socket - a slow page loses metrics first, never suggestions", () => {
  const slow = fakeSocket(METRICS_DROP_BUFFERED_BYTES + 1);
  assert.equal(send(slow.socket, METRICS, silentLogger), false);
  assert.equal(send(slow.socket, SUGGESTION, silentLogger), true);
  assert.deepEqual(slow.sent.map((t) => JSON.parse(t).type), ["suggestion"]);
  const fine = fakeSocket(0);
  assert.equal(send(fine.socket, METRICS, silentLogger), true);
});

Deno.test("UI socket - a page far behind is disconnected so it can resume, instead of buffering forever", () => {
  const stuck = fakeSocket(DISCONNECT_BUFFERED_BYTES + 1);
  assert.equal(send(stuck.socket, SUGGESTION, silentLogger), false);
  assert.deepEqual(stuck.closes, [4000]);
});

Deno.test("UI socket - unknown messages get an error; subscribe switches the call and answers hello", async () => {
  const server = await startServer(loadConfig({ PORT: "0" }), { hostname: "127.0.0.1", log: silentLogger });
  try {
    server.registry.open("CA_known");
    const page = await PageSocket.open(server);
    assert.deepEqual(
      page.messages[0].type === "hello" && page.messages[0].sessions.map((s) => s.session_id),
      [
        "CA_known",
      ],
    );
    page.socket.send('{"type":"dance"}');
    const error = await page.next((m) => m.type === "error");
    assert.match(error.type === "error" ? error.message : "", /subscribe/);
    page.socket.send("not json");
    await page.next((m) =>
      m.type === "error" && page.messages.filter((x) => x.type === "error").length === 2
    );

    page.socket.send(JSON.stringify({ type: "subscribe", session_id: "CA_missing" }));
    const waiting = await page.next((m) => m.type === "error" && /CA_missing/.test(m.message));
    assert.match(waiting.type === "error" ? waiting.message : "", /waiting for it/);
    const hellos = page.messages.filter((m) => m.type === "hello");
    assert.equal(hellos.length, 2);
    assert.deepEqual(hellos[1].type === "hello" && hellos[1].sessions, []);
    await page.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("UI socket - oversize or binary messages close the page socket with 1009", async () => {
  const server = await startServer(loadConfig({ PORT: "0" }), { hostname: "127.0.0.1", log: silentLogger });
  try {
    const socket = await openSocket(`${server.url.replace("http", "ws")}/ws/ui`);
    const done = closed(socket);
    socket.send("x".repeat(5000));
    assert.equal((await done).code, 1009);
  } finally {
    await server.shutdown();
  }
});
