/**
 * Numbers in the server's log, on real sockets: a call's `From` and `To` (and Twilio's `Caller`/`Called`)
 * reach the log with their last 4 digits only, whatever event carries them.
 */
import assert from "node:assert/strict";
import { answerCall, newCallSid, postWebhook } from "../support/fake_twilio.ts";
import { withLoggedServer } from "../support/server.ts";

const NUMBERS = ["+15550001111", "+15550002222", "+447700900123"];

Deno.test("Log privacy - a call's numbers are logged with all but their last 4 digits masked", async () => {
  await withLoggedServer({}, async (server, logs) => {
    const callSid = newCallSid();
    await answerCall(server, callSid);
    const status = await postWebhook(server, "/webhooks/twilio/voice/status", {
      CallSid: callSid,
      CallStatus: "completed",
      From: NUMBERS[0],
      To: NUMBERS[1],
      Caller: NUMBERS[0],
      Called: NUMBERS[2],
    });
    assert.equal(status.status, 204);
    const voice = logs.find((l) => l.event === "voice_webhook" && l.session_id === callSid);
    // The voice webhook logs only the customer's last 4 digits, the same the page labels the call with.
    assert.equal(voice?.customer_last4, "1111");
    assert.equal(voice?.from, undefined);
    const text = JSON.stringify(logs);
    for (const number of NUMBERS) assert.ok(!text.includes(number), `${number} is not in the log`);
    assert.ok(!/\+\d{5,}/.test(text), "no unmasked number of any kind");
  }, "debug");
});
