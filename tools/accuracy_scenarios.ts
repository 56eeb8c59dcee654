/**
 * Scenario accuracy on real speech: scripted two-party calls (`scenarios.ts`) built from the committed
 * espeak-ng fixtures, played slot by slot through the real {@linkcode CallPipeline} (stream aligner,
 * `TrackAnalyzer` per party, `CoachingEngine` with default settings), as Twilio would send them.
 * A scenario passes when it fires every expected tip inside its window and nothing else.
 *
 * `tools/accuracy.ts` prints the report; `tests/accuracy/scenarios_test.ts` asserts it.
 *
 * @module
 */
import { SLOT_MS, SLOT_SAMPLES } from "../core/audio/types.ts";
import { type Suggestion, SUGGESTION_TYPES } from "../core/coaching/types.ts";
import type { MetricsData } from "../core/protocol/ui_messages.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { metricsData } from "../core/session/page_messages.ts";
import { type LineConditions, PhoneLine } from "../simulator/line.ts";
import {
  cutSegments,
  durationMs,
  encodeMulaw,
  type FixtureClip,
  loadFixtureClips,
  timeStretch,
  TrackTimeline,
} from "./scenario_audio.ts";
import { type Clip, resolveScript, type TipWindow } from "../simulator/script.ts";
import { judgeTips } from "../simulator/verdict.ts";
import { LINES, type Scenario, SCENARIOS } from "./scenarios.ts";

/** Outcome of one scenario. */
export interface ScenarioAccuracy {
  name: string;
  expected: string[];
  /** Every tip fired, in order, with its evidence. */
  fired: { type: string; streamMs: number; reason?: string }[];
  /** Expected tips that never fired inside their window. */
  missing: string[];
  /** Tips that fired although not expected, or outside their window, e.g. "TOO_MUCH_SILENCE at 3.2 s". */
  unexpected: string[];
  pass: boolean;
  /** Where each expected tip had to fire (stream ms, slack included). */
  windows?: TipWindow[];
  /** Conversation metrics at the end of the call (interruptions, talk ratio), for the report. */
  final?: Pick<MetricsData, "interruptions" | "talk_ratio">;
  /**
   * Lowest and highest agent WPM the 4 Hz metrics showed while the agent spoke, after their first five
   * seconds of speech; null if never known.
   */
  agentWpm?: WpmRange | null;
  /** Length of the call, ms. */
  durationMs?: number;
}

/** A range of speaking rates, WPM. */
export interface WpmRange {
  min: number;
  max: number;
}

/** Both tracks of a scenario as μ-law bytes, and its expected tips' windows. */
export interface ScenarioAudio {
  agent: Uint8Array;
  customer: Uint8Array;
  /** Per slot, 1 where the line lost the track's frame (it is never sent); absent on a perfect line. */
  agentLost?: Uint8Array;
  customerLost?: Uint8Array;
  durationMs: number;
  windows: TipWindow[];
}

function clipAudio(clips: Map<string, FixtureClip>, spec: Clip): Float32Array {
  const clip = clips.get(spec.clip);
  if (!clip) throw new Error(`scenario uses clip "${spec.clip}", which labels.json does not list`);
  let pcm = spec.segments ? cutSegments(clip, spec.segments[0], spec.segments[1]) : clip.pcm;
  let stretch = spec.stretch;
  if (spec.wpm !== undefined) {
    // The label's rate is the whole clip's: a cut or an extra stretch would make the pace a guess.
    if (spec.segments !== undefined || spec.stretch !== undefined) {
      throw new Error(`scenario turn "${spec.clip}": wpm applies to a whole clip without stretch`);
    }
    stretch = clip.label.trueWpm / spec.wpm;
  }
  if (stretch !== undefined && stretch !== 1) pcm = timeStretch(pcm, stretch);
  return pcm;
}

/** Lays the scenario's turns out on two tracks (placed as `simulator/script.ts` says). */
export function buildScenarioAudio(scenario: Scenario, clips: Map<string, FixtureClip>): ScenarioAudio {
  const pcm = scenario.turns.map((turn) => clipAudio(clips, turn));
  const resolved = resolveScript(scenario, (_, index) => durationMs(pcm[index]));
  const total = Math.ceil(resolved.durationMs / SLOT_MS) * SLOT_MS;
  const agent = new TrackTimeline(total);
  const customer = new TrackTimeline(total);
  resolved.placed.forEach(({ turn, startMs }, index) => {
    (turn.who === "agent" ? agent : customer).place(startMs, pcm[index], turn.gainDb ?? 0);
  });
  const windows = resolved.expect;
  if (scenario.line === undefined) {
    return { agent: agent.toMulaw(), customer: customer.toMulaw(), durationMs: total, windows };
  }
  return { ...throughLine(agent.pcm, customer.pcm, scenario.line), durationMs: total, windows };
}

