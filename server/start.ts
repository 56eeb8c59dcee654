/**
 * Starts the server: the session registry, the Hono app on `Deno.serve`, the once-a-second sweep that
 * ends idle sessions (and gives memory back once all calls are over), and a clean shutdown that tells every
 * page and closes every socket. With `REDIS_URL` it first joins the cluster (server/cluster_member.ts).
 *
 * @example
 * ```ts
 * const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }));
 * console.log(server.url); // http://127.0.0.1:54321
 * await server.shutdown();
 * ```
 *
 * @module
 */
import type { AppConfig } from "../core/config.ts";
import { createLogger, type Logger } from "../core/log.ts";
import { SessionRegistry } from "../core/session/registry.ts";
import { SuggestionPhraser } from "./phrasing/phraser.ts";
import { ClusterMember } from "./cluster_member.ts";
import { defaultInstanceId, randomKey } from "./names.ts";
import { RedisLink } from "./redis_link.ts";
import { createApp } from "../routes/app.ts";
import { removeLocalToken, writeLocalToken } from "../lib/local_token.ts";
import { IdleMemoryRelease, lastResortCollector } from "./memory_release.ts";
import { SampleCallPlayer } from "./sample_call_player.ts";

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  /** Interface to listen on (default 0.0.0.0 so a tunnel or LAN can reach it). */
  hostname?: string;
  /** Logger to use instead of JSON lines on stdout at `LOG_LEVEL`. */
  log?: Logger;
  /** The idle memory release's collection (default V8's last-resort GC when exposed; null: none). */
  collectGarbage?: (() => void) | null;
  /** The AI phrasing's transport to its model (default: the global `fetch`). */
  fetch?: typeof fetch;
  /**
   * Listen with `SO_REUSEPORT`, so the instances of a cluster on one machine share the port and Linux
   * spreads the connections among them (`deno task cluster`). Deno 2.9 needs `--unstable-net` for it.
   */
  reusePort?: boolean;
}

