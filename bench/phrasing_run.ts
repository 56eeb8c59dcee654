/**
 * Tip latency with the AI phrasing on: the product server asks a fake OpenAI-compatible model, served by this
 * process on loopback (tests/support/fake_model.ts), that answers every tip after {@linkcode MODEL_DELAY_MS}.
 * The same rung as the rules-only latency run, so the two rows compare side by side in one run.
 *
 * @module
 */
import { FakeModel, type FakeRequest } from "../tests/support/fake_model.ts";
import type { GeneratorTransport } from "./load_generator.ts";
import { type RungResult, type RungTiming, runRung } from "./runs.ts";

/** How long the fake model takes to answer. */
export const MODEL_DELAY_MS = 300;
/** Good answers for the latency runs' tip (`SPEAKING_TOO_LOUD`), taken in turn. */
const ANSWERS = [
  "Bring your voice down a touch",
  "Ease back from the microphone",
  "A softer voice carries fine",
  "Lower your volume for them",
];

/** An answer that is not one of the call's last tips (the phrasing refuses a repeat). */
function answerFor(request: FakeRequest): string {
  const facts = JSON.parse(request.body.messages.find((m) => m.role === "user")?.content ?? "{}");
  const recent = new Set<string>(facts.last_tips_shown ?? []);
  return ANSWERS.find((answer) => !recent.has(answer)) ?? ANSWERS[0];
}

/** Runs `calls` real-time calls (`latencyCalls` of them loud, with a page) with the fake model. */
export async function runPhrasedLatency(
  calls: number,
  timing: RungTiming,
  options: { latencyCalls: number; coachSettings: object; transport: GeneratorTransport },
): Promise<RungResult> {
  const model = FakeModel.start((request) => ({ content: answerFor(request), delayMs: MODEL_DELAY_MS }));
  try {
    return await runRung("coach", calls, timing, {
      ...options,
      // The default cap on requests in flight (16): these loud calls fire a tip every half second, far more
      // often than real calls, and the cap is what keeps that from costing the socket thread more than a
      // share of a core (each request costs about 1.5-3 ms of it in the openai package).
      env: { COACH_LLM_BASE_URL: model.url, COACH_LLM_MODEL: "bench-fake-model" },
    });
  } finally {
    await model.close();
  }
}
