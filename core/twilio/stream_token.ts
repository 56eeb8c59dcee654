/**
 * The per-call token that ties a media socket to the voice webhook that started it.
 *
 * The voice webhook puts `HMAC-SHA256(auth token, "media-stream:" + CallSid)` (base64url) in a
 * `<Parameter name="token">`; Twilio sends
 * it back in `start.customParameters`. A media socket whose token does not match its CallSid is closed,
 * so knowing the public URL is not enough to inject audio into someone's call.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The token for a call. */
export function streamToken(authToken: string, callSid: string): string {
  return createHmac("sha256", authToken).update(`media-stream:${callSid}`).digest("base64url");
}

/** Whether `token` is the one for `callSid`, compared in constant time. */
export function verifyStreamToken(authToken: string, callSid: string, token: string | undefined): boolean {
  if (typeof token !== "string") return false;
  const expected = Buffer.from(streamToken(authToken, callSid));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
