/**
 * Instrumentation for a benchmarked server process (ours or the bare baseline): how late each media frame
 * is processed, event-loop lag, CPU and memory, served as JSON on a stats port only the benchmark uses.
 *
 * Frame lateness: the load generator sends frame `timestamp` of a call at wall time `t0 + timestamp`
 * (absolute pacing, like Twilio) and tells us `t0` in the `start` message's `customParameters.bench_t0`.
 * A `message` listener added AFTER the server's own handler runs right after it, so
 * `wallMs() - (t0 + timestamp)` is "when Twilio would have sent it" → "done processing", including any
 * time the frame queued behind other work (and any lateness of the generator itself).
 *
 * @module
 */
import v8 from "node:v8";
import { lastResortCollector } from "../server/memory_release.ts";
import { cpuMicros, Histogram, mainThreadCpuMicros, round, wallMs } from "./stats.ts";

/** A frame processed later than this after it was due counts as missing real time. */
export const REAL_TIME_BUDGET_MS = 100;
const LAG_INTERVAL_MS = 10;
const MEMORY_SAMPLE_MS = 250;

/** Per-socket state: the call's wall start once its `start` message has been seen. */
interface SocketState {
  t0: number;
}

/** Collects frame lateness, event-loop lag and memory peaks over a window that the benchmark resets. */
export class ServerProbe {
  readonly latency = new Histogram(1, 5000);
  readonly lag = new Histogram(0.25, 8000);
  #frames = 0;
  #withinBudget = 0;
  #unstamped = 0;
  #openSockets = 0;
  #windowStart = wallMs();
  #peakRss = 0;
  #peakHeapUsed = 0;
  #timers: ReturnType<typeof setInterval>[] = [];

