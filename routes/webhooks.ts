/**
 * Twilio's webhooks: the voice webhook that starts coaching a call, and the call and stream status
 * callbacks. Every request must carry a valid `X-Twilio-Signature` computed over `PUBLIC_URL` + path;
 * anything else gets 403 and nothing happens.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import type { AppConfig } from "../core/config.ts";
import { E164 } from "../core/protocol/phone_number.ts";
import { isCallSid, type TrackName } from "../core/protocol/twilio_messages.ts";
import type { Logger } from "../core/log.ts";
import { type SessionRegistry, SessionStateError } from "../core/session/registry.ts";
import type { ClusterMember } from "../server/cluster_member.ts";
import { isValidTwilioSignature } from "../core/twilio/signature.ts";
import { streamToken } from "../core/twilio/stream_token.ts";
import { buildVoiceTwiml } from "../core/twilio/twiml.ts";
import { bodyCap } from "../server/http/body_limit.ts";

/** Largest webhook body accepted (Twilio's are about 1 KB). */
export const MAX_WEBHOOK_BYTES = 64 * 1024;
/** Call statuses after which the call is over. */
export const TERMINAL_CALL_STATUSES = new Set(["completed", "canceled", "busy", "no-answer", "failed"]);

/** What the webhooks need. */
export interface WebhookDeps {
  config: AppConfig;
  registry: SessionRegistry;
  /**
   * In a cluster the call's media may reach another instance, so the voice webhook keeps no session here
   * (everything it decided travels in the stream's parameters), and a call's end reported here is passed
   * on to the instance coaching it.
   */
  cluster: ClusterMember | null;
  /** The token Twilio signs with (or the ephemeral local one). */
  authToken: string;
  log: Logger;
}

/** Twilio webhook routes, to mount at `/webhooks/twilio`. */
export function twilioWebhooks(deps: WebhookDeps): Hono {
  const app = new Hono();
  const { config, registry, log } = deps;
  // Cheap checks first: the content type, then the size, counted while the body streams in (a chunked
  // body has no Content-Length to trust), so an oversize body is refused after 64 KiB, never read whole.
  const form = requireForm(log);
  const capped = bodyCap(MAX_WEBHOOK_BYTES, (c) => tooLarge(c, log), { log });

  app.post("/voice", form, capped, async (c) => {
    const params = await signedParams(c, deps);
    if (params instanceof Response) return params;
    const callSid = params.CallSid;
    if (!isCallSid(callSid ?? "")) return badRequest(c, log, "CallSid is missing or malformed");
    const agentTrack = agentTrackFor(c.req.query("agent_track"), config.agentTrack);
    if (agentTrack === null) return badRequest(c, log, "agent_track must be inbound or outbound");
    const dialTo = c.req.query("dial_to");
    if (dialTo !== undefined && !E164.test(dialTo)) {
      return badRequest(c, log, "dial_to must be an E.164 number");
    }
    if (registry.hasEnded(callSid)) {
      // Ended here (held in its grace period or remembered after it): a replay gets no stream token.
      return conflict(
        c,
        log,
        callSid,
        `call ${callSid} has already ended; a replayed request cannot reopen it`,
      );
    }
    let streamAgentTrack = agentTrack;
    if (deps.cluster === null) {
      try {
        streamAgentTrack = registry.open(callSid, agentTrack).agentTrack;
      } catch (error) {
        if (!(error instanceof SessionStateError)) throw error;
        return conflict(c, log, callSid, error.message);
      }
    }
    const customerLast4 = lastFourDigits(dialTo ?? customerNumber(params));
    // Never the full numbers: the last 4 digits are all the page needs to tell calls apart.
    log.info("voice_webhook", {
      session_id: callSid,
      customer_last4: customerLast4,
      direction: params.Direction,
    });
    const twiml = buildVoiceTwiml({
      publicUrl: config.publicUrl,
      callSid,
      streamToken: streamToken(deps.authToken, callSid),
      agentTrack: streamAgentTrack,
      customerLast4,
      dialNumber: c.req.query("dial") === "none" ? undefined : dialTo ?? config.agentPhoneNumber,
      callerId: config.twilio.phoneNumber,
    });
    return c.body(twiml, 200, { "content-type": "application/xml; charset=utf-8" });
  });

  app.post("/voice/status", form, capped, async (c) => {
    const params = await signedParams(c, deps);
    if (params instanceof Response) return params;
    const { CallSid: callSid, CallStatus: status } = params;
    if (!callSid || !status) return badRequest(c, log, "CallSid and CallStatus are required");
    log.info("call_status", { session_id: callSid, status, sequence: params.SequenceNumber });
    if (
      TERMINAL_CALL_STATUSES.has(status) && !registry.end(callSid, "call_completed") && !registry.get(callSid)
    ) {
      deps.cluster?.feed.requestEnd(callSid, "call_completed");
    }
    return c.body(null, 204);
  });

  app.post("/stream/status", form, capped, async (c) => {
    const params = await signedParams(c, deps);
    if (params instanceof Response) return params;
    const fields = {
      session_id: params.CallSid,
      stream_sid: params.StreamSid,
      stream_event: params.StreamEvent,
    };
    if (params.StreamEvent === "stream-error") {
      log.warn("stream_error", { ...fields, error: params.StreamError });
    } else log.info("stream_status", fields);
    return c.body(null, 204);
  });

  return app;
}

