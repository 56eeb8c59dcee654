/**
 * Tests of the load generator's raw-TCP WebSocket client (`bench/raw_websocket.ts`) and its Twilio call
 * (`bench/raw_twilio_call.ts`): masking, the bytes on the wire decoded back by a hand-written RFC 6455
 * parser, the opening handshake (both sides checked), ping/pong, close codes and EOF, against a raw TCP
 * test server and against `Deno.serve` + `Deno.upgradeWebSocket`. All on 127.0.0.1, no timing assertions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connectedMessage, mediaMessage } from "../../core/protocol/twilio_messages.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { streamToken } from "../../core/twilio/stream_token.ts";
import { mediaStreamUrl } from "../../core/twilio/twiml.ts";
import {
  benchStartMessage,
  MediaTemplate,
  type PayloadSet,
  RawTwilioCall,
} from "../../bench/raw_twilio_call.ts";
import { acceptFor, maskInPlace, OPCODE, RawWebSocket } from "../../bench/raw_websocket.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One frame as decoded by the test (independently of the client's code). */
interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  key: Uint8Array | null;
  payload: Uint8Array;
}

/** Decodes whole frames from `bytes`; returns them and how many bytes they used. */
function decodeFrames(bytes: Uint8Array): { frames: DecodedFrame[]; used: number } {
  const frames: DecodedFrame[] = [];
  let at = 0;
  while (bytes.length - at >= 2) {
    const masked = (bytes[at + 1] & 0x80) !== 0;
    let length = bytes[at + 1] & 0x7f;
    let head = 2;
    if (length === 126) {
      if (bytes.length - at < 4) break;
      length = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 2).getUint16(0);
      head = 4;
    } else if (length === 127) {
      if (bytes.length - at < 10) break;
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getBigUint64(0));
      head = 10;
    }
    const keyLength = masked ? 4 : 0;
    if (bytes.length - at < head + keyLength + length) break;
    const key = masked ? bytes.slice(at + head, at + head + 4) : null;
    const payload = bytes.slice(at + head + keyLength, at + head + keyLength + length);
    if (key) { for (let i = 0; i < payload.length; i++) payload[i] ^= key[i % 4]; }
    frames.push({
      fin: (bytes[at] & 0x80) !== 0,
      rsv: bytes[at] & 0x70,
      opcode: bytes[at] & 0x0f,
      masked,
      key,
      payload,
    });
    at += head + keyLength + length;
  }
  return { frames, used: at };
}

/** An unmasked server frame (what a server sends). */
function serverFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const head = payload.length < 126 ? [0x80 | opcode, payload.length] : [
    0x80 | opcode,
    126,
    payload.length >> 8,
    payload.length & 0xff,
  ];
  const frame = new Uint8Array(head.length + payload.length);
  frame.set(head);
  frame.set(payload, head.length);
  return frame;
}

