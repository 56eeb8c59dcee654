import assert from "node:assert/strict";
import { silentLogger } from "../../core/log.ts";
import { LiveError, type LiveSession, runLive } from "../../tools/live.ts";
import { newCallSid, postWebhook } from "../support/fake_twilio.ts";
import { FakeTwilioRest, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from "../support/fake_twilio_rest.ts";

const TUNNEL_URL = "https://sunny-river-tables-hope.trycloudflare.com";
const OUR_NUMBER = "+15551234567";
const AGENT = "+15557654321";
const CUSTOMER = "+15559876543";
const NUMBERS_PATH = `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/IncomingPhoneNumbers`;

/** cloudflared's real quick-tunnel banner (stderr), as printed by 2024–2026 releases. */
const BANNER =
  `2026-11-24T18:40:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, \
is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime \
guarantee. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: \
https://developers.cloudflare.com/cloudflare-one/connections/connect-apps
2026-11-24T18:40:00Z INF Requesting new quick Tunnel on trycloudflare.com...
2026-11-24T18:40:01Z INF +--------------------------------------------------------------------------------------------+
2026-11-24T18:40:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
2026-11-24T18:40:01Z INF |  ${TUNNEL_URL}                                          |
2026-11-24T18:40:01Z INF +--------------------------------------------------------------------------------------------+
2026-11-24T18:40:01Z INF Cannot determine default configuration path. No file [config.yml config.yaml] in [~/.cloudflared]
2026-11-24T18:40:01Z INF Version 2026.11.0
2026-11-24T18:40:01Z INF Starting metrics server on 127.0.0.1:20241/metrics
2026-11-24T18:40:02Z INF Registered tunnel connection connIndex=0 location=fra08 protocol=quic`;

type FakeBehaviour = "tunnel" | "silent" | "fails";

/**
 * Writes a fake `cloudflared` into a new directory: it records its pid and arguments next to itself, then
 * prints the banner and sleeps until killed ("tunnel"), only sleeps ("silent"), or fails ("fails").
 */
async function fakeCloudflared(behaviour: FakeBehaviour = "tunnel") {
  const dir = await Deno.makeTempDir({ prefix: "fake_cloudflared_" });
  const body = {
    tunnel: `cat >&2 <<'BANNER'\n${BANNER}\nBANNER\nexec sleep 600`,
    silent: "exec sleep 600",
    fails: `echo '2026-11-24T18:40:00Z INF Requesting new quick Tunnel on trycloudflare.com...' >&2
echo '2026-11-24T18:40:05Z ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host' >&2
exit 1`,
  }[behaviour];
  const script = `#!/bin/sh\necho $$ > "${dir}/pid"\necho "$@" > "${dir}/args"\n${body}\n`;
  await Deno.writeTextFile(`${dir}/cloudflared`, script, { mode: 0o755 });
  return {
    dir,
    path: `${dir}/cloudflared`,
    pathVariable: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    args: async () => (await Deno.readTextFile(`${dir}/args`)).trim(),
    pid: async () => Number(await Deno.readTextFile(`${dir}/pid`)),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

async function processGone(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

const TWILIO_ENV = {
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: OUR_NUMBER,
};

async function live(
  fake: Awaited<ReturnType<typeof fakeCloudflared>>,
  env: Record<string, string>,
  extra: { twilio?: FakeTwilioRest; out?: string[]; tunnelTimeoutMs?: number } = {},
): Promise<LiveSession> {
  return await runLive({
    env: { PATH: fake.pathVariable, PORT: "0", LOG_LEVEL: "error", ...env },
    twilioClient: extra.twilio?.client(),
    write: (text) => extra.out?.push(text),
    hostname: "127.0.0.1",
    log: silentLogger,
    tunnelTimeoutMs: extra.tunnelTimeoutMs,
    buildPage: () => Promise.resolve(),
  });
}

Deno.test("Live - tunnel URL becomes PUBLIC_URL, the number is pointed at it, instructions printed", async () => {
  const cloudflared = await fakeCloudflared();
  const twilio = FakeTwilioRest.start({
    numbers: [{
      phone_number: OUR_NUMBER,
      voice_url: "https://old-gone-tunnel.trycloudflare.com/webhooks/twilio/voice",
    }],
  });
  const out: string[] = [];
  const session = await live(cloudflared, { ...TWILIO_ENV, AGENT_PHONE_NUMBER: AGENT }, { twilio, out });
  try {
    assert.equal(session.publicUrl, TUNNEL_URL);
    assert.equal(session.server.config.publicUrl, TUNNEL_URL);
    assert.equal(session.server.authToken, TEST_AUTH_TOKEN);
    assert.equal(session.numberPointed, true);
    assert.equal(
      await cloudflared.args(),
      `tunnel --no-autoupdate --url http://127.0.0.1:${session.server.port}`,
    );

    assert.deepEqual(twilio.lines(), [
      `GET ${NUMBERS_PATH}.json`,
      `POST ${NUMBERS_PATH}/PN00000000000000000000000000000000.json`,
    ]);
    assert.equal(twilio.requests[0].query.PhoneNumber, OUR_NUMBER);
    assert.deepEqual(twilio.requests[1].form, {
      VoiceUrl: `${TUNNEL_URL}/webhooks/twilio/voice`,
      VoiceMethod: "POST",
      StatusCallback: `${TUNNEL_URL}/webhooks/twilio/voice/status`,
      StatusCallbackMethod: "POST",
    });
    assert.equal(twilio.numbers[0].voice_url, `${TUNNEL_URL}/webhooks/twilio/voice`);

    const text = out.join("\n");
    assert.match(text, new RegExp(`Tunnel: +${TUNNEL_URL} → http://127\\.0\\.0\\.1:${session.server.port}`));
    assert.ok(
      text.includes(`Call ${OUR_NUMBER} now, then open http://127.0.0.1:${session.server.port}/`),
      text,
    );
    assert.ok(text.includes(`forwarded to the agent at ${AGENT}`), text);
    assert.ok(text.includes("Ctrl-C"), text);
    assert.ok(
      text.includes(
        `From another machine: open ${TUNNEL_URL}/ and enter access key ${session.server.accessKey}`,
      ),
      text,
    );

    // Twilio signs with the account token over the tunnel URL: the server accepts exactly that.
    const answer = await postWebhook(session.server, "/webhooks/twilio/voice", {
      CallSid: newCallSid(),
      From: CUSTOMER,
      To: OUR_NUMBER,
    });
    assert.equal(answer.status, 200);
    assert.match(
      await answer.text(),
      /<Stream url="wss:\/\/sunny-river-tables-hope\.trycloudflare\.com\/ws\//,
    );
  } finally {
    await session.stop();
    await twilio.stop();
  }
  assert.ok(await processGone(await cloudflared.pid()), "cloudflared is stopped");
  await assert.rejects(fetch(`${session.server.url}/health`));
  await cloudflared.cleanup();
});

/**
 * Sends the process's requests for `*.twilio.com` to the fake API instead (path and query kept), and
 * records them as they were addressed. Only the network hop changes: the Twilio client, its credentials
 * and the code that builds it stay the production ones.
 */
function routeTwilioApiTo(fake: FakeTwilioRest) {
  const realFetch = globalThis.fetch;
  const addressed: string[] = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.hostname !== "twilio.com" && !url.hostname.endsWith(".twilio.com")) return realFetch(input, init);
    addressed.push(
      `${init?.method ?? (input instanceof Request ? input.method : "GET")} ${url.origin}${url.pathname}`,
    );
    return realFetch(new URL(url.pathname + url.search, fake.url), init);
  };
  return { addressed, restore: () => void (globalThis.fetch = realFetch) };
}

Deno.test("Live - click-to-call from the live server creates the call Twilio needs", async () => {
  const cloudflared = await fakeCloudflared();
  const twilio = FakeTwilioRest.start({ numbers: [{ phone_number: OUR_NUMBER }] });
  const network = routeTwilioApiTo(twilio);
  // No client is injected: the live session and the server's click-to-call route make their own from
  // the environment, as `deno task live` does.
  const session = await live(cloudflared, { ...TWILIO_ENV, AGENT_PHONE_NUMBER: AGENT });
  try {
    assert.equal(session.numberPointed, true);
    const before = twilio.requests.length;

    // The page's request, over loopback to the route the live server mounts.
    const response = await fetch(`${session.server.url}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: session.server.url },
      body: JSON.stringify({ to: CUSTOMER }),
    });
    assert.equal(response.status, 201);
    const created = await response.json();
    assert.match(created.call_sid, /^CA[0-9a-f]{32}$/);
    assert.equal(created.status, "queued");

    assert.equal(twilio.requests.length, before + 1, "one request to Twilio: the call");
    const call = twilio.requests.at(-1)!;
    assert.equal(`${call.method} ${call.path}`, `POST /2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`);
    assert.equal(call.authorization, "Basic " + btoa(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`));
    assert.deepEqual(call.form, {
      To: AGENT,
      From: OUR_NUMBER,
      Url: `${TUNNEL_URL}/webhooks/twilio/voice?agent_track=inbound&dial_to=%2B15559876543`,
      Method: "POST",
      StatusCallback: `${TUNNEL_URL}/webhooks/twilio/voice/status`,
      StatusCallbackMethod: "POST",
      StatusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    });
    assert.equal(
      network.addressed.at(-1),
      `POST https://api.twilio.com/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`,
      "the server's client addressed the real Twilio API",
    );

    // The webhook URL the call carries is one the same server accepts, with the agent on inbound.
    const url = new URL(call.form.Url as string);
    const voice = await postWebhook(session.server, url.pathname + url.search, {
      CallSid: created.call_sid,
      From: AGENT,
      To: OUR_NUMBER,
      Direction: "outbound-api",
    });
    assert.equal(voice.status, 200);
    const twiml = await voice.text();
    assert.match(twiml, /<Parameter name="agent_track" value="inbound"\/>/);
    assert.match(twiml, /<Dial callerId="\+15551234567" answerOnBridge="true">\+15559876543<\/Dial>/);

    // Through the tunnel (proxy headers), the same route places no call.
    const remote = await fetch(`${session.server.url}/api/calls`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        host: new URL(TUNNEL_URL).host,
        "cf-connecting-ip": "203.0.113.9",
        cookie: `coach_access=${session.server.accessKey}`,
      },
      body: JSON.stringify({ to: CUSTOMER }),
    });
    assert.equal(remote.status, 403);
    await remote.body?.cancel();
    assert.equal(twilio.requests.length, before + 1, "no call from a remote request");
  } finally {
    network.restore();
    await session.stop();
    await twilio.stop();
    await cloudflared.cleanup();
  }
});

