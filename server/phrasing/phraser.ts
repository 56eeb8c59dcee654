/**
 * The optional AI phrasing of tips: a stage between a call's rule engine and its pages (see
 * core/session/tip_stage.ts) that asks a language model to reword each tip, and never delays it.
 *
 * For each tip, at most one request (`prompt.ts` builds it: no identifiers, nothing anyone said). The tip is
 * shown in the model's words if a good answer (`answer.ts`) comes within `timeoutMs`, else in the rule
 * table's words; a tip over the process's cap of requests in flight, or while the circuit breaker is open,
 * gets the rule table's words at once. Nothing else of the call waits: metrics go straight to the pages, and
 * the audio and the rules run on their own thread. Within a call tips keep their order: a new tip first shows
 * the one still waiting in the rules' words, and so does the call's end, before `call_ended`.
 *
 * Counts of requests, answers shown, fallbacks (by reason), timeouts and the breaker's state are on `/health`
 * (`health()`) and logged once a minute while there is news (`tick`); the breaker's opening and closing and
 * every failed request are logged as they happen. The API key is never logged.
 *
 * @example
 * ```ts
 * const phraser = new SuggestionPhraser({ settings: config.phrasing!, log, now: Date.now });
 * const registry = new SessionRegistry({ ...config, now, log, tipStages: (id) => phraser.stage(id) });
 * ```
 *
 * @module
 */
import type { Suggestion } from "../../core/coaching/types.ts";
import { RULES } from "../../core/coaching/rules.ts";
import type { PhrasingSettings } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import type { SuggestionType } from "../../core/protocol/ui_messages.ts";
import { rulesWording, type TipStage, type TipWording } from "../../core/session/tip_stage.ts";
import { checkAnswer } from "./answer.ts";
import { CircuitBreaker } from "./breaker.ts";
import { type FallbackReason, PhrasingCounts, type PhrasingHealth } from "./counts.ts";
import { type ChatModel, ModelError, type ModelFailure, openAiChatModel } from "./model.ts";
import { chatRequest } from "./prompt.ts";

/** Failed requests in a row that open the breaker. */
export const BREAKER_FAILURES = 3;
/** How long the model is skipped once the breaker opens. */
export const BREAKER_OPEN_MS = 60_000;
/** Options for {@linkcode SuggestionPhraser}. */
export interface SuggestionPhraserOptions {
  settings: PhrasingSettings;
  log: Logger;
  /** Wall clock, ms (the breaker's pause). */
  now: () => number;
  /** The transport to the model (default: the global `fetch`). */
  fetch?: typeof fetch;
}

