/**
 * The AI phrasing's circuit breaker: after `failures` failed requests in a row the model is skipped for
 * `openMs` (every tip then gets its fixed words at once, and costs nothing), then tried again. A success
 * resets the count. Opening and closing are reported through `onChange`, so they can be logged.
 *
 * Time is the injected wall clock; the breaker keeps no timer. It closes when it is next asked after
 * `openMs`, i.e. with the first tip after the pause.
 *
 * @module
 */

/** Options for {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failures in a row that open it. */
  failures: number;
  /** How long it stays open, ms. */
  openMs: number;
  /** Wall clock, ms. */
  now: () => number;
  onChange: (change: { state: "open" | "closed"; openForMs: number }) => void;
}

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #failures = 0;
  #openedAt: number | null = null;
  /** How often it opened. */
  opened = 0;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  /** Whether a request may go out now (closes the breaker when its pause is over). */
  allows(): boolean {
    if (this.#openedAt === null) return true;
    const openForMs = this.#options.now() - this.#openedAt;
    if (openForMs < this.#options.openMs) return false;
    this.#openedAt = null;
    this.#failures = 0;
    this.#options.onChange({ state: "closed", openForMs });
    return true;
  }

  get state(): "open" | "closed" {
    return this.#openedAt === null ? "closed" : "open";
  }

  succeeded(): void {
    this.#failures = 0;
  }

  failed(): void {
    if (this.#openedAt !== null) return;
    if (++this.#failures < this.#options.failures) return;
    this.#openedAt = this.#options.now();
    this.opened++;
    this.#options.onChange({ state: "open", openForMs: 0 });
  }
}
