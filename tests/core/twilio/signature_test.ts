import assert from "node:assert/strict";
import { isValidTwilioSignature, signTwilioRequest } from "../../../core/twilio/signature.ts";
import { streamToken, verifyStreamToken } from "../../../core/twilio/stream_token.ts";

// Twilio's published test vector (Webhooks security docs).
const VECTOR = {
  token: "12345",
  url: "https://mycompany.com/myapp.php?foo=1&bar=2",
  params: {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  },
  signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
};

Deno.test("Signature - accepts Twilio's published test vector", () => {
  assert.equal(isValidTwilioSignature(VECTOR.token, VECTOR.signature, VECTOR.url, VECTOR.params), true);
  assert.equal(signTwilioRequest(VECTOR.token, VECTOR.url, VECTOR.params), VECTOR.signature);
});

Deno.test("Signature - rejects a changed param, URL, token, or a missing signature", () => {
  const { token, url, params, signature } = VECTOR;
  assert.equal(isValidTwilioSignature(token, signature, url, { ...params, Digits: "1235" }), false);
  assert.equal(isValidTwilioSignature(token, signature, url.replace("https", "http"), params), false);
  assert.equal(isValidTwilioSignature("54321", signature, url, params), false);
  assert.equal(isValidTwilioSignature(token, undefined, url, params), false);
  assert.equal(isValidTwilioSignature(token, "", url, params), false);
  assert.equal(isValidTwilioSignature(token, signature.replace("0", "1"), url, params), false);
});

Deno.test("Stream token - bound to the CallSid and the auth token", () => {
  const callSid = "CA" + "a".repeat(32);
  const token = streamToken("auth-token-1", callSid);
  assert.equal(verifyStreamToken("auth-token-1", callSid, token), true);
  assert.equal(verifyStreamToken("auth-token-2", callSid, token), false);
  assert.equal(verifyStreamToken("auth-token-1", "CA" + "b".repeat(32), token), false);
  assert.equal(verifyStreamToken("auth-token-1", callSid, token.slice(1)), false);
  assert.equal(verifyStreamToken("auth-token-1", callSid, undefined), false);
});
