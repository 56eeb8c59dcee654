/**
 * Conversation state built from both parties' per-slot voice activity: talk spurts, who holds the floor,
 * agent-over-customer overlaps (interruptions), joint silence, talk time over a sliding window and the
 * customer's level against their own running baseline.
 *
 * Everything is counters and preallocated typed-array rings: {@linkcode ConversationState.update} does not
 * allocate, so a 10-minute call replays in milliseconds.
 *
 * @module
 */
import { FULL_SCALE_SQUARE } from "../audio/mulaw.ts";
import { SLOT_MS } from "../audio/types.ts";
import { type BufferSource, freshBuffers } from "../buffers.ts";
import type { CoachingConfig } from "./config.ts";

/** Who holds the floor: nobody yet (or it was released by a long joint silence), the agent, the customer. */
export type Floor = "none" | "agent" | "customer";

/** One party's talk spurt: speech with pauses shorter than `spurtGapMs` bridged. */
class Spurt {
  active = false;
  startMs = 0;
  /** End (exclusive) of the last speaking slot. */
  lastSpeechEndMs = -Infinity;
  /** True only in the slot the current spurt started. */
  startedNow = false;

  update(streamMs: number, speaking: boolean, gapMs: number): void {
    this.startedNow = false;
    if (speaking) {
      if (!this.active) {
        this.active = true;
        this.startMs = streamMs;
        this.startedNow = true;
      }
      this.lastSpeechEndMs = streamMs + SLOT_MS;
    } else if (this.active && streamMs + SLOT_MS - this.lastSpeechEndMs >= gapMs) {
      this.active = false;
    }
  }

  /** Length of the current spurt so far, 0 when none. */
  get lengthMs(): number {
    return this.active ? this.lastSpeechEndMs - this.startMs : 0;
  }
}

/** The conversation as the rules see it. Read the fields; only the engine calls `update`. */
export class ConversationState {
  readonly #config: CoachingConfig;
  readonly #agent = new Spurt();
  readonly #customer = new Spurt();

  /** This slot's raw voice activity. */
  agentSpeaking = false;
  customerSpeaking = false;
  /** Stream time of the first slot in which anyone spoke; null before. */
  startedAtMs: number | null = null;
  /** End (exclusive) of the latest slot seen. */
  nowMs = 0;

  /** Both parties silent for this long (0 while anyone talks, and before anyone has spoken). */
  silenceMs = 0;

  floor: Floor = "none";
  /** Start of the talk spurt with which the floor holder took it. */
  floorSinceMs = 0;

  /** Both-talking time of the agent's current spurt, when that spurt began during the customer's spurt. */
  interruptOverlapMs = 0;
  /** Interruptions so far: customer turns the agent talked over for `interruptOverlapMs` (no cooldown). */
  interruptions = 0;
  #agentStartedOverCustomer = false;
  /** Start of the customer spurt that has been interrupted (it counts once however often the agent restarts). */
  #interruptedSpurtStartMs: number | null = null;

  readonly #talkRing: Uint8Array;
  #talkPos = 0;
  #agentTalkSlots = 0;
  #customerTalkSlots = 0;

  readonly #levelRing: Float64Array;
  #levelPos = 0;
  #levelCount = 0;
  #levelPowerSum = 0;
  /** The last window's worth of `customerRecentDb` values: the baseline is fed the one a window old. */
  readonly #recentHistory: Float64Array;
  #historyPos = 0;
  #historyCount = 0;
  /** The customer's energy-mean level over their latest `raisedLevelWindowMs` of speech; null until full. */
  customerRecentDb: number | null = null;
  /** The customer's running level baseline (raised speech excluded); null until they have spoken. */
  customerBaselineDb: number | null = null;
  /** Customer speech time that has fed the baseline. */
  customerBaselineSpeechMs = 0;

