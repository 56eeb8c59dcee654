/**
 * The benchmark's runs over real sockets: a server process (ours or the baseline) and a load generator
 * process, coordinated through their stdout/stdin line protocols and the server's stats port.
 *
 * @module
 */
import { createClient } from "redis";
import { type RedisServerProcess, startRedisServer } from "../server/redis_server.ts";
import { Child, type ChildEvent } from "./child.ts";
import type { GeneratorConfig, GeneratorTransport } from "./load_generator.ts";
import type { ProbeSnapshot } from "./probe.ts";
import { processCpuMicros, type QuantileSummary } from "./stats.ts";
import { round } from "./stats.ts";

/**
 * Which server a run measures: one product process, the bare baseline, or a cluster of
 * {@linkcode CLUSTER_INSTANCES} product processes joined by a private `redis-server`.
 */
export type ServerKind = "coach" | "baseline" | "cluster";
/** Processes of the bench's cluster: as many as a 2-core machine has cores. */
export const CLUSTER_INSTANCES = 2;

/** Share of frames that must be processed within 100 ms for a rung to hold real time. */
export const REAL_TIME_SHARE = 0.99;
const SERVER_START_MS = 30_000;
const AUTH_TOKEN = "bench" + crypto.randomUUID().replaceAll("-", "");

/** A running benchmark server process. */
export class ServerUnderTest {
  private constructor(
    readonly child: Child,
    readonly url: string,
    readonly statsUrl: string,
    readonly authToken: string,
  ) {}

  /** Starts the server process and waits until it listens. */
  static async start(
    kind: "coach" | "baseline",
    options: { coachSettings?: object; cpuProfileDir?: string; env?: Record<string, string> } = {},
  ): Promise<ServerUnderTest> {
    const script = new URL(
      kind === "coach" ? "./server_process.ts" : "./baseline_server.ts",
      import.meta.url,
    );
    // BENCH_LOG=info shows the server's own log lines in a failing run's stderr tail (default warn).
    const env: Record<string, string> = {
      LOG_LEVEL: Deno.env.get("BENCH_LOG") ?? "warn",
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      ...options.env,
    };
    if (options.coachSettings) env.COACH_SETTINGS = JSON.stringify(options.coachSettings);
    const denoFlags = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const child = new Child(`${kind} server`, script, { env, denoFlags });
    try {
      const info = await child.waitFor((e) => e.bench === "listening", SERVER_START_MS, "listening");
      return new ServerUnderTest(child, String(info.url), String(info.stats_url), AUTH_TOKEN);
    } catch (error) {
      await child.stop(0);
      throw error;
    }
  }

