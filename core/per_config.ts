/**
 * Settings derived from a validated config (factors, frame counts, per-rule tables), computed once per
 * config object and shared by every call that uses it.
 *
 * A server runs a thousand calls with the same settings. If each call derived its own copy, every copy would
 * be per-call state: in V8 each non-integer number field of an object is a separate heap box, so a call's
 * slot would fetch a dozen boxes that nothing changes, from memory that a thousand other calls have pushed
 * out of the CPU caches since. One shared copy stays cached.
 *
 * Only frozen configs are cached, so a derived value can never go stale: an unfrozen config is derived afresh
 * for each caller, which is just as correct and only slower. The defaults and the server's parsed settings
 * are frozen.
 *
 * @example
 * ```ts
 * const factors = perConfig((config: { marginDb: number }) => ({ margin: 10 ** (config.marginDb / 10) }));
 * const config = Object.freeze({ marginDb: 9 });
 * factors(config) === factors(config); // true: derived once
 * ```
 *
 * @module
 */

/** Wraps `derive` so that each frozen config is derived once and the result shared. */
export function perConfig<C extends object, D>(derive: (config: C) => D): (config: C) => D {
  const cache = new WeakMap<C, D>();
  return (config) => {
    if (!Object.isFrozen(config)) return derive(config);
    let derived = cache.get(config);
    if (derived === undefined) {
      derived = derive(config);
      cache.set(config, derived);
    }
    return derived;
  };
}
