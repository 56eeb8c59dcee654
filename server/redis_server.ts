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

/** How many free ports are tried before giving up. */
const PORT_ATTEMPTS = 5;
/** More of a reply than `INFO server` ever sends: whatever sends it is not a Redis. */
const MAX_INFO_BYTES = 64 * 1024;

/** Another process listens on the port redis-server was given. */
class PortTakenError extends Error {}

/**
 * Starts `redis-server` on 127.0.0.1 with nothing written to disk, and resolves once the server answering
 * on its port is that process (its `INFO` gives the pid).
 *
 * @throws {Error} saying how to install it when `redis-server` is not on `PATH`; saying that the port is
 *   taken when `options.port` is given and another process listens there.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  // A port from freePort() is free only when asked: another process (a parallel test, say) may take it
  // before redis-server binds it. So a start counts only when the server on the port is ours, and a port
  // we picked is picked again when ours lost it.
  for (let attempt = 1;; attempt++) {
    try {
      return await startOn(options.port ?? freePort(), options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt === PORT_ATTEMPTS) {
        throw error;
      }
    }
  }
}

async function startOn(port: number, options: RedisServerOptions): Promise<RedisServerProcess> {
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
  const giveUp = async (error: (said: string) => Error) => {
    kill(child, "SIGKILL");
    await exited;
    return error((await output).trim());
  };
  for (;;) {
    const listener = await listenerOn(port);
    if (listener === child.pid) break;
    if (listener !== "none") {
      throw await giveUp(() => new PortTakenError(`port ${port} is taken by another process (${listener})`));
    }
    if (done || Date.now() > deadline) {
      throw await giveUp((said) =>
        /address already in use/i.test(said)
          ? new PortTakenError(`port ${port} is taken by another process: ${said}`)
          : new Error(`redis-server did not start on port ${port}: ${said || "no output"}`)
      );
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

/**
 * Who listens on 127.0.0.1:`port`: "none", the pid a Redis there reports (`INFO server`), or "a server
 * that is not Redis".
 */
async function listenerOn(port: number): Promise<"none" | "a server that is not Redis" | number> {
  let connection: Deno.TcpConn;
  try {
    connection = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return "none";
  }
  // A server that accepts and never answers is not a Redis either.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.close();
  }, 2_000);
  try {
    await connection.write(new TextEncoder().encode("INFO server\r\n"));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    let reply = "";
    for (;;) {
      const pid = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (pid) return Number(pid[1]);
      const read = await connection.read(buffer);
      if (read === null || reply.length > MAX_INFO_BYTES) return "a server that is not Redis";
      reply += decoder.decode(buffer.subarray(0, read), { stream: true });
    }
  } catch {
    // Closed by the timer, or reset by the peer: not a Redis that answers.
    return "a server that is not Redis";
  } finally {
    clearTimeout(timer);
    if (!timedOut) connection.close();
  }
}

/**
 * A port no one listens on now. It is drawn below Linux's ephemeral range (32768 up), which the OS hands
 * to every `port: 0` listener and outgoing connection: a port from there, free when asked, is soon given
 * to another process, while a port drawn here stays free until someone asks for that very number.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  // Nearly all of that range is in use: let the OS pick.
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
