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
const SCRIPT = [
  ["agent", "agent_greeting", 400],
  ["customer", "customer_problem", 300],
  ["agent", "agent_verify", 500],
  ["customer", "customer_name", 300],
  ["agent", "agent_explain", 200],
  ["customer", "backchannel_mmhmm", 300],
  ["customer", "customer_complaint", 400],
  ["agent", "agent_fast", 300],
  ["customer", "customer_thanks", 400],
  ["agent", "agent_closing", 4000],
] as const;

/** One conversation, frame by frame: `agent[k]` and `customer[k]` are the 160-byte frames of slot k. */
export interface Conversation {
  agent: Uint8Array[];
  agentLoud: Uint8Array[];
  customer: Uint8Array[];
  /** Slots in the conversation (it loops for longer calls). */
  slots: number;
}

/** Builds the scripted conversation (about 50 s) from the fixtures. */
export async function loadConversation(): Promise<Conversation> {
  const clips = await Promise.all(SCRIPT.map(([, clip]) => Deno.readFile(new URL(`${clip}.ulaw`, FIXTURES))));
  const bytes = SCRIPT.reduce((n, [, , pauseMs], i) => n + clips[i].length + pauseMs * 8, 0);
  const slots = Math.ceil(bytes / SLOT_SAMPLES);
  const tracks = {
    agent: new Uint8Array(slots * SLOT_SAMPLES).fill(MULAW_SILENCE),
    customer: new Uint8Array(slots * SLOT_SAMPLES).fill(MULAW_SILENCE),
  };
  let at = 0;
  SCRIPT.forEach(([party, , pauseMs], i) => {
    tracks[party].set(clips[i], at);
    at += clips[i].length + pauseMs * 8;
  });
  // 20 ms frames, as views of the tracks.
  const frames = (track: Uint8Array) =>
    Array.from({ length: slots }, (_, i) => track.subarray(i * SLOT_SAMPLES, (i + 1) * SLOT_SAMPLES));
  const agent = frames(tracks.agent);
  return { agent, agentLoud: agent.map(amplify), customer: frames(tracks.customer), slots };
}

/** The frame scaled by {@linkcode LOUD_GAIN} (clipped at full scale). */
function amplify(frame: Uint8Array): Uint8Array {
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
