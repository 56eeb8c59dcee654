/**
 * Request body caps that do not trust `Content-Length`: the body is counted while it streams in, and once
 * it passes the cap the rest is never read. A body sent chunked (no Content-Length) or one that lies about
 * its length cannot make the server read or hold more than the cap.
 *
 * It does what Hono's `bodyLimit` (`hono/body-limit`) does, with two differences: a body that declares a
 * small Content-Length is counted too, and the buffered body is handed on in a fresh `Request` built from
 * the URL, method and headers (copying the whole request reads its `signal`, which makes Deno print a
 * warning line into the server's JSON log output).
 *
 * @example
 * ```ts
 * app.post("/login", bodyCap(1024, (c) => c.text("Payload too large.", 413)), (c) => …);
 * ```
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";

/**
 * Reads `body` to the end, or stops (and cancels it) as soon as more than `maxBytes` came in.
 * Returns the bytes, or null when the body is over the cap.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel("body over the size limit").catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Middleware: refuses a request whose body is over `maxBytes` with `onTooLarge(c)` (which should log and
 * answer 413); a declared Content-Length over the cap is refused before anything is read. Within the cap
 * the handler reads the body as usual (`c.req.text()` and so on).
 */
export function bodyCap(maxBytes: number, onTooLarge: (c: Context) => Response): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return await next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await raw.body.cancel().catch(() => {});
      return onTooLarge(c);
    }
    const bytes = await readCapped(raw.body, maxBytes);
    if (bytes === null) return onTooLarge(c);
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: bytes });
    return await next();
  };
}
