import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
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

async function withServer(run: (server: RunningServer) => Promise<void>, env: Record<string, string> = {}) {
  const config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "error",
    COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 300 } }),
    ...env,
  });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  try {
    await run(server);
  } finally {
    await server.shutdown();
  }
}

/** Opens the media socket as Twilio does: signed upgrade, connected, start with the TwiML parameters. */
async function startStream(server: RunningServer, callSid: string, parameters?: Record<string, string>) {
  const answer = await answerCall(server, callSid);
  const signature = signTwilioRequest(server.authToken, answer.url, {});
  const socket = await openSocket(answer.url, { "x-twilio-signature": signature });
  const stream = new MediaStream(socket, callSid);
  stream.connected();
  stream.start(parameters ?? answer.parameters);
  return stream;
}

/** Sends `seconds` of both tracks, 20 ms frames with shared timestamps: a tone (or `agentSpeech`) and silence. */
function sendAudio(
  stream: MediaStream,
  fromMs: number,
  seconds: number,
  agentAmplitude: number,
  agentSpeech?: Uint8Array,
) {
  for (let t = fromMs; t < fromMs + seconds * 1000; t += 20) {
    const speech = agentSpeech?.subarray((t / 20) * 160, (t / 20 + 1) * 160);
    stream.media("outbound", t, speech?.length ? speech : toneFrame(agentAmplitude, t * 8));
    stream.media("inbound", t, toneFrame(0));
  }
}

const SPEECH = Deno.readFileSync(new URL("../fixtures/speech/agent_explain.ulaw", import.meta.url));

Deno.test("Lifecycle - webhook, media socket, page sees stream_started … call_ended, registry empties", async () => {
  await withServer(async (server) => {
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.deepEqual(Object.keys(health), [
      "status",
      "instance_id",
      "redis",
      "local_sessions",
      "cluster_sessions",
      "redis_dropped",
      "uptime_s",
      "phrasing",
    ]);
    assert.equal(health.instance_id, server.instanceId);
    assert.equal(health.redis, "off", "one self-contained process without REDIS_URL");
    assert.equal(health.local_sessions, 0);
    assert.equal(health.cluster_sessions, 0);
    assert.deepEqual(health.phrasing, { enabled: false }, "no model unless COACH_LLM_BASE_URL is set");

    const page = await PageSocket.open(server);
    const callSid = newCallSid();
    const stream = await startStream(server, callSid);
    const started = await page.next((m) => m.type === "stream_started");
    assert.deepEqual(started, {
      type: "stream_started",
      session_id: callSid,
      started_at: started.type === "stream_started" ? started.started_at : "",
      agent_track: "outbound",
      customer_last4: "1111", // the caller's number, +15550001111, passed on by the voice webhook
    });
    const live = await (await fetch(`${server.url}/health`)).json();
    assert.equal(live.local_sessions, 1);
    assert.equal(live.cluster_sessions, 1, "without Redis the cluster is this process");

    sendAudio(stream, 0, 3, 0.1);
    const metrics = await page.next((m) => m.type === "metrics" && m.data.stream_ms >= 2000);
    assert.ok(metrics.type === "metrics");
    assert.equal(metrics.session_id, callSid);

    const socketClosed = closed(stream.socket);
    stream.stop();
    const ended = await page.next((m) => m.type === "call_ended");
    assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "stream_stopped" });
    assert.equal((await socketClosed).code, 1000);

    const status = await postWebhook(server, "/webhooks/twilio/voice/status", {
      CallSid: callSid,
      CallStatus: "completed",
    });
    assert.equal(status.status, 204);
    assert.equal(page.messages.filter((m) => m.type === "call_ended").length, 1, "one clean end");

    const metricsCount = page.types().filter((t) => t === "metrics").length;
    assert.ok(
      metricsCount >= 10 && metricsCount <= 14,
      `about 4 metrics per second of stream: ${metricsCount}`,
    );
    await waitFor(() => server.registry.size === 0, "the registry to empty after the grace period");
    assert.equal((await (await fetch(`${server.url}/health`)).json()).local_sessions, 0);
    await page.close();
  });
});

