import assert from "node:assert/strict";
import fc from "fast-check";
import { MediaReader } from "../../../core/protocol/media_reader.ts";
import { MAX_MEDIA_BYTES, parseTwilioMessage } from "../../../core/protocol/twilio_messages.ts";

const SID = "MZ18ad3ab5a668481ce02b83e7395059f0";
/** 160 bytes of a tone-like pattern: Twilio's 20 ms frame, 216 base64 characters with `==`. */
const FRAME = Uint8Array.from({ length: 160 }, (_, i) => (i * 37 + 11) & 0xff);
const PAYLOAD = FRAME.toBase64();

/** A media message as the project's Twilio notes write it: `streamSid` before `media`. */
function asInNotes(
  fields: { seq?: string; track?: string; chunk?: string; ts?: string; payload?: string } = {},
) {
  const { seq = "4", track = "outbound", chunk = "2", ts = "40", payload = PAYLOAD } = fields;
  return `{"event":"media","sequenceNumber":"${seq}","streamSid":"${SID}",` +
    `"media":{"track":"${track}","chunk":"${chunk}","timestamp":"${ts}","payload":"${payload}"}}`;
}

/** The same message with the two keys the other way round: `media` before `streamSid`. */
function swapped(fields: { track?: string; ts?: string; payload?: string } = {}) {
  const { track = "inbound", ts = "40", payload = PAYLOAD } = fields;
  return `{"event":"media","sequenceNumber":"4",` +
    `"media":{"track":"${track}","chunk":"2","timestamp":"${ts}","payload":"${payload}"},"streamSid":"${SID}"}`;
}

type Frame = { track: string; timestampMs: number; bytes: number[] };

/**
 * What the media socket's general path makes of `text` on the stream `SID`: `parseTwilioMessage`, the stream
 * check, then the payload decoded the way `server/media_socket.ts` decodes it. Null for anything it rejects.
 */
function generalPath(text: string): Frame | null {
  const parsed = parseTwilioMessage(text);
  if (!parsed.ok || parsed.message.event !== "media" || parsed.message.streamSid !== SID) return null;
  const { track, timestamp, payload } = parsed.message.media;
  const buffer = new Uint8Array(MAX_MEDIA_BYTES);
  try {
    const result = buffer.setFromBase64(payload);
    if (result.read !== payload.length || result.written === 0) return null;
    return { track, timestampMs: Number(timestamp), bytes: [...buffer.subarray(0, result.written)] };
  } catch {
    return null;
  }
}

/** What the reader makes of `text`, null when it declines. */
function fastPath(text: string): Frame | null {
  const reader = MediaReader.forStream(SID)!;
  const buffer = new Uint8Array(MAX_MEDIA_BYTES);
  if (!reader.read(text, buffer)) return null;
  return {
    track: reader.track,
    timestampMs: reader.timestampMs,
    bytes: [...buffer.subarray(0, reader.length)],
  };
}

Deno.test("Media reader - reads Twilio's media messages in both key orders, as the general path does", () => {
  const cases = [
    asInNotes(),
    asInNotes({ track: "inbound", seq: "123456789012345", chunk: "0", ts: "007" }),
    asInNotes({ payload: FRAME.subarray(0, 159).toBase64() }), // one `=`
    asInNotes({ payload: FRAME.subarray(0, 159).toBase64().slice(0, -1) }), // padding left off
    asInNotes({ payload: new Uint8Array(8000).fill(0xff).toBase64() }), // one second at once
    swapped(),
    swapped({ track: "outbound", ts: "999999999999999" }),
  ];
  for (const text of cases) {
    const fast = fastPath(text);
    assert.ok(fast, `read: ${text.slice(0, 140)}`);
    assert.deepEqual(fast, generalPath(text));
  }
  assert.deepEqual(fastPath(asInNotes()), { track: "outbound", timestampMs: 40, bytes: [...FRAME] });
});

