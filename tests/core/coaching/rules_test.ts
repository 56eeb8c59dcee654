import { expect } from "expect";
import { defaultCoachingConfig as c } from "../../../core/coaching/config.ts";
import { RULES } from "../../../core/coaching/rules.ts";
import { SUGGESTION_TYPES } from "../../../core/coaching/types.ts";

Deno.test("Coaching rules - one rule per suggestion type with the agreed severity and cooldown", () => {
  expect(RULES.map((rule) => rule.type).sort()).toEqual([...SUGGESTION_TYPES].sort());
  const table = Object.fromEntries(RULES.map((rule) => [rule.type, [rule.severity, rule.cooldownMs(c)]]));
  expect(table).toEqual({
    SPEAKING_TOO_FAST: ["medium", 30_000],
    SPEAKING_TOO_SLOW: ["low", 45_000],
    SPEAKING_TOO_LOUD: ["medium", 20_000],
    SPEAKING_TOO_SOFT: ["low", 25_000],
    INTERRUPTING_CUSTOMER: ["high", 15_000],
    TOO_MUCH_SILENCE: ["medium", 10_000],
    CONTINUOUS_SPEAKING: ["medium", 60_000],
    CUSTOMER_RAISED_VOICE: ["high", 60_000],
    TALK_RATIO_HIGH: ["low", 120_000],
  });
});

Deno.test("Coaching rules - fixed wordings are short and addressed to the agent", () => {
  for (const message of RULES.flatMap((rule) => rule.messages.filter((m) => typeof m === "string"))) {
    expect(message.length).toBeGreaterThan(5);
    expect(message.length).toBeLessThanOrEqual(60);
    expect(message).not.toMatch(/[A-Z]{4,}|!$/);
  }
});
