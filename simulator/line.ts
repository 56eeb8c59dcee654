/**
 * What a real phone line does to a call's two tracks (see `/work/shared/line-facts.md`): each party's
 * track may carry the other party's voice as echo (lower, later and band-limited: a handset or a
 * speakerphone whose echo canceller leaves it in), steady room or line noise, and lost frames.
 *
 * The line is streaming: both tracks' clean 20 ms frames go in, in step, and both tracks' frames as the
 * server would receive them come out. The simulator feeds it frame by frame; the accuracy tools feed it a
 * whole scripted call. Everything random is seeded, so the same call gives the same bytes.
 *
 * @example
 * ```ts
 * const line = new PhoneLine({ agent: { echo: { lossDb: 28, delayMs: 60 }, noiseDb: -48 } });
 * const [agentOut, customerOut] = line.process(agentPcm, customerPcm); // 160 samples each
 * if (!line.lost[0]) send(agentOut);
 * ```
 *
 * @module
 */
import { SAMPLE_RATE } from "../core/audio/types.ts";
import { seededRandom } from "./synth.ts";

/** 16-bit full scale: 0 dBov is a square wave of this amplitude. */
const FULL_SCALE = 32768;
/** The longest echo delay a line may have, ms (line-facts: 20-250 ms on real calls). */
export const MAX_ECHO_DELAY_MS = 500;

/** The other party's voice leaking into a track. */
export interface Echo {
  /** How far below the other party's voice the echo is, dB (15-40 on hands-free and poor AEC). */
  lossDb: number;
  /** How late it is, ms (20-250 on real calls). */
  delayMs: number;
}

/** What the line does to one party's track. */
export interface TrackLine {
  /** The other party's voice in this track. */
  echo?: Echo;
  /** Steady room and line noise on this track, dBov (office noise: -50 to -40). */
  noiseDb?: number;
  /** Share of this track's frames that never arrive, 0..0.2 (lost in bursts of one to three frames). */
  lossShare?: number;
}

/** The line of a call: what happens to the agent's track and to the customer's. */
export interface LineConditions {
  agent?: TrackLine;
  customer?: TrackLine;
  /** Seed of the noise and the losses (default 1). */
  seed?: number;
}

/**
 * A line where each voice leaks into the other track, about 27 dB down and 60 ms late: a handset or a
 * softphone whose echo canceller leaves the echo in (line-facts: 15-35 dB on hands-free and poor AEC).
 */
export const ECHO_LINE: Readonly<LineConditions> = Object.freeze({
  agent: { echo: { lossDb: 28, delayMs: 60 } },
  customer: { echo: { lossDb: 26, delayMs: 60 } },
});

/** The agent on a speakerphone: the customer's voice comes back in the agent's track only 15 dB down. */
export const SPEAKERPHONE_LINE: Readonly<LineConditions> = Object.freeze({
  agent: { echo: { lossDb: 15, delayMs: 120 }, noiseDb: -55 },
  customer: { noiseDb: -60 },
});

/** Checks a line's settings; throws a RangeError that names the bad one. */
export function validateLine(line: LineConditions): void {
  for (const party of ["agent", "customer"] as const) {
    const track = line[party];
    if (!track) continue;
    const { echo, noiseDb, lossShare } = track;
    if (echo && !(echo.lossDb >= 0 && echo.lossDb <= 80)) {
      throw new RangeError(`${party} echo lossDb must be 0..80 dB (got ${echo.lossDb})`);
    }
    if (echo && !(echo.delayMs >= 0 && echo.delayMs <= MAX_ECHO_DELAY_MS)) {
      throw new RangeError(`${party} echo delayMs must be 0..${MAX_ECHO_DELAY_MS} (got ${echo.delayMs})`);
    }
    if (noiseDb !== undefined && !(noiseDb <= -20 && noiseDb >= -100)) {
      throw new RangeError(`${party} noiseDb must be -100..-20 dBov (got ${noiseDb})`);
    }
    if (lossShare !== undefined && !(lossShare >= 0 && lossShare <= 0.2)) {
      throw new RangeError(`${party} lossShare must be 0..0.2 (got ${lossShare})`);
    }
  }
}

