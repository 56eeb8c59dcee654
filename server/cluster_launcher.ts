/**
 * `deno task cluster [--instances N]`: N instances of the server on one port of this machine, joined by
 * Redis. N defaults to the number of cores.
 *
 * The instances listen on the same port with `SO_REUSEPORT` (`Deno.serve({ reusePort: true })`): Linux
 * spreads new connections over them, so each Twilio stream, webhook and page lands on one of them and the
 * cluster makes that not matter. (Other systems accept the option without spreading; there, run one
 * instance per port behind a balancer, see docs/scaling.md.)
 *
 * Without `REDIS_URL` it starts a private `redis-server` (no persistence, loopback only) and stops it on
 * exit. What every instance must share and `deno task start` would generate per process is generated once
 * here: the ephemeral auth token (left for the simulator, as `deno task start` does) and the page's access
 * key (printed). The page is built once, before the instances start. An instance that exits on its own is
 * started again; Ctrl-C (or SIGTERM) stops every instance, then Redis.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../core/config.ts";
import { buildIslands } from "../islands/glue.ts";
import { readEnvironment } from "../lib/environment.ts";
import { removeLocalToken, writeLocalToken } from "../lib/local_token.ts";
import { defaultInstanceId, randomKey } from "./names.ts";
import { freePort, type RedisServerProcess, startRedisServer } from "./redis_server.ts";

/** How long an instance may take to listen. */
const START_TIMEOUT_MS = 60_000;
/** How long stopping instances may take before they are killed. */
const STOP_TIMEOUT_MS = 5_000;
/** Pause before an instance that exited on its own is started again. */
const RESTART_DELAY_MS = 1_000;

/** One running instance. */
interface InstanceChild {
  id: string;
  process: Deno.ChildProcess;
  /** Set while the launcher itself is stopping it. */
  stopping: boolean;
}

/** Parses `--instances N`; throws with the usage on anything else. */
export function parseClusterArgs(args: readonly string[]): { instances: number } {
  const { values } = parseArgs({
    args: [...args],
    options: { instances: { type: "string", default: String(navigator.hardwareConcurrency) } },
    strict: true,
  });
  const instances = Number(values.instances);
  if (!Number.isInteger(instances) || instances < 1 || instances > 64) {
    throw new Error(`--instances must be a whole number from 1 to 64 (got ${values.instances})`);
  }
  return { instances };
}

/** Runs the cluster until Ctrl-C. */
async function main(): Promise<void> {
  let instances: number;
  try {
    ({ instances } = parseClusterArgs(Deno.args));
  } catch (error) {
    console.error(`${(error as Error).message}\nUsage: deno task cluster [--instances N]`);
    Deno.exit(2);
  }
  const env = readEnvironment();
  const shared: Record<string, string> = {};
  const generatedKey = !env.UI_ACCESS_KEY?.trim();
  const ephemeralToken = !env.TWILIO_AUTH_TOKEN?.trim();
  if (generatedKey) shared.UI_ACCESS_KEY = randomKey();
  if (ephemeralToken) shared.TWILIO_AUTH_TOKEN = randomKey();
  let port: number;
  try {
    // Checked here once, so a wrong value is one message rather than one per instance.
    const config = loadConfig({ ...env, ...shared, REDIS_URL: env.REDIS_URL || "redis://127.0.0.1:6379" });
    port = config.port === 0 ? freePort() : config.port;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(
      `Configuration error: ${error.message}\nSee .env.example and the README's configuration table.`,
    );
    Deno.exit(1);
  }
  shared.PORT = String(port);

  let redis: RedisServerProcess | null = null;
  if (!env.REDIS_URL?.trim()) {
    redis = await startRedisServer();
    shared.REDIS_URL = redis.url;
  }
  if (ephemeralToken) await writeLocalToken(port, shared.TWILIO_AUTH_TOKEN);
  await buildIslands();

  const prefix = env.INSTANCE_ID?.trim() || defaultInstanceId();
  const children: InstanceChild[] = [];
  // One stop, however many signals ask for it: a second Ctrl-C waits for the first stop to finish
  // rather than exiting past it and leaving Redis running. Set once the launcher is stopping.
  let stopped: Promise<void> | null = null;
  const start = (id: string): Promise<InstanceChild> => {
    const child = spawnInstance(id, { ...env, ...shared, INSTANCE_ID: id });
    children.push(child);
    child.process.status.then(async (status) => {
      children.splice(children.indexOf(child), 1);
      if (stopped || child.stopping) return;
      console.error(`Instance ${id} exited (code ${status.code}); starting it again.`);
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      if (!stopped) start(id).catch((error) => console.error(`Instance ${id}: ${error.message}`));
    });
    return waitUntilRunning(child).then(() => child);
  };
  const stopAll = () =>
    stopped ??= (async () => {
      await Promise.all(children.map(stopInstance));
      await redis?.stop();
      if (ephemeralToken) await removeLocalToken(port);
    })();
  const stopAndExit = () =>
    stopAll().then(() => Deno.exit(0), (error) => {
      console.error(`Stopping the cluster failed: ${error.message}`);
      Deno.exit(1);
    });
  Deno.addSignalListener("SIGINT", stopAndExit);
  Deno.addSignalListener("SIGTERM", stopAndExit);

  try {
    await Promise.all(Array.from({ length: instances }, (_, i) => start(`${prefix}-${i + 1}`)));
  } catch (error) {
    console.error((error as Error).message);
    await stopAll();
    Deno.exit(1);
  }
  console.log(
    `Live Call Coach cluster: ${instances} instance${instances === 1 ? "" : "s"} on port ${port}; open ` +
      `http://127.0.0.1:${port}/ (public URL ${env.PUBLIC_URL?.trim() || `http://127.0.0.1:${port}`}).`,
  );
  console.log(
    redis
      ? `Redis: ${redis.url} (private: no persistence, loopback only, stopped with the cluster).`
      : "Redis: REDIS_URL.",
  );
  if (generatedKey) {
    console.log(`Access key for viewing the page from other machines: ${shared.UI_ACCESS_KEY}`);
  }
  console.log("Ctrl-C stops every instance" + (redis ? " and Redis." : "."));
}

function spawnInstance(id: string, env: Record<string, string>): InstanceChild {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // SO_REUSEPORT is behind this flag in Deno 2.9.
      "--unstable-net",
      "--v8-flags=--expose-gc",
      new URL("./instance.ts", import.meta.url).pathname,
    ],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return { id, process, stopping: false };
}

/** Passes the instance's output on, and resolves once it says it is running. */
function waitUntilRunning(child: InstanceChild): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Instance ${child.id} did not start within ${START_TIMEOUT_MS / 1000} s.`)),
      START_TIMEOUT_MS,
    );
    let running = false;
    (async () => {
      let pending = "";
      for await (const chunk of child.process.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          console.log(line);
          if (!running && line.startsWith(`Instance ${child.id} is running`)) {
            running = true;
            clearTimeout(timer);
            resolve();
          }
        }
      }
      if (!running) {
        clearTimeout(timer);
        reject(new Error(`Instance ${child.id} exited before it started (its messages are above).`));
      }
    })();
  });
}

async function stopInstance(child: InstanceChild): Promise<void> {
  child.stopping = true;
  const signal = (name: Deno.Signal) => {
    try {
      child.process.kill(name);
    } catch {
      // It exited already.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), STOP_TIMEOUT_MS);
  await child.process.status;
  clearTimeout(timer);
}

if (import.meta.main) await main();
