/**
 * Security headers for every HTML page: a Content-Security-Policy that runs only our own scripts
 * (`script-src 'self'`: the island bundles, no inline script), connects only back to this server, and
 * forbids framing; plus the usual companions.
 *
 * Styles: our own stylesheets, plus exactly the inline `<style>` blocks a page carries, allowed by their
 * SHA-256 hashes (twind's CSS is inlined at render; the login page has its own). Inline `style` attributes
 * are allowed on their own (`style-src-attr`): the meters' server-rendered widths. No other CSS runs, so
 * an injected `<style>` or stylesheet link would not apply.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";

/**
 * The policy for a page whose inline `<style>` blocks have these CSP hash sources (see
 * {@linkcode inlineStyleHashes}).
 */
export function contentSecurityPolicy(styleHashes: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    ["style-src-elem 'self'", ...styleHashes].join(" "),
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The policy for HTML that did not set its own: no inline `<style>` at all. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** `'sha256-…'` sources for every `<style>` element's text in `html`, as the browser hashes it. */
export function inlineStyleHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style>/gi)) {
    hashes.push(`'sha256-${createHash("sha256").update(match[1], "utf8").digest("base64")}'`);
  }
  return hashes;
}

/** Adds the security headers to HTML responses (and `nosniff` to all). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status === 101) return; // A WebSocket upgrade: nothing to add, and its headers are fixed.
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.get("content-type")?.startsWith("text/html")) return;
    // A page with inline styles sets its own policy, naming their hashes; anything else gets the strict one.
    if (!c.res.headers.has("Content-Security-Policy")) {
      c.res.headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    }
    c.res.headers.set("X-Frame-Options", "DENY");
    c.res.headers.set("Referrer-Policy", "no-referrer");
    c.res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
    c.res.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  };
}
