/**
 * A fake OpenAI-compatible chat completions server on loopback (`Deno.serve` on 127.0.0.1, a port from the
 * OS), for the AI phrasing's tests and the benchmark: each request is recorded (path, headers, JSON body) and
 * answered as the test says: a good answer, an error status, a body that is not JSON, after a delay, or
 * never (until the client gives up or the server closes).
 *
 * @module
 */

/** How to answer one request. */
export interface FakeReply {
  /** Wait this long first (ms). */
  delayMs?: number;
  /** Never answer: hold the request until the client aborts it or the server closes. */
  hang?: boolean;
  /** HTTP status (default 200). */
  status?: number;
  /** The answer's text, wrapped in a chat completion. */
  content?: string | null;
  /** A raw body instead of a chat completion (e.g. not JSON). */
  raw?: string;
}

/** One request as the fake server received it. */
export interface FakeRequest {
  path: string;
  headers: Headers;
  /** The parsed JSON body. */
  body: { model: string; messages: { role: string; content: string }[]; [key: string]: unknown };
  /** The body as sent. */
  text: string;
}

/** A chat completion answering `content`, as OpenAI-compatible servers write it. */
export function chatCompletion(content: string | null): object {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model: "fake",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** The fake server. */
export class FakeModel {
  readonly requests: FakeRequest[] = [];
  /** Requests being answered right now (a hanging one stays until aborted). */
  open = 0;
  readonly #server: Deno.HttpServer;
  readonly #closing = new AbortController();

  private constructor(reply: (request: FakeRequest, index: number) => FakeReply) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const text = await request.text();
        const recorded: FakeRequest = {
          path: new URL(request.url).pathname,
          headers: request.headers,
          body: JSON.parse(text),
          text,
        };
        this.requests.push(recorded);
        const answer = reply(recorded, this.requests.length - 1);
        this.open++;
        try {
          const gone = [request.signal, this.#closing.signal];
          if (answer.hang) await aborted(gone);
          else if (answer.delayMs) await sleep(answer.delayMs, gone);
          const body = answer.raw ?? JSON.stringify(chatCompletion(answer.content ?? null));
          return new Response(body, {
            status: answer.status ?? 200,
            headers: { "content-type": "application/json" },
          });
        } finally {
          this.open--;
        }
      },
    );
  }

  /** Starts a fake answering each request with `reply(request, index)`. */
  static start(reply: (request: FakeRequest, index: number) => FakeReply): FakeModel {
    return new FakeModel(reply);
  }

  /** The base URL to configure (`COACH_LLM_BASE_URL`). */
  get url(): string {
    return `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}/v1`;
  }

  /** The JSON of each request's user message (the facts about the tip). */
  facts(): Record<string, unknown>[] {
    return this.requests.map((r) => JSON.parse(r.body.messages.find((m) => m.role === "user")!.content));
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.#server.shutdown();
  }
}

/**
 * Resolves when any of `signals` aborts: the server closes, or the client went away (Deno 2.9's server does
 * not always notice a client that closes the connection after sending a larger body, so a hanging request
 * may only end with `close`).
 */
function aborted(signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of signals) {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    }
  });
}

async function sleep(ms: number, signals: AbortSignal[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([new Promise<void>((resolve) => timer = setTimeout(resolve, ms)), aborted(signals)]);
  clearTimeout(timer);
}
