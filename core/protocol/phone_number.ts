/**
 * Phone numbers as Twilio writes them: E.164 (`+`, a country code, at most 15 digits). The configuration,
 * the webhooks, click-to-call and its form on the page all check numbers against this one pattern.
 *
 * @module
 */

/** A phone number in E.164, such as `+15551234567`. */
export const E164 = /^\+[1-9]\d{6,14}$/;
