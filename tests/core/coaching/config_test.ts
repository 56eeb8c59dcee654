import { expect } from "expect";
import { CoachingConfigSchema, defaultCoachingConfig } from "../../../core/coaching/config.ts";

Deno.test("CoachingConfig - documented defaults", () => {
  expect(defaultCoachingConfig).toMatchObject({
    minGapMs: 4_000,
    fastWpm: 160,
    fastHoldMs: 5_000,
    fastCooldownMs: 30_000,
    slowWpm: 110,
    slowHoldMs: 10_000,
    slowCooldownMs: 45_000,
    loudDb: -16,
    loudHoldMs: 3_000,
    loudCooldownMs: 20_000,
    softDb: -38,
    softHoldMs: 5_000,
    softCooldownMs: 25_000,
    interruptOverlapMs: 600,
    interruptCooldownMs: 15_000,
    silenceMs: 3_000,
    silenceCooldownMs: 10_000,
    monologueMs: 45_000,
    monologueCooldownMs: 60_000,
    raisedVoiceDb: 6,
    raisedHoldMs: 3_000,
    raisedCooldownMs: 60_000,
    talkRatioHigh: 0.7,
    talkRatioWindowMs: 120_000,
    talkRatioMinCallMs: 60_000,
    talkRatioCooldownMs: 120_000,
  });
});

Deno.test("CoachingConfig - overrides are validated and typos are refused", () => {
  expect(CoachingConfigSchema.parse({ fastWpm: 170 }).fastWpm).toBe(170);
  expect(CoachingConfigSchema.safeParse({ fastWmp: 170 }).success).toBe(false);
  expect(CoachingConfigSchema.safeParse({ talkRatioHigh: 1.5 }).success).toBe(false);
  expect(CoachingConfigSchema.safeParse({ silenceMs: -1 }).success).toBe(false);
});
