/**
 * Details of docs/protocol.md checked over real loopback sockets against a started server: which call
 * statuses end a session, that a forged stream status callback changes nothing, that the media `start`
 * alone opens a working session, and the log lines the contract promises.
 */
import assert from "node:assert/strict";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { streamToken } from "../../core/twilio/stream_token.ts";
import { mediaStreamUrl } from "../../core/twilio/twiml.ts";
import type { RunningServer } from "../../server/start.ts";
import { TERMINAL_CALL_STATUSES } from "../../routes/webhooks.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { SLOT_MS } from "../../core/audio/types.ts";
import { defaultSessionConfig } from "../../core/session/config.ts";
import { SpeechTrack } from "../../simulator/synth.ts";
import {
  answerCall,
  closed,
  MediaStream,
  newCallSid,
  openSocket,
  PageSocket,
  postWebhook,
  toneFrame,
  waitFor,
} from "../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

/** A started server on loopback with a short end grace, and every log line it wrote (parsed). */
const withServer = (
  run: (server: RunningServer, logs: LogLine[]) => void | Promise<void>,
  env: Record<string, string> = { TWILIO_AUTH_TOKEN: "contract-test-token" },
) =>
  withLoggedServer(
    { COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 200 } }), ...env },
    run,
    "debug",
  );

/** Voice webhook, then the media socket as Twilio opens it (signed upgrade, connected, start). */
async function startStream(server: RunningServer, callSid: string, parameters?: Record<string, string>) {
  const answer = await answerCall(server, callSid);
  const socket = await openSocket(answer.url, {
    "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}),
  });
  const stream = new MediaStream(socket, callSid);
  stream.connected();
  stream.start(parameters ?? answer.parameters);
  return stream;
}

/** `ms` of both tracks from `fromMs`: a quiet tone for the agent, silence for the customer. */
function sendAudio(stream: MediaStream, fromMs: number, ms: number) {
  for (let t = fromMs; t < fromMs + ms; t += SLOT_MS) {
    stream.media("outbound", t, toneFrame(0.05, t * 8));
    stream.media("inbound", t, toneFrame(0));
  }
}

async function activeSessions(server: RunningServer): Promise<number> {
  return (await (await fetch(`${server.url}/health`)).json()).local_sessions;
}

/** HMAC-SHA256 of `message` under `key`, base64url without padding, by WebCrypto (not the code under test). */
async function hmacSha256(key: string, message: string): Promise<string> {
  const encode = (text: string) => new TextEncoder().encode(text);
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encode(message)));
  return mac.toBase64({ alphabet: "base64url", omitPadding: true });
}

