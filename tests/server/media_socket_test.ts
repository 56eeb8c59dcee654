import assert from "node:assert/strict";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { MAX_MESSAGES_PER_SECOND, truncateUtf8 } from "../../server/media_socket.ts";
import type { RunningServer } from "../../server/start.ts";
import {
  answerCall,
  closed,
  MediaStream,
  newCallSid,
  openSocket,
  PageSocket,
  toneFrame,
} from "../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

/** One bad input: what is sent (on a started stream or not), and the close code and logged reason it earns. */
type BadInput = {
  name: string;
  started: boolean;
  send: (s: MediaStream) => void;
  code: number;
  reason: RegExp;
};

/** A server whose log lines are collected, so each rejection's logged reason can be checked. */
const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({}, run);

/** A media socket for a fresh call; `started` sends connected + a valid start. */
async function mediaSocket(server: RunningServer, started: boolean) {
  const callSid = newCallSid();
  const answer = await answerCall(server, callSid);
  const socket = await openSocket(answer.url, {
    "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}),
  });
  const stream = new MediaStream(socket, callSid);
  if (started) {
    stream.connected();
    stream.start(answer.parameters);
  }
  return { stream, callSid, parameters: answer.parameters };
}

/**
 * The one `media_socket_closed` line of this call (matched by its CallSid, not just the close code, so an
 * earlier case's line cannot stand in for it): warn level, this close code, this case's reason.
 */
function assertClosedLog(
  logs: Record<string, unknown>[],
  callSid: string,
  code: number,
  reason: RegExp,
  name: string,
): void {
  const lines = logs.filter((l) => l.event === "media_socket_closed" && l.session_id === callSid);
  assert.equal(lines.length, 1, `${name}: one close logged for ${callSid}: ${JSON.stringify(lines)}`);
  assert.equal(lines[0].level, "warn", name);
  assert.equal(lines[0].code, code, `${name}: logged close code`);
  assert.match(String(lines[0].reason), reason, `${name}: logged reason`);
}

const mediaJson = (stream: MediaStream, media: Record<string, unknown>) =>
  JSON.stringify({
    event: "media",
    sequenceNumber: "3",
    streamSid: stream.streamSid,
    media: { track: "inbound", chunk: "1", timestamp: "0", payload: toneFrame(0.1).toBase64(), ...media },
  });

