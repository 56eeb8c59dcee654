/**
 * Measurement helpers shared by every benchmark process: a wall clock comparable across processes, a
 * fixed-bucket histogram (constant memory however many samples), percentiles, CPU time.
 *
 * @module
 */

/** Wall time in ms since the epoch, sub-ms: `timeOrigin` comes from the system clock, so processes agree. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Percentiles of a sample, in its unit. */
export interface QuantileSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

const quantiles = (count: number, p50: number, p99: number, max: number): QuantileSummary => ({
  count,
  p50: round(p50, 2),
  p99: round(p99, 2),
  max: round(max, 2),
});

/** A histogram of non-negative values in `buckets` buckets of `width`; larger values land in an overflow. */
export class Histogram {
  readonly #counts: Float64Array;
  #count = 0;
  #max = 0;

  constructor(readonly width: number, buckets: number) {
    if (!(width > 0) || !Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError(`Histogram needs a positive width and bucket count, got ${width} × ${buckets}`);
    }
    this.#counts = new Float64Array(buckets + 1);
  }

  add(value: number): void {
    const v = value > 0 ? value : 0;
    this.#counts[Math.min(Math.floor(v / this.width), this.#counts.length - 1)]++;
    this.#count++;
    if (v > this.#max) this.#max = v;
  }

  /** The upper edge of the bucket holding quantile `q` (0..1); the maximum if it lies in the overflow. */
  quantile(q: number): number {
    const rank = Math.ceil(q * this.#count);
    for (let i = 0, seen = 0; i < this.#counts.length - 1 && this.#count > 0; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min((i + 1) * this.width, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = this.#max = 0;
  }

  summary(): QuantileSummary {
    return quantiles(this.#count, this.quantile(0.5), this.quantile(0.99), this.#max);
  }
}

/** Exact percentiles of a (small) list of samples. */
export function summarize(samples: readonly number[]): QuantileSummary {
  if (samples.length === 0) return quantiles(0, 0, 0, 0);
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  return quantiles(sorted.length, at(0.5), at(0.99), sorted[sorted.length - 1]);
}

/** The median of the finite values (the upper one of an even count); NaN if there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length ? sorted[sorted.length >> 1] : NaN;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** CPU time (user + system) of this process so far, µs; null where the runtime cannot tell. */
export function cpuMicros(): number | null {
  const usage = (Deno as unknown as { cpuUsage?: () => { user: number; system: number } }).cpuUsage?.();
  return usage ? usage.user + usage.system : null;
}

/** CPU time (user + system) of process `pid` from Linux's `/proc`, µs; null where there is no such file. */
export function procCpuMicros(pid: number): number | null {
  let stat: string | null = null;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch { /* not Linux, or the process is gone */ }
  // Fields after the command name (which may hold spaces): utime and stime, the 14th and 15th, in ticks of 10 ms.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10_000 : null;
}

/** Cumulative CPU jiffies of the whole machine, busy and in all, from Linux's `/proc/stat`; null elsewhere. */
export async function machineCpuJiffies(): Promise<{ busy: number; total: number } | null> {
  const text = await Deno.readTextFile("/proc/stat").catch(() => null);
  if (text === null) return null;
  // cpu  user nice system idle iowait irq softirq steal …
  const [user, nice, system, idle, iowait, irq, softirq, steal] = text.split("\n")[0].split(/\s+/).slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, total: busy + idle + iowait + (steal ?? 0) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