Deno.test("Media reader - declines what it does not recognise, whatever the general path says of it", () => {
  const pretty = JSON.stringify(JSON.parse(asInNotes()), null, 2);
  const cases: [string, string, boolean][] = [
    // [name, text, does the general path accept it]
    ["pretty-printed", pretty, true],
    [
      "keys in another order",
      asInNotes().replace('"event":"media","sequenceNumber":"4"', '"sequenceNumber":"4","event":"media"'),
      true,
    ],
    ["an escape in the payload", asInNotes({ payload: "\\u0041" + PAYLOAD.slice(1) }), true],
    ["a space in the payload", asInNotes({ payload: PAYLOAD.slice(0, 8) + " " + PAYLOAD.slice(8) }), true],
    [
      "a raw newline in the payload",
      asInNotes({ payload: PAYLOAD.slice(0, 8) + "\n" + PAYLOAD.slice(8) }),
      false,
    ],
    [
      "a raw tab in the payload",
      asInNotes({ payload: PAYLOAD.slice(0, 8) + "\t" + PAYLOAD.slice(8) }),
      false,
    ],
    ["a raw newline after the padding", asInNotes({ payload: PAYLOAD + "\n" }), false],
    ["another stream", asInNotes().replace(SID, "MZ00000000000000000000000000000000"), false],
    ["16 digits", asInNotes({ ts: "1234567890123456" }), false],
    ["no digits", asInNotes({ chunk: "" }), false],
    ["a sign", asInNotes({ seq: "-4" }), false],
    ["a timestamp as a number", asInNotes().replace('"timestamp":"40"', '"timestamp":40'), false],
    ["another track", asInNotes({ track: "both" }), false],
    ["an extra key", asInNotes().replace('"chunk"', '"x":"1","chunk"'), true],
    ["trailing whitespace", asInNotes() + "\n", true],
    ["cut short", asInNotes().slice(0, -1), false],
    ["not base64", asInNotes({ payload: "!!!!" }), false],
    ["an empty payload", asInNotes({ payload: "" }), false],
    ["one byte too many", asInNotes({ payload: new Uint8Array(8001).toBase64() }), false],
    ["a lone final character", asInNotes({ payload: PAYLOAD.slice(0, -2) + "AAA" }), false],
    ["not media", '{"event":"stop","sequenceNumber":"5"}', false],
  ];
  for (const [name, text, general] of cases) {
    assert.equal(fastPath(text), null, `${name}: declined`);
    assert.equal(generalPath(text) !== null, general, `${name}: the general path's verdict`);
  }
});

Deno.test("Media reader - no reader for a stream SID that JSON would escape", () => {
  for (const sid of ['MZ"1', "MZ\\1", "MZ\n1", "MZ\u00001"]) {
    assert.equal(MediaReader.forStream(sid), null, sid);
  }
  assert.ok(MediaReader.forStream("MZ-é-1"));
});

/** Characters an edit inserts: JSON's structure, whitespace, escapes, digits, base64, padding, non-ASCII. */
const EDIT_CHARS = [
  " ",
  "\n",
  "\t",
  "\r",
  "\f",
  "\\",
  '"',
  "{",
  "}",
  ",",
  ":",
  "0",
  "9",
  "A",
  "z",
  "+",
  "/",
  "=",
]
  .concat(["é", "\u0000", "x"]);

/** A Twilio media message (either order, random fields) with up to three characters inserted, deleted or replaced. */
const mutatedText = fc.record({
  order: fc.constantFrom("notes", "swapped"),
  track: fc.constantFrom("inbound", "outbound"),
  ts: fc.stringMatching(/^\d{1,16}$/),
  bytes: fc.uint8Array({ minLength: 0, maxLength: 200 }),
  edits: fc.array(
    fc.record({
      at: fc.nat(),
      op: fc.constantFrom("insert", "delete", "replace"),
      char: fc.constantFrom(...EDIT_CHARS),
    }),
    { maxLength: 3 },
  ),
}).map(({ order, track, ts, bytes, edits }) => {
  const payload = bytes.toBase64();
  let text = order === "notes" ? asInNotes({ track, ts, payload }) : swapped({ track, ts, payload });
  for (const { at, op, char } of edits) {
    const i = at % (text.length + 1);
    if (op === "insert") text = text.slice(0, i) + char + text.slice(i);
    else if (op === "delete") text = text.slice(0, i) + text.slice(i + 1);
    else text = text.slice(0, i) + char + text.slice(i + 1);
  }
  return text;
});

Deno.test("Media reader - on mutated messages, whatever it reads the general path reads the same", () => {
  let read = 0;
  let declined = 0;
  fc.assert(
    fc.property(mutatedText, (text) => {
      const fast = fastPath(text);
      if (fast === null) {
        declined++;
        return;
      }
      read++;
      assert.deepEqual(fast, generalPath(text), JSON.stringify(text).slice(0, 300));
    }),
    { numRuns: 20000, seed: 20261125 },
  );
  // Both outcomes must be common, or the generator does not test the reader.
  assert.ok(read > 2000 && declined > 2000, `read ${read}, declined ${declined}`);
});
