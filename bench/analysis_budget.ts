/**
 * Which frames were analysed within the real-time budget when the server analyses on a second thread.
 *
 * A frame is then done in two steps: the socket thread reads it (the probe measures how late that was
 * against when it was due), then it waits in a queue until the analysis thread takes it.
 *
 * {@linkcode FrameBudget} pairs the two frame by frame. The analysis thread logs when each of its batches
 * started and ended (`BatchLog` in routes/analysis_protocol.ts); a batch takes every frame handed over before
 * it started, so a frame the probe saw at `seen` (after the server's handler had handed it over) was
 * analysed by the end of the first batch that started after `seen`. Its lateness when analysed is at most
 * that end minus when it was due: a bound, never an underestimate, and tight (a batch at a thousand calls
 * takes a few ms).
 *
 * {@linkcode TwoStageBudget} is the coarser rule the bench used before the batch log (runs M–Q), kept for
 * comparison: it charges each frame the longest wait of its 100 ms interval and of the next one.
 *
 * @module
 */
/**
 * How far two threads' `performance.timeOrigin + performance.now()` may disagree, ms. Each thread reads its
 * time origin once; in this process they agreed within 0.2 ms. A batch counts as taking a frame only if it
 * started this much after the frame was seen, and as ending this much later than it says.
 */
export const CLOCK_SKEW_MS = 1;

/** Intervals the frames are grouped by, ms. */
export const INTERVAL_MS = 100;

/**
 * Counts frames within a budget of socket lateness plus the longest analysis wait near them. The waits are
 * not paired with frames, so each frame is charged the longest wait of its 100 ms interval and of the next one
 * (a frame arriving late in one interval is analysed in the next). That never undercharges a frame: waits are
 * first in, first out, so a frame whose own wait runs past the next interval makes that interval's longest wait
 * exceed the budget by itself. An interval in which nothing was analysed while frames were waiting (more added
 * than analysed so far) counts as an endless wait.
 */
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

/**
 * Counts frames analysed within a budget of their due time, each paired with the batch that analysed it
 * (see the module notes). Frames are added in the order the probe sees them; batches in the order they ran.
 * A frame no batch has taken by the time it is past its budget counts as late (a stalled analysis).
 *
 * Windows are cut with {@linkcode FrameBudget.checkpoint}: the frames within budget among those added before
 * a checkpoint are known once all of them are settled ({@linkcode FrameBudget.withinBefore}).
 */
export class FrameBudget {
  readonly #budgetMs: number;
  /** Frames waiting for a batch: when the probe saw each and when it was due, first in, first out. */
  #seen = new Float64Array(1 << 16);
  #due = new Float64Array(1 << 16);
  #head = 0;
  #waiting = 0;
  /** Batches not yet past every waiting frame: start and end, in order. */
  #batches: number[] = [];
  #batchHead = 0;
  /** Frames added and settled since this budget was made; settled frames within the budget. */
  #added = 0;
  #settled = 0;
  #within = 0;
  /** Checkpoints (frames added when each was taken) not reached yet, in order, and those reached. */
  #pending: number[] = [];
  readonly #reached = new Map<number, number>();

  constructor(budgetMs: number) {
    this.#budgetMs = budgetMs;
  }

  /** The probe saw a frame at `seenMs` (after the server handed it over) that was due at `dueMs`. */
  addFrame(seenMs: number, dueMs: number): void {
    if (this.#waiting === this.#seen.length) this.#grow();
    const at = (this.#head + this.#waiting) & (this.#seen.length - 1);
    this.#seen[at] = seenMs;
    this.#due[at] = dueMs;
    this.#waiting++;
    this.#added++;
  }

  /** The analysis thread ran a batch from `startMs` to `endMs`. */
  addBatch(startMs: number, endMs: number): void {
    this.#batches.push(startMs, endMs);
  }

  /**
   * Settles every waiting frame a batch took, and every frame still waiting past its budget at `nowMs` (all
   * times on the `performance.timeOrigin + performance.now()` clock).
   */
  settle(nowMs: number): void {
    const mask = this.#seen.length - 1;
    const batches = this.#batches;
    while (this.#waiting > 0) {
      const seen = this.#seen[this.#head];
      const due = this.#due[this.#head];
      // A batch that started before the frame was seen did not take it, nor any frame seen later.
      while (this.#batchHead < batches.length && batches[this.#batchHead] <= seen + CLOCK_SKEW_MS) {
        this.#batchHead += 2;
      }
      let doneMs: number;
      if (this.#batchHead < batches.length) doneMs = batches[this.#batchHead + 1] + CLOCK_SKEW_MS;
      else if (nowMs - due > this.#budgetMs) doneMs = nowMs; // not analysed yet, and already too late
      else break;
      if (doneMs - due <= this.#budgetMs) this.#within++;
      this.#head = (this.#head + 1) & mask;
      this.#waiting--;
      this.#settled++;
      while (this.#pending.length > 0 && this.#pending[0] === this.#settled) {
        this.#reached.set(this.#pending.shift()!, this.#within);
      }
    }
    if (this.#batchHead > 4096) {
      batches.splice(0, this.#batchHead);
      this.#batchHead = 0;
    }
  }

  /** A checkpoint after the frames added so far, for {@linkcode withinBefore}. */
  checkpoint(): number {
    const at = this.#added;
    if (this.#settled === at) this.#reached.set(at, this.#within);
    else this.#pending.push(at);
    return at;
  }

  /** Frames within budget among those added before `checkpoint`, or null while some of them still wait. */
  withinBefore(checkpoint: number): number | null {
    return this.#reached.get(checkpoint) ?? null;
  }

  /** Forgets a checkpoint that is no longer needed. */
  forget(checkpoint: number): void {
    this.#reached.delete(checkpoint);
  }

  #grow(): void {
    const size = this.#seen.length;
    const seen = new Float64Array(size * 2);
    const due = new Float64Array(size * 2);
    for (let i = 0; i < this.#waiting; i++) {
      seen[i] = this.#seen[(this.#head + i) & (size - 1)];
      due[i] = this.#due[(this.#head + i) & (size - 1)];
    }
    this.#seen = seen;
    this.#due = due;
    this.#head = 0;
  }
}