/** Refuses (415) any webhook that is not a form post, before reading its body. */
function requireForm(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const contentType = c.req.header("content-type") ?? "";
    if (contentType.startsWith("application/x-www-form-urlencoded")) return await next();
    log.warn("webhook_rejected", { path: c.req.path, reason: "content type", content_type: contentType });
    return c.text("Expected application/x-www-form-urlencoded (a Twilio webhook).", 415);
  };
}

/**
 * Reads a form-encoded webhook body (already capped at {@linkcode MAX_WEBHOOK_BYTES} by the middleware)
 * and checks its signature. Returns the parameters, or the 403 response to send.
 */
async function signedParams(c: Context, deps: WebhookDeps): Promise<Record<string, string> | Response> {
  const body = await c.req.text();
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body)) params[name] = value;
  const url = deps.config.publicUrl + c.req.path + new URL(c.req.url).search;
  if (!isValidTwilioSignature(deps.authToken, c.req.header("x-twilio-signature"), url, params)) {
    deps.log.warn("webhook_rejected", {
      path: c.req.path,
      reason: c.req.header("x-twilio-signature") ? "signature does not match" : "signature missing",
      hint: "the signature is checked against PUBLIC_URL; make sure it is the URL Twilio calls",
    });
    return c.text("Forbidden: invalid Twilio signature.", 403);
  }
  return params;
}

/**
 * The customer's number as the voice webhook knows it (click-to-call's `dial_to` aside): the caller on a
 * call that came in, the called number on one we placed.
 */
function customerNumber(params: Record<string, string>): string | undefined {
  return params.Direction?.startsWith("outbound") ? params.To : params.From;
}

/** "+15551234567" → "4567"; null without 4 digits (a withheld number, a SIP or client address). */
export function lastFourDigits(number: string | undefined): string | null {
  const digits = (number ?? "").replace(/\D/g, "");
  return digits.length >= 4 ? digits.slice(-4) : null;
}

function agentTrackFor(requested: string | undefined, fallback: TrackName): TrackName | null {
  if (requested === undefined) return fallback;
  return requested === "inbound" || requested === "outbound" ? requested : null;
}

function conflict(c: Context, log: Logger, callSid: string, reason: string): Response {
  log.warn("webhook_rejected", { path: c.req.path, session_id: callSid, reason });
  return c.text(`Conflict: ${reason}.`, 409);
}

function badRequest(c: Context, log: Logger, reason: string): Response {
  log.warn("webhook_rejected", { path: c.req.path, reason });
  return c.text(`Bad request: ${reason}.`, 400);
}

/** The 413 answer once a body passes {@linkcode MAX_WEBHOOK_BYTES}, declared or counted while streaming. */
function tooLarge(c: Context, log: Logger): Response {
  log.warn("webhook_rejected", {
    path: c.req.path,
    reason: `body too large: over ${MAX_WEBHOOK_BYTES} bytes`,
    content_length: c.req.header("content-length") ?? null,
  });
  return c.text(
    `Payload too large: webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes (Twilio's are about 1 KB).`,
    413,
  );
}
