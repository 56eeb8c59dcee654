/**
 * `GET /login` and `POST /login`: the access key, typed once, becomes an HttpOnly, SameSite=Strict cookie
 * (server/http/ui_access.ts says who needs it).
 *
 * @module
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { isSameOrigin, peerAddress } from "../server/http/access.ts";
import { bodyCap } from "../server/http/body_limit.ts";
import { loginClient, LoginLimiter } from "../server/http/login_limit.ts";
import { contentSecurityPolicy, inlineStyleHashes } from "../server/http/security_headers.ts";
import { ACCESS_COOKIE, COOKIE_MAX_AGE_S, isKey, type UiAccessOptions } from "../server/http/ui_access.ts";

/** Largest `POST /login` body accepted (a form with one key); counted while it streams in. */
export const MAX_LOGIN_BYTES = 1024;

/** `GET /login` (the form) and `POST /login` (checks the key, sets the cookie, goes to the page). */
export function loginRoutes(options: UiAccessOptions): Hono {
  const app = new Hono();
  app.get("/login", (c) => loginResponse(c));
  // /login is public: a body is counted while it streams in and refused past MAX_LOGIN_BYTES, so a
  // stranger cannot make the server read (or hold) an endless upload, chunked or not.
  const capped = bodyCap(MAX_LOGIN_BYTES, (c) => {
    options.log.warn("login_rejected", {
      reason: `body too large: over ${MAX_LOGIN_BYTES} bytes`,
      content_length: c.req.header("content-length") ?? null,
    });
    return c.text(`Payload too large: the login form is limited to ${MAX_LOGIN_BYTES} bytes.`, 413);
  }, { log: options.log });
  const limiter = new LoginLimiter({ now: options.now ?? Date.now });
  app.post(
    "/login",
    async (c, next) => {
      if (isSameOrigin(c.req.raw)) return await next();
      options.log.warn("login_rejected", { reason: "cross-site login", origin: c.req.header("origin") });
      return c.text("Forbidden: cross-site login.", 403);
    },
    // Before the body is read, so a refused attempt costs the server next to nothing.
    async (c, next) => {
      const client = loginClient(c.req.raw, peerAddress(c.env));
      const verdict = limiter.attempt(client);
      if (verdict.allowed) return await next();
      // One line per client per minute while it keeps trying, with how many were refused since the last.
      if (verdict.toLog > 0) {
        options.log.warn("login_rate_limited", {
          client,
          refused: verdict.toLog,
          retry_after_s: verdict.retryAfterS,
        });
      }
      c.header("Retry-After", String(verdict.retryAfterS));
      const message = `Too many wrong keys from your address. Try again in ${verdict.retryAfterS} s.`;
      return loginResponse(c, message, 429);
    },
    capped,
    async (c) => {
      const client = loginClient(c.req.raw, peerAddress(c.env));
      const key = new URLSearchParams(await c.req.text()).get("key")?.trim();
      if (!isKey(options.accessKey, key)) {
        options.log.warn("login_failed", { reason: "wrong access key", client });
        return loginResponse(
          c,
          "That key is not right. Use the access key the server printed at start.",
          401,
        );
      }
      limiter.succeeded(client);
      setAccessCookie(c, options.accessKey);
      return c.redirect("/", 303);
    },
  );
  return app;
}

function setAccessCookie(c: Context, accessKey: string): void {
  setCookie(c, ACCESS_COOKIE, accessKey, {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https",
    path: "/",
    maxAge: COOKIE_MAX_AGE_S,
  });
}

/** The login form, with a policy that admits its own inline `<style>` by hash and nothing else. */
function loginResponse(c: Context, error?: string, status: 200 | 401 | 429 = 200): Response {
  const html = loginPage(error);
  c.header("Content-Security-Policy", contentSecurityPolicy(inlineStyleHashes(html)));
  return c.html(html, status);
}

function loginPage(error?: string): string {
  const message = error ? `<p role="alert" class="error">${error}</p>` : "";
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Live Call Coach · sign in</title>
<style>body{font:16px system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;border:1px solid #cbd5e1;border-radius:12px;padding:24px;max-width:360px;width:90%}
h1{font-size:20px;margin:0 0 8px}label{display:block;margin:16px 0 4px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:8px;font:inherit;border:1px solid #64748b;border-radius:6px}
button{margin-top:16px;padding:8px 16px;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:6px}
.error{color:#991b1b}</style></head><body>
<form method="post" action="/login"><h1>Live Call Coach</h1>
<p>This page shows live calls. Enter the access key the server printed when it started.</p>${message}
<label for="key">Access key</label><input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Open the coach</button></form></body></html>`;
}
