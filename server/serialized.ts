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

/**
 * The message's JSON for its last reader (the fan-out to Redis comes after every local page): the text a page
 * already made, or a new one that is not kept. Most calls have no page on their instance, and keeping a
 * text per `metrics` message in the map would only give the collector more to do.
 */
export function serializedLast(message: ServerMessage): string {
  return texts.get(message) ?? JSON.stringify(message);
}

/** `message`, known to serialize as `text` (the text it was parsed from). */
export function withSerialized<M extends ServerMessage>(message: M, text: string): M {
  texts.set(message, text);
  return message;
}
