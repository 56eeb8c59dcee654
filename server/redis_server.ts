/**
 * A private `redis-server` for a cluster on one machine (`deno task cluster` without `REDIS_URL`) and for
 * the tests: no persistence, loopback only, stopped with its owner.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * console.log(redis.url); // redis://127.0.0.1:41234
 * await redis.stop();
 * ```
 *
 * @module
 */

/** A running `redis-server`. */
export interface RedisServerProcess {
  url: string;
  port: number;
  pid: number;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Ends it (SIGTERM, then SIGKILL after 2 s) and waits for it. */
  stop(): Promise<void>;
  /** Ends it at once, as a crash would (SIGKILL). */
  kill(): Promise<void>;
}

/** Options for {@linkcode startRedisServer}. */
export interface RedisServerOptions {
  /** Loopback port (default: a free one). */
  port?: number;
  /** The executable (default `redis-server` on `PATH`). */
  binary?: string;
  /** How long it may take to accept connections (ms). */
  timeoutMs?: number;
}

/**
 * Starts `redis-server` on 127.0.0.1 with nothing written to disk, and resolves once it accepts
 * connections.
 *
 * @throws {Error} saying how to install it when `redis-server` is not on `PATH`.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  const port = options.port ?? freePort();
  const binary = options.binary ?? "redis-server";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(binary, {
      args: [
        "--save",
        "",
        "--appendonly",
        "no",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--loglevel",
        "warning",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `${binary} was not found: install Redis (Debian/Ubuntu: apt-get install redis-server), or set REDIS_URL`,
    );
  }
  const output = collect(child);
  const exited = child.status;
  let done = false;
  exited.finally(() => done = true);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!await accepts(port)) {
    if (done || Date.now() > deadline) {
      kill(child, "SIGKILL");
      await exited;
      throw new Error(`redis-server did not start on port ${port}: ${(await output).trim() || "no output"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const signal = async (name: Deno.Signal, graceMs: number) => {
    if (done) return;
    kill(child, name);
    const timer = setTimeout(() => kill(child, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    exited,
    stop: () => signal("SIGTERM", 2_000),
    kill: () => signal("SIGKILL", 0),
  };
}

/** Signals the process unless it has exited already. */
function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error; // "already terminated"
  }
}

/** A port no one listens on now (the OS picks it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
export async function accepts(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Everything the process writes, read as it comes so its pipes never fill. */
async function collect(child: Deno.ChildProcess): Promise<string> {
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return out + err;
}
