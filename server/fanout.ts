/**
 * Publishes every page message of this instance's calls to the cluster, once, without waiting.
 *
 * The media socket publishes through here (a call's metrics, tips, start and end), so publishing only
 * appends a line to a batch; a timer sends the batch {@linkcode FLUSH_MS} later as one `PUBLISH` on
 * `lcc:ui`, so a thousand calls cost Redis a few hundred commands a second, not thousands. Redis down or
 * slow: the batch is given up and counted (server/redis_link.ts), never kept; the pages of this instance
 * already have the messages.
 *
 * @module
 */
import type { ServerMessage } from "../core/protocol/ui_messages.ts";
import type { RedisLink } from "./redis_link.ts";
import { batchLine, encodeBatch, UI_CHANNEL } from "./redis_wire.ts";
import { serialized } from "./serialized.ts";

/** How long a message waits for others to share its batch: a small part of the tip latency budget. */
export const FLUSH_MS = 10;
/** A batch this large goes out at once. */
export const MAX_BATCH_BYTES = 64 * 1024;

/** Batches this instance's page messages onto Redis. */
export class FanoutPublisher {
  readonly #link: RedisLink;
  readonly #instanceId: string;
  readonly #flushMs: number;
  #lines: string[] = [];
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

  /** Queues one message of `sessionId` for the next batch. */
  publish(sessionId: string, message: ServerMessage): void {
    const line = batchLine(message.type, sessionId, serialized(message));
    this.#lines.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= MAX_BATCH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Sends what is queued now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#lines;
    if (lines.length === 0) return;
    this.#lines = [];
    this.#bytes = 0;
    this.#published += lines.length;
    const batch = encodeBatch(this.#instanceId, lines);
    this.#link.fire((redis) => redis.publish(UI_CHANNEL, batch), lines.length);
  }
}
