import assert from "node:assert/strict";
import { loadConfig } from "../../../core/config.ts";
import { silentLogger } from "../../../core/log.ts";
import { SessionRegistry } from "../../../core/session/registry.ts";
import { createApp } from "../../../routes/app.ts";
import { SampleCallPlayer } from "../../../server/sample_call_player.ts";
import { CONTENT_SECURITY_POLICY, inlineStyleHashes } from "../../../server/http/security_headers.ts";
import { createHash } from "node:crypto";
import { ACCESS_COOKIE } from "../../../server/http/ui_access.ts";
import { LAN_PEER, LOCAL_PEER } from "../../support/peer.ts";

const KEY = "correct-horse-battery-staple";
const TUNNEL = "https://abc-def.trycloudflare.com";

function setup() {
  const config = loadConfig({ PUBLIC_URL: TUNNEL, TWILIO_AUTH_TOKEN: "token-123456" });
  const registry = new SessionRegistry({ ...config, now: Date.now, log: silentLogger });
  const app = createApp({
    config,
    registry,
    feed: registry,
    cluster: null,
    instanceId: "test",
    authToken: "token-123456",
    accessKey: KEY,
    log: silentLogger,
    now: Date.now,
    startedAt: Date.now(),
    trackSocket: () => () => {},
    sampleCalls: new SampleCallPlayer({
      url: "http://127.0.0.1:8000",
      publicUrl: TUNNEL,
      authToken: "token-123456",
      coaching: config.coaching,
      log: silentLogger,
    }),
  });
  /** A request as it arrives through cloudflared: loopback connection, tunnel Host, proxy headers. */
  const remote = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    app.request(`http://127.0.0.1:8000${path}`, {
      ...init,
      headers: { host: new URL(TUNNEL).host, "cf-connecting-ip": "203.0.113.9", ...init.headers },
    }, LOCAL_PEER);
  const local = (path: string, init: RequestInit = {}) =>
    app.request(`http://127.0.0.1:8000${path}`, init, LOCAL_PEER);
  /** A machine on the LAN that knows the port and sends a loopback Host header. */
  const lan = (path: string, init: RequestInit = {}) =>
    app.request(`http://127.0.0.1:8000${path}`, init, LAN_PEER);
  return { app, remote, local, lan };
}

Deno.test("Access - the page is open on this machine", async () => {
  const { local } = setup();
  const page = await local("/", { headers: { host: "127.0.0.1:8000" } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Live Call Coach/);
});

Deno.test("Access - a LAN machine sending a loopback Host still needs the key", async () => {
  const { lan } = setup();
  const page = await lan("/", { headers: { host: "127.0.0.1:8000" } });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/login");
  await page.body?.cancel();
  const socket = await lan("/ws/ui", { headers: { host: "127.0.0.1:8000", upgrade: "websocket" } });
  assert.equal(socket.status, 401);
  await socket.body?.cancel();
});

Deno.test("Access - through the tunnel URL, the page and sockets need the key", async () => {
  const { remote } = setup();
  const page = await remote("/");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/login");
  const socket = await remote("/ws/ui", { headers: { upgrade: "websocket" } });
  assert.equal(socket.status, 401);
  assert.match(await socket.text(), /access key/);
  const calls = await remote("/api/calls", { method: "POST", body: "{}" });
  assert.equal(calls.status, 401);
  const bundle = await remote("/static/build/boot.js");
  assert.equal(bundle.status, 401);
  // A forged loopback Host does not help when the proxy headers give the tunnel away.
  const forged = await remote("/", { headers: { host: "127.0.0.1:8000" } });
  assert.equal(forged.status, 303);
});

Deno.test("Access - login with the key sets an HttpOnly cookie that opens the page", async () => {
  const { remote } = setup();
  const form = await remote("/login");
  assert.equal(form.status, 200);
  assert.match(await form.text(), /name="key"/);
  const formHeaders = { "content-type": "application/x-www-form-urlencoded" };
  const wrong = await remote("/login", { method: "POST", headers: formHeaders, body: "key=guess" });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /not right/);
  const right = await remote("/login", { method: "POST", headers: formHeaders, body: `key=${KEY}` });
  assert.equal(right.status, 303);
  const cookie = right.headers.get("set-cookie") ?? "";
  assert.match(cookie, new RegExp(`^${ACCESS_COOKIE}=`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const value = cookie.split(";")[0];
  const page = await remote("/", { headers: { cookie: value } });
  assert.equal(page.status, 200);
  const stale = await remote("/", { headers: { cookie: `${ACCESS_COOKIE}=old-key` } });
  assert.equal(stale.status, 303);
});

Deno.test("Access - a cross-origin page socket is refused even on this machine", async () => {
  const { local } = setup();
  const response = await local("/ws/ui", {
    headers: { host: "127.0.0.1:8000", upgrade: "websocket", origin: "https://evil.example.net" },
  });
  assert.equal(response.status, 403);
});

Deno.test("Access - Twilio's signed endpoints and health stay reachable through the tunnel", async () => {
  const { remote } = setup();
  const health = await remote("/health");
  assert.equal(health.status, 200);
  const webhook = await remote("/webhooks/twilio/voice", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "CallSid=CA1",
  });
  assert.equal(webhook.status, 403, "the signature check answers, not the access key");
});

Deno.test("Security headers - pages get CSP with our own scripts only, their own styles only, no framing", async () => {
  const { local } = setup();
  for (const path of ["/", "/login"]) {
    const response = await local(path, { headers: { host: "127.0.0.1:8000" } });
    const html = await response.text();
    const csp = response.headers.get("content-security-policy") ?? "";
    const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((match) => match[1]);
    assert.ok(styles.length > 0, `${path} has an inline <style>`);
    const directive = csp.split("; ").find((part) => part.startsWith("style-src-elem "));
    const expected = styles.map((css) =>
      `'sha256-${createHash("sha256").update(css, "utf8").digest("base64")}'`
    );
    assert.equal(directive, ["style-src-elem 'self'", ...expected].join(" "), path);
    assert.doesNotMatch(
      csp,
      /style-src(-elem)? [^;]*'unsafe-inline'/,
      `${path}: no inline <style> beyond those`,
    );
    assert.match(csp, /(^|; )script-src 'self'(;|$)/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /(^|; )default-src 'none'(;|$)/, path);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.doesNotMatch(
      html,
      /<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/,
      `${path}: no inline script`,
    );
  }
  assert.match(CONTENT_SECURITY_POLICY, /style-src-elem 'self';/, "other HTML: no inline <style> at all");
  assert.equal(inlineStyleHashes("<style>a{}</style><p>x</p><STYLE media=print>\nb{}</STYLE>").length, 2);
});
