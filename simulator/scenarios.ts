/**
 * The simulator's scripted calls, in one declarative table in the format of `script.ts`: synthesised
 * turns of two parties (who, how long, the pause before, how the voice differs from that party's normal
 * voice) and the tips each call must produce.
 *
 * The voices that break a rule are derived from the coaching thresholds the server runs with (passed in,
 * `defaultCoachingConfig` by default), so the scripts follow a retuned server instead of copying numbers:
 * "fast" is `fastWpm + 35`, "loud" is `loudDb + 4`, the long silence is `silenceMs + 1.5 s`, and so on.
 *
 * @module
 */
import { type CoachingConfig, defaultCoachingConfig } from "../core/coaching/config.ts";
import type { SuggestionType } from "../core/coaching/types.ts";
import { ECHO_LINE, type LineConditions, SPEAKERPHONE_LINE } from "./line.ts";
import {
  type ExpectedTip,
  type Party,
  resolveScript,
  type Script,
  type Speech,
  type TipWindow,
} from "./script.ts";
import { seededRandom, type Utterance } from "./synth.ts";

/** How a party sounds. */
export type Voice = Required<Pick<Speech, "wpm" | "levelDb" | "pitchHz">>;

/** One row of the table, before times are resolved. */
interface ScenarioScript extends Script<Speech> {
  description: string;
}

/** A scenario ready to play. */
export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Stream length, ms. */
  durationMs: number;
  agent: Utterance[];
  customer: Utterance[];
  expect: TipWindow[];
  tolerate: readonly SuggestionType[];
  line?: LineConditions;
}

const BACKCHANNEL_MS = 500;

/** Normal voices: about 140 WPM at nominal telephone level (-26 dBov), a lower and a higher pitch. */
export const NORMAL_VOICES: Readonly<Record<Party, Voice>> = {
  agent: { wpm: 140, levelDb: -26, pitchHz: 115 },
  customer: { wpm: 145, levelDb: -27, pitchHz: 205 },
};

