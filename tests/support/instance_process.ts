/**
 * One instance of a test cluster in its own process, configured by its environment (see
 * `instanceEnv` in redis.ts): prints `{"url":…,"instance_id":…}` on stdout once it listens, logs to stderr,
 * and runs until it is killed.
 *
 * @module
 */
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { startServer } from "../../server/start.ts";

const config = loadConfig(Deno.env.toObject());
const log = createLogger({
  level: config.logLevel,
  now: () => new Date(),
  write: (line) => console.error(line),
});
const server = await startServer(config, { hostname: "127.0.0.1", log });
console.log(JSON.stringify({ url: server.url, instance_id: server.instanceId }));
