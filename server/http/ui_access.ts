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
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Logger } from "../../core/log.ts";
import { isLocalRequest, isSameOrigin, peerAddress } from "./access.ts";

/** Name of the cookie that carries the access key. */
export const ACCESS_COOKIE = "coach_access";
/** How long a login lasts, seconds. */
export const COOKIE_MAX_AGE_S = 12 * 60 * 60;
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
export function isKey(accessKey: string, given: string | undefined): boolean {
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