/** A tip waiting for the model. */
interface Pending {
  tip: Suggestion;
  deliver: (wording: TipWording) => void;
  controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

/** What the phrasing remembers of one call. */
interface CallState {
  sessionId: string;
  /** Words of the last two tips shown. */
  lastShown: string[];
  /** Words each rule showed last. */
  lastByRule: Map<SuggestionType, string>;
  pending: Pending | null;
  closed: boolean;
}

/** The rule table's fixed wordings of each rule: an answer that copies one adds nothing. */
const FIXED_WORDINGS = new Map<SuggestionType, string[]>(
  RULES.map((rule) => [rule.type, rule.messages.filter((m): m is string => typeof m === "string")]),
);

/** The AI phrasing of one server process: its model, its cap, its breaker and its counts. */
export class SuggestionPhraser {
  readonly #settings: PhrasingSettings;
  readonly #log: Logger;
  readonly #model: ChatModel;
  readonly #breaker: CircuitBreaker;
  readonly #counts: PhrasingCounts;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: SuggestionPhraserOptions) {
    this.#settings = options.settings;
    this.#log = options.log;
    this.#model = openAiChatModel(options.settings, { fetch: options.fetch });
    this.#counts = new PhrasingCounts(options.now());
    this.#breaker = new CircuitBreaker({
      failures: BREAKER_FAILURES,
      openMs: BREAKER_OPEN_MS,
      now: options.now,
      onChange: ({ state, openForMs }) => {
        if (state === "open") {
          this.#log.warn("phrasing_breaker_opened", {
            failures_in_a_row: BREAKER_FAILURES,
            skip_model_s: BREAKER_OPEN_MS / 1000,
          });
        } else this.#log.info("phrasing_breaker_closed", { open_s: Math.round(openForMs / 1000) });
      },
    });
  }

  /** A call's stage (`sessionId` is for the logs only: it is never sent to the model). */
  stage(sessionId: string): TipStage {
    const call: CallState = { sessionId, lastShown: [], lastByRule: new Map(), pending: null, closed: false };
    return {
      submit: (tip, show) => this.#submit(call, tip, show),
      close: () => {
        call.closed = true;
        if (call.pending) this.#fallBack(call, call.pending, "call_ended");
      },
    };
  }

  /** The counts and the breaker's state. */
  health(): PhrasingHealth {
    const counts = this.#counts;
    return {
      enabled: true,
      requests: counts.requests,
      phrased: counts.phrased,
      fallbacks: counts.fallbacks,
      fallback_reasons: counts.reasons,
      timeouts: counts.timeouts,
      in_flight: this.#inFlight,
      max_in_flight: this.#settings.maxInFlight,
      breaker: this.#breaker.state,
      breaker_opened: this.#breaker.opened,
    };
  }

  /**
   * Called about once a second by the server: closes the breaker when its pause is over (and logs it), and
   * logs the counts once a minute when they changed.
   */
  tick(now: number): void {
    if (this.#breaker.state === "open") this.#breaker.allows();
    const { in_flight: _, ...counts } = this.health();
    this.#counts.logEveryMinute(now, this.#log, counts);
  }

  /** Resolves once no request is in flight (requests of ended calls are aborted, so this is soon). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #submit(call: CallState, tip: Suggestion, show: (wording: TipWording) => void): void {
    if (call.pending) this.#fallBack(call, call.pending, "superseded");
    const deliver = (wording: TipWording) => {
      call.lastShown = [...call.lastShown, wording.message].slice(-2);
      call.lastByRule.set(tip.type, wording.message);
      show(wording);
    };
    const pending: Pending = {
      tip,
      deliver,
      controller: new AbortController(),
      timer: undefined,
      settled: false,
    };
    if (call.closed) return this.#fallBack(call, pending, "call_ended");
    if (!this.#breaker.allows()) return this.#fallBack(call, pending, "breaker_open");
    if (this.#inFlight >= this.#settings.maxInFlight) return this.#fallBack(call, pending, "busy");

    call.pending = pending;
    const request = chatRequest(this.#settings.model, this.#settings.language, tip, call.lastShown);
    // The hard deadline: past it the tip is shown in the rules' words whatever the request is doing.
    pending.timer = setTimeout(
      () => this.#failed(call, pending, "timeout", "no answer in time"),
      this.#settings.timeoutMs,
    );
    this.#inFlight++;
    this.#counts.requests++;
    this.#model.complete(request, pending.controller.signal)
      .then(
        (content) => this.#answered(call, pending, content),
        (error) => {
          const failure = error instanceof ModelError ? error.failure : "malformed";
          if (failure === "aborted") return; // we aborted it, after showing the tip
          this.#failed(call, pending, failure, error instanceof Error ? error.message : String(error));
        },
      )
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0) { for (const resolve of this.#idleWaiters.splice(0)) resolve(); }
      });
  }

  #answered(call: CallState, pending: Pending, content: string): void {
    if (pending.settled) return; // too late: the tip was shown already
    const check = checkAnswer(content, {
      language: this.#settings.language,
      fixedWordings: [...FIXED_WORDINGS.get(pending.tip.type) ?? [], pending.tip.message],
      previous: call.lastByRule.get(pending.tip.type) ?? null,
    });
    if (check.ok) {
      this.#breaker.succeeded();
      return this.#showModelWords(call, pending, check.text);
    }
    // A repeat or a copy of the rules' words is a working model with nothing new to say; anything else is not
    // a usable answer, and counts towards the breaker.
    if (check.problem === "repeat" || check.problem === "same_as_fixed") this.#breaker.succeeded();
    else this.#breaker.failed();
    this.#fallBack(call, pending, check.problem);
  }

  #failed(
    call: CallState,
    pending: Pending,
    failure: Exclude<ModelFailure, "aborted">,
    message: string,
  ): void {
    if (pending.settled) return;
    if (failure === "timeout") this.#counts.timeouts++;
    this.#log.warn("phrasing_failed", {
      session_id: call.sessionId,
      type: pending.tip.type,
      failure,
      error: message,
    });
    this.#breaker.failed();
    this.#fallBack(call, pending, failure);
  }

  /** Shows a waiting tip in the model's words. */
  #showModelWords(call: CallState, pending: Pending, text: string): void {
    if (!this.#settle(call, pending)) return;
    this.#counts.phrased++;
    pending.deliver({ message: text, phrasedBy: "model" });
  }

  /** Shows a tip in the rules' words, for `reason`; a request still running is of no use any more. */
  #fallBack(call: CallState, pending: Pending, reason: FallbackReason): void {
    if (!this.#settle(call, pending)) return;
    pending.controller.abort(); // frees the model and our cap at once
    this.#counts.fallback(reason);
    this.#log.debug("phrasing_fallback", { session_id: call.sessionId, type: pending.tip.type, reason });
    pending.deliver(rulesWording(pending.tip));
  }

  /** Marks a tip as shown; false if it was already (each tip is shown once). */
  #settle(call: CallState, pending: Pending): boolean {
    if (pending.settled) return false;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (call.pending === pending) call.pending = null;
    return true;
  }
}
