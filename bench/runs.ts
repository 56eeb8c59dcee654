/**
 * One rung of a benchmark: N concurrent real-time calls from a load generator process against a fresh
 * server of one kind, a warm-up, then a measured window, coordinated through the children's stdout/stdin
 * line protocols and the servers' stats ports.
 *
 * @module
 */
import { FakeModel, type FakeRequest } from "../tests/support/fake_model.ts";
import type { Child, ChildEvent } from "./child.ts";
import { type ServerKind, type ServerSnapshot, ServerUnderTest } from "./servers.ts";
import { machineCpuJiffies, type QuantileSummary, round, sleep } from "./stats.ts";

/** Share of frames that must be processed within 100 ms for a rung to hold real time. */
export const REAL_TIME_SHARE = 0.99;
/** How long the fake model of a `model` rung takes to answer, and its answers to the loud calls' tip. */
export const MODEL_DELAY_MS = 300;
const MODEL_ANSWERS = [
  "Bring your voice down a touch",
  "Ease back from the microphone",
  "A softer voice carries fine",
  "Lower your volume for them",
];
const MB = 1024 * 1024;

/** Timings of one rung. */
export interface RungTiming {
  warmupMs: number;
  windowMs: number;
}

/** How a rung runs besides its server and N. */
export interface RungOptions {
  /** Calls that play the loud agent track and have page sockets. */
  latencyCalls?: number;
  coachSettings?: object;
  /** The AI phrasing on, asking a fake model on loopback that answers after {@linkcode MODEL_DELAY_MS}. */
  model?: boolean;
}

/** Runs `calls` concurrent real-time calls against a fresh server of `kind`: warm up, measure, stop. */
export async function runRung(
  kind: ServerKind,
  calls: number,
  timing: RungTiming,
  options: RungOptions = {},
): Promise<RungResult> {
  const answer = (request: FakeRequest) => ({ content: answerFor(request), delayMs: MODEL_DELAY_MS });
  const model = options.model ? FakeModel.start(answer) : null;
  // With the model, the phrasing's default cap on requests in flight (16) bounds what it costs the socket
  // thread: these loud calls tip every half second, far more often than real calls.
  const env = model ? { COACH_LLM_BASE_URL: model.url, COACH_LLM_MODEL: "bench-fake-model" } : undefined;
  let server: ServerUnderTest | null = null;
  let generator: Child | null = null;
  try {
    server = await ServerUnderTest.start(kind, { coachSettings: options.coachSettings, env });
    const idle = await server.stats();
    const rampMs = Math.min(2000, 200 + calls);
    const maxSeconds = Math.ceil((timing.warmupMs + timing.windowMs + rampMs) / 1000 + 30 + calls / 50);
    generator = server.startGenerator({
      mode: "realtime",
      calls,
      latencyCalls: options.latencyCalls ?? 0,
      rampMs,
      maxSeconds,
    });
    const ready = await generator.waitFor((e) => e.event === "ready", (maxSeconds - 10) * 1000, "ready");
    await sleep(timing.warmupMs);
    const before = await server.stats({ reset: true });
    const machineBefore = await machineCpuJiffies();
    await generator.send("mark");
    await sleep(timing.windowMs);
    const after = await server.stats();
    const machineAfter = await machineCpuJiffies();
    await generator.send("stop");
    const done = await generator.waitFor((e) => e.event === "done", 30_000, "done");
    const window = { before, after, idle, machine: [machineBefore, machineAfter] as const };
    return rungRow(kind, calls, ready, done, window, server.processes.length);
  } finally {
    await generator?.stop(5_000);
    await server?.stop();
    await model?.close();
  }
}

/** An answer that is not one of the call's last tips (the phrasing refuses a repeat). */
function answerFor(request: FakeRequest): string {
  const facts = JSON.parse(request.body.messages.find((m) => m.role === "user")?.content ?? "{}");
  const recent = new Set<string>(facts.last_tips_shown ?? []);
  return MODEL_ANSWERS.find((answer) => !recent.has(answer)) ?? MODEL_ANSWERS[0];
}

/** One rung's figures over its window. CPU in % of one core (200 % = both cores of a 2-core machine). */
export type RungResult = ReturnType<typeof rungRow>;
/** Redis over a measurement window: rates, and memory at its end above an empty Redis's. */
export type RedisLoad = NonNullable<RungResult["redis"]>;

