import assert from "node:assert/strict";
import { defaultCoachingConfig } from "../../core/coaching/config.ts";
import type { Suggestion } from "../../core/coaching/types.ts";
import {
  formatScenarioReport,
  judgeScenario,
  measureScenarioAccuracy,
  type ScenarioAccuracy,
} from "../../tools/accuracy_scenarios.ts";

/** Measured once for all tests of this file (about a second of work). */
let measured: Promise<ScenarioAccuracy[]> | undefined;
function scenarioRows(): Promise<ScenarioAccuracy[]> {
  return measured ??= measureScenarioAccuracy();
}

Deno.test("Accuracy - every real-speech scenario fires its expected tips and nothing else", async () => {
  const rows = await scenarioRows();
  const report = formatScenarioReport(rows);
  const names = rows.map((row) => row.name);
  for (const name of ["calm", "fast", "slow", "loud", "soft", "interrupt", "silence", "monologue", "tense"]) {
    assert.ok(names.includes(name), `scenario ${name} is missing`);
  }
  assert.ok(names.includes("talk_ratio"), "scenario talk_ratio is missing");
  for (const row of rows) {
    assert.deepEqual(row.missing, [], `${row.name}: expected tips did not fire\n${report}`);
    assert.deepEqual(row.unexpected, [], `${row.name}: unexpected tips\n${report}`);
  }
  const calm = rows.find((row) => row.name === "calm");
  assert.deepEqual(calm?.fired, [], `the calm call got tips\n${report}`);
});

Deno.test("Accuracy - the calm agent reads between the slow and fast thresholds all call long", async () => {
  const rows = await scenarioRows();
  const calm = rows.find((row) => row.name === "calm");
  const range = calm?.agentWpm;
  assert.ok(range, `no agent WPM in the calm call\n${formatScenarioReport(rows)}`);
  const { slowWpm, fastWpm } = defaultCoachingConfig;
  assert.ok(range.min >= slowWpm && range.max <= fastWpm, `calm agent at ${range.min}-${range.max} WPM`);
});

Deno.test("Accuracy - the interrupt scenario counts one interruption, backchannels none", async () => {
  const rows = await scenarioRows();
  const interrupt = rows.find((row) => row.name === "interrupt");
  assert.equal(interrupt?.final?.interruptions, 1, formatScenarioReport(rows));
  assert.equal(rows.find((row) => row.name === "calm")?.final?.interruptions, 0);
});

Deno.test("Accuracy - a tip outside its window counts as missing and unexpected", () => {
  const windows = [{ type: "SPEAKING_TOO_FAST", fromMs: 10_000, toMs: 20_000 }];
  const tip = (type: Suggestion["type"], streamMs: number): Suggestion => ({
    type,
    streamMs,
    message: "",
    severity: "medium",
    reason: "",
    situation: { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: null },
  });
  const early = judgeScenario("x", windows, [tip("SPEAKING_TOO_FAST", 9_000)]);
  assert.deepEqual([early.missing, early.unexpected, early.pass], [
    ["SPEAKING_TOO_FAST"],
    ["SPEAKING_TOO_FAST at 9.00 s"],
    false,
  ]);
  const extra = judgeScenario("x", windows, [
    tip("SPEAKING_TOO_FAST", 12_000),
    tip("TOO_MUCH_SILENCE", 15_000),
  ]);
  assert.deepEqual([extra.missing, extra.unexpected, extra.pass], [
    [],
    ["TOO_MUCH_SILENCE at 15.00 s"],
    false,
  ]);
  assert.equal(judgeScenario("x", windows, [tip("SPEAKING_TOO_FAST", 12_000)]).pass, true);
});
