/**
 * `deno task accuracy`: measures the analysis and the coaching on the real-speech fixtures and judges
 * them against the targets. Prints the clip report (speaking rate and voice activity per clip), the
 * scenario report (scripted two-party calls through the real pipeline) and a verdict; exits with 1 when a
 * target is missed.
 *
 * Targets: median |WPM error| ≤ 10 %, ≥ 90 % of clips within ±20 %, VAD slot agreement ≥ 95 %, every
 * scenario fires its expected tips (and nothing else), the calm scenario fires none.
 *
 * @module
 */
import { type ClipAccuracySummary, formatClipReport, measureClipAccuracy } from "./accuracy_clips.ts";
import {
  formatScenarioReport,
  measureScenarioAccuracy,
  type ScenarioAccuracy,
} from "./accuracy_scenarios.ts";

/** One target and whether it was met. */
export interface TargetVerdict {
  target: string;
  measured: string;
  met: boolean;
}

/** Judges the measurements against the targets. */
export function judgeTargets(clips: ClipAccuracySummary, scenarios: ScenarioAccuracy[]): TargetVerdict[] {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  const failed = scenarios.filter((row) => !row.pass).map((row) => row.name);
  const calm = scenarios.find((row) => row.name === "calm");
  return [
    {
      target: "median |WPM error| <= 10 %",
      measured: `${clips.medianWpmErrorPct.toFixed(1)} %`,
      met: clips.medianWpmErrorPct <= 10,
    },
    {
      target: ">= 90 % of clips within 20 %",
      measured: pct(clips.within20PctShare),
      met: clips.within20PctShare >= 0.9,
    },
    {
      target: "VAD slot agreement >= 95 %",
      measured: pct(clips.vadAgreement),
      met: clips.vadAgreement >= 0.95,
    },
    {
      target: "every scenario fires its expected tips",
      measured: failed.length ? `failed: ${failed.join(", ")}` : `${scenarios.length} of ${scenarios.length}`,
      met: failed.length === 0,
    },
    {
      target: "calm scenario fires no tip",
      measured: calm ? `${calm.fired.length} tips` : "no calm scenario",
      met: calm !== undefined && calm.fired.length === 0,
    },
  ];
}

if (import.meta.main) {
  const clips = await measureClipAccuracy();
  const scenarios = await measureScenarioAccuracy();
  console.log("== Speaking rate and voice activity per clip ==");
  console.log(formatClipReport(clips));
  console.log("\n== Coaching scenarios (real speech through the call pipeline) ==");
  console.log(formatScenarioReport(scenarios));
  console.log("\n== Verdict ==");
  const verdicts = judgeTargets(clips, scenarios);
  for (const v of verdicts) {
    console.log(`${v.met ? "met   " : "MISSED"}  ${v.target.padEnd(40)} ${v.measured}`);
  }
  const allMet = verdicts.every((v) => v.met);
  console.log(allMet ? "all targets met" : "some targets missed");
  if (!allMet) Deno.exit(1);
}
