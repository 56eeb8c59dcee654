/**
 * Twilio's side of the HTTP and socket exchanges, for the simulator: signed form-encoded webhooks, the
 * `<Start><Stream>` TwiML it reads back, and the signed media WebSocket (the messages on it are built by
 * core/protocol/twilio_messages.ts).
 *
 * Shapes follow Twilio's docs (digest in docs/protocol.md): `track` inside `media`; `sequenceNumber`,
 * `chunk` and `timestamp` are strings; one timestamp base shared by both tracks; per-track chunk counters;
 * the media WebSocket upgrade carries `x-twilio-signature` over the `wss://` (or `ws://`) URL with no params.
 *
 * @module
 */
import { signTwilioRequest } from "../core/twilio/signature.ts";

/** A failed exchange with the server, with what to check in the message. */
export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimulatorError";
  }
}

/** Where to send a webhook and which URL Twilio would have signed. */
export interface WebhookTarget {
  /** Base URL the request goes to, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Base URL Twilio knows the server by (the server's PUBLIC_URL); signatures are computed over it. */
  publicUrl: string;
  authToken: string;
}

/**
 * POSTs a form-encoded webhook as Twilio does, signed over `publicUrl + path` and the sorted params.
 *
 * @throws {SimulatorError} when the server cannot be reached.
 */
export async function postWebhook(
  target: WebhookTarget,
  path: string,
  params: Record<string, string>,
): Promise<Response> {
  const signature = signTwilioRequest(target.authToken, joinUrl(target.publicUrl, path), params);
  try {
    return await fetch(joinUrl(target.url, path), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-twilio-signature": signature,
        "user-agent": "TwilioProxy/1.1 (live-call-coach simulator)",
      },
      body: new URLSearchParams(params).toString(),
    });
  } catch (error) {
    throw new SimulatorError(
      `cannot reach the server at ${target.url} (${(error as Error).message}); is it running? ` +
        "Start it with `deno task start` or pass --url.",
    );
  }
}

/** Joins a base URL (no trailing slash needed) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

/** What the simulator needs from the voice webhook's TwiML. */
export interface StreamInstruction {
  /** The media WebSocket URL, exactly as in `<Stream url>`. */
  url: string;
  /** `<Stream track>` (Twilio's default is `inbound_track`). */
  track: string;
  /** `<Parameter>`s, which come back in `start.customParameters`. */
  parameters: Record<string, string>;
}

// Attributes are matched as whole quoted values, so a ">" inside a value (legal XML) does not end the tag.
const ATTRIBUTES = `((?:\\s+[^\\s=/>]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*`;
const START_ELEMENT = new RegExp(`<Start${ATTRIBUTES}>([\\s\\S]*?)</Start\\s*>`);
const STREAM_ELEMENT = new RegExp(`<Stream${ATTRIBUTES}(/>|>([\\s\\S]*?)</Stream\\s*>)`);
const PARAMETER_ELEMENT = new RegExp(`<Parameter${ATTRIBUTES}/?>`, "g");

/**
 * Reads the `<Start><Stream>` instruction from TwiML: the stream URL, its track and its parameters.
 * Tolerates attribute order, either quote style, self-closing tags, whitespace and XML escapes.
 *
 * @throws {SimulatorError} when there is no `<Stream url="…">` inside `<Start>`.
 */
export function parseStreamTwiml(xml: string): StreamInstruction {
  const start = START_ELEMENT.exec(xml);
  const stream = start && STREAM_ELEMENT.exec(start[2]);
  if (!stream) {
    throw new SimulatorError(`the voice webhook's TwiML has no <Start><Stream>: ${xml.slice(0, 300)}`);
  }
  const attributes = parseAttributes(stream[1]);
  if (!attributes.url) throw new SimulatorError(`<Stream> has no url attribute: ${stream[0].slice(0, 300)}`);
  const parameters: Record<string, string> = {};
  for (const match of (stream[3] ?? "").matchAll(PARAMETER_ELEMENT)) {
    const { name, value } = parseAttributes(match[1]);
    if (name !== undefined) parameters[name] = value ?? "";
  }
  return { url: attributes.url, track: attributes.track ?? "inbound_track", parameters };
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attributes[match[1]] = decodeXml(match[2] ?? match[3] ?? "");
  }
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity] ?? whole;
  });
}

/**
 * Opens the media WebSocket as Twilio does: to `connectUrl` (the stream URL, possibly re-pointed at a
 * local address), with `x-twilio-signature` computed over `streamUrl` (the URL from the TwiML).
 *
 * @throws {SimulatorError} when the socket does not open (refused, 403 from a bad signature, ...).
 */
export function openMediaSocket(
  connectUrl: string,
  streamUrl: string,
  authToken: string,
): Promise<WebSocket> {
  const signature = signTwilioRequest(authToken, streamUrl, {});
  const socket = new WebSocketWithHeaders(connectUrl, { headers: { "x-twilio-signature": signature } });
  return openedSocket(socket, connectUrl, "the media socket");
}

/**
 * Deno's `WebSocket` constructor takes handshake headers in an options object (`WebSocketOptions`,
 * non-standard); the project's "dom" lib hides that overload from the type checker, hence the cast.
 */
export const WebSocketWithHeaders = WebSocket as unknown as new (
  url: string,
  options: { headers: HeadersInit },
) => WebSocket;

/** Resolves when `socket` opens; rejects with a clear error if it fails or closes first. */
export function openedSocket(socket: WebSocket, url: string, what: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      socket.onopen = socket.onerror = socket.onclose = null;
      reject(new SimulatorError(`could not open ${what} at ${url}: ${why}`));
    };
    socket.onopen = () => {
      socket.onopen = socket.onerror = socket.onclose = null;
      resolve(socket);
    };
    socket.onerror = (event) => fail(event instanceof ErrorEvent ? event.message : "connection error");
    socket.onclose = (event) => fail(`closed with ${event.code} ${event.reason}`);
  });
}
