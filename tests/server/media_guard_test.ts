/**
 * The media socket's edge (server/media_guard.ts) on real sockets: an upgrade without a valid
 * `x-twilio-signature` is refused before any WebSocket exists (so a large frame behind it never reaches the
 * runtime's buffer), a signed socket that sends no valid `start` is closed within 5 s, and only so many
 * sockets may wait for their `start` at once. The guard's bookkeeping of a peer that never answers the
 * close is checked in-process, with a socket stand-in.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../../core/log.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { mediaStreamUrl } from "../../core/twilio/twiml.ts";
import {
  MAX_PENDING_STREAMS,
  MediaUpgradeGuard,
  type PendingStream,
  START_DEADLINE_MS,
} from "../../server/media_guard.ts";
import type { RunningServer } from "../../server/start.ts";
import {
  answerCall,
  closed,
  newCallSid,
  openSocket,
  startLiveCall,
  waitFor,
} from "../support/fake_twilio.ts";
import { largeFrameHeader, RawClient, upgradeHead } from "../support/raw_http.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({}, run);

/** A media socket for `callSid` signed as Twilio signs it (no voice webhook needed to open one). */
function openSigned(server: RunningServer, callSid: string): Promise<WebSocket> {
  const url = mediaStreamUrl(server.config.publicUrl, callSid);
  return openSocket(url, { "x-twilio-signature": signTwilioRequest(server.authToken, url, {}) });
}

