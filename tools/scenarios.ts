/**
 * The scripted two-party calls that `accuracy_scenarios.ts` plays through the real analysis pipeline,
 * in the format of `simulator/script.ts`: recorded fixture clips, each expected tip inside its window and
 * no other tip.
 *
 * About pace: the analyzer reports words per minute of turn time (speech plus the pauses inside the turn),
 * the rate the thresholds are stated in. espeak-ng's "165" agent sentences have few pauses inside them and
 * are about 190-210 WPM that way (labels' `trueWpm`): a brisk reader, above the 160 WPM "too fast"
 * default. So the agent turns are played at a chosen true rate, `wpm`, by time-stretching each clip with
 * WSOLA (pitch kept) by its labelled rate over the wanted one: 140 WPM for an unremarkable agent (the
 * simulator's normal voice), `fastWpm + 35` for "fast" (only a 3-6 % stretch: the sentences as espeak
 * reads them) and `slowWpm - 25` for "slow", as the simulator's scripts do.
 *
 * @module
 */
import { SLOT_MS } from "../core/audio/types.ts";
import { defaultCoachingConfig as config } from "../core/coaching/config.ts";
import type { SuggestionType } from "../core/coaching/types.ts";
import { ECHO_LINE, type LineConditions, SPEAKERPHONE_LINE } from "../simulator/line.ts";
import { NORMAL_VOICES } from "../simulator/scenarios.ts";
import type { Clip, ExpectedTip, Script, TurnPoint } from "../simulator/script.ts";
import { seededRandom } from "../simulator/synth.ts";

/** A scripted call of recorded clips, and its name in the report. */
export interface Scenario extends Script<Clip> {
  name: string;
}

/** A clip and how it is cut, without its placement. */
type ClipSpec = Pick<Clip, "clip" | "segments">;

/** An unremarkable agent's pace, WPM of turn time: the simulator's normal agent voice. */
const CALM_WPM = NORMAL_VOICES.agent.wpm;
const FAST_WPM = config.fastWpm + 35;
const SLOW_WPM = config.slowWpm - 25;

/** An agent turn, at a calm pace unless `wpm` or `stretch` says otherwise. */
function agent(clip: string, more: Omit<Clip, "who" | "clip"> = {}): Clip {
  const pace = more.stretch === undefined && more.wpm === undefined ? { wpm: CALM_WPM } : {};
  return { who: "agent", clip, ...pace, ...more };
}

/** A customer turn, as recorded. */
function customer(clip: string, more: Omit<Clip, "who" | "clip"> = {}): Clip {
  return { who: "customer", clip, ...more };
}

/**
 * A tip expected once the rule's hold has passed since `from`, up to `to`. The window opens two slots
 * early: a tip is stamped with the start of the slot its hold completes in, and clips are not slot-aligned.
 */
function expect(type: SuggestionType, from: TurnPoint, to: TurnPoint, holdMs: number): ExpectedTip {
  return { type, from, afterMs: holdMs - 2 * SLOT_MS, to };
}

/** A scenario with the usual second of lead, a gap of 0.7 s between turns and 1.5 s of tail. */
function scenario(name: string, turns: Clip[], expect: ExpectedTip[], more?: Partial<Scenario>): Scenario {
  return { name, turns, expect, leadMs: 1_000, gapMs: 700, tailMs: 1_500, ...more };
}

