/**
 * Request bodies read under three limits: a size cap that does not trust `Content-Length`, a deadline, and a
 * clear line between a client that went away and a server fault.
 *
 * - Size: the body is counted while it streams in, and once it passes the cap the rest is never read. A body
 *   sent chunked (no Content-Length) or one that lies about its length cannot make the server read or hold
 *   more than the cap.
 * - Time: the whole body must be in within {@linkcode BODY_DEADLINE_MS} of the handler seeing the request
 *   (its headers complete); past that the read is cancelled and the answer is 408. `Deno.serve` has no timer
 *   of its own for this.
 * - A client that closes the connection mid-body makes Deno's body read fail (`Deno.errors.BadResource`,
 *   "… underlying resource unavailable"). That is the client's doing, not the server's: it is logged at
 *   `info` as `request_aborted` and answered 400 (nobody may be left to read it), never 500 with an error
 *   line. Any other failure still reaches the app's error handler.
 *
 * It does what Hono's `bodyLimit` (`hono/body-limit`) does, with two differences: a body that declares a
 * small Content-Length is counted too, and the buffered body is handed on in a fresh `Request` built from
 * the URL, method and headers (copying the whole request reads its `signal`, which makes Deno print a
 * warning line into the server's JSON log output).
 *
 * @example
 * ```ts
 * app.post("/login", bodyCap(1024, (c) => c.text("Payload too large.", 413), { log }), (c) => …);
 * ```
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../../core/log.ts";

/** How long a request body may take to arrive once the request's headers are in (Twilio's take milliseconds). */
export const BODY_DEADLINE_MS = 10_000;

/** What reading a body came to. */
export type BodyReadResult =
  | { kind: "complete"; bytes: Uint8Array<ArrayBuffer> }
  | { kind: "too_large" }
  | { kind: "timed_out"; received: number }
  | { kind: "aborted"; received: number; error: Error };

/**
 * Errors of a request body read that mean the client went away or broke off its body: the connection was
 * closed or reset under the read (Deno reports a closed request body as `BadResource`), or the body was
 * malformed on the wire (`Http`).
 */
const CLIENT_GONE_ERRORS = [
  Deno.errors.BadResource,
  Deno.errors.ConnectionReset,
  Deno.errors.ConnectionAborted,
  Deno.errors.UnexpectedEof,
  Deno.errors.BrokenPipe,
  Deno.errors.Interrupted,
  Deno.errors.Http,
];

/** Whether `error`, thrown while reading a request body, means the client went away mid-body. */
export function isClientGone(error: unknown): error is Error {
  return CLIENT_GONE_ERRORS.some((type) => error instanceof type);
}

/**
 * Reads `body` to the end, stopping (and cancelling it) as soon as more than `maxBytes` came in or
 * `deadlineMs` passed. A read that fails because the client went away ({@linkcode isClientGone}) is a
 * result, not an error; any other failure is thrown.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  deadlineMs = BODY_DEADLINE_MS,
): Promise<BodyReadResult> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timedOut = false;
  // Cancelling ends the pending read with `done`, so the loop below sees the deadline at once.
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel("body deadline passed").catch(() => {});
  }, deadlineMs);
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (timedOut) return { kind: "timed_out", received: size };
        if (isClientGone(error)) return { kind: "aborted", received: size, error };
        throw error;
      }
      if (timedOut) return { kind: "timed_out", received: size };
      if (result.done) break;
      size += result.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel("body over the size limit").catch(() => {});
        return { kind: "too_large" };
      }
      chunks.push(result.value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { kind: "complete", bytes };
}

/** Options of {@linkcode bodyCap}. */
export interface BodyCapOptions {
  /** Where timed-out and aborted bodies are logged (`info`: they are the client's doing). */
  log: Logger;
  /** Default {@linkcode BODY_DEADLINE_MS}. */
  deadlineMs?: number;
}

/**
 * Middleware: refuses a request whose body is over `maxBytes` with `onTooLarge(c)` (which should log and
 * answer 413); a declared Content-Length over the cap is refused before anything is read. A body not in
 * within the deadline gets 408, a body the client broke off gets 400, both logged at `info`. Within the
 * limits the handler reads the body as usual (`c.req.text()` and so on).
 */
export function bodyCap(
  maxBytes: number,
  onTooLarge: (c: Context) => Response,
  options: BodyCapOptions,
): MiddlewareHandler {
  const deadlineMs = options.deadlineMs ?? BODY_DEADLINE_MS;
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return await next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await raw.body.cancel().catch(() => {});
      return onTooLarge(c);
    }
    const result = await readCapped(raw.body, maxBytes, deadlineMs);
    switch (result.kind) {
      case "too_large":
        return onTooLarge(c);
      case "timed_out":
        options.log.info("request_timeout", {
          path: c.req.path,
          reason: `the body did not arrive within ${deadlineMs / 1000} s`,
          received_bytes: result.received,
        });
        // The runtime keeps the connection until the client ends it; `close` tells the client not to reuse it.
        return c.text(
          `Request timeout: the body did not arrive within ${deadlineMs / 1000} s.`,
          408,
          { connection: "close" },
        );
      case "aborted":
        options.log.info("request_aborted", {
          path: c.req.path,
          reason: "the client ended the request before its body was complete",
          received_bytes: result.received,
          error: result.error.message,
        });
        return c.text("Bad request: the body ended before it was complete.", 400);
      case "complete":
        c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: result.bytes });
        return await next();
    }
  };
}
