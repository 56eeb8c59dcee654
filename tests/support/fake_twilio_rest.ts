/**
 * A fake Twilio REST API on loopback for tests: the account, incoming phone numbers and calls endpoints of
 * `/2010-04-01`, with Basic auth checked like Twilio does, realistic JSON answers and every request recorded.
 *
 * @module
 */
import { createTwilioRestClient, type TwilioRestClient } from "../../lib/twilio_rest.ts";

/** A well-formed Account SID for tests. */
export const TEST_ACCOUNT_SID = "AC" + "a1".repeat(16);
/** An auth token for tests. */
export const TEST_AUTH_TOKEN = "0123456789abcdef0123456789abcdef";

/** One request the fake API received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Form fields; a repeated field keeps every value. */
  form: Record<string, string | string[]>;
  authorization: string | null;
}

/** A phone number on the fake account. */
export interface FakeNumber {
  sid: string;
  phone_number: string;
  voice_url: string;
  voice_method: string;
  status_callback: string;
  status_callback_method: string;
}

/** Options for {@linkcode FakeTwilioRest.start}. */
export interface FakeTwilioRestOptions {
  accountSid?: string;
  authToken?: string;
  numbers?: Partial<FakeNumber>[];
  /** Verified caller IDs (trial accounts can only call these). */
  verifiedCallerIds?: string[];
  /** When set, creating a call answers this Twilio error (status, code, message) instead. */
  callError?: { status: number; code: number; message: string };
}

/** The fake API server. */
export class FakeTwilioRest {
  readonly requests: RecordedRequest[] = [];
  readonly numbers: FakeNumber[];

  private constructor(
    private readonly server: Deno.HttpServer<Deno.NetAddr>,
    readonly url: string,
    readonly accountSid: string,
    readonly authToken: string,
    numbers: FakeNumber[],
  ) {
    this.numbers = numbers;
  }

