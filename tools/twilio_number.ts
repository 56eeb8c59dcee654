/**
 * The Twilio phone number of this deployment: where its voice webhooks should point, and pointing them.
 *
 * @module
 */
import { describeTwilioError, type TwilioRestClient } from "../lib/twilio_rest.ts";

/** The three variables needed to talk to Twilio's REST API about our number. */
export const TWILIO_VARIABLES = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"] as const;

/** A problem with the Twilio account or number, with the fix in the message. */
export class TwilioSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TwilioSetupError";
  }
}

/** The webhook settings our server expects on the number, for a given public URL. */
export function webhookSettings(publicUrl: string) {
  return {
    voiceUrl: `${publicUrl}/webhooks/twilio/voice`,
    voiceMethod: "POST" as const,
    statusCallback: `${publicUrl}/webhooks/twilio/voice/status`,
    statusCallbackMethod: "POST" as const,
  };
}

/** Which of {@linkcode TWILIO_VARIABLES} are unset (empty counts as unset). */
export function missingTwilioVariables(env: Record<string, string | undefined>): string[] {
  return TWILIO_VARIABLES.filter((name) => !env[name]?.trim());
}

/** The number's resource (what `incomingPhoneNumbers.list` returns for it). */
export type IncomingNumber = Awaited<ReturnType<TwilioRestClient["incomingPhoneNumbers"]["list"]>>[number];

/**
 * Looks up `phoneNumber` on the account.
 *
 * @throws {TwilioSetupError} when the API refuses (bad credentials…) or the account has no such number.
 */
export async function findNumber(client: TwilioRestClient, phoneNumber: string): Promise<IncomingNumber> {
  let found: IncomingNumber[];
  try {
    found = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 20 });
  } catch (error) {
    throw new TwilioSetupError(
      `Could not look up ${phoneNumber}: ${describeTwilioError(error)}. ` +
        "Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console → Account info).",
    );
  }
  const number = found.find((n) => n.phoneNumber === phoneNumber);
  if (!number) {
    throw new TwilioSetupError(
      `${phoneNumber} is not a phone number of this Twilio account. Set TWILIO_PHONE_NUMBER to one listed ` +
        "under Phone Numbers → Manage → Active numbers in the Twilio console (E.164, e.g. +15551234567).",
    );
  }
  return number;
}

/**
 * Points `phoneNumber`'s voice webhook and call status callback at `publicUrl`.
 *
 * @returns the number as updated, and the voice URL it had before.
 * @throws {TwilioSetupError} when the number cannot be found or updated.
 */
export async function pointNumberAt(
  client: TwilioRestClient,
  phoneNumber: string,
  publicUrl: string,
): Promise<{ number: IncomingNumber; previousVoiceUrl: string }> {
  const number = await findNumber(client, phoneNumber);
  try {
    const updated = await client.incomingPhoneNumbers(number.sid).update(webhookSettings(publicUrl));
    return { number: updated, previousVoiceUrl: number.voiceUrl };
  } catch (error) {
    throw new TwilioSetupError(`Could not update ${phoneNumber}'s voice URL: ${describeTwilioError(error)}.`);
  }
}
