/**
 * Security headers for every HTML page: a Content-Security-Policy that runs only our own scripts
 * (`script-src 'self'`: the island bundles, no inline script), connects only back to this server, and
 * forbids framing; plus the usual companions.
 *
 * Styles allow inline CSS: twind inlines the page's CSS in a `<style>` tag and the meters set widths in
 * `style` attributes. That admits CSS, never script.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The policy sent with pages. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Adds the security headers to HTML responses (and `nosniff` to all). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status === 101) return; // A WebSocket upgrade: nothing to add, and its headers are fixed.
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.get("content-type")?.startsWith("text/html")) return;
    c.res.headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    c.res.headers.set("X-Frame-Options", "DENY");
    c.res.headers.set("Referrer-Policy", "no-referrer");
    c.res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
    c.res.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  };
}
