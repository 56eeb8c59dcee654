/**
 * Everything the instances of a cluster write to Redis and read back: key and channel names, the registry
 * entry of a live call, the batches of page messages, and the control messages. One module, so the writer
 * and the reader cannot drift.
 *
 * - `lcc:call:{CallSid}`: the call's {@linkcode CallEntry} (JSON), expiring unless its instance renews it.
 * - `lcc:instance:{id}`: present while the instance lives (same expiry and renewal).
 * - `lcc:tips:{CallSid}`: a capped stream of the call's tips, read when a page on another instance
 *   (re)connects or reloads: an entry per tip (field `tip`: the suggestion's JSON) and per end of a tip's
 *   condition (field `cleared`: the tip's id); {@linkcode replayedTips} reads it back.
 * - channel `lcc:ui`: batches of page messages ({@linkcode encodeBatch}), every instance subscribed.
 * - channel `lcc:control`: {@linkcode ControlMessage}s, e.g. "end this call" from the instance that got
 *   Twilio's status callback to the one coaching the call.
 *
 * @module
 */
import { z } from "zod";
import {
  CustomerLast4Schema,
  SessionStatusSchema,
  type SuggestionData,
  SuggestionDataSchema,
  type SuggestionType,
} from "../core/protocol/ui_messages.ts";
import { MAX_KEPT_SUGGESTIONS } from "../core/session/call_session.ts";

export const UI_CHANNEL = "lcc:ui";
export const CONTROL_CHANNEL = "lcc:control";
const CALL_PREFIX = "lcc:call:";
/** `SCAN` pattern of every call entry. */
export const CALL_KEY_PATTERN = `${CALL_PREFIX}*`;

export function callKey(sessionId: string): string {
  return CALL_PREFIX + sessionId;
}

export function instanceKey(instanceId: string): string {
  return `lcc:instance:${instanceId}`;
}

export function tipsKey(sessionId: string): string {
  return `lcc:tips:${sessionId}`;
}

/** A live call as the cluster's registry holds it. */
export const CallEntrySchema = z.object({
  session_id: z.string(),
  /** The instance coaching the call (the one its media reached). */
  instance: z.string(),
  status: SessionStatusSchema,
  started_at: z.string(),
  agent_track: z.enum(["inbound", "outbound"]),
  customer_last4: CustomerLast4Schema,
  /** Once ended: why (as in `call_ended`), and when (ISO time). */
  end_reason: z.string().optional(),
  ended_at: z.string().optional(),
});
export type CallEntry = z.infer<typeof CallEntrySchema>;

/** Reads a registry entry; null when it is missing or not an entry (logged by the caller). */
export function parseCallEntry(text: string | null): CallEntry | null {
  if (text === null) return null;
  const result = CallEntrySchema.safeParse(tryJson(text));
  return result.success ? result.data : null;
}

/**
 * Entries a call's replay stream keeps: a tip and the end of its condition take one each, so the stream
 * holds the newest {@linkcode MAX_KEPT_SUGGESTIONS} tips of a long call, as the coaching instance's own
 * snapshot does.
 */
export const MAX_TIP_STREAM_ENTRIES = 2 * MAX_KEPT_SUGGESTIONS;

/** The fields of a replay-stream entry for a tip shown. */
export function tipEntry(tip: SuggestionData): Record<string, string> {
  return { tip: JSON.stringify(tip) };
}

/** The fields of a replay-stream entry for the end of tip `id`'s condition. */
export function clearedEntry(id: string): Record<string, string> {
  return { cleared: id };
}

/**
 * A call's tips from its replay stream's entries (oldest first), with `active` as the coaching instance's
 * snapshot has it: false once the tip's condition ended or a newer tip of its type came. Entries that are
 * not one of the above are skipped.
 */
export function replayedTips(entries: readonly Record<string, string>[]): SuggestionData[] {
  const tips: SuggestionData[] = [];
  const byId = new Map<string, SuggestionData>();
  const latestOfType = new Map<SuggestionType, SuggestionData>();
  for (const fields of entries) {
    if (fields.cleared !== undefined) {
      const tip = byId.get(fields.cleared);
      if (tip) tip.active = false;
      continue;
    }
    const result = fields.tip === undefined ? null : SuggestionDataSchema.safeParse(tryJson(fields.tip));
    if (!result?.success) continue;
    const tip = result.data;
    const older = latestOfType.get(tip.type);
    if (older) older.active = false;
    latestOfType.set(tip.type, tip);
    byId.set(tip.id, tip);
    tips.push(tip);
  }
  return tips.slice(-MAX_KEPT_SUGGESTIONS);
}

export const ControlMessageSchema = z.object({
  type: z.literal("end"),
  session_id: z.string(),
  reason: z.enum(["call_completed"]),
});
export type ControlMessage = z.infer<typeof ControlMessageSchema>;

/** One page message of a batch, as text, with what a reader needs to route it without parsing it. */
export interface BatchItem {
  type: string;
  sessionId: string;
  /** The message's JSON, exactly as pages receive it. */
  json: string;
}

/**
 * A batch: the sending instance on the first line, then one message per line as
 * `{type}\t{session_id}\t{json}`. JSON text never holds a raw tab or newline (JSON.stringify escapes
 * them), so neither separator can occur inside a message.
 */
export function encodeBatch(instanceId: string, items: readonly string[]): string {
  return `${instanceId}\n${items.join("\n")}`;
}

/** One line of a batch. */
export function batchLine(type: string, sessionId: string, json: string): string {
  return `${type}\t${sessionId}\t${json}`;
}

/** Splits a batch; null when the text is not one. */
export function decodeBatch(text: string): { instance: string; items: BatchItem[] } | null {
  const lines = text.split("\n");
  const instance = lines[0];
  if (!instance) return null;
  const items: BatchItem[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const typeEnd = line.indexOf("\t");
    const idEnd = typeEnd < 0 ? -1 : line.indexOf("\t", typeEnd + 1);
    if (idEnd < 0) return null;
    items.push({
      type: line.slice(0, typeEnd),
      sessionId: line.slice(typeEnd + 1, idEnd),
      json: line.slice(idEnd + 1),
    });
  }
  return { instance, items };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
