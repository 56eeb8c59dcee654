/**
 * Who may use the endpoints that act on the owner's behalf (click-to-call spends money).
 *
 * The server listens on every interface so that a tunnel can reach it, and the tunnel brings the whole
 * internet along. `cloudflared` forwards requests from `127.0.0.1` but adds `cf-connecting-ip` and
 * `x-forwarded-for`, so "local" means: a loopback Host header AND none of the proxy headers. A browser
 * page on another site could still POST to `http://127.0.0.1:PORT`, hence the separate same-origin check.
 *
 * @module
 */

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Headers a proxy or tunnel adds; a request carrying any of them came from elsewhere. */
const PROXY_HEADERS = ["cf-connecting-ip", "x-forwarded-for", "forwarded", "x-real-ip", "cf-ray"];

/**
 * Whether `request` was made on this machine directly: its Host is localhost, 127.0.0.1 or [::1] (any port)
 * and it carries no proxy headers (`cf-connecting-ip`, `x-forwarded-for`, `forwarded`, …).
 */
export function isLocalRequest(request: Request): boolean {
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
