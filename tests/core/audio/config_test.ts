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
  assert.equal(defaultAnalysisConfig.wpmMinSpeechS, 3);
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

Deno.test("AnalysisConfig - syllables per word is in the conversational English range", () => {
  assert.ok(SYLLABLES_PER_WORD >= 1.3 && SYLLABLES_PER_WORD <= 1.5);
});
