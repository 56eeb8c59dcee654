/**
 * How many wrong access keys a client may try: a token bucket per client. A client starts with
 * {@linkcode LOGIN_BURST} attempts and gets one more every {@linkcode LOGIN_REFILL_MS}; a right key gives
 * back what the client spent, so only wrong keys count in the end. A person who mistypes the key a few times
 * never notices; a script guessing keys gets 10 a minute instead of thousands a second.
 *
 * The client is the TCP peer address. `cloudflared` connects from 127.0.0.1 for everyone who comes through
 * the tunnel, so there (a loopback peer) the address Cloudflare's edge saw, `cf-connecting-ip`, names the
 * client; anyone who could forge that header on loopback is on this machine and needs no key at all.
 *
 * @module
 */
import { isLoopbackAddress } from "./access.ts";

/** Wrong keys a client may try at once. */
export const LOGIN_BURST = 10;
/** One more attempt per this many ms (10 a minute). */
export const LOGIN_REFILL_MS = 6_000;
/** Clients remembered at once; the oldest is forgotten beyond it (its bucket starts full again). */
const MAX_CLIENTS = 10_000;
/** A client refused again and again gets one log line per this many ms, with the count. */
const LOG_EVERY_MS = 60_000;

/** Options of {@linkcode LoginLimiter}. */
export interface LoginLimiterOptions {
  /** Wall clock, ms. */
  now: () => number;
  burst?: number;
  refillMs?: number;
}

/** What {@linkcode LoginLimiter.attempt} decided. */
export type LoginVerdict =
  | { allowed: true }
  | {
    allowed: false;
    /** Whole seconds until the next attempt is allowed (for `Retry-After`). */
    retryAfterS: number;
    /** Refusals of this client since its last log line, this one included; 0: do not log this one. */
    toLog: number;
  };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  refusedSinceLog: number;
  loggedAt: number;
}

/** The login attempts of every client, one bucket each. */
export class LoginLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #burst: number;
  readonly #refillMs: number;

  constructor(options: LoginLimiterOptions) {
    this.#now = options.now;
    this.#burst = options.burst ?? LOGIN_BURST;
    this.#refillMs = options.refillMs ?? LOGIN_REFILL_MS;
  }

  /**
   * Whether `client` may try a key now; if so the attempt is spent at once, before the key is read, so
   * many attempts sent at the same moment cannot all pass. A right key gives it back ({@linkcode succeeded}).
   */
  attempt(client: string): LoginVerdict {
    const now = this.#now();
    const bucket = this.#bucket(client, now);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_CLIENTS) this.#buckets.delete(this.#buckets.keys().next().value!);
      this.#buckets.set(client, {
        tokens: this.#burst - 1,
        at: now,
        refusedSinceLog: 0,
        loggedAt: -Infinity,
      });
      return { allowed: true };
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const waitMs = Math.round((1 - bucket.tokens) * this.#refillMs);
    const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
    bucket.refusedSinceLog++;
    if (now - bucket.loggedAt < LOG_EVERY_MS) return { allowed: false, retryAfterS, toLog: 0 };
    const toLog = bucket.refusedSinceLog;
    bucket.refusedSinceLog = 0;
    bucket.loggedAt = now;
    return { allowed: false, retryAfterS, toLog };
  }

  /** A right key: the client's earlier typos are forgiven. */
  succeeded(client: string): void {
    this.#buckets.delete(client);
  }

  /** The client's bucket brought up to `now`, or undefined when it is full (and so forgotten). */
  #bucket(client: string, now: number): Bucket | undefined {
    const bucket = this.#buckets.get(client);
    if (bucket === undefined) return undefined;
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) / this.#refillMs);
    bucket.at = now;
    if (bucket.tokens >= this.#burst && bucket.refusedSinceLog === 0) {
      this.#buckets.delete(client);
      return undefined;
    }
    return bucket;
  }
}

/**
 * The client a login comes from: the peer address, or behind `cloudflared` (a loopback peer that sends
 * `cf-connecting-ip`) the address Cloudflare saw. "unknown" without a peer (in-process requests).
 */
export function loginClient(request: Request, peer: string | undefined): string {
  if (peer === undefined) return "unknown";
  const forwarded = request.headers.get("cf-connecting-ip")?.trim();
  return isLoopbackAddress(peer) && forwarded ? forwarded : peer;
}
