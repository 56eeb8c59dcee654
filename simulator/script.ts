/**
 * The one format of a scripted two-party call, shared by the simulator's synthesised calls
 * (`scenarios.ts`) and the accuracy report's recorded ones (`tools/scenarios.ts`), and its resolver.
 *
 * A script is a list of turns. The first starts at `leadMs`; each later one either `gapMs` after the end of
 * everything placed so far (negative: before it ends, talking over it), or, with `overMs`, that long after
 * the start of the previous turn placed without `overMs`, on top of it (a backchannel, a talk-over). A
 * turn is {@linkcode Speech} for the synthesiser or a {@linkcode Clip} of recorded speech.
 *
 * Each expected tip has a window between two named turns' starts or ends ({@linkcode ExpectedTip}).
 *
 * @module
 */
import type { SuggestionType } from "../core/coaching/types.ts";
import type { LineConditions } from "./line.ts";

/** The two parties of a call. */
export type Party = "agent" | "customer";

/** Where a turn goes and who speaks it. */
interface Placement {
  who: Party;
  /** Names the turn's points for the expected tips: `<id>.start` and `<id>.end`. */
  id?: string;
  /** Start after the end of everything placed so far, ms (negative: overlap). Default: the script's. */
  gapMs?: number;
  /** Instead: start this long after the start of the previous turn placed without `overMs`, ms. */
  overMs?: number;
}

/** Synthesised speech in the party's normal voice, except what is given. */
export interface Speech extends Placement {
  /** Length, ms. */
  ms: number;
  /** Speaking rate, WPM of turn time. */
  wpm?: number;
  /** Active speech level, dBov. */
  levelDb?: number;
  pitchHz?: number;
  /** Range of the pauses between phrases, ms (default: natural 180-450 ms). */
  pauseMs?: readonly [number, number];
  /** One phrase without pauses, e.g. a backchannel "mm-hmm". */
  singlePhrase?: boolean;
}

/** A recorded fixture clip (tests/fixtures/speech/labels.json), as recorded unless altered. */
export interface Clip extends Placement {
  clip: string;
  /** Only speech segments [first, last] (indices into the label's speechSegmentsMs). */
  segments?: [number, number];
  /** Slow down by this factor (WSOLA, pitch kept). */
  stretch?: number;
  /** Instead of `stretch`: play the whole clip at this true speaking rate, WPM of turn time. */
  wpm?: number;
  gainDb?: number;
}

export type Turn = Speech | Clip;

/** The start or end of the turn with that id, e.g. "talkover.start". */
export type TurnPoint = `${string}.${"start" | "end"}`;

/** A tip the call must produce between `from` + `afterMs` and `to` + {@linkcode EXPECT_SLACK_MS}. */
export interface ExpectedTip {
  type: SuggestionType;
  from: TurnPoint;
  afterMs?: number;
  to: TurnPoint;
}

/** A scripted call and the tips it must (and only may) produce. */
export interface Script<T extends Turn = Turn> {
  /** Names the call in errors. */
  name?: string;
  turns: readonly T[];
  expect: readonly ExpectedTip[];
  /** Tips that may appear without failing the call. */
  tolerate?: readonly SuggestionType[];
  /** Silence before the first turn, ms (default 500). */
  leadMs?: number;
  /** Silence after the last turn ends, ms (default 1 s). */
  tailMs?: number;
  /** Gap between turns that give none, ms (default 500). */
  gapMs?: number;
  /** What the phone line adds (echo, noise, lost frames); a perfect line when absent. */
  line?: LineConditions;
}

/** A tip window in stream time. */
export interface TipWindow {
  type: SuggestionType;
  fromMs: number;
  toMs: number;
}

/** A script on the stream clock: its turns in script order, its length and its tip windows. */
export interface ResolvedScript<T extends Turn> {
  placed: { turn: T; startMs: number; endMs: number }[];
  /** The end of the last turn plus `tailMs`. */
  durationMs: number;
  expect: TipWindow[];
}

/** How long after its `to` point an expected tip may still arrive (holds, throttle). */
export const EXPECT_SLACK_MS = 2_000;

/**
 * Places the turns of `script` and resolves its expected tips' windows.
 *
 * @param lengthMs the length of turn `index` (a speech turn's `ms`, a clip's audio)
 * @throws {Error} for a turn that cannot be placed, a repeated id, a window naming no turn
 */
export function resolveScript<T extends Turn>(
  script: Script<T>,
  lengthMs: (turn: T, index: number) => number,
): ResolvedScript<T> {
  const call = script.name === undefined ? "" : `scenario ${script.name}, `;
  const placed: ResolvedScript<T>["placed"] = [];
  const points = new Map<string, number>();
  let end = script.leadMs ?? 500;
  let mainStart: number | null = null;
  script.turns.forEach((turn, index) => {
    const fail = (why: string) => new Error(`${call}turn ${index} (${turn.who}): ${why}`);
    let startMs: number;
    if (turn.overMs !== undefined) {
      if (mainStart === null) throw fail("overMs, but no turn before it to go over");
      startMs = mainStart + turn.overMs;
    } else {
      if (index === 0 && turn.gapMs !== undefined) {
        throw fail("gapMs on the first turn (it starts at leadMs)");
      }
      startMs = index === 0 ? end : end + (turn.gapMs ?? script.gapMs ?? 500);
      mainStart = startMs;
    }
    if (startMs < 0) throw fail(`starts at ${startMs} ms, before the call`);
    const endMs = startMs + lengthMs(turn, index);
    placed.push({ turn, startMs, endMs });
    end = Math.max(end, endMs);
    if (turn.id === undefined) return;
    if (points.has(`${turn.id}.start`)) throw fail(`id "${turn.id}" is used twice`);
    points.set(`${turn.id}.start`, startMs);
    points.set(`${turn.id}.end`, endMs);
  });
  const at = (point: TurnPoint, type: SuggestionType) => {
    const ms = points.get(point);
    if (ms === undefined) throw new Error(`${call}${type} expected at "${point}": no turn has that id`);
    return ms;
  };
  const expect = script.expect.map((tip) => ({
    type: tip.type,
    fromMs: at(tip.from, tip.type) + (tip.afterMs ?? 0),
    toMs: at(tip.to, tip.type) + EXPECT_SLACK_MS,
  }));
  return { placed, durationMs: end + (script.tailMs ?? 1_000), expect };
}
