/**
 * Where a call's analyzers get their fixed-size typed arrays (rings, the aligner's ring of frame measures).
 *
 * A typed array's bytes live outside V8's heap, in the C allocator, and go back only when a garbage
 * collection finds the array dead: calls that come and go leave the allocator's heap grown and fragmented.
 * A {@linkcode BufferPool} makes that deterministic: a call leases its arrays, gives them back when it ends,
 * and the next call gets the same arrays, zeroed. Components take a {@linkcode BufferSource} and never
 * know which kind they were given.
 *
 * @example
 * ```ts
 * const pool = new BufferPool();
 * const lease = pool.lease();
 * const ring = lease.float64(500); // zeroed
 * lease.release(); // the next lease of a 500-entry Float64Array gets this one back, zeroed
 * ```
 *
 * @module
 */

/** Hands out zeroed typed arrays. */
export interface BufferSource {
  float64(length: number): Float64Array;
  uint8(length: number): Uint8Array;
}

/** New arrays every time, left to the garbage collector (tests, tools, one-off analyzers). */
export const freshBuffers: BufferSource = Object.freeze({
  float64: (length: number) => new Float64Array(length),
  uint8: (length: number) => new Uint8Array(length),
});

type PooledArray = Float64Array | Uint8Array;
type Kind = "float64" | "uint8";

/** Options for {@linkcode BufferPool}. */
export interface BufferPoolOptions {
  /** Bytes of returned arrays kept for later leases; beyond that they are left to the garbage collector. */
  maxIdleBytes?: number;
}

/** About 70 calls' arrays with the default settings. */
const DEFAULT_MAX_IDLE_BYTES = 1024 * 1024;

/** Typed arrays shared by the calls of one process, one call at a time. */
export class BufferPool {
  readonly #idle = new Map<string, PooledArray[]>();
  readonly #maxIdleBytes: number;
  #idleBytes = 0;

  constructor(options: BufferPoolOptions = {}) {
    this.#maxIdleBytes = options.maxIdleBytes ?? DEFAULT_MAX_IDLE_BYTES;
  }

  /** Bytes held for later leases. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** A new lease: the arrays one call uses until it ends. */
  lease(): BufferLease {
    return new BufferLease(this);
  }

  /** @internal A zeroed array of `kind` and `length`, reused when one is idle. */
  take<T extends PooledArray>(kind: Kind, length: number, create: (length: number) => T): T {
    const reused = this.#idle.get(`${kind}:${length}`)?.pop() as T | undefined;
    if (reused === undefined) return create(length);
    this.#idleBytes -= reused.byteLength;
    reused.fill(0);
    return reused;
  }

  /** @internal Takes an array back (the caller no longer touches it). */
  give(kind: Kind, array: PooledArray): void {
    if (this.#idleBytes + array.byteLength > this.#maxIdleBytes) return;
    const key = `${kind}:${array.length}`;
    let list = this.#idle.get(key);
    if (list === undefined) this.#idle.set(key, list = []);
    list.push(array);
    this.#idleBytes += array.byteLength;
  }
}

/** One call's arrays from a {@linkcode BufferPool}; {@linkcode BufferLease.release} gives them all back. */
export class BufferLease implements BufferSource {
  readonly #pool: BufferPool;
  /** Every array this lease handed out, with its kind, to give back on release. */
  #held: [Kind, PooledArray][] = [];
  #released = false;

  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  float64(length: number): Float64Array {
    return this.#take("float64", length, (n) => new Float64Array(n));
  }

  uint8(length: number): Uint8Array {
    return this.#take("uint8", length, (n) => new Uint8Array(n));
  }

  /**
   * Gives every array back to the pool. The owner must not touch them afterwards: the next call gets them.
   * Releasing twice is a no-op; leasing after release throws.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const [kind, array] of this.#held) this.#pool.give(kind, array);
    this.#held = [];
  }

  #take<T extends PooledArray>(kind: Kind, length: number, create: (length: number) => T): T {
    if (this.#released) {
      throw new Error("this call's buffers were released: a call cannot lease after it ended");
    }
    const array = this.#pool.take(kind, length, create);
    this.#held.push([kind, array]);
    return array;
  }
}