/** A started server. */
export interface RunningServer {
  /** Local base URL, `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The effective auth token: `TWILIO_AUTH_TOKEN` or the ephemeral one generated at start. */
  authToken: string;
  /** The key remote viewers of the page need: `UI_ACCESS_KEY` or one generated at start. */
  accessKey: string;
  /** Whether {@linkcode RunningServer.accessKey} was generated (so it should be shown to the user). */
  accessKeyGenerated: boolean;
  registry: SessionRegistry;
  /** This instance's name (`INSTANCE_ID`, or the host name and process id). */
  instanceId: string;
  /** This instance's part in the cluster (null without `REDIS_URL`). */
  cluster: ClusterMember | null;
  /** The optional AI phrasing of tips (null without `COACH_LLM_BASE_URL`). */
  phraser: SuggestionPhraser | null;
  config: AppConfig;
  /** How many times the server gave memory back after its calls ended (see server/memory_release.ts). */
  readonly memoryReleases: number;
  /** Ends every session (pages get `call_ended`), closes all sockets and stops listening. */
  shutdown(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 1000;

/**
 * Starts the server with `config`. With `PORT` 0 it listens on a free port.
 *
 * @throws {ConfigError} naming `REDIS_URL` when Redis cannot be reached at start.
 */
export async function startServer(
  config: AppConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const log = options.log ??
    createLogger({ level: config.logLevel, now: () => new Date(), write: console.log });
  const now = () => Date.now();
  const instanceId = config.instanceId ?? defaultInstanceId();
  const link = config.redisUrl === undefined ? null : await RedisLink.open({ url: config.redisUrl, log });
  const phraser = config.phrasing === null
    ? null
    : new SuggestionPhraser({ settings: config.phrasing, log, now, fetch: options.fetch });
  let cluster: ClusterMember | null = null;
  const registry = new SessionRegistry({
    ...config,
    now,
    log,
    tipStages: phraser === null ? undefined : (sessionId) => phraser.stage(sessionId),
    relay: link === null ? undefined : (sessionId, message) => cluster?.relay(sessionId, message),
  });
  if (link !== null) {
    try {
      cluster = await ClusterMember.join({ link, registry, instanceId, session: config.session, log, now });
    } catch (error) {
      link.close();
      throw error;
    }
  }
  const sockets = new Set<WebSocket>();
  const ephemeral = config.twilio.authToken === undefined;
  const authToken = config.twilio.authToken ?? randomKey();
  const accessKey = config.uiAccessKey ?? randomKey();

  let resolveListening: (port: number) => void;
  const listening = new Promise<number>((resolve) => resolveListening = resolve);
  const handlerRef: {
    fetch?: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  } = {};
  const server = Deno.serve(
    {
      port: config.port,
      hostname: options.hostname ?? "0.0.0.0",
      ...(options.reusePort ? { reusePort: true } : {}),
      onListen: (addr) => resolveListening(addr.port),
    },
    // The connection info reaches routes as `c.env`: who is local is decided by the peer address too.
    (request, info) => handlerRef.fetch!(request, info),
  );
  const port = await listening;
  // PUBLIC_URL defaults to the local address; with PORT 0 that address is only known now.
  const effective: AppConfig = config.publicUrlSet || config.port !== 0
    ? config
    : { ...config, port, publicUrl: `http://127.0.0.1:${port}` };
  const sampleCalls = new SampleCallPlayer({
    url: `http://127.0.0.1:${port}`,
    publicUrl: effective.publicUrl,
    authToken,
    coaching: effective.coaching,
    log,
  });
  const app = createApp({
    config: effective,
    registry,
    feed: cluster?.feed ?? registry,
    cluster,
    instanceId,
    authToken,
    accessKey,
    log,
    now,
    startedAt: now(),
    phrasing: phraser,
    trackSocket: (socket) => {
      sockets.add(socket);
      return () => sockets.delete(socket);
    },
    sampleCalls,
  });
  handlerRef.fetch = app.fetch;

  if (ephemeral) {
    await writeLocalToken(port, authToken);
    log.warn("local_token", {
      message: "TWILIO_AUTH_TOKEN is not set: using an ephemeral local token. Only the local simulator " +
        "can call this server; set TWILIO_AUTH_TOKEN for real Twilio calls.",
    });
  }
  const release = new IdleMemoryRelease({
    idleReleaseMs: config.session.idleReleaseMs,
    collect: options.collectGarbage === undefined ? lastResortCollector() : options.collectGarbage,
    log,
  });
  let lastSweep = now();
  const sweep = setInterval(() => {
    const time = now();
    // Busy while a call runs, and in the tick after one ended (however short it was); ended calls kept
    // for pages to show do not hold the memory release back.
    const busy = registry.busySince(lastSweep);
    lastSweep = time;
    registry.sweep(time);
    cluster?.sweep(time);
    release.tick(busy, time);
    phraser?.tick(time);
  }, SWEEP_INTERVAL_MS);
  log.info("server_started", {
    url: `http://127.0.0.1:${port}`,
    public_url: effective.publicUrl,
    // Where tips may be sent for rewording (never the key), so an operator sees it at a glance.
    ai_phrasing: config.phrasing === null ? "off" : {
      base_url: config.phrasing.baseUrl,
      model: config.phrasing.model,
      language: config.phrasing.language,
    },
    instance_id: instanceId,
    cluster: cluster !== null,
  });

  let stopping: Promise<void> | null = null;
  const shutdown = () =>
    stopping ??= (async () => {
      clearInterval(sweep);
      // The sample call's own sockets and requests end with the server's; it is awaited at the end.
      const sampleStopped = sampleCalls.stop();
      registry.endAll("shutdown");
      // The calls' ends reach the other instances' pages before this one leaves Redis.
      await cluster?.close();
      // Ended calls aborted their model requests; wait for them to wind down.
      await phraser?.idle();
      for (const socket of sockets) {
        if (socket.readyState === WebSocket.OPEN) socket.close(1001, "server shutting down");
      }
      await server.shutdown();
      await sampleStopped;
      if (ephemeral) await removeLocalToken(port);
      log.info("server_stopped", {});
    })();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    authToken,
    accessKey,
    accessKeyGenerated: config.uiAccessKey === undefined,
    registry,
    instanceId,
    cluster,
    phraser,
    config: effective,
    get memoryReleases() {
      return release.releases;
    },
    shutdown,
  };
}
