import assert from "node:assert/strict";
import { silentLogger } from "../../core/log.ts";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import type { RunningServer } from "../../server/start.ts";
import {
  DISCONNECT_BUFFERED_BYTES,
  METRICS_DROP_BUFFERED_BYTES,
  type PageSocketLike,
  send,
} from "../../server/ui_socket.ts";
import { closed, openSocket, PageSocket, waitFor } from "../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

/** A server whose log lines are collected. */
const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({}, run);

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
    customer_raised: false,
  },
};
const SUGGESTION: ServerMessage = {
  type: "suggestion",
  session_id: "CA1",
  data: {
    id: "1",
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    fixed_message: "Slow down a little",
    phrased_by: "rules",
    severity: "medium",
    timestamp: new Date(0).toISOString(),
    stream_ms: 6000,
    reason: "About 185 words a minute; aim for 110–160",
    active: true,
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

Deno.test("UI socket - unknown messages get an error and a logged reason; subscribe switches the call and answers hello", async () => {
  await withServer(async (server, logs) => {
    server.registry.open("CA_known");
    const page = await PageSocket.open(server);
    assert.deepEqual(
      page.messages[0].type === "hello" && page.messages[0].sessions.map((s) => s.session_id),
      ["CA_known"],
    );
    const rejected = () => logs.filter((l) => l.event === "ui_message_rejected");
    page.socket.send('{"type":"dance"}');
    const error = await page.next((m) => m.type === "error");
    assert.match(error.type === "error" ? error.message : "", /subscribe/);
    await waitFor(() => rejected().length === 1, "the unknown message to be logged");
    assert.match(String(rejected()[0].reason), /^not a known page message: type: /);
    assert.equal(rejected()[0].message, '{"type":"dance"}');
    assert.equal(rejected()[0].level, "warn");

    page.socket.send("not json");
    await page.next((m) =>
      m.type === "error" && page.messages.filter((x) => x.type === "error").length === 2
    );
    await waitFor(() => rejected().length === 2, "the non-JSON message to be logged");
    assert.equal(rejected()[1].reason, "not JSON");
    assert.equal(rejected()[1].message, "not json");

    page.socket.send(JSON.stringify({ type: "subscribe", session_id: "" }));
    await waitFor(() => rejected().length === 3, "the empty session id to be logged");
    assert.match(String(rejected()[2].reason), /^not a known page message: session_id: /);

    page.socket.send(JSON.stringify({ type: "subscribe", session_id: "CA_known" }));
    await page.next((m) =>
      m.type === "hello" && page.messages.filter((x) => x.type === "hello").length === 2
    );
    assert.equal(rejected().length, 3, "a valid subscribe is not rejected");
    assert.ok(!logs.some((l) => l.event === "ui_subscribe_unknown_session"), "CA_known exists");
    await page.close();
  });
});

Deno.test("UI socket - following a call that does not exist is logged with the reason, by URL or by subscribe", async () => {
  await withServer(async (server, logs) => {
    const unknown = () => logs.filter((l) => l.event === "ui_subscribe_unknown_session");

    // By subscribe: an empty hello, an error saying the page waits, and a log line naming the call.
    const page = await PageSocket.open(server);
    page.socket.send(JSON.stringify({ type: "subscribe", session_id: "CA_missing" }));
    const waiting = await page.next((m) => m.type === "error" && /CA_missing/.test(m.message));
    assert.match(waiting.type === "error" ? waiting.message : "", /waiting for it/);
    const hellos = page.messages.filter((m) => m.type === "hello");
    assert.equal(hellos.length, 2);
    assert.deepEqual(hellos[1].type === "hello" && hellos[1].sessions, []);
    await waitFor(() => unknown().length === 1, "the unknown session to be logged");
    assert.equal(unknown()[0].level, "warn");
    assert.equal(unknown()[0].session_id, "CA_missing");
    assert.equal(unknown()[0].via, "subscribe");
    assert.match(String(unknown()[0].reason), /no call with this id is known/);
    await page.close();

    // By URL: /ws/ui/{session_id} of an unknown call.
    const byUrl = await PageSocket.open(server, "CA_gone");
    await byUrl.next((m) => m.type === "error" && /CA_gone/.test(m.message));
    await waitFor(() => unknown().length === 2, "the unknown session in the URL to be logged");
    assert.equal(unknown()[1].session_id, "CA_gone");
    assert.equal(unknown()[1].via, "url");
    await byUrl.close();

    // A call that exists is followed without any such line.
    server.registry.open("CA_here");
    const known = await PageSocket.open(server, "CA_here");
    assert.equal(unknown().length, 2);
    await known.close();
  });
});

Deno.test("UI socket - oversize or binary messages close the page socket with 1009 and a logged reason", async () => {
  await withServer(async (server, logs) => {
    for (const message of ["x".repeat(5000), new Uint8Array(10)]) {
      const socket = await openSocket(`${server.url.replace("http", "ws")}/ws/ui`);
      const done = closed(socket);
      socket.send(message);
      assert.equal((await done).code, 1009);
    }
    const logged = logs.filter((l) => l.event === "ui_socket_closed");
    assert.deepEqual(logged.map((l) => l.reason), [
      "binary or oversize message",
      "binary or oversize message",
    ]);
  });
});