function rungRow(
  kind: ServerKind,
  calls: number,
  ready: ChildEvent,
  done: ChildEvent,
  window: {
    before: ServerSnapshot;
    after: ServerSnapshot;
    idle: ServerSnapshot;
    machine: readonly [{ busy: number; total: number } | null, { busy: number; total: number } | null];
  },
  instances: number,
) {
  const { before, after } = window;
  const windowS = after.window_ms / 1000;
  const connected = Number(ready.calls);
  const expected = calls * 100;
  const framesPerS = after.frames / windowS;
  // Frames that never arrived count as late: the share is over what real time called for.
  const within = after.frames_within_budget / Math.max(after.frames, expected * windowS);
  const pct = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null ? null : round((a - b) / 1e4 / windowS, 1);
  const cpu = pct(after.cpu_us, before.cpu_us);
  const [m0, m1] = window.machine;
  // All processes on the machine, % of one core.
  const machine = m0 && m1 && m1.total > m0.total
    ? 100 * navigator.hardwareConcurrency * (m1.busy - m0.busy) / (m1.total - m0.total)
    : null;
  const sendLate = (done.send_late_ms as QuantileSummary).p99;
  const generatorCpu = done.cpu_pct as number | null;
  const [from, to, idle] = [before.redis, after.redis, window.idle.redis];
  const rate = (pick: (c: NonNullable<typeof from>) => number) => (pick(to!) - pick(from!)) / windowS;
  const notes: string[] = [];
  if (connected < calls) notes.push(`${calls - connected} calls failed to connect (${ready.first_error})`);
  if (framesPerS < 0.99 * expected) notes.push("frames missing");
  if (sendLate > 50) notes.push("generator late");
  if (Number(done.write_waits)) notes.push(`${done.write_waits} writes queued behind a pending one`);
  const socketErrors = done.socket_errors as string[];
  if (socketErrors.length) notes.push(`socket errors: ${socketErrors.join(" | ")}`);
  const abnormal = Object.entries(done.closes as Record<string, number>).filter(([code]) => code !== "1000");
  if (abnormal.length) notes.push(`closes ${abnormal.map(([c, n]) => `${c}×${n}`).join(" ")}`);
  return {
    server: kind,
    calls,
    connected,
    window_s: round(windowS, 1),
    frames_per_s: Math.round(framesPerS),
    expected_frames_per_s: expected,
    /** Share of the frames real time called for that were processed within 100 ms of when they were due. */
    within_100ms: round(within, 4),
    frame_late_ms: after.frame_late_ms,
    /** The server's processes (Redis's included, in a cluster). */
    server_cpu_pct: cpu,
    rss_mb: round(after.rss / MB, 1),
    generator_send_late_p99_ms: sendLate,
    generator_cpu_pct: generatorCpu,
    /** What processes other than the server and the generator used (other engineers' work, the OS). */
    other_cpu_pct: machine === null || cpu === null || generatorCpu === null
      ? null
      : round(Math.max(0, machine - cpu - generatorCpu), 1),
    /** Pages on the instance coaching the latency calls: stream moment → suggestion or metrics on a page. */
    tip_latency_ms: done.tip_latency_ms as QuantileSummary,
    metrics_latency_ms: done.metrics_latency_ms as QuantileSummary,
    /** In a cluster, the same on a page of another instance (through Redis); null for one process. */
    remote_tip_latency_ms: done.remote_tip_latency_ms as QuantileSummary | null,
    remote_metrics_latency_ms: done.remote_metrics_latency_ms as QuantileSummary | null,
    tips_phrased_by_model: Number(done.tips_phrased_by_model ?? 0),
    instances,
    /** Redis's CPU in the window (included in `server_cpu_pct`) and its load; null without Redis. */
    redis_cpu_pct: pct(to?.cpu_us, from?.cpu_us),
    redis: from && to && idle
      ? {
        commands_per_s: Math.round(rate((c) => c.commands)),
        input_kb_per_s: round(rate((c) => c.input_bytes) / 1024, 1),
        output_kb_per_s: round(rate((c) => c.output_bytes) / 1024, 1),
        used_memory_mb: round((to.used_memory - idle.used_memory) / MB, 2),
      }
      : null,
    holds_real_time: connected === calls && within >= REAL_TIME_SHARE,
    note: notes.join("; "),
  };
}
