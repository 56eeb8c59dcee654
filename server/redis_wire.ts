/**
 * Everything the instances of a cluster write to Redis and read back: key and channel names, the registry
 * entry of a live call, the batches of page messages, and the control messages. One module, so the writer
 * and the reader cannot drift.
 *
 * - `lcc:call:{CallSid}`: the call's {@linkcode CallEntry} (JSON), expiring unless its instance renews it.
 * - `lcc:instance:{id}`: present while the instance lives (same expiry and renewal).
 * - `lcc:tips:{CallSid}`: a capped stream of the call's tips (field `data`: the suggestion's JSON), read
 *   when a page on another instance (re)connects.
 * - channel `lcc:ui`: batches of page messages ({@linkcode encodeBatch}), every instance subscribed.
 * - channel `lcc:control`: {@linkcode ControlMessage}s, e.g. "end this call" from the instance that got
 *   Twilio's status callback to the one coaching the call.
 *
 * @module
 */
import { z } from "zod";
import {
  SessionStatusSchema,
  type SuggestionData,
  SuggestionDataSchema,
} from "../core/protocol/ui_messages.ts";

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
  /** Once ended: why (as in `call_ended`). */
  end_reason: z.string().optional(),
});
export type CallEntry = z.infer<typeof CallEntrySchema>;

/** Reads a registry entry; null when it is missing or not an entry (logged by the caller). */
export function parseCallEntry(text: string | null): CallEntry | null {
  if (text === null) return null;
  const result = CallEntrySchema.safeParse(tryJson(text));
  return result.success ? result.data : null;
}

/** Reads a tip of a replay stream; null when it is not one. */
export function parseTip(text: string | undefined): SuggestionData | null {
  if (text === undefined) return null;
  const result = SuggestionDataSchema.safeParse(tryJson(text));
  return result.success ? result.data : null;
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
