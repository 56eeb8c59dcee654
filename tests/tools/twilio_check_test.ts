import assert from "node:assert/strict";
import { runTwilioCheck } from "../../tools/twilio_check.ts";
import { FakeTwilioRest, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from "../support/fake_twilio_rest.ts";

const OUR_NUMBER = "+15551234567";
const AGENT = "+15557654321";
const PUBLIC_URL = "https://sunny-river-tables-hope.trycloudflare.com";
const ENV = {
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: OUR_NUMBER,
};
const ACCOUNT_PATH = `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}`;

async function check(
  env: Record<string, string>,
  twilio: FakeTwilioRest,
  credentials?: { authToken: string },
): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await runTwilioCheck({
    env,
    twilioClient: twilio.client(credentials),
    write: (t) => out.push(t),
  });
  return { code, text: out.join("\n") };
}

Deno.test("Twilio check - a number pointing at PUBLIC_URL is reported OK", async () => {
  const twilio = FakeTwilioRest.start({
    numbers: [{
      phone_number: OUR_NUMBER,
      voice_url: `${PUBLIC_URL}/webhooks/twilio/voice`,
      status_callback: `${PUBLIC_URL}/webhooks/twilio/voice/status`,
    }],
  });
  try {
    const { code, text } = await check({ ...ENV, PUBLIC_URL: `${PUBLIC_URL}/` }, twilio);
    assert.equal(code, 0, text);
    assert.deepEqual(twilio.lines(), [
      `GET ${ACCOUNT_PATH}.json`,
      `GET ${ACCOUNT_PATH}/IncomingPhoneNumbers.json`,
    ]);
    assert.equal(twilio.requests[1].query.PhoneNumber, OUR_NUMBER);
    assert.match(
      text,
      new RegExp(`Account: +${TEST_ACCOUNT_SID} "My first Twilio account" \\(Trial, active\\)`),
    );
    assert.ok(text.includes(`voice URL:       ${PUBLIC_URL}/webhooks/twilio/voice (POST)`), text);
    assert.ok(text.includes(`status callback: ${PUBLIC_URL}/webhooks/twilio/voice/status (POST)`), text);
    assert.ok(text.includes(`OK: the number points at this server (${PUBLIC_URL})`), text);
  } finally {
    await twilio.stop();
  }
});

Deno.test("Twilio check - a number pointing elsewhere is shown with the URL it should have", async () => {
  const twilio = FakeTwilioRest.start({ numbers: [{ phone_number: OUR_NUMBER }] });
  try {
    const { code, text } = await check({ ...ENV, PUBLIC_URL }, twilio);
    assert.equal(code, 0);
    assert.ok(text.includes("voice URL:       https://demo.twilio.com/welcome/voice/ (POST)"), text);
    assert.ok(text.includes("status callback: (none)"), text);
    assert.ok(
      text.includes(
        `does NOT point at this server: its voice URL should be ${PUBLIC_URL}/webhooks/twilio/voice`,
      ),
    );

    const noPublicUrl = await check(ENV, twilio);
    assert.equal(noPublicUrl.code, 0);
    assert.match(noPublicUrl.text, /PUBLIC_URL is not set/);
  } finally {
    await twilio.stop();
  }
});

Deno.test("Twilio check - bad credentials exit 1 with the fix", async () => {
  const twilio = FakeTwilioRest.start({ numbers: [{ phone_number: OUR_NUMBER }] });
  try {
    const { code, text } = await check(ENV, twilio, { authToken: "an-old-auth-token" });
    assert.equal(code, 1);
    assert.match(
      text,
      /Credentials rejected: Twilio API answered HTTP 401, Twilio error 20003: Authenticate/,
    );
    assert.match(text, /Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    assert.deepEqual(twilio.lines(), [`GET ${ACCOUNT_PATH}.json`], "stops at the account");
  } finally {
    await twilio.stop();
  }
});

Deno.test("Twilio check - a number not on the account or missing variables exit 1", async () => {
  const twilio = FakeTwilioRest.start({ numbers: [{ phone_number: "+15550001234" }] });
  try {
    const notOurs = await check(ENV, twilio);
    assert.equal(notOurs.code, 1);
    assert.match(notOurs.text, /\+15551234567 is not a phone number of this Twilio account/);

    const before = twilio.requests.length;
    const missing = await check({ TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID, TWILIO_AUTH_TOKEN: " " }, twilio);
    assert.equal(missing.code, 1);
    assert.match(missing.text, /^Missing TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER\./);
    assert.equal(twilio.requests.length, before, "nothing is asked without credentials");
  } finally {
    await twilio.stop();
  }
});

Deno.test("Twilio check - on a trial account, says whether the agent's number is verified", async () => {
  const twilio = FakeTwilioRest.start({
    numbers: [{ phone_number: OUR_NUMBER }],
    verifiedCallerIds: [AGENT],
  });
  try {
    const verified = await check({ ...ENV, AGENT_PHONE_NUMBER: AGENT }, twilio);
    assert.equal(verified.code, 0);
    assert.ok(verified.text.includes(`${AGENT} is a verified caller ID`), verified.text);
    assert.equal(twilio.requests.at(-1)!.query.PhoneNumber, AGENT);

    const unverified = await check({ ...ENV, AGENT_PHONE_NUMBER: "+15550009999" }, twilio);
    assert.ok(unverified.text.includes("+15550009999 is NOT verified: a trial account cannot call it"));
  } finally {
    await twilio.stop();
  }
});
