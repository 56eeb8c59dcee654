/**
 * Plays a scripted call through the real server as Twilio would (signed webhook, media socket, μ-law
 * frames), using the recorded speech fixtures so the real rules fire. Audio is sent in steps, so a test
 * can stop between two tips and look at the page.
 *
 * @module
 */
import { SLOT_MS } from "../../../core/audio/types.ts";
import { signTwilioRequest } from "../../../core/twilio/signature.ts";
import type { RunningServer } from "../../../server/start.ts";
import { answerCall, MediaStream, newCallSid, openSocket } from "../../support/fake_twilio.ts";

const FIXTURES = new URL("../../fixtures/speech/", import.meta.url);
const BYTES_PER_MS = 8; // 8 kHz μ-law, one byte per sample
const MULAW_SILENCE = 0xff;

/** One clip of the script: who speaks, which fixture (`tests/fixtures/speech/{clip}.ulaw`), from when. */
export interface ScriptLine {
  speaker: "agent" | "customer";
  clip: string;
  atMs: number;
}

/** A call in progress. */
export class ScriptedCall {
  #sentMs = 0;

  private constructor(
    readonly callSid: string,
    readonly stream: MediaStream,
    readonly agentTrack: "inbound" | "outbound",
    readonly audio: { agent: Uint8Array; customer: Uint8Array },
  ) {}

  /** Answers the call (voice webhook) and starts its media stream with the TwiML's parameters. */
  static async start(server: RunningServer, script: ScriptLine[], totalMs: number): Promise<ScriptedCall> {
    const audio = {
      agent: new Uint8Array(totalMs * BYTES_PER_MS).fill(MULAW_SILENCE),
      customer: new Uint8Array(totalMs * BYTES_PER_MS).fill(MULAW_SILENCE),
    };
    for (const line of script) {
      const clip = await Deno.readFile(new URL(`${line.clip}.ulaw`, FIXTURES));
      const at = line.atMs * BYTES_PER_MS;
      audio[line.speaker].set(clip.subarray(0, Math.max(0, audio[line.speaker].length - at)), at);
    }
    const callSid = newCallSid();
    const answer = await answerCall(server, callSid);
    const signature = signTwilioRequest(server.authToken, answer.url, {});
    const socket = await openSocket(answer.url, { "x-twilio-signature": signature });
    const stream = new MediaStream(socket, callSid);
    stream.connected();
    stream.start(answer.parameters);
    const agentTrack = answer.parameters.agent_track === "inbound" ? "inbound" : "outbound";
    return new ScriptedCall(callSid, stream, agentTrack, audio);
  }

  /** Stream time sent so far, ms. */
  get sentMs(): number {
    return this.#sentMs;
  }

  /**
   * Sends audio up to stream time `untilMs`, `speedup` times faster than real time (so meters visibly move
   * on the page without making the test slow).
   */
  async playUntil(untilMs: number, speedup = 4): Promise<void> {
    const customerTrack = this.agentTrack === "outbound" ? "inbound" : "outbound";
    const end = Math.min(untilMs, this.audio.agent.length / BYTES_PER_MS);
    const stepMs = 200;
    while (this.#sentMs < end) {
      const stepEnd = Math.min(end, this.#sentMs + stepMs);
      for (let t = this.#sentMs; t < stepEnd; t += SLOT_MS) {
        const from = t * BYTES_PER_MS;
        this.stream.media(
          this.agentTrack,
          t,
          this.audio.agent.subarray(from, from + SLOT_MS * BYTES_PER_MS),
        );
        this.stream.media(
          customerTrack,
          t,
          this.audio.customer.subarray(from, from + SLOT_MS * BYTES_PER_MS),
        );
      }
      this.#sentMs = stepEnd;
      await new Promise((resolve) => setTimeout(resolve, stepMs / speedup));
    }
  }

  /** Twilio's `stop`: the call is over. */
  stop(): void {
    this.stream.stop();
  }
}
