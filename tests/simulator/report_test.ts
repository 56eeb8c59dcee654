/** The simulator's printed lines. */
import assert from "node:assert/strict";
import type { SuggestionData } from "../../core/protocol/ui_messages.ts";
import { formatScenarioList, formatStreamTime, formatTip, formatVerdict } from "../../simulator/report.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { judgeTips } from "../../simulator/verdict.ts";

Deno.test("Report - stream time is mm:ss.d", () => {
  assert.equal(formatStreamTime(0), "00:00.0");
  assert.equal(formatStreamTime(12_460), "00:12.4");
  assert.equal(formatStreamTime(61_000), "01:01.0");
  assert.equal(formatStreamTime(-5), "00:00.0");
});

/** A tip as the page socket carries it, in the rules' words unless `words` says otherwise. */
function sampleTip(words: Partial<SuggestionData> = {}): SuggestionData {
  return {
    id: "1",
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    fixed_message: "Slow down a little",
    phrased_by: "rules",
    severity: "medium",
    timestamp: new Date(0).toISOString(),
    stream_ms: 12_400,
    reason: "About 185 words a minute; aim for 110–160",
    active: true,
    ...words,
  };
}

Deno.test("Report - a tip line has time, severity, type, message and reason", () => {
  const line = formatTip(sampleTip());
  assert.equal(
    line,
    "[00:12.4] medium SPEAKING_TOO_FAST      Slow down a little — About 185 words a minute; aim for 110–160",
  );
});

Deno.test("Report - a tip a model worded is marked (AI)", () => {
  const line = formatTip(sampleTip({ message: "Ease off the pace so they can follow", phrased_by: "model" }));
  assert.match(line, /Ease off the pace so they can follow \(AI\) — About 185/);
});

Deno.test("Report - the summary names missing and unexpected tips", () => {
  const window = { type: "TOO_MUCH_SILENCE", fromMs: 0, toMs: 9_000 } as const;
  const lines = formatVerdict(judgeTips([window], [], [{ type: "SPEAKING_TOO_LOUD", streamMs: 4_000 }]));
  assert.ok(
    lines.some((l) => /MISSING\s+TOO_MUCH_SILENCE\s+expected 00:00.0–00:09.0/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => /UNEXPECTED SPEAKING_TOO_LOUD\s+at 00:04.0/.test(l)), lines.join("\n"));
});

Deno.test("Report - the scenario list shows every scenario with its expected tips", () => {
  const scenarios = Object.values(buildScenarios());
  const text = formatScenarioList(scenarios);
  for (const scenario of scenarios) assert.match(text, new RegExp(`^${scenario.name}\\s`, "m"));
  assert.match(text, /normal .*\n\s+expects: no tips/);
  assert.match(text, /expects: CUSTOMER_RAISED_VOICE/);
});
