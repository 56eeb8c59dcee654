/**
 * The simulator's Twilio wire format: message shapes (checked against the server's own schemas and the
 * documented quirks), the signatures on webhooks and on the media socket upgrade, and TwiML parsing.
 */
import assert from "node:assert/strict";
import twilio from "twilio";
import { randomSid } from "../../core/protocol/twilio_messages.ts";
import { buildVoiceTwiml } from "../../core/twilio/twiml.ts";
import {
  openMediaSocket,
  parseStreamTwiml,
  postWebhook,
  SimulatorError,
} from "../../simulator/twilio_client.ts";

const ids = { streamSid: randomSid("MZ"), callSid: randomSid("CA"), accountSid: randomSid("AC") };

interface Recorded {
  url: string;
  headers: Headers;
  body: string;
}

/** A loopback server that records what arrives. */
function recorder(handler: (request: Request) => Response) {
  const requests: Recorded[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const upgrade = request.headers.get("upgrade") !== null;
    const body = upgrade ? "" : await request.text();
    requests.push({ url: request.url, headers: new Headers(request.headers), body });
    return handler(request);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, server };
}

Deno.test("Twilio client - webhooks are form-encoded and signed over the public URL", async () => {
  const { url, requests, server } = recorder(() => new Response(null, { status: 204 }));
  try {
    const params = { CallSid: ids.callSid, CallStatus: "ringing", From: "+15555550100" };
    const publicUrl = "https://coach.example.com";
    const response = await postWebhook(
      { url, publicUrl, authToken: "secret-token" },
      "/webhooks/twilio/voice",
      params,
    );
    assert.equal(response.status, 204);
    const [request] = requests;
    const body = request.body;
    assert.equal(new URL(request.url).pathname, "/webhooks/twilio/voice");
    assert.match(request.headers.get("content-type") ?? "", /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), params);
    const signature = request.headers.get("x-twilio-signature") ?? "";
    assert.ok(
      twilio.validateRequest("secret-token", signature, `${publicUrl}/webhooks/twilio/voice`, params),
    );
    assert.ok(!twilio.validateRequest("secret-token", signature, `${url}/webhooks/twilio/voice`, params));
  } finally {
    await server.shutdown();
  }
});

Deno.test("Twilio client - the media socket upgrade carries x-twilio-signature over the stream URL", async () => {
  const { url, requests, server } = recorder((request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () => socket.close(1000, "done");
    return response;
  });
  try {
    const streamUrl = `wss://coach.example.com/ws/twilio/media/${ids.callSid}`;
    const socket = await openMediaSocket(
      `${url.replace("http", "ws")}/ws/twilio/media/${ids.callSid}`,
      streamUrl,
      "tok",
    );
    await new Promise((resolve) => socket.onclose = resolve);
    const signature = requests[0].headers.get("x-twilio-signature") ?? "";
    assert.ok(signature.length > 0, "the header was sent");
    assert.ok(twilio.validateRequest("tok", signature, streamUrl, {}));
  } finally {
    await server.shutdown();
  }
});

Deno.test("Twilio client - a refused media socket is a clear error", async () => {
  const { url, server } = recorder(() => new Response("Forbidden", { status: 403 }));
  try {
    await assert.rejects(
      openMediaSocket(`${url.replace("http", "ws")}/ws/twilio/media/x`, "wss://a.example/ws", "tok"),
      (error: Error) =>
        error instanceof SimulatorError && /could not open the media socket/.test(error.message),
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("Twilio client - parses the server's own TwiML", () => {
  const xml = buildVoiceTwiml({
    publicUrl: "https://coach.example.com",
    callSid: ids.callSid,
    streamToken: "t0k&n<'\">",
    agentTrack: "outbound",
    dialNumber: "+15557654321",
  });
  const stream = parseStreamTwiml(xml);
  assert.equal(stream.url, `wss://coach.example.com/ws/twilio/media/${ids.callSid}`);
  assert.equal(stream.track, "both_tracks");
  assert.deepEqual(stream.parameters, { token: "t0k&n<'\">", agent_track: "outbound" });
});

Deno.test("Twilio client - TwiML parsing tolerates quotes, order, whitespace and self-closing tags", () => {
  const variants = [
    `<?xml version="1.0"?><Response><Start>\n  <Stream track='both_tracks'\n url='ws://h/ws/a'>` +
    `<Parameter value="1" name="x" /><Parameter name='y' value='&#65;&#x42;'/></Stream></Start><Pause length="5"/></Response>`,
    `<Response><Start><Stream url="ws://h/ws/a" track="both_tracks"><Parameter name="x" value="1"></Parameter>` +
    `<Parameter name="y" value="AB"/></Stream></Start></Response>`,
  ];
  for (const xml of variants) {
    assert.deepEqual(parseStreamTwiml(xml), {
      url: "ws://h/ws/a",
      track: "both_tracks",
      parameters: { x: "1", y: "AB" },
    });
  }
  assert.deepEqual(parseStreamTwiml(`<Response><Start><Stream url="ws://h/a"/></Start></Response>`), {
    url: "ws://h/a",
    track: "inbound_track",
    parameters: {},
  });
});

Deno.test("Twilio client - TwiML without a stream is rejected with the TwiML in the message", () => {
  assert.throws(() => parseStreamTwiml("<Response><Say>Hello</Say></Response>"), /no <Start><Stream>.*Say/);
  assert.throws(() => parseStreamTwiml('<Response><Start><Stream track="x"/></Start></Response>'), /no url/);
  assert.throws(() => parseStreamTwiml("not xml"), SimulatorError);
});
