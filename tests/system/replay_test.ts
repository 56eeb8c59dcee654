/**
 * Replayed requests over real loopback sockets: once a call has ended, a byte-for-byte replay of its signed
 * voice webhook gets 409 and a replay of its media stream (same signed upgrade, same `start` with the
 * call's token) is closed with 1008 "already ended", both while the ended session is still held (grace
 * period) and after it was dropped. Nothing comes back to life and pages see no second start or end.
 */
import assert from "node:assert/strict";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import type { RunningServer } from "../../server/start.ts";
import {
  closed,
  MediaStream,
  newCallSid,
  openSocket,
  PageSocket,
  toneFrame,
  waitFor,
} from "../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

const GRACE_MS = 3_000;

const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({ COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: GRACE_MS } }) }, run);

/** One signed request, kept so it can be sent again byte for byte. */
function recordedWebhook(server: RunningServer, path: string, params: Record<string, string>) {
  const body = new URLSearchParams(params).toString();
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": signTwilioRequest(server.authToken, server.config.publicUrl + path, params),
  };
  return () => fetch(server.url + path, { method: "POST", headers, body });
}

/**
 * A whole call as Twilio places it, with every request recorded: voice webhook, signed media upgrade,
 * `connected`, `start`, a second of audio, `stop`, then the `completed` status callback.
 */
async function recordedCall(server: RunningServer) {
  const callSid = newCallSid();
  const voice = recordedWebhook(server, "/webhooks/twilio/voice", {
    CallSid: callSid,
    From: "+15550001111",
    To: "+15550002222",
    CallStatus: "ringing",
    Direction: "inbound",
  });
  const status = recordedWebhook(server, "/webhooks/twilio/voice/status", {
    CallSid: callSid,
    CallStatus: "completed",
  });
  const answer = await voice();
  assert.equal(answer.status, 200);
  const twiml = await answer.text();
  const url = /<Stream url="([^"]+)"/.exec(twiml)![1];
  const parameters = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]),
  );
  const upgradeHeaders = { "x-twilio-signature": signTwilioRequest(server.authToken, url, {}) };

  const page = await PageSocket.open(server, callSid);
  const socket = await openSocket(url, upgradeHeaders);
  const stream = new MediaStream(socket, callSid);
  const frames: string[] = [];
  const send = stream.send.bind(stream);
  stream.send = (message) => {
    frames.push(JSON.stringify(message));
    send(message);
  };
  stream.connected();
  stream.start(parameters);
  const opening = [...frames]; // connected + start: what a replayed stream would open with
  for (let t = 0; t < 1000; t += 20) {
    stream.media("outbound", t, toneFrame(0.1, t * 8));
    stream.media("inbound", t, toneFrame(0));
  }
  const socketClosed = closed(socket);
  stream.stop();
  assert.equal((await socketClosed).code, 1000);
  await page.next((m) => m.type === "call_ended");
  const statusAnswer = await status();
  assert.equal(statusAnswer.status, 204);
  await statusAnswer.body?.cancel();

  /** Opens the same signed media URL again and replays `connected` + `start` exactly. */
  const replayStream = async () => {
    const replayed = await openSocket(url, upgradeHeaders);
    const done = closed(replayed);
    for (const frame of opening) replayed.send(frame);
    return await done;
  };
  return { callSid, page, voice, status, replayStream };
}

Deno.test("Replay - a replayed voice webhook after the call ended gets 409, in the grace period and after", async () => {
  await withServer(async (server, logs) => {
    const call = await recordedCall(server);
    const rejected = () =>
      logs.filter((l) =>
        l.event === "webhook_rejected" && l.session_id === call.callSid && l.level === "warn"
      );

    // Ended, still held for the grace period.
    assert.equal(server.registry.get(call.callSid)?.status, "ended");
    const early = await call.voice();
    assert.equal(early.status, 409);
    assert.equal(
      await early.text(),
      `Conflict: call ${call.callSid} has already ended; a replayed request cannot reopen it.`,
    );
    assert.equal(
      server.registry.get(call.callSid)?.status,
      "ended",
      "still ended: the replay was in the grace period",
    );
    assert.equal(rejected().length, 1);
    assert.match(String(rejected()[0].reason), /has already ended; a replayed request cannot reopen it/);

    // Dropped from the registry, remembered as ended.
    await waitFor(
      () => server.registry.get(call.callSid) === undefined,
      "the session to be dropped",
      GRACE_MS + 3_000,
    );
    const late = await call.voice();
    assert.equal(late.status, 409);
    assert.match(
      await late.text(),
      /^Conflict: call CA[0-9a-f]{32} has already ended; a replayed request cannot/,
    );
    assert.equal(server.registry.get(call.callSid), undefined, "the replay did not bring the session back");
    assert.equal(rejected().length, 2);

    // A replayed status callback is harmless too.
    const status = await call.status();
    assert.equal(status.status, 204);
    await status.body?.cancel();

    const created = logs.filter((l) => l.event === "session_created" && l.session_id === call.callSid);
    assert.equal(created.length, 1, "the call's session was created once");
    assert.equal(call.page.messages.filter((m) => m.type === "call_ended").length, 1);
    assert.equal(call.page.messages.filter((m) => m.type === "stream_started").length, 1);
    await call.page.close();
  });
});

Deno.test("Replay - a replayed media stream start after the call ended is closed 1008 'already ended'", async () => {
  await withServer(async (server, logs) => {
    const call = await recordedCall(server);
    const closes = () =>
      logs.filter((l) =>
        l.event === "media_socket_closed" && l.session_id === call.callSid && l.code === 1008
      );

    // Ended, still held for the grace period.
    assert.equal(server.registry.get(call.callSid)?.status, "ended");
    const early = await call.replayStream();
    assert.equal(early.code, 1008);
    assert.equal(early.reason, "the call is already ended");
    assert.equal(server.registry.get(call.callSid)?.status, "ended", "the replay was in the grace period");
    assert.equal(closes().length, 1);
    assert.equal(closes()[0].reason, "the call is already ended");
    assert.equal(closes()[0].level, "warn");

    // Dropped from the registry, remembered as ended.
    await waitFor(
      () => server.registry.get(call.callSid) === undefined,
      "the session to be dropped",
      GRACE_MS + 3_000,
    );
    const late = await call.replayStream();
    assert.equal(late.code, 1008);
    assert.equal(late.reason, `call ${call.callSid} has already ended; a replayed request cannot reopen it`);
    assert.equal(server.registry.get(call.callSid), undefined, "the replay did not bring the session back");
    assert.equal(closes().length, 2);
    assert.match(String(closes()[1].reason), /has already ended; a replayed request cannot reopen it/);

    assert.equal(call.page.messages.filter((m) => m.type === "stream_started").length, 1);
    assert.equal(call.page.messages.filter((m) => m.type === "call_ended").length, 1);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    await call.page.close();
  });
});
