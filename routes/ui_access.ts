/**
 * Who may watch calls: the agent page, its assets, `/ws/ui` and `/api/*`.
 *
 * On this machine (see `isLocalRequest`) they are open, so the demo needs nothing. Reached any other way,
 * typically through the public tunnel URL, they need the access key (`UI_ACCESS_KEY`, or one generated and
 * printed at start): `/login` takes it once and sets an HttpOnly, SameSite=Strict cookie. Someone who only
 * knows the tunnel URL sees a login form and nothing else. Page socket upgrades must also come from a page
 * of this server (`Origin` check), so another site cannot open a socket with the agent's cookie.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Logger } from "../core/log.ts";
import { isLocalRequest, isSameOrigin, peerAddress } from "./access.ts";
import { bodyCap } from "./body_limit.ts";
import { loginClient, LoginLimiter } from "./login_limit.ts";
import { contentSecurityPolicy, inlineStyleHashes } from "./security_headers.ts";

/** Name of the cookie that carries the access key. */
export const ACCESS_COOKIE = "coach_access";
/** How long a login lasts, seconds. */
const COOKIE_MAX_AGE_S = 12 * 60 * 60;
/** Largest `POST /login` body accepted (a form with one key); counted while it streams in. */
export const MAX_LOGIN_BYTES = 1024;
/** Paths that are never behind the key: Twilio's own (signed) endpoints, health, and the login page. */
const PUBLIC_PREFIXES = ["/webhooks/twilio/", "/ws/twilio/", "/health", "/login"];

/** What the access check needs. */
export interface UiAccessOptions {
  accessKey: string;
  log: Logger;
  /** Wall clock, ms (default `Date.now`): paces login attempts. */
  now?: () => number;
}

/** Whether `given` is the access key, compared in constant time. */
function isKey(accessKey: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = new TextEncoder().encode(accessKey);
  const actual = new TextEncoder().encode(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Middleware guarding everything but {@linkcode PUBLIC_PREFIXES}. */
export function uiAccess(options: UiAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (PUBLIC_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix))) return await next();
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    if (upgrade && !isSameOrigin(c.req.raw)) {
      options.log.warn("ui_access_denied", {
        path,
        reason: "cross-origin socket",
        origin: c.req.header("origin"),
      });
      return c.text("Forbidden: page sockets must come from this server's own page.", 403);
    }
    if (
      isLocalRequest(c.req.raw, peerAddress(c.env)) || isKey(options.accessKey, getCookie(c, ACCESS_COOKIE))
    ) {
      await next();
      // What only key holders may see must not sit in a shared cache (a proxy's, or the tunnel's).
      const cache = c.res.headers.get("cache-control");
      if (cache?.includes("public")) c.res.headers.set("cache-control", cache.replace("public", "private"));
      return;
    }
    options.log.warn("ui_access_denied", { path, reason: "no access key" });
    if (c.req.method === "GET" && !upgrade && path === "/") return c.redirect("/login", 303);
    return c.text("Unauthorized: open /login and enter the access key printed when the server started.", 401);
  };
}

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
