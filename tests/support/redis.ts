/**
 * A real `redis-server` for tests, on a free loopback port, with nothing written to disk; and instances of
 * the server joined to it, as a cluster behind one public URL.
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import { createClient } from "redis";
import { loadConfig } from "../../core/config.ts";
import { createLogger, type LogLevel } from "../../core/log.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
import { type RedisServerProcess, startRedisServer } from "../../server/redis_server.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { answerCall, MediaStream, newCallSid, openSocket } from "./fake_twilio.ts";
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

/** What {@linkcode withPasswordRedis} hands its test. */
export interface PasswordRedis {
  /** The URL with the password, selecting the database asked for. */
  url: string;
  /** The URL with a wrong password. */
  wrongUrl: string;
  /** A client already in, closed before Redis stops. */
  admin: ReturnType<typeof adminClient>;
}

function adminClient(url: string) {
  return createClient({ url });
}

/** Runs `run` with a fresh `redis-server` that asks for a password (`requirepass`). */
export async function withPasswordRedis(
  database: number,
  run: (redis: PasswordRedis) => Promise<void>,
): Promise<void> {
  await withRedis(async (redis) => {
    const admin = adminClient(redis.url);
    await admin.connect();
    try {
      await admin.configSet("requirepass", "s3cret-pass");
      await run({
        url: `redis://:s3cret-pass@127.0.0.1:${redis.port}/${database}`,
        wrongUrl: `redis://:wrong-pass@127.0.0.1:${redis.port}`,
        admin,
      });
    } finally {
      admin.destroy();
    }
  });
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

/** Loud agent speech (about -12 dBov) and a silent customer, looped for as long as a call lasts. */
const LOUD_SPEECH = Deno.readFileSync(
  new URL("../fixtures/speech/rate130_en-us_f3_loud12.ulaw", import.meta.url),
);
const SILENT_FRAME = new Uint8Array(160).fill(0xff);
/** The same speech 14 dB softer (about -26 dBov): an ordinary level, which ends the loud tip's condition. */
const ORDINARY_SPEECH = alawmulaw.mulaw.encode(
  alawmulaw.mulaw.decode(LOUD_SPEECH).map((sample) => Math.round(sample * 0.2)),
);

/** Coaching settings that give a loud agent a tip about every half second of speech. */
export const FREQUENT_TIPS = { coaching: { loudHoldMs: 500, loudCooldownMs: 0, minGapMs: 0 } };

/**
 * A call in real time through a cluster: Twilio's signed voice webhook to `webhook`, its media socket (signed
 * over the balancer's stream URL) to `media`, loud agent speech until {@linkcode RealTimeCall.stop}.
 */
export class RealTimeCall {
  #sending = true;
  #speech: Uint8Array = LOUD_SPEECH;
  #loop: Promise<void> = Promise.resolve();

  private constructor(readonly callSid: string, readonly stream: MediaStream) {}

  static async start(webhook: RunningServer, media: RunningServer): Promise<RealTimeCall> {
    const callSid = newCallSid();
    const answer = await answerCall(webhook, callSid);
    const streamUrl = new URL(answer.url);
    const socket = await openSocket(media.url.replace(/^http/, "ws") + streamUrl.pathname, {
      "x-twilio-signature": signTwilioRequest(CLUSTER_TOKEN, answer.url, {}),
    });
    const stream = new MediaStream(socket, callSid);
    stream.connected();
    stream.start(answer.parameters);
    const call = new RealTimeCall(callSid, stream);
    call.#loop = call.#play();
    return call;
  }

  async #play(): Promise<void> {
    const started = performance.now();
    for (let slot = 0; this.#sending && this.stream.socket.readyState === WebSocket.OPEN; slot++) {
      const at = (slot * 160) % (this.#speech.length - 160);
      this.stream.media("outbound", slot * 20, this.#speech.subarray(at, at + 160));
      this.stream.media("inbound", slot * 20, SILENT_FRAME);
      const due = started + (slot + 1) * 20;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  }

  /** From now on the agent speaks at an ordinary level. */
  soften(): void {
    this.#speech = ORDINARY_SPEECH;
  }

  /** Stops the audio and sends Twilio's `stop`. */
  async stop(): Promise<void> {
    this.#sending = false;
    await this.#loop;
    if (this.stream.socket.readyState === WebSocket.OPEN) this.stream.stop();
  }
}

/** An instance running in a process of its own, which a test can kill. */
export interface InstanceProcess {
  /** Enough of a server for the helpers above. */
  server: RunningServer;
  /** Ends it at once, as a crash would: no `call_ended`, no goodbye to Redis. */
  kill(): Promise<void>;
}

/** Starts instance `id` of a cluster on `redisUrl` in its own process. */
export async function spawnInstance(
  redisUrl: string,
  id: string,
  settings: object = {},
): Promise<InstanceProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./instance_process.ts", import.meta.url).pathname],
    env: { ...instanceEnv(redisUrl, id, settings), LOG_LEVEL: "warn" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`instance ${id} exited before it listened`);
    text += value;
  }
  await reader.cancel();
  const { url, instance_id } = JSON.parse(text.slice(0, text.indexOf("\n")));
  const status = child.status;
  return {
    // The parts of a RunningServer the tests use of a remote instance: where it is, and who it is.
    server: {
      url,
      instanceId: instance_id,
      authToken: CLUSTER_TOKEN,
      config: loadConfig(instanceEnv(redisUrl, id)),
    } as RunningServer,
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await status;
    },
  };
}
