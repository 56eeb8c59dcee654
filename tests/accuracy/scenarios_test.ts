import assert from "node:assert/strict";
import { defaultCoachingConfig } from "../../core/coaching/config.ts";
import type { Suggestion } from "../../core/coaching/types.ts";
import {
  calmTipRate,
  formatRuleReport,
  formatScenarioReport,
  judgeScenario,
  measureScenarioAccuracy,
  ruleScores,
  type ScenarioAccuracy,
} from "../../tools/accuracy_scenarios.ts";
import { LINES } from "../../tools/scenarios.ts";

/** Measured once for all tests of this file (every scenario, also through every line: several seconds). */
let measured: Promise<ScenarioAccuracy[]> | undefined;
function scenarioRows(): Promise<ScenarioAccuracy[]> {
  return measured ??= measureScenarioAccuracy();
}

Deno.test("Accuracy - every real-speech scenario fires its expected tips and nothing else", async () => {
  const rows = await scenarioRows();
  const report = formatScenarioReport(rows);
  const names = rows.map((row) => row.name);
  const scenarios = ["calm", "fast", "slow", "loud", "soft", "interrupt", "silence", "monologue", "tense"];
  scenarios.push("talk_ratio", "echo", "speakerphone", "chatty", "slow_agent", "brisk_agent", "calm_10min");
  for (const name of scenarios) assert.ok(names.includes(name), `scenario ${name} is missing`);
  // What held up on real lines stays so: every scenario also through echo, a speakerphone, office noise
  // and lost frames, with exactly its tips.
  for (const line of Object.keys(LINES)) {
    for (const name of ["calm", "fast", "slow", "soft", "interrupt", "silence", "tense"]) {
      assert.ok(names.includes(`${name} / ${line}`), `${name} through ${line} is missing`);
    }
  }
  for (const row of rows) {
    assert.deepEqual(row.missing, [], `${row.name}: expected tips did not fire\n${report}`);
    assert.deepEqual(row.unexpected, [], `${row.name}: unexpected tips\n${report}`);
  }
  const calm = rows.find((row) => row.name === "calm");
  assert.deepEqual(calm?.fired, [], `the calm call got tips\n${report}`);
});

Deno.test("Accuracy - the calm agent reads between the slow and fast thresholds once they have talked a few seconds", async () => {
  const rows = await scenarioRows();
  // Echo and a speakerphone change nothing in the agent's pace either.
  for (const name of ["calm", "echo", "speakerphone", "chatty"]) {
    const range = rows.find((row) => row.name === name)?.agentWpm;
    assert.ok(range, `no agent WPM in ${name}\n${formatScenarioReport(rows)}`);
    const { slowWpm, fastWpm } = defaultCoachingConfig;
    assert.ok(
      range.min >= slowWpm && range.max <= fastWpm,
      `${name}: agent at ${range.min}-${range.max} WPM`,
    );
  }
});

Deno.test("Accuracy - echo is not speech: no interruption, and the talk ratio of the call without echo", async () => {
  const rows = await scenarioRows();
  const calm = rows.find((row) => row.name === "calm")!;
  for (
    const row of rows.filter((r) =>
      r.name === "echo" || r.name === "speakerphone" || r.name.startsWith("calm /")
    )
  ) {
    assert.equal(row.final?.interruptions, 0, `${row.name}\n${formatScenarioReport([row])}`);
    const shift = Math.abs((row.final?.talk_ratio ?? 0) - (calm.final?.talk_ratio ?? 0));
    assert.ok(
      shift <= 0.03,
      `${row.name}: talk ratio ${row.final?.talk_ratio} against ${calm.final?.talk_ratio}`,
    );
  }
});

Deno.test("Accuracy - at most one unwanted tip per 10 minutes of calm talk, over a 10-minute call too", async () => {
  const rows = await scenarioRows();
  const long = rows.find((row) => row.name === "calm_10min")!;
  assert.ok((long.durationMs ?? 0) >= 600_000, `calm_10min lasts ${long.durationMs} ms`);
  assert.ok(long.fired.length <= Math.floor((long.durationMs ?? 0) / 600_000), formatScenarioReport([long]));
  const calm = calmTipRate(rows);
  assert.ok(calm.minutes >= 25, `${calm.minutes} min of calm talk`);
  assert.ok(calm.per10Min <= 1, formatRuleReport(rows));
});

Deno.test("Accuracy - every rule is expected somewhere, with precision and recall of 1 over all scenarios", async () => {
  const rows = await scenarioRows();
  for (const score of ruleScores(rows)) {
    assert.ok(score.hits + score.misses >= 3, `${score.type} is expected in fewer than 3 scenarios`);
    assert.deepEqual([score.precision, score.recall], [1, 1], formatRuleReport(rows));
  }
});

Deno.test("Accuracy - backchannels both ways are neither interruptions nor fast speech", async () => {
  const rows = await scenarioRows();
  for (const row of rows.filter((r) => r.name === "chatty" || r.name.startsWith("chatty /"))) {
    assert.equal(row.final?.interruptions, 0, row.name);
    assert.deepEqual(row.fired, [], `${row.name}\n${formatScenarioReport([row])}`);
  }
});

Deno.test("Accuracy - the interrupt scenario counts one interruption, backchannels none", async () => {
  const rows = await scenarioRows();
  const interrupt = rows.find((row) => row.name === "interrupt");
  assert.equal(interrupt?.final?.interruptions, 1, formatScenarioReport(rows));
  assert.equal(rows.find((row) => row.name === "calm")?.final?.interruptions, 0);
});

Deno.test("Accuracy - a tip outside its window counts as missing and unexpected", () => {
  const windows = [{ type: "SPEAKING_TOO_FAST" as const, fromMs: 10_000, toMs: 20_000 }];
  const tip = (type: Suggestion["type"], streamMs: number): Suggestion => ({
    type,
    streamMs,
    message: "",
    severity: "medium",
    reason: "",
    situation: { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: null },
  });
  const row = judgeScenario("x", windows, [tip("SPEAKING_TOO_FAST", 9_000), tip("TOO_MUCH_SILENCE", 15_000)]);
  assert.deepEqual([row.missing, row.unexpected, row.pass], [
    ["SPEAKING_TOO_FAST"],
    ["SPEAKING_TOO_FAST at 9.00 s", "TOO_MUCH_SILENCE at 15.00 s"],
    false,
  ]);
  assert.equal(judgeScenario("x", windows, [tip("SPEAKING_TOO_FAST", 12_000)]).pass, true);
  // A reminder inside the window (the loud agent keeps being loud) is no unwanted tip.
  assert.equal(
    judgeScenario("x", windows, [tip("SPEAKING_TOO_FAST", 12_000), tip("SPEAKING_TOO_FAST", 19_000)]).pass,
    true,
  );
});
