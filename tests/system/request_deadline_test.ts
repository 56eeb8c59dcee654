/**
 * Slow and broken-off requests on real sockets (raw TCP, as a slow or vanishing client writes them):
 * a webhook or login body that does not arrive within 10 s of its headers gets 408 and an `info` line, a
 * body the client breaks off is the client's doing (`info`, 400, never 500 or an error line), and slow
 * clients of either kind do not keep anyone else waiting. Deno.serve itself has no header or body deadline:
 * a request whose headers never finish never reaches the app (see docs/security.md).
 */
import assert from "node:assert/strict";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { BODY_DEADLINE_MS } from "../../server/http/body_limit.ts";
import type { RunningServer } from "../../server/start.ts";
import { RawClient, requestHead } from "../support/raw_http.ts";
import { newCallSid } from "../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

const KEY = "correct-horse-battery-staple";
const FORM = { host: "127.0.0.1", "content-type": "application/x-www-form-urlencoded" };

const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({ UI_ACCESS_KEY: KEY }, run);

/** Sends `body`'s bytes one at a time, `gapMs` apart, until all are sent, the server hangs up, or `stop()`. */
function trickle(client: RawClient, body: string, gapMs: number) {
  let stopped = false;
  const done = (async () => {
    for (const char of body) {
      if (stopped || client.closed || !await client.write(char)) return;
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  })();
  return { stop: () => stopped = true, done };
}

/**
 * Login attempts are limited per client; the many logins here come from as many tunnel visitors (a
 * loopback peer with `cf-connecting-ip`, as cloudflared sends them).
 */
let visitors = 0;
const visitor = () => ({ "cf-connecting-ip": `198.51.100.${++visitors % 250}` });

/** A raw POST whose headers are sent at once, declaring `contentLength`; the body is up to the caller. */
async function postHead(server: RunningServer, path: string, contentLength: number, extra = {}) {
  const client = await RawClient.connect(server.port);
  await client.write(
    requestHead("POST", path, { ...FORM, "content-length": String(contentLength), ...extra }),
  );
  return client;
}

const errorLines = (logs: LogLine[]) => logs.filter((l) => l.level === "error");

for (const path of ["/webhooks/twilio/voice", "/login"]) {
  Deno.test(`Deadlines - a ${path} body still arriving 10 s after its headers gets 408, logged at info`, async () => {
    await withServer(async (server, logs) => {
      const callSid = newCallSid();
      const body = `CallSid=${callSid}&key=${KEY}&` + "p".repeat(200);
      const slow = await postHead(server, path, body.length);
      const silent = await postHead(server, path, body.length);
      const sentAt = performance.now();
      const sender = trickle(slow, body, 250);
      try {
        for (const client of [slow, silent]) {
          assert.ok(await client.until((c) => c.status !== null, BODY_DEADLINE_MS + 5_000), "answered");
          const elapsed = performance.now() - sentAt;
          assert.equal(client.status, 408, client.text);
          assert.ok(elapsed >= BODY_DEADLINE_MS - 250, `not before the deadline (${Math.round(elapsed)} ms)`);
          assert.match(client.text, /\r\nconnection: close\r\n/i);
          assert.match(client.text, /Request timeout: the body did not arrive within 10 s\.$/);
        }
      } finally {
        sender.stop();
        for (const client of [slow, silent]) client.close();
        await Promise.all([sender.done, slow.done(), silent.done()]);
      }
      const timeouts = logs.filter((l) => l.event === "request_timeout");
      assert.equal(timeouts.length, 2);
      for (const line of timeouts) {
        assert.equal(line.level, "info");
        assert.equal(line.path, path);
        assert.equal(line.reason, "the body did not arrive within 10 s");
      }
      assert.ok(
        (timeouts[0].received_bytes as number) + (timeouts[1].received_bytes as number) > 0,
        "the trickled bytes were counted",
      );
      assert.deepEqual(errorLines(logs), []);
      assert.equal(server.registry.get(callSid), undefined, "the handler never ran");
      assert.ok(!logs.some((l) => l.event === "login_failed" || l.event === "webhook_rejected"));
    });
  });
}

Deno.test("Deadlines - a slow body that is complete within 10 s is served as usual", async () => {
  await withServer(async (server) => {
    const callSid = newCallSid();
    const params = { CallSid: callSid, From: "+15550001111" };
    const path = "/webhooks/twilio/voice";
    const body = new URLSearchParams(params).toString();
    const client = await postHead(server, path, body.length, {
      "x-twilio-signature": signTwilioRequest(server.authToken, server.config.publicUrl + path, params),
    });
    try {
      // About 3 s for the whole body.
      await trickle(client, body, Math.floor(3_000 / body.length)).done;
      assert.ok(await client.until((c) => c.status !== null, 5_000));
      assert.equal(client.status, 200, client.text);
      assert.match(client.text, /<Stream url="ws:\/\/127\.0\.0\.1:\d+\/ws\/twilio\/media\//);
      assert.equal(server.registry.get(callSid)?.status, "waiting");
    } finally {
      client.close();
      await client.done();
    }
  });
});

Deno.test("Deadlines - a body broken off by its client is logged at info with no 500 and no error line", async () => {
  await withServer(async (server, logs) => {
    // A client that stops sending and says so (half-close) still reads the answer: 400, not 500.
    for (const path of ["/webhooks/twilio/voice", "/webhooks/twilio/voice/status", "/login", "/api/calls"]) {
      const client = await postHead(server, path, 500);
      await client.write(`CallSid=${newCallSid()}&`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await client.endWriting();
      assert.ok(await client.until((c) => c.status !== null, 5_000), `${path} answered`);
      assert.equal(client.status, 400, `${path}: ${client.text}`);
      assert.match(client.text, /Bad request: the body ended before it was complete\.$/);
      client.close();
      await client.done();
    }
    // Clients that vanish mid-body, many at once, as in a slow-body run.
    const vanishing = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const client = await postHead(server, i % 2 ? "/login" : "/webhooks/twilio/voice", 500, visitor());
      await client.write("CallSid=CA");
      return client;
    }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const client of vanishing) client.close();
    await Promise.all(vanishing.map((client) => client.done()));
    const aborted = () => logs.filter((l) => l.event === "request_aborted");
    const deadline = Date.now() + 5_000;
    while (aborted().length < 54 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(aborted().length, 54);
    for (const line of aborted()) {
      assert.equal(line.level, "info");
      assert.equal(line.reason, "the client ended the request before its body was complete");
    }
    assert.deepEqual(errorLines(logs), [], "no error-level line");
    assert.ok(!logs.some((l) => l.event === "request_failed"));
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });
});

Deno.test("Deadlines - fifty clients with slow headers and fifty with slow bodies keep nobody else waiting", async () => {
  await withServer(async (server, logs) => {
    const slowHeaders = await Promise.all(Array.from({ length: 50 }, async () => {
      const client = await RawClient.connect(server.port);
      await client.write("POST /webhooks/twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      return { client, sender: trickle(client, "X-Slow: " + "a".repeat(100), 200) };
    }));
    const slowBodies = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const client = await postHead(server, i % 2 ? "/login" : "/webhooks/twilio/voice", 500, visitor());
      return { client, sender: trickle(client, "k".repeat(500), 200) };
    }));
    try {
      for (let i = 0; i < 5; i++) {
        const startedAt = performance.now();
        const health = await fetch(`${server.url}/health`);
        assert.equal((await health.json()).status, "ok");
        const ms = performance.now() - startedAt;
        assert.ok(ms < 2_000, `/health answered in ${Math.round(ms)} ms`);
        const callSid = newCallSid();
        const params = { CallSid: callSid };
        const path = "/webhooks/twilio/voice";
        const webhook = await fetch(server.url + path, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": signTwilioRequest(server.authToken, server.config.publicUrl + path, params),
          },
          body: new URLSearchParams(params),
        });
        assert.equal(webhook.status, 200);
        await webhook.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // The slow bodies reach their deadline; the slow headers never reached the app at all.
      for (const { client } of slowBodies) {
        assert.ok(await client.until((c) => c.status !== null, BODY_DEADLINE_MS + 5_000));
        assert.equal(client.status, 408);
      }
      assert.equal(logs.filter((l) => l.event === "request_timeout").length, 50);
      assert.ok(
        slowHeaders.every(({ client }) => client.status === null),
        "no answer before the headers end",
      );
      assert.deepEqual(errorLines(logs), []);
    } finally {
      for (const { client, sender } of [...slowHeaders, ...slowBodies]) {
        sender.stop();
        client.close();
      }
      await Promise.all(
        [...slowHeaders, ...slowBodies].flatMap(({ client, sender }) => [client.done(), sender.done]),
      );
    }
  });
});
