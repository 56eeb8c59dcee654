/**
 * Login attempts per client (server/http/login_limit.ts): the bucket's arithmetic on a fake clock, then the
 * server on real sockets: tunnel visitors told apart by `cf-connecting-ip`, a clear 429 with Retry-After
 * and one log line per client per minute, typos forgiven by the right key, nobody else affected. Also the
 * cache header of what the access check guards.
 */
import assert from "node:assert/strict";
import { LOGIN_BURST, LOGIN_REFILL_MS, loginClient, LoginLimiter } from "../../../server/http/login_limit.ts";
import type { RunningServer } from "../../../server/start.ts";
import { ACCESS_COOKIE } from "../../../server/http/ui_access.ts";
import { type LogLine, withLoggedServer } from "../../support/server.ts";

const KEY = "correct-horse-battery-staple";

Deno.test("Login limit - ten attempts at once, then one per 6 s; Retry-After says when", () => {
  let now = 1_000_000;
  const limiter = new LoginLimiter({ now: () => now });
  for (let i = 0; i < LOGIN_BURST; i++) {
    assert.deepEqual(limiter.attempt("a"), { allowed: true }, `attempt ${i}`);
  }
  assert.deepEqual(limiter.attempt("a"), { allowed: false, retryAfterS: 6, toLog: 1 });
  assert.deepEqual(limiter.attempt("b"), { allowed: true }, "another client has its own bucket");
  now += 4_000;
  assert.deepEqual(
    limiter.attempt("a"),
    { allowed: false, retryAfterS: 2, toLog: 0 },
    "logged once a minute",
  );
  now += 2_000;
  assert.deepEqual(limiter.attempt("a"), { allowed: true }, "one attempt back after 6 s");
  assert.equal((limiter.attempt("a") as { allowed: boolean }).allowed, false);
  now += 60_000;
  const verdict = limiter.attempt("a");
  assert.equal(verdict.allowed, true, "a minute later the bucket has refilled");
  for (let i = 0; i < LOGIN_BURST - 1; i++) limiter.attempt("a");
  assert.deepEqual(
    limiter.attempt("a"),
    { allowed: false, retryAfterS: 6, toLog: 3 },
    "the next line counts the refusals not logged since the last",
  );
});

Deno.test("Login limit - a right key forgives the client's typos", () => {
  let now = 0;
  const limiter = new LoginLimiter({ now: () => now });
  for (let i = 0; i < LOGIN_BURST - 1; i++) limiter.attempt("a");
  limiter.succeeded("a");
  for (let i = 0; i < LOGIN_BURST; i++) assert.equal(limiter.attempt("a").allowed, true);
  assert.equal(limiter.attempt("a").allowed, false);
  now += LOGIN_REFILL_MS * LOGIN_BURST;
  for (let i = 0; i < LOGIN_BURST; i++) assert.equal(limiter.attempt("a").allowed, true, "refilled whole");
});

Deno.test("Login limit - the client is the peer, or behind cloudflared the address Cloudflare saw", () => {
  const request = (headers: Record<string, string> = {}) =>
    new Request("http://127.0.0.1/login", { headers });
  assert.equal(loginClient(request(), "192.0.2.7"), "192.0.2.7");
  assert.equal(loginClient(request({ "cf-connecting-ip": "203.0.113.9" }), "127.0.0.1"), "203.0.113.9");
  assert.equal(
    loginClient(request({ "cf-connecting-ip": "203.0.113.9" }), "192.0.2.7"),
    "192.0.2.7",
    "a LAN peer cannot pick its own bucket",
  );
  assert.equal(loginClient(request(), undefined), "unknown");
});

/** POSTs a key to /login as the tunnel visitor `ip` (or from this machine when `ip` is null). */
async function login(server: RunningServer, key: string, ip: string | null) {
  const response = await fetch(`${server.url}/login`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(ip === null ? {} : { "cf-connecting-ip": ip }),
    },
    body: `key=${encodeURIComponent(key)}`,
    redirect: "manual",
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}

Deno.test("Login limit - on the server: 429 with Retry-After and one log line, per client, typos forgiven", async () => {
  await withLoggedServer({ UI_ACCESS_KEY: KEY }, async (server, logs: LogLine[]) => {
    const [guesser, typist, other] = ["203.0.113.9", "203.0.113.10", "203.0.113.11"];
    for (let i = 0; i < 3; i++) assert.equal((await login(server, "typo", typist)).status, 401);
    assert.equal((await login(server, KEY, typist)).status, 303, "a few typos never lock anyone out");

    for (let i = 0; i < LOGIN_BURST; i++) {
      assert.equal((await login(server, `guess-${i}`, guesser)).status, 401);
    }
    const refused = await login(server, "guess-again", guesser);
    assert.equal(refused.status, 429);
    assert.ok(
      Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 6,
      `Retry-After ${refused.retryAfter}`,
    );
    assert.match(refused.text, /Too many wrong keys from your address\. Try again in \d s\./);
    assert.equal((await login(server, KEY, guesser)).status, 429, "not even the right key gets through now");
    for (let i = 0; i < 20; i++) await login(server, `flood-${i}`, guesser);

    const limited = logs.filter((l) => l.event === "login_rate_limited");
    assert.equal(limited.length, 1, "one line, not one per refusal");
    assert.equal(limited[0].level, "warn");
    assert.equal(limited[0].client, guesser);
    assert.equal(limited[0].refused, 1);
    assert.equal(logs.filter((l) => l.event === "login_failed" && l.client === guesser).length, LOGIN_BURST);

    assert.equal((await login(server, "nope", other)).status, 401, "other visitors are not affected");
    assert.equal((await login(server, "nope", null)).status, 401, "nor is this machine's user");
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200, "who is on this machine needs no key at all");
    await page.body?.cancel();

    await new Promise((resolve) => setTimeout(resolve, Number(refused.retryAfter) * 1000 + 200));
    const back = await login(server, KEY, guesser);
    assert.equal(back.status, 303, "after Retry-After the client may try again");
  });
});

Deno.test("Cache - assets served through the access check are private, for local users and key holders", async () => {
  await withLoggedServer({ UI_ACCESS_KEY: KEY }, async (server) => {
    const local = await fetch(`${server.url}/static/favicon.svg`);
    assert.equal(local.status, 200);
    assert.equal(local.headers.get("cache-control"), "private, max-age=3600");
    await local.body?.cancel();

    const remote = await fetch(`${server.url}/static/favicon.svg`, {
      headers: { "cf-connecting-ip": "203.0.113.9", cookie: `${ACCESS_COOKIE}=${KEY}` },
    });
    assert.equal(remote.status, 200);
    assert.equal(remote.headers.get("cache-control"), "private, max-age=3600");
    await remote.body?.cancel();

    const stranger = await fetch(`${server.url}/static/favicon.svg`, {
      headers: { "cf-connecting-ip": "203.0.113.9" },
    });
    assert.equal(stranger.status, 401, "and nothing at all without the key");
    await stranger.body?.cancel();

    const page = await fetch(`${server.url}/`);
    assert.equal(page.headers.get("cache-control"), "no-cache", "other cache headers are left as they are");
    await page.body?.cancel();
  });
});