/** An unremarkable call: turn-taking at a calm pace, customer backchannels, no tips. */
const CALM_TURNS: Clip[] = [
  agent("agent_greeting"),
  customer("customer_problem"),
  agent("agent_verify"),
  customer("backchannel_mmhmm", { overMs: 3_000 }),
  customer("customer_name"),
  agent("agent_explain"),
  customer("backchannel_okay", { overMs: 4_000 }),
  customer("backchannel_right", { overMs: 9_000 }),
  customer("rate160_en-gb_m3", { segments: [0, 2] }),
  agent("rate100_en-us", { segments: [0, 1], stretch: 1 }),
  customer("rate180_en-us_f2", { segments: [0, 1] }),
  agent("agent_verify"),
  customer("customer_complaint", { gapMs: 900 }),
  agent("agent_closing"),
  customer("customer_thanks"),
  customer("rate160_en-gb_m3", { segments: [3, 4], gapMs: 400 }),
  agent("agent_greeting", { gapMs: 1_000 }),
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
function longCalmTurns(): Clip[] {
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
  const turns: Clip[] = [];
  while (turns.filter((s) => s.overMs === undefined).length < 110) {
    const gap = random() < 0.15 ? 1_500 + Math.round(random() * 900) : 300 + Math.round(random() * 900);
    // The first turn starts at the lead: its gap is drawn all the same, which keeps the call as it was.
    const gapMs = turns.length === 0 ? undefined : gap;
    turns.push(agent(pick(agentClips), { wpm: 125 + Math.round(random() * 25), gapMs }));
    turns.push(customer(pick(CUSTOMER_BACKCHANNELS), { overMs: 2_000 + Math.round(random() * 1_500) }));
    const said = pick(customerClips);
    turns.push(customer(said.clip, { segments: said.segments, gapMs: 300 + Math.round(random() * 900) }));
    if (random() < 0.6) {
      // The customer goes on after a breath: their turns are as long as the agent's.
      const more = pick(customerClips);
      turns.push(customer(more.clip, { segments: more.segments, gapMs: 250 + Math.round(random() * 350) }));
    }
    if (random() < 0.7) {
      turns.push(agent(pick(AGENT_BACKCHANNELS), { overMs: 1_000 + Math.round(random() * 600), stretch: 1 }));
    }
  }
  return turns;
}

/** The scenarios, each expecting exactly the listed tips (calm: none). */
export const SCENARIOS: readonly Scenario[] = [
  scenario("calm", CALM_TURNS, [], { leadMs: 1_500 }),
  scenario("fast", [
    customer("customer_problem"),
    agent("agent_explain", { wpm: FAST_WPM, id: "fast" }),
    agent("agent_verify", { wpm: FAST_WPM, gapMs: 400, id: "fast2" }),
    customer("customer_name"),
  ], [expect("SPEAKING_TOO_FAST", "fast.start", "fast2.end", config.fastHoldMs)]),
  scenario("slow", [
    customer("customer_problem"),
    agent("rate100_en-us", { wpm: SLOW_WPM, id: "slow" }),
    customer("customer_thanks"),
  ], [expect("SPEAKING_TOO_SLOW", "slow.start", "slow.end", config.slowHoldMs)]),
  scenario("loud", [
    customer("customer_problem"),
    agent("agent_verify", { gainDb: 13, id: "loud" }),
    customer("customer_name"),
    agent("agent_explain", { gainDb: 13, id: "loud2" }),
  ], [expect("SPEAKING_TOO_LOUD", "loud.start", "loud2.end", config.loudHoldMs)]),
  scenario("soft", [
    customer("customer_problem"),
    agent("agent_verify", { gainDb: -16, id: "soft" }),
    customer("customer_name"),
    agent("agent_explain", { gainDb: -16, id: "soft2" }),
  ], [expect("SPEAKING_TOO_SOFT", "soft.start", "soft2.end", config.softHoldMs)]),
  scenario("interrupt", [
    agent("agent_greeting"),
    customer("backchannel_mmhmm", { overMs: 2_500 }),
    customer("backchannel_yeah", { overMs: 4_800 }),
    customer("customer_problem"),
    // The agent's own short backchannels during the customer's turn are not interruptions.
    agent("backchannel_yeah", { overMs: 1_200, stretch: 1 }),
    agent("backchannel_right", { overMs: 2_800, stretch: 1 }),
    agent("agent_verify", { gapMs: 600 }),
    customer("customer_complaint", { gapMs: 500, id: "complaint" }),
    // The agent talks over the customer from 2.5 s into the complaint.
    agent("agent_explain", { overMs: 2_500, id: "talkover" }),
    customer("customer_name"),
    agent("agent_closing"),
  ], [expect("INTERRUPTING_CUSTOMER", "talkover.start", "complaint.end", config.interruptOverlapMs)]),
  scenario("silence", [
    agent("agent_greeting"),
    customer("customer_problem"),
    agent("agent_verify"),
    customer("customer_name", { id: "name" }),
    agent("agent_explain", { gapMs: 5_000, id: "resume" }),
    customer("customer_thanks"),
  ], [
    // The clip's own trailing silence (under 0.5 s) is part of the turn, hence the 500 ms.
    expect("TOO_MUCH_SILENCE", "name.end", "resume.start", config.silenceMs - 500),
  ], {
    // 4 s after the call connects before anyone speaks: not "too much silence".
    leadMs: 4_000,
  }),
  scenario("monologue", [
    customer("customer_problem"),
    agent("agent_explain", { id: "mono" }),
    customer("backchannel_mmhmm", { overMs: 5_000 }),
    agent("agent_verify", { gapMs: 500 }),
    customer("backchannel_okay", { overMs: 3_000 }),
    agent("agent_greeting", { gapMs: 500 }),
    agent("agent_closing", { gapMs: 500 }),
    customer("backchannel_right", { overMs: 2_000 }),
    agent("agent_explain", { gapMs: 500 }),
    customer("backchannel_uhhuh", { overMs: 6_000 }),
    agent("rate100_en-us", { segments: [0, 1], stretch: 1, gapMs: 500, id: "mono_last" }),
  ], [expect("CONTINUOUS_SPEAKING", "mono.start", "mono_last.end", config.monologueMs)]),
  scenario("tense", [
    agent("agent_greeting"),
    customer("customer_problem"),
    agent("agent_verify"),
    customer("customer_name"),
    customer("customer_thanks", { gapMs: 400 }),
    agent("agent_explain"),
    customer("customer_complaint", { gainDb: 10, id: "raised" }),
    customer("customer_problem", { gainDb: 10, gapMs: 400, id: "raised2" }),
    agent("agent_closing"),
  ], [expect("CUSTOMER_RAISED_VOICE", "raised.start", "raised2.end", config.raisedHoldMs)]),
  scenario("talk_ratio", [
    agent("agent_explain", { id: "first" }),
    agent("agent_verify", { gapMs: 500 }),
    customer("customer_name"),
    agent("agent_greeting"),
    agent("agent_explain", { gapMs: 500 }),
    customer("customer_thanks"),
    agent("agent_closing"),
    agent("agent_verify", { gapMs: 500 }),
    agent("rate100_en-us", { segments: [0, 1], stretch: 1, gapMs: 500 }),
    customer("customer_name"),
    agent("agent_explain"),
    agent("agent_greeting", { gapMs: 500 }),
    customer("customer_thanks", { id: "last" }),
  ], [
    expect("TALK_RATIO_HIGH", "first.start", "last.end", config.talkRatioMinCallMs + config.talkRatioHoldMs),
  ]),
  scenario("echo", CALM_TURNS, [], { leadMs: 1_500, line: ECHO_LINE }),
  scenario("speakerphone", CALM_TURNS, [], { leadMs: 1_500, line: SPEAKERPHONE_LINE }),
  // Backchannels both ways every two or three seconds, and once a short answer over the other's last words.
  scenario("chatty", [
    agent("agent_greeting"),
    customer("backchannel_mmhmm", { overMs: 2_200 }),
    customer("customer_problem", { gapMs: 500 }),
    agent("backchannel_agent_mmhmm", { overMs: 1_200, stretch: 1 }),
    agent("backchannel_agent_right", { overMs: 3_400, stretch: 1 }),
    agent("agent_explain", { gapMs: 600 }),
    customer("backchannel_okay", { overMs: 2_000 }),
    customer("backchannel_uhhuh", { overMs: 4_500 }),
    customer("backchannel_right", { overMs: 7_500 }),
    customer("backchannel_yeah", { overMs: 10_200 }),
    customer("customer_complaint", { gapMs: 500 }),
    agent("backchannel_agent_isee", { overMs: 1_500, stretch: 1 }),
    agent("backchannel_agent_mmhmm", { overMs: 3_600, stretch: 1 }),
    agent("backchannel_agent_okay", { overMs: 5_400, stretch: 1 }),
    agent("agent_verify", { gapMs: 400 }),
    customer("backchannel_mmhmm", { overMs: 2_500 }),
    customer("backchannel_okay", { overMs: 5_000 }),
    customer("customer_name", { gapMs: 500 }),
    agent("backchannel_agent_right", { overMs: 1_000, stretch: 1 }),
    agent("agent_closing", { gapMs: 500 }),
    customer("backchannel_right", { overMs: 2_000 }),
    customer("customer_thanks", { gapMs: 400 }),
    agent("backchannel_agent_okay", { overMs: 1_500, stretch: 1 }),
    agent("agent_greeting", { gapMs: 700 }),
    customer("backchannel_uhhuh", { overMs: 3_000 }),
  ], []),
  // Truly 100 WPM, only 10 under the threshold: a slow reading of the agents' voice (gaps between words),
  // barely sped up, rather than a normal one slowed to half its pace.
  scenario("slow_agent", [
    customer("customer_problem"),
    agent("rate80_en-us_g2", { wpm: 100, id: "slow" }),
    customer("customer_thanks"),
  ], [expect("SPEAKING_TOO_SLOW", "slow.start", "slow.end", config.slowHoldMs)]),
  // Truly 180 WPM: brisk, 20 over the threshold.
  scenario("brisk_agent", [
    customer("customer_problem"),
    agent("agent_explain", { wpm: 180, id: "brisk" }),
    agent("agent_verify", { wpm: 180, gapMs: 400, id: "brisk2" }),
    customer("customer_thanks"),
  ], [expect("SPEAKING_TOO_FAST", "brisk.start", "brisk2.end", config.fastHoldMs)]),
  scenario("calm_10min", longCalmTurns(), [], {
    leadMs: 1_500,
    line: { agent: { echo: { lossDb: 30, delayMs: 80 }, noiseDb: -50 }, customer: { noiseDb: -48 }, seed: 3 },
  }),
];
