/**
 * The scripted calls, in one declarative table: each is a list of two-party turns (who, length, pause
 * before it, and how the voice differs from that party's normal voice) and the tips it must produce.
 *
 * The voices that break a rule are derived from the coaching thresholds the server runs with (passed in,
 * `defaultCoachingConfig` by default), so the scripts follow a retuned server instead of copying numbers:
 * "fast" is `fastWpm + 35`, "loud" is `loudDb + 4`, the long silence is `silenceMs + 1.5 s`, and so on.
 *
 * A turn starts `gapMs` after the previous turn ends (500 ms when omitted); a negative gap starts it
 * while the previous turn is still going (an overlap). Every expected tip must arrive while its turn(s)
 * run or within {@linkcode EXPECT_SLACK_MS} after; any other tip fails the scenario unless tolerated.
 *
 * @module
 */
import { type CoachingConfig, defaultCoachingConfig } from "../core/coaching/config.ts";
import type { SuggestionType } from "../core/protocol/ui_messages.ts";
import { ECHO_LINE, type LineConditions, SPEAKERPHONE_LINE } from "./line.ts";
import { seededRandom, type Utterance } from "./synth.ts";

/** The two parties of a call. */
export type Party = "agent" | "customer";

/** How a party sounds. */
export interface Voice {
  wpm: number;
  levelDb: number;
  pitchHz: number;
}

/** One turn of the script, placed after the previous one. */
export interface Turn extends Partial<Voice> {
  who: Party;
  /** Length of the turn, ms. */
  ms: number;
  /** Pause before the turn (negative: overlap with the previous turn), ms. Default 500. */
  gapMs?: number;
  /** Range of pauses between phrases, ms (default: natural 180-450 ms). */
  pauseMs?: readonly [number, number];
  /** Offsets (ms from the turn start) of short backchannels ("mm-hmm") by the other party. */
  backchannelsAtMs?: number[];
}

/**
 * A tip the scenario must produce while turn `turn` (or turns `turn[0]`..`turn[1]`) runs, or in the pause
 * before turn `beforeTurn`.
 */
export type ExpectedTip =
  | { type: SuggestionType; turn: number | [number, number] }
  | { type: SuggestionType; beforeTurn: number };

/** One row of the table, before times are resolved. */
interface ScenarioScript {
  description: string;
  turns: Turn[];
  expect: ExpectedTip[];
  /** Tips that may appear without failing the scenario. */
  tolerate?: SuggestionType[];
  /** What the phone line adds (echo, noise, lost frames); a perfect line when absent. */
  line?: LineConditions;
}

/** A tip window in stream time. */
export interface TipWindow {
  type: SuggestionType;
  fromMs: number;
  toMs: number;
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
  tolerate: SuggestionType[];
  line?: LineConditions;
}

/** How long after its window's last turn an expected tip may still arrive (holds, throttle). */
export const EXPECT_SLACK_MS = 2_000;
/** Silence before the first turn and after the last one, ms. */
const LEAD_MS = 500;
const TAIL_MS = 1_000;
const DEFAULT_GAP_MS = 500;
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

/** A calm call: turn-taking at a normal pace and level, a customer backchannel (about 40 s). */
const CALM_TURNS: Turn[] = [
  { who: "customer", ms: 3_500 },
  { who: "agent", ms: 5_000, gapMs: 700 },
  { who: "customer", ms: 6_000, gapMs: 600 },
  { who: "agent", ms: 8_000, gapMs: 900, backchannelsAtMs: [3_000] },
  { who: "customer", ms: 2_500, gapMs: 500 },
  { who: "agent", ms: 7_000, gapMs: 800 },
  { who: "customer", ms: 4_000, gapMs: 1_200 },
  { who: "agent", ms: 4_500, gapMs: 600 },
];

/**
 * Ten and a half minutes of calm conversation from a seeded generator: turns of 2-10 s, pauses of
 * 0.3-2.2 s, each voice a little different from turn to turn (pace, level, pitch), and backchannels both
 * ways every few seconds.
 */