/** Both clean tracks through a {@linkcode PhoneLine}: echo, noise and lost frames as the server gets them. */
export function throughLine(
  agentPcm: Float32Array,
  customerPcm: Float32Array,
  conditions: LineConditions,
): Pick<ScenarioAudio, "agent" | "customer" | "agentLost" | "customerLost"> {
  const line = new PhoneLine(conditions);
  const slots = Math.floor(agentPcm.length / SLOT_SAMPLES);
  const agent = new Int16Array(slots * SLOT_SAMPLES);
  const customer = new Int16Array(slots * SLOT_SAMPLES);
  const agentLost = new Uint8Array(slots);
  const customerLost = new Uint8Array(slots);
  for (let slot = 0; slot < slots; slot++) {
    const from = slot * SLOT_SAMPLES, to = from + SLOT_SAMPLES;
    const [a, c] = line.process(agentPcm.subarray(from, to), customerPcm.subarray(from, to));
    agent.set(a, from);
    customer.set(c, from);
    agentLost[slot] = line.lost[0] ? 1 : 0;
    customerLost[slot] = line.lost[1] ? 1 : 0;
  }
  return {
    agent: encodeMulaw(agent),
    customer: encodeMulaw(customer),
    agentLost,
    customerLost,
  };
}

/** Metrics ticks (4 Hz) of agent speech before `agentWpm` starts: about five seconds. */
const SETTLED_TICKS = 20;

/** Plays both tracks through a fresh pipeline, 20 ms frames, both tracks stamped alike. */
export function playScenario(
  audio: ScenarioAudio,
): { tips: Suggestion[]; final: MetricsData; agentWpm: WpmRange | null } {
  const tips: Suggestion[] = [];
  let agentWpm: WpmRange | null = null;
  let agentSpeakingTicks = 0;
  const pipeline = new CallPipeline({
    agentTrack: "outbound",
    onSuggestion: (suggestion) => tips.push(suggestion),
    // As the page reads them (whole WPM).
    onMetrics: (metrics) => {
      const { agent } = metricsData(metrics);
      if (!agent.speaking || agent.wpm === null) return;
      // The first readings rest on two or three seconds of speech and a few syllables: the range starts once
      // the agent has talked for about five seconds (twenty 4 Hz ticks).
      if (++agentSpeakingTicks <= SETTLED_TICKS) return;
      agentWpm = agentWpm === null
        ? { min: agent.wpm, max: agent.wpm }
        : { min: Math.min(agentWpm.min, agent.wpm), max: Math.max(agentWpm.max, agent.wpm) };
    },
  });
  for (let slot = 0; slot * SLOT_SAMPLES < audio.agent.length; slot++) {
    const from = slot * SLOT_SAMPLES;
    if (!audio.agentLost?.[slot]) {
      pipeline.ingest("outbound", slot * SLOT_MS, audio.agent.subarray(from, from + SLOT_SAMPLES));
    }
    if (!audio.customerLost?.[slot]) {
      pipeline.ingest("inbound", slot * SLOT_MS, audio.customer.subarray(from, from + SLOT_SAMPLES));
    }
  }
  pipeline.flush();
  return { tips, final: metricsData(pipeline.metrics()), agentWpm };
}

/** A report row of the tips fired against the expected windows (judged as the simulator judges a call). */
export function judgeScenario(name: string, windows: TipWindow[], tips: Suggestion[]): ScenarioAccuracy {
  const verdict = judgeTips(windows, [], tips);
  return {
    name,
    expected: windows.map((w) => w.type),
    fired: tips.map((tip) => ({ type: tip.type, streamMs: tip.streamMs, reason: tip.reason })),
    missing: verdict.missing.map((w) => w.type),
    unexpected: verdict.unexpected.map((tip) => `${tip.type} at ${(tip.streamMs / 1000).toFixed(2)} s`),
    pass: verdict.ok,
    windows,
  };
}

/**
 * Builds and plays every scenario of `scenarios.ts` with default settings: each on its own line, and each
 * that has no line of its own also through every line of {@linkcode LINES} (rows named "fast / echo ...").
 *
 * @param withLines also play the scenarios through {@linkcode LINES} (default true)
 */