/** One track's state: the echo path's delay line and filters, the noise filter, the loss bursts. */
class TrackState {
  readonly #delay: Float32Array;
  readonly #delaySamples: number;
  readonly #echoGain: number;
  readonly #noiseRms: number;
  readonly #lossShare: number;
  #write = 0;
  // Echo path: a loudspeaker and a microphone pass roughly 300-3000 Hz (one-pole high- and low-pass).
  #hpIn = 0;
  #hpOut = 0;
  #lp = 0;
  #noiseLp = 0;
  #lossLeft = 0;

  constructor(track: TrackLine) {
    this.#delaySamples = Math.round(((track.echo?.delayMs ?? 0) * SAMPLE_RATE) / 1000);
    this.#delay = new Float32Array(this.#delaySamples + 1);
    this.#echoGain = track.echo ? 10 ** (-track.echo.lossDb / 20) : 0;
    this.#noiseRms = track.noiseDb === undefined ? 0 : FULL_SCALE * 10 ** (track.noiseDb / 20);
    this.#lossShare = track.lossShare ?? 0;
  }

  /** Mixes one frame: `own` is this party's clean voice, `other` the other party's; writes `out`. */
  mix(own: ArrayLike<number>, other: ArrayLike<number>, out: Int16Array, random: () => number): void {
    const size = this.#delay.length;
    for (let i = 0; i < out.length; i++) {
      let value = own[i];
      if (this.#echoGain > 0) {
        this.#delay[this.#write] = other[i];
        const read = (this.#write + size - this.#delaySamples) % size;
        this.#write = (this.#write + 1) % size;
        // One-pole high-pass at about 300 Hz, then low-pass at about 3 kHz.
        const x = this.#delay[read];
        this.#hpOut = 0.79 * (this.#hpOut + x - this.#hpIn);
        this.#hpIn = x;
        this.#lp += 0.9 * (this.#hpOut - this.#lp);
        value += this.#echoGain * this.#lp;
      }
      if (this.#noiseRms > 0) {
        // Gaussian noise through a gentle low-pass: more like room noise than white hiss. The factor keeps its RMS.
        const white = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        this.#noiseLp += 0.5 * (white - this.#noiseLp);
        value += this.#noiseRms * 1.73 * this.#noiseLp;
      }
      out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
    }
  }

  /** Whether this frame is lost: bursts of 1-3 frames, `lossShare` of the frames on average. */
  lose(random: () => number): boolean {
    if (this.#lossLeft > 0) {
      this.#lossLeft--;
      return true;
    }
    if (this.#lossShare > 0 && random() < this.#lossShare / 2) {
      this.#lossLeft = Math.floor(random() * 3); // bursts of 1, 2 or 3: 2 on average
      return true;
    }
    return false;
  }
}

/** Both tracks of a call through a phone line. */
export class PhoneLine {
  readonly #agent: TrackState;
  readonly #customer: TrackState;
  readonly #random: () => number;
  readonly #out: [Int16Array, Int16Array] = [new Int16Array(160), new Int16Array(160)];
  /** Whether the agent's and the customer's frame of the last `process` was lost. */
  readonly lost: [boolean, boolean] = [false, false];

  /** @throws {RangeError} for settings outside what real lines do (see {@linkcode validateLine}). */
  constructor(line: LineConditions = {}) {
    validateLine(line);
    this.#agent = new TrackState(line.agent ?? {});
    this.#customer = new TrackState(line.customer ?? {});
    this.#random = seededRandom(line.seed ?? 1);
  }

  /**
   * One 20 ms frame of each party's clean voice (160 samples, 16-bit scale) in; the frames the server
   * receives out, agent first (reused by the next call: copy or encode them before). `lost` says which
   * of them never arrive.
   */
  process(agent: ArrayLike<number>, customer: ArrayLike<number>): [Int16Array, Int16Array] {
    this.#agent.mix(agent, customer, this.#out[0], this.#random);
    this.#customer.mix(customer, agent, this.#out[1], this.#random);
    this.lost[0] = this.#agent.lose(this.#random);
    this.lost[1] = this.#customer.lose(this.#random);
    return this.#out;
  }
}
