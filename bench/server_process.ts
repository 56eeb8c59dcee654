/**
 * A server under benchmark, in its own process, with a probe on a separate stats port only the benchmark
 * uses: `coach` is the product as `startServer` runs it in production (its log on stderr, so stdout stays the
 * benchmark's channel); `baseline` is the bare Deno WebSocket server, which accepts media sockets on the same
 * path and only `JSON.parse`s each frame. Started by `servers.ts` with `TWILIO_AUTH_TOKEN`, and optionally
 * `COACH_SETTINGS`, the AI phrasing's `COACH_LLM_*` and a cluster instance's `REDIS_URL`, `INSTANCE_ID` and
 * `UI_ACCESS_KEY` in the environment.
 *
 * Frame lateness: the generator sends frame `timestamp` of a call at wall time `t0 + timestamp` and puts `t0`
 * in the `start` message's `customParameters.bench_t0`. The probe's `message` listener is added after the
 * server's own handler, so it runs right after it: `wallMs() - (t0 + timestamp)` is "when Twilio would have
 * sent it" → "done processing", including any time the frame queued behind other work.
 *
 * @module
 */
import v8 from "node:v8";
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/log.ts";
import { startServer } from "../server/start.ts";
import { cpuMicros, Histogram, procCpuMicros, round, wallMs } from "./stats.ts";

/** A frame processed later than this after it was due counts as missing real time. */
export const REAL_TIME_BUDGET_MS = 100;
const LAG_INTERVAL_MS = 10;

/** What the stats endpoint answers: the probe's window, and of the product, its registry and memory releases. */
export type ProbeSnapshot = ReturnType<ServerProbe["snapshot"]> & {
  registry_size?: number;
  local_sessions?: number;
  memory_releases?: number;
};

/** Collects frame lateness and event-loop lag over a window that the benchmark resets. */
class ServerProbe {
  readonly latency = new Histogram(1, 5000);
  readonly lag = new Histogram(0.25, 8000);
  frames = 0;
  withinBudget = 0;
  windowStart = wallMs();
  readonly lagTimer: ReturnType<typeof setInterval>;

  constructor() {
    let last = performance.now();
    this.lagTimer = setInterval(() => {
      const now = performance.now();
      this.lag.add(now - last - LAG_INTERVAL_MS);
      last = now;
    }, LAG_INTERVAL_MS);
  }

  /** Watches a media socket; call right after the upgrade, so the listener lands after the server's handler. */
  watch(socket: WebSocket): void {
    let t0 = NaN;
    queueMicrotask(() =>
      socket.addEventListener("message", ({ data }) => {
        if (typeof data !== "string") return;
        if (Number.isNaN(t0)) {
          // Once per call: the start message carries the generator's wall start of the stream.
          if (data.includes('"event":"start"')) {
            t0 = Number(JSON.parse(data).start?.customParameters?.bench_t0);
          }
          return;
        }
        const at = data.indexOf('"timestamp":"');
        if (at < 0) return;
        this.frames++;
        const late = wallMs() - (t0 + Number(data.slice(at + 13, data.indexOf('"', at + 13))));
        if (!Number.isFinite(late)) return;
        this.latency.add(late);
        if (late <= REAL_TIME_BUDGET_MS) this.withinBudget++;
      })
    );
  }

  /** The window's figures; `reset` starts a new window after reading, `gc` collects garbage first. */
  snapshot(options: { reset: boolean; gc: boolean }) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (options.gc) {
      gc?.();
      gc?.();
    }
    const memory = Deno.memoryUsage();
    // Memory in bytes, CPU (the process's and its main thread's) cumulative.
    const snapshot = {
      window_ms: round(wallMs() - this.windowStart, 1),
      frames: this.frames,
      frames_within_budget: this.withinBudget,
      frame_late_ms: this.latency.summary(),
      loop_lag_ms: this.lag.summary(),
      cpu_us: cpuMicros(),
      main_thread_cpu_us: procCpuMicros(),
      rss: memory.rss,
      heap_used: memory.heapUsed,
      /** V8's committed heap pages, and of them its young generation (which V8 grows under load and keeps). */
      heap_physical: v8.getHeapStatistics().total_physical_size,
      young_committed: v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")
        ?.physical_space_size ?? 0,
    };
    if (options.reset) {
      this.latency.reset();
      this.lag.reset();
      this.frames = this.withinBudget = 0;
      this.windowStart = wallMs();
    }
    return snapshot;
  }
}

/** Starts the product server with the bench's environment; its probe watches every media socket. */
async function startCoach(probe: ServerProbe) {
  const env = Deno.env.toObject();
  const config = loadConfig({
    PORT: "0",
    ...Object.fromEntries(
      Object.entries(env).filter(([name]) => /^(COACH_|LOG_LEVEL$|TWILIO_AUTH_TOKEN$)/.test(name)),
    ),
    // One instance of a bench cluster: the same Redis, token and key for all.
    REDIS_URL: env.REDIS_URL,
    INSTANCE_ID: env.INSTANCE_ID,
    UI_ACCESS_KEY: env.UI_ACCESS_KEY,
  });
  const target = Deno as unknown as { upgradeWebSocket: typeof Deno.upgradeWebSocket };
  const upgrade = target.upgradeWebSocket;
  target.upgradeWebSocket = (request, options) => {
    const result = upgrade(request, options);
    if (new URL(request.url).pathname.startsWith("/ws/twilio/media/")) probe.watch(result.socket);
    return result;
  };
  const log = createLogger({
    level: config.logLevel,
    now: () => new Date(),
    write: (line) => console.error(line),
  });
  const server = await startServer(config, { hostname: "127.0.0.1", log });
  return {
    url: server.url,
    extra: () => ({
      registry_size: server.registry.size,
      local_sessions: server.registry.activeCount,
      memory_releases: server.memoryReleases,
    }),
    shutdown: () => server.shutdown(),
  };
}

/** Starts the bare baseline: no validation, no analysis, no pages; it only parses, and closes after stop. */
async function startBaseline(probe: ServerProbe) {
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (addr) => resolve(addr.port) },
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/health") return Response.json({ status: "ok" });
      if (!path.startsWith("/ws/twilio/media/") || request.headers.get("upgrade") !== "websocket") {
        return new Response("not found\n", { status: 404 });
      }
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
      socket.onmessage = (event) => {
        if (JSON.parse(event.data).event === "stop") socket.close(1000, "stream stopped");
      };
      probe.watch(socket);
      return response;
    },
  );
  return { url: `http://127.0.0.1:${await listening}`, extra: () => ({}), shutdown: () => server.shutdown() };
}

/**
 * Serves `GET /stats?reset=1&gc=1` on 127.0.0.1 and prints `{"bench":"listening",…}`. The end of stdin (the
 * benchmark is done with it, or died) shuts the server down and ends the process.
 */
if (import.meta.main) {
  const probe = new ServerProbe();
  const server = await (Deno.args[0] === "baseline" ? startBaseline(probe) : startCoach(probe));
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* only the end of input matters */ }
    clearInterval(probe.lagTimer);
    await server.shutdown().finally(() => Deno.exit(0));
  })();
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (addr) => resolve(addr.port) }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/stats") return new Response("not found\n", { status: 404 });
    const options = { reset: url.searchParams.has("reset"), gc: url.searchParams.has("gc") };
    return Response.json({ ...probe.snapshot(options), ...server.extra() });
  });
  const statsUrl = `http://127.0.0.1:${await listening}`;
  console.log(JSON.stringify({ bench: "listening", url: server.url, stats_url: statsUrl }));
}
