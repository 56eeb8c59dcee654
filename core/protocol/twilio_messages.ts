/**
 * Twilio Media Streams messages (what Twilio sends on the media WebSocket): the schemas the server validates
 * them with, and the builders the simulator, the tests and the bench write them with.
 *
 * Facts that shape these schemas (see docs/protocol.md): `track` sits inside `media`; `sequenceNumber`,
 * `chunk` and `timestamp` are strings; `timestamp` is milliseconds since the stream started, shared by
 * both tracks. `dtmf` and `mark` only occur on bidirectional streams and are accepted and ignored.
 *
 * @module
 */
import { z } from "zod";

/** Largest media payload accepted, in μ-law bytes (1 s of audio; Twilio sends 160). */
export const MAX_MEDIA_BYTES = 8000;

/** A decimal string of digits, as Twilio sends counters and timestamps. */
const DIGITS = /^\d{1,15}$/;
const DigitString = z.string().regex(DIGITS, "must be a string of digits");
/** Longest base64 payload: it decodes to at most {@linkcode MAX_MEDIA_BYTES}. */
export const MAX_PAYLOAD_CHARS = Math.ceil(MAX_MEDIA_BYTES / 3) * 4;

/** Twilio's names for the two sides of a call's audio. */
export const TRACK_NAMES = ["inbound", "outbound"] as const;
/** A Twilio media track name. */
export type TrackName = typeof TRACK_NAMES[number];

export const ConnectedMessageSchema = z.object({
  event: z.literal("connected"),
  protocol: z.string(),
  version: z.string(),
});

export const StartMessageSchema = z.object({
  event: z.literal("start"),
  sequenceNumber: DigitString,
  streamSid: z.string().min(1).max(64),
  start: z.object({
    accountSid: z.string().max(64),
    streamSid: z.string().max(64),
    callSid: z.string().min(1).max(64),
    tracks: z.array(z.enum(TRACK_NAMES)).min(1),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.object({
      encoding: z.literal("audio/x-mulaw", { error: "only audio/x-mulaw is supported" }),
      sampleRate: z.literal(8000, { error: "only 8000 Hz is supported" }),
      channels: z.literal(1, { error: "only mono is supported" }),
    }),
  }),
});

export const MediaMessageSchema = z.object({
  event: z.literal("media"),
  sequenceNumber: DigitString,
  streamSid: z.string().max(64),
  media: z.object({
    track: z.enum(TRACK_NAMES),
    chunk: DigitString,
    timestamp: DigitString,
    /** Base64 μ-law; the length cap keeps a decoded frame within {@linkcode MAX_MEDIA_BYTES}. */
    payload: z.string().max(MAX_PAYLOAD_CHARS),
  }),
});

export const StopMessageSchema = z.object({
  event: z.literal("stop"),
  sequenceNumber: DigitString,
  streamSid: z.string().max(64),
  stop: z.object({ accountSid: z.string().max(64), callSid: z.string().max(64) }),
});

/** Events of bidirectional streams: valid, but nothing for us to do. */
export const IgnoredMessageSchema = z.object({ event: z.enum(["dtmf", "mark"]) });

export const TwilioMessageSchema = z.discriminatedUnion("event", [
  ConnectedMessageSchema,
  StartMessageSchema,
  MediaMessageSchema,
  StopMessageSchema,
  IgnoredMessageSchema,
]);

export type StartMessage = z.infer<typeof StartMessageSchema>;
export type MediaMessage = z.infer<typeof MediaMessageSchema>;
export type TwilioMessage = z.infer<typeof TwilioMessageSchema>;

/** The result of parsing one text frame: the message, or why it was rejected. */
export type ParseResult = { ok: true; message: TwilioMessage } | { ok: false; error: string };

/**
 * The hot path: 50 `media` messages per second per track. Checks exactly what {@linkcode MediaMessageSchema}
 * checks, by hand, because zod's generic walk costs as much as `JSON.parse` itself. A message that fails
 * here is not rejected here: it goes through zod, which writes the error. `tests/core/protocol` holds both
 * checks to the same verdicts on thousands of mutated messages.
 */