Deno.test("Live - without Twilio credentials nothing is sent to Twilio and the output says what to set", async () => {
  const cloudflared = await fakeCloudflared();
  const twilio = FakeTwilioRest.start();
  const out: string[] = [];
  const session = await live(cloudflared, { TWILIO_PHONE_NUMBER: OUR_NUMBER }, { twilio, out });
  try {
    assert.equal(session.numberPointed, false);
    assert.deepEqual(twilio.requests, []);
    const text = out.join("\n");
    assert.ok(text.includes("missing TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"), text);
    assert.ok(text.includes(`${TUNNEL_URL}/webhooks/twilio/voice (HTTP POST)`), text);
    assert.ok(text.includes("Without TWILIO_AUTH_TOKEN"), text);
  } finally {
    await session.stop();
    await twilio.stop();
    await cloudflared.cleanup();
  }
});

Deno.test("Live - missing cloudflared gives install hints", async () => {
  const empty = await Deno.makeTempDir();
  const error = await runLive({ env: { PATH: empty, PORT: "0" }, write: () => {} }).catch((e) => e);
  assert.ok(error instanceof LiveError);
  assert.match(error.message, /cloudflared was not found on PATH/);
  assert.match(error.message, /brew install cloudflared/);
  assert.match(error.message, /\.deb/);
  assert.match(error.message, /github\.com\/cloudflare\/cloudflared\/releases/);
  await Deno.remove(empty);
});

