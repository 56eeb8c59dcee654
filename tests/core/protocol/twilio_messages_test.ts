import assert from "node:assert/strict";
import fc from "fast-check";
import {
  asValidMedia,
  isCallSid,
  MediaMessageFactory,
  MediaMessageSchema,
  parseTwilioMessage,
  randomSid,
  TwilioMessageSchema,
} from "../../../core/protocol/twilio_messages.ts";

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

/** Values that stand in for a field: right and wrong types, edge lengths, digit and non-digit strings. */
const fieldValue = fc.oneof(
  fc.constantFrom("media", "start", "inbound", "outbound", "both", "", "0", "007", "123456789012345"),
  fc.constantFrom("1234567890123456", "-1", "1.5", " 1", "1\n", "٣", "x".repeat(64), "x".repeat(65)),
  fc.constantFrom("A".repeat(10668), "A".repeat(10669)),
  fc.string({ maxLength: 8 }),
  fc.stringMatching(/^\d{1,16}$/),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);

/** A real-shaped media message with up to four fields replaced, removed or added at any depth. */
const mutatedMedia = fc.record({
  edits: fc.array(
    fc.record({
      where: fc.constantFrom("top", "media"),
      key: fc.constantFrom(
        "event",
        "sequenceNumber",
        "streamSid",
        "media",
        "track",
        "chunk",
        "timestamp",
        "payload",
        "extra",
      ),
      value: fc.option(fieldValue, { nil: undefined }),
    }),
    { maxLength: 4 },
  ),
  mediaReplaced: fc.option(fieldValue, { nil: undefined, freq: 8 }),
}).map(({ edits, mediaReplaced }) => {
  const message: Record<string, unknown> = JSON.parse(media());
  const inner = message.media as Record<string, unknown>;
  for (const { where, key, value } of edits) {
    const target = where === "top" ? message : inner;
    if (value === undefined) delete target[key];
    else target[key] = value;
  }
  if (mediaReplaced !== undefined) message.media = mediaReplaced;
  return message;
});

Deno.test("Twilio messages - the media fast path gives zod's verdict on mutated messages", () => {
  let accepted = 0;
  fc.assert(
    fc.property(mutatedMedia, (message) => {
      const json = JSON.parse(JSON.stringify(message));
      const zod = MediaMessageSchema.safeParse(json);
      const fast = asValidMedia(json);
      assert.equal(fast !== null, zod.success, JSON.stringify(message).slice(0, 300));
      if (fast === null || !zod.success) return;
      accepted++;
      // The fields the server reads are the same; zod would also strip unknown keys, which nobody reads.
      const known = (m: typeof fast) => ({
        event: m.event,
        sequenceNumber: m.sequenceNumber,
        streamSid: m.streamSid,
        media: {
          track: m.media.track,
          chunk: m.media.chunk,
          timestamp: m.media.timestamp,
          payload: m.media.payload,
        },
      });
      assert.deepEqual(known(fast), known(zod.data));
    }),
    { numRuns: 5000, seed: 20261124 },
  );
  assert.ok(accepted > 100, `only ${accepted} of the mutated messages were valid: the generator is off`);
});

Deno.test("Twilio messages - a bad media message still gets zod's reason", () => {
  const cases: [string, RegExp][] = [
    [media({ timestamp: 5 }), /^media\.timestamp: /],
    [media({ track: "both" }), /^media\.track: /],
    [media({ payload: "A".repeat(10669) }), /^media\.payload: /],
    [media({ chunk: "1.5" }), /^media\.chunk: must be a string of digits/],
  ];
  for (const [text, reason] of cases) {
    const result = parseTwilioMessage(text);
    assert.equal(result.ok, false, text.slice(0, 120));
    if (!result.ok) assert.match(result.error, reason);
    assert.equal(TwilioMessageSchema.safeParse(JSON.parse(text)).success, false);
  }
});

const ids = { streamSid: randomSid("MZ"), callSid: randomSid("CA"), accountSid: randomSid("AC") };

Deno.test("Twilio messages - SIDs have the prefix and 32 hex digits", () => {
  assert.match(randomSid("CA"), /^CA[0-9a-f]{32}$/);
  assert.match(randomSid("MZ"), /^MZ[0-9a-f]{32}$/);
  assert.notEqual(randomSid("CA"), randomSid("CA"));
  assert.match(randomSid("CA", 0x2a), /^CA0000002a[0-9a-f]{24}$/);
  assert.equal(isCallSid(randomSid("CA")), true);
  assert.equal(isCallSid("CA123"), false);
  assert.equal(isCallSid(randomSid("MZ")), false);
});

Deno.test("Twilio messages - built messages have Twilio's shapes and pass the server's schemas", () => {
  const factory = new MediaMessageFactory(ids);
  const frame = Uint8Array.from({ length: 160 }, (_, i) => i);
  const texts = [
    factory.connected(),
    factory.start(["inbound", "outbound"], { token: "abc", agent_track: "outbound" }),
    factory.media("inbound", 0, frame),
    factory.media("outbound", 0, frame),
    factory.media("inbound", 20, frame),
    factory.stop(),
  ];
  for (const text of texts) assert.ok(parseTwilioMessage(text).ok, text.slice(0, 100));
  const [connected, start, in0, out0, in1, stop] = texts.map((text) => JSON.parse(text));

  assert.deepEqual(connected, { event: "connected", protocol: "Call", version: "1.0.0" });
  assert.equal(start.sequenceNumber, "1");
  assert.deepEqual(start.start, {
    accountSid: ids.accountSid,
    streamSid: ids.streamSid,
    callSid: ids.callSid,
    tracks: ["inbound", "outbound"],
    customParameters: { token: "abc", agent_track: "outbound" },
    mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
  });
  // track INSIDE media; sequenceNumber, chunk and timestamp are strings; chunks count per track.
  assert.equal(in0.track, undefined);
  assert.deepEqual(
    [in0, out0, in1].map((m) => [m.sequenceNumber, m.media.track, m.media.chunk, m.media.timestamp]),
    [["2", "inbound", "1", "0"], ["3", "outbound", "1", "0"], ["4", "inbound", "2", "20"]],
  );
  assert.equal(in0.streamSid, ids.streamSid);
  assert.deepEqual(Uint8Array.fromBase64(in0.media.payload), frame);
  assert.deepEqual(stop, {
    event: "stop",
    sequenceNumber: "5",
    streamSid: ids.streamSid,
    stop: { accountSid: ids.accountSid, callSid: ids.callSid },
  });
});