  /** Starts the 10 ms lag timer and the memory sampler. */
  start(): void {
    let last = performance.now();
    this.#timers.push(setInterval(() => {
      const now = performance.now();
      this.lag.add(now - last - LAG_INTERVAL_MS);
      last = now;
    }, LAG_INTERVAL_MS));
    this.#timers.push(setInterval(() => this.#sampleMemory(), MEMORY_SAMPLE_MS));
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /**
   * Watches a media socket. Call right after `Deno.upgradeWebSocket`: the listener is added in a
   * microtask so it lands after the handler the server sets synchronously, and therefore runs after it.
   */
  watch(socket: WebSocket): void {
    const state: SocketState = { t0: NaN };
    queueMicrotask(() => {
      socket.addEventListener("open", () => this.#openSockets++);
      socket.addEventListener("close", () => this.#openSockets--);
      socket.addEventListener("message", (event) => this.#onMessage(state, event.data));
    });
  }

  #onMessage(state: SocketState, data: unknown): void {
    if (typeof data !== "string") return;
    if (Number.isNaN(state.t0)) {
      // Once per call: the start message carries the generator's wall start of the stream.
      if (data.includes('"event":"start"')) {
        state.t0 = Number(JSON.parse(data).start?.customParameters?.bench_t0);
      }
      return;
    }
    const at = data.indexOf('"timestamp":"');
    if (at < 0) return;
    const from = at + 13;
    const timestamp = Number(data.slice(from, data.indexOf('"', from)));
    this.#frames++;
    if (!Number.isFinite(state.t0) || !Number.isFinite(timestamp)) {
      this.#unstamped++;
      return;
    }
    const late = wallMs() - (state.t0 + timestamp);
    this.latency.add(late);
    if (late <= REAL_TIME_BUDGET_MS) this.#withinBudget++;
  }

  #sampleMemory(): void {
    const memory = Deno.memoryUsage();
    if (memory.rss > this.#peakRss) this.#peakRss = memory.rss;
    if (memory.heapUsed > this.#peakHeapUsed) this.#peakHeapUsed = memory.heapUsed;
  }

  /**
   * The window's figures; `reset` starts a new window after reading. `gc` collects garbage first;
   * `release` also runs, before that, the collection the product's idle release runs (V8's last resort).
   */
  snapshot(options: { reset?: boolean; gc?: boolean; release?: boolean } = {}): ProbeSnapshot {
    const gc = (globalThis as { gc?: () => void }).gc;
    // The product's own idle-release collection, so the baseline's readings get exactly the same.
    if (options.release) lastResortCollector()?.();
    if (options.gc && gc) {
      gc();
      gc();
    }
    this.#sampleMemory();
    const memory = Deno.memoryUsage();
    const heap = v8.getHeapStatistics();
    const snapshot: ProbeSnapshot = {
      wall_ms: wallMs(),
      window_ms: round(wallMs() - this.#windowStart, 1),
      frames: this.#frames,
      frames_within_budget: this.#withinBudget,
      frames_unstamped: this.#unstamped,
      frame_late_ms: this.latency.summary(),
      loop_lag_ms: this.lag.summary(),
      cpu_us: cpuMicros(),
      main_thread_cpu_us: mainThreadCpuMicros(),
      rss: memory.rss,
      heap_used: memory.heapUsed,
      heap_total: memory.heapTotal,
      external: memory.external,
      heap_physical: heap.total_physical_size,
      malloced: heap.malloced_memory,
      ...residentSplit(),
      anon_mappings: options.gc ? anonymousMappings() : null,
      young_committed: v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")
        ?.physical_space_size ?? 0,
      peak_rss: this.#peakRss,
      peak_heap_used: this.#peakHeapUsed,
      open_media_sockets: this.#openSockets,
      gc_forced: Boolean(options.gc && gc),
    };
    if (options.reset) this.#reset();
    return snapshot;
  }

  #reset(): void {
    this.latency.reset();
    this.lag.reset();
    this.#frames = 0;
    this.#withinBudget = 0;
    this.#unstamped = 0;
    this.#peakRss = 0;
    this.#peakHeapUsed = 0;
    this.#windowStart = wallMs();
  }
}

/** What the stats endpoint answers. Memory in bytes, CPU cumulative for the process. */
export interface ProbeSnapshot {
  wall_ms: number;
  window_ms: number;
  frames: number;
  frames_within_budget: number;
  frames_unstamped: number;
  frame_late_ms: ReturnType<Histogram["summary"]>;
  loop_lag_ms: ReturnType<Histogram["summary"]>;
  cpu_us: number | null;
  /** CPU of the main thread alone, cumulative (Linux only). */
  main_thread_cpu_us: number | null;
  rss: number;
  heap_used: number;
  heap_total: number;
  external: number;
  /** V8's committed heap pages and its own malloc use (what RSS holds besides the used heap). */
  heap_physical: number;
  malloced: number;
  /** Committed size of V8's young generation, which V8 grows under allocation pressure and keeps. */
  young_committed: number;
  /** RSS split as Linux reports it (`/proc/self/status`): anonymous memory, and pages of mapped files (the
   * deno binary's code among them); null where that file does not exist. */
  rss_anon: number | null;
  rss_file: number | null;
  /** Where the anonymous memory lives (`/proc/self/smaps`); null where that file does not exist. */
  anon_mappings: AnonymousMappings | null;
  peak_rss: number;
  peak_heap_used: number;
  open_media_sockets: number;
  gc_forced: boolean;
  /** Only the product server: sessions held by the registry, and those not ended. */
  registry_size?: number;
  local_sessions?: number;
  /** Only the product server: how many times it gave memory back after its calls (memory_release.ts). */
  memory_releases?: number;
}

/** `RssAnon` and `RssFile` of this process in bytes, from `/proc/self/status` (Linux); null elsewhere. */
function residentSplit(): { rss_anon: number | null; rss_file: number | null } {
  let status: string;
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { rss_anon: null, rss_file: null };
    throw error;
  }
  const kib = (field: string) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) * 1024 : null;
  };
  return { rss_anon: kib("RssAnon"), rss_file: kib("RssFile") };
}

