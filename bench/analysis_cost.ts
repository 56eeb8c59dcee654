/**
 * In-process cost of the per-frame work on the scripted conversation, in CPU time (`Deno.cpuUsage()`; wall
 * time where it is missing): what the server does with each Twilio media message (read in place, decode,
 * align, analyse, rules) against `JSON.parse` of the same message, in pairs of passes one right after the
 * other, so that a change of the machine's speed cannot move the ratio; the median pair counts. Warm-up passes
 * come first: V8 needs several to finish optimizing, and calls last minutes.
 *
 * @module
 */
import { BufferPool } from "../core/buffers.ts";
import { MediaReader } from "../core/protocol/media_reader.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { mediaMessage } from "../core/protocol/twilio_messages.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { type Conversation, toPayloads } from "./audio.ts";
import { cpuMicros, median, round } from "./stats.ts";

/** What the passes cost, µs. */
export type AnalysisCost = ReturnType<typeof measureAnalysisCost>;

const MEDIA_STREAM_SID = "MZ" + "0".repeat(32);

/** Measured passes per figure (after `warmup` passes), each over `callSeconds` of one call. */
export type AnalysisCostOptions = { passes?: number; warmup?: number; callSeconds?: number };

/** Measures the costs of the conversation's per-frame work. */
export function measureAnalysisCost(conversation: Conversation, options: AnalysisCostOptions = {}) {
  const { passes = 15, warmup = 10, callSeconds = 600 } = options;
  const agent = toPayloads(conversation.agent);
  const customer = toPayloads(conversation.customer);
  // Twilio's media messages of the conversation in send order (outbound = agent, inbound = customer).
  const messages = agent.flatMap((payload, k) => [
    mediaMessage(MEDIA_STREAM_SID, 2 * k + 2, "outbound", k + 1, k * SLOT_MS, payload),
    mediaMessage(MEDIA_STREAM_SID, 2 * k + 3, "inbound", k + 1, k * SLOT_MS, customer[k]),
  ]);
  // Each pass is one long call (the conversation on a loop): a pass of a few ms would mostly measure the
  // JIT compiler and the resolution of the CPU clock.
  const slots = Math.round((callSeconds * 1000) / SLOT_MS);
  const frames = slots * 2;
  const loop = conversation.slots;
  const kind = cpuMicros() === null ? "wall" : "cpu";
  const now = kind === "cpu" ? () => cpuMicros()! : () => performance.now() * 1000;
  // As the media socket does it: each message read in place, decoded into one reused buffer, handed to the
  // call's pipeline as a view made once; the call leases its rings from the process's pool. The call loops the
  // conversation's messages; each lap moves their timestamps on by its length.
  const buffer = new Uint8Array(8000);
  const slotView = buffer.subarray(0, 160);
  const buffers = new BufferPool();
  const reader = MediaReader.forStream(MEDIA_STREAM_SID)!;
  let sink = 0;
  const serverPass = () => {
    const pipeline = new CallPipeline({
      agentTrack: "outbound",
      onSuggestion: () => {},
      onMetrics: () => {},
      buffers,
    });
    const start = now();
    for (let k = 0; k < frames; k++) {
      if (!reader.read(messages[k % messages.length], buffer)) throw new Error("benchmark message not read");
      const lapMs = Math.floor(k / messages.length) * loop * SLOT_MS;
      pipeline.ingest(
        reader.track,
        reader.timestampMs + lapMs,
        reader.length === 160 ? slotView : buffer.subarray(0, reader.length),
      );
    }
    pipeline.flush();
    const elapsed = now() - start;
    pipeline.dispose();
    return elapsed;
  };
  const jsonPass = () => {
    const start = now();
    for (let k = 0; k < frames; k++) sink += JSON.parse(messages[k % messages.length]).event.length;
    return now() - start;
  };
  const measure = (pass: () => number) => {
    for (let i = 0; i < warmup; i++) pass();
    return median(Array.from({ length: passes }, pass));
  };

  const jsonUs = measure(jsonPass);
  const serverUs = measure(serverPass);
  // The target's ratio: the two passes alternated, so both run at the machine's speed of the moment.
  const pairs = Array.from({ length: passes }, () => {
    const json = jsonPass();
    const server = serverPass();
    return { json, server, ratio: server / json };
  }).sort((a, b) => a.ratio - b.ratio);
  const pair = pairs[Math.floor(pairs.length / 2)];
  if (sink < 0) throw new Error("unreachable: keeps the parse loop from being optimised away");

  const audioS = slots * SLOT_MS / 1000;
  const total = serverUs / frames;
  return {
    audio_s: round(audioS, 2),
    passes,
    clock: kind,
    json_parse_us_per_frame: round(jsonUs / frames, 3),
    /** Everything the server does per media frame (the median server pass). */
    total_us_per_frame: round(total, 3),
    /** The target: the server's work over `JSON.parse` of the same messages, the median pair of passes. */
    server_vs_json_parse: round(pair.ratio, 3),
    paired_json_parse_us_per_frame: round(pair.json / frames, 3),
    paired_total_us_per_frame: round(pair.server / frames, 3),
    /** Frames per second one core sustains at `total_us_per_frame`, and real-time calls (100 frames/s). */
    frames_per_core_s: Math.round(1e6 / total),
    calls_per_core: Math.round(1e6 / total / 100),
  };
}
