/**
 * Reads a `media` message of a known stream straight from its text, without `JSON.parse`.
 *
 * A live call sends 100 media messages a second, and `JSON.parse` builds two objects and six strings for each
 * only to have three of them read. A media message has one expected layout (compact JSON, the keys in the order
 * of the project's Twilio notes, digits and base64 that never need escapes), so the reader matches that exact
 * text: the fixed parts as whole substrings, the counters digit by digit, the payload's end with one `indexOf`,
 * and the payload is decoded into the caller's buffer.
 *
 * It never rejects anything. Whatever it does not recognise, it declines (`read` returns false) and the caller
 * takes the general path (`parseTwilioMessage`), which gives the verdict; should Twilio ever lay its messages
 * out differently, they are read that way: slower, never wrong. What it accepts, the general path
 * accepts too, with the same track, timestamp and bytes: `tests/core/protocol/media_reader_test.ts` holds the two
 * to that on thousands of mutated messages.
 *
 * @example
 * ```ts
 * const reader = MediaReader.forStream(streamSid); // null if the stream's SID would need escapes
 * if (reader?.read(text, buffer)) session.ingest(reader.track, reader.timestampMs, buffer.subarray(0, reader.length));
 * else handleInGeneral(parseTwilioMessage(text));
 * ```
 *
 * @module
 */
import type { TrackName } from "./twilio_messages.ts";
import { MAX_PAYLOAD_CHARS } from "./twilio_messages.ts";

const HEAD = '{"event":"media","sequenceNumber":"';
/** `streamSid` before `media` (the order of the project's Twilio notes) or after it: both are read. */
const MEDIA_FIRST = ',"media":{"track":"';
/** A track and the key after it. */
const INBOUND = 'inbound","chunk":"';
const OUTBOUND = 'outbound","chunk":"';
const TIMESTAMP = '","timestamp":"';
const PAYLOAD = '","payload":"';
/** End of a message with `streamSid` before `media`. */
const END = '"}}';
/** Longest run of digits `DIGITS` in `twilio_messages.ts` accepts. */
const MAX_DIGITS = 15;
const QUOTE = 0x22;
const ZERO = 0x30;
const EQUALS = 0x3d;
const LOWER_I = 0x69;

/** Reads one stream's media messages; one per socket, its fields overwritten by every `read`. */
export class MediaReader {
  /** The track of the last frame read. */
  track: TrackName = "inbound";
  /** The `timestamp` of the last frame read, ms since the stream started. */
  timestampMs = 0;
  /** Bytes the last read decoded into the caller's buffer. */
  length = 0;
  /** What follows the sequence number when `streamSid` comes first, up to the track. */
  readonly #sidFirst: string;
  /** What follows the payload when `streamSid` comes last, to the end. */
  readonly #sidLast: string;
  /** Value of the last digits read. */
  #digits = 0;

  private constructor(streamSid: string) {
    this.#sidFirst = `","streamSid":"${streamSid}"${MEDIA_FIRST}`;
    this.#sidLast = `"},"streamSid":"${streamSid}"}`;
  }

  /**
   * A reader for the stream `streamSid` (as the `start` message gave it), or null when the SID holds a quote,
   * a backslash or a control character: JSON writes those escaped, so its text would never match.
   */
  static forStream(streamSid: string): MediaReader | null {
    for (let i = 0; i < streamSid.length; i++) {
      const code = streamSid.charCodeAt(i);
      if (code < 0x20 || code === QUOTE || code === 0x5c) return null;
    }
    return new MediaReader(streamSid);
  }

  /**
   * Reads `text` if it is a media message of this stream written the way Twilio writes them, and decodes its
   * payload into `into` (from index 0; bytes beyond `length` may have changed even when it declines).
   *
   * @returns true with `track`, `timestampMs` and `length` set; false when the message is anything else
   *   (another shape, another stream, an invalid field, an empty payload, or more bytes than `into` holds).
   */
  read(text: string, into: Uint8Array): boolean {
    if (!hasAt(text, HEAD, 0)) return false;
    let pos = this.#readDigits(text, HEAD.length);
    if (pos < 0) return false;
    // `pos` is at the sequence number's closing quote.
    const sidFirst = hasAt(text, this.#sidFirst, pos);
    if (sidFirst) pos += this.#sidFirst.length;
    else if (hasAt(text, MEDIA_FIRST, pos + 1)) pos += 1 + MEDIA_FIRST.length;
    else return false;

    // One character tells which track it can only be; the whole word is checked next.
    const track: TrackName = text.charCodeAt(pos) === LOWER_I ? "inbound" : "outbound";
    const trackAndKey = track === "inbound" ? INBOUND : OUTBOUND;
    if (!hasAt(text, trackAndKey, pos)) return false;
    pos = this.#readDigits(text, pos + trackAndKey.length);
    if (pos < 0 || !hasAt(text, TIMESTAMP, pos)) return false;
    pos = this.#readDigits(text, pos + TIMESTAMP.length);
    if (pos < 0 || !hasAt(text, PAYLOAD, pos)) return false;
    const timestampMs = this.#digits;

    const start = pos + PAYLOAD.length;
    const end = text.indexOf('"', start);
    if (end < 0 || end - start > MAX_PAYLOAD_CHARS) return false;
    const tail = sidFirst ? END : this.#sidLast;
    if (end + tail.length !== text.length || !hasAt(text, tail, end)) return false;

    const written = decodeExactly(text.slice(start, end), into);
    if (written <= 0) return false;
    this.track = track;
    this.timestampMs = timestampMs;
    this.length = written;
    return true;
  }

  /** Reads 1 to 15 ASCII digits from `start` into `#digits`; returns the index of the closing quote, or -1. */
  #readDigits(text: string, start: number): number {
    let value = 0;
    let pos = start;
    for (; pos < text.length && pos - start <= MAX_DIGITS; pos++) {
      const digit = text.charCodeAt(pos) - ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    const count = pos - start;
    if (count === 0 || count > MAX_DIGITS || text.charCodeAt(pos) !== QUOTE) return -1;
    this.#digits = value;
    return pos;
  }
}

/**
 * Whether `text` holds `literal` at `at`. A substring compared as a whole: in V8 that is faster than
 * `startsWith` or a loop over `charCodeAt`.
 */
function hasAt(text: string, literal: string, at: number): boolean {
  return text.slice(at, at + literal.length) === literal;
}

/**
 * Decodes `payload` into `into` and returns the byte count, or -1 unless every character was base64 data or
 * final padding. `setFromBase64` skips ASCII whitespace, which JSON does not allow raw in a string, so a
 * payload with a raw tab or newline must not pass here. Whitespace shows in the count: `m` characters of
 * base64 data decode to `⌊3m/4⌋` bytes, which grows strictly over the valid `m` (remainder 0, 2 or 3 after
 * dividing by 4), so the bytes written equal that of the payload's length less its padding only when no
 * character was skipped.
 */
function decodeExactly(payload: string, into: Uint8Array): number {
  let result: { read: number; written: number };
  try {
    result = into.setFromBase64(payload);
  } catch {
    return -1; // not base64: the general path gives the reason
  }
  if (result.read !== payload.length) return -1; // more bytes than `into` holds
  const length = payload.length;
  let padding = 0;
  if (length > 0 && payload.charCodeAt(length - 1) === EQUALS) {
    padding = length > 1 && payload.charCodeAt(length - 2) === EQUALS ? 2 : 1;
  }
  const data = length - padding;
  if ((data & 3) === 1 || result.written !== Math.floor((data * 3) / 4)) return -1;
  return result.written;
}
