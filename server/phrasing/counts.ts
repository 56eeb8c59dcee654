/**
 * What the AI phrasing counts, for `/health` (under `phrasing`) and for the log: requests, tips in the model's
 * words, fallbacks by reason, timeouts. The log line (`phrasing_stats`) comes at most once a minute, and only
 * when something changed, so an idle server stays quiet.
 *
 * @module
 */
import type { Logger } from "../../core/log.ts";
import type { AnswerProblem } from "./answer.ts";
import type { ModelFailure } from "./model.ts";

/** Why a tip was shown in the rule table's words although the phrasing is on. */
export type FallbackReason =
  | Exclude<ModelFailure, "aborted">
  | AnswerProblem
  | "busy"
  | "breaker_open"
  | "superseded"
  | "call_ended";

/** The phrasing's counts and state, as `/health` shows them under `phrasing`. */
export interface PhrasingHealth {
  enabled: true;
  /** Requests sent to the model. */
  requests: number;
  /** Tips shown in the model's words. */
  phrased: number;
  /** Tips shown in the rule table's words although phrasing is on, with `fallback_reasons`. */
  fallbacks: number;
  fallback_reasons: Partial<Record<FallbackReason, number>>;
  /** Requests that had no answer within `COACH_LLM_TIMEOUT_MS`. */
  timeouts: number;
  in_flight: number;
  max_in_flight: number;
  breaker: "open" | "closed";
  /** How often the breaker opened. */
  breaker_opened: number;
}

/** The counts are logged at most this often. */
const STATS_LOG_MS = 60_000;

/** Counters since the server started. */
export class PhrasingCounts {
  requests = 0;
  phrased = 0;
  fallbacks = 0;
  timeouts = 0;
  readonly #reasons: Partial<Record<FallbackReason, number>> = {};
  #loggedAt: number;
  #logged = "";

  /** `now`: when counting starts (wall ms); the first log line comes a minute later at the earliest. */
  constructor(now: number) {
    this.#loggedAt = now;
  }

  fallback(reason: FallbackReason): void {
    this.fallbacks++;
    this.#reasons[reason] = (this.#reasons[reason] ?? 0) + 1;
  }

  get reasons(): Partial<Record<FallbackReason, number>> {
    return { ...this.#reasons };
  }

  /** Logs `counts` as `phrasing_stats` if a minute has passed since the last line and they changed. */
  logEveryMinute(now: number, log: Logger, counts: Record<string, unknown>): void {
    if (now - this.#loggedAt < STATS_LOG_MS) return;
    const text = JSON.stringify(counts);
    if (text === this.#logged) return;
    this.#loggedAt = now;
    this.#logged = text;
    log.info("phrasing_stats", counts);
  }
}
