/**
 * Twilio request signatures (`X-Twilio-Signature`).
 *
 * The signature is base64(HMAC-SHA1(auth token, full URL + each POST parameter name+value sorted by
 * name)). It is always checked against the configured PUBLIC URL, never against the Host or
 * X-Forwarded-* headers, which a caller controls. twilio-node compares in constant time.
 *
 * @module
 */
import twilio from "twilio";

/** Whether `signature` is Twilio's signature of `url` and `params` under `authToken`. */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined | null,
  url: string,
  params: Record<string, string>,
): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params);
}

/** Signs a request as Twilio would (used by the simulator and by tests). */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
