import assert from "node:assert/strict";
import { Hono } from "hono";
import { loadConfig } from "../../core/config.ts";
import { createLogger, silentLogger } from "../../core/log.ts";
import { apiCallRoutes } from "../../routes/api_calls.ts";
import { startServer } from "../../server/start.ts";
import { FakeTwilioRest, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from "../support/fake_twilio_rest.ts";
import { LAN_PEER, LOCAL_PEER } from "../support/peer.ts";

const PUBLIC_URL = "https://sunny-river-tables-hope.trycloudflare.com";
const OUR_NUMBER = "+15551234567";
const AGENT = "+15557654321";
const CUSTOMER = "+15559876543";
const LOCAL = "http://127.0.0.1:8000";
const CONFIGURED = {
  PUBLIC_URL,
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: OUR_NUMBER,
  AGENT_PHONE_NUMBER: AGENT,
};

/** The routes as the app mounts them, with a fake Twilio API; `post` sends like the page on this machine. */
function setup(
  env: Record<string, string> = CONFIGURED,
  twilio = FakeTwilioRest.start(),
  log = silentLogger,
) {
  const app = new Hono().route(
    "/api/calls",
    apiCallRoutes({ config: loadConfig(env), log, twilioClient: twilio.client() }),
  );
  /** Posts like the page on this machine; a header given as "" is left out. */
  const post = (body: string, headers: Record<string, string> = {}) => {
    const all = {
      "content-type": "application/json",
      origin: LOCAL,
      "sec-fetch-site": "same-origin",
      ...headers,
    };
    return app.request(`${LOCAL}/api/calls`, {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter(([, value]) => value !== "")),
      body,
    }, LOCAL_PEER);
  };
  return { app, twilio, post };
}

Deno.test("API calls - a local request creates the click-to-call call with the agent on the inbound track", async () => {
  const { app, twilio, post } = setup();
  try {
    const response = await post(JSON.stringify({ to: ` ${CUSTOMER} ` }));
    assert.equal(response.status, 201);
    const body = await response.json();
    assert.deepEqual(Object.keys(body), ["call_sid", "status"]);
    assert.match(body.call_sid, /^CA[0-9a-f]{32}$/);
    assert.equal(body.status, "queued");

    assert.equal(twilio.requests.length, 1);
    const [call] = twilio.requests;
    assert.equal(call.method, "POST");
    assert.equal(call.path, `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`);
    assert.equal(call.authorization, "Basic " + btoa(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`));
    assert.deepEqual(call.form, {
      To: AGENT,
      From: OUR_NUMBER,
      Url: `${PUBLIC_URL}/webhooks/twilio/voice?agent_track=inbound&dial_to=%2B15559876543`,
      Method: "POST",
      StatusCallback: `${PUBLIC_URL}/webhooks/twilio/voice/status`,
      StatusCallbackMethod: "POST",
      StatusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    });

    const status = await app.request(`${LOCAL}/api/calls`, {}, LOCAL_PEER);
    assert.deepEqual(await status.json(), { enabled: true, missing: [] });
  } finally {
    await twilio.stop();
  }
});

Deno.test("API calls - bad input gets 400 or 415 and no call", async () => {
  const { twilio, post } = setup();
  try {
    const cases: [string, string, RegExp][] = [
      ["missing to", "{}", /to: /],
      ["not E.164", JSON.stringify({ to: "555-1234" }), /E\.164/],
      ["number without +", JSON.stringify({ to: "15559876543" }), /E\.164/],
      ["not a string", JSON.stringify({ to: 15559876543 }), /to: /],
      ["extra field", JSON.stringify({ to: CUSTOMER, from: OUR_NUMBER }), /from/],
      ["not JSON", "to=+15559876543", /not JSON/],
      ["the agent's own number", JSON.stringify({ to: AGENT }), /customer's number/],
    ];
    for (const [name, body, message] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, name);
      assert.match((await response.json()).error, message, name);
    }
    const form = await post(`to=${encodeURIComponent(CUSTOMER)}`, {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 415);
    await form.body?.cancel();
    const huge = await post(JSON.stringify({ to: CUSTOMER, padding: "x".repeat(5000) }));
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
    assert.deepEqual(twilio.requests, []);
  } finally {
    await twilio.stop();
  }
});

Deno.test("API calls - 503 naming every missing setting when Twilio is not configured", async () => {
  const { app, twilio, post } = setup({ TWILIO_PHONE_NUMBER: OUR_NUMBER });
  try {
    const response = await post(JSON.stringify({ to: CUSTOMER }));
    assert.equal(response.status, 503);
    const body = await response.json();
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "AGENT_PHONE_NUMBER", "PUBLIC_URL"]) {
      assert.ok(body.error.includes(name), `${name} in ${body.error}`);
    }
    assert.ok(!body.error.includes("TWILIO_PHONE_NUMBER"), "the number that is set is not listed");
    assert.equal(body.missing.length, 4);
    const status = await (await app.request(`${LOCAL}/api/calls`, {}, LOCAL_PEER)).json();
    assert.equal(status.enabled, false);
    assert.deepEqual(status.missing, body.missing);
    assert.deepEqual(twilio.requests, []);
  } finally {
    await twilio.stop();
  }

  // A local http PUBLIC_URL is not reachable by Twilio.
  const local = setup({ ...CONFIGURED, PUBLIC_URL: "http://127.0.0.1:8000" });
  try {
    const response = await local.post(JSON.stringify({ to: CUSTOMER }));
    assert.equal(response.status, 503);
    assert.deepEqual((await response.json()).missing, [
      "PUBLIC_URL (an https URL Twilio can reach; `deno task live` sets it)",
    ]);
  } finally {
    await local.twilio.stop();
  }
});

Deno.test("API calls - requests through the tunnel or from another site get 403 and no call", async () => {
  const { app, twilio, post } = setup();
  try {
    const cases: [string, Record<string, string>][] = [
      ["through cloudflared", {
        host: "sunny-river-tables-hope.trycloudflare.com",
        "cf-connecting-ip": "203.0.113.7",
        "x-forwarded-for": "203.0.113.7",
        origin: PUBLIC_URL,
      }],
      ["proxied to loopback", { host: "127.0.0.1:8000", "x-forwarded-for": "203.0.113.7" }],
      ["LAN address", { host: "192.168.1.20:8000", origin: "http://192.168.1.20:8000" }],
      ["cross-site page", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
      ["cross-site Origin only", { origin: "https://evil.example", "sec-fetch-site": "" }],
    ];
    for (const [name, headers] of cases) {
      const response = await post(JSON.stringify({ to: CUSTOMER }), headers);
      assert.equal(response.status, 403, name);
      assert.match((await response.json()).error, /^Forbidden/, name);
    }
    const status = await app.request(`${LOCAL}/api/calls`, {
      headers: { "cf-connecting-ip": "203.0.113.7" },
    }, LOCAL_PEER);
    assert.equal(status.status, 403);
    await status.body?.cancel();
    // Another machine on the LAN that sends this machine's own Host and Origin is still not local.
    const lan = await app.request(`${LOCAL}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: LOCAL, host: new URL(LOCAL).host },
      body: JSON.stringify({ to: CUSTOMER }),
    }, LAN_PEER);
    assert.equal(lan.status, 403);
    assert.match((await lan.json()).error, /only answers requests made on this machine/);
    assert.deepEqual(twilio.requests, []);
  } finally {
    await twilio.stop();
  }
});

