/**
 * The row of live meters: agent pace, agent and customer level, talk ratio, silence, interruptions.
 * Pure components driven by one `metrics` message; unknown values read "—" and bars rest at zero, and the
 * bars move with a short transition so 4 updates a second look smooth rather than jumpy.
 */
import type { ComponentChildren } from "preact";
import type { MetricsData } from "../core/protocol/ui_messages.ts";
import { clamp, formatDb, formatPercent, formatSeconds, formatWpm, isKnown, UNKNOWN } from "./format.ts";
import { PACE_STYLES } from "./styles.ts";

/** The agent's target pace in words per minute (shown as a band on the gauge). */
export const PACE_TARGET = { min: 110, max: 160 } as const;
const PACE_SCALE = { min: 60, max: 220 } as const;
const LEVEL_SCALE_DB = { min: -60, max: 0 } as const;

function percentOf(value: number, scale: { min: number; max: number }): number {
  return clamp(((value - scale.min) / (scale.max - scale.min)) * 100, 0, 100);
}

function Tile(props: { label: string; testId: string; children: ComponentChildren }) {
  return (
    <div
      data-testid={props.testId}
      class="rounded-xl border border-slate-200 bg-white p-3 flex flex-col gap-1 min-w-0"
    >
      <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-600">{props.label}</h3>
      {props.children}
    </div>
  );
}

function Value(props: { text: string; unit?: string }) {
  return (
    <p class="text-2xl font-bold tabular-nums text-slate-900" data-testid="meter-value">
      {props.text}
      {props.unit && props.text !== UNKNOWN && (
        <span class="ml-1 text-sm font-medium text-slate-600">{props.unit}</span>
      )}
    </p>
  );
}

/** WPM with the target band drawn on the scale and a verdict in words. */
export function PaceGauge(props: { wpm: number | null }) {
  const { wpm } = props;
  const verdict = !isKnown(wpm)
    ? { text: `Target ${PACE_TARGET.min}–${PACE_TARGET.max}`, style: PACE_STYLES.unknown }
    : wpm > PACE_TARGET.max
    ? { text: "Too fast", style: PACE_STYLES.fast }
    : wpm < PACE_TARGET.min
    ? { text: "Too slow", style: PACE_STYLES.slow }
    : { text: "Good pace", style: PACE_STYLES.good };
  const bandLeft = percentOf(PACE_TARGET.min, PACE_SCALE);
  const bandWidth = percentOf(PACE_TARGET.max, PACE_SCALE) - bandLeft;
  return (
    <Tile label="Agent pace" testId="meter-pace">
      <Value text={formatWpm(wpm)} unit="WPM" />
      <div
        class="relative h-3 rounded-full bg-slate-200"
        role="meter"
        aria-label="Agent pace in words per minute"
        aria-valuemin={PACE_SCALE.min}
        aria-valuemax={PACE_SCALE.max}
        aria-valuenow={isKnown(wpm) ? Math.round(wpm) : undefined}
      >
        <div
          class="absolute inset-y-0 rounded-full bg-emerald-300"
          style={{ left: `${bandLeft}%`, width: `${bandWidth}%` }}
        />
        {isKnown(wpm) && (
          <div
            data-testid="pace-marker"
            class="absolute -top-1 -bottom-1 w-1.5 -ml-0.5 rounded bg-slate-900 transition-all duration-300 motion-reduce:transition-none"
            style={{ left: `${percentOf(wpm, PACE_SCALE)}%` }}
          />
        )}
      </div>
      <p class={`text-xs font-medium ${verdict.style}`}>{verdict.text}</p>
    </Tile>
  );
}

/** Speech level in dBov on a −60..0 bar, plus whether the party is talking. */
export function LevelMeter(props: { label: string; testId: string; db: number | null; speaking: boolean }) {
  const known = isKnown(props.db);
  return (
    <Tile label={props.label} testId={props.testId}>
      <Value text={formatDb(props.db)} />
      <div
        class="h-3 rounded-full bg-slate-200 overflow-hidden"
        role="meter"
        aria-label={`${props.label} in dBov`}
        aria-valuemin={LEVEL_SCALE_DB.min}
        aria-valuemax={LEVEL_SCALE_DB.max}
        aria-valuenow={known ? Math.round(props.db as number) : undefined}
      >
        <div
          data-testid="level-bar"
          class="h-full rounded-full bg-sky-600 transition-all duration-300 motion-reduce:transition-none"
          style={{ width: `${known ? percentOf(props.db as number, LEVEL_SCALE_DB) : 0}%` }}
        />
      </div>
      <p class="text-xs font-medium text-slate-600">{props.speaking ? "Speaking" : "Quiet"}</p>
    </Tile>
  );
}

/** Agent share of talk time as a split bar. */
export function TalkRatioMeter(props: { ratio: number | null }) {
  const known = isKnown(props.ratio);
  const agent = known ? clamp(props.ratio as number, 0, 1) * 100 : 0;
  return (
    <Tile label="Talk ratio" testId="meter-talk-ratio">
      <Value text={known ? `${formatPercent(props.ratio)}` : UNKNOWN} unit="agent" />
      <div class="flex h-3 rounded-full bg-slate-200 overflow-hidden" aria-hidden="true">
        <div
          class="h-full bg-indigo-600 transition-all duration-300 motion-reduce:transition-none"
          style={{ width: `${agent}%` }}
        />
        <div
          class="h-full bg-orange-400 transition-all duration-300 motion-reduce:transition-none"
          style={{ width: `${known ? 100 - agent : 0}%` }}
        />
      </div>
      <p class="text-xs font-medium text-slate-600">
        {known ? `Customer ${formatPercent(1 - (props.ratio as number))}` : "Nobody has talked yet"}
      </p>
    </Tile>
  );
}

/** All six meters; two columns on a phone, three on a tablet, six on a laptop. */
export function MeterRow(props: { metrics: MetricsData | null }) {
  const m = props.metrics;
  return (
    <section aria-label="Live meters" class="grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-6 gap-3">
      <PaceGauge wpm={m?.agent.wpm ?? null} />
      <LevelMeter
        label="Agent level"
        testId="meter-agent-level"
        db={m?.agent.level_db ?? null}
        speaking={m?.agent.speaking ?? false}
      />
      <LevelMeter
        label="Customer level"
        testId="meter-customer-level"
        db={m?.customer.level_db ?? null}
        speaking={m?.customer.speaking ?? false}
      />
      <TalkRatioMeter ratio={m?.talk_ratio ?? null} />
      <Tile label="Silence" testId="meter-silence">
        <Value text={formatSeconds(m?.silence_s ?? null)} />
        <p class="text-xs font-medium text-slate-600">Current pause</p>
      </Tile>
      <Tile label="Interruptions" testId="meter-interruptions">
        <Value text={m && isKnown(m.interruptions) ? String(m.interruptions) : UNKNOWN} />
        <p class="text-xs font-medium text-slate-600">Talk-overs so far</p>
      </Tile>
    </section>
  );
}
