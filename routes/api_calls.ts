/**
 * Click-to-call: `POST /api/calls` `{"to":"+15551234567"}` asks Twilio to ring the agent's phone and, once
 * the agent answers, dial the customer. The call's own leg is the agent, so its voice webhook URL carries
 * `agent_track=inbound` (reversed from a customer calling in) and `dial_to` = the customer.
 *
 * The endpoint spends money, so it only answers requests made on this machine (not through the tunnel)
 * from a page of this server (see `server/http/access.ts`).
 *
 * `GET /api/calls` tells the page whether click-to-call is configured: `{"enabled":bool,"missing":[…]}`.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppConfig } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import { E164 } from "../core/protocol/phone_number.ts";
import { refuseForeign } from "../server/http/access.ts";
import {
  createTwilioRestClient,
  describeTwilioError,
  twilioErrorStatus,
  type TwilioRestClient,
} from "../lib/twilio_rest.ts";

/** Largest request body accepted. */
export const MAX_CALL_REQUEST_BYTES = 4096;
/** Call progress events Twilio reports to the status callback. */
export const CALL_STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"];

/** The body of `POST /api/calls`. */
export const CallRequestSchema = z.strictObject({
  to: z.string().trim().regex(E164, "must be a phone number in E.164 format, e.g. +15551234567"),
});

/** What the click-to-call routes need. */
export interface ApiCallDeps {
  config: AppConfig;
  log: Logger;
  /** The Twilio REST client; by default one is made from the configured credentials on first use. */
  twilioClient?: TwilioRestClient;
}

/** The settings click-to-call still needs, as environment variable names with a hint; empty when ready. */
export function missingCallSettings(config: AppConfig): string[] {
  const missing: string[] = [];
  if (!config.twilio.accountSid) missing.push("TWILIO_ACCOUNT_SID");
  if (!config.twilio.authToken) missing.push("TWILIO_AUTH_TOKEN");
  if (!config.twilio.phoneNumber) missing.push("TWILIO_PHONE_NUMBER");
  if (!config.agentPhoneNumber) missing.push("AGENT_PHONE_NUMBER");
  if (!config.publicUrlSet || !config.publicUrl.startsWith("https:")) {
    missing.push("PUBLIC_URL (an https URL Twilio can reach; `deno task live` sets it)");
  }
  return missing;
}

/**
 * The Twilio parameters of a click-to-call: ring the agent from our number; the agent's answer fetches
 * the voice webhook, which streams both tracks with the agent on `inbound` and dials the customer.
 */
export function clickToCallParams(config: AppConfig, customer: string) {
  return {
    to: config.agentPhoneNumber!,
    from: config.twilio.phoneNumber!,
    url: `${config.publicUrl}/webhooks/twilio/voice?agent_track=inbound&dial_to=${
      encodeURIComponent(customer)
    }`,
    method: "POST" as const,
    statusCallback: `${config.publicUrl}/webhooks/twilio/voice/status`,
    statusCallbackMethod: "POST" as const,
    statusCallbackEvent: CALL_STATUS_EVENTS,
  };
}

/** Click-to-call routes, to mount at `/api/calls`. */
export function apiCallRoutes(deps: ApiCallDeps): Hono {
  const app = new Hono();
  const { config, log } = deps;
  let client = deps.twilioClient;

  app.get("/", (c) => {
    const refused = refuseForeign(c, log, "click-to-call");
    if (refused) return refused;
    const missing = missingCallSettings(config);
    return c.json({ enabled: missing.length === 0, missing });
  });

  app.post("/", async (c) => {
    const refused = refuseForeign(c, log, "click-to-call");
    if (refused) return refused;
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return c.json({ error: 'Expected a JSON body such as {"to":"+15551234567"}.' }, 415);
    }
    const missing = missingCallSettings(config);
    if (missing.length > 0) {
      return c.json({
        error: `Click-to-call is not configured: set ${missing.join(", ")} (see the README, "Live call").`,
        missing,
      }, 503);
    }

    const body = await c.req.text();
    if (body.length > MAX_CALL_REQUEST_BYTES) {
      return c.json({ error: `Request body over ${MAX_CALL_REQUEST_BYTES} bytes.` }, 413);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return c.json({ error: 'The body is not JSON; send {"to":"+15551234567"}.' }, 400);
    }
    const parsed = CallRequestSchema.safeParse(json);
    if (!parsed.success) {
      const why = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
      return c.json({ error: `Bad request: ${why.join("; ")}.` }, 400);
    }
    const customer = parsed.data.to;
    if (customer === config.agentPhoneNumber || customer === config.twilio.phoneNumber) {
      return c.json(
        { error: "Bad request: to must be the customer's number, not the agent's or ours." },
        400,
      );
    }

    client ??= createTwilioRestClient({
      accountSid: config.twilio.accountSid!,
      authToken: config.twilio.authToken!,
    });
    try {
      const call = await client.calls.create(clickToCallParams(config, customer));
      log.info("click_to_call", { session_id: call.sid, status: call.status });
      return c.json({ call_sid: call.sid, status: call.status }, 201);
    } catch (error) {
      const message = describeTwilioError(error);
      log.warn("click_to_call_failed", { status: twilioErrorStatus(error), error: message });
      return c.json({ error: `Twilio did not place the call: ${message}` }, 502);
    }
  });

  return app;
}