Deno.test("Media socket - each bad input gets its close code and a logged reason; the server and other calls go on", async () => {
  await withServer(async (server, logs) => {
    // A healthy call runs beside the bad ones the whole time.
    const healthy = await mediaSocket(server, true);
    const page = await PageSocket.open(server, healthy.callSid);
    let healthyMs = 0;
    const feedHealthy = () => {
      for (const end = healthyMs + 400; healthyMs < end; healthyMs += 20) {
        healthy.stream.media("outbound", healthyMs, toneFrame(0.1, healthyMs * 8));
        healthy.stream.media("inbound", healthyMs, toneFrame(0));
      }
    };

    const cases: BadInput[] = [
      {
        name: "non-JSON",
        started: true,
        send: (s) => s.socket.send("hello?"),
        code: 1007,
        reason: /^malformed message: not JSON$/,
      },
      {
        name: "wrong shape",
        started: true,
        send: (s) => s.send({ event: "media", media: {} }),
        code: 1007,
        reason: /^malformed message: sequenceNumber: /,
      },
      {
        name: "unknown event",
        started: true,
        send: (s) => s.send({ event: "clear" }),
        code: 1007,
        reason: /^malformed message: event: Invalid discriminator value/,
      },
      {
        name: "media before start",
        started: false,
        send: (s) => s.media("inbound", 0, toneFrame(0)),
        code: 1008,
        reason: /^media before start$/,
      },
      {
        name: "binary frame",
        started: true,
        send: (s) => s.socket.send(new Uint8Array(160)),
        code: 1003,
        reason: /^binary frames are not part of the protocol$/,
      },
      {
        name: "oversize",
        started: true,
        send: (s) => s.socket.send(" ".repeat(70_000)),
        code: 1009,
        reason: /^message of 70000 bytes exceeds 65536$/,
      },
      {
        name: "not base64",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, { payload: "%%%notbase64%%%" })),
        code: 1007,
        reason: /^payload is not valid base64 μ-law: /,
      },
      {
        // JSON allows no raw control character in a string, but base64 decoding skips whitespace: the reader
        // for Twilio's own messages must leave this to JSON.parse.
        name: "raw newline in the payload",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, { payload: "AAAA" }).replace('"AAAA"', '"AA\nAA"')),
        code: 1007,
        reason: /^malformed message: not JSON$/,
      },
      {
        name: "empty payload",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, { payload: "" })),
        code: 1007,
        reason: /^empty media payload$/,
      },
      {
        name: "number timestamp",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, { timestamp: 20 })),
        code: 1007,
        reason: /^malformed message: media\.timestamp: /,
      },
      {
        name: "other stream's media",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, {}).replace(s.streamSid, "MZother")),
        code: 1008,
        reason: /^media for unknown stream MZother$/,
      },
    ];
    for (const testCase of cases) {
      const { stream, callSid } = await mediaSocket(server, testCase.started);
      const done = closed(stream.socket);
      testCase.send(stream);
      const event = await done;
      assert.equal(event.code, testCase.code, testCase.name);
      assert.match(event.reason, testCase.reason, testCase.name);
      assertClosedLog(logs, callSid, testCase.code, testCase.reason, testCase.name);
      feedHealthy();
    }

    // A second start on a stream that already started.
    const twice = await mediaSocket(server, true);
    const twiceClosed = closed(twice.stream.socket);
    twice.stream.start(twice.parameters);
    assert.match((await twiceClosed).reason, /^a second start on one stream$/);
    assertClosedLog(logs, twice.callSid, 1008, /^a second start on one stream$/, "second start");
    feedHealthy();

    const healthyMetrics = await page.next((m) =>
      m.type === "metrics" && m.data.stream_ms >= healthyMs - 400
    );
    assert.equal(healthyMetrics.type, "metrics", "the healthy call kept being analysed");
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assert.equal(server.registry.get(healthy.callSid)?.status, "live");
    healthy.stream.stop();
    await page.close();
  });
});

Deno.test("Media socket - wrong mediaFormat is refused with the supported format named", async () => {
  await withServer(async (server, logs) => {
    const { stream, parameters, callSid } = await mediaSocket(server, false);
    const done = closed(stream.socket);
    stream.send({
      event: "start",
      sequenceNumber: "1",
      streamSid: stream.streamSid,
      start: {
        accountSid: "AC1",
        streamSid: stream.streamSid,
        callSid: stream.callSid,
        tracks: ["inbound"],
        customParameters: parameters,
        mediaFormat: { encoding: "audio/x-l16", sampleRate: 16000, channels: 1 },
      },
    });
    const event = await done;
    assert.equal(event.code, 1007);
    assert.match(event.reason, /only audio\/x-mulaw/);
    assertClosedLog(logs, callSid, 1007, /only audio\/x-mulaw/, "wrong mediaFormat");
  });
});

