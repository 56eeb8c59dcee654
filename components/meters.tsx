/**
 * The live meters, in words an agent reads at a glance: pace in words per minute with its target zone, the
 * agent's volume as Too quiet / Good / Too loud with its zone, the customer as Calm / Raised, the talk share,
 * the current pause and the talk-overs. dBov stays in the tooltips and the screen-reader text.
 *
 * Pure components driven by a {@linkcode MeterDisplay} (islands/meter_display.ts settles the values). Every
 * tile has a fixed height and every line one short text, so values changing never move the page. While the
 * page is disconnected or the call has ended the meters are greyed out (`paused`).
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import type { MeterDisplay, MeterTargets } from "../islands/meter_display.ts";
import { formatDb, formatSeconds, isKnown, UNKNOWN } from "./format.ts";
import { LEVEL_SCALE_DB, Note, PACE_SCALE, percentOf, Tile, Value, ZoneGauge } from "./meter_parts.tsx";
import { GAUGE_STYLES, type VerdictTone } from "./styles.ts";

/** What the meters read from the latest `metrics` message directly (no verdicts). */
export interface RawMeters {
  agentLevelDb: number | null;
  customerLevelDb: number | null;
  silenceS: number | null;
  interruptions: number | null;
}

const PACE_WORDS = { slow: "Too slow", good: "Good pace", fast: "Too fast" } as const;
const PACE_TONES = { slow: "low", good: "good", fast: "high" } as const;
const VOLUME_WORDS = { quiet: "Too quiet", good: "Good", loud: "Too loud" } as const;
const VOLUME_TONES = { quiet: "low", good: "good", loud: "high" } as const;

function PaceTile(props: { display: MeterDisplay; target: { min: number; max: number } }) {
  const { wpm } = props.display;
  const verdict = props.display.pace.value;
  const target = `${props.target.min}\u2013${props.target.max}`;
  const valueText = wpm === null || verdict === null
    ? `No pace yet; target ${props.target.min} to ${props.target.max} words per minute`
    : `${wpm} words per minute, ${PACE_WORDS[verdict].toLowerCase()}`;
  return (
    <Tile title="Your pace" testId="meter-pace">
      <Value text={wpm === null ? UNKNOWN : String(wpm)} unit="words/min" />
      <ZoneGauge label="Your pace" value={wpm} zone={props.target} scale={PACE_SCALE} valueText={valueText} />
      {verdict === null
        ? <Note text={`Aim: ${target} words/min`} />
        : <Note testId="meter-verdict" text={PACE_WORDS[verdict]} tone={PACE_TONES[verdict]} />}
    </Tile>
  );
}

/** Whether a party talks now; "Not live" while the meters are paused (the data is not current). */
function speakingWord(speaking: boolean, heard: boolean, paused: boolean): string {
  return paused ? "Not live" : !heard ? "Not heard yet" : speaking ? "Speaking" : "Listening";
}

/**
 * A party's voice: a verdict word (null until heard), a bar, and whether they speak; dBov only in the
 * tooltip and the value text ("Your volume too loud, −13 dBov, speaking").
 */
function VoiceTile(props: {
  title: string;
  testId: string;
  levelDb: number | null;
  speaking: boolean;
  paused: boolean;
  verdict: { word: string; tone: VerdictTone } | null;
  bar: (valueText: string) => ComponentChildren;
}) {
  const heard = isKnown(props.levelDb);
  const speaking = speakingWord(props.speaking, heard, props.paused);
  const valueText = props.verdict === null
    ? `${props.title}: not heard yet`
    : `${props.title} ${props.verdict.word.toLowerCase()}, ${
      formatDb(props.levelDb)
    }, ${speaking.toLowerCase()}`;
  return (
    <Tile title={props.title} testId={props.testId} tooltip={heard ? formatDb(props.levelDb) : undefined}>
      <Value text={props.verdict?.word ?? UNKNOWN} tone={props.verdict?.tone} />
      {props.bar(valueText)}
      <Note testId="meter-speaking" text={speaking} />
    </Tile>
  );
}

function VolumeTile(
  props: {
    display: MeterDisplay;
    levelDb: number | null;
    target: { min: number; max: number };
    paused: boolean;
  },
) {
  const verdict = props.display.volume.value;
  return (
    <VoiceTile
      title="Your volume"
      testId="meter-agent-level"
      levelDb={props.levelDb}
      speaking={props.display.agentSpeaking}
      paused={props.paused}
      verdict={verdict === null ? null : { word: VOLUME_WORDS[verdict], tone: VOLUME_TONES[verdict] }}
      bar={(valueText) => (
        <ZoneGauge
          label="Your volume"
          value={props.levelDb}
          zone={props.target}
          scale={LEVEL_SCALE_DB}
          valueText={valueText}
        />
      )}
    />
  );
}

