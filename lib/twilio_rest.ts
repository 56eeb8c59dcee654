/**
 * The Twilio REST client used by `deno task live`, `deno task twilio:check` and click-to-call.
 *
 * It is the `twilio` npm client with its HTTP layer replaced by `fetch`: the same code path runs against
 * `https://api.twilio.com` in production and against a fake API on loopback in tests (`apiBaseUrl`).
 *
 * @example
 * ```ts
 * const client = createTwilioRestClient({ accountSid: "AC…", authToken: "…" });
 * const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: "+15551234567" });
 * ```
 *
 * @module
 */
import twilio from "twilio";

/** A Twilio REST client (what `twilio(accountSid, authToken)` returns). */
export type TwilioRestClient = ReturnType<typeof twilio>;

type ClientOptions = NonNullable<Parameters<typeof twilio>[2]>;
type HttpClient = NonNullable<ClientOptions["httpClient"]>;
type RequestOptions = Parameters<HttpClient["request"]>[0];

/** How long one REST request may take before it fails. */
export const TWILIO_REQUEST_TIMEOUT_MS = 15_000;

/** Options for {@linkcode createTwilioRestClient}. */
export interface TwilioRestOptions {
  accountSid: string;
  authToken: string;
  /**
   * Send every request to this base URL instead of `https://*.twilio.com` (path and query kept).
   * Only tests set it, to reach a fake API on loopback.
   */
  apiBaseUrl?: string;
  /** Per-request timeout in ms (default {@linkcode TWILIO_REQUEST_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** Creates a Twilio REST client that talks HTTP through `fetch`. */
export function createTwilioRestClient(options: TwilioRestOptions): TwilioRestClient {
  const httpClient = fetchHttpClient(options) as unknown as HttpClient;
  return twilio(options.accountSid, options.authToken, { httpClient });
}

/**
 * The part of twilio-node's `RequestClient` the client calls: `request(opts)` resolving to
 * `{ statusCode, body, headers }`. Error statuses are returned, not thrown: twilio-node turns them into
 * a `RestException` carrying Twilio's message and code.
 */
export function fetchHttpClient(options: Pick<TwilioRestOptions, "apiBaseUrl" | "timeoutMs"> = {}) {
  return {
    async request(opts: RequestOptions) {
      const url = new URL(opts.uri);
      if (options.apiBaseUrl) {
        const base = new URL(options.apiBaseUrl);
        url.protocol = base.protocol;
        url.host = base.host;
      }
      appendParams(url.searchParams, opts.params);

      const headers = new Headers();
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        // fetch manages connections itself; twilio-node's Connection header is for its own agent.
        if (name.toLowerCase() !== "connection" && value !== undefined) headers.set(name, String(value));
      }
      if (opts.username && opts.password) {
        headers.set("authorization", "Basic " + btoa(`${opts.username}:${opts.password}`));
      } else if (opts.authStrategy) {
        headers.set("authorization", await opts.authStrategy.getAuthString());
      }

      let body: string | undefined;
      if (opts.data !== undefined && opts.data !== null) {
        if (headers.get("content-type") === "application/json") body = JSON.stringify(opts.data);
        else {
          const form = new URLSearchParams();
          appendParams(form, opts.data);
          body = form.toString();
        }
      }

      const response = await fetch(url, {
        method: opts.method.toUpperCase(),
        headers,
        body,
        redirect: opts.allowRedirects ? "follow" : "manual",
        signal: AbortSignal.timeout(opts.timeout ?? options.timeoutMs ?? TWILIO_REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const isJson = (response.headers.get("content-type") ?? "").includes("json");
      return {
        statusCode: response.status,
        body: isJson && text ? JSON.parse(text) : text,
        headers: Object.fromEntries(response.headers),
      };
    },
  };
}

/** Appends form/query values the way Twilio expects: arrays repeat the name, dates are ISO, nullish skipped. */
function appendParams(target: URLSearchParams, params: unknown): void {
  if (params === undefined || params === null) return;
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      target.append(name, item instanceof Date ? item.toISOString() : String(item));
    }
  }
}

/** A short, human-readable description of an error thrown by the Twilio client or by `fetch`. */
export function describeTwilioError(error: unknown): string {
  if (error instanceof Error && "status" in error && typeof error.status === "number") {
    const code = "code" in error && error.code !== undefined ? `, Twilio error ${error.code}` : "";
    const more = "moreInfo" in error && typeof error.moreInfo === "string" ? ` (see ${error.moreInfo})` : "";
    return `Twilio API answered HTTP ${error.status}${code}: ${error.message}${more}`;
  }
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return "the Twilio API did not answer in time (network problem?)";
  }
  return `could not reach the Twilio API: ${error instanceof Error ? error.message : String(error)}`;
}

/** The HTTP status of a Twilio API error, when the error came from the API. */
export function twilioErrorStatus(error: unknown): number | undefined {
  return error instanceof Error && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}