Deno.test("Media socket - frames as Twilio writes them and the same frames pretty-printed are analysed alike", async () => {
  await withServer(async (server) => {
    const compact = await mediaSocket(server, true);
    const pretty = await mediaSocket(server, true);
    // Pretty-printed JSON never matches Twilio's own layout, so those frames take the general path.
    pretty.stream.send = (message: unknown) => pretty.stream.socket.send(JSON.stringify(message, null, 1));
    const pages = [
      await PageSocket.open(server, compact.callSid),
      await PageSocket.open(server, pretty.callSid),
    ];
    for (const { stream } of [compact, pretty]) {
      for (let t = 0; t < 4000; t += 20) {
        // Bursts from the agent over a faint line hum, a quieter customer answering; the inbound track runs behind.
        const hum = toneFrame(0.003, t * 8);
        stream.media("outbound", t, t % 1000 < 600 ? toneFrame(0.2, t * 8) : hum);
        if (t >= 60) stream.media("inbound", t - 60, t % 1000 >= 700 ? toneFrame(0.05, t * 8) : hum);
      }
      stream.stop();
    }
    const ends = await Promise.all(pages.map((page) => page.next((m) => m.type === "call_ended")));
    assert.equal(ends.length, 2);
    const [a, b] = [compact, pretty].map(({ callSid }) => server.registry.get(callSid)!.snapshot());
    assert.ok(
      a.metrics && a.metrics.stream_ms >= 3900,
      `the compact call was analysed: ${JSON.stringify(a.metrics)}`,
    );
    assert.ok(a.metrics.agent.level_db !== null, `the agent was heard: ${JSON.stringify(a.metrics)}`);
    assert.deepEqual(b.metrics, a.metrics);
    assert.deepEqual(b.suggestions.map((s) => s.type), a.suggestions.map((s) => s.type));
    await Promise.all(pages.map((page) => page.close()));
  });
});

Deno.test("Media socket - odd sizes, out-of-order and duplicate timestamps are absorbed", async () => {
  await withServer(async (server) => {
    const { stream, callSid } = await mediaSocket(server, true);
    const page = await PageSocket.open(server, callSid);
    stream.media("outbound", 0, toneFrame(0.1).subarray(0, 100)); // short frame
    stream.media("outbound", 40, toneFrame(0.1)); // before 20
    stream.media("outbound", 20, toneFrame(0.1));
    stream.media("outbound", 20, toneFrame(0.1)); // duplicate
    stream.media("outbound", 60, new Uint8Array(480).fill(0xff)); // three slots at once
    for (let t = 120; t < 1000; t += 20) stream.media("outbound", t, toneFrame(0.1));
    stream.media("outbound", 0, toneFrame(0.1)); // long late
    stream.stop();
    await page.next((m) => m.type === "call_ended");
    const session = server.registry.get(callSid);
    assert.ok(session);
    assert.equal(session.status, "ended");
    assert.ok(session.streamMs >= 980, `analysed the whole second: ${session.streamMs}`);
    await page.close();
  });
});

// A flooding client is still sending when the close frame arrives, so it may only see the connection
// drop; the server's log carries the close code and reason.
Deno.test("Media socket - a flood beyond any real call is cut off", async () => {
  await withServer(async (server, logs) => {
    const { stream, callSid } = await mediaSocket(server, true);
    const done = closed(stream.socket);
    const silence = new Uint8Array(160).fill(0xff);
    for (let i = 0; i < MAX_MESSAGES_PER_SECOND + 500 && stream.socket.readyState === WebSocket.OPEN; i++) {
      stream.media("inbound", i * 20, silence);
    }
    await done;
    assertClosedLog(logs, callSid, 1008, /^flood: more than 10000 messages per second$/, "flood");
  });
});

Deno.test("Media socket - chatter before start is limited", async () => {
  await withServer(async (server, logs) => {
    const { stream, callSid } = await mediaSocket(server, false);
    const done = closed(stream.socket);
    for (let i = 0; i < 20 && stream.socket.readyState === WebSocket.OPEN; i++) stream.connected();
    await done;
    assertClosedLog(logs, callSid, 1008, /^more than 8 messages before start$/, "chatter before start");
  });
});

