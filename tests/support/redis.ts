/**
 * A real `redis-server` for tests, on a free loopback port, with nothing written to disk; and instances of
 * the server joined to it, as a cluster behind one public URL.
 *
 * @module
 */
import { loadConfig } from "../../core/config.ts";
import { createLogger, type LogLevel } from "../../core/log.ts";
import { type RunningServer, startServer } from "../../routes/server.ts";
import { type RedisServerProcess, startRedisServer } from "../../server/redis_server.ts";
import type { LogLine } from "./server.ts";

/** The load balancer's URL: every instance's PUBLIC_URL, which Twilio signs over. */
export const BALANCER_URL = "https://coach.example.test";
/** The auth token and access key every instance shares. */
export const CLUSTER_TOKEN = "cluster-test-token-" + crypto.randomUUID();
export const CLUSTER_KEY = "cluster-test-key-" + crypto.randomUUID();

/** Runs `run` with a fresh `redis-server`, stopped afterwards whatever happens. */
export async function withRedis(run: (redis: RedisServerProcess) => Promise<void>): Promise<void> {
  const redis = await startRedisServer();
  try {
    await run(redis);
  } finally {
    await redis.stop();
  }
}

/** The environment of one instance of a test cluster on `redisUrl`. */
export function instanceEnv(
  redisUrl: string,
  instanceId: string,
  settings: object = {},
): Record<string, string> {
  return {
    PORT: "0",
    PUBLIC_URL: BALANCER_URL,
    REDIS_URL: redisUrl,
    INSTANCE_ID: instanceId,
    TWILIO_AUTH_TOKEN: CLUSTER_TOKEN,
    UI_ACCESS_KEY: CLUSTER_KEY,
    COACH_SETTINGS: JSON.stringify(settings),
  };
}

/** An instance started in this process, with the log lines it wrote. */
export interface Instance {
  server: RunningServer;
  logs: LogLine[];
}

/** Starts instances `ids` of a cluster on `redisUrl`, in this process; each must be shut down. */
export async function startInstances(
  redisUrl: string,
  ids: readonly string[],
  settings: object = {},
  level: LogLevel = "warn",
): Promise<Instance[]> {
  return await Promise.all(ids.map(async (id) => {
    const logs: LogLine[] = [];
    const log = createLogger({ level, now: () => new Date(), write: (line) => logs.push(JSON.parse(line)) });
    const server = await startServer(loadConfig(instanceEnv(redisUrl, id, settings)), {
      hostname: "127.0.0.1",
      log,
    });
    return { server, logs };
  }));
}

/** Shuts instances down (those still running). */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  await Promise.all(instances.map(({ server }) => server.shutdown()));
}

/** `/health` of a server. */
export async function health(server: { url: string }): Promise<Record<string, unknown>> {
  return await (await fetch(`${server.url}/health`)).json();
}
