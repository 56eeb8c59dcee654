/**
 * In-process cost of the per-frame work, measured on the scripted conversation (real speech on both
 * tracks): what one second of two-party call audio costs from base64 payload to rules, and what
 * Twilio-message parsing costs on top, per frame.
 *
 * CPU time comes from `Deno.cpuUsage()` (falls back to wall time where it is missing); each figure is
 * the median over repeated passes after warm-up passes, each pass over a fresh pipeline. The warm-up is long
 * (10 passes): in a fresh process on this machine the passes took 204–349, 148–235 and 70–119 µs per call
 * second before settling near 50, and some were still settling in the fifth to eighth pass, when V8 had not
 * finished optimizing the pipeline. A server's calls last minutes; what they cost is the settled figure.
 *
 * One call alone keeps all its state in the CPU caches. A server with a thousand calls does not: by the time
 * a call's next frame arrives, a thousand other calls' frames have gone through the caches. The interleaved
 * figure runs the same pipeline for many calls at once, fed round-robin one 20 ms slot per call in turn (the
 * order a server sees), so it measures the analysis with cold per-call state, without any sockets.
 *
 * Run on its own (`deno run -A bench/analysis_cost.ts [--quick]`) it prints these figures and the cost of
 * one track's analysis alone (`TrackAnalyzer.processFrame`), the figure to watch when tuning `core/audio`.
 *
 * @module
 */
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { BufferPool } from "../core/buffers.ts";
import { MediaReader } from "../core/protocol/media_reader.ts";
import { SLOT_MS } from "../core/audio/types.ts";
import { mediaMessage, parseTwilioMessage } from "../core/protocol/twilio_messages.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { type Conversation, loadConversation, toPayloads } from "./audio.ts";
import { cpuMicros, round } from "./stats.ts";

/** What one pass over `seconds` of two-party audio costs. */
export interface AnalysisCost {
  /** Seconds of two-party call audio per pass. */
  audio_s: number;
  passes: number;
  clock: "cpu" | "wall";
  /** base64 → μ-law (`setFromBase64`) + stream aligner + analysis of both tracks + rules, per call second. */
  pipeline_us_per_call_s: number;
  /** The fastest pass, per call second: the cost with the least interference from other processes. */
  pipeline_us_per_call_s_best: number;
  /** The same per Twilio media frame (one track's 20 ms). */
  pipeline_us_per_frame: number;
  /** `parseTwilioMessage` (JSON.parse + zod) per media frame: the general path. */
  parse_us_per_frame: number;
  /** `MediaReader.read` per media frame: Twilio's layout read in place, base64 decode included. */
  read_us_per_frame: number;
  /** The base64 decode alone (`setFromBase64`), per media frame: part of both the pipeline and the read. */
  decode_us_per_frame: number;
  /** `JSON.parse` alone per media frame, for comparison. */
  json_parse_us_per_frame: number;
  /**
   * Everything the server does per Twilio media frame, measured as it does it: each message read in place
   * (with its decode) and handed to the pipeline (align, analyse, rules).
   */
  total_us_per_frame: number;
  /**
   * The target's ratio: `total_us_per_frame` over `JSON.parse` of the same messages, measured in pairs of
   * passes taken one right after the other (the median pair), so a change of the machine's speed between
   * the two figures cannot move it.
   */
  server_vs_json_parse: number;
  /** `JSON.parse` per frame in those pairs (µs), and the server's work per frame in them. */
  paired_json_parse_us_per_frame: number;
  paired_total_us_per_frame: number;
  /** Frames per second one core sustains at `total_us_per_frame`. */
  frames_per_core_s: number;
  /** Concurrent real-time calls (100 frames/s each) one core could carry for this work alone. */
  calls_per_core: number;
  suggestions_per_pass: number;
  /** Calls fed round-robin in the interleaved passes. */
  interleaved_calls: number;
  /** The pipeline's cost per call second with that many calls interleaved (median of passes). */
  interleaved_us_per_call_s: number;
  /** The fastest interleaved pass. */
  interleaved_us_per_call_s_best: number;
}

/** How much to measure; the defaults are the full bench's. */
export interface AnalysisCostOptions {
  /** Measured passes per figure (after `warmup` passes). */
  passes?: number;
  warmup?: number;
  /** Seconds of call audio per single-call pass. */
  callSeconds?: number;
  /** Calls fed round-robin in the interleaved passes; 0 skips them. */
  interleavedCalls?: number;
  /** Seconds of call audio per call in an interleaved pass. */
  interleavedSeconds?: number;
}