function longCalmTurns(): Turn[] {
  const random = seededRandom(20261211);
  const between = (low: number, high: number) => Math.round(low + (high - low) * random());
  const turns: Turn[] = [];
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
      turns.push({
        who,
        ms: length,
        gapMs,
        wpm: voice.wpm + between(-15, 10),
        levelDb: voice.levelDb + between(-2, 2),
        pitchHz: voice.pitchHz + between(-10, 10),
        backchannelsAtMs,
      });
      ms += length + gapMs;
    }
  }
  return turns;
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
    normal: {
      description: "a calm call with turn-taking at a normal pace and level: no tips",
      turns: CALM_TURNS,
      expect: [],
    },
    fast: {
      description: `the agent rushes at ${fast.wpm} WPM`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 12_000, ...fast },
        { who: "customer", ms: 2_500 },
        { who: "agent", ms: 5_000, ...fast },
      ],
      expect: [{ type: "SPEAKING_TOO_FAST", turn: 1 }],
    },
    slow: {
      description: `the agent drags at ${slow.wpm} WPM`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 20_000, ...slow },
        { who: "customer", ms: 2_500 },
      ],
      expect: [{ type: "SPEAKING_TOO_SLOW", turn: 1 }],
    },
    loud: {
      description: `the agent speaks at ${loud.levelDb} dBov (nominal ${NORMAL_VOICES.agent.levelDb})`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 8_000, ...loud },
        { who: "customer", ms: 2_000 },
      ],
      expect: [{ type: "SPEAKING_TOO_LOUD", turn: 1 }],
    },
    soft: {
      description: `the agent mumbles at ${soft.levelDb} dBov`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 10_000, ...soft },
        { who: "customer", ms: 2_000 },
      ],
      expect: [{ type: "SPEAKING_TOO_SOFT", turn: 1 }],
    },
    interrupt: {
      description: 'the customer\'s "mm-hmm"s do not count; then the agent talks over the customer',
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 8_000, backchannelsAtMs: [2_500, 5_500] },
        { who: "customer", ms: 5_500, ...unbroken },
        { who: "agent", ms: 4_000, gapMs: -overlap },
        { who: "customer", ms: 2_000 },
      ],
      expect: [{ type: "INTERRUPTING_CUSTOMER", turn: 3 }],
    },
    silence: {
      description: `nobody speaks for ${silence / 1000} s in the middle of the call`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 4_000 },
        { who: "customer", ms: 3_000, gapMs: silence },
        { who: "agent", ms: 2_500 },
      ],
      expect: [{ type: "TOO_MUCH_SILENCE", beforeTurn: 2 }],
    },
    monologue: {
      description: `the agent talks for ${monologue / 1000} s without letting the customer in`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: monologue, backchannelsAtMs: [10_000, 24_000, 37_000] },
        { who: "customer", ms: 2_500 },
      ],
      expect: [{ type: "CONTINUOUS_SPEAKING", turn: 1 }],
    },
    tense: {
      description: `the customer raises their voice by ${raised.levelDb - NORMAL_VOICES.customer.levelDb} dB`,
      turns: [
        { who: "customer", ms: 4_500 },
        { who: "agent", ms: 3_000 },
        { who: "customer", ms: 4_000 },
        { who: "agent", ms: 3_000 },
        { who: "customer", ms: 6_500, ...raised },
        { who: "agent", ms: 3_000 },
      ],
      expect: [{ type: "CUSTOMER_RAISED_VOICE", turn: 4 }],
    },
    echo: {
      description:
        "a calm call where each voice leaks into the other track 26-28 dB down, 60 ms late: no tips",
      turns: [...CALM_TURNS, ...CALM_TURNS],
      expect: [],
      line: ECHO_LINE,
    },
    speakerphone: {
      description: "the agent on a speakerphone: the customer's voice comes back 15 dB down: no tips",
      turns: [...CALM_TURNS, ...CALM_TURNS],
      expect: [],
      line: SPEAKERPHONE_LINE,
    },
    chatty: {
      description:
        "backchannels both ways every two or three seconds, short answers over the last words: no tips",
      turns: [
        { who: "customer", ms: 4_000, backchannelsAtMs: [1_500] },
        { who: "agent", ms: 9_000, gapMs: 600, backchannelsAtMs: [2_000, 4_500, 7_000] },
        { who: "customer", ms: 8_000, gapMs: 500, backchannelsAtMs: [1_800, 4_200, 6_500] },
        { who: "agent", ms: 3_000, gapMs: -400 },
        { who: "customer", ms: 7_000, gapMs: 700, backchannelsAtMs: [2_500, 5_000] },
        { who: "agent", ms: 10_000, gapMs: 500, backchannelsAtMs: [2_200, 4_800, 7_500] },
        { who: "customer", ms: 3_000, gapMs: -300 },
        { who: "agent", ms: 5_000, gapMs: 800, backchannelsAtMs: [2_500] },
      ],
      expect: [],
    },
    slow_agent: {
      description: `the agent at ${c.slowWpm - 10} WPM: slow, but only just`,
      turns: [
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 18_000, wpm: c.slowWpm - 10 },
        { who: "customer", ms: 2_500 },
      ],
      expect: [{ type: "SPEAKING_TOO_SLOW", turn: 1 }],
    },
    calm_10min: {
      description:
        "ten minutes of calm talk, backchannels both ways, echo on the agent's side, office noise: no tips",
      turns: longCalmTurns(),
      expect: [],
      line: {
        agent: { echo: { lossDb: 30, delayMs: 80 }, noiseDb: -50 },
        customer: { noiseDb: -48 },
        seed: 3,
      },
    },
    tour: {
      description: "every tip in about two minutes: slow, soft, upset customer, interruption, loud, " +
        "silence, fast, monologue, talk ratio (for demos)",
      turns: [
        { who: "customer", ms: 3_500 },
        { who: "agent", ms: 15_000, ...slow },
        { who: "customer", ms: 5_000 },
        { who: "agent", ms: 10_000, ...soft },
        { who: "customer", ms: 7_000, ...raised, ...unbroken },
        { who: "agent", ms: 6_000, gapMs: -3_500, ...loud },
        { who: "customer", ms: 3_000 },
        { who: "agent", ms: 5_000 },
        { who: "customer", ms: 3_000, gapMs: silence },
        { who: "agent", ms: 16_000, ...fast },
        { who: "agent", ms: monologue - 16_000, gapMs: 400, backchannelsAtMs: [6_000, 18_000] },
        { who: "customer", ms: 3_000 },
      ],
      expect: [
        { type: "SPEAKING_TOO_SLOW", turn: 1 },
        { type: "SPEAKING_TOO_SOFT", turn: 3 },
        { type: "CUSTOMER_RAISED_VOICE", turn: [4, 5] },
        { type: "INTERRUPTING_CUSTOMER", turn: 5 },
        { type: "SPEAKING_TOO_LOUD", turn: 5 },
        { type: "TOO_MUCH_SILENCE", beforeTurn: 8 },
        { type: "SPEAKING_TOO_FAST", turn: 9 },
        { type: "CONTINUOUS_SPEAKING", turn: 10 },
        { type: "TALK_RATIO_HIGH", turn: [9, 10] },
      ],
    },
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