function CustomerTile(props: { display: MeterDisplay; levelDb: number | null; paused: boolean }) {
  const mood = props.display.mood.value;
  const heard = isKnown(props.levelDb);
  return (
    <VoiceTile
      title="Customer"
      testId="meter-customer-level"
      levelDb={props.levelDb}
      speaking={props.display.customerSpeaking}
      paused={props.paused}
      verdict={mood === null
        ? null
        : mood === "raised"
        ? { word: "Raised", tone: "high" }
        : { word: "Calm", tone: "good" }}
      bar={(valueText) => (
        <div
          role="meter"
          aria-label="Customer's voice"
          aria-valuemin={LEVEL_SCALE_DB.min}
          aria-valuemax={LEVEL_SCALE_DB.max}
          aria-valuenow={heard ? Math.round(props.levelDb!) : undefined}
          aria-valuetext={valueText}
          class={`my-1 h-2.5 shrink-0 overflow-hidden rounded-full ${GAUGE_STYLES.track}`}
        >
          <div
            class={`h-full rounded-full transition-all duration-300 motion-reduce:transition-none ${GAUGE_STYLES.fill}`}
            style={{ width: `${heard ? percentOf(props.levelDb!, LEVEL_SCALE_DB) : 0}%` }}
          />
        </div>
      )}
    />
  );
}

function TalkTile(props: { display: MeterDisplay }) {
  const { talk } = props.display;
  return (
    <Tile title="Talk share" testId="meter-talk-ratio">
      <Value text={talk ? `${talk.agent}%` : UNKNOWN} unit="you" />
      <div
        role="meter"
        aria-label="Your share of the talking"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={talk?.agent}
        aria-valuetext={talk
          ? `You ${talk.agent} percent, customer ${talk.customer} percent`
          : "Nobody has talked yet"}
        class={`my-1 flex h-2.5 shrink-0 overflow-hidden rounded-full ${GAUGE_STYLES.track}`}
      >
        <div
          class={`h-full transition-all duration-300 motion-reduce:transition-none ${GAUGE_STYLES.agentShare}`}
          style={{ width: `${talk?.agent ?? 0}%` }}
        />
        <div
          class={`h-full transition-all duration-300 motion-reduce:transition-none ${GAUGE_STYLES.customerShare}`}
          style={{ width: `${talk?.customer ?? 0}%` }}
        />
      </div>
      <Note
        testId="meter-customer-share"
        text={talk ? `${talk.customer}% customer` : "Nobody has talked yet"}
      />
    </Tile>
  );
}

/** The six tiles; two columns on a phone, three on a tablet, six on a laptop. */
export function MeterRow(props: {
  display: MeterDisplay;
  raw: RawMeters;
  targets: MeterTargets;
  /** Grey the meters out: the page is disconnected or the call has ended. */
  paused: boolean;
  /** Shown over the greyed meters, e.g. "Connection lost". */
  banner?: ComponentChildren;
}) {
  const { display, raw } = props;
  return (
    <section
      aria-labelledby="meters-heading"
      class="relative"
      data-testid="meters"
      data-paused={String(props.paused)}
    >
      <h2 id="meters-heading" class="sr-only">Live meters</h2>
      <div
        class={`grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6 transition duration-300 ${
          props.paused ? "opacity-50 grayscale" : ""
        }`}
      >
        <PaceTile display={display} target={props.targets.paceWpm} />
        <VolumeTile
          display={display}
          levelDb={raw.agentLevelDb}
          target={props.targets.levelDb}
          paused={props.paused}
        />
        <CustomerTile display={display} levelDb={raw.customerLevelDb} paused={props.paused} />
        <TalkTile display={display} />
        <Tile title="Silence" testId="meter-silence">
          <Value text={formatSeconds(raw.silenceS)} />
          <Note text="Current pause" />
        </Tile>
        <Tile title="Talk-overs" testId="meter-interruptions">
          <Value text={isKnown(raw.interruptions) ? String(raw.interruptions) : UNKNOWN} />
          <Note text="So far in this call" />
        </Tile>
      </div>
      {props.banner}
    </section>
  );
}
