import assert from "node:assert/strict";
import { parseTwilioMessage } from "../../../core/protocol/twilio_messages.ts";

// Shapes as Twilio sends them (docs: "Media Streams – WebSocket Messages").
const CONNECTED = '{"event":"connected","protocol":"Call","version":"1.0.0"}';
const START = JSON.stringify({
  event: "start",
  sequenceNumber: "1",
  streamSid: "MZ18ad3ab5a668481ce02b83e7395059f0",
  start: {
    accountSid: "AC123",
    streamSid: "MZ18ad3ab5a668481ce02b83e7395059f0",
    callSid: "CA123",
    tracks: ["inbound", "outbound"],
    customParameters: { token: "abc", agent_track: "outbound" },
    mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
  },
});
const media = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: "media",
    sequenceNumber: "4",
    streamSid: "MZ18ad3ab5a668481ce02b83e7395059f0",
    media: { track: "inbound", chunk: "2", timestamp: "5", payload: "/////w==", ...overrides },
  });
const STOP = JSON.stringify({
  event: "stop",
  sequenceNumber: "5",
  streamSid: "MZ18ad3ab5a668481ce02b83e7395059f0",
  stop: { accountSid: "AC123", callSid: "CA123" },
});

Deno.test("Twilio messages - real-shaped connected, start, media and stop parse", () => {
  const connected = parseTwilioMessage(CONNECTED);
  assert.equal(connected.ok && connected.message.event, "connected");
  const start = parseTwilioMessage(START);
  assert.ok(start.ok && start.message.event === "start");
  assert.equal(start.message.start.callSid, "CA123");
  assert.deepEqual(start.message.start.customParameters, { token: "abc", agent_track: "outbound" });
  const parsed = parseTwilioMessage(media());
  assert.ok(parsed.ok && parsed.message.event === "media");
  assert.equal(parsed.message.media.track, "inbound", "track sits inside media");
  assert.equal(parsed.message.media.timestamp, "5", "timestamp stays a string");
  assert.equal(parsed.message.sequenceNumber, "4");
  const stop = parseTwilioMessage(STOP);
  assert.equal(stop.ok && stop.message.event, "stop");
});

Deno.test("Twilio messages - start without customParameters defaults to none", () => {
  const json = JSON.parse(START);
  delete json.start.customParameters;
  const parsed = parseTwilioMessage(JSON.stringify(json));
  assert.ok(parsed.ok && parsed.message.event === "start");
  assert.deepEqual(parsed.message.start.customParameters, {});
});

Deno.test("Twilio messages - numbers where Twilio sends strings are rejected with the field named", () => {
  const result = parseTwilioMessage(media({ timestamp: 5 }));
  assert.deepEqual(result, {
    ok: false,
    error: "media.timestamp: Invalid input: expected string, received number",
  });
  const negative = parseTwilioMessage(media({ timestamp: "-20" }));
  assert.equal(negative.ok, false);
  assert.match(!negative.ok ? negative.error : "", /media\.timestamp: must be a string of digits/);
});

Deno.test("Twilio messages - bad frames give a reason, never throw", () => {
  const cases: [string, RegExp][] = [
    ["not json", /not JSON/],
    ["[]", /message/],
    ['{"event":"hello"}', /event/],
    [media({ track: "both" }), /media\.track/],
    [media({ payload: 12 }), /media\.payload/],
    [media({ payload: "A".repeat(20_000) }), /media\.payload/],
    [START.replace("audio/x-mulaw", "audio/l16"), /only audio\/x-mulaw/],
    [START.replace('"sampleRate":8000', '"sampleRate":16000'), /only 8000 Hz/],
    [STOP.replace('"stop":{', '"stopp":{'), /stop/],
  ];
  for (const [text, reason] of cases) {
    const result = parseTwilioMessage(text);
    assert.equal(result.ok, false, text.slice(0, 60));
    assert.match(!result.ok ? result.error : "", reason, text.slice(0, 60));
  }
});

Deno.test("Twilio messages - dtmf and mark are accepted and ignored", () => {
  const dtmf = parseTwilioMessage(
    '{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"digit":"1"}}',
  );
  assert.equal(dtmf.ok && dtmf.message.event, "dtmf");
});
