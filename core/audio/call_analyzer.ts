/**
 * Both tracks of a call, analysed slot by slot in one place: the one place that decides whether each party
 * is really speaking.
 *
 * Each party's track may carry the other party's voice as echo (`echo.ts`), so a track cannot decide alone.
 * Each track decides with the echo path from the other's track, learnt from the slots before: energy that
 * the other party's echo explains is not voice. Line echo arrives 20 ms late or more, so the other track's
 * slots up to the previous one are all it needs, and each track's slot is measured once, in one pass. Voice activity, level, pace, and through them every rule (turns,
 * interruptions, talk ratio, silence, raised voice), rest on that decision.
 *
 * @example
 * ```ts
 * const call = new CallAnalyzer();
 * call.processSlot(agentFrame, customerFrame); // 160 μ-law bytes each, or null when none arrived
 * if (call.agent.speaking && !call.customer.speaking) console.log("agent talking");
 * ```
 *
 * @module
 */
import { type BufferSource, freshBuffers } from "../buffers.ts";
import { type AnalysisConfig, defaultAnalysisConfig } from "./config.ts";
import { EchoPath } from "./echo.ts";
import { measureFrame, SLOT_MEASURES } from "./slot_measure.ts";
import { TrackAnalyzer } from "./track_analyzer.ts";
import type { TrackFrameResult } from "./types.ts";

/** Where `processSlot` measures its two frames: read right away, so every call shares it. */
const scratch = new Float64Array(2 * SLOT_MEASURES);

/** The two parties of a call, analysed together. */
export class CallAnalyzer {
  readonly #agent: TrackAnalyzer;
  readonly #customer: TrackAnalyzer;
  /** The customer's voice in the agent's track, and the agent's in the customer's. */
  readonly #agentEcho: EchoPath;
  readonly #customerEcho: EchoPath;
  #agentResult: TrackFrameResult;
  #customerResult: TrackFrameResult;

  /**
   * @param config validated settings; defaults to {@linkcode defaultAnalysisConfig}
   * @param buffers where the rings come from (a call's lease from a pool in the server; new arrays otherwise)
   */
  constructor(config: AnalysisConfig = defaultAnalysisConfig, buffers: BufferSource = freshBuffers) {
    this.#agent = new TrackAnalyzer(config, buffers);
    this.#customer = new TrackAnalyzer(config, buffers);
    this.#agentEcho = new EchoPath(config, buffers);
    this.#customerEcho = new EchoPath(config, buffers);
    this.#agentResult = this.#agent.processFrame(null);
    this.#customerResult = this.#customer.processFrame(null);
  }

  /** The agent's result for the last slot (the same object every slot: read it before the next). */
  get agent(): TrackFrameResult {
    return this.#agentResult;
  }

  /** The customer's result for the last slot (the same object every slot: read it before the next). */
  get customer(): TrackFrameResult {
    return this.#customerResult;
  }

  /** The echo paths as learnt so far (diagnostics and tests). */
  get echo(): { agent: EchoPath; customer: EchoPath } {
    return { agent: this.#agentEcho, customer: this.#customerEcho };
  }

  /**
   * Analyses the next 20 ms slot of both tracks, in stream order.
   *
   * @param agentFrame up to 160 μ-law bytes of the agent's track, or null when none arrived
   * @param customerFrame the same of the customer's track
   * @throws RangeError if a frame holds more than 160 bytes
   */
  processSlot(agentFrame: Uint8Array | null, customerFrame: Uint8Array | null): void {
    measureFrame(agentFrame, scratch, 0);
    measureFrame(customerFrame, scratch, SLOT_MEASURES);
    this.processMeasured(scratch, 0, SLOT_MEASURES);
  }

  /**
   * {@linkcode CallAnalyzer.processSlot} of a slot whose frames are measured already (`slot_measure.ts`), as
   * the stream aligner keeps them: each track's measures at `measures[at …]`, a negative `at` for no audio.
   */
  processMeasured(measures: Float64Array, agentAt: number, customerAt: number): void {
    const agent = this.#agent, customer = this.#customer;
    // Each hears whether the other party spoke, so talk of theirs in a pause can be a turn change (the agent
    // sees the customer's previous slot), and each decides with the echo path from the other's track.
    const a = agent.processMeasured(measures, agentAt, this.#customerResult.speaking, this.#agentEcho);
    const c = customer.processMeasured(measures, customerAt, a.speaking, this.#customerEcho);
    this.#agentResult = a;
    this.#customerResult = c;
    // Then each path learns from this slot, for the slots to come.
    this.#agentEcho.push(c.frameEnergy, customer.voiceThreshold, customer.activeEnergy, a.frameEnergy);
    this.#customerEcho.push(a.frameEnergy, agent.voiceThreshold, agent.activeEnergy, c.frameEnergy);
  }
}
