/**
 * "Play a sample call": `POST /api/sample-call` plays one of the simulator's scripted calls through this very
 * server, exactly as Twilio would place it (signed webhooks, a signed media socket, real-time audio), so a
 * demo needs no terminal. `GET /api/sample-call` tells the page whether it may offer the button.
 *
 * Like click-to-call, both answer only requests made on this machine from a page of this server
 * (`server/http/access.ts`). One sample call plays at a time: a second request while one plays gets 409, so a
 * page (or a script) cannot flood the server with calls.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Logger } from "../core/log.ts";
import { SCENARIO_NAMES } from "../simulator/scenarios.ts";
import { MAX_SPEED } from "../simulator/simulation.ts";
import { SAMPLE_SCENARIO, type SampleCallPlayer } from "../server/sample_call_player.ts";
import { refuseForeign } from "../server/http/access.ts";

/** The optional body of `POST /api/sample-call`; the button sends none (the tour, in real time). */
export const SampleCallRequestSchema = z.strictObject({
  scenario: z.enum(SCENARIO_NAMES).optional(),
  speed: z.number().min(1).max(MAX_SPEED).optional(),
});

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
