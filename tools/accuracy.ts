/**
 * `deno task accuracy`: measures the analysis and the coaching on speech and judges them against the
 * targets. Prints
 *
 * 1. the scripted scenarios (`scenarios.ts`), each on its own line and again through echo, a speakerphone,
 *    office noise and lost frames: what fired, when and why;
 * 2. per-rule precision and recall over all of them, and the unwanted tips per 10 minutes of calm talk;
 * 3. the speaking rate, leave-one-speaker-out, by rate band, synthetic and real voices apart
 *    (`accuracy_clips.ts`; `--clips` lists every clip);
 * 4. a verdict per target; exits with 1 when one is missed.
 *
 * @module
 */
import {
  CLIP_SETS,
  type ClipAccuracySummary,
  formatClipReport,
  measureClipAccuracy,
} from "./accuracy_clips.ts";
import {
  calmTipRate,
  formatRuleReport,
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

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Judges the measurements against the targets (pace on voices the tuning never used). */
export function judgeTargets(clips: ClipAccuracySummary, scenarios: ScenarioAccuracy[]): TargetVerdict[] {
  const failed = scenarios.filter((row) => !row.pass).map((row) => row.name);
  const calm = calmTipRate(scenarios);
  const { synthetic, real, real_tempo: tempo } = clips.sets;
  // What a perfect syllable counter would measure on the same texts (`accuracy_clips.ts`): the bound.
  const bound = (figures: typeof real) => figures.textBound;
  return [
    {
      target: "synthetic voices: median |WPM error| <= 10 %",
      measured: `${synthetic.medianErrorPct.toFixed(1)} %`,
      met: synthetic.medianErrorPct <= 10,
    },
    {
      target: "synthetic voices: >= 90 % of clips within 20 %",
      measured: pct(synthetic.within20Share),
      met: synthetic.within20Share >= 0.9,
    },
    {
      target: "real voices: median |WPM error| <= 10 %",
      measured:
        `${real.medianErrorPct.toFixed(1)} % (at other tempos: ${tempo.medianErrorPct.toFixed(1)} %; ` +
        `perfect syllables: ${bound(real).medianErrorPct.toFixed(1)} %)`,
      met: real.medianErrorPct <= 10,
    },
    {
      target: "real voices: >= 80 % of clips within 20 %",
      measured: `${pct(real.within20Share)} (at other tempos: ${pct(tempo.within20Share)}; perfect ` +
        `syllables: ${pct(bound(real).within20Share)})`,
      met: real.within20Share >= 0.8,
    },
    {
      target: "real voices: Pearson r >= 0.9",
      measured: `${tempo.pearsonR.toFixed(3)} over 75-320 WPM (perfect syllables: ` +
        `${bound(tempo).pearsonR.toFixed(2)}); as recorded, 120-210 WPM: ${real.pearsonR.toFixed(3)} ` +
        `(perfect syllables: ${bound(real).pearsonR.toFixed(2)})`,
      met: tempo.pearsonR >= 0.9,
    },
    {
      target: "calibrated slope on the dev set within 0.9-1.1",
      measured: clips.devSlope.toFixed(3),
      met: clips.devSlope >= 0.9 && clips.devSlope <= 1.1,
    },
    {
      target: "every clip gets a reading (3 s clips too)",
      measured: `${CLIP_SETS.reduce((n, set) => n + clips.sets[set].noReading, 0)} without`,
      // The tempo-changed clips include 2-second ones (a 3 s clip played at 0.65): they may have none.
      met: clips.sets.synthetic.noReading + clips.sets.real.noReading === 0,
    },
    {
      target: "VAD slot agreement >= 95 %",
      measured: pct(clips.vadAgreement),
      met: clips.vadAgreement >= 0.95,
    },
    {
      target: "every scenario fires exactly its expected tips",
      measured: failed.length ? `failed: ${failed.join(", ")}` : `${scenarios.length} of ${scenarios.length}`,
      met: failed.length === 0,
    },
    {
      target: "<= 1 unwanted tip per 10 minutes of calm talk",
      measured: `${calm.per10Min.toFixed(2)} (${calm.tips} in ${calm.minutes.toFixed(0)} min)`,
      met: calm.per10Min <= 1,
    },
  ];
}

if (import.meta.main) {
  const scenarios = await measureScenarioAccuracy();
  const clips = await measureClipAccuracy();
  console.log("== Scripted scenarios (speech through the call pipeline; each also through other lines) ==");
  console.log(formatScenarioReport(scenarios));
  console.log("\n== Per rule, over every scenario ==");
  console.log(formatRuleReport(scenarios));
  console.log("\n== Speaking rate (WPM of turn time), leave-one-speaker-out ==");
  console.log(formatClipReport(clips, Deno.args.includes("--clips")));
  console.log("\n== Verdict ==");
  const verdicts = judgeTargets(clips, scenarios);
  for (const v of verdicts) {
    console.log(`${v.met ? "met   " : "MISSED"}  ${v.target.padEnd(50)} ${v.measured}`);
  }
  const allMet = verdicts.every((v) => v.met);
  console.log(allMet ? "all targets met" : "some targets missed");
  if (!allMet) Deno.exit(1);
}
