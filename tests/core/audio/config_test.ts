import assert from "node:assert/strict";
import {
  AnalysisConfigSchema,
  defaultAnalysisConfig,
  SYLLABLES_PER_WORD,
} from "../../../core/audio/config.ts";

Deno.test("AnalysisConfig - every field has a default", () => {
  const shape = AnalysisConfigSchema.shape;
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    assert.equal(typeof defaultAnalysisConfig[key], "number", `${key} has a numeric default`);
  }
  // A three-second answer (about 2.5 s of turn time) gets a reading.
  assert.equal(defaultAnalysisConfig.wpmMinSpeechS, 2);
});

Deno.test("AnalysisConfig - echo settings span the line's range: delays to 250 ms, an echo's loss of 10 dB or more", () => {
  const c = defaultAnalysisConfig;
  assert.ok(c.echoMaxDelayMs >= 250 && c.echoMaxDelayMs <= 300);
  assert.ok(c.echoMinLossDb >= 6 && c.echoMinLossDb < 15, "a speakerphone's 15 dB echo must count as echo");
  assert.ok(c.echoPriorLossDb < 15 && c.echoPriorLossDb >= c.echoMinLossDb);
  assert.equal(AnalysisConfigSchema.safeParse({ echoMaxDelayMs: 10 }).success, false);
});

Deno.test("AnalysisConfig - the turn pause lies between within-turn pauses and turn gaps (0.6-1 s)", () => {
  assert.ok(defaultAnalysisConfig.turnPauseMs >= 600 && defaultAnalysisConfig.turnPauseMs <= 1000);
  assert.equal(AnalysisConfigSchema.safeParse({ turnPauseMs: -1 }).success, false);
});

Deno.test("AnalysisConfig - partial overrides keep the other defaults", () => {
  const config = AnalysisConfigSchema.parse({ hangoverMs: 40 });
  assert.equal(config.hangoverMs, 40);
  assert.equal(config.wpmWindowS, defaultAnalysisConfig.wpmWindowS);
});

Deno.test("AnalysisConfig - bad values are rejected with the field name", () => {
  const result = AnalysisConfigSchema.safeParse({ hangoverMs: -5, wpmWindowS: "long" });
  assert.equal(result.success, false);
  const paths = result.error!.issues.map((i) => i.path.join("."));
  assert.deepEqual(paths.sort(), ["hangoverMs", "wpmWindowS"]);
});

Deno.test("AnalysisConfig - syllables per word is conversational English's (about 1.3)", () => {
  assert.ok(SYLLABLES_PER_WORD >= 1.2 && SYLLABLES_PER_WORD <= 1.35);
});
