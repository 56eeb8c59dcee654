/**
 * Publishes every page message of this instance's calls to the cluster, once, without waiting.
 *
 * The media socket publishes through here (a call's metrics, tips, start and end). A `metrics` message only
 * appends a line to a batch; a timer sends the batch {@linkcode FLUSH_MS} later as one `PUBLISH` on
 * `lcc:ui`, with the registry writes queued meanwhile (server/call_directory.ts) ahead of it: one write to
 * the socket per batch (server/redis_writer.ts). A write costs about the same CPU whatever its size, and
 * metrics are nearly all the traffic, so a thousand calls cost each instance about a hundred writes a second,
 * not thousands. Every other message (a tip, a call's start or end) is rare and a page is waiting for it,
 * so it sends the batch at once, with whatever is queued. Redis down or slow: the batch is given up and
 * counted (server/redis_link.ts), never kept; the pages of this instance already have the messages.
 *
 * @module
 */
import type { ServerMessage } from "../core/protocol/ui_messages.ts";
import type { RedisLink } from "./redis_link.ts";
import { batchLine, encodeBatch, UI_CHANNEL } from "./redis_wire.ts";
import type { Command } from "./redis_resp.ts";
import { commands } from "./redis_writer.ts";
import { serializedLast } from "./serialized.ts";

/** How long a `metrics` message waits for others to share its batch. */
export const FLUSH_MS = 10;
/** A batch this large goes out at once. */
export const MAX_BATCH_BYTES = 64 * 1024;

/** Batches this instance's page messages onto Redis. */
export class FanoutPublisher {
  readonly #link: RedisLink;
  readonly #instanceId: string;
  readonly #flushMs: number;
  #lines: string[] = [];
  /** Registry writes that go out with the next batch. */
  #writes: Command[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #published = 0;

  constructor(options: { link: RedisLink; instanceId: string; flushMs?: number }) {
    this.#link = options.link;
    this.#instanceId = options.instanceId;
    this.#flushMs = options.flushMs ?? FLUSH_MS;
  }

  /** Page messages handed to Redis so far (whether or not it took them: see `RedisLink.dropped`). */
  get published(): number {
    return this.#published;
  }

  /** Queues one message of `sessionId`: metrics for the next batch, anything else goes out now. */
  publish(sessionId: string, message: ServerMessage): void {
    const line = batchLine(message.type, sessionId, serializedLast(message));
    this.#lines.push(line);
    this.#bytes += line.length;
    if (message.type === "metrics") this.#schedule();
    else this.flush();
  }

  /** Adds commands to the next batch (registry writes: a call's entry, its tips). */
  enqueue(...writes: Command[]): void {
    this.#writes.push(...writes);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#bytes >= MAX_BATCH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Sends what is queued now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#lines;
    const writes = this.#writes;
    if (lines.length === 0 && writes.length === 0) return;
    this.#lines = [];
    this.#writes = [];
    this.#bytes = 0;
    this.#published += lines.length;
    const items = writes.length + lines.length;
    // The registry first: an instance that reads it on hearing the batch finds what the batch says.
    if (lines.length > 0) writes.push(commands.publish(UI_CHANNEL, encodeBatch(this.#instanceId, lines)));
    this.#link.write(writes, items);
  }
}
