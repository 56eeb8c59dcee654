/**
 * Twilio Media Streams messages (what Twilio sends on the media WebSocket), validated with zod.
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
    tracks: z.array(z.enum(["inbound", "outbound"])).min(1),
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
    track: z.enum(["inbound", "outbound"]),
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