export function asValidMedia(json: unknown): MediaMessage | null {
  if (typeof json !== "object" || json === null) return null;
  const message = json as Record<string, unknown>;
  if (message.event !== "media") return null;
  const { sequenceNumber, streamSid, media } = message;
  if (typeof sequenceNumber !== "string" || !DIGITS.test(sequenceNumber)) return null;
  if (typeof streamSid !== "string" || streamSid.length > 64) return null;
  if (typeof media !== "object" || media === null || Array.isArray(media)) return null;
  const { track, chunk, timestamp, payload } = media as Record<string, unknown>;
  if (track !== "inbound" && track !== "outbound") return null;
  if (typeof chunk !== "string" || !DIGITS.test(chunk)) return null;
  if (typeof timestamp !== "string" || !DIGITS.test(timestamp)) return null;
  if (typeof payload !== "string" || payload.length > MAX_PAYLOAD_CHARS) return null;
  // The parsed object as is: it may carry keys zod would strip, which nobody reads.
  return message as unknown as MediaMessage;
}

/**
 * Parses one text frame from Twilio. Never throws: a bad frame yields a reason fit for the log.
 */
export function parseTwilioMessage(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const media = asValidMedia(json);
  if (media !== null) return { ok: true, message: media };
  const result = TwilioMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "message";
    return { ok: false, error: `${where}: ${issue.message}` };
  }
  return { ok: true, message: result.data };
}

/**
 * A random Twilio-style SID: the two-letter prefix and 32 lowercase hex digits. With `tag`, the first 8 of
 * them are `tag` in hex, so that a load generator's call can be found in the server's log.
 */
export function randomSid(prefix: "CA" | "MZ" | "AC", tag?: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(tag === undefined ? 16 : 12));
  const head = tag === undefined ? "" : tag.toString(16).padStart(8, "0");
  return prefix + head + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `sid` is a Call SID ("CA" + 32 hex digits). */
export function isCallSid(sid: string): boolean {
  return /^CA[0-9a-fA-F]{32}$/.test(sid);
}

/** The ids of one media stream. */
export interface StreamIds {
  streamSid: string;
  callSid: string;
  accountSid: string;
}

/** `connected`: the first message on every media socket, without a stream SID or sequence number. */
export function connectedMessage(): string {
  return `{"event":"connected","protocol":"Call","version":"1.0.0"}`;
}

/** `start`, with the `<Parameter>`s of the TwiML as `customParameters`. */
export function startMessage(
  ids: StreamIds,
  sequence: number,
  tracks: readonly TrackName[],
  customParameters: Record<string, string>,
): string {
  const { streamSid, callSid, accountSid } = ids;
  return JSON.stringify({
    event: "start",
    sequenceNumber: String(sequence),
    streamSid,
    start: {
      accountSid,
      streamSid,
      callSid,
      tracks,
      customParameters,
      mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
    },
  });
}

/**
 * `media`: one frame of `track`, its base64 μ-law `payload` stamped `timestampMs` after the stream start.
 * Written as a template (every field is digits, a SID or base64, none needs escaping): the bench sends
 * thousands a second.
 */
export function mediaMessage(
  streamSid: string,
  sequence: number,
  track: TrackName,
  chunk: number,
  timestampMs: number,
  payload: string,
): string {
  return `{"event":"media","sequenceNumber":"${sequence}","streamSid":"${streamSid}",` +
    `"media":{"track":"${track}","chunk":"${chunk}","timestamp":"${timestampMs}","payload":"${payload}"}}`;
}

/** `stop`: the call is over. */
export function stopMessage(ids: StreamIds, sequence: number): string {
  return JSON.stringify({
    event: "stop",
    sequenceNumber: String(sequence),
    streamSid: ids.streamSid,
    stop: { accountSid: ids.accountSid, callSid: ids.callSid },
  });
}

/**
 * The messages of one media stream with Twilio's counters: one `sequenceNumber` across all messages after
 * `connected`, one `chunk` counter per track.
 */
export class MediaMessageFactory {
  readonly ids: StreamIds;
  #sequence = 0;
  readonly #chunks: Record<TrackName, number> = { inbound: 0, outbound: 0 };

  constructor(ids: StreamIds) {
    this.ids = ids;
  }

  connected(): string {
    return connectedMessage();
  }

  start(tracks: readonly TrackName[], customParameters: Record<string, string>): string {
    return startMessage(this.ids, ++this.#sequence, tracks, customParameters);
  }

  /** `media` of `mulaw` bytes; the timestamp is rounded to whole milliseconds as Twilio sends it. */
  media(track: TrackName, timestampMs: number, mulaw: Uint8Array): string {
    const chunk = ++this.#chunks[track];
    return mediaMessage(
      this.ids.streamSid,
      ++this.#sequence,
      track,
      chunk,
      Math.round(timestampMs),
      mulaw.toBase64(),
    );
  }

  stop(): string {
    return stopMessage(this.ids, ++this.#sequence);
  }
}
