import assert from "node:assert/strict";
import { Hono } from "hono";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import {
  CLICK_TO_CALL_SAMPLE_STATES,
  clickToCallEnabled,
  ClickToCallForm,
  normalizePhoneNumber,
  placeCall,
} from "../../components/click_to_call.tsx";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { apiCallRoutes } from "../../routes/api_calls.ts";
import { FakeTwilioRest, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from "../support/fake_twilio_rest.ts";
import { LOCAL_PEER } from "../support/peer.ts";

const CONFIGURED = {
  PUBLIC_URL: "https://sunny-river-tables-hope.trycloudflare.com",
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: "+15551234567",
  AGENT_PHONE_NUMBER: "+15557654321",
};

/** The real routes behind a fetch function, as the page on this machine reaches them. */
function serverFetch(env: Record<string, string>, twilio: FakeTwilioRest) {
  const app = new Hono().route(
    "/api/calls",
    apiCallRoutes({ config: loadConfig(env), log: silentLogger, twilioClient: twilio.client() }),
  );
  return (input: string, init?: RequestInit) =>
    Promise.resolve(app.request(`http://127.0.0.1:8000${input}`, init, LOCAL_PEER));
}

Deno.test("Click-to-call component - numbers are normalised to E.164 or refused", () => {
  assert.equal(normalizePhoneNumber("+1 (555) 987-6543"), "+15559876543");
  assert.equal(normalizePhoneNumber("0044 20 7946 0958"), "+442079460958");
  assert.equal(normalizePhoneNumber("555-1234"), null);
  assert.equal(normalizePhoneNumber("+0123456789"), null);
  assert.equal(normalizePhoneNumber(""), null);
});

Deno.test("Click-to-call component - places the call through the real route and shows the CallSid", async () => {
  const twilio = FakeTwilioRest.start();
  try {
    const fetcher = serverFetch(CONFIGURED, twilio);
    assert.equal(await clickToCallEnabled(fetcher), true);
    const state = await placeCall("+1 (555) 987-6543", fetcher);
    assert.equal(state.kind, "placed");
    assert.ok(state.kind === "placed" && /^CA[0-9a-f]{32}$/.test(state.callSid));
    assert.equal(twilio.requests.at(-1)!.form.To, CONFIGURED.AGENT_PHONE_NUMBER);
    assert.match(String(twilio.requests.at(-1)!.form.Url), /dial_to=%2B15559876543$/);

    const bad = await placeCall("555-1234", fetcher);
    assert.equal(bad.kind, "error");
    assert.equal(twilio.requests.length, 1, "a malformed number is not sent");
  } finally {
    await twilio.stop();
  }
});

Deno.test("Click-to-call component - an unconfigured server is not offered, and refuses a call anyway", async () => {
  const twilio = FakeTwilioRest.start();
  try {
    const fetcher = serverFetch({ TWILIO_PHONE_NUMBER: "+15551234567" }, twilio);
    assert.equal(await clickToCallEnabled(fetcher), false);
    const placed = await placeCall("+15559876543", fetcher);
    assert.ok(placed.kind === "error" && placed.message.startsWith("Click-to-call is not configured"));
    assert.deepEqual(twilio.requests, []);
    assert.equal(await clickToCallEnabled(() => Promise.reject(new Error("offline"))), false);
  } finally {
    await twilio.stop();
  }
});

Deno.test("Click-to-call component - every state renders with its text; sending disables the button", () => {
  const html = (i: number) =>
    renderToString(h(ClickToCallForm, { number: "+15559876543", state: CLICK_TO_CALL_SAMPLE_STATES[i] }));
  assert.match(html(0), /Rings the agent&#39;s phone first|Rings the agent's phone first/);
  assert.doesNotMatch(html(0), /<button[^>]*\sdisabled[\s=>]/);
  assert.match(html(1), /Calling…/);
  assert.match(html(1), /<button[^>]*\sdisabled[\s=>]/);
  assert.match(html(2), /CA0{32}/);
  assert.doesNotMatch(html(2), /<button[^>]*\sdisabled[\s=>]/);
  assert.match(html(3), /Twilio did not place the call/);
});
