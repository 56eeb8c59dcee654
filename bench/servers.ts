/**
 * The servers a benchmark run measures, each in its own process (`server_process.ts`): the product, the
 * bare baseline, or a cluster of {@linkcode CLUSTER_INSTANCES} product processes
 * joined by a private `redis-server`; and the load generator pointed at them.
 *
 * @module
 */
import { createClient } from "redis";
import { type RedisServerProcess, startRedisServer } from "../server/redis_server.ts";
import { Child } from "./child.ts";
import type { GeneratorConfig } from "./load_generator.ts";
import type { ProbeSnapshot } from "./server_process.ts";
import { processCpuMicros } from "./stats.ts";

/** Which server a run measures. */
export type ServerKind = "coach" | "baseline" | "cluster";
/** Processes of the bench's cluster: as many as a 2-core machine has cores. */
export const CLUSTER_INSTANCES = 2;

const SERVER_START_MS = 30_000;
const AUTH_TOKEN = "bench" + crypto.randomUUID().replaceAll("-", "");

/** How to start a product server: its `COACH_SETTINGS` and more of its environment. */
export interface ServerOptions {
  coachSettings?: object;
  env?: Record<string, string>;
}

/** A running benchmark server process. */
export class ServerUnderTest {
  private constructor(readonly child: Child, readonly url: string, readonly statsUrl: string) {}

  /** Starts the server process and waits until it listens. */
  static async start(kind: "coach" | "baseline", options: ServerOptions = {}): Promise<ServerUnderTest> {
    // BENCH_LOG=info shows the server's own log lines in a failing run's stderr tail (default warn).
    const env: Record<string, string> = {
      LOG_LEVEL: Deno.env.get("BENCH_LOG") ?? "warn",
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      ...options.env,
    };
    if (options.coachSettings) env.COACH_SETTINGS = JSON.stringify(options.coachSettings);
    const script = new URL("./server_process.ts", import.meta.url);
    const child = new Child(`${kind} server`, script, { env, args: [kind] });
    try {
      const info = await child.waitFor((e) => e.bench === "listening", SERVER_START_MS, "listening");
      return new ServerUnderTest(child, String(info.url), String(info.stats_url));
    } catch (error) {
      await child.stop(0);
      throw error;
    }
  }