Deno.test("API calls - a Twilio API error becomes 502 with Twilio's message, logged with the number masked", async () => {
  const twilio = FakeTwilioRest.start({
    callError: {
      status: 400,
      code: 21219,
      message:
        "The number +15557654321 is unverified. Trial accounts may only make calls to verified numbers.",
    },
  });
  const lines: string[] = [];
  const log = createLogger({ level: "info", now: () => new Date(), write: (line) => lines.push(line) });
  const { post } = setup(CONFIGURED, twilio, log);
  try {
    const response = await post(JSON.stringify({ to: CUSTOMER }));
    assert.equal(response.status, 502);
    const { error } = await response.json();
    assert.match(error, /Twilio did not place the call/);
    assert.match(error, /HTTP 400, Twilio error 21219/);
    assert.match(error, /Trial accounts may only make calls to verified numbers/);
    // The person who clicked sees the number; the log keeps its last 4 digits only.
    const failed = lines.map((line) => JSON.parse(line)).find((line) =>
      line.event === "click_to_call_failed"
    );
    assert.match(failed.error, /The number \+\*{7}4321 is unverified/);
    assert.ok(!lines.join("\n").includes(AGENT), "no full number in the log");
  } finally {
    await twilio.stop();
  }
});

Deno.test("API calls - mounted in the server: local request without Twilio settings gets 503, a remote one no call", async () => {
  const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), {
    hostname: "127.0.0.1",
    log: silentLogger,
  });
  try {
    const local = await fetch(`${server.url}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ to: CUSTOMER }),
    });
    assert.equal(local.status, 503);
    assert.match((await local.json()).error, /Click-to-call is not configured: set TWILIO_ACCOUNT_SID/);
    const remote = await fetch(`${server.url}/api/calls`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.7" },
      body: JSON.stringify({ to: CUSTOMER }),
    });
    assert.ok(remote.status === 401 || remote.status === 403, `remote answered ${remote.status}`);
    await remote.body?.cancel();
  } finally {
    await server.shutdown();
  }
});
