/**
 * The instance's writes to Redis, in order, on one native connection (server/redis_socket.ts), without
 * waiting for Redis.
 *
 * Every write of an instance (page-message batches, registry entries, tip streams, control messages) goes
 * through here as pipelined RESP commands. Replies are read only to count the commands Redis refused. A
 * batch goes out up to a hundred times a second per instance, which is why it is not node-redis (see
 * server/redis_socket.ts). One connection for all writes also keeps them in order: a call's "ended" entry
 * can never be overtaken by an older "live" one.
 *
 * Nothing waits here: {@linkcode RedisWriter.send} queues bytes and returns. While the connection is down or
 * more than {@linkcode MAX_QUEUED_BYTES} wait for a slow Redis, it refuses at once and the caller counts the
 * loss. A dropped connection is retried for as long as the server runs.
 *
 * @module
 */
import { type Command, concat, encodeCommands, type Reply, ReplyError } from "./redis_resp.ts";
import { RedisConnection, writeAll } from "./redis_socket.ts";

/** Bytes that may wait for a slow Redis; beyond them {@linkcode RedisWriter.send} refuses. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** What the writer tells its owner. */
export interface WriterEvents {
  /** The connection came up (`null`) or went down (what happened). */
  onState(problem: string | null): void;
  /** Commands lost: refused by Redis, or sent on a connection that dropped before Redis answered them. */
  onLost(commands: number, reason: string): void;
}

/** A pipelined, fire-and-forget connection for an instance's writes. */
export class RedisWriter {
  readonly #events: WriterEvents;
  #connection!: RedisConnection;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #queuedCommands = 0;
  #writing = false;
  /** Commands sent and answered over the writer's life (a dropped connection's unanswered ones count as answered). */
  #sent = 0;
  #answered = 0;
  /** Commands Redis refused since the last report, and the first one's error. */
  #refused = 0;
  #firstRefusal = "";
  #waiters: { until: number; resolve: () => void }[] = [];

  private constructor(events: WriterEvents) {
    this.#events = events;
  }

  /**
   * Connects to `url` (within `timeoutMs`) and sends the URL's `AUTH`/`SELECT`.
   *
   * @throws {Error} when Redis cannot be reached or refuses the handshake; the caller names `REDIS_URL`.
   */
  static async open(url: string, events: WriterEvents, timeoutMs: number): Promise<RedisWriter> {
    const writer = new RedisWriter(events);
    writer.#connection = await RedisConnection.open(url, {
      // The first connection is announced by `open` returning.
      connected: (_conn, first) => first || events.onState(null),
      reply: (reply) => writer.#reply(reply),
      afterRead: () => writer.#afterRead(),
      disconnected: (problem) => writer.#disconnected(problem),
    }, { timeoutMs, readBytes: 16 * 1024 });
    return writer;
  }

  /** Whether writes can be sent now. */
  get ready(): boolean {
    return this.#connection.current !== null;
  }

  /** Queues `commands` for Redis; false, and nothing sent, while disconnected or too far behind. */
  send(commands: readonly Command[]): boolean {
    const conn = this.#connection.current;
    if (conn === null || commands.length === 0) return conn !== null;
    const bytes = encodeCommands(commands);
    if (this.#queuedBytes + bytes.length > MAX_QUEUED_BYTES) return false;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#queuedCommands += commands.length;
    if (!this.#writing) this.#pump(conn);
    return true;
  }

  /** Waits (at most `timeoutMs`) until Redis has answered every command sent so far. */
  async drain(timeoutMs: number): Promise<void> {
    const until = this.#sent + this.#queuedCommands;
    if (this.#answered >= until) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#waiters.push({ until, resolve });
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#connection.close();
  }

  #reply(reply: Reply): void {
    this.#answered++;
    if (reply instanceof ReplyError && this.#refused++ === 0) this.#firstRefusal = reply.message;
  }

  #afterRead(): void {
    if (this.#refused > 0) {
      this.#events.onLost(this.#refused, `Redis refused them (${this.#firstRefusal})`);
      this.#refused = 0;
    }
    this.#wake();
  }

  /** What the connection had not had answered is lost. */
  #disconnected(problem: string | null): void {
    const lost = this.#sent + this.#queuedCommands - this.#answered;
    this.#sent += this.#queuedCommands;
    this.#answered = this.#sent;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#queuedCommands = 0;
    this.#wake();
    if (lost > 0) this.#events.onLost(lost, "the connection to Redis dropped before Redis answered them");
    if (problem !== null) this.#events.onState(problem);
  }

  async #pump(conn: Deno.Conn): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && this.#connection.current === conn) {
        const chunk = this.#queue.length === 1 ? this.#queue[0] : concat(this.#queue, this.#queuedBytes);
        this.#queue = [];
        this.#sent += this.#queuedCommands;
        this.#queuedCommands = 0;
        await writeAll(conn, chunk);
        this.#queuedBytes -= chunk.length;
      }
    } catch (error) {
      this.#connection.lose(conn, `writing to Redis failed: ${(error as Error).message}`);
    } finally {
      this.#writing = false;
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (waiter.until <= this.#answered) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }
}

/** Commands of the common kinds, as the instance writes them. */
export const commands = {
  /** `SET key value PX ms`. */
  set: (key: string, value: string, ms: number): Command => ["SET", key, value, "PX", String(Math.ceil(ms))],
  pExpire: (key: string, ms: number): Command => ["PEXPIRE", key, String(Math.ceil(ms))],
  del: (key: string): Command => ["DEL", key],
  publish: (channel: string, message: string): Command => ["PUBLISH", channel, message],
  /** `XADD key [MAXLEN ~ cap] * field value …`. */
  xAdd: (key: string, fields: Record<string, string>, cap?: number): Command => [
    "XADD",
    key,
    ...(cap === undefined ? [] : ["MAXLEN", "~", String(cap)]),
    "*",
    ...Object.entries(fields).flat(),
  ],
};
