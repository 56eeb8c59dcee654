/**
 * The scripted two-party calls that `accuracy_scenarios.ts` plays through the real analysis pipeline.
 *
 * Each scenario is a list of steps on a shared cursor: a step starts `after` ms past the end of everything
 * placed so far (default 700 ms), or, with `over`, that many ms after the start of the previous main step,
 * on top of it (backchannels, talking over someone). Each expected tip must fire inside its window, given
 * by the start or end of named steps; any other tip, or one outside its window, fails the scenario.
 *
 * About pace: the analyzer reports words per minute of turn time (speech plus the pauses inside the turn),
 * the rate the thresholds are stated in. espeak-ng's "165" agent sentences have few pauses inside them and
 * are about 190-210 WPM that way (labels' `trueWpm`): a brisk reader, above the 160 WPM "too fast"
 * default. So the agent steps are played at a chosen true rate, `wpm`, by time-stretching each clip with
 * WSOLA (pitch kept) by its labelled rate over the wanted one: 140 WPM for an unremarkable agent (the
 * simulator's normal voice), `fastWpm + 35` for "fast" (only a 3-6 % stretch: the sentences as espeak
 * reads them) and `slowWpm - 25` for "slow", as the simulator's scripts do.
 *
 * @module
 */
import { defaultCoachingConfig as config } from "../core/coaching/config.ts";
import type { SuggestionType } from "../core/protocol/ui_messages.ts";
import { ECHO_LINE, type LineConditions, SPEAKERPHONE_LINE } from "../simulator/line.ts";
import type { Party } from "../simulator/scenarios.ts";
import { seededRandom } from "../simulator/synth.ts";

/** Which fixture audio a step plays, and how it is altered. */
export interface ClipSpec {
  clip: string;
  /** Only speech segments [first, last] (indices into the label's speechSegmentsMs). */
  segments?: [number, number];
  /** Slow down by this factor (WSOLA, pitch kept). */
  stretch?: number;
  /**
   * Instead of `stretch`: play a whole clip at this true speaking rate (WPM of turn time), i.e. stretch it
   * by its labelled `trueWpm` over this rate.
   */
  wpm?: number;
  gainDb?: number;
}

/** One placement of a clip on one party's track. */
export interface Step extends ClipSpec {
  party: Party;
  /** Name to refer to the step from an expected tip's window. */
  id?: string;
  /** Gap after the end of everything placed so far (ms). */
  after?: number;
  /** Instead: start this many ms after the start of the previous main step, on top of it. */
  over?: number;
}

/** A point in a scenario: the start or end of the step with that id, e.g. "talkover.start". */
export type StepPoint = `${string}.${"start" | "end"}`;

/**
 * A tip the scenario must produce between `from` + `afterMs` (its hold cannot have passed before) and
 * `to` + `EXPECT_SLACK_MS` (the simulator's scenarios allow the same).
 */
export interface ExpectedTip {
  type: SuggestionType;
  from: StepPoint;
  afterMs?: number;
  to: StepPoint;
}

/** A scripted call and the tips it should (and only should) produce, each inside its window. */
export interface Scenario {
  name: string;
  expected: ExpectedTip[];
  /** Silence before the first step (the call has connected, nobody has spoken yet). */
  leadMs: number;
  /** Silence after the last step. */
  tailMs: number;
  steps: Step[];
  /** What the phone line adds (echo, noise, lost frames); a perfect line when absent. */
  line?: LineConditions;
}

/** An unremarkable agent's pace, WPM of turn time: the simulator's normal agent voice. */
const CALM_WPM = 140;
const FAST_WPM = config.fastWpm + 35;
const SLOW_WPM = config.slowWpm - 25;

/** An agent step, at a calm pace unless `wpm` or `stretch` says otherwise. */
function agent(clip: string, more: Omit<Step, "party" | "clip"> = {}): Step {
  const pace = more.stretch === undefined && more.wpm === undefined ? { wpm: CALM_WPM } : {};
  return { party: "agent", clip, ...pace, ...more };
}

/** A customer step, as recorded. */
function customer(clip: string, more: Omit<Step, "party" | "clip"> = {}): Step {
  return { party: "customer", clip, ...more };
}

