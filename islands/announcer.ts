/**
 * What screen readers announce, queued so nothing is cut off: one live region per tip severity (high ones
 * assertive, the others polite) and one for the call's start and end. A region takes a new text at most
 * every {@linkcode ANNOUNCE_GAP_MS}; texts that come sooner wait their turn.
 *
 * @module
 */

/** The live regions. */
export const CHANNELS = ["high", "medium", "low", "call"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Least time between two texts in one region: about what a screen reader needs to read a tip. */
export const ANNOUNCE_GAP_MS = 2_500;

/** The timers an {@linkcode Announcer} uses (tests pass their own). */
export interface AnnouncerClock {
  now(): number;
  setTimeout(run: () => void, ms: number): ReturnType<typeof setTimeout>;
  clearTimeout(id: ReturnType<typeof setTimeout>): void;
}

const browserClock: AnnouncerClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Feeds the live regions through `show(channel, text)`, spaced per region. */
export class Announcer {
  readonly #show: (channel: Channel, text: string) => void;
  readonly #clock: AnnouncerClock;
  readonly #queues = new Map<Channel, string[]>();
  readonly #lastShownAt = new Map<Channel, number>();
  readonly #lastText = new Map<Channel, string>();
  readonly #timers = new Map<Channel, ReturnType<typeof setTimeout>>();

  constructor(show: (channel: Channel, text: string) => void, clock: AnnouncerClock = browserClock) {
    this.#show = show;
    this.#clock = clock;
  }

  /** Queues `text` on `channel`. */
  say(channel: Channel, text: string): void {
    const queue = this.#queues.get(channel) ?? [];
    queue.push(text);
    this.#queues.set(channel, queue);
    if (!this.#timers.has(channel)) this.#next(channel);
  }

  /** Drops what is queued (the page is closing). */
  stop(): void {
    for (const id of this.#timers.values()) this.#clock.clearTimeout(id);
    this.#timers.clear();
    this.#queues.clear();
  }

  #next(channel: Channel): void {
    const queue = this.#queues.get(channel);
    if (!queue || queue.length === 0) return;
    const wait = (this.#lastShownAt.get(channel) ?? -Infinity) + ANNOUNCE_GAP_MS - this.#clock.now();
    if (wait > 0) {
      this.#timers.set(
        channel,
        this.#clock.setTimeout(() => {
          this.#timers.delete(channel);
          this.#next(channel);
        }, wait),
      );
      return;
    }
    let text = queue.shift()!;
    // A region only speaks when its text changes: make a repeat differ by an invisible character.
    if (text === this.#lastText.get(channel)) text += "\u200b";
    this.#lastText.set(channel, text);
    this.#lastShownAt.set(channel, this.#clock.now());
    this.#show(channel, text);
    if (queue.length > 0) this.#next(channel);
  }
}