export async function measureScenarioAccuracy(
  options: { fixturesDir?: URL; withLines?: boolean } = {},
): Promise<ScenarioAccuracy[]> {
  const clips = await loadFixtureClips(options.fixturesDir);
  const runs: { name: string; scenario: Scenario }[] = SCENARIOS.map((scenario) => ({
    name: scenario.name,
    scenario,
  }));
  if (options.withLines ?? true) {
    for (const [lineName, line] of Object.entries(LINES)) {
      for (const scenario of SCENARIOS) {
        if (scenario.line === undefined) {
          runs.push({ name: `${scenario.name} / ${lineName}`, scenario: { ...scenario, line } });
        }
      }
    }
  }
  return runs.map(({ name, scenario }) => {
    const audio = buildScenarioAudio(scenario, clips);
    const { tips, final, agentWpm } = playScenario(audio);
    const row = judgeScenario(name, audio.windows, tips);
    row.durationMs = audio.durationMs;
    row.final = { interruptions: final.interruptions, talk_ratio: final.talk_ratio };
    row.agentWpm = agentWpm;
    return row;
  });
}

/** Precision and recall of one rule over scenario rows. */
export interface RuleScore {
  type: string;
  /** Expected tips that fired in their window. */
  hits: number;
  /** Expected tips that did not. */
  misses: number;
  /** Tips of this rule outside any window of it. */
  unwanted: number;
  precision: number | null;
  recall: number | null;
}

/** Per-rule precision (hits over everything it fired) and recall (hits over everything expected). */
export function ruleScores(rows: ScenarioAccuracy[]): RuleScore[] {
  return SUGGESTION_TYPES.map((type) => {
    let hits = 0, misses = 0, unwanted = 0;
    for (const row of rows) {
      const windows = (row.windows ?? []).filter((w) => w.type === type);
      const missed = row.missing.filter((m) => m === type).length;
      hits += windows.length - missed;
      misses += missed;
      unwanted += row.unexpected.filter((u) => u.startsWith(`${type} at`)).length;
    }
    return {
      type,
      hits,
      misses,
      unwanted,
      precision: hits + unwanted === 0 ? null : hits / (hits + unwanted),
      recall: hits + misses === 0 ? null : hits / (hits + misses),
    };
  });
}

/** Unwanted tips per 10 minutes of calm talk: over the rows that expect no tip at all. */
export function calmTipRate(rows: ScenarioAccuracy[]): { minutes: number; tips: number; per10Min: number } {
  const calm = rows.filter((row) => row.expected.length === 0);
  const minutes = calm.reduce((sum, row) => sum + (row.durationMs ?? 0), 0) / 60_000;
  const tips = calm.reduce((sum, row) => sum + row.fired.length, 0);
  return { minutes, tips, per10Min: minutes > 0 ? (tips / minutes) * 10 : NaN };
}

/** Per-rule precision and recall, and the calm-talk rate, as text. */
export function formatRuleReport(rows: ScenarioAccuracy[]): string {
  const lines = [`${"rule".padEnd(24)} expected  fired in window  unwanted  precision  recall`];
  const pct = (value: number | null) => value === null ? "-" : `${(value * 100).toFixed(0)} %`;
  for (const score of ruleScores(rows)) {
    lines.push(
      `${score.type.padEnd(24)} ${String(score.hits + score.misses).padStart(8)} ${
        String(score.hits).padStart(16)
      } ` +
        `${String(score.unwanted).padStart(9)} ${pct(score.precision).padStart(10)} ${
          pct(score.recall).padStart(7)
        }`,
    );
  }
  const calm = calmTipRate(rows);
  lines.push(
    `unwanted tips in calm talk: ${calm.tips} in ${calm.minutes.toFixed(1)} min = ` +
      `${calm.per10Min.toFixed(2)} per 10 minutes (rows that expect no tip)`,
  );
  return lines.join("\n");
}

/** Text report: one block per scenario with what fired when, and why. */
export function formatScenarioReport(rows: ScenarioAccuracy[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const windows = row.windows?.map((w) =>
      `${w.type} in ${(w.fromMs / 1000).toFixed(1)}-${(w.toMs / 1000).toFixed(1)} s`
    );
    const expected = row.expected.length ? (windows ?? row.expected).join(", ") : "no tips";
    lines.push(`${row.pass ? "PASS" : "FAIL"}  ${row.name.padEnd(12)} expected: ${expected}`);
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
    if (row.agentWpm !== undefined) {
      const range = row.agentWpm === null ? "-" : `${row.agentWpm.min}-${row.agentWpm.max}`;
      lines.push(`        agent WPM while speaking: ${range}`);
    }
  }
  const passed = rows.filter((row) => row.pass).length;
  lines.push(`scenarios passed: ${passed} of ${rows.length}`);
  return lines.join("\n");
}

if (import.meta.main) {
  const rows = await measureScenarioAccuracy();
  console.log(formatScenarioReport(rows));
  console.log(formatRuleReport(rows));
}
