/**
 * Which frames were analysed within the real-time budget when the server analyses on a second thread.
 *
 * A frame is then done in two steps: the socket thread reads it (the probe measures how late that was
 * against when it was due), then it waits in a queue until the analysis thread takes it (the server
 * counts those waits, per ms). The two are not paired frame by frame, so each frame is charged the longest
 * wait of its 100 ms interval and of the next one (a frame arriving late in one interval is analysed in the
 * next). That never undercharges a frame: waits are first in, first out, so a frame whose own wait runs
 * past the next interval makes that interval's longest wait exceed the budget by itself. An interval in
 * which nothing was analysed while frames were waiting (more added than analysed so far) counts as an
 * endless wait.
 *
 * @module
 */

/** Intervals the frames are grouped by, ms. */
export const INTERVAL_MS = 100;

/** Counts frames within a budget of socket lateness plus analysis wait. */
export class TwoStageBudget {
  readonly #budgetMs: number;
  /** Socket lateness of the open interval's frames, per whole ms up to the budget, then one overflow. */
  #current: Float64Array;
  #currentFrames = 0;
  /** The interval before it, whose frames may still be waiting, and the longest wait seen in it. */
  #pending: Float64Array;
  #pendingFrames = 0;
  #pendingWait = 0;
  #hasPending = false;
  #within = 0;
  /** Frames added but not yet analysed, as far as the counts tell (never below 0). */
  #waiting = 0;

  constructor(budgetMs: number) {
    this.#budgetMs = budgetMs;
    this.#current = new Float64Array(budgetMs + 2);
    this.#pending = new Float64Array(budgetMs + 2);
  }

  /** A frame left the socket thread `lateMs` after it was due. */
  addFrame(lateMs: number): void {
    const bucket = lateMs <= 0 ? 0 : Math.floor(lateMs);
    this.#current[bucket <= this.#budgetMs ? bucket : this.#budgetMs + 1]++;
    this.#currentFrames++;
    this.#waiting++;
  }

  /**
   * Closes the open interval: `analysed` frames left the queue during it, the longest after `maxWaitMs`
   * (whole ms, rounded up).
   */
  closeInterval(analysed: number, maxWaitMs: number): void {
    const wait = analysed === 0 && this.#waiting > 0 ? Infinity : maxWaitMs;
    // Frames analysed now may have arrived before the window: the balance stays at 0 or above.
    this.#waiting = Math.max(0, this.#waiting - analysed);
    if (this.#hasPending) this.#settle(this.#pending, Math.max(this.#pendingWait, wait));
    [this.#pending, this.#current] = [this.#current, this.#pending];
    this.#current.fill(0);
    this.#pendingFrames = this.#currentFrames;
    this.#currentFrames = 0;
    this.#pendingWait = wait;
    this.#hasPending = true;
  }

  /** Frames within the budget, counting the last closed interval with its own longest wait. */
  within(): number {
    let within = this.#within;
    if (this.#hasPending) within += this.#count(this.#pending, this.#pendingWait);
    return within;
  }

  reset(): void {
    this.#current.fill(0);
    this.#pending.fill(0);
    this.#currentFrames = 0;
    this.#pendingFrames = 0;
    this.#pendingWait = 0;
    this.#hasPending = false;
    this.#within = 0;
    this.#waiting = 0;
  }

  #settle(frames: Float64Array, waitMs: number): void {
    this.#within += this.#count(frames, waitMs);
  }

  /** Frames whose lateness bucket lies wholly within the budget left after `waitMs`. */
  #count(frames: Float64Array, waitMs: number): number {
    const left = this.#budgetMs - waitMs;
    let n = 0;
    // Bucket i holds lateness in [i, i + 1): within when i + 1 <= left.
    for (let i = 0; i + 1 <= left && i <= this.#budgetMs; i++) n += frames[i];
    return n;
  }
}
