/**
 * "Play a sample call": `POST /api/sample-call` plays one of the simulator's scripted calls through this very
 * server, exactly as Twilio would place it (signed webhooks, a signed media socket, real-time audio), so a
 * demo needs no terminal. `GET /api/sample-call` tells the page whether it may offer the button.
 *
 * Like click-to-call, both answer only requests made on this machine from a page of this server
 * (`routes/access.ts`). One sample call plays at a time: a second request while one plays gets 409, so a
 * page (or a script) cannot flood the server with calls.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { CoachingConfig } from "../core/coaching/config.ts";
import type { Logger } from "../core/log.ts";
import { buildScenarios, SCENARIO_NAMES, type ScenarioName } from "../simulator/scenarios.ts";
import { MAX_SPEED, runSimulation } from "../simulator/simulation.ts";
import { randomSid } from "../simulator/twilio_client.ts";
import { refuseForeign } from "./access.ts";

/** The call the button plays. */
export const SAMPLE_SCENARIO: ScenarioName = "tour";

/** The optional body of `POST /api/sample-call`; the button sends none (the tour, in real time). */
export const SampleCallRequestSchema = z.strictObject({
  scenario: z.enum(SCENARIO_NAMES).optional(),
  speed: z.number().min(1).max(MAX_SPEED).optional(),
});

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

/** `GET` and `POST /api/sample-call`, to mount at that path. */
export function sampleCallRoutes(player: SampleCallPlayer, log: Logger): Hono {
  const app = new Hono();
  const feature = "the sample call";

  app.get("/", (c) => {
    const refused = refuseForeign(c, log, feature);
    if (refused) return refused;
    const playing = player.playing;
    return c.json({
      available: true,
      scenario: SAMPLE_SCENARIO,
      playing: playing === null ? null : { call_sid: playing.callSid, scenario: playing.scenario },
    });
  });

  app.post("/", async (c) => {
    const refused = refuseForeign(c, log, feature);
    if (refused) return refused;
    const body = await c.req.text();
    let request: z.infer<typeof SampleCallRequestSchema> = {};
    if (body.trim() !== "") {
      if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
        return c.json({ error: 'Expected no body, or JSON such as {"scenario":"tour"}.' }, 415);
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return c.json({ error: 'The body is not JSON; send none, or {"scenario":"tour"}.' }, 400);
      }
      const parsed = SampleCallRequestSchema.safeParse(json);
      if (!parsed.success) {
        const why = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
        return c.json({ error: `Bad request: ${why.join("; ")}.` }, 400);
      }
      request = parsed.data;
    }
    const sample = player.play(request.scenario, request.speed);
    if (sample === null) {
      const playing = player.playing;
      log.warn("api_rejected", { path: c.req.path, reason: "a sample call is already playing" });
      return c.json({
        error: `A sample call is already playing (${playing?.scenario ?? "?"}, ${
          playing?.callSid ?? "?"
        }); play another when it has ended.`,
      }, 409);
    }
    return c.json({
      call_sid: sample.callSid,
      scenario: sample.scenario,
      duration_s: Math.round(sample.durationMs / 1000),
    }, 202);
  });

  return app;
}