Deno.test("Live - cloudflared failing before printing a URL is reported with its output", async () => {
  const cloudflared = await fakeCloudflared("fails");
  const error = await live(cloudflared, {}).catch((e) => e);
  assert.ok(error instanceof LiveError, String(error));
  assert.match(error.message, /cloudflared exited \(code 1\) before the tunnel was up/);
  assert.match(error.message, /ERR failed to request quick Tunnel/);
  await cloudflared.cleanup();
});

Deno.test("Live - no tunnel URL within the timeout: clear error and cloudflared is stopped", async () => {
  const cloudflared = await fakeCloudflared("silent");
  const error = await live(cloudflared, {}, { tunnelTimeoutMs: 300 }).catch((e) => e);
  assert.ok(error instanceof LiveError);
  assert.match(error.message, /printed no https:\/\/….trycloudflare.com URL within 0.3 s/);
  assert.ok(await processGone(await cloudflared.pid()));
  await cloudflared.cleanup();
});

Deno.test("Live - bad credentials or a number not on the account stop everything with the fix", async () => {
  const cloudflared = await fakeCloudflared();
  const twilio = FakeTwilioRest.start({ numbers: [{ phone_number: "+15550001234" }] });
  const badToken = await runLive({
    env: { PATH: cloudflared.pathVariable, PORT: "0", ...TWILIO_ENV },
    twilioClient: twilio.client({ authToken: "wrong-token-wrong-token" }),
    write: () => {},
    hostname: "127.0.0.1",
    log: silentLogger,
    buildPage: () => Promise.resolve(),
  }).catch((e) => e);
  assert.ok(badToken instanceof LiveError);
  assert.match(badToken.message, /HTTP 401, Twilio error 20003: Authenticate/);
  assert.match(badToken.message, /Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
  assert.ok(await processGone(await cloudflared.pid()), "the tunnel is stopped after the failure");

  const notOurs = await live(cloudflared, TWILIO_ENV, { twilio }).catch((e) => e);
  assert.ok(notOurs instanceof LiveError);
  assert.match(notOurs.message, /\+15551234567 is not a phone number of this Twilio account/);
  assert.ok(!twilio.requests.some((r) => r.method === "POST"), "nothing was updated");
  await twilio.stop();
  await cloudflared.cleanup();
});

Deno.test("Live - a bad setting is reported before any tunnel starts", async () => {
  const cloudflared = await fakeCloudflared();
  const error = await live(cloudflared, { AGENT_TRACK: "sideways" }).catch((e) => e);
  assert.ok(error instanceof LiveError);
  assert.match(error.message, /AGENT_TRACK/);
  await assert.rejects(cloudflared.pid(), Deno.errors.NotFound);
  await cloudflared.cleanup();
});

Deno.test("Live - the CLI stops the server and cloudflared on SIGINT and exits 0", async () => {
  const cloudflared = await fakeCloudflared();
  const cwd = await Deno.makeTempDir(); // no .env here
  const env: Record<string, string> = { PATH: cloudflared.pathVariable, PORT: "0", LOG_LEVEL: "error" };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      new URL("../../tools/live.ts", import.meta.url).pathname,
    ],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  while (!stdout.includes("Ctrl-C")) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value, { stream: true });
  }
  assert.ok(stdout.includes(`Tunnel:  ${TUNNEL_URL}`), stdout);
  const port = /→ http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1];
  assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);

  child.kill("SIGINT");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  assert.equal(status.code, 0, await stderr);
  assert.ok(await processGone(await cloudflared.pid()), "cloudflared is stopped");
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  await Deno.remove(cwd, { recursive: true });
  await cloudflared.cleanup();
});
