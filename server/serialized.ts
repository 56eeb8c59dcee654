/**
 * One JSON text per page message, however many pages and instances receive it.
 *
 * A call's message is written for the pages of this instance and for Redis (server/fanout.ts); a message
 * from another instance arrives as text and goes to the pages as that same text.
 *
 * @module
 */
import type { ServerMessage } from "../core/protocol/ui_messages.ts";

const texts = new WeakMap<ServerMessage, string>();

/** The message's JSON, made once. */
export function serialized(message: ServerMessage): string {
  let text = texts.get(message);
  if (text === undefined) {
    text = JSON.stringify(message);
    texts.set(message, text);
  }
  return text;
}

/** `message`, known to serialize as `text` (the text it was parsed from). */
export function withSerialized<M extends ServerMessage>(message: M, text: string): M {
  texts.set(message, text);
  return message;
}
