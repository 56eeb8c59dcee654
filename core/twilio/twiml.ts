/**
 * The TwiML the voice webhook answers with: fork both tracks to our media socket, then connect the call.
 *
 * `<Start><Stream>` forks the audio and Twilio goes straight on to the next verb, so it is always followed
 * by `<Dial>` (two-party call) or by a `<Say>` and a long `<Pause>` (a lone caller testing the line).
 * The stream URL carries no query string (Twilio does not support one): per-call data travels in the path
 * and in `<Parameter>`s, which come back in the `start` message's `customParameters`.
 *
 * @module
 */
import twilio from "twilio";
import type { TrackName } from "../protocol/twilio_messages.ts";

/** How long a lone caller may talk to themselves, in seconds. */
export const LONE_CALLER_PAUSE_S = 600;

/** What {@linkcode buildVoiceTwiml} needs. */
export interface VoiceTwimlOptions {
  /** Public base URL of this server, `https://…` (or `http://127.0.0.1…` locally). */
  publicUrl: string;
  callSid: string;
  /** Proof for the media socket that this stream was started by our webhook. */
  streamToken: string;
  /** Which track is the agent on this call; sent along so the media socket knows without a lookup. */
  agentTrack: TrackName;
  /** The last 4 digits of the customer's number, sent along to label the call on the page. */
  customerLast4?: string | null;
  /** Number to connect the caller to; without it the caller hears a short message and a long pause. */
  dialNumber?: string;
  /** Caller ID for the `<Dial>` (our Twilio number), when known. */
  callerId?: string;
}

/** The media socket URL for a call: `wss://HOST/ws/twilio/media/{CallSid}` (ws:// for a local http URL). */
export function mediaStreamUrl(publicUrl: string, callSid: string): string {
  const url = new URL(`/ws/twilio/media/${encodeURIComponent(callSid)}`, publicUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** Builds the voice webhook's TwiML answer. */
export function buildVoiceTwiml(options: VoiceTwimlOptions): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.start().stream({
    url: mediaStreamUrl(options.publicUrl, options.callSid),
    track: "both_tracks",
    statusCallback: new URL("/webhooks/twilio/stream/status", options.publicUrl).toString(),
    statusCallbackMethod: "POST",
  });
  stream.parameter({ name: "token", value: options.streamToken });
  stream.parameter({ name: "agent_track", value: options.agentTrack });
  if (options.customerLast4) stream.parameter({ name: "customer_last4", value: options.customerLast4 });
  if (options.dialNumber) {
    const dialOptions = options.callerId ? { callerId: options.callerId, answerOnBridge: true } : {};
    response.dial(dialOptions, options.dialNumber);
  } else {
    response.say("Live call coach is listening. Talk as if you were on a call; hang up when you are done.");
    response.pause({ length: LONE_CALLER_PAUSE_S });
  }
  return response.toString();
}
