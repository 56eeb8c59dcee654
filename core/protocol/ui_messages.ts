/**
 * Messages on the agent-page WebSocket (`/ws/ui` and `/ws/ui/{session_id}`).
 *
 * Defined once here and imported by both the server (`routes/`) and the island (`islands/`), so the two
 * sides cannot drift. Every message that crosses the socket is validated with these schemas.
 * The wire format is documented in `docs/protocol.md`.
 *
 * @module
 */
import { z } from "zod";

/** The coaching tips the rule engine can give. */
export const SUGGESTION_TYPES = [
  "SPEAKING_TOO_FAST",
  "SPEAKING_TOO_SLOW",
  "SPEAKING_TOO_LOUD",
  "SPEAKING_TOO_SOFT",
  "INTERRUPTING_CUSTOMER",
  "TOO_MUCH_SILENCE",
  "CONTINUOUS_SPEAKING",
  "CUSTOMER_RAISED_VOICE",
  "TALK_RATIO_HIGH",
] as const;
export const SuggestionTypeSchema = z.enum(SUGGESTION_TYPES);
export type SuggestionType = z.infer<typeof SuggestionTypeSchema>;

export const SeveritySchema = z.enum(["low", "medium", "high"]);
export type Severity = z.infer<typeof SeveritySchema>;

/** Live measurements of one party. `wpm` is null until there is enough speech to tell. */
export const PartyMetricsSchema = z.object({
  speaking: z.boolean(),
  level_db: z.number().nullable(),
  wpm: z.number().nullable(),
});
export type PartyMetrics = z.infer<typeof PartyMetricsSchema>;

/** Body of a `metrics` message, sent about 4 times a second of stream time. */
export const MetricsDataSchema = z.object({
  stream_ms: z.number(),
  agent: PartyMetricsSchema,
  customer: PartyMetricsSchema,
  /** Seconds both parties have been silent, 0 while anyone talks. */
  silence_s: z.number(),
  interruptions: z.number().int(),
  /** Agent share of talk time over the recent window, 0..1; null before anyone has talked. */
  talk_ratio: z.number().nullable(),
});
export type MetricsData = z.infer<typeof MetricsDataSchema>;

/** Who worded a tip: the rule table's own wordings, or the optional language model (server/phrasing). */
export const PhrasedBySchema = z.enum(["model", "rules"]);
export type PhrasedBy = z.infer<typeof PhrasedBySchema>;

/** Body of a `suggestion` message. */
export const SuggestionDataSchema = z.object({
  type: SuggestionTypeSchema,
  /** The text to show. */
  message: z.string(),
  /** The rule table's wording of this tip; the same as `message` unless a model worded it. */
  fixed_message: z.string(),
  phrased_by: PhrasedBySchema,
  severity: SeveritySchema,
  /** Wall-clock time the tip was sent, ISO 8601. */
  timestamp: z.string(),
  /** Stream time of the tip, ms since the media stream started. */
  stream_ms: z.number(),
  /** The evidence, e.g. "182 WPM for 5.0 s of speech". */
  reason: z.string(),
});
export type SuggestionData = z.infer<typeof SuggestionDataSchema>;

export const SessionStatusSchema = z.enum(["waiting", "live", "ended"]);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** A session as a page sees it in `hello`: enough to resume the view after a reconnect. */
export const SessionSnapshotSchema = z.object({
  session_id: z.string(),
  status: SessionStatusSchema,
  /** Wall-clock time the session was created, ISO 8601. */
  started_at: z.string(),
  /** Which Twilio track carries the agent for this call. */
  agent_track: z.enum(["inbound", "outbound"]),
  metrics: MetricsDataSchema.nullable(),
  /** Suggestions of the last 30 s, oldest first, so a reconnecting page misses none. */
  recent_suggestions: z.array(SuggestionDataSchema),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshotSchema>;

export const ServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), sessions: z.array(SessionSnapshotSchema) }),
  z.object({
    type: z.literal("stream_started"),
    session_id: z.string(),
    started_at: z.string(),
    agent_track: z.enum(["inbound", "outbound"]),
  }),
  z.object({ type: z.literal("metrics"), session_id: z.string(), data: MetricsDataSchema }),
  z.object({ type: z.literal("suggestion"), session_id: z.string(), data: SuggestionDataSchema }),
  z.object({ type: z.literal("call_ended"), session_id: z.string(), reason: z.string() }),
  z.object({ type: z.literal("error"), message: z.string() }),
]);
/** Anything the server sends to a page. */
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export const ClientMessageSchema = z.discriminatedUnion("type", [
  /** Follow one call (`session_id`), or every call when `session_id` is null. */
  z.object({ type: z.literal("subscribe"), session_id: z.string().min(1).max(64).nullable() }),
]);
/** Anything a page sends to the server. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
