import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
import {
  MediaStream,
  newCallSid,
  openSocket,
  PageSocket,
  postWebhook,
  toneFrame,
} from "../support/fake_twilio.ts";

const OUR_NUMBER = "+15551234567";
const AGENT = "+15557654321";
const CUSTOMER = "+15559876543";
const SPEECH = Deno.readFileSync(new URL("../fixtures/speech/agent_explain.ulaw", import.meta.url));
/** The voice webhook URL of a click-to-call call (what `POST /api/calls` gives Twilio), without the host. */
const CLICK_TO_CALL_PATH = `/webhooks/twilio/voice?agent_track=inbound&dial_to=${
  encodeURIComponent(CUSTOMER)
}`;

async function withServer(run: (server: RunningServer) => Promise<void>) {
  const config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "error",
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    AGENT_PHONE_NUMBER: AGENT,
    COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 300 } }),
  });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  try {
    await run(server);
  } finally {
    await server.shutdown();
  }
}

/** Twilio fetching the voice webhook at `path` (signed over that exact URL), as for a call on `leg`. */
async function answer(
  server: RunningServer,
  path: string,
  leg: { From: string; To: string; Direction: string },
) {
  const callSid = newCallSid();
  const response = await postWebhook(server, path, { CallSid: callSid, CallStatus: "in-progress", ...leg });
  const twiml = await response.text();
  assert.equal(response.status, 200, twiml);
  const url = /<Stream url="([^"]+)"/.exec(twiml)![1];
  const parameters = Object.fromEntries(
    [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]),
  );
  const dialed = /<Dial[^>]*>([^<]+)<\/Dial>/.exec(twiml)?.[1];
  return { callSid, url, parameters, dialed };
}

/**
 * Streams 4 s of both tracks, the speech fixture on `speechTrack` and digital silence on the other, then
 * stops; returns every metrics message the page got.
 */
async function streamSpeech(
  server: RunningServer,
  call: Awaited<ReturnType<typeof answer>>,
  speechTrack: "inbound" | "outbound",
) {
  const page = await PageSocket.open(server, call.callSid);
  const socket = await openSocket(call.url, {
    "x-twilio-signature": signTwilioRequest(server.authToken, call.url, {}),
  });
  const stream = new MediaStream(socket, call.callSid);
  stream.connected();
  stream.start(call.parameters);
  const started = await page.next((m) => m.type === "stream_started");
  const silentTrack = speechTrack === "inbound" ? "outbound" : "inbound";
  for (let t = 0; t < 4000; t += 20) {
    stream.media(speechTrack, t, SPEECH.subarray((t / 20) * 160, (t / 20 + 1) * 160));
    stream.media(silentTrack, t, toneFrame(0));
  }
  stream.stop();
  await page.next((m) => m.type === "call_ended");
  await page.close();
  const metrics = page.messages.filter((m): m is Extract<ServerMessage, { type: "metrics" }> =>
    m.type === "metrics"
  );
  assert.ok(metrics.length >= 12, `about 4 metrics per second of stream: ${metrics.length}`);
  return { started, metrics };
}

function spoke(metrics: { data: { agent: Party; customer: Party } }[], who: "agent" | "customer"): boolean {
  return metrics.some((m) => m.data[who].speaking && m.data[who].level_db !== null);
}

function silent(metrics: { data: { agent: Party; customer: Party } }[], who: "agent" | "customer"): boolean {
  return metrics.every((m) => !m.data[who].speaking && m.data[who].level_db === null);
}

type Party = { speaking: boolean; level_db: number | null };

Deno.test("Track mapping - click-to-call: the agent's speech on the inbound track is the agent's", async () => {
  await withServer(async (server) => {
    const call = await answer(server, CLICK_TO_CALL_PATH, {
      From: OUR_NUMBER,
      To: AGENT,
      Direction: "outbound-api",
    });
    assert.equal(call.parameters.agent_track, "inbound");
    assert.equal(call.dialed, CUSTOMER, "the agent's answer dials the customer");
    const { started, metrics } = await streamSpeech(server, call, "inbound");
    assert.ok(started.type === "stream_started" && started.agent_track === "inbound");
    assert.ok(spoke(metrics, "agent"), "agent metrics come from the inbound track");
    assert.ok(silent(metrics, "customer"), "the customer (outbound track) stays silent");
  });
});

Deno.test("Track mapping - click-to-call: the customer's speech on the outbound track is the customer's", async () => {
  await withServer(async (server) => {
    const call = await answer(server, CLICK_TO_CALL_PATH, {
      From: OUR_NUMBER,
      To: AGENT,
      Direction: "outbound-api",
    });
    const { metrics } = await streamSpeech(server, call, "outbound");
    assert.ok(spoke(metrics, "customer"));
    assert.ok(silent(metrics, "agent"));
  });
});

Deno.test("Track mapping - a customer calling in: the same inbound speech is the customer's, outbound is the agent's", async () => {
  await withServer(async (server) => {
    const leg = { From: CUSTOMER, To: OUR_NUMBER, Direction: "inbound" };
    const inbound = await answer(server, "/webhooks/twilio/voice", leg);
    assert.equal(inbound.parameters.agent_track, "outbound");
    assert.equal(inbound.dialed, AGENT, "the customer is dialled through to the agent");
    const customerSpeaks = await streamSpeech(server, inbound, "inbound");
    assert.ok(
      customerSpeaks.started.type === "stream_started" && customerSpeaks.started.agent_track === "outbound",
    );
    assert.ok(spoke(customerSpeaks.metrics, "customer"), "inbound is the customer on a call to our number");
    assert.ok(silent(customerSpeaks.metrics, "agent"));

    const agentSpeaks = await streamSpeech(
      server,
      await answer(server, "/webhooks/twilio/voice", leg),
      "outbound",
    );
    assert.ok(spoke(agentSpeaks.metrics, "agent"), "outbound is the agent on a call to our number");
    assert.ok(silent(agentSpeaks.metrics, "customer"));
  });
});

Deno.test("Track mapping - agent_track is covered by the signature: a rewritten query is refused", async () => {
  await withServer(async (server) => {
    const params = { CallSid: newCallSid(), From: OUR_NUMBER, To: AGENT, CallStatus: "in-progress" };
    const signedForInbound = signTwilioRequest(
      server.authToken,
      server.config.publicUrl + CLICK_TO_CALL_PATH,
      params,
    );
    const rewritten = CLICK_TO_CALL_PATH.replace("agent_track=inbound", "agent_track=outbound");
    const response = await postWebhook(server, rewritten, params, { signature: signedForInbound });
    assert.equal(response.status, 403);
    await response.body?.cancel();
    assert.equal(server.registry.size, 0);
  });
});