  /** The probe's figures: `reset` starts a new window, `gc` collects garbage before reading. */
  async stats(options: { reset?: boolean; gc?: boolean } = {}): Promise<ProbeSnapshot> {
    const query = Object.entries(options).filter(([, on]) => on).map(([name]) => `${name}=1`).join("&");
    const response = await fetch(`${this.statsUrl}/stats?${query}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`stats answered ${response.status}`);
    return await response.json();
  }

  /** `/health` of the product server. */
  async health(): Promise<{ status: string; local_sessions: number; phrasing: Record<string, unknown> }> {
    const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(10_000) });
    return await response.json();
  }

  /** Asks the process to shut down, then makes sure it is gone. */
  async stop(): Promise<void> {
    if (!this.child.hasExited) {
      await fetch(`${this.statsUrl}/shutdown`, { method: "POST", signal: AbortSignal.timeout(5_000) })
        .then((response) => response.body?.cancel())
        .catch(() => {/* already going down; stop() below makes sure */});
    }
    await this.child.stop(10_000);
  }
}

/** The bench clusters' private `redis-server`s still running (not children `Child` tracks). */
const runningRedis = new Set<RedisServerProcess>();

/** Stops every private `redis-server` of the bench still running (on Ctrl-C, as `stopAllChildren`). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...runningRedis].map((redis) => redis.stop()));
}

/** What Redis counts (`INFO`): cumulative commands and network bytes, the memory it uses now, and its CPU. */
export interface RedisCounters {
  commands: number;
  input_bytes: number;
  output_bytes: number;
  used_memory: number;
  cpu_us: number | null;
}

/** The figures of a server of any kind: its probe's, and Redis's counters in a cluster. */
export type ServersSnapshot = ProbeSnapshot & { redis: RedisCounters | null };

/** One server of any kind: a product process, the baseline, or a cluster's instances and their Redis. */
export class ServersUnderTest {
  private constructor(readonly servers: ServerUnderTest[], readonly redis: RedisServerProcess | null) {}

  static async start(kind: ServerKind, options: ServerOptions = {}): Promise<ServersUnderTest> {
    if (kind !== "cluster") return new ServersUnderTest([await ServerUnderTest.start(kind, options)], null);
    const redis = await startRedisServer();
    runningRedis.add(redis);
    redis.exited.finally(() => runningRedis.delete(redis));
    const started = await Promise.allSettled(
      Array.from({ length: CLUSTER_INSTANCES }, (_, i) =>
        ServerUnderTest.start("coach", {
          ...options,
          env: {
            ...options.env,
            REDIS_URL: redis.url,
            INSTANCE_ID: `bench-${i + 1}`,
            UI_ACCESS_KEY: AUTH_TOKEN,
          },
        })),
    );
    const servers = started.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) {
      await Promise.all(servers.map((server) => server.stop()));
      await redis.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return new ServersUnderTest(servers, redis);
  }

  /** The instances' figures added up as one server's (CPU includes Redis's), and Redis's counters. */
  async stats(options: { reset?: boolean } = {}): Promise<ServersSnapshot> {
    const snapshots = await Promise.all(this.servers.map((server) => server.stats(options)));
    if (this.redis === null) return { ...snapshots[0], redis: null };
    const client = createClient({ url: this.redis.url });
    await client.connect();
    try {
      const info = await client.info();
      const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
      const redis = {
        commands: field("total_commands_processed"),
        input_bytes: field("total_net_input_bytes"),
        output_bytes: field("total_net_output_bytes"),
        used_memory: field("used_memory"),
        cpu_us: processCpuMicros(this.redis.pid),
      };
      return { ...mergeSnapshots(snapshots, redis.cpu_us), redis };
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    await this.redis?.stop();
  }
}

/** Starts a load generator process; with several servers (a cluster) it spreads the calls over them. */
export function startGenerator(
  servers: ServerUnderTest[],
  config: Omit<GeneratorConfig, "baseUrl" | "authToken" | "instanceUrls">,
): Child {
  const urls = servers.map((server) => server.url);
  const full: GeneratorConfig = { ...config, baseUrl: urls[0], instanceUrls: urls, authToken: AUTH_TOKEN };
  return new Child("load generator", new URL("./load_generator.ts", import.meta.url), {
    args: ["--config", JSON.stringify(full)],
  });
}

/** Several instances' snapshots as one: counts and CPU added, latencies and lag the worst instance's. */
function mergeSnapshots(snapshots: ProbeSnapshot[], extraCpuMicros: number | null): ProbeSnapshot {
  const sum = (pick: (s: ProbeSnapshot) => number | null) =>
    snapshots.some((s) => pick(s) === null) ? null : snapshots.reduce((n, s) => n + pick(s)!, 0);
  const worst = <T extends { p99: number }>(pick: (s: ProbeSnapshot) => T) =>
    snapshots.map(pick).reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const cpu = sum((s) => s.cpu_us);
  return {
    ...snapshots[0],
    window_ms: Math.max(...snapshots.map((s) => s.window_ms)),
    frames: sum((s) => s.frames)!,
    frames_within_budget: sum((s) => s.frames_within_budget)!,
    frame_late_ms: worst((s) => s.frame_late_ms),
    loop_lag_ms: worst((s) => s.loop_lag_ms),
    cpu_us: cpu === null || extraCpuMicros === null ? null : cpu + extraCpuMicros,
    main_thread_cpu_us: sum((s) => s.main_thread_cpu_us),
    rss: sum((s) => s.rss)!,
  };
}