function clock(): { now: () => number; kind: "cpu" | "wall" } {
  return cpuMicros() === null
    ? { now: () => performance.now() * 1000, kind: "wall" }
    : { now: () => cpuMicros()!, kind: "cpu" };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const MEDIA_STREAM_SID = "MZ" + "0".repeat(32);

/** Twilio media messages of one conversation in send order (outbound = agent, inbound = customer). */
function mediaMessages(agent: string[], customer: string[]): string[] {
  const messages: string[] = [];
  for (let k = 0; k < agent.length; k++) {
    for (const [track, payload] of [["outbound", agent[k]], ["inbound", customer[k]]] as const) {
      messages.push(mediaMessage(MEDIA_STREAM_SID, messages.length + 2, track, k + 1, k * SLOT_MS, payload));
    }
  }
  return messages;
}

/** Measures the costs over `passes` passes (after `warmup` passes) of the conversation. */
export function measureAnalysisCost(
  conversation: Conversation,
  options: AnalysisCostOptions = {},
): AnalysisCost {
  const { passes = 15, warmup = 10, callSeconds = 600, interleavedCalls = 1000, interleavedSeconds = 10 } =
    options;
  const agent = toPayloads(conversation.agent);
  const customer = toPayloads(conversation.customer);
  // Each pass is one long call (the conversation on a loop): a pass of a few ms would mostly measure the
  // JIT compiler and the resolution of the CPU clock.
  const slots = Math.round((callSeconds * 1000) / 20);
  const loop = conversation.slots;
  const messages = mediaMessages(agent, customer);
  const { now, kind } = clock();
  const buffer = new Uint8Array(8000);
  let suggestions = 0;

  // As the server does it: each call leases its rings from the process's pool and gives them back at its end.
  const buffers = new BufferPool();
  const newPipeline = () =>
    new CallPipeline({
      agentTrack: "outbound",
      onSuggestion: () => suggestions++,
      onMetrics: () => {},
      buffers,
    });
  // As the media socket does it: decode into one reused buffer, hand over a view made once.
  const slotView = buffer.subarray(0, 160);
  /** Slot `k` of a call, with the conversation's slot `i` on both tracks. */
  const feedSlot = (pipeline: CallPipeline, k: number, i: number) => {
    let written = buffer.setFromBase64(agent[i]).written;
    pipeline.ingest("outbound", k * 20, written === 160 ? slotView : buffer.subarray(0, written));
    written = buffer.setFromBase64(customer[i]).written;
    pipeline.ingest("inbound", k * 20, written === 160 ? slotView : buffer.subarray(0, written));
  };

  const pipelinePass = () => {
    suggestions = 0;
    const pipeline = newPipeline();
    const start = now();
    for (let k = 0; k < slots; k++) feedSlot(pipeline, k, k % loop);
    pipeline.flush();
    const elapsed = now() - start;
    pipeline.dispose();
    return elapsed;
  };
  const interleavedPass = () => {
    const pipelines = Array.from({ length: interleavedCalls }, newPipeline);
    // Each call starts at its own point of the conversation, as independent calls would be.
    const offsets = pipelines.map((_, call) => (call * 37) % loop);
    const callSlots = Math.round((interleavedSeconds * 1000) / 20);
    const start = now();
    for (let k = 0; k < callSlots; k++) {
      for (let call = 0; call < pipelines.length; call++) {
        feedSlot(pipelines[call], k, (k + offsets[call]) % loop);
      }
    }
    for (const pipeline of pipelines) pipeline.flush();
    const elapsed = now() - start;
    for (const pipeline of pipelines) pipeline.dispose();
    return elapsed;
  };
  let sink = 0;
  const parsePass = () => {
    const start = now();
    for (let k = 0; k < slots * 2; k++) {
      const result = parseTwilioMessage(messages[k % messages.length]);
      if (!result.ok) throw new Error(`benchmark message rejected: ${result.error}`);
      sink += result.message.event.length;
    }
    return now() - start;
  };
  const reader = MediaReader.forStream(MEDIA_STREAM_SID)!;
  const readPass = () => {
    const start = now();
    for (let k = 0; k < slots * 2; k++) {
      if (!reader.read(messages[k % messages.length], buffer)) throw new Error("benchmark message not read");
      sink += reader.length;
    }
    return now() - start;
  };
  // The same payloads in the same order as the pipeline passes decode them.
  const decodePass = () => {
    const start = now();
    for (let k = 0; k < slots; k++) {
      sink += buffer.setFromBase64(agent[k % loop]).written +
        buffer.setFromBase64(customer[k % loop]).written;
    }
    return now() - start;
  };
  // What the media socket does with each message: read it in place, hand the frame to the call's pipeline.
  // The call loops the conversation's messages; each lap moves their timestamps on by the conversation's length.
  const serverPass = () => {
    const pipeline = newPipeline();
    const start = now();
    for (let k = 0; k < slots * 2; k++) {
      if (!reader.read(messages[k % messages.length], buffer)) throw new Error("benchmark message not read");
      const lapMs = Math.floor(k / messages.length) * loop * 20;
      const frame = reader.length === 160 ? slotView : buffer.subarray(0, reader.length);
      pipeline.ingest(reader.track, reader.timestampMs + lapMs, frame);
    }
    pipeline.flush();
    const elapsed = now() - start;
    pipeline.dispose();
    return elapsed;
  };
  const jsonPass = () => {
    const start = now();
    for (let k = 0; k < slots * 2; k++) sink += JSON.parse(messages[k % messages.length]).event.length;
    return now() - start;
  };

  let best = Infinity;
  const measure = (pass: () => number) => {
    for (let i = 0; i < warmup; i++) pass();
    const times = Array.from({ length: passes }, pass);
    best = Math.min(...times);
    return median(times);
  };
  const pipelineUs = measure(pipelinePass);
  const pipelineBestUs = best;
  const pipelineSuggestions = suggestions;
  // Fewer passes: each one runs interleavedCalls × interleavedSeconds of audio.
  const interleavedPasses = Math.max(1, Math.ceil(passes / 3));
  let interleavedUs = 0, interleavedBestUs = 0;
  if (interleavedCalls > 0) {
    const times = Array.from({ length: interleavedPasses + 1 }, interleavedPass).slice(1);
    interleavedUs = median(times);
    interleavedBestUs = Math.min(...times);
  }
  const interleavedAudioS = interleavedCalls * interleavedSeconds;
  const parseUs = measure(parsePass);
  const jsonUs = measure(jsonPass);
  const readUs = measure(readPass);
  const decodeUs = measure(decodePass);
  const serverUs = measure(serverPass);
  // The ratio of the target: the two passes alternated, so both run at the machine's speed of the moment.
  const pairs = Array.from({ length: passes }, () => {
    const json = jsonPass();
    const server = serverPass();
    return { json, server, ratio: server / json };
  }).sort((a, b) => a.ratio - b.ratio);
  const pair = pairs[Math.floor(pairs.length / 2)];
  if (sink < 0) throw new Error("unreachable: keeps the parse loops from being optimised away");

  const audioS = slots * 0.02;
  const frames = slots * 2;
  const total = serverUs / frames;
  return {
    audio_s: round(audioS, 2),
    passes,
    clock: kind,
    pipeline_us_per_call_s: round(pipelineUs / audioS, 1),
    pipeline_us_per_call_s_best: round(pipelineBestUs / audioS, 1),
    pipeline_us_per_frame: round(pipelineUs / frames, 3),
    parse_us_per_frame: round(parseUs / frames, 3),
    json_parse_us_per_frame: round(jsonUs / frames, 3),
    read_us_per_frame: round(readUs / frames, 3),
    decode_us_per_frame: round(decodeUs / frames, 3),
    total_us_per_frame: round(total, 3),
    server_vs_json_parse: round(pair.ratio, 3),
    paired_json_parse_us_per_frame: round(pair.json / frames, 3),
    paired_total_us_per_frame: round(pair.server / frames, 3),
    frames_per_core_s: Math.round(1e6 / total),
    calls_per_core: Math.round(1e6 / total / 100),
    suggestions_per_pass: pipelineSuggestions,
    interleaved_calls: interleavedCalls,
    interleaved_us_per_call_s: interleavedCalls > 0 ? round(interleavedUs / interleavedAudioS, 1) : 0,
    interleaved_us_per_call_s_best: interleavedCalls > 0
      ? round(interleavedBestUs / interleavedAudioS, 1)
      : 0,
  };
}

/**
 * One track's analysis alone: µs of `TrackAnalyzer.processFrame` per 20 ms slot over the conversation's
 * agent track, the best of `rounds` passes with a fresh analyzer each.
 */
export function measureTrackAnalyzer(conversation: Conversation, rounds = 8): number {
  const { now } = clock();
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const analyzer = new TrackAnalyzer();
    const start = now();
    for (const frame of conversation.agent) sink += analyzer.processFrame(frame).frameEnergy;
    best = Math.min(best, (now() - start) / conversation.agent.length);
  }
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the loop from being optimised away");
  return round(best, 3);
}

if (import.meta.main) {
  const conversation = await loadConversation();
  const quick = Deno.args.includes("--quick");
  console.log(`one track's analysis: ${measureTrackAnalyzer(conversation)} µs per 20 ms slot`);
  const options = quick ? { passes: 5, warmup: 5, callSeconds: 120, interleavedCalls: 200 } : {};
  console.log(JSON.stringify(measureAnalysisCost(conversation, options), null, 2));
}
