/**
 * Scenario accuracy on real speech: scripted two-party calls (`scenarios.ts`) built from the committed
 * espeak-ng fixtures, played slot by slot through the real {@linkcode CallPipeline} (stream aligner,
 * `TrackAnalyzer` per party, `CoachingEngine` with default settings), as Twilio would send them.
 * A scenario passes when it fires every expected tip and nothing else.
 *
 * `tools/accuracy.ts` prints the report; `tests/accuracy/scenarios_test.ts` asserts it.
 *
 * @module
 */
import { SLOT_MS, SLOT_SAMPLES } from "../core/audio/types.ts";
import type { Suggestion } from "../core/coaching/types.ts";
import type { MetricsData } from "../core/protocol/ui_messages.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import {
  cutSegments,
  durationMs,
  type FixtureClip,
  loadFixtureClips,
  timeStretch,
  TrackTimeline,
} from "./scenario_audio.ts";
import { type ClipSpec, type Scenario, SCENARIOS } from "./scenarios.ts";

/** Outcome of one scenario. */
export interface ScenarioAccuracy {
  name: string;
  expected: string[];
  /** Every tip fired, in order, with its evidence. */
  fired: { type: string; streamMs: number; reason?: string }[];
  /** Expected tips that never fired. */
  missing: string[];
  /** Tips that fired although not expected (each type once). */
  unexpected: string[];
  pass: boolean;
  /** Conversation metrics at the end of the call (interruptions, talk ratio), for the report. */
  final?: Pick<MetricsData, "interruptions" | "talk_ratio">;
}

/** Both tracks of a scenario as μ-law bytes. */
export interface ScenarioAudio {
  agent: Uint8Array;
  customer: Uint8Array;
  durationMs: number;
}

function clipAudio(clips: Map<string, FixtureClip>, spec: ClipSpec): Float32Array {
  const clip = clips.get(spec.clip);
  if (!clip) throw new Error(`scenario uses clip "${spec.clip}", which labels.json does not list`);
  let pcm = spec.segments ? cutSegments(clip, spec.segments[0], spec.segments[1]) : clip.pcm;
  if (spec.stretch !== undefined && spec.stretch !== 1) pcm = timeStretch(pcm, spec.stretch);
  return pcm;
}

/** Lays the scenario's steps out on two tracks (see `scenarios.ts` for the step timing rules). */
export function buildScenarioAudio(scenario: Scenario, clips: Map<string, FixtureClip>): ScenarioAudio {
  const placed: { party: "agent" | "customer"; at: number; pcm: Float32Array; gainDb: number }[] = [];
  let end = scenario.leadMs;
  let mainStart = scenario.leadMs;
  for (const step of scenario.steps) {
    const pcm = clipAudio(clips, step);
    const at = step.over !== undefined
      ? mainStart + step.over
      : end + (placed.length === 0 ? 0 : step.after ?? 700);
    if (step.over === undefined) mainStart = at;
    placed.push({ party: step.party, at, pcm, gainDb: step.gainDb ?? 0 });
    end = Math.max(end, at + durationMs(pcm));
  }
  const total = Math.ceil((end + scenario.tailMs) / SLOT_MS) * SLOT_MS;
  const agent = new TrackTimeline(total);
  const customer = new TrackTimeline(total);
  for (const p of placed) (p.party === "agent" ? agent : customer).place(p.at, p.pcm, p.gainDb);
  return { agent: agent.toMulaw(), customer: customer.toMulaw(), durationMs: total };
}

/** Plays both tracks through a fresh pipeline, 20 ms frames, both tracks stamped alike. */
export function playScenario(audio: ScenarioAudio): { tips: Suggestion[]; final: MetricsData } {
  const tips: Suggestion[] = [];
  const pipeline = new CallPipeline({
    agentTrack: "outbound",
    onSuggestion: (suggestion) => tips.push(suggestion),
    onMetrics: () => {},
  });
  for (let slot = 0; slot * SLOT_SAMPLES < audio.agent.length; slot++) {
    const from = slot * SLOT_SAMPLES;
    pipeline.ingest("outbound", slot * SLOT_MS, audio.agent.subarray(from, from + SLOT_SAMPLES));
    pipeline.ingest("inbound", slot * SLOT_MS, audio.customer.subarray(from, from + SLOT_SAMPLES));
  }
  pipeline.flush();
  return { tips, final: pipeline.metrics() };
}

/** Compares fired tips with the expected ones. */
export function judgeScenario(name: string, expected: string[], tips: Suggestion[]): ScenarioAccuracy {
  const firedTypes = new Set(tips.map((tip) => tip.type as string));
  const missing = expected.filter((type) => !firedTypes.has(type));
  const unexpected = [...firedTypes].filter((type) => !expected.includes(type));
  return {
    name,
    expected,
    fired: tips.map((tip) => ({ type: tip.type, streamMs: tip.streamMs, reason: tip.reason })),
    missing,
    unexpected,
    pass: missing.length === 0 && unexpected.length === 0,
  };
}

/** Builds and plays every scenario of `scenarios.ts` with default settings. */
export async function measureScenarioAccuracy(fixturesDir?: URL): Promise<ScenarioAccuracy[]> {
  const clips = await loadFixtureClips(fixturesDir);
  return SCENARIOS.map((scenario) => {
    const { tips, final } = playScenario(buildScenarioAudio(scenario, clips));
    const row = judgeScenario(scenario.name, scenario.expected, tips);
    row.final = { interruptions: final.interruptions, talk_ratio: final.talk_ratio };
    return row;
  });
}

/** Text report: one block per scenario with what fired when, and why. */
export function formatScenarioReport(rows: ScenarioAccuracy[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const expected = row.expected.length ? row.expected.join(", ") : "no tips";
    lines.push(`${row.pass ? "PASS" : "FAIL"}  ${row.name.padEnd(11)} expected: ${expected}`);
    for (const tip of row.fired) {
      const reason = tip.reason ? `  (${tip.reason})` : "";
      lines.push(`        ${(tip.streamMs / 1000).toFixed(2).padStart(7)} s  ${tip.type}${reason}`);
    }
    if (row.missing.length) lines.push(`        missing: ${row.missing.join(", ")}`);
    if (row.unexpected.length) lines.push(`        unexpected: ${row.unexpected.join(", ")}`);
    if (row.final) {
      const ratio = row.final.talk_ratio === null ? "-" : `${(row.final.talk_ratio * 100).toFixed(0)} %`;
      lines.push(`        at the end: interruptions ${row.final.interruptions}, agent talk share ${ratio}`);
    }
  }
  const passed = rows.filter((row) => row.pass).length;
  lines.push(`scenarios passed: ${passed} of ${rows.length}`);
  return lines.join("\n");
}

if (import.meta.main) console.log(formatScenarioReport(await measureScenarioAccuracy()));