/** Places the turns on the stream clock and turns them into utterances and tip windows. */
function resolve(name: ScenarioName, script: ScenarioScript): Scenario {
  const utterances: Record<Party, Utterance[]> = { agent: [], customer: [] };
  const spans: { startMs: number; endMs: number }[] = [];
  let cursor = LEAD_MS - DEFAULT_GAP_MS;
  for (const turn of script.turns) {
    const startMs = Math.max(0, cursor + (turn.gapMs ?? DEFAULT_GAP_MS));
    const voice = { ...NORMAL_VOICES[turn.who], ...definedVoice(turn) };
    const pauses = turn.pauseMs ? { pauseMs: turn.pauseMs } : {};
    utterances[turn.who].push({ startMs, durationMs: turn.ms, ...voice, ...pauses });
    const other: Party = turn.who === "agent" ? "customer" : "agent";
    for (const offset of turn.backchannelsAtMs ?? []) {
      utterances[other].push({
        startMs: startMs + offset,
        durationMs: BACKCHANNEL_MS,
        ...NORMAL_VOICES[other],
        wpm: 170,
        singlePhrase: true,
      });
    }
    spans.push({ startMs, endMs: startMs + turn.ms });
    cursor = startMs + turn.ms;
  }
  const durationMs = Math.max(...spans.map((s) => s.endMs)) + TAIL_MS;
  const span = (index: number, type: SuggestionType) => {
    if (!spans[index]) throw new Error(`scenario ${name}: no turn ${index} for ${type}`);
    return spans[index];
  };
  const expect = script.expect.map((tip): TipWindow => {
    if ("beforeTurn" in tip) {
      const fromMs = tip.beforeTurn > 0 ? span(tip.beforeTurn - 1, tip.type).endMs : 0;
      return { type: tip.type, fromMs, toMs: span(tip.beforeTurn, tip.type).startMs + EXPECT_SLACK_MS };
    }
    const [first, last] = typeof tip.turn === "number" ? [tip.turn, tip.turn] : tip.turn;
    return {
      type: tip.type,
      fromMs: span(first, tip.type).startMs,
      toMs: span(last, tip.type).endMs + EXPECT_SLACK_MS,
    };
  });
  return {
    name,
    description: script.description,
    durationMs,
    agent: utterances.agent,
    customer: utterances.customer,
    expect,
    tolerate: script.tolerate ?? [],
    ...(script.line ? { line: script.line } : {}),
  };
}

function definedVoice(turn: Turn): Partial<Voice> {
  const voice: Partial<Voice> = {};
  if (turn.wpm !== undefined) voice.wpm = turn.wpm;
  if (turn.levelDb !== undefined) voice.levelDb = turn.levelDb;
  if (turn.pitchHz !== undefined) voice.pitchHz = turn.pitchHz;
  return voice;
}