/** Names of the scenarios, in `--list` order. */
export const SCENARIO_NAMES = [
  "normal",
  "fast",
  "slow",
  "loud",
  "soft",
  "interrupt",
  "silence",
  "monologue",
  "tense",
  "echo",
  "speakerphone",
  "chatty",
  "slow_agent",
  "calm_10min",
  "tour",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * Short backchannels ("mm-hmm") by `who`, `atMs` into the turn they follow, which lasts `turnMs`: those
 * that would outlast it are left out (a retuned, shorter monologue has fewer).
 */
function backchannels(who: Party, turnMs: number, atMs: readonly number[]): Speech[] {
  return atMs.filter((at) => at + BACKCHANNEL_MS <= turnMs)
    .map((at) => ({ who, ms: BACKCHANNEL_MS, overMs: at, wpm: 170, singlePhrase: true }));
}

/** A row of the table, with the script's default lead, gaps and tail unless `more` says otherwise. */
function call(
  description: string,
  turns: Speech[],
  expect: ExpectedTip[] = [],
  more: Partial<ScenarioScript> = {},
): ScenarioScript {
  return { description, turns, expect, ...more };
}

/** A tip expected while turn `first` (through turn `last`) runs. */
function during(type: SuggestionType, first: string, last = first): ExpectedTip {
  return { type, from: `${first}.start`, to: `${last}.end` };
}

/** A calm call: turn-taking at a normal pace and level, a customer backchannel (about 40 s). */
const CALM_TURNS: Speech[] = [
  { who: "customer", ms: 3_500 },
  { who: "agent", ms: 5_000, gapMs: 700 },
  { who: "customer", ms: 6_000, gapMs: 600 },
  { who: "agent", ms: 8_000, gapMs: 900 },
  ...backchannels("customer", 8_000, [3_000]),
  { who: "customer", ms: 2_500, gapMs: 500 },
  { who: "agent", ms: 7_000, gapMs: 800 },
  { who: "customer", ms: 4_000, gapMs: 1_200 },
  { who: "agent", ms: 4_500, gapMs: 600 },
];

/**
 * Ten and a half minutes of calm conversation from a seeded generator: turns of 2-10 s, pauses of
 * 0.3-2.2 s (the first one is the lead), each voice a little different from turn to turn (pace, level,
 * pitch), and backchannels both ways every few seconds.
 */
function longCalmCall(): Pick<ScenarioScript, "leadMs" | "turns"> {
  const random = seededRandom(20261211);
  const between = (low: number, high: number) => Math.round(low + (high - low) * random());
  const turns: Speech[] = [];
  let leadMs = 0;
  let ms = 0;
  while (ms < 630_000) {
    for (const who of ["agent", "customer"] as const) {
      const length = between(2_000, 10_000);
      const backchannelsAtMs = [];
      for (let at = between(1_200, 2_500); at < length - 1_000; at += between(2_000, 4_000)) {
        backchannelsAtMs.push(at);
      }
      const gapMs = random() < 0.15 ? between(1_500, 2_200) : between(300, 1_000);
      const voice = NORMAL_VOICES[who];
      const turn: Speech = {
        who,
        ms: length,
        wpm: voice.wpm + between(-15, 10),
        levelDb: voice.levelDb + between(-2, 2),
        pitchHz: voice.pitchHz + between(-10, 10),
      };
      if (turns.length === 0) leadMs = gapMs;
      else turn.gapMs = gapMs;
      turns.push(turn, ...backchannels(who === "agent" ? "customer" : "agent", length, backchannelsAtMs));
      ms += length + gapMs;
    }
  }
  return { leadMs, turns };
}

/** The scripts, with rule-breaking voices derived from `coaching`. */
function scripts(c: CoachingConfig): Record<ScenarioName, ScenarioScript> {
  const fast = { wpm: c.fastWpm + 35 };
  const slow = { wpm: c.slowWpm - 25 };
  const loud = { levelDb: c.loudDb + 4 };
  const soft = { levelDb: c.softDb - 6 };
  const raised = { levelDb: NORMAL_VOICES.customer.levelDb + c.raisedVoiceDb + 5 };
  // Someone who will not be stopped: pauses too short to end their talk spurt.
  const unbroken = { pauseMs: [c.spurtGapMs * 0.4, c.spurtGapMs * 0.8] as const };
  const silence = c.silenceMs + 1_500;
  const overlap = Math.max(c.interruptOverlapMs * 4, 2_000);
  const monologue = c.monologueMs + 5_000;
  return {
    normal: call("a calm call with turn-taking at a normal pace and level: no tips", CALM_TURNS),
    fast: call(`the agent rushes at ${fast.wpm} WPM`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 12_000, ...fast, id: "fast" },
      { who: "customer", ms: 2_500 },
      { who: "agent", ms: 5_000, ...fast },
    ], [during("SPEAKING_TOO_FAST", "fast")]),
    slow: call(`the agent drags at ${slow.wpm} WPM`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 20_000, ...slow, id: "slow" },
      { who: "customer", ms: 2_500 },
    ], [during("SPEAKING_TOO_SLOW", "slow")]),
    loud: call(`the agent speaks at ${loud.levelDb} dBov (nominal ${NORMAL_VOICES.agent.levelDb})`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 8_000, ...loud, id: "loud" },
      { who: "customer", ms: 2_000 },
    ], [during("SPEAKING_TOO_LOUD", "loud")]),
    soft: call(`the agent mumbles at ${soft.levelDb} dBov`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 10_000, ...soft, id: "soft" },
      { who: "customer", ms: 2_000 },
    ], [during("SPEAKING_TOO_SOFT", "soft")]),
    interrupt: call('the customer\'s "mm-hmm"s do not count; then the agent talks over the customer', [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 8_000 },
      ...backchannels("customer", 8_000, [2_500, 5_500]),
      { who: "customer", ms: 5_500, ...unbroken },
      { who: "agent", ms: 4_000, gapMs: -overlap, id: "talkover" },
      { who: "customer", ms: 2_000 },
    ], [during("INTERRUPTING_CUSTOMER", "talkover")]),
    silence: call(`nobody speaks for ${silence / 1000} s in the middle of the call`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 4_000, id: "quiet" },
      { who: "customer", ms: 3_000, gapMs: silence, id: "resume" },
      { who: "agent", ms: 2_500 },
    ], [{ type: "TOO_MUCH_SILENCE", from: "quiet.end", to: "resume.start" }]),
    monologue: call(`the agent talks for ${monologue / 1000} s without letting the customer in`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: monologue, id: "monologue" },
      ...backchannels("customer", monologue, [10_000, 24_000, 37_000]),
      { who: "customer", ms: 2_500 },
    ], [during("CONTINUOUS_SPEAKING", "monologue")]),
    tense: call(`the customer raises their voice by ${raised.levelDb - NORMAL_VOICES.customer.levelDb} dB`, [
      { who: "customer", ms: 4_500 },
      { who: "agent", ms: 3_000 },
      { who: "customer", ms: 4_000 },
      { who: "agent", ms: 3_000 },
      { who: "customer", ms: 6_500, ...raised, id: "raised" },
      { who: "agent", ms: 3_000 },
    ], [during("CUSTOMER_RAISED_VOICE", "raised")]),
    echo: call(
      "a calm call where each voice leaks into the other track 26-28 dB down, 60 ms late: no tips",
      [...CALM_TURNS, ...CALM_TURNS],
      [],
      { line: ECHO_LINE },
    ),
    speakerphone: call(
      "the agent on a speakerphone: the customer's voice comes back 15 dB down: no tips",
      [...CALM_TURNS, ...CALM_TURNS],
      [],
      { line: SPEAKERPHONE_LINE },
    ),
    chatty: call(
      "backchannels both ways every two or three seconds, short answers over the last words: no tips",
      [
        { who: "customer", ms: 4_000 },
        ...backchannels("agent", 4_000, [1_500]),
        { who: "agent", ms: 9_000, gapMs: 600 },
        ...backchannels("customer", 9_000, [2_000, 4_500, 7_000]),
        { who: "customer", ms: 8_000, gapMs: 500 },
        ...backchannels("agent", 8_000, [1_800, 4_200, 6_500]),
        { who: "agent", ms: 3_000, gapMs: -400 },
        { who: "customer", ms: 7_000, gapMs: 700 },
        ...backchannels("agent", 7_000, [2_500, 5_000]),
        { who: "agent", ms: 10_000, gapMs: 500 },
        ...backchannels("customer", 10_000, [2_200, 4_800, 7_500]),
        { who: "customer", ms: 3_000, gapMs: -300 },
        { who: "agent", ms: 5_000, gapMs: 800 },
        ...backchannels("customer", 5_000, [2_500]),
      ],
    ),
    slow_agent: call(`the agent at ${c.slowWpm - 10} WPM: slow, but only just`, [
      { who: "customer", ms: 3_000 },
      { who: "agent", ms: 18_000, wpm: c.slowWpm - 10, id: "slow" },
      { who: "customer", ms: 2_500 },
    ], [during("SPEAKING_TOO_SLOW", "slow")]),
    calm_10min: {
      description:
        "ten minutes of calm talk, backchannels both ways, echo on the agent's side, office noise: no tips",
      ...longCalmCall(),
      expect: [],
      line: {
        agent: { echo: { lossDb: 30, delayMs: 80 }, noiseDb: -50 },
        customer: { noiseDb: -48 },
        seed: 3,
      },
    },
    tour: call(
      "every tip in about two minutes: slow, soft, upset customer, interruption, loud, silence, fast, " +
        "monologue, talk ratio (for demos)",
      [
        { who: "customer", ms: 3_500 },
        { who: "agent", ms: 15_000, ...slow, id: "slow" },
        { who: "customer", ms: 5_000 },
        { who: "agent", ms: 10_000, ...soft, id: "soft" },
        { who: "customer", ms: 7_000, ...raised, ...unbroken, id: "raised" },
        { who: "agent", ms: 6_000, gapMs: -3_500, ...loud, id: "talkover" },
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 5_000, id: "quiet" },
        { who: "customer", ms: 3_000, gapMs: silence, id: "resume" },
        { who: "agent", ms: 16_000, ...fast, id: "fast" },
        { who: "agent", ms: monologue - 16_000, gapMs: 400, id: "monologue" },
        ...backchannels("customer", monologue - 16_000, [6_000, 18_000]),
        { who: "customer", ms: 3_000 },
      ],
      [
        during("SPEAKING_TOO_SLOW", "slow"),
        during("SPEAKING_TOO_SOFT", "soft"),
        during("CUSTOMER_RAISED_VOICE", "raised", "talkover"),
        during("INTERRUPTING_CUSTOMER", "talkover"),
        during("SPEAKING_TOO_LOUD", "talkover"),
        { type: "TOO_MUCH_SILENCE", from: "quiet.end", to: "resume.start" },
        during("SPEAKING_TOO_FAST", "fast"),
        during("CONTINUOUS_SPEAKING", "monologue"),
        during("TALK_RATIO_HIGH", "fast", "monologue"),
      ],
    ),
  };
}