  constructor(config: CoachingConfig, buffers: BufferSource = freshBuffers) {
    this.#config = config;
    this.#talkRing = buffers.uint8(Math.ceil(config.talkRatioWindowMs / SLOT_MS));
    this.#levelRing = buffers.float64(Math.ceil(config.raisedLevelWindowMs / SLOT_MS));
    this.#recentHistory = buffers.float64(this.#levelRing.length);
  }

  /** How long the current floor holder has held it, 0 when nobody holds it. */
  get floorHeldMs(): number {
    return this.floor === "none" ? 0 : this.nowMs - this.floorSinceMs;
  }

  /** Agent share of the talk time in the recent window (0..1), null when nobody talked in it. */
  get talkRatio(): number | null {
    const total = this.#agentTalkSlots + this.#customerTalkSlots;
    return total === 0 ? null : this.#agentTalkSlots / total;
  }

  /** Customer's recent level minus their baseline (dB), null until the baseline is trusted. */
  get customerAboveBaselineDb(): number | null {
    if (this.customerRecentDb === null || this.customerBaselineDb === null) return null;
    if (this.customerBaselineSpeechMs < this.#config.baselineMinSpeechMs) return null;
    return this.customerRecentDb - this.customerBaselineDb;
  }

  /** The customer speaks `raisedVoiceDb` or more above their baseline (false until it is trusted). */
  get customerRaised(): boolean {
    return (this.customerAboveBaselineDb ?? 0) >= this.#config.raisedVoiceDb;
  }

  /**
   * Advances by one 20 ms slot starting at `streamMs`.
   *
   * @param customerEnergy the customer's slot energy (mean square, 16-bit units²), read while they speak
   */
  update(streamMs: number, agentSpeaking: boolean, customerSpeaking: boolean, customerEnergy: number): void {
    const c = this.#config;
    this.nowMs = streamMs + SLOT_MS;
    this.agentSpeaking = agentSpeaking;
    this.customerSpeaking = customerSpeaking;
    if (this.startedAtMs === null && (agentSpeaking || customerSpeaking)) this.startedAtMs = streamMs;

    this.silenceMs = this.startedAtMs !== null && !agentSpeaking && !customerSpeaking
      ? this.silenceMs + SLOT_MS
      : 0;

    const customerWasInSpurt = this.#customer.active;
    this.#agent.update(streamMs, agentSpeaking, c.spurtGapMs);
    this.#customer.update(streamMs, customerSpeaking, c.spurtGapMs);
    this.#updateInterruption(customerWasInSpurt);
    this.#updateFloor();
    this.#updateTalkTime(agentSpeaking, customerSpeaking);
    if (customerSpeaking) this.#updateCustomerLevel(customerEnergy);
  }

  /**
   * True from the slot the agent's overlap reaches `interruptOverlapMs` (in a spurt that has lasted
   * `turnMinMs`) until the customer's spurt ends.
   */
  get customerInterrupted(): boolean {
    return this.#customer.active && this.#interruptedSpurtStartMs === this.#customer.startMs;
  }

  #updateInterruption(customerWasInSpurt: boolean): void {
    const c = this.#config;
    // "Mid-turn": the customer's spurt began before this slot; a simultaneous start is not an interruption.
    if (this.#agent.startedNow) this.#agentStartedOverCustomer = customerWasInSpurt && this.#customer.active;
    if (!this.#agent.active || !this.#customer.active) this.#agentStartedOverCustomer = false;
    if (!this.#customer.active) this.#interruptedSpurtStartMs = null;
    // Each agent spurt is measured on its own: two short backchannels in one customer turn do not add up.
    if (!this.#agentStartedOverCustomer) {
      this.interruptOverlapMs = 0;
      return;
    }
    if (!this.agentSpeaking || !this.customerSpeaking) return;
    this.interruptOverlapMs += SLOT_MS;
    // A backchannel ("mm-hm", "I see": shorter than a turn) said over the customer is listening, not
    // interrupting, however much of it overlaps: the agent's spurt must be as long as a turn.
    if (
      this.interruptOverlapMs >= c.interruptOverlapMs && this.#agent.lengthMs >= c.turnMinMs &&
      !this.customerInterrupted
    ) {
      this.#interruptedSpurtStartMs = this.#customer.startMs;
      this.interruptions++;
    }
  }

  #updateFloor(): void {
    if (this.silenceMs >= this.#config.floorReleaseMs) this.floor = "none";
    this.#claimFloor("agent", this.#agent);
    this.#claimFloor("customer", this.#customer);
  }

  #claimFloor(party: "agent" | "customer", spurt: Spurt): void {
    // A spurt shorter than turnMinMs (a backchannel such as "mm-hmm") never takes the floor.
    if (this.floor === party || spurt.lengthMs < this.#config.turnMinMs) return;
    // In a long overlap the one who started later takes the floor; the earlier one does not take it back.
    if (this.floor !== "none" && spurt.startMs < this.floorSinceMs) return;
    this.floor = party;
    this.floorSinceMs = spurt.startMs;
  }

  #updateTalkTime(agentSpeaking: boolean, customerSpeaking: boolean): void {
    const old = this.#talkRing[this.#talkPos];
    if (old & 1) this.#agentTalkSlots--;
    if (old & 2) this.#customerTalkSlots--;
    const bits = (agentSpeaking ? 1 : 0) | (customerSpeaking ? 2 : 0);
    this.#talkRing[this.#talkPos] = bits;
    if (bits & 1) this.#agentTalkSlots++;
    if (bits & 2) this.#customerTalkSlots++;
    this.#talkPos = (this.#talkPos + 1) % this.#talkRing.length;
  }

  #updateCustomerLevel(energy: number): void {
    const c = this.#config;
    const ring = this.#levelRing;
    const power = energy / FULL_SCALE_SQUARE;
    if (this.#levelCount === ring.length) this.#levelPowerSum -= ring[this.#levelPos];
    else this.#levelCount++;
    ring[this.#levelPos] = power;
    this.#levelPowerSum += power;
    this.#levelPos = (this.#levelPos + 1) % ring.length;
    // Re-sum once per lap so add/subtract rounding cannot drift over a long call.
    if (this.#levelPos === 0) this.#levelPowerSum = ring.reduce((sum, p) => sum + p, 0);
    if (this.#levelCount < ring.length) return;
    const recent = 10 * Math.log10(Math.max(this.#levelPowerSum / ring.length, 1e-10));
    this.customerRecentDb = recent;

    // The baseline is fed the recent level of one window ago, which shares no slot with the level it is
    // compared with: while a raise fills the window, the baseline cannot creep up under it (a step of
    // exactly raisedVoiceDb then still counts as raised).
    const history = this.#recentHistory;
    const delayed = history[this.#historyPos];
    history[this.#historyPos] = recent;
    this.#historyPos = (this.#historyPos + 1) % history.length;
    if (this.#historyCount < history.length) {
      this.#historyCount++;
      return;
    }
    const trusted = this.customerBaselineSpeechMs >= c.baselineMinSpeechMs;
    if (this.customerBaselineDb === null) {
      this.customerBaselineDb = delayed;
      this.customerBaselineSpeechMs = SLOT_MS;
      return;
    }
    // Raised speech must not poison the baseline: once trusted, skip anything half-way to "raised", both in
    // the level it would be fed and in the current one.
    const halfway = this.customerBaselineDb + c.raisedVoiceDb / 2;
    if (trusted && (delayed >= halfway || recent >= halfway)) return;
    this.customerBaselineSpeechMs += SLOT_MS;
    // A plain mean at first, then a running mean with the configured time constant.
    const weight = Math.max(SLOT_MS / this.customerBaselineSpeechMs, SLOT_MS / c.baselineTimeConstantMs);
    this.customerBaselineDb += (delayed - this.customerBaselineDb) * weight;
  }
}