/** The status of an upgrade attempt made with `fetch` (which cannot upgrade, so it sees refusals only). */
async function upgradeStatus(server: RunningServer, callSid: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/ws/twilio/media/${callSid}`, {
    headers: { upgrade: "websocket", connection: "Upgrade", ...headers },
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

Deno.test("Media guard - an upgrade without a valid signature is refused with 403, logged, and nothing opens", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const { url } = await answerCall(server, callSid);
    await assert.rejects(openSocket(url), "no signature");
    await assert.rejects(openSocket(url, { "x-twilio-signature": "forged=" }), "a wrong signature");
    const otherUrl = mediaStreamUrl(server.config.publicUrl, newCallSid());
    await assert.rejects(
      openSocket(url, { "x-twilio-signature": signTwilioRequest(server.authToken, otherUrl, {}) }),
      "a signature over another call's URL",
    );

    const missing = await upgradeStatus(server, callSid);
    assert.equal(missing.status, 403);
    assert.match(
      missing.text,
      /^Forbidden: signature missing \(x-twilio-signature over ws:\/\/127\.0\.0\.1:/,
    );
    assert.equal(missing.headers.get("connection"), "close");
    const rejected = logs.filter((l) => l.event === "media_socket_rejected" && l.session_id === callSid);
    assert.deepEqual(
      rejected.map((l) => [l.level, l.reason]),
      [
        ["warn", "signature missing"],
        ["warn", "signature does not match"],
        ["warn", "signature does not match"],
        ["warn", "signature missing"],
      ],
    );
    assert.equal(server.registry.get(callSid)?.status, "waiting", "the call is untouched");
    assert.ok(!logs.some((l) => l.event === "stream_started"));
  });
});

Deno.test("Media guard - a signed but malformed upgrade is a 400, logged as a rejection, and frees its place", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const url = mediaStreamUrl(server.config.publicUrl, callSid);
    const signed = { "x-twilio-signature": signTwilioRequest(server.authToken, url, {}) };
    for (let i = 0; i < 2; i++) {
      // fetch sends no Sec-WebSocket-Key: the runtime cannot upgrade that.
      const malformed = await upgradeStatus(server, callSid, signed);
      assert.equal(malformed.status, 400, "not a 409: the first attempt gave its place back");
      assert.match(malformed.text, /^Bad request: .*sec-websocket-key/i);
    }
    const rejected = logs.filter((l) => l.event === "media_socket_rejected" && l.session_id === callSid);
    assert.equal(rejected.length, 2);
    assert.deepEqual(logs.filter((l) => l.level === "error"), [], "a client's mistake, not a server fault");
    const socket = await openSocket(url, signed);
    const done = closed(socket);
    socket.close();
    await done;
  });
});

Deno.test("Media guard - a large frame sent behind an unsigned upgrade never reaches a WebSocket: 403, then the connection ends", async () => {
  await withServer(async (server) => {
    const client = await RawClient.connect(server.port);
    try {
      // What a hostile client does: the upgrade and, without waiting for the answer, most of a 63 MiB frame.
      await client.write(upgradeHead(`/ws/twilio/media/${newCallSid()}`));
      await client.write(largeFrameHeader(63 * 2 ** 20));
      const chunk = new Uint8Array(2 ** 20);
      let sentMiB = 0;
      while (sentMiB < 50 && await client.write(chunk)) sentMiB++;
      assert.ok(await client.until((c) => c.closed, 10_000), "the server ended the connection");
      assert.equal(client.status, 403, client.text.slice(0, 200));
      assert.ok(!client.text.includes("101 Switching Protocols"), "never upgraded");
      assert.ok(sentMiB < 50, `the connection ended while the frame was being sent (after ${sentMiB} MiB)`);
    } finally {
      client.close();
      await client.done();
    }
  });
});

Deno.test("Media guard - a signed socket that sends nothing is closed with 1008 within 5 s, and logged", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const socket = await openSigned(server, callSid);
    const openedAt = performance.now();
    const event = await closed(socket);
    const elapsed = performance.now() - openedAt;
    assert.equal(event.code, 1008);
    assert.equal(event.reason, "no valid start within 5 s");
    assert.ok(elapsed >= START_DEADLINE_MS - 250, `not before the deadline (${Math.round(elapsed)} ms)`);
    assert.ok(elapsed < START_DEADLINE_MS + 2_000, `closed within the deadline (${Math.round(elapsed)} ms)`);
    const line = logs.find((l) => l.event === "media_socket_closed" && l.session_id === callSid);
    assert.equal(line?.level, "warn");
    assert.equal(line?.reason, "no valid start within 5 s");
  });
});

Deno.test("Media guard - a socket that started in time is not touched by the start deadline", async () => {
  await withServer(async (server) => {
    const { callSid, stream } = await startLiveCall(server);
    const socket = stream.socket;
    let closedEarly = false;
    socket.addEventListener("close", () => closedEarly = true);
    // Silent after its start for longer than the deadline: the session's own idle rule (15 s) applies, not this.
    await new Promise((resolve) => setTimeout(resolve, START_DEADLINE_MS + 1_000));
    assert.ok(!closedEarly, "still open");
    assert.equal(server.registry.get(callSid)?.status, "live");
    const done = closed(socket);
    stream.stop();
    assert.equal((await done).code, 1000);
  });
});

Deno.test("Media guard - at most 64 sockets wait for their start, one per call; the next gets 503 with Retry-After", async () => {
  await withServer(async (server, logs) => {
    const waiting: WebSocket[] = [];
    try {
      const sids = Array.from({ length: MAX_PENDING_STREAMS }, () => newCallSid());
      waiting.push(...await Promise.all(sids.map((sid) => openSigned(server, sid))));

      const extra = newCallSid();
      const url = mediaStreamUrl(server.config.publicUrl, extra);
      const signed = { "x-twilio-signature": signTwilioRequest(server.authToken, url, {}) };
      const full = await upgradeStatus(server, extra, signed);
      assert.equal(full.status, 503);
      assert.equal(full.headers.get("retry-after"), "1");
      assert.match(full.text, /too many media sockets are waiting for their start/);
      const refusal = logs.find((l) => l.event === "media_socket_rejected" && l.session_id === extra);
      assert.equal(refusal?.reason, `${MAX_PENDING_STREAMS} sockets already wait for their start`);

      // A second socket for a call whose socket already waits: 409, even with room to spare later.
      const sameUrl = mediaStreamUrl(server.config.publicUrl, sids[0]);
      const same = await upgradeStatus(server, sids[0], {
        "x-twilio-signature": signTwilioRequest(server.authToken, sameUrl, {}),
      });
      assert.equal(same.status, 409);

      // A socket that closes makes room at once.
      const first = waiting.shift()!;
      const firstClosed = closed(first);
      first.close();
      await firstClosed;
      let admitted: WebSocket | null = null;
      for (let attempt = 0; attempt < 50 && admitted === null; attempt++) {
        admitted = await openSocket(url, signed).catch(() => null);
        if (admitted === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(admitted, "the freed place was taken");
      waiting.push(admitted);
    } finally {
      await Promise.all(waiting.map((socket) => {
        const done = closed(socket);
        socket.close();
        return done;
      }));
    }
  });
});

Deno.test("Media guard - a started stream frees its place among the waiting sockets", async () => {
  await withServer(async (server) => {
    const { callSid, stream } = await startLiveCall(server);
    await waitFor(() => server.registry.get(callSid)?.status === "live", "the stream to start");
    const waiting = await Promise.all(
      Array.from({ length: MAX_PENDING_STREAMS }, () => openSigned(server, newCallSid())),
    );
    assert.equal(waiting.length, MAX_PENDING_STREAMS, "the started stream left every place free");
    await Promise.all([stream.socket, ...waiting].map((each) => {
      const done = closed(each);
      each.close();
      return done;
    }));
  });
});

/** A stand-in for a server WebSocket whose peer may or may not answer the close. */
class PeerSocket extends EventTarget {
  readyState: number = WebSocket.OPEN;
  closedWith: [number | undefined, string | undefined] | null = null;

  constructor(readonly answersClose: boolean) {
    super();
  }

  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = WebSocket.CLOSING;
    if (this.answersClose) this.peerLeft();
  }

  peerLeft(): void {
    this.readyState = WebSocket.CLOSED;
    this.dispatchEvent(new Event("close"));
  }
}

function signedRequest(callSid: string): Request {
  const url = mediaStreamUrl("https://coach.example.com", callSid);
  return new Request("http://127.0.0.1/", {
    headers: { "x-twilio-signature": signTwilioRequest("token-123456", url, {}) },
  });
}

Deno.test("Media guard - a socket closed at the deadline keeps its place until its peer has really gone", async () => {
  const guard = new MediaUpgradeGuard({
    authToken: "token-123456",
    publicUrl: "https://coach.example.com",
    log: silentLogger,
    maxPending: 2,
    startDeadlineMs: 50,
  });
  const admit = (callSid: string) => guard.admit(signedRequest(callSid), callSid);
  const silent = new PeerSocket(false);
  const polite = new PeerSocket(true);
  (admit("CA1") as PendingStream).watch(silent as unknown as WebSocket);
  (admit("CA2") as PendingStream).watch(polite as unknown as WebSocket);
  assert.equal((admit("CA3") as Response).status, 503);

  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(silent.closedWith, [1008, "no valid start within 0.05 s"]);
  assert.deepEqual(polite.closedWith, [1008, "no valid start within 0.05 s"]);
  assert.equal(guard.pendingCount, 1, "the peer that answered the close freed its place; the other did not");
  silent.peerLeft();
  assert.equal(guard.pendingCount, 0);

  const started = admit("CA3") as PendingStream;
  const socket = new PeerSocket(true);
  started.watch(socket as unknown as WebSocket);
  started.started();
  assert.equal(guard.pendingCount, 0, "a started stream no longer waits");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(socket.closedWith, null, "and the deadline leaves it alone");
});
