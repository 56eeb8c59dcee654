/**
 * A server under benchmark, in its own process, with a probe on a separate stats port: `coach` is the product
 * as `startServer` runs it (its log on stderr: stdout is the benchmark's channel); `baseline` is the bare Deno
 * WebSocket server, which accepts media sockets on the same path and only `JSON.parse`s each frame.
 *
 * Frame lateness: frame `timestamp` of a call is due at wall time `t0 + timestamp`, `t0` coming in the `start`
 * message's `customParameters.bench_t0`. The probe's `message` listener is added after the server's own
 * handler, so `wallMs() - (t0 + timestamp)` runs from "when Twilio would have sent it" to "done processing".
 *
 * @module
 */
import v8 from "node:v8";
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/log.ts";
import { startServer } from "../server/start.ts";
import { cpuMicros, Histogram, round, wallMs } from "./stats.ts";

/** A frame processed later than this after it was due counts as missing real time. */
export const REAL_TIME_BUDGET_MS = 100;

/** What the stats endpoint answers: the probe's window, and of the product, its registry and memory releases. */
export type ProbeSnapshot = ReturnType<ServerProbe["snapshot"]> & {
  registry_size?: number;
  memory_releases?: number;
};

/** Collects frame lateness over a window that the benchmark resets. */
class ServerProbe {
  readonly latency = new Histogram(1, 5000);
  frames = 0;
  withinBudget = 0;
  windowStart = wallMs();

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
    // Memory in bytes, CPU cumulative.
    const snapshot = {
      window_ms: round(wallMs() - this.windowStart, 1),
      frames: this.frames,
      frames_within_budget: this.withinBudget,
      frame_late_ms: this.latency.summary(),
      cpu_us: cpuMicros(),
      rss: memory.rss,
      heap_used: memory.heapUsed,
      /** V8's committed heap pages. */
      heap_physical: v8.getHeapStatistics().total_physical_size,
    };
    if (options.reset) {
      this.latency.reset();
      this.frames = this.withinBudget = 0;
      this.windowStart = wallMs();
    }
    return snapshot;
  }
}

/** Starts the product server with the bench's environment; its probe watches every media socket. */
async function startCoach(probe: ServerProbe) {
  // The bench's settings only, and a cluster instance's Redis, name and key; not the shell's other variables.
  const names = /^(COACH_\w+|LOG_LEVEL|TWILIO_AUTH_TOKEN|REDIS_URL|INSTANCE_ID|UI_ACCESS_KEY)$/;
  const env = Object.entries(Deno.env.toObject()).filter(([name]) => names.test(name));
  const config = loadConfig({ PORT: "0", ...Object.fromEntries(env) });
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
