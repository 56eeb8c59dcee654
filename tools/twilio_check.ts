/**
 * `deno task twilio:check`: checks the Twilio credentials and shows where the Twilio number's voice
 * webhook points, and whether that is this server's `PUBLIC_URL`. Exits 1 on bad credentials, a missing
 * variable or a number that is not on the account.
 *
 * @module
 */
import { readEnvironment } from "../lib/environment.ts";
import { createTwilioRestClient, describeTwilioError, type TwilioRestClient } from "../lib/twilio_rest.ts";
import { findNumber, missingTwilioVariables, TwilioSetupError, webhookSettings } from "./twilio_number.ts";

/** Options for {@linkcode runTwilioCheck}. */
export interface TwilioCheckOptions {
  /** Configuration variables (default: process environment over `.env`). */
  env?: Record<string, string | undefined>;
  /** Twilio REST client (default: made from the credentials in `env`). */
  twilioClient?: TwilioRestClient;
  /** Where the report goes (default `console.log`). */
  write?: (text: string) => void;
}

/** Runs the check, writes the report and returns the exit code (0 ok, 1 problem). */
export async function runTwilioCheck(options: TwilioCheckOptions = {}): Promise<number> {
  const env = options.env ?? readEnvironment();
  const write = options.write ?? console.log;
  const missing = missingTwilioVariables(env);
  if (missing.length > 0) {
    write(
      `Missing ${missing.join(", ")}. Copy the Account SID and Auth Token from the Twilio console ` +
        "(Account info) and your Twilio number (E.164, e.g. +15551234567) into .env; see the README, 'Live call'.",
    );
    return 1;
  }
  const accountSid = env.TWILIO_ACCOUNT_SID!.trim();
  const phoneNumber = env.TWILIO_PHONE_NUMBER!.trim();
  const client = options.twilioClient ??
    createTwilioRestClient({ accountSid, authToken: env.TWILIO_AUTH_TOKEN!.trim() });

  let account;
  try {
    account = await client.api.v2010.accounts(accountSid).fetch();
  } catch (error) {
    write(
      `Credentials rejected: ${describeTwilioError(error)}. Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN ` +
        "against the Twilio console (Account info); a re-generated token invalidates the old one.",
    );
    return 1;
  }
  write(`Account:  ${account.sid} "${account.friendlyName}" (${account.type}, ${account.status})`);
  if (account.status !== "active") {
    write(`The account is ${account.status}: Twilio will not place or take calls until it is active again.`);
    return 1;
  }

  let number;
  try {
    number = await findNumber(client, phoneNumber);
  } catch (error) {
    if (!(error instanceof TwilioSetupError)) throw error;
    write(error.message);
    return 1;
  }
  write(
    [
      `Number:   ${number.phoneNumber} (${number.sid})`,
      `  voice URL:       ${number.voiceUrl || "(none)"} (${number.voiceMethod})`,
      `  status callback: ${number.statusCallback || "(none)"} (${number.statusCallbackMethod})`,
    ].join("\n"),
  );
  write(pointingVerdict(number, env.PUBLIC_URL?.trim().replace(/\/+$/, "")));

  const agent = env.AGENT_PHONE_NUMBER?.trim();
  if (account.type === "Trial" && agent) await checkVerified(client, agent, write);
  return 0;
}

/** Whether the number's webhooks are this server's, in words. */
function pointingVerdict(
  number: { voiceUrl: string; voiceMethod: string; statusCallback: string },
  publicUrl: string | undefined,
): string {
  if (!publicUrl) {
    return "PUBLIC_URL is not set, so this cannot tell whether the number points at this server. " +
      "`deno task live` sets it and points the number at its tunnel.";
  }
  const expected = webhookSettings(publicUrl);
  const voiceOk = number.voiceUrl === expected.voiceUrl && number.voiceMethod === "POST";
  const statusOk = number.statusCallback === expected.statusCallback;
  if (voiceOk && statusOk) return `OK: the number points at this server (${publicUrl}).`;
  if (voiceOk) {
    return `The voice URL points at this server, but the status callback should be ${expected.statusCallback} ` +
      "(POST) so that sessions end when the call does.";
  }
  return `The number does NOT point at this server: its voice URL should be ${expected.voiceUrl} (POST). ` +
    "`deno task live` sets it; a trycloudflare.com URL from an earlier run is dead once that run stops.";
}

/** Trial accounts can only call verified numbers; say so before click-to-call fails. */
async function checkVerified(client: TwilioRestClient, agent: string, write: (text: string) => void) {
  try {
    const verified = await client.outgoingCallerIds.list({ phoneNumber: agent, limit: 20 });
    write(
      verified.some((id) => id.phoneNumber === agent)
        ? `Agent:    ${agent} is a verified caller ID (trial accounts can only call verified numbers).`
        : `Agent:    ${agent} is NOT verified: a trial account cannot call it. Verify it in the console ` +
          "(Phone Numbers → Manage → Verified Caller IDs).",
    );
  } catch (error) {
    write(`Could not list verified caller IDs: ${describeTwilioError(error)}.`);
  }
}

if (import.meta.main) Deno.exit(await runTwilioCheck());
