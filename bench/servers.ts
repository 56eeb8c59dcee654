/**
 * The server a benchmark run measures, in processes of its own (`server_process.ts`): the product, the bare
 * baseline, a cluster of {@linkcode CLUSTER_INSTANCES} product processes joined by a private `redis-server`,
 * or a pair: as many product processes, placed as the cluster's, without Redis (each coaches its own calls and
 * nothing is fanned out, so it shows what sharing the machine costs two processes); and the load generator
 * pointed at it.
 *
 * @module
 */
import { createClient } from "redis";
import { type RedisServerProcess, startRedisServer } from "../server/redis_server.ts";
import { Child } from "./child.ts";
import type { GeneratorConfig } from "./load_generator.ts";
import type { ProbeSnapshot } from "./server_process.ts";
import { procCpuMicros } from "./stats.ts";

/** Which server a run measures. */
export type ServerKind = "coach" | "baseline" | "cluster" | "pair";
/** Processes of the bench's cluster and pair: as many as a 2-core machine has cores. */
export const CLUSTER_INSTANCES = 2;

const SERVER_START_MS = 30_000;
const AUTH_TOKEN = "bench" + crypto.randomUUID().replaceAll("-", "");
/** The bench clusters' private `redis-server`s still running (not children `Child` tracks). */
const runningRedis = new Set<RedisServerProcess>();

/** Stops every private `redis-server` of the bench still running (on Ctrl-C, as `stopAllChildren`). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...runningRedis].map((redis) => redis.stop()));
}

/** A server's figures: its processes' probes added up, and in a cluster Redis's `INFO` counters and CPU. */
export type ServerSnapshot = ProbeSnapshot & {
  redis: {
    commands: number;
    input_bytes: number;
    output_bytes: number;
    used_memory: number;
    cpu_us: number | null;
  } | null;
};

/** A running server of one kind: its processes (one but in a cluster or a pair) and a cluster's Redis. */
export class ServerUnderTest {
  private constructor(
    readonly processes: { child: Child; url: string; statsUrl: string }[],
    readonly redis: RedisServerProcess | null,
  ) {}

  /** Starts the server's processes (and a cluster's Redis) and waits until they listen. */
  static async start(
    kind: ServerKind,
    options: { coachSettings?: object; env?: Record<string, string> } = {},
  ): Promise<ServerUnderTest> {
    const redis = kind === "cluster" ? await startRedisServer() : null;
    if (redis) {
      runningRedis.add(redis);
      redis.exited.finally(() => runningRedis.delete(redis));
    }
    const server = new ServerUnderTest([], redis);
    try {
      const instances = kind === "cluster" || kind === "pair" ? CLUSTER_INSTANCES : 1;
      for (let i = 0; i < instances; i++) {
        const env: Record<string, string> = {
          // BENCH_LOG=info shows the server's own log lines in a failing run's stderr tail.
          LOG_LEVEL: Deno.env.get("BENCH_LOG") ?? "warn",
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          ...options.env,
          ...redis ? { REDIS_URL: redis.url, INSTANCE_ID: `bench-${i + 1}`, UI_ACCESS_KEY: AUTH_TOKEN } : {},
          ...options.coachSettings ? { COACH_SETTINGS: JSON.stringify(options.coachSettings) } : {},
        };
        const script = new URL("./server_process.ts", import.meta.url);
        const child = new Child(`${kind} server`, script, {
          env,
          args: [kind === "baseline" ? kind : "coach"],
        });
        server.processes.push({ child, url: "", statsUrl: "" });
        const info = await child.waitFor((e) => e.bench === "listening", SERVER_START_MS, "listening");
        server.processes[i] = { child, url: String(info.url), statsUrl: String(info.stats_url) };
      }
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** The (first) process's base URL. */
  get url(): string {
    return this.processes[0].url;
  }

  /** `/health` of the (first) product process. */
  async health(): Promise<{ local_sessions: number }> {
    return await (await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(10_000) })).json();
  }

  /**
   * The probes' figures (`reset` starts a new window, `gc` collects garbage before reading), added up as one
   * server's: counts and CPU added (Redis's CPU included), latencies the worst process's.
   */
  async stats(options: { reset?: boolean; gc?: boolean } = {}): Promise<ServerSnapshot> {
    const query = Object.entries(options).filter(([, on]) => on).map(([name]) => `${name}=1`).join("&");
    const snapshots: ProbeSnapshot[] = await Promise.all(this.processes.map(async ({ statsUrl }) => {
      const response = await fetch(`${statsUrl}/stats?${query}`, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`stats answered ${response.status}`);
      return await response.json();
    }));
    if (snapshots.length === 1) return { ...snapshots[0], redis: null };
    const redis = this.redis && await this.#redisFigures(this.redis);
    const sum = (pick: (s: ProbeSnapshot) => number | null) =>
      snapshots.some((s) => pick(s) === null) ? null : snapshots.reduce((n, s) => n + pick(s)!, 0);
    const cpu = sum((s) => s.cpu_us);
    return {
      ...snapshots[0],
      window_ms: Math.max(...snapshots.map((s) => s.window_ms)),
      frames: sum((s) => s.frames)!,
      frames_within_budget: sum((s) => s.frames_within_budget)!,
      frame_late_ms: snapshots.map((s) => s.frame_late_ms).reduce((a, b) => (b.p99 > a.p99 ? b : a)),
      // A cluster's CPU includes Redis's.
      cpu_us: cpu === null || (redis !== null && redis.cpu_us === null) ? null : cpu + (redis?.cpu_us ?? 0),
      rss: sum((s) => s.rss)!,
      redis,
    };
  }

  /** Redis's `INFO` counters and CPU. */
  async #redisFigures(redis: RedisServerProcess): Promise<NonNullable<ServerSnapshot["redis"]>> {
    const client = createClient({ url: redis.url });
    await client.connect();
    const info = await client.info().finally(() => client.destroy());
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
    return {
      commands: field("total_commands_processed"),
      input_bytes: field("total_net_input_bytes"),
      output_bytes: field("total_net_output_bytes"),
      used_memory: field("used_memory"),
      cpu_us: procCpuMicros(redis.pid),
    };
  }

  /** Starts a load generator process against this server, the calls spread over its processes. */
  startGenerator(
    config: Omit<GeneratorConfig, "baseUrl" | "authToken" | "instanceUrls" | "remotePages">,
  ): Child {
    const instanceUrls = this.processes.map(({ url }) => url);
    const full: GeneratorConfig = {
      ...config,
      baseUrl: this.url,
      instanceUrls,
      // Only a cluster's instances serve each other's calls to pages.
      remotePages: this.redis !== null,
      authToken: AUTH_TOKEN,
    };
    return new Child("load generator", new URL("./load_generator.ts", import.meta.url), {
      args: ["--config", JSON.stringify(full)],
    });
  }

  /** Ends the processes (the end of its stdin shuts a server down) and the cluster's Redis. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map(({ child }) => child.stop(10_000)));
    await this.redis?.stop();
  }
}
