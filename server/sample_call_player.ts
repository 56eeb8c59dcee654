/**
 * Plays the simulator's scripted calls through this very server, one at a time, for "Play a sample call"
 * (routes/sample_call.ts): signed webhooks, a signed media socket and real-time audio, exactly as Twilio
 * would place the call.
 *
 * @module
 */
import type { CoachingConfig } from "../core/coaching/config.ts";
import type { Logger } from "../core/log.ts";
import { buildScenarios, type ScenarioName } from "../simulator/scenarios.ts";
import { runSimulation } from "../simulator/simulation.ts";
import { randomSid } from "../core/protocol/twilio_messages.ts";

/** The call the button plays. */
export const SAMPLE_SCENARIO: ScenarioName = "tour";

/** What the player needs to reach its own server. */
export interface SampleCallPlayerOptions {
  /** The server's loopback base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** The server's PUBLIC_URL, which the simulator signs over as Twilio would. */
  publicUrl: string;
  authToken: string;
  /** The thresholds the server runs with (the scripts break them on purpose). */
  coaching: CoachingConfig;
  log: Logger;
}

/** A sample call being played. */
export interface PlayingSample {
  callSid: string;
  scenario: ScenarioName;
  durationMs: number;
  speed: number;
}

/** Plays sample calls one at a time, in the background; {@linkcode SampleCallPlayer.stop} ends the one playing. */
export class SampleCallPlayer {
  readonly #options: SampleCallPlayerOptions;
  #playing: { sample: PlayingSample; abort: AbortController; done: Promise<void> } | null = null;

  constructor(options: SampleCallPlayerOptions) {
    this.#options = options;
  }

  /** The sample call playing now, or null. */
  get playing(): PlayingSample | null {
    return this.#playing?.sample ?? null;
  }

  /** Starts `scenario`; returns null (and plays nothing) while another sample call plays. */
  play(scenarioName: ScenarioName = SAMPLE_SCENARIO, speed = 1): PlayingSample | null {
    if (this.#playing !== null) return null;
    const { log } = this.#options;
    const scenario = buildScenarios(this.#options.coaching)[scenarioName];
    const sample: PlayingSample = {
      callSid: randomSid("CA"),
      scenario: scenarioName,
      durationMs: scenario.durationMs,
      speed,
    };
    const abort = new AbortController();
    log.info("sample_call_started", { session_id: sample.callSid, scenario: scenarioName, speed });
    const done = runSimulation({
      scenario,
      url: this.#options.url,
      publicUrl: this.#options.publicUrl,
      authToken: this.#options.authToken,
      callSid: sample.callSid,
      speed,
      signal: abort.signal,
    }).then(
      (result) =>
        log.info("sample_call_ended", {
          session_id: sample.callSid,
          tips: result.tips.length,
          end_reason: result.endReason,
        }),
      (error) => {
        // Stopped with the server: whatever it was doing then failed on purpose.
        if (abort.signal.aborted) log.info("sample_call_stopped", { session_id: sample.callSid });
        else log.error("sample_call_failed", { session_id: sample.callSid, error });
      },
    ).finally(() => this.#playing = null);
    this.#playing = { sample, abort, done };
    return sample;
  }

  /** Stops the sample call playing (server shutdown) and waits until it has let go of its sockets. */
  async stop(): Promise<void> {
    const playing = this.#playing;
    if (playing === null) return;
    playing.abort.abort();
    await playing.done;
  }
}