Deno.test("Lifecycle - a reconnecting page gets the live session's state in hello", async () => {
  await withServer(async (server) => {
    const callSid = newCallSid();
    const stream = await startStream(server, callSid);
    sendAudio(stream, 0, 1, 0.1);
    await waitFor(() => (server.registry.get(callSid)?.streamMs ?? 0) >= 600, "audio to be analysed");
    const page = await PageSocket.open(server, callSid);
    const hello = page.messages[0];
    assert.ok(hello.type === "hello");
    assert.equal(hello.sessions.length, 1);
    assert.equal(hello.sessions[0].session_id, callSid);
    assert.equal(hello.sessions[0].status, "live");
    assert.ok(hello.sessions[0].metrics !== null, "metrics so far are included");
    stream.stop();
    await page.next((m) => m.type === "call_ended");
    await page.close();
  });
});

Deno.test("Lifecycle - two concurrent calls never cross-talk", async () => {
  await withServer(async (server) => {
    const [sidA, sidB] = [newCallSid(), newCallSid()];
    const pageA = await PageSocket.open(server, sidA);
    const pageB = await PageSocket.open(server, sidB);
    const everything = await PageSocket.open(server);
    const streamA = await startStream(server, sidA);
    const streamB = await startStream(server, sidB);
    sendAudio(streamA, 0, 4, 0, SPEECH);
    sendAudio(streamB, 0, 4, 0);
    streamA.stop();
    streamB.stop();
    for (const [page, sid] of [[pageA, sidA], [pageB, sidB]] as const) {
      await page.next((m) => m.type === "call_ended");
      const foreign = page.messages.filter((m) => "session_id" in m && m.session_id !== sid);
      assert.deepEqual(foreign, [], `page of ${sid} saw another call`);
      assert.ok(page.types().includes("stream_started"));
      assert.ok(page.types().filter((t) => t === "metrics").length >= 12);
    }
    await everything.next((m) => m.type === "call_ended" && m.session_id === sidA);
    await everything.next((m) => m.type === "call_ended" && m.session_id === sidB);
    const agentSpoke = (page: PageSocket) =>
      page.messages.some((m) => m.type === "metrics" && m.data.agent.speaking);
    assert.equal(agentSpoke(pageA), true, "call A's agent speaks");
    assert.equal(agentSpoke(pageB), false, "call B's agent is silent: A's speech did not leak into B");
    await Promise.all([pageA.close(), pageB.close(), everything.close()]);
  });
});

Deno.test("Lifecycle - a forged webhook gets 403 and creates nothing", async () => {
  await withServer(async (server) => {
    const params = { CallSid: newCallSid(), From: "+15550001111", CallStatus: "ringing" };
    const forged = await postWebhook(server, "/webhooks/twilio/voice", params, { token: "not-the-token" });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const unsigned = await postWebhook(server, "/webhooks/twilio/voice", params, { signature: null });
    assert.equal(unsigned.status, 403);
    await unsigned.body?.cancel();
    const status = await postWebhook(server, "/webhooks/twilio/voice/status", {
      CallSid: params.CallSid,
      CallStatus: "completed",
    }, { signature: "AAAA" });
    assert.equal(status.status, 403);
    await status.body?.cancel();
    assert.equal(server.registry.size, 0);
  });
});

Deno.test("Lifecycle - a media stream with a bad token is closed with 1008 and never goes live", async () => {
  await withServer(async (server) => {
    const callSid = newCallSid();
    const page = await PageSocket.open(server, callSid);
    const stream = await startStream(server, callSid, { token: "guessed" });
    const event = await closed(stream.socket);
    assert.equal(event.code, 1008);
    assert.match(event.reason, /token/);
    assert.equal(server.registry.get(callSid)?.status, "waiting");
    assert.ok(!page.types().includes("stream_started"));
    await page.close();
  });
});

Deno.test("Lifecycle - a token for one call does not open another call's stream", async () => {
  await withServer(async (server) => {
    const [sidA, sidB] = [newCallSid(), newCallSid()];
    const { parameters } = await answerCall(server, sidA);
    const stream = await startStream(server, sidB, parameters);
    assert.equal((await closed(stream.socket)).code, 1008);
    assert.equal(server.registry.get(sidB)?.status, "waiting");
  });
});

Deno.test("Lifecycle - a media upgrade with a wrong signature header is refused", async () => {
  await withServer(async (server) => {
    const callSid = newCallSid();
    const { url } = await answerCall(server, callSid);
    await assert.rejects(openSocket(url, { "x-twilio-signature": "forged=" }));
    const response = await fetch(url.replace("ws", "http"), { headers: { "x-twilio-signature": "forged=" } });
    assert.equal(response.status, 426);
    await response.body?.cancel();
  });
});