/** An unremarkable call: turn-taking at a calm pace, customer backchannels, no tips. */
const CALM_STEPS: Step[] = [
  agent("agent_greeting"),
  customer("customer_problem"),
  agent("agent_verify"),
  customer("backchannel_mmhmm", { over: 3_000 }),
  customer("customer_name"),
  agent("agent_explain"),
  customer("backchannel_okay", { over: 4_000 }),
  customer("backchannel_right", { over: 9_000 }),
  customer("rate160_en-gb_m3", { segments: [0, 2] }),
  agent("rate100_en-us", { segments: [0, 1], stretch: 1 }),
  customer("rate180_en-us_f2", { segments: [0, 1] }),
  agent("agent_verify"),
  customer("customer_complaint", { after: 900 }),
  agent("agent_closing"),
  customer("customer_thanks"),
  customer("rate160_en-gb_m3", { segments: [3, 4], after: 400 }),
  agent("agent_greeting", { after: 1_000 }),
];

/**
 * The lines every scenario is also played through in the report (`accuracy_scenarios.ts`): what held up
 * on real lines must keep holding, and echo must change nothing.
 */
export const LINES: Readonly<Record<string, LineConditions>> = {
  "echo 26-28 dB": ECHO_LINE,
  "speakerphone 15 dB": SPEAKERPHONE_LINE,
  "office noise, echo 20-30 dB": {
    agent: { echo: { lossDb: 20, delayMs: 40 }, noiseDb: -48 },
    customer: { echo: { lossDb: 30, delayMs: 250 }, noiseDb: -44 },
  },
  "5 % lost frames": { agent: { lossShare: 0.05 }, customer: { lossShare: 0.05 }, seed: 7 },
};

const AGENT_BACKCHANNELS = ["backchannel_agent_mmhmm", "backchannel_agent_right", "backchannel_agent_okay"];
const CUSTOMER_BACKCHANNELS = [
  "backchannel_mmhmm",
  "backchannel_okay",
  "backchannel_right",
  "backchannel_uhhuh",
];

/**
 * Ten and a half minutes of calm conversation, composed with a seeded generator: the agent's turns at
 * 125-150 WPM, the customer's in their own voice and in three other voices (a partner who takes the phone
 * now and then), pauses of 0.3-2.4 s between turns, backchannels both ways every few seconds; each party
 * talks about half the time.
 */
function longCalmSteps(): Step[] {
  const random = seededRandom(20261210);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const agentClips = ["agent_greeting", "agent_verify", "agent_explain", "agent_closing", "rate100_en-us"];
  const customerClips: ClipSpec[] = [
    { clip: "customer_problem" },
    { clip: "customer_name" },
    { clip: "customer_thanks" },
    { clip: "customer_complaint" },
    { clip: "rate160_en-gb_m3", segments: [0, 1] },
    { clip: "rate180_en-us_f2", segments: [2, 3] },
    { clip: "rate120_en-gb", segments: [0, 1] },
  ];
  const steps: Step[] = [];
  while (steps.filter((s) => s.over === undefined).length < 110) {
    const after = random() < 0.15 ? 1_500 + Math.round(random() * 900) : 300 + Math.round(random() * 900);
    steps.push(agent(pick(agentClips), { wpm: 125 + Math.round(random() * 25), after }));
    steps.push(customer(pick(CUSTOMER_BACKCHANNELS), { over: 2_000 + Math.round(random() * 1_500) }));
    const said = pick(customerClips);
    steps.push(customer(said.clip, { segments: said.segments, after: 300 + Math.round(random() * 900) }));
    if (random() < 0.6) {
      // The customer goes on after a breath: their turns are as long as the agent's.
      const more = pick(customerClips);
      steps.push(customer(more.clip, { segments: more.segments, after: 250 + Math.round(random() * 350) }));
    }
    if (random() < 0.7) {
      steps.push(agent(pick(AGENT_BACKCHANNELS), { over: 1_000 + Math.round(random() * 600), stretch: 1 }));
    }
  }
  return steps;
}

