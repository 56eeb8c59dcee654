/**
 * Body caps that do not trust Content-Length: bodies sent chunked (a `ReadableStream` body, so fetch sends
 * `Transfer-Encoding: chunked` and no Content-Length) over real loopback sockets. An oversize body must be
 * refused once the cap is passed, with 413, a clear message and a log line, without the server reading the
 * rest of it; a chunked body within the cap works as before.
 */
import assert from "node:assert/strict";
import { signTwilioRequest } from "../../../core/twilio/signature.ts";
import { MAX_CALL_REQUEST_BYTES } from "../../../routes/api_calls.ts";
import type { RunningServer } from "../../../server/start.ts";
import { MAX_LOGIN_BYTES } from "../../../routes/login.ts";
import { MAX_WEBHOOK_BYTES } from "../../../routes/webhooks.ts";
import { newCallSid } from "../../support/fake_twilio.ts";
import { type LogLine, withLoggedServer } from "../../support/server.ts";

const KEY = "correct-horse-battery-staple";
/** What an endless upload offers before the test gives up on it: far more than any cap. */
const ENDLESS_BYTES = 64 * 2 ** 20;
/**
 * Most an oversize upload may get to send before the server answers. Loopback socket buffers take a few
 * MiB whatever the server does; a server that read the whole body would take all {@linkcode ENDLESS_BYTES}.
 */
const MAX_SENT_BEFORE_REFUSAL = 16 * 2 ** 20;

const withServer = (run: (server: RunningServer, logs: LogLine[]) => Promise<void>) =>
  withLoggedServer({ UI_ACCESS_KEY: KEY }, run);

/**
 * POSTs `prefix` then `filler` bytes (`a`) up to `total` as a chunked stream, counting what the request
 * pulled. Once the answer is in, the upload is stopped.
 */
async function postChunked(url: string, headers: Record<string, string>, prefix: string, total: number) {
  const encoded = new TextEncoder().encode(prefix);
  const filler = new Uint8Array(16 * 1024).fill(0x61);
  let pulled = 0;
  let stop = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stop || pulled >= total) return controller.close();
      const chunk = pulled === 0 ? encoded : filler.subarray(0, Math.min(filler.length, total - pulled));
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const abort = new AbortController();
  try {
    const response = await fetch(url, { method: "POST", headers, body, signal: abort.signal });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers, pulled };
  } finally {
    stop = true;
    abort.abort();
  }
}