/**
 * Anonymous resident memory by mapping, bytes: glibc's main heap (`[heap]`, grown with `brk`), anonymous
 * mappings (V8's heap pages, malloc's per-thread arenas, thread stacks), and private copies of file pages.
 * Comparing two readings shows which kind grew.
 */
export interface AnonymousMappings {
  brk_heap: number;
  anonymous: number;
  file_private: number;
  /** Anonymous mappings with resident pages. */
  anonymous_count: number;
  /** The largest anonymous mappings by resident size. */
  largest: { start: string; size: number; resident: number }[];
}

function anonymousMappings(): AnonymousMappings | null {
  let smaps: string;
  try {
    smaps = Deno.readTextFileSync("/proc/self/smaps");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const result: AnonymousMappings = {
    brk_heap: 0,
    anonymous: 0,
    file_private: 0,
    anonymous_count: 0,
    largest: [],
  };
  const mappings: { start: string; size: number; resident: number; path: string }[] = [];
  let current: (typeof mappings)[number] | null = null;
  for (const line of smaps.split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      current = {
        start: header[1],
        size: parseInt(header[2], 16) - parseInt(header[1], 16),
        resident: 0,
        path: header[3],
      };
      mappings.push(current);
      continue;
    }
    const anonymous = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anonymous && current) current.resident = Number(anonymous[1]) * 1024;
  }
  for (const mapping of mappings) {
    if (mapping.resident === 0) continue;
    if (mapping.path === "[heap]") result.brk_heap += mapping.resident;
    else if (mapping.path === "" || mapping.path.startsWith("[anon")) {
      result.anonymous += mapping.resident;
      result.anonymous_count++;
    } else result.file_private += mapping.resident;
  }
  result.largest = mappings
    .filter((mapping) => mapping.path === "" && mapping.resident > 0)
    .sort((a, b) => b.resident - a.resident)
    .slice(0, 8)
    .map(({ start, size, resident }) => ({ start, size, resident }));
  return result;
}

/** Wraps `Deno.upgradeWebSocket` so every upgrade whose path passes `match` is watched by `probe`. */
export function watchUpgrades(probe: ServerProbe, match: (path: string) => boolean): void {
  const target = Deno as unknown as { upgradeWebSocket: typeof Deno.upgradeWebSocket };
  const original = target.upgradeWebSocket;
  target.upgradeWebSocket = (request, options) => {
    const result = original(request, options);
    if (match(new URL(request.url).pathname)) probe.watch(result.socket);
    return result;
  };
}

/**
 * Serves `GET /stats?reset=1&gc=1&release=1` and `POST /shutdown` on 127.0.0.1 (ephemeral port) and prints
 * `{"bench":"listening",…}` on stdout for the benchmark. Shutdown (that request, or the end of stdin) runs
 * `close` then exits the process (so `--cpu-prof` writes its profile).
 */
export async function serveProbe(
  probe: ServerProbe,
  info: Record<string, unknown>,
  extra: () => Record<string, unknown>,
  close: () => Promise<void>,
): Promise<void> {
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    probe.stop();
    try {
      await close();
    } finally {
      Deno.exit(0);
    }
  };
  // The benchmark holds our stdin: when it closes (the benchmark ended or died), this process ends too.
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* no commands: only the end of input matters */ }
    await shutdown();
  })();
  let resolvePort: (port: number) => void;
  const listening = new Promise<number>((resolve) => resolvePort = resolve);
  Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (addr) => resolvePort(addr.port) },
    (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/stats") {
        const snapshot = probe.snapshot({
          reset: url.searchParams.has("reset"),
          gc: url.searchParams.has("gc"),
          release: url.searchParams.has("release"),
        });
        return Response.json({ ...snapshot, ...extra() });
      }
      if (url.pathname === "/shutdown" && request.method === "POST") {
        setTimeout(shutdown, 0);
        return new Response("bye\n");
      }
      return new Response("not found\n", { status: 404 });
    },
  );
  const port = await listening;
  console.log(JSON.stringify({ bench: "listening", stats_url: `http://127.0.0.1:${port}`, ...info }));
}
