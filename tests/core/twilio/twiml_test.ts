import assert from "node:assert/strict";
import { buildVoiceTwiml, mediaStreamUrl } from "../../../core/twilio/twiml.ts";

const CALL_SID = "CA" + "0123456789abcdef".repeat(2);

Deno.test("TwiML - Start/Stream on both tracks to the wss URL, then Dial the agent", () => {
  const xml = buildVoiceTwiml({
    publicUrl: "https://coach.example.com",
    callSid: CALL_SID,
    streamToken: "tok123",
    agentTrack: "outbound",
    dialNumber: "+15557654321",
    callerId: "+15551234567",
    customerLast4: "4567",
  });
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Start><Stream /);
  assert.match(xml, new RegExp(`url="wss://coach\\.example\\.com/ws/twilio/media/${CALL_SID}"`));
  assert.match(xml, /track="both_tracks"/);
  assert.match(xml, /statusCallback="https:\/\/coach\.example\.com\/webhooks\/twilio\/stream\/status"/);
  assert.match(xml, /<Parameter name="token" value="tok123"\/>/);
  assert.match(xml, /<Parameter name="agent_track" value="outbound"\/>/);
  assert.match(xml, /<Parameter name="customer_last4" value="4567"\/>/);
  assert.match(
    xml,
    /<\/Start><Dial callerId="\+15551234567" answerOnBridge="true">\+15557654321<\/Dial><\/Response>$/,
  );
  assert.doesNotMatch(xml, /url="[^"]*\?/, "no query string in the stream URL");
});

Deno.test("TwiML - without an agent number a lone caller hears Say then a long Pause", () => {
  const xml = buildVoiceTwiml({
    publicUrl: "https://coach.example.com",
    callSid: CALL_SID,
    streamToken: "t",
    agentTrack: "outbound",
  });
  assert.match(xml, /<\/Start><Say>[^<]+<\/Say><Pause length="600"\/><\/Response>$/);
  assert.doesNotMatch(xml, /<Dial/);
});

Deno.test("TwiML - stream URL scheme follows PUBLIC_URL and carries no query", () => {
  assert.equal(mediaStreamUrl("https://a.example.com", "CA1"), "wss://a.example.com/ws/twilio/media/CA1");
  assert.equal(mediaStreamUrl("http://127.0.0.1:8000", "CA1"), "ws://127.0.0.1:8000/ws/twilio/media/CA1");
});

Deno.test("TwiML - values are XML-escaped", () => {
  const xml = buildVoiceTwiml({
    publicUrl: "https://a.example.com",
    callSid: CALL_SID,
    streamToken: 'a"b<c>&',
    agentTrack: "inbound",
  });
  assert.match(xml, /value="a&quot;b&lt;c(>|&gt;)&amp;"/);
});
