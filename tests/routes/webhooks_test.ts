import assert from "node:assert/strict";
import { Hono } from "hono";
import { loadConfig } from "../../core/config.ts";
import { createLogger, type Logger, silentLogger } from "../../core/log.ts";
import { SessionRegistry } from "../../core/session/registry.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { verifyStreamToken } from "../../core/twilio/stream_token.ts";
import { lastFourDigits, twilioWebhooks } from "../../routes/webhooks.ts";

const PUBLIC_URL = "https://coach.example.com";
const TOKEN = "test-auth-token";
const CALL_SID = "CA" + "0123456789abcdef".repeat(2);

function setup(env: Record<string, string> = {}, log: Logger = silentLogger) {
  const config = loadConfig({ PUBLIC_URL, TWILIO_AUTH_TOKEN: TOKEN, ...env });
  const registry = new SessionRegistry({ ...config, now: () => Date.now(), log: silentLogger });
  const app = new Hono().route(
    "/webhooks/twilio",
    twilioWebhooks({ config, registry, cluster: null, authToken: TOKEN, log }),
  );
  /** Posts as Twilio does: to the local server, signed over the public URL. */
  const post = (path: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request(`http://localhost:8000/webhooks/twilio${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": signTwilioRequest(TOKEN, `${PUBLIC_URL}/webhooks/twilio${path}`, params),
        ...headers,
      },
      body: new URLSearchParams(params),
    });
  return { app, registry, post };
}

Deno.test("Webhooks - voice answers TwiML for the call and opens a waiting session", async () => {
  const { registry, post } = setup({
    AGENT_PHONE_NUMBER: "+15557654321",
    TWILIO_PHONE_NUMBER: "+15551234567",
  });
  const response = await post("/voice", { CallSid: CALL_SID, From: "+15550001111", To: "+15551234567" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/xml; charset=utf-8");
  const xml = await response.text();
  assert.match(xml, new RegExp(`<Stream url="wss://coach\\.example\\.com/ws/twilio/media/${CALL_SID}"`));
  assert.match(xml, /statusCallback="https:\/\/coach\.example\.com\/webhooks\/twilio\/stream\/status"/);
  assert.match(xml, /<Dial callerId="\+15551234567" answerOnBridge="true">\+15557654321<\/Dial>/);
  const token = /<Parameter name="token" value="([^"]+)"/.exec(xml)?.[1];
  assert.ok(verifyStreamToken(TOKEN, CALL_SID, token), "the token is the HMAC of this CallSid");
  assert.equal(registry.get(CALL_SID)?.status, "waiting");
});

Deno.test("Webhooks - the customer's last 4 digits go to the media stream; no full number is logged", async () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", now: () => new Date(0), write: (line) => lines.push(line) });
  const { post } = setup({}, log);
  const last4 = async (path: string, params: Record<string, string>) => {
    const xml = await (await post(path, { CallSid: CALL_SID, ...params })).text();
    return /<Parameter name="customer_last4" value="(\d{4})"\/>/.exec(xml)?.[1] ?? null;
  };
  // A customer calling in is the caller; on a call we placed, the called number; click-to-call: dial_to.
  assert.equal(
    await last4("/voice", { From: "+15550004567", To: "+15551234567", Direction: "inbound" }),
    "4567",
  );
  assert.equal(
    await last4("/voice", { From: "+15551234567", To: "+15550009876", Direction: "outbound-api" }),
    "9876",
  );
  assert.equal(
    await last4("/voice?agent_track=inbound&dial_to=%2B15559998888", {
      From: "+15551234567",
      To: "+15557654321",
      Direction: "outbound-api",
    }),
    "8888",
  );
  assert.equal(await last4("/voice", { From: "client:alice", Direction: "inbound" }), null);
  const logged = lines.join("\n");
  for (const number of ["15550004567", "15550009876", "15559998888", "15551234567"]) {
    assert.ok(!logged.includes(number), `the log never holds a full number (${number})`);
  }
  assert.match(logged, /"customer_last4":"4567"/);
  assert.equal(lastFourDigits("+1 (555) 000-4567"), "4567");
  assert.equal(lastFourDigits("123"), null);
  assert.equal(lastFourDigits(undefined), null);
});

Deno.test("Webhooks - HOST comes from PUBLIC_URL, never from request headers", async () => {
  const { post } = setup();
  const response = await post("/voice", { CallSid: CALL_SID }, {
    host: "evil.example.net",
    "x-forwarded-host": "evil.example.net",
  });
  const xml = await response.text();
  assert.doesNotMatch(xml, /evil/);
  assert.match(xml, /wss:\/\/coach\.example\.com\//);
});

Deno.test("Webhooks - a signature over the local URL (not PUBLIC_URL) is refused", async () => {
  const { app, registry } = setup();
  const params = { CallSid: CALL_SID };
  const response = await app.request("http://localhost:8000/webhooks/twilio/voice", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signTwilioRequest(TOKEN, "http://localhost:8000/webhooks/twilio/voice", params),
    },
    body: new URLSearchParams(params),
  });
  assert.equal(response.status, 403);
  assert.equal(registry.size, 0);
});

Deno.test("Webhooks - the agent track can be set per call in the (signed) webhook URL", async () => {
  const { registry, post } = setup();
  const response = await post("/voice?agent_track=inbound", { CallSid: CALL_SID });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /<Parameter name="agent_track" value="inbound"\/>/);
  assert.equal(registry.get(CALL_SID)?.agentTrack, "inbound");
  const bad = await post("/voice?agent_track=both", { CallSid: CALL_SID });
  assert.equal(bad.status, 400);
});

Deno.test("Webhooks - click-to-call: dial_to in the signed URL dials the customer", async () => {
  const { post } = setup({ AGENT_PHONE_NUMBER: "+15557654321", TWILIO_PHONE_NUMBER: "+15551234567" });
  const response = await post("/voice?agent_track=inbound&dial_to=%2B15559998888", { CallSid: CALL_SID });
  assert.match(
    await response.text(),
    /<Dial callerId="\+15551234567" answerOnBridge="true">\+15559998888<\/Dial>/,
  );
  const bad = await post("/voice?dial_to=123", { CallSid: CALL_SID });
  assert.equal(bad.status, 400);
});

Deno.test("Webhooks - wrong content type, huge body, missing CallSid", async () => {
  const { post } = setup();
  const json = await post("/voice", { CallSid: CALL_SID }, { "content-type": "application/json" });
  assert.equal(json.status, 415);
  const huge = await post("/voice", { CallSid: CALL_SID, Junk: "x".repeat(70_000) });
  assert.equal(huge.status, 413);
  const missing = await post("/voice", { From: "+15550001111" });
  assert.equal(missing.status, 400);
  assert.match(await missing.text(), /CallSid/);
  const malformed = await post("/voice", { CallSid: "CA../../etc" });
  assert.equal(malformed.status, 400);
});

Deno.test("Webhooks - terminal call statuses end the session, others do not", async () => {
  const { registry, post } = setup();
  registry.open(CALL_SID).startStream();
  const ringing = await post("/voice/status", {
    CallSid: CALL_SID,
    CallStatus: "in-progress",
    SequenceNumber: "1",
  });
  assert.equal(ringing.status, 204);
  assert.equal(registry.get(CALL_SID)?.status, "live");
  for (const status of ["completed", "completed"]) {
    const response = await post("/voice/status", { CallSid: CALL_SID, CallStatus: status });
    assert.equal(response.status, 204);
  }
  assert.equal(registry.get(CALL_SID)?.status, "ended");
  const unknown = await post("/voice/status", { CallSid: "CA" + "f".repeat(32), CallStatus: "failed" });
  assert.equal(unknown.status, 204, "a status for a call we never saw is fine");
});

Deno.test("Webhooks - stream status callbacks answer 204", async () => {
  const { post } = setup();
  const response = await post("/stream/status", {
    CallSid: CALL_SID,
    StreamSid: "MZ1",
    StreamEvent: "stream-error",
    StreamError: "wss connection failed",
  });
  assert.equal(response.status, 204);
});
