/**
 * Messages on the agent-page WebSocket (`/ws/ui` and `/ws/ui/{session_id}`).
 *
 * Defined once here and imported by both the server (`server/`) and the island (`islands/`), so the two
 * sides cannot drift. Every message that crosses the socket is validated with these schemas.
 * The wire format is documented in `docs/protocol.md`.
 *
 * @module
 */
import { z } from "zod";
import { SEVERITIES, SUGGESTION_TYPES } from "../coaching/types.ts";
import { TRACK_NAMES } from "./twilio_messages.ts";

/** The tips and severities are the rule engine's (core/coaching/types.ts); the page names them alike. */
export const SuggestionTypeSchema = z.enum(SUGGESTION_TYPES);
export type SuggestionType = z.infer<typeof SuggestionTypeSchema>;

export const SeveritySchema = z.enum(SEVERITIES);
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
  /**
   * Whether the customer speaks well above their own usual level right now (the CUSTOMER_RAISED_VOICE
   * rule's condition); false until their usual level is known.
   */
  customer_raised: z.boolean(),
});
export type MetricsData = z.infer<typeof MetricsDataSchema>;

/** Who worded a tip: the rule table's own wordings, or the optional language model (server/phrasing). */
export const PhrasedBySchema = z.enum(["model", "rules"]);
export type PhrasedBy = z.infer<typeof PhrasedBySchema>;

/** Body of a `suggestion` message. */
export const SuggestionDataSchema = z.object({
  /** Unique within its call ("1", "2", … in the order the tips were given); `suggestion_cleared` names it. */
  id: z.string().min(1).max(32),
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
  /** Why, in plain words, e.g. "About 185 words a minute for 5 seconds; aim for 110–160". */
  reason: z.string(),
  /**
   * Whether the rule's condition still holds. Always true when the tip is sent; a later
   * `suggestion_cleared`, a newer tip of the same type or the end of the call make it false.
   */
  active: z.boolean(),
});
export type SuggestionData = z.infer<typeof SuggestionDataSchema>;

export const SessionStatusSchema = z.enum(["waiting", "live", "ended"]);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** The last 4 digits of the customer's phone number, for telling calls apart; null when unknown. */
export const CustomerLast4Schema = z.string().regex(/^\d{4}$/).nullable();

/** A session as a page sees it in `hello`: enough to resume the view after a reconnect or a reload. */
export const SessionSnapshotSchema = z.object({
  session_id: z.string(),
  status: SessionStatusSchema,
  /** Wall-clock time the session was created, ISO 8601. */
  started_at: z.string(),
  /** Which Twilio track carries the agent for this call. */
  agent_track: z.enum(TRACK_NAMES),
  customer_last4: CustomerLast4Schema,
  metrics: MetricsDataSchema.nullable(),
  /** Every tip of the call so far, oldest first, with `active` as it stands now (the newest 100 at most). */
  suggestions: z.array(SuggestionDataSchema),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshotSchema>;

export const FeedStatusSchema = z.enum(["ok", "degraded"]);
export type FeedStatus = z.infer<typeof FeedStatusSchema>;

export const ServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), sessions: z.array(SessionSnapshotSchema) }),
  z.object({
    type: z.literal("stream_started"),
    session_id: z.string(),
    started_at: z.string(),
    agent_track: z.enum(TRACK_NAMES),
    customer_last4: CustomerLast4Schema,
  }),
  z.object({ type: z.literal("metrics"), session_id: z.string(), data: MetricsDataSchema }),
  z.object({ type: z.literal("suggestion"), session_id: z.string(), data: SuggestionDataSchema }),
  /** The condition of tip `suggestion_id` stopped holding at stream time `stream_ms`. */
  z.object({
    type: z.literal("suggestion_cleared"),
    session_id: z.string(),
    suggestion_id: z.string(),
    stream_ms: z.number(),
  }),
  z.object({ type: z.literal("call_ended"), session_id: z.string(), reason: z.string() }),
  z.object({ type: z.literal("error"), message: z.string() }),
  /**
   * Cluster only (`REDIS_URL`): whether this server hears the calls coached on other instances. `degraded`
   * while its link to Redis is down (their metrics and tips do not reach the page); `ok` once it is back,
   * followed by a fresh `hello`.
   */
  z.object({ type: z.literal("feed_status"), status: FeedStatusSchema, message: z.string() }),
]);
/** Anything the server sends to a page. */
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export const ClientMessageSchema = z.discriminatedUnion("type", [
  /** Follow one call (`session_id`), or every call when `session_id` is null. */
  z.object({ type: z.literal("subscribe"), session_id: z.string().min(1).max(64).nullable() }),
]);
/** Anything a page sends to the server. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