Deno.test("Media socket - reasons quoting long or non-ASCII input are cut to fit a close frame; the server stays up", async () => {
  await withServer(async (server, logs) => {
    const phones = "☎".repeat(64); // 192 bytes of UTF-8: more than a close frame's 123
    const cases: BadInput[] = [
      {
        name: "start naming another CallSid (no token needed to get here)",
        started: false,
        send: (s) =>
          s.send({
            event: "start",
            sequenceNumber: "1",
            streamSid: s.streamSid,
            start: {
              accountSid: "AC1",
              streamSid: s.streamSid,
              callSid: phones,
              tracks: ["inbound"],
              customParameters: {},
              mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
            },
          }),
        code: 1008,
        reason: /^start is for ☎+…$/,
      },
      {
        name: "a custom parameter with a long non-ASCII name and a bad value",
        started: false,
        send: (s) =>
          s.send({
            event: "start",
            sequenceNumber: "1",
            streamSid: s.streamSid,
            start: {
              accountSid: "AC1",
              streamSid: s.streamSid,
              callSid: s.callSid,
              tracks: ["inbound"],
              customParameters: { ["é".repeat(5_000)]: 1 },
              mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
            },
          }),
        code: 1007,
        reason: /^malformed message: start\.customParameters\.é+…$/,
      },
      {
        name: "media for another stream with a non-ASCII streamSid",
        started: true,
        send: (s) => s.socket.send(mediaJson(s, {}).replace(s.streamSid, phones)),
        code: 1008,
        reason: /^media for unknown stream ☎+…$/,
      },
    ];
    for (const testCase of cases) {
      const { stream, callSid } = await mediaSocket(server, testCase.started);
      const done = closed(stream.socket);
      testCase.send(stream);
      const event = await done;
      assert.equal(event.code, testCase.code, testCase.name);
      assert.match(event.reason, testCase.reason, testCase.name);
      assert.ok(new TextEncoder().encode(event.reason).length <= 123, testCase.name);
      const logged = logs.filter((l) => l.event === "media_socket_closed" && l.session_id === callSid);
      assert.equal(logged.length, 1, testCase.name);
      assert.ok(
        new TextEncoder().encode(String(logged[0].reason)).length <= 500,
        `${testCase.name}: log bounded`,
      );
      assert.equal((await fetch(`${server.url}/health`)).status, 200, `${testCase.name}: the server is up`);
    }
    assert.deepEqual(logs.filter((l) => l.level === "error"), []);
  });
});

Deno.test("Media socket - truncateUtf8 cuts at a character boundary within the byte limit", () => {
  assert.equal(truncateUtf8("stream stopped", 123), "stream stopped");
  assert.equal(truncateUtf8("a".repeat(123), 123), "a".repeat(123));
  assert.equal(truncateUtf8("a".repeat(124), 123), "a".repeat(120) + "…");
  for (const text of ["☎".repeat(64), "é".repeat(200), "😀".repeat(40), "x" + "😀".repeat(40)]) {
    const cut = truncateUtf8(text, 123);
    const bytes = new TextEncoder().encode(cut).length;
    assert.ok(bytes <= 123 && bytes >= 118, `${bytes} bytes`);
    assert.ok(cut.endsWith("…"));
    assert.ok(text.startsWith(cut.slice(0, -1)), "a prefix of whole characters");
    assert.doesNotMatch(cut, /\uFFFD/);
  }
});

Deno.test("Media socket - only 4 digits are taken as the customer's last digits; anything else labels nothing", async () => {
  await withServer(async (server) => {
    const cases: [string | undefined, string | null][] = [
      ["4567", "4567"],
      ["12345", null],
      ["45a7", null],
      ["<b>", null],
      [undefined, null],
    ];
    for (const [given, kept] of cases) {
      const callSid = newCallSid();
      const answer = await answerCall(server, callSid);
      const socket = await openSocket(answer.url, {
        "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}),
      });
      const stream = new MediaStream(socket, callSid);
      const { customer_last4: _, ...parameters } = answer.parameters;
      const page = await PageSocket.open(server, callSid);
      stream.connected();
      stream.start(given === undefined ? parameters : { ...parameters, customer_last4: given });
      const started = await page.next((m) => m.type === "stream_started");
      assert.ok(started.type === "stream_started");
      assert.equal(started.customer_last4, kept, `customer_last4 ${JSON.stringify(given)}`);
      assert.equal(server.registry.snapshot(callSid)[0].customer_last4, kept);
      stream.stop();
      await Promise.all([page.close(), closed(socket)]);
    }
  });
});
