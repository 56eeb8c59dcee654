/**
 * The model behind the optional AI phrasing: any OpenAI-compatible chat completions endpoint (OpenAI, a local
 * Ollama or llama.cpp server), through the `openai` package with no retries, a hard timeout and an abort
 * signal. The answer's shape is checked with zod; its words are checked by `answer.ts`.
 *
 * @module
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { z } from "zod";
import type { PhrasingSettings } from "../../core/config.ts";
import type { ChatRequest } from "./prompt.ts";

/** Asks a model for the words of one tip. */
export interface ChatModel {
  /**
   * The answer's text. Rejects with a {@linkcode ModelError} on a timeout, an HTTP error, an answer of the
   * wrong shape, an unreachable server, or `signal` aborting.
   */
  complete(request: ChatRequest, signal: AbortSignal): Promise<string>;
}

/** How a request failed. */
export type ModelFailure = "timeout" | "http_error" | "malformed" | "unreachable" | "aborted";

/** A failed request, with what kind of failure it was. The message never carries the API key. */
export class ModelError extends Error {
  constructor(readonly failure: ModelFailure, message: string) {
    super(message);
    this.name = "ModelError";
  }
}

/** The part of a chat completion the phrasing reads. */
const ChatCompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** Options for {@linkcode openAiChatModel}. */
export interface OpenAiChatModelOptions {
  /** The transport (default: the global `fetch`). */
  fetch?: typeof fetch;
}

/** A {@linkcode ChatModel} on `settings.baseUrl`, waiting at most `settings.timeoutMs` for an answer. */
export function openAiChatModel(settings: PhrasingSettings, options: OpenAiChatModelOptions = {}): ChatModel {
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    // The package wants a key; a local server needs none, so it gets none: no Authorization header at all.
    apiKey: settings.apiKey ?? "unused",
    defaultHeaders: settings.apiKey === undefined ? { Authorization: null } : undefined,
    maxRetries: 0,
    timeout: settings.timeoutMs,
    fetch: options.fetch,
    // Failures are ours to log (server/phrasing/phraser.ts), as JSON lines and without the key.
    logLevel: "off",
  });
  const redact = (text: string) => redactKey(text, settings.apiKey);
  return {
    async complete(request, signal) {
      let answer: unknown;
      try {
        // The timeout is the client's: with a per-request `timeout` (openai 7.60 on Deno) an abort rejects the
        // promise but leaves the HTTP request running, holding a slot of the model server.
        answer = await client.chat.completions.create({ ...request, stream: false }, {
          signal,
          maxRetries: 0,
        });
      } catch (error) {
        throw modelError(error, redact);
      }
      const parsed = ChatCompletionSchema.safeParse(answer);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ModelError(
          "malformed",
          `not a chat completion: ${issue?.path.join(".")}: ${issue?.message}`,
        );
      }
      return parsed.data.choices[0].message.content ?? "";
    },
  };
}

function modelError(error: unknown, redact: (text: string) => string): ModelError {
  const message = redact(error instanceof Error ? error.message : String(error)).slice(0, 300);
  if (error instanceof APIUserAbortError) return new ModelError("aborted", message);
  if (error instanceof APIConnectionTimeoutError) return new ModelError("timeout", message);
  if (error instanceof APIError && error.status !== undefined) {
    return new ModelError("http_error", `HTTP ${error.status}: ${message}`);
  }
  if (error instanceof APIError) return new ModelError("unreachable", message);
  // The body was not JSON (the package's parse failed) or something unforeseen.
  return new ModelError("malformed", message);
}

/** `text` without the API key, nor anything shaped like one (a server may quote part of a wrong key). */
export function redactKey(text: string, apiKey: string | undefined): string {
  const bare = apiKey ? text.replaceAll(apiKey, "[key]") : text;
  return bare.replace(/\b(sk|key|api)[-_][\w*.-]{6,}/gi, "[key]");
}