function closePayload(code: number, reason: string): Uint8Array {
  const text = encoder.encode(reason);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** The server side of one raw TCP connection: reads the request head, then frames. */
class RawPeer {
  #pending = new Uint8Array(0);
  readonly #buffer = new Uint8Array(64 * 1024);

  constructor(readonly conn: Deno.Conn) {}

  async #readMore(): Promise<boolean> {
    const read = await this.conn.read(this.#buffer);
    if (read === null) return false;
    const joined = new Uint8Array(this.#pending.length + read);
    joined.set(this.#pending);
    joined.set(this.#buffer.subarray(0, read), this.#pending.length);
    this.#pending = joined;
    return true;
  }

  /** The request head: request line and lower-cased headers. */
  async readRequest(): Promise<{ line: string; headers: Map<string, string> }> {
    while (true) {
      const text = decoder.decode(this.#pending);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        this.#pending = this.#pending.slice(end + 4);
        const [line, ...rest] = text.slice(0, end).split("\r\n");
        const headers = new Map(rest.map((h) => {
          const colon = h.indexOf(":");
          return [h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim()] as [string, string];
        }));
        return { line, headers };
      }
      if (!await this.#readMore()) throw new Error("client closed before its request ended");
    }
  }

  /** Reads until `count` whole frames arrived. */
  async readFrames(count: number): Promise<DecodedFrame[]> {
    const frames: DecodedFrame[] = [];
    while (frames.length < count) {
      const { frames: got, used } = decodeFrames(this.#pending);
      frames.push(...got);
      this.#pending = this.#pending.slice(used);
      if (frames.length >= count) break;
      if (!await this.#readMore()) throw new Error(`EOF after ${frames.length} of ${count} frames`);
    }
    return frames;
  }

  /** True when the client ended TCP (read returns EOF) with no further bytes. */
  async readsEof(): Promise<boolean> {
    return this.#pending.length === 0 && (await this.conn.read(this.#buffer)) === null;
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }
}

/** A raw test server gives up (closes the connection, so its pending read fails the test) after this. */
const RAW_SERVER_LIMIT_MS = 10_000;

/**
 * A raw TCP server for one connection: `serve` gets the connection once the client's request head is
 * read. Closes its listener and the connection when `serve` is done, or after {@linkcode RAW_SERVER_LIMIT_MS}
 * (a client that never sends what the test waits for fails the test instead of hanging it).
 */
function rawServer(
  serve: (peer: RawPeer, request: Awaited<ReturnType<RawPeer["readRequest"]>>) => Promise<void>,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    const peer = new RawPeer(conn);
    let closed = false;
    const limit = setTimeout(() => {
      closed = true;
      conn.close();
    }, RAW_SERVER_LIMIT_MS);
    try {
      await serve(peer, await peer.readRequest());
    } finally {
      clearTimeout(limit);
      if (!closed) conn.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

/** Answers a valid upgrade request with 101 and the right Sec-WebSocket-Accept. */
async function accept(peer: RawPeer, headers: Map<string, string>): Promise<void> {
  await peer.write(encoder.encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${await acceptFor(headers.get("sec-websocket-key")!)}\r\n\r\n`,
  ));
}

/** Two slots of distinct payloads per track, as base64 text and as the ASCII bytes the client sends. */
function testPayloads(): { text: Record<keyof PayloadSet, string[]>; audio: PayloadSet } {
  const payload = (seed: number) => new Uint8Array(160).map((_, i) => (i * 7 + seed) & 0xff).toBase64();
  const text = {
    agent: [payload(1), payload(2)],
    agentLoud: [payload(3), payload(4)],
    customer: [payload(5), payload(6)],
  };
  const ascii = (list: string[]) => list.map((p) => encoder.encode(p));
  return {
    text,
    audio: { agent: ascii(text.agent), agentLoud: ascii(text.agentLoud), customer: ascii(text.customer) },
  };
}

Deno.test("Raw WebSocket - word-wise masking equals the byte-by-byte definition at every alignment", () => {
  const key = new Uint8Array([0, 0, 0xa1, 0x5b, 0x3c, 0xf0, 0, 0]);
  for (let start = 0; start < 8; start++) {
    for (let length = 0; length <= 41; length++) {
      const bytes = new Uint8Array(64).map((_, i) => (i * 31 + 7) & 0xff);
      const expected = bytes.slice();
      for (let i = 0; i < length; i++) expected[start + i] ^= key[2 + (i % 4)];
      maskInPlace(bytes, new Uint32Array(bytes.buffer), start, length, key, 2);
      assert.deepEqual(bytes, expected, `start ${start}, length ${length}`);
    }
  }
});

Deno.test("Raw WebSocket - handshake, one write of masked frames that decode to the exact messages, ping, close", async () => {
  const callSid = "CA" + "1".repeat(32);
  const streamSid = "MZ" + "2".repeat(32);
  const big = "x".repeat(65_535); // 16-bit length form, at its largest
  const mid = "y".repeat(300);
  const expected = [
    connectedMessage(),
    benchStartMessage({ callSid, streamSid }, 1, "token", 1234.5),
    mediaMessage(streamSid, 2, "outbound", 1, 0, "QUJD"),
    mediaMessage(streamSid, 3, "inbound", 1, 0, "REVG"),
    mediaMessage(streamSid, 123456, "outbound", 99999, 1999980, "QUJD".repeat(54)),
    mid,
    big,
  ];
  let clientSocket: RawWebSocket | null = null;
  const server = rawServer(async (peer, request) => {
    assert.equal(request.line, `GET /ws/twilio/media/${callSid}?x=1 HTTP/1.1`);
    assert.equal(request.headers.get("upgrade"), "websocket");
    assert.equal(request.headers.get("connection"), "Upgrade");
    assert.equal(request.headers.get("sec-websocket-version"), "13");
    assert.equal(request.headers.get("x-twilio-signature"), "sig");
    assert.equal(request.headers.get("host"), `127.0.0.1:${server.port}`);
    const key = Uint8Array.fromBase64(request.headers.get("sec-websocket-key")!);
    assert.equal(key.length, 16, "the key is 16 random bytes in base64");
    await accept(peer, request.headers);

    const frames = await peer.readFrames(expected.length);
    assert.deepEqual(frames.map((f) => decoder.decode(f.payload)), expected);
    for (const frame of frames) {
      assert.ok(frame.fin && frame.masked && frame.rsv === 0 && frame.opcode === OPCODE.text);
    }
    const keys = new Set(frames.map((f) => f.key!.join(",")));
    assert.equal(keys.size, frames.length, "a fresh masking key per frame");

    await peer.write(serverFrame(OPCODE.ping, encoder.encode("are you there")));
    const [pong] = await peer.readFrames(1);
    assert.equal(pong.opcode, OPCODE.pong);
    assert.ok(pong.masked);
    assert.equal(decoder.decode(pong.payload), "are you there");

    await peer.write(serverFrame(OPCODE.close, closePayload(4001, "bye")));
    const [close] = await peer.readFrames(1);
    assert.equal(close.opcode, OPCODE.close);
    assert.ok(close.masked);
    assert.equal((close.payload[0] << 8) | close.payload[1], 4001, "the close code is echoed");
    assert.equal(clientSocket!.isOpen, false);
  });

  const socket = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/ws/twilio/media/${callSid}?x=1`, {
    "x-twilio-signature": "sig",
  });
  clientSocket = socket;
  assert.ok(socket.isOpen);
  for (const text of expected.slice(0, 2)) socket.queueText(text);
  const [outbound, inbound] = [
    new MediaTemplate(streamSid, "outbound"),
    new MediaTemplate(streamSid, "inbound"),
  ];
  outbound.write(socket, 2, 1, 0, encoder.encode("QUJD"));
  inbound.write(socket, 3, 1, 0, encoder.encode("REVG"));
  outbound.write(socket, 123456, 99999, 1999980, encoder.encode("QUJD".repeat(54)));
  socket.queueText(mid);
  socket.queueText(big);
  assert.throws(() => socket.queueText(big + "x"), /over this client's 64 KiB/);
  socket.flush();
  assert.equal(socket.writes, 1, "everything queued left in one write");
  await server.done;
  await socket.closed;
  assert.equal(socket.closeCode, 4001);
  assert.equal(socket.closeReason, "bye");
  assert.equal(socket.pingsAnswered, 1);
  assert.equal(socket.error, null);
});

Deno.test("Raw WebSocket - TCP ending without a close frame records 1006", async () => {
  const server = rawServer(async (peer, request) => {
    await accept(peer, request.headers);
  });
  const socket = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/`);
  await server.done;
  await socket.closed;
  assert.equal(socket.closeCode, 1006);
  assert.equal(socket.isOpen, false);
});

Deno.test("Raw WebSocket - a masked server frame is a protocol error: close 1002 and the reason", async () => {
  const server = rawServer(async (peer, request) => {
    await accept(peer, request.headers);
    await peer.write(new Uint8Array([0x81, 0x81, 1, 2, 3, 4, 0x41 ^ 1]));
    const [close] = await peer.readFrames(1);
    assert.equal(close.opcode, OPCODE.close);
    assert.equal((close.payload[0] << 8) | close.payload[1], 1002);
  });
  const socket = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/`);
  await server.done;
  await socket.closed;
  assert.equal(socket.closeCode, 1002);
  assert.match(socket.error?.message ?? "", /masked/);
});

Deno.test("Raw WebSocket - a wrong Sec-WebSocket-Accept fails the handshake clearly", async () => {
  const server = rawServer(async (peer) => {
    await peer.write(encoder.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptFor("not the key")}\r\n\r\n`,
    ));
    assert.ok(await peer.readsEof(), "the client hangs up");
  });
  await assert.rejects(
    RawWebSocket.connect(`ws://127.0.0.1:${server.port}/`),
    /Sec-WebSocket-Accept is .* expected/,
  );
  await server.done;
});

Deno.test("Raw WebSocket - against Deno.upgradeWebSocket: texts intact, pings answered, 403 refused, close code", async () => {
  const received: string[] = [];
  let serverSocket: WebSocket | null = null;
  let serverClosed!: () => void;
  const serverClosedPromise = new Promise<void>((resolve) => serverClosed = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname !== "/ws") return new Response("no entry\n", { status: 403 });
    // The server pings after 1 s without traffic and closes the socket if no pong comes back.
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 1 });
    serverSocket = socket;
    socket.onmessage = (event) => {
      received.push(event.data);
      if (event.data === "close please") socket.close(4002, "as asked");
      else socket.send(`echo ${(event.data as string).length}`);
    };
    socket.onclose = () => serverClosed();
    return response;
  });
  const base = `ws://127.0.0.1:${server.addr.port}`;
  try {
    await assert.rejects(RawWebSocket.connect(`${base}/other`), /server answered "HTTP\/1\.1 403/);

    const socket = await RawWebSocket.connect(`${base}/ws`);
    const texts = ["short", "é ünïcode ✓", "z".repeat(200), "w".repeat(60_000)];
    for (const text of texts) socket.queueText(text);
    socket.flush();
    // Wait (up to 15 s) for two pings from the server: only answered pings keep the socket open.
    for (let waited = 0; socket.pingsAnswered < 2; waited += 50) {
      assert.ok(waited < 15_000, "the server pinged twice");
      assert.ok(socket.isOpen, `still open while waiting for pings (closed ${socket.closeCode})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    socket.queueText("close please");
    socket.flush();
    await socket.closed;
    await serverClosedPromise;
    assert.deepEqual(received, [...texts, "close please"]);
    assert.equal(socket.messagesReceived, texts.length, "every echo came back");
    assert.equal(socket.closeCode, 4002);
    assert.equal(socket.closeReason, "as asked");
    assert.equal(socket.error, null);
    assert.equal(serverSocket!.readyState, WebSocket.CLOSED);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Raw Twilio call - signed upgrade, connected/start/media/stop as Twilio sends them, close 1000", async () => {
  const authToken = "test-token";
  const received: string[] = [];
  let signatureOk = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = request.url.replace(/^http/, "ws");
    signatureOk = request.headers.get("x-twilio-signature") === signTwilioRequest(authToken, url, {});
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    socket.onmessage = (event) => {
      received.push(event.data);
      if (JSON.parse(event.data).event === "stop") socket.close(1000, "stream stopped");
    };
    return response;
  });
  const baseUrl = `http://127.0.0.1:${server.addr.port}`;
  try {
    const call = new RawTwilioCall("CA" + "3".repeat(32), false);
    await call.open({ baseUrl, authToken });
    assert.equal(
      new URL(mediaStreamUrl(baseUrl, call.callSid)).pathname,
      `/ws/twilio/media/${call.callSid}`,
    );
    const { text, audio } = testPayloads();
    call.begin(authToken, 5000);
    call.sendSlot(0, audio);
    call.sendSlot(1, audio);
    call.sendSlot(2, audio);
    call.flush();
    call.stop();
    await call.closed;
    assert.ok(signatureOk, "x-twilio-signature is signed over the ws:// URL");
    assert.equal(call.closeCode, 1000);
    assert.equal(received[0], connectedMessage());
    const start = JSON.parse(received[1]);
    assert.deepEqual(start.start.customParameters, {
      token: streamToken(authToken, call.callSid),
      agent_track: "outbound",
      bench_t0: "5000",
    });
    assert.equal(start.start.callSid, call.callSid);
    assert.deepEqual(received.slice(2, 8), [
      mediaMessage(call.streamSid, 2, "outbound", 1, 0, text.agent[0]),
      mediaMessage(call.streamSid, 3, "inbound", 1, 0, text.customer[0]),
      mediaMessage(call.streamSid, 4, "outbound", 2, 20, text.agent[1]),
      mediaMessage(call.streamSid, 5, "inbound", 2, 20, text.customer[1]),
      mediaMessage(call.streamSid, 6, "outbound", 3, 40, text.agent[0]),
      mediaMessage(call.streamSid, 7, "inbound", 3, 40, text.customer[0]),
    ]);
    assert.deepEqual(JSON.parse(received[8]).event, "stop");
    assert.equal(JSON.parse(received[8]).sequenceNumber, "8");
    assert.equal(received.length, 9);
  } finally {
    await server.shutdown();
  }
});