  /** The probe's figures (see `probe.ts`). */
  async stats(options: { reset?: boolean; gc?: boolean; release?: boolean } = {}): Promise<ProbeSnapshot> {
    const query = [
      options.reset ? "reset=1" : "",
      options.gc ? "gc=1" : "",
      options.release ? "release=1" : "",
    ]
      .filter(Boolean).join("&");
    const response = await fetch(`${this.statsUrl}/stats?${query}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`stats answered ${response.status}`);
    return await response.json();
  }

  /** `/health` of the product server. */
  async health(): Promise<{ status: string; local_sessions: number; phrasing: Record<string, unknown> }> {
    const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(10_000) });
    return await response.json();
  }

  /** Asks the process to shut down (so a CPU profile gets written), then makes sure it is gone. */
  async stop(): Promise<void> {
    if (!this.child.hasExited) {
      await fetch(`${this.statsUrl}/shutdown`, { method: "POST", signal: AbortSignal.timeout(5_000) })
        .then((response) => response.body?.cancel())
        .catch(() => {/* already going down; stop() below makes sure */});
    }
    await this.child.stop(10_000);
  }
}

/** The bench clusters' private `redis-server`s still running (not children the bench's `Child` tracks). */
const runningRedis = new Set<RedisServerProcess>();

/** Stops every private `redis-server` of the bench still running (on Ctrl-C, as `stopAllChildren`). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...runningRedis].map((redis) => redis.stop()));
}

/** The server(s) of one run: one process, or the instances of a cluster and their Redis. */
export class ServersUnderTest {
  private constructor(readonly servers: ServerUnderTest[], readonly redis: RedisServerProcess | null) {}

  static async start(
    kind: ServerKind,
    options: { coachSettings?: object; cpuProfileDir?: string } = {},
  ): Promise<ServersUnderTest> {
    if (kind !== "cluster") return new ServersUnderTest([await ServerUnderTest.start(kind, options)], null);
    const redis = await startRedisServer();
    runningRedis.add(redis);
    redis.exited.finally(() => runningRedis.delete(redis));
    const started = await Promise.allSettled(
      Array.from({ length: CLUSTER_INSTANCES }, (_, i) =>
        ServerUnderTest.start("coach", {
          ...options,
          env: {
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

  get urls(): string[] {
    return this.servers.map((server) => server.url);
  }

  /** The instances' figures added up (CPU includes Redis), as one server's. */
  async stats(options: { reset?: boolean } = {}): Promise<ProbeSnapshot> {
    const snapshots = await Promise.all(this.servers.map((server) => server.stats(options)));
    const redisCpu = this.redis === null ? 0 : processCpuMicros(this.redis.pid);
    return mergeSnapshots(snapshots, redisCpu);
  }

  /** CPU Redis used so far, µs (null without Redis or outside Linux). */
  redisCpuMicros(): number | null {
    return this.redis === null ? null : processCpuMicros(this.redis.pid);
  }

  /** Redis's own counters (`INFO`): commands, bytes in and out, memory; null without Redis. */
  async redisCounters(): Promise<RedisCounters | null> {
    if (this.redis === null) return null;
    const client = createClient({ url: this.redis.url });
    await client.connect();
    try {
      const info = await client.info();
      const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
      return {
        commands: field("total_commands_processed"),
        input_bytes: field("total_net_input_bytes"),
        output_bytes: field("total_net_output_bytes"),
        used_memory: field("used_memory"),
      };
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    await this.redis?.stop();
  }
}

/** What Redis counts (`INFO`): cumulative commands and network bytes, and the memory it uses now. */
export interface RedisCounters {
  commands: number;
  input_bytes: number;
  output_bytes: number;
  used_memory: number;
}

/** Redis over a measurement window: rates, and memory at the end of it above an empty Redis's. */
export interface RedisLoad {
  commands_per_s: number;
  input_kb_per_s: number;
  output_kb_per_s: number;
  used_memory_mb: number;
}

/** Several instances' snapshots as one: counts and CPU added, latencies and lag the worst instance's. */
function mergeSnapshots(snapshots: ProbeSnapshot[], extraCpuMicros: number | null): ProbeSnapshot {
  if (snapshots.length === 1 && extraCpuMicros === 0) return snapshots[0];
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
    frames_unstamped: sum((s) => s.frames_unstamped)!,
    frame_late_ms: worst((s) => s.frame_late_ms),
    loop_lag_ms: worst((s) => s.loop_lag_ms),
    cpu_us: cpu === null || extraCpuMicros === null ? null : cpu + extraCpuMicros,
    main_thread_cpu_us: sum((s) => s.main_thread_cpu_us),
    rss: sum((s) => s.rss)!,
    open_media_sockets: sum((s) => s.open_media_sockets)!,
  };
}

/** Starts a load generator process. */
export function startGenerator(
  server: ServerUnderTest | ServersUnderTest,
  config: Omit<GeneratorConfig, "baseUrl" | "authToken">,
): Child {
  const urls = server instanceof ServersUnderTest ? server.urls : [server.url];
  const full: GeneratorConfig = { ...config, baseUrl: urls[0], instanceUrls: urls, authToken: AUTH_TOKEN };
  return new Child("load generator", new URL("./load_generator.ts", import.meta.url), {
    args: ["--config", JSON.stringify(full)],
  });
}

/** Timings of one ladder rung. */
export interface RungTiming {
  warmupMs: number;
  windowMs: number;
}

/** One row of the concurrency ladder. */
export interface RungResult {
  server: ServerKind;
  calls: number;
  connected: number;
  window_s: number;
  frames_per_s: number;
  expected_frames_per_s: number;
  /** Share of the frames real time called for that were processed within 100 ms of when they were due. */
  within_100ms: number;
  frame_late_ms: QuantileSummary;
  loop_lag_p99_ms: number;
  server_cpu_pct: number | null;
  /** The server's main thread alone (the sockets and the analysis; the rest is V8's own threads). */
  server_main_thread_cpu_pct: number | null;
  rss_mb: number;
  generator_send_late_p99_ms: number;
  generator_cpu_pct: number | null;
  /** The generator's media client (`raw`: one write per call per tick; `websocket`: Deno's client). */
  generator_transport: GeneratorTransport;
  /**
   * Raw client: flushes that found the call's previous write still pending, so their frames waited for it:
   * the kernel's socket buffer was full (the server was not reading) or the generator's event loop was
   * starved. Null for the `websocket` client.
   */
  generator_write_waits: number | null;
  /** All processes on the machine, % of one core (200 % = both cores of a 2-core machine busy). */
  machine_cpu_pct: number | null;
  /** What processes other than the server and the generator used (other engineers' work, the OS). */
  other_cpu_pct: number | null;
  /** CPU the hypervisor gave to other guests while we wanted it, % of one core. */
  steal_pct: number | null;
  /** Latency calls' pages on the instance coaching them: suggestions and metrics (stream moment → page). */
  tip_latency_ms: QuantileSummary;
  /** Of those tips, how many came in a model's words (0 without the AI phrasing). */
  tips_phrased_by_model: number;
  /** The AI phrasing's counts from `/health` at the end of the run; null when it was off. */
  phrasing: Record<string, unknown> | null;
  metrics_latency_ms: QuantileSummary;
  /** In a cluster, the same on a page of another instance (through Redis); null for one process. */
  remote_tip_latency_ms: QuantileSummary | null;
  remote_metrics_latency_ms: QuantileSummary | null;
  /** Server processes measured (a cluster's instances). */
  instances: number;
  /** Redis's CPU in the window, % of one core (included in `server_cpu_pct`); null without Redis. */
  redis_cpu_pct: number | null;
  /** Redis's load in the window; null without Redis. */
  redis: RedisLoad | null;
  holds_real_time: boolean;
  note: string;
}

const MB = 1024 * 1024;

/**
 * Runs `calls` concurrent real-time calls against a fresh server of `kind`: warm up, measure a window,
 * stop. `latencyCalls` of them also get a page socket and the loud agent track.
 */
export async function runRung(
  kind: ServerKind,
  calls: number,
  timing: RungTiming,
  options: {
    latencyCalls?: number;
    coachSettings?: object;
    cpuProfileDir?: string;
    transport?: GeneratorTransport;
    /** More of the server's environment (e.g. the AI phrasing's `COACH_LLM_*`). */
    env?: Record<string, string>;
  } = {},
): Promise<RungResult> {
  const server = await ServersUnderTest.start(kind, options);
  const idleRedis = await server.redisCounters();
  let generator: Child | null = null;
  try {
    const rampMs = Math.min(2000, 200 + calls);
    const maxSeconds = Math.ceil((timing.warmupMs + timing.windowMs + rampMs) / 1000 + 30 + calls / 50);
    generator = startGenerator(server, {
      mode: "realtime",
      calls,
      latencyCalls: options.latencyCalls ?? 0,
      callSeconds: 0,
      rampMs,
      maxSeconds,
      connectConcurrency: 32,
      transport: options.transport ?? "raw",
    });
    const ready = await generator.waitFor((e) => e.event === "ready", (maxSeconds - 10) * 1000, "ready");
    await sleep(timing.warmupMs);
    const before = await server.stats({ reset: true });
    const redisBefore = server.redisCpuMicros();
    const countersBefore = await server.redisCounters();
    const machineBefore = await readMachineCpu();
    await generator.send("mark");
    await sleep(timing.windowMs);
    const after = await server.stats();
    const redisAfter = server.redisCpuMicros();
    const countersAfter = await server.redisCounters();
    const machine = machineCpu(machineBefore, await readMachineCpu());
    await generator.send("stop");
    const done = await generator.waitFor((e) => e.event === "done", 30_000, "done");
    const row = rungRow(kind, calls, ready, done, before, after, machine);
    row.instances = server.servers.length;
    row.redis_cpu_pct = redisBefore === null || redisAfter === null
      ? null
      : round((redisAfter - redisBefore) / 1e4 / row.window_s, 1);
    // With the AI phrasing on, what it did over the whole run (warm-up included): its /health counts.
    row.phrasing = options.env?.COACH_LLM_BASE_URL ? (await server.servers[0].health()).phrasing : null;
    if (idleRedis && countersBefore && countersAfter) {
      const rate = (pick: (c: RedisCounters) => number) =>
        (pick(countersAfter) - pick(countersBefore)) / row.window_s;
      row.redis = {
        commands_per_s: Math.round(rate((c) => c.commands)),
        input_kb_per_s: round(rate((c) => c.input_bytes) / 1024, 1),
        output_kb_per_s: round(rate((c) => c.output_bytes) / 1024, 1),
        used_memory_mb: round((countersAfter.used_memory - idleRedis.used_memory) / MB, 2),
      };
    }
    return row;
  } finally {
    await generator?.stop(5_000);
    await server.stop();
  }
}

function rungRow(
  kind: ServerKind,
  calls: number,
  ready: ChildEvent,
  done: ChildEvent,
  before: ProbeSnapshot,
  after: ProbeSnapshot,
  machine: { busy: number; steal: number } | null,
): RungResult {
  const windowS = after.window_ms / 1000;
  const connected = Number(ready.calls);
  const expected = calls * 100;
  const framesPerS = after.frames / windowS;
  // Frames that never arrived count as late: the share is over what real time called for.
  const share = (within: number) => within / Math.max(after.frames, expected * windowS);
  const within = share(after.frames_within_budget);
  const cpu = after.cpu_us !== null && before.cpu_us !== null
    ? (after.cpu_us - before.cpu_us) / 1e4 / windowS
    : null;
  const mainCpu = after.main_thread_cpu_us !== null && before.main_thread_cpu_us !== null
    ? (after.main_thread_cpu_us - before.main_thread_cpu_us) / 1e4 / windowS
    : null;
  const sendLate = (done.send_late_ms as QuantileSummary).p99;
  const notes: string[] = [];
  if (connected < calls) notes.push(`${calls - connected} calls failed to connect (${ready.first_error})`);
  if (framesPerS < 0.99 * expected) notes.push("frames missing");
  if (sendLate > 50) notes.push("generator late");
  const transport = (done.transport ?? "websocket") as GeneratorTransport;
  const writeWaits = transport === "raw" ? Number(done.write_waits) : null;
  if (writeWaits) notes.push(`${writeWaits} writes queued behind a pending one`);
  const socketErrors = (done.socket_errors ?? []) as string[];
  if (socketErrors.length) notes.push(`socket errors: ${socketErrors.join(" | ")}`);
  const closes = done.closes as Record<string, number>;
  const abnormal = Object.entries(closes).filter(([code]) => code !== "1000");
  if (abnormal.length) notes.push(`closes ${abnormal.map(([c, n]) => `${c}×${n}`).join(" ")}`);
  return {
    server: kind,
    calls,
    connected,
    window_s: round(windowS, 1),
    frames_per_s: Math.round(framesPerS),
    expected_frames_per_s: expected,
    within_100ms: round(within, 4),
    frame_late_ms: after.frame_late_ms,
    loop_lag_p99_ms: after.loop_lag_ms.p99,
    server_cpu_pct: cpu === null ? null : round(cpu, 1),
    server_main_thread_cpu_pct: mainCpu === null ? null : round(mainCpu, 1),
    rss_mb: round(after.rss / MB, 1),
    generator_send_late_p99_ms: sendLate,
    generator_cpu_pct: done.cpu_pct as number | null,
    generator_transport: transport,
    generator_write_waits: writeWaits,
    machine_cpu_pct: machine ? round(machine.busy, 1) : null,
    other_cpu_pct: machine && cpu !== null && done.cpu_pct !== null
      ? round(Math.max(0, machine.busy - cpu - Number(done.cpu_pct)), 1)
      : null,
    steal_pct: machine ? round(machine.steal, 1) : null,
    tip_latency_ms: done.tip_latency_ms as QuantileSummary,
    tips_phrased_by_model: Number(done.tips_phrased_by_model ?? 0),
    metrics_latency_ms: done.metrics_latency_ms as QuantileSummary,
    remote_tip_latency_ms: done.remote_tip_latency_ms as QuantileSummary | null,
    remote_metrics_latency_ms: done.remote_metrics_latency_ms as QuantileSummary | null,
    instances: 1,
    redis_cpu_pct: null,
    phrasing: null,
    redis: null,
    holds_real_time: connected === calls && within >= REAL_TIME_SHARE,
    note: notes.join("; "),
  };
}

/** Cumulative CPU jiffies of the whole machine from /proc/stat (null where there is none). */
interface MachineCpu {
  busy: number;
  steal: number;
  total: number;
}

async function readMachineCpu(): Promise<MachineCpu | null> {
  let text: string;
  try {
    text = await Deno.readTextFile("/proc/stat");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, idle, iowait, irq, softirq, steal] = text.split("\n")[0].trim().split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal: steal ?? 0, total: busy + idle + iowait + (steal ?? 0) };
}

/** Machine CPU between two readings, in % of one core. */
function machineCpu(a: MachineCpu | null, b: MachineCpu | null): { busy: number; steal: number } | null {
  if (!a || !b || b.total <= a.total) return null;
  const cores = navigator.hardwareConcurrency;
  const span = b.total - a.total;
  return {
    busy: (100 * cores * (b.busy - a.busy)) / span,
    steal: (100 * cores * (b.steal - a.steal)) / span,
  };
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
