/**
 * The product server under benchmark, in its own process: `startServer` as in production (LOG_LEVEL
 * from the environment, warn by default; log lines go to stderr so stdout stays the benchmark's channel),
 * plus the probe of `probe.ts` on a separate stats port. No route is added to the product.
 *
 * Run by `bench/mod.ts`: `deno run -A --v8-flags=--expose-gc bench/server_process.ts`, with
 * `TWILIO_AUTH_TOKEN` (so the load generator can sign and compute stream tokens) and optionally
 * `COACH_SETTINGS` and the AI phrasing's `COACH_LLM_*` in the environment (and, for an instance of a
 * cluster, `REDIS_URL`, `INSTANCE_ID` and `UI_ACCESS_KEY`).
 *
 * @module
 */
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/log.ts";
import { startServer } from "../server/start.ts";
import { serveProbe, ServerProbe, watchUpgrades } from "./probe.ts";

const env = Deno.env.toObject();
const config = loadConfig({
  PORT: "0",
  LOG_LEVEL: env.LOG_LEVEL ?? "warn",
  TWILIO_AUTH_TOKEN: env.TWILIO_AUTH_TOKEN,
  COACH_SETTINGS: env.COACH_SETTINGS,
  ...Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("COACH_LLM_"))),
  // One instance of a bench cluster (runs.ts): the same Redis, token and key for all.
  REDIS_URL: env.REDIS_URL,
  INSTANCE_ID: env.INSTANCE_ID,
  UI_ACCESS_KEY: env.UI_ACCESS_KEY,
});
const probe = new ServerProbe();
watchUpgrades(probe, (path) => path.startsWith("/ws/twilio/media/"));
const log = createLogger({
  level: config.logLevel,
  now: () => new Date(),
  write: (line) => console.error(line),
});
const server = await startServer(config, { hostname: "127.0.0.1", log });
probe.start();
await serveProbe(
  probe,
  { url: server.url, auth_token: server.authToken, kind: "coach" },
  () => ({
    registry_size: server.registry.size,
    local_sessions: server.registry.activeCount,
    memory_releases: server.memoryReleases,
  }),
  () => server.shutdown(),
);