  /** Starts the fake API on an ephemeral loopback port. */
  static start(options: FakeTwilioRestOptions = {}): FakeTwilioRest {
    const accountSid = options.accountSid ?? TEST_ACCOUNT_SID;
    const authToken = options.authToken ?? TEST_AUTH_TOKEN;
    const numbers = (options.numbers ?? []).map((n, i) => ({
      sid: "PN" + String(i).padStart(32, "0"),
      phone_number: "+15550000000",
      voice_url: "https://demo.twilio.com/welcome/voice/",
      voice_method: "POST",
      status_callback: "",
      status_callback_method: "POST",
      ...n,
    }));
    // The handler needs the instance, and the instance needs the server's port.
    const ref: { fake?: FakeTwilioRest } = {};
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => ref.fake!.handle(request, options),
    );
    ref.fake = new FakeTwilioRest(
      server,
      `http://127.0.0.1:${server.addr.port}`,
      accountSid,
      authToken,
      numbers,
    );
    return ref.fake;
  }

  /** A real twilio-node client pointed at this fake (with the given credentials, default the right ones). */
  client(credentials: { accountSid?: string; authToken?: string } = {}): TwilioRestClient {
    return createTwilioRestClient({
      accountSid: credentials.accountSid ?? this.accountSid,
      authToken: credentials.authToken ?? this.authToken,
      apiBaseUrl: this.url,
    });
  }

  /** Requests as `METHOD /path`, for compact assertions. */
  lines(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  async stop(): Promise<void> {
    await this.server.shutdown();
  }

  private async handle(request: Request, options: FakeTwilioRestOptions): Promise<Response> {
    const url = new URL(request.url);
    const form: Record<string, string | string[]> = {};
    if (request.method === "POST") {
      for (const [name, value] of new URLSearchParams(await request.text())) {
        const seen = form[name];
        form[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
    }
    this.requests.push({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form,
      authorization: request.headers.get("authorization"),
    });

    if (request.headers.get("authorization") !== "Basic " + btoa(`${this.accountSid}:${this.authToken}`)) {
      return twilioError(401, 20003, "Authenticate");
    }
    const base = `/2010-04-01/Accounts/${this.accountSid}`;
    if (request.method === "GET" && url.pathname === `${base}.json`) {
      return json(200, this.account());
    }
    if (request.method === "GET" && url.pathname === `${base}/IncomingPhoneNumbers.json`) {
      const wanted = url.searchParams.get("PhoneNumber");
      const found = this.numbers.filter((n) => wanted === null || n.phone_number === wanted);
      return json(200, {
        first_page_uri: `${base}/IncomingPhoneNumbers.json?PageSize=50&Page=0`,
        end: Math.max(found.length - 1, 0),
        previous_page_uri: null,
        incoming_phone_numbers: found.map((n) => this.numberJson(n)),
        uri: `${base}/IncomingPhoneNumbers.json${url.search}`,
        page_size: 50,
        start: 0,
        next_page_uri: null,
        page: 0,
      });
    }
    const numberPath = new RegExp(`^${base}/IncomingPhoneNumbers/(PN[0-9a-f]{32})\\.json$`).exec(
      url.pathname,
    );
    if (request.method === "POST" && numberPath) {
      const number = this.numbers.find((n) => n.sid === numberPath[1]);
      if (!number) return twilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
      const fields: [keyof FakeNumber, string][] = [
        ["voice_url", "VoiceUrl"],
        ["voice_method", "VoiceMethod"],
        ["status_callback", "StatusCallback"],
        ["status_callback_method", "StatusCallbackMethod"],
      ];
      for (const [key, param] of fields) if (typeof form[param] === "string") number[key] = form[param];
      return json(200, this.numberJson(number));
    }
    if (request.method === "GET" && url.pathname === `${base}/OutgoingCallerIds.json`) {
      const wanted = url.searchParams.get("PhoneNumber");
      const ids = (options.verifiedCallerIds ?? []).filter((n) => wanted === null || n === wanted);
      return json(200, {
        first_page_uri: `${base}/OutgoingCallerIds.json?PageSize=50&Page=0`,
        end: Math.max(ids.length - 1, 0),
        previous_page_uri: null,
        outgoing_caller_ids: ids.map((phone, i) => ({
          account_sid: this.accountSid,
          date_created: "Mon, 16 Nov 2026 09:55:00 +0000",
          date_updated: "Mon, 16 Nov 2026 09:55:00 +0000",
          friendly_name: phone,
          phone_number: phone,
          sid: "PN" + String(90 + i).padStart(32, "0"),
          uri: `${base}/OutgoingCallerIds/PN${String(90 + i).padStart(32, "0")}.json`,
        })),
        uri: `${base}/OutgoingCallerIds.json${url.search}`,
        page_size: 50,
        start: 0,
        next_page_uri: null,
        page: 0,
      });
    }
    if (request.method === "POST" && url.pathname === `${base}/Calls.json`) {
      if (options.callError) {
        const { status, code, message } = options.callError;
        return twilioError(status, code, message);
      }
      return json(201, this.callJson(form));
    }
    return twilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
  }

  private account() {
    return {
      sid: this.accountSid,
      owner_account_sid: this.accountSid,
      friendly_name: "My first Twilio account",
      status: "active",
      type: "Trial",
      date_created: "Mon, 16 Nov 2026 10:00:00 +0000",
      date_updated: "Mon, 16 Nov 2026 10:00:00 +0000",
      auth_token: this.authToken,
      uri: `/2010-04-01/Accounts/${this.accountSid}.json`,
      subresource_uris: {},
    };
  }

  private numberJson(n: FakeNumber) {
    return {
      account_sid: this.accountSid,
      address_requirements: "none",
      api_version: "2010-04-01",
      beta: false,
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      date_created: "Mon, 16 Nov 2026 10:05:00 +0000",
      date_updated: "Mon, 16 Nov 2026 10:05:00 +0000",
      friendly_name: n.phone_number,
      phone_number: n.phone_number,
      origin: "twilio",
      sid: n.sid,
      sms_method: "POST",
      sms_url: "https://demo.twilio.com/welcome/sms/reply",
      status_callback: n.status_callback,
      status_callback_method: n.status_callback_method,
      voice_caller_id_lookup: false,
      voice_fallback_method: "POST",
      voice_fallback_url: null,
      voice_method: n.voice_method,
      voice_url: n.voice_url,
      status: "in-use",
      uri: `/2010-04-01/Accounts/${this.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }

  private callJson(form: Record<string, string | string[]>) {
    const sid = "CA" + [...crypto.getRandomValues(new Uint8Array(16))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return {
      account_sid: this.accountSid,
      answered_by: null,
      api_version: "2010-04-01",
      caller_name: null,
      date_created: null,
      date_updated: null,
      direction: "outbound-api",
      duration: null,
      end_time: null,
      from: form.From,
      from_formatted: form.From,
      parent_call_sid: null,
      phone_number_sid: this.numbers[0]?.sid ?? null,
      price: null,
      price_unit: "USD",
      sid,
      start_time: null,
      status: "queued",
      to: form.To,
      to_formatted: form.To,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${sid}.json`,
    };
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function twilioError(status: number, code: number, message: string): Response {
  return json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
