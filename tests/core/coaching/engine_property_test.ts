import assert from "node:assert/strict";
import fc from "fast-check";
import { defaultCoachingConfig } from "../../../core/coaching/config.ts";
import { RULES } from "../../../core/coaching/rules.ts";
import { runCall, type SpeechSpan } from "./synthetic.ts";

const CALL_MS = 90_000;

/** Random speech spans for one party: alternating talk and pause with random rates and levels. */
const spans = fc.array(
  fc.record({
    talkMs: fc.integer({ min: 100, max: 15_000 }),
    pauseMs: fc.integer({ min: 0, max: 6_000 }),
    wpm: fc.option(fc.integer({ min: 60, max: 260 }), { nil: null }),
    activeLevelDb: fc.integer({ min: -50, max: -8 }),
    levelDb: fc.integer({ min: -45, max: -8 }),
  }),
  { minLength: 1, maxLength: 30 },
).map((parts) => {
  const out: SpeechSpan[] = [];
  let t = 0;
  for (const p of parts) {
    t += p.pauseMs;
    if (t >= CALL_MS) break;
    out.push({ from: t, to: Math.min(CALL_MS, t + p.talkMs), ...p });
    t += p.talkMs;
  }
  return out;
});

const cooldownOf = new Map(RULES.map((rule) => [rule.type, rule.cooldownMs(defaultCoachingConfig)]));

Deno.test("CoachingEngine - properties: throttle, cooldowns and determinism hold for any call", () => {
  fc.assert(
    fc.property(spans, spans, (agent, customer) => {
      const { tips, engine } = runCall(agent, customer, CALL_MS);
      for (let i = 1; i < tips.length; i++) {
        const gap = tips[i].streamMs - tips[i - 1].streamMs;
        assert.ok(gap > 0, "one tip per slot at most");
        if (tips[i].severity !== "high") assert.ok(gap >= defaultCoachingConfig.minGapMs, "global throttle");
      }
      const lastOfType = new Map<string, number>();
      for (const tip of tips) {
        const last = lastOfType.get(tip.type);
        if (last !== undefined) {
          assert.ok(tip.streamMs - last >= cooldownOf.get(tip.type)!, `${tip.type} cooldown`);
        }
        lastOfType.set(tip.type, tip.streamMs);
      }
      const interruptTips = tips.filter((tip) => tip.type === "INTERRUPTING_CUSTOMER").length;
      assert.ok(engine.metrics().interruptions >= interruptTips, "the metric counts every interruption");
      const firstSpeech = Math.min(agent[0]?.from ?? Infinity, customer[0]?.from ?? Infinity);
      for (const tip of tips.filter((t) => t.type === "TOO_MUCH_SILENCE")) {
        assert.ok(
          tip.streamMs >= firstSpeech + defaultCoachingConfig.silenceMs - 20,
          "no silence tip before speech",
        );
      }
      assert.deepEqual(runCall(agent, customer, CALL_MS).tips, tips, "deterministic");
    }),
    { numRuns: 40, seed: 20261124 },
  );
});