/** A small body in several chunks: `text` split in three. */
async function postSmallChunked(url: string, headers: Record<string, string>, text: string) {
  const bytes = new TextEncoder().encode(text);
  const third = Math.ceil(bytes.length / 3);
  const body = ReadableStream.from([
    bytes.subarray(0, third),
    bytes.subarray(third, 2 * third),
    bytes.subarray(2 * third),
  ]);
  return await fetch(url, { method: "POST", headers, body, redirect: "manual" });
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

Deno.test("Body limits - a chunked webhook body past 64 KiB gets 413 and a log line, and is not read whole", async () => {
  await withServer(async (server, logs) => {
    for (
      const path of [
        "/webhooks/twilio/voice",
        "/webhooks/twilio/voice/status",
        "/webhooks/twilio/stream/status",
      ]
    ) {
      const callSid = newCallSid();
      const answer = await postChunked(
        `${server.url}${path}`,
        { ...FORM, "x-twilio-signature": "c2lnbmVk" },
        `CallSid=${callSid}&CallStatus=completed&Junk=`,
        ENDLESS_BYTES,
      );
      assert.equal(answer.status, 413, path);
      assert.ok(answer.pulled > MAX_WEBHOOK_BYTES, `${path}: the body went past the cap`);
      assert.ok(
        answer.pulled < MAX_SENT_BEFORE_REFUSAL,
        `${path}: refused while streaming, after ${answer.pulled} bytes, not after reading it whole`,
      );
      assert.equal(
        answer.text,
        `Payload too large: webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes (Twilio's are about 1 KB).`,
      );
      const logged = logs.filter((l) => l.event === "webhook_rejected" && l.path === path);
      assert.equal(logged.length, 1, path);
      assert.equal(logged[0].reason, "body too large: over 65536 bytes");
      assert.equal(logged[0].content_length, null, "the body came without Content-Length");
      assert.equal(server.registry.get(callSid), undefined, "nothing happened for the call");
    }
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });
});

Deno.test("Body limits - a signed chunked webhook within the cap is read and answered as usual", async () => {
  await withServer(async (server) => {
    const callSid = newCallSid();
    const params = { CallSid: callSid, From: "+15550001111", Padding: "p".repeat(MAX_WEBHOOK_BYTES - 200) };
    const path = "/webhooks/twilio/voice";
    const response = await postSmallChunked(`${server.url}${path}`, {
      ...FORM,
      "x-twilio-signature": signTwilioRequest(server.authToken, server.config.publicUrl + path, params),
    }, new URLSearchParams(params).toString());
    assert.equal(response.status, 200);
    assert.match(await response.text(), new RegExp(`/ws/twilio/media/${callSid}"`));
    assert.equal(server.registry.get(callSid)?.status, "waiting");
  });
});

Deno.test("Body limits - a webhook declaring a Content-Length over the cap gets 413 before any body is read", async () => {
  await withServer(async (server, logs) => {
    const body = "CallSid=" + newCallSid() + "&Junk=" + "x".repeat(MAX_WEBHOOK_BYTES);
    const response = await fetch(`${server.url}/webhooks/twilio/voice`, {
      method: "POST",
      headers: FORM,
      body,
    });
    assert.equal(response.status, 413);
    assert.match(await response.text(), /limited to 65536 bytes/);
    const logged = logs.find((l) => l.event === "webhook_rejected");
    assert.equal(logged?.reason, "body too large: over 65536 bytes");
    assert.equal(logged?.content_length, String(new TextEncoder().encode(body).length));
  });
});

Deno.test("Body limits - POST /login refuses a chunked body past 1 KiB with 413 and a log line", async () => {
  await withServer(async (server, logs) => {
    const answer = await postChunked(`${server.url}/login`, FORM, `key=${KEY}&junk=`, ENDLESS_BYTES);
    assert.equal(answer.status, 413);
    assert.equal(answer.text, `Payload too large: the login form is limited to ${MAX_LOGIN_BYTES} bytes.`);
    assert.equal(answer.headers.get("set-cookie"), null, "no cookie for an oversize login");
    assert.ok(answer.pulled < MAX_SENT_BEFORE_REFUSAL, `refused after ${answer.pulled} bytes`);
    const logged = logs.filter((l) => l.event === "login_rejected");
    assert.equal(logged.length, 1);
    assert.equal(logged[0].reason, "body too large: over 1024 bytes");
    assert.equal(logged[0].content_length, null);

    // A right key sent chunked, within the cap, still logs in.
    const right = await postSmallChunked(`${server.url}/login`, FORM, `key=${KEY}`);
    assert.equal(right.status, 303);
    assert.match(right.headers.get("set-cookie") ?? "", /^coach_access=/);
    await right.body?.cancel();
  });
});

Deno.test("Body limits - POST /api/calls refuses a chunked body past 4 KiB with 413 and a log line", async () => {
  await withServer(async (server, logs) => {
    const answer = await postChunked(
      `${server.url}/api/calls`,
      { "content-type": "application/json" },
      '{"to":"+15559876543","junk":"',
      ENDLESS_BYTES,
    );
    assert.equal(answer.status, 413);
    assert.deepEqual(JSON.parse(answer.text), {
      error: `Request body over ${MAX_CALL_REQUEST_BYTES} bytes.`,
    });
    assert.ok(answer.pulled < MAX_SENT_BEFORE_REFUSAL, `refused after ${answer.pulled} bytes`);
    const logged = logs.filter((l) => l.event === "api_rejected");
    assert.equal(logged.length, 1);
    assert.equal(logged[0].reason, "body too large: over 4096 bytes");
  });
});