/** The scenarios, each expecting exactly the listed tips (calm: none). */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "calm",
    expected: [],
    leadMs: 1_500,
    tailMs: 1_500,
    steps: CALM_STEPS,
  },
  {
    name: "fast",
    expected: [{
      type: "SPEAKING_TOO_FAST",
      from: "fast.start",
      afterMs: config.fastHoldMs,
      to: "fast2.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      customer("customer_problem"),
      agent("agent_explain", { wpm: FAST_WPM, id: "fast" }),
      agent("agent_verify", { wpm: FAST_WPM, after: 400, id: "fast2" }),
      customer("customer_name"),
    ],
  },
  {
    name: "slow",
    expected: [{ type: "SPEAKING_TOO_SLOW", from: "slow.start", afterMs: config.slowHoldMs, to: "slow.end" }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      customer("customer_problem"),
      agent("rate100_en-us", { wpm: SLOW_WPM, id: "slow" }),
      customer("customer_thanks"),
    ],
  },
  {
    name: "loud",
    expected: [{
      type: "SPEAKING_TOO_LOUD",
      from: "loud.start",
      afterMs: config.loudHoldMs,
      to: "loud2.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      customer("customer_problem"),
      agent("agent_verify", { gainDb: 13, id: "loud" }),
      customer("customer_name"),
      agent("agent_explain", { gainDb: 13, id: "loud2" }),
    ],
  },
  {
    name: "soft",
    expected: [{
      type: "SPEAKING_TOO_SOFT",
      from: "soft.start",
      afterMs: config.softHoldMs,
      to: "soft2.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      customer("customer_problem"),
      agent("agent_verify", { gainDb: -16, id: "soft" }),
      customer("customer_name"),
      agent("agent_explain", { gainDb: -16, id: "soft2" }),
    ],
  },
  {
    name: "interrupt",
    expected: [{
      type: "INTERRUPTING_CUSTOMER",
      from: "talkover.start",
      afterMs: config.interruptOverlapMs,
      to: "complaint.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      agent("agent_greeting"),
      customer("backchannel_mmhmm", { over: 2_500 }),
      customer("backchannel_yeah", { over: 4_800 }),
      customer("customer_problem"),
      // The agent's own short backchannels during the customer's turn are not interruptions.
      agent("backchannel_yeah", { over: 1_200, stretch: 1 }),
      agent("backchannel_right", { over: 2_800, stretch: 1 }),
      agent("agent_verify", { after: 600 }),
      customer("customer_complaint", { after: 500, id: "complaint" }),
      // The agent talks over the customer from 2.5 s into the complaint.
      agent("agent_explain", { over: 2_500, id: "talkover" }),
      customer("customer_name"),
      agent("agent_closing"),
    ],
  },
  {
    name: "silence",
    // The clip's own trailing silence (under 0.5 s) is part of the step, hence the 500 ms.
    expected: [{
      type: "TOO_MUCH_SILENCE",
      from: "name.end",
      afterMs: config.silenceMs - 500,
      to: "resume.start",
    }],
    // 4 s after the call connects before anyone speaks: not "too much silence".
    leadMs: 4_000,
    tailMs: 1_500,
    steps: [
      agent("agent_greeting"),
      customer("customer_problem"),
      agent("agent_verify"),
      customer("customer_name", { id: "name" }),
      agent("agent_explain", { after: 5_000, id: "resume" }),
      customer("customer_thanks"),
    ],
  },
  {
    name: "monologue",
    expected: [{
      type: "CONTINUOUS_SPEAKING",
      from: "mono.start",
      afterMs: config.monologueMs,
      to: "mono_last.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      customer("customer_problem"),
      agent("agent_explain", { id: "mono" }),
      customer("backchannel_mmhmm", { over: 5_000 }),
      agent("agent_verify", { after: 500 }),
      customer("backchannel_okay", { over: 3_000 }),
      agent("agent_greeting", { after: 500 }),
      agent("agent_closing", { after: 500 }),
      customer("backchannel_right", { over: 2_000 }),
      agent("agent_explain", { after: 500 }),
      customer("backchannel_uhhuh", { over: 6_000 }),
      agent("rate100_en-us", { segments: [0, 1], stretch: 1, after: 500, id: "mono_last" }),
    ],
  },
  {
    name: "tense",
    expected: [{
      type: "CUSTOMER_RAISED_VOICE",
      from: "raised.start",
      afterMs: config.raisedHoldMs,
      to: "raised2.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      agent("agent_greeting"),
      customer("customer_problem"),
      agent("agent_verify"),
      customer("customer_name"),
      customer("customer_thanks", { after: 400 }),
      agent("agent_explain"),
      customer("customer_complaint", { gainDb: 10, id: "raised" }),
      customer("customer_problem", { gainDb: 10, after: 400, id: "raised2" }),
      agent("agent_closing"),
    ],
  },
  {
    name: "talk_ratio",
    expected: [{
      type: "TALK_RATIO_HIGH",
      from: "first.start",
      afterMs: config.talkRatioMinCallMs + config.talkRatioHoldMs,
      to: "last.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    steps: [
      agent("agent_explain", { id: "first" }),
      agent("agent_verify", { after: 500 }),
      customer("customer_name"),
      agent("agent_greeting"),
      agent("agent_explain", { after: 500 }),
      customer("customer_thanks"),
      agent("agent_closing"),
      agent("agent_verify", { after: 500 }),
      agent("rate100_en-us", { segments: [0, 1], stretch: 1, after: 500 }),
      customer("customer_name"),
      agent("agent_explain"),
      agent("agent_greeting", { after: 500 }),
      customer("customer_thanks", { id: "last" }),
    ],
  },
  {
    name: "echo",
    expected: [],
    leadMs: 1_500,
    tailMs: 1_500,
    steps: CALM_STEPS,
    line: ECHO_LINE,
  },
  {
    name: "speakerphone",
    expected: [],
    leadMs: 1_500,
    tailMs: 1_500,
    steps: CALM_STEPS,
    line: SPEAKERPHONE_LINE,
  },
  {
    name: "chatty",
    expected: [],
    leadMs: 1_000,
    tailMs: 1_500,
    // Backchannels both ways every two or three seconds, and once a short answer over the other's last words.
    steps: [
      agent("agent_greeting"),
      customer("backchannel_mmhmm", { over: 2_200 }),
      customer("customer_problem", { after: 500 }),
      agent("backchannel_agent_mmhmm", { over: 1_200, stretch: 1 }),
      agent("backchannel_agent_right", { over: 3_400, stretch: 1 }),
      agent("agent_explain", { after: 600 }),
      customer("backchannel_okay", { over: 2_000 }),
      customer("backchannel_uhhuh", { over: 4_500 }),
      customer("backchannel_right", { over: 7_500 }),
      customer("backchannel_yeah", { over: 10_200 }),
      customer("customer_complaint", { after: 500 }),
      agent("backchannel_agent_isee", { over: 1_500, stretch: 1 }),
      agent("backchannel_agent_mmhmm", { over: 3_600, stretch: 1 }),
      agent("backchannel_agent_okay", { over: 5_400, stretch: 1 }),
      agent("agent_verify", { after: 400 }),
      customer("backchannel_mmhmm", { over: 2_500 }),
      customer("backchannel_okay", { over: 5_000 }),
      customer("customer_name", { after: 500 }),
      agent("backchannel_agent_right", { over: 1_000, stretch: 1 }),
      agent("agent_closing", { after: 500 }),
      customer("backchannel_right", { over: 2_000 }),
      customer("customer_thanks", { after: 400 }),
      agent("backchannel_agent_okay", { over: 1_500, stretch: 1 }),
      agent("agent_greeting", { after: 700 }),
      customer("backchannel_uhhuh", { over: 3_000 }),
    ],
  },
  {
    name: "slow_agent",
    expected: [{ type: "SPEAKING_TOO_SLOW", from: "slow.start", afterMs: config.slowHoldMs, to: "slow.end" }],
    leadMs: 1_000,
    tailMs: 1_500,
    // Truly 100 WPM, only 10 under the threshold: a slow reading of the agents' voice (gaps between words),
    // barely sped up, rather than a normal one slowed to half its pace.
    steps: [
      customer("customer_problem"),
      agent("rate80_en-us_g2", { wpm: 100, id: "slow" }),
      customer("customer_thanks"),
    ],
  },
  {
    name: "brisk_agent",
    expected: [{
      type: "SPEAKING_TOO_FAST",
      from: "brisk.start",
      afterMs: config.fastHoldMs,
      to: "brisk2.end",
    }],
    leadMs: 1_000,
    tailMs: 1_500,
    // Truly 180 WPM: brisk, 20 over the threshold.
    steps: [
      customer("customer_problem"),
      agent("agent_explain", { wpm: 180, id: "brisk" }),
      agent("agent_verify", { wpm: 180, after: 400, id: "brisk2" }),
      customer("customer_thanks"),
    ],
  },
  {
    name: "calm_10min",
    expected: [],
    leadMs: 1_500,
    tailMs: 1_500,
    steps: longCalmSteps(),
    line: { agent: { echo: { lossDb: 30, delayMs: 80 }, noiseDb: -50 }, customer: { noiseDb: -48 }, seed: 3 },
  },
];