Deno.test("Contract - the stream token is what docs/protocol.md says, example included", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/protocol.md", import.meta.url));
  const example = /auth token `([^`]+)`, CallSid\s+`(CA[0-9a-f]{32})` → message `([^`]+)` → token\s+`([^`]+)`/
    .exec(doc);
  assert.ok(example, "docs/protocol.md gives a worked example of the stream token");
  const [, authToken, callSid, message, token] = example;
  assert.equal(message, `media-stream:${callSid}`);
  assert.equal(await hmacSha256(authToken, message), token, "the documented example is right");
  assert.equal(streamToken(authToken, callSid), token, "the code computes the documented token");
  assert.notEqual(await hmacSha256(authToken, callSid), token, "not the HMAC of the bare CallSid");

  // And the TwiML of a running server carries exactly that token.
  await withServer(async (server) => {
    const sid = newCallSid();
    const { parameters } = await answerCall(server, sid);
    assert.equal(parameters.token, await hmacSha256(server.authToken, `media-stream:${sid}`));
    assert.equal(parameters.token.length, 43);
  });
});

const TERMINAL = ["completed", "canceled", "busy", "no-answer", "failed"];
const NON_TERMINAL = ["queued", "initiated", "ringing", "in-progress"];

Deno.test("Contract - the terminal statuses are exactly the documented five", () => {
  assert.deepEqual([...TERMINAL_CALL_STATUSES].sort(), [...TERMINAL].sort());
});

for (const status of TERMINAL) {
  Deno.test(`Contract - CallStatus ${status} ends a live and a waiting session; the registry empties`, async () => {
    await withServer(async (server) => {
      const [live, waiting] = [newCallSid(), newCallSid()];
      const pageLive = await PageSocket.open(server, live);
      const pageWaiting = await PageSocket.open(server, waiting);
      const stream = await startStream(server, live);
      await answerCall(server, waiting); // answered, but its stream never starts (busy, no answer, …)
      sendAudio(stream, 0, 1000);
      await pageLive.next((m) => m.type === "metrics" && m.data.stream_ms >= 500);
      // All but the last batch, which waits for more audio (analysisBatchMs).
      const analysed = 1000 - defaultSessionConfig.analysisBatchMs + SLOT_MS;
      await waitFor(() => server.registry.get(live)!.streamMs >= analysed, "the audio sent to be analysed");
      assert.equal(await activeSessions(server), 2);

      for (const [sid, page] of [[live, pageLive], [waiting, pageWaiting]] as const) {
        const response = await postWebhook(server, "/webhooks/twilio/voice/status", {
          CallSid: sid,
          CallStatus: status,
        });
        assert.equal(response.status, 204);
        await response.body?.cancel();
        const ended = await page.next((m) => m.type === "call_ended");
        assert.deepEqual(ended, { type: "call_ended", session_id: sid, reason: "call_completed" });
        assert.equal(server.registry.get(sid)?.status, "ended");
      }
      assert.equal(await activeSessions(server), 0);

      // Media still coming for the ended call is not analysed: the socket is closed normally. (One frame, sent
      // once the earlier ones were read: Deno 2.9.6 drops the connection without the close frame when the
      // peer's next frame is already on its way.)
      const socketClosed = closed(stream.socket);
      stream.media("outbound", 1000, toneFrame(0.05));
      const event = await socketClosed;
      assert.equal(event.code, 1000);
      assert.match(event.reason, /call ended/);

      await waitFor(() => server.registry.size === 0, "the registry to empty after the grace period");
      for (const page of [pageLive, pageWaiting]) {
        assert.equal(page.types().filter((t) => t === "call_ended").length, 1, "one clean end");
        await page.close();
      }
    });
  });
}

Deno.test("Contract - non-terminal statuses (queued, initiated, ringing, in-progress) leave the call running", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const page = await PageSocket.open(server, callSid);
    const stream = await startStream(server, callSid);
    sendAudio(stream, 0, 1000);
    await page.next((m) => m.type === "metrics" && m.data.stream_ms >= 750);
    for (const status of NON_TERMINAL) {
      const response = await postWebhook(server, "/webhooks/twilio/voice/status", {
        CallSid: callSid,
        CallStatus: status,
      });
      assert.equal(response.status, 204, status);
      await response.body?.cancel();
      assert.ok(
        logs.some((l) => l.event === "call_status" && l.session_id === callSid && l.status === status),
        `the ${status} callback was handled (logged), not dropped`,
      );
    }
    assert.equal(server.registry.get(callSid)?.status, "live");
    assert.equal(await activeSessions(server), 1);
    assert.ok(!page.types().includes("call_ended"));

    // The call goes on: more audio is analysed, and it ends only on stop.
    sendAudio(stream, 1000, 1000);
    await page.next((m) => m.type === "metrics" && m.data.stream_ms >= 1750);
    stream.stop();
    const ended = await page.next((m) => m.type === "call_ended");
    assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "stream_stopped" });
    await waitFor(() => server.registry.size === 0, "the registry to empty");
    await page.close();
  });
});

Deno.test("Contract - a forged stream status callback gets 403 and changes nothing", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const page = await PageSocket.open(server, callSid);
    const stream = await startStream(server, callSid);
    sendAudio(stream, 0, 500);
    await page.next((m) => m.type === "metrics" && m.data.stream_ms >= 250);
    const params = {
      AccountSid: "AC" + "0".repeat(32),
      CallSid: callSid,
      StreamSid: stream.streamSid,
      StreamEvent: "stream-stopped",
      Timestamp: new Date().toUTCString(),
    };
    const before = { pageMessages: page.messages.length, logs: logs.length };

    const signedAt = (path: string, signed: Record<string, string>) =>
      signTwilioRequest(server.authToken, server.config.publicUrl + path, signed);
    const forgeries = [
      { token: "not-the-auth-token" },
      { signature: null },
      // A genuine signature of another webhook, replayed here.
      { signature: signedAt("/webhooks/twilio/voice/status", params) },
      // A genuine signature of other parameters (the event was changed).
      { signature: signedAt("/webhooks/twilio/stream/status", { ...params, StreamEvent: "stream-started" }) },
    ];
    for (const forged of forgeries) {
      const response = await postWebhook(server, "/webhooks/twilio/stream/status", params, forged);
      assert.equal(response.status, 403, JSON.stringify(forged));
      assert.match(await response.text(), /Forbidden/);
    }
    assert.equal(server.registry.get(callSid)?.status, "live");
    assert.equal(server.registry.size, 1);
    assert.equal(page.messages.length, before.pageMessages, "pages were told nothing");
    const newLogs = logs.slice(before.logs);
    assert.deepEqual(
      newLogs.map((l) => [l.event, l.path]),
      forgeries.map(() => ["webhook_rejected", "/webhooks/twilio/stream/status"]),
      "only the rejections are logged, never a stream status",
    );

    // The genuine callback is accepted and logged, and the call still ends only on stop.
    const genuine = await postWebhook(server, "/webhooks/twilio/stream/status", params);
    assert.equal(genuine.status, 204);
    await genuine.body?.cancel();
    assert.ok(logs.some((l) => l.event === "stream_status" && l.stream_sid === stream.streamSid));
    stream.stop();
    await page.next((m) => m.type === "call_ended");
    await page.close();
  });
});

Deno.test("Contract - a session opened by the media start alone (no voice webhook) runs end to end", async () => {
  await withServer(async (server, logs) => {
    const callSid = newCallSid();
    const page = await PageSocket.open(server, callSid);
    assert.equal(server.registry.size, 0, "no webhook: nothing is known of the call");

    const url = mediaStreamUrl(server.config.publicUrl, callSid);
    const socket = await openSocket(url, {
      "x-twilio-signature": signTwilioRequest(server.authToken, url, {}),
    });
    const stream = new MediaStream(socket, callSid);
    stream.connected();
    // The agent is on the inbound track here (as on a REST-created call), as the start parameter says.
    stream.start({ token: streamToken(server.authToken, callSid), agent_track: "inbound" });
    const started = await page.next((m) => m.type === "stream_started");
    assert.ok(started.type === "stream_started");
    assert.equal(started.session_id, callSid);
    assert.equal(started.agent_track, "inbound");
    assert.equal(server.registry.get(callSid)?.status, "live");
    assert.ok(logs.some((l) => l.event === "session_created" && l.session_id === callSid));

    // The `loud` scenario's voices: the agent's loud turn must give its tip on this call too.
    const scenario = buildScenarios(server.config.coaching).loud;
    const agent = new SpeechTrack(scenario.agent, { seed: 11 });
    const customer = new SpeechTrack(scenario.customer, { seed: 22 });
    for (let t = 0; t < scenario.durationMs; t += SLOT_MS) {
      stream.media("inbound", t, agent.nextFrame());
      stream.media("outbound", t, customer.nextFrame());
    }
    const socketClosed = closed(socket);
    stream.stop();
    const ended = await page.next((m) => m.type === "call_ended", 10_000);
    assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "stream_stopped" });
    assert.equal((await socketClosed).code, 1000);

    const tips = page.messages.flatMap((m) => m.type === "suggestion" ? [m.data] : []);
    const expected = scenario.expect[0];
    assert.deepEqual(tips.map((tip) => tip.type), [expected.type], JSON.stringify(tips));
    assert.ok(tips[0].stream_ms >= expected.fromMs && tips[0].stream_ms <= expected.toMs);
    const metrics = page.messages.filter((m) => m.type === "metrics");
    assert.ok(metrics.length >= (scenario.durationMs / 250) - 2, `${metrics.length} metrics`);
    assert.ok(metrics.some((m) => m.type === "metrics" && m.data.agent.speaking));

    await waitFor(() => server.registry.size === 0, "the registry to empty");
    await page.close();
  });
});

Deno.test("Contract - without TWILIO_AUTH_TOKEN the 'only the local simulator' warning is logged", async () => {
  await withServer((_server, logs) => {
    const warnings = logs.filter((l) => l.event === "local_token");
    assert.equal(warnings.length, 1, JSON.stringify(logs));
    assert.equal(warnings[0].level, "warn");
    assert.match(String(warnings[0].message), /only the local simulator/i);
    assert.match(String(warnings[0].message), /TWILIO_AUTH_TOKEN/);
  }, { TWILIO_AUTH_TOKEN: "" });
  await withServer((_server, logs) => {
    assert.ok(logs.some((l) => l.event === "server_started"));
    assert.ok(!logs.some((l) => l.event === "local_token"), "no warning with a real auth token");
  });
});

Deno.test("Contract - a bad media token closes 1008 and logs a line with that CallSid and the reason", async () => {
  await withServer(async (server, logs) => {
    const [callSid, other] = [newCallSid(), newCallSid()];
    // Another call's media socket closes first with the same code, so a line must be matched by CallSid.
    const otherStream = await startStream(server, other, { token: "guessed" });
    assert.equal((await closed(otherStream.socket)).code, 1008);

    const stream = await startStream(server, callSid, { token: "guessed-too" });
    const event = await closed(stream.socket);
    assert.equal(event.code, 1008);
    assert.match(event.reason, /token/);
    const lines = logs.filter((l) => l.event === "media_socket_closed" && l.session_id === callSid);
    assert.equal(lines.length, 1, JSON.stringify(logs.filter((l) => l.event === "media_socket_closed")));
    assert.equal(lines[0].level, "warn");
    assert.equal(lines[0].code, 1008);
    assert.equal(lines[0].reason, event.reason, "the log gives the same reason as the close frame");
    assert.match(String(lines[0].reason), /token/);
    assert.equal(server.registry.get(callSid)?.status, "waiting", "the call never went live");
  });
});
