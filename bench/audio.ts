/**
 * The audio the benchmark plays: a scripted two-party conversation built from the speech fixtures
 * (`tests/fixtures/speech/*.ulaw`), as 20 ms μ-law frames per track, plus a loud variant of the agent
 * track that trips `SPEAKING_TOO_LOUD` (used to measure tip latency).
 *
 * @module
 */
import alawmulaw from "alawmulaw";
import { SLOT_SAMPLES } from "../core/audio/types.ts";

const FIXTURES = new URL("../tests/fixtures/speech/", import.meta.url);
/** μ-law code of a zero sample: what a silent track carries. */
const MULAW_SILENCE = 0xff;
/** Gain of the loud agent variant: +14 dB puts nominal -26 dBov speech at about -12 dBov (loud is > -16). */
const LOUD_GAIN = 5;

/** Who speaks which clip, and the pause after it (ms). The script ends with 4 s of joint silence. */
const SCRIPT: readonly { party: "agent" | "customer"; clip: string; pauseMs: number }[] = [
  { party: "agent", clip: "agent_greeting", pauseMs: 400 },
  { party: "customer", clip: "customer_problem", pauseMs: 300 },
  { party: "agent", clip: "agent_verify", pauseMs: 500 },
  { party: "customer", clip: "customer_name", pauseMs: 300 },
  { party: "agent", clip: "agent_explain", pauseMs: 200 },
  { party: "customer", clip: "backchannel_mmhmm", pauseMs: 300 },
  { party: "customer", clip: "customer_complaint", pauseMs: 400 },
  { party: "agent", clip: "agent_fast", pauseMs: 300 },
  { party: "customer", clip: "customer_thanks", pauseMs: 400 },
  { party: "agent", clip: "agent_closing", pauseMs: 4000 },
];

/** One conversation, frame by frame: `agent[k]` and `customer[k]` are the 160-byte frames of slot k. */
export interface Conversation {
  agent: Uint8Array[];
  agentLoud: Uint8Array[];
  customer: Uint8Array[];
  /** Slots in the conversation (it loops for longer calls). */
  slots: number;
}

/** Reads a fixture clip. */
export function readClip(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(`${name}.ulaw`, FIXTURES));
}

/** Builds the scripted conversation (about 50 s) from the fixtures. */
export async function loadConversation(): Promise<Conversation> {
  const clips = await Promise.all(SCRIPT.map((line) => readClip(line.clip)));
  const totalBytes = SCRIPT.reduce((n, line, i) => n + clips[i].length + line.pauseMs * 8, 0);
  const slots = Math.ceil(totalBytes / SLOT_SAMPLES);
  const tracks = {
    agent: new Uint8Array(slots * SLOT_SAMPLES),
    customer: new Uint8Array(slots * SLOT_SAMPLES),
  };
  tracks.agent.fill(MULAW_SILENCE);
  tracks.customer.fill(MULAW_SILENCE);
  let at = 0;
  SCRIPT.forEach((line, i) => {
    tracks[line.party].set(clips[i], at);
    at += clips[i].length + line.pauseMs * 8;
  });
  const agent = toFrames(tracks.agent);
  return { agent, agentLoud: agent.map(amplify), customer: toFrames(tracks.customer), slots };
}

/** Splits a μ-law track into 20 ms frames (views, no copy). */
export function toFrames(track: Uint8Array): Uint8Array[] {
  const count = Math.floor(track.length / SLOT_SAMPLES);
  return Array.from({ length: count }, (_, i) => track.subarray(i * SLOT_SAMPLES, (i + 1) * SLOT_SAMPLES));
}

/** The frame scaled by {@linkcode LOUD_GAIN} (clipped at full scale). */
export function amplify(frame: Uint8Array): Uint8Array {
  const samples = alawmulaw.mulaw.decode(frame);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.max(-32768, Math.min(32767, samples[i] * LOUD_GAIN));
  }
  return alawmulaw.mulaw.encode(samples);
}

/** Base64 payloads of the frames, as Twilio sends them (computed once, replayed many times). */
export function toPayloads(frames: readonly Uint8Array[]): string[] {
  return frames.map((frame) => frame.toBase64());
}
