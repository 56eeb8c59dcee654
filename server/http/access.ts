/**
 * Who may use the endpoints that act on the owner's behalf (click-to-call spends money).
 *
 * The server listens on every interface so that a tunnel can reach it, and the tunnel brings the whole
 * internet along. "Local" therefore takes three things: the TCP peer is a loopback address (so a machine
 * on the LAN cannot get in by sending `Host: 127.0.0.1`), the Host header is a loopback name (a DNS
 * rebinding page has its own name there), and none of the proxy headers is present (`cloudflared` connects
 * from `127.0.0.1` itself, but adds `cf-connecting-ip` and `x-forwarded-for`). A browser page on another
 * site could still POST to `http://127.0.0.1:PORT`, hence the separate same-origin check.
 *
 * @module
 */
import type { Context } from "hono";
import type { Logger } from "../../core/log.ts";

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Headers a proxy or tunnel adds; a request carrying any of them came from elsewhere. */
const PROXY_HEADERS = ["cf-connecting-ip", "x-forwarded-for", "forwarded", "x-real-ip", "cf-ray"];

/**
 * What `Deno.serve` tells the handler about the connection; Hono hands it to routes as `c.env`. Requests
 * that did not come through a socket (in-process `app.request`) have none, and are never local.
 */
export interface ConnectionInfo {
  remoteAddr?: { hostname?: string };
}

/** The peer's IP address from `c.env`, or undefined when the request did not come over a socket. */
export function peerAddress(env: unknown): string | undefined {
  const hostname = (env as ConnectionInfo | undefined)?.remoteAddr?.hostname;
  return typeof hostname === "string" ? hostname : undefined;
}

/** 127.0.0.0/8, ::1, and 127.x written as IPv4-mapped IPv6. */
export function isLoopbackAddress(address: string): boolean {
  const lower = address.toLowerCase();
  const v4 = lower.startsWith("::ffff:") ? lower.slice(7) : lower;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || lower === "::1";
}

/**
 * Whether `request` was made on this machine directly: it came from a loopback peer address, its Host is
 * localhost, 127.0.0.1 or [::1] (any port), and it carries no proxy headers (`cf-connecting-ip`,
 * `x-forwarded-for`, `forwarded`, …). `peer` is the connection's remote address ({@linkcode peerAddress});
 * without one the request is not local.
 */
export function isLocalRequest(request: Request, peer: string | undefined): boolean {
  if (peer === undefined || !isLoopbackAddress(peer)) return false;
  if (PROXY_HEADERS.some((name) => request.headers.has(name))) return false;
  const host = request.headers.get("host") ?? new URL(request.url).host;
  return LOOPBACK_HOSTNAMES.has(hostnameOf(host));
}

/**
 * Whether a browser request comes from a page of this very server: `Origin` (when the browser sends one)
 * must have the same host and port as the Host header, and `Sec-Fetch-Site` (when sent) must not be
 * `cross-site` or `same-site`. Requests without either header (curl, scripts) pass: they are not the
 * cross-site forgery this guards against.
 */
export function isSameOrigin(request: Request): boolean {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") return false;
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const originUrl = URL.parse(origin);
  if (originUrl === null || (originUrl.protocol !== "http:" && originUrl.protocol !== "https:")) return false;
  const host = request.headers.get("host") ?? new URL(request.url).host;
  return originUrl.host === host.toLowerCase();
}

/** `localhost:8000` → `localhost`, `[::1]:8000` → `[::1]`. */
function hostnameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith("[")) return lower.slice(0, lower.indexOf("]") + 1);
  const colon = lower.indexOf(":");
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * The 403 answer for a request from the tunnel or from another site, or null when it may proceed. `feature`
 * names what refuses in the message, e.g. "click-to-call".
 */
export function refuseForeign(c: Context, log: Logger, feature: string): Response | null {
  if (!isLocalRequest(c.req.raw, peerAddress(c.env))) {
    log.warn("api_rejected", { path: c.req.path, reason: "not a local request" });
    return c.json({
      error: `Forbidden: ${feature} only answers requests made on this machine ` +
        "(open the page at http://127.0.0.1:PORT/, not through the tunnel).",
    }, 403);
  }
  if (!isSameOrigin(c.req.raw)) {
    log.warn("api_rejected", {
      path: c.req.path,
      reason: "cross-site request",
      origin: c.req.header("origin"),
    });
    return c.json({ error: "Forbidden: cross-site request." }, 403);
  }
  return null;
}