/** Every scenario, resolved for the coaching thresholds the server runs with. */
export function buildScenarios(
  coaching: CoachingConfig = defaultCoachingConfig,
): Record<ScenarioName, Scenario> {
  const table = scripts(coaching);
  const entries = SCENARIO_NAMES.map((name) => [name, resolve(name, table[name])] as const);
  return Object.fromEntries(entries) as Record<ScenarioName, Scenario>;
}

/** Whether `name` is a scenario name. */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** Places the turns on the stream clock and turns them into each party's utterances. */
function resolve(name: ScenarioName, script: ScenarioScript): Scenario {
  const resolved = resolveScript({ ...script, name }, (turn) => turn.ms);
  const utterances: Record<Party, Utterance[]> = { agent: [], customer: [] };
  for (const { turn, startMs } of resolved.placed) {
    const { who, ms, wpm, levelDb, pitchHz, pauseMs, singlePhrase } = turn;
    const voice = { ...NORMAL_VOICES[who], ...defined({ wpm, levelDb, pitchHz }) };
    utterances[who].push({ startMs, durationMs: ms, ...voice, ...defined({ pauseMs, singlePhrase }) });
  }
  return {
    name,
    description: script.description,
    durationMs: resolved.durationMs,
    agent: utterances.agent,
    customer: utterances.customer,
    expect: resolved.expect,
    tolerate: script.tolerate ?? [],
    ...(script.line ? { line: script.line } : {}),
  };
}

/** `fields` without its undefined ones. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
