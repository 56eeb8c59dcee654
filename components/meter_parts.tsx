/**
 * The pieces every meter tile is made of: the tile (fixed height), its big value line, its note line, and a
 * bar with a target zone and a marker. Pure components; the tiles themselves are in `meters.tsx`.
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import { clamp, isKnown } from "./format.ts";
import { GAUGE_STYLES, VERDICT_STYLES, type VerdictTone } from "./styles.ts";

/** The pace bar's scale, words per minute. */
export const PACE_SCALE = { min: 60, max: 220 } as const;
/** The level bars' scale, dBov. */
export const LEVEL_SCALE_DB = { min: -60, max: 0 } as const;

/** Where `value` sits on `scale`, 0..100. */
export function percentOf(value: number, scale: { min: number; max: number }): number {
  return clamp(((value - scale.min) / (scale.max - scale.min)) * 100, 0, 100);
}

/** One meter: a titled box of fixed height, so values changing never move the page. */
export function Tile(
  props: { title: string; testId: string; tooltip?: string; children: ComponentChildren },
) {
  return (
    <div
      data-testid={props.testId}
      title={props.tooltip}
      class="flex h-[7.75rem] min-w-0 flex-col gap-1 overflow-hidden rounded-xl border border-slate-200 bg-white p-3"
    >
      <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-700">{props.title}</h3>
      {props.children}
    </div>
  );
}

/** The big line: a number with its unit, or a verdict word. */
export function Value(props: { text: string; unit?: string; tone?: VerdictTone }) {
  const colour = props.tone ? VERDICT_STYLES[props.tone] : "text-slate-900";
  return (
    <p data-testid="meter-value" class={`whitespace-nowrap text-2xl font-bold tabular-nums ${colour}`}>
      {props.text}
      {props.unit && <span class="ml-1 text-sm font-medium text-slate-700">{props.unit}</span>}
    </p>
  );
}

/** The small line at the bottom of a tile: a verdict or what the value means. */
export function Note(props: { text: string; tone?: VerdictTone; testId?: string }) {
  return (
    <p
      data-testid={props.testId}
      class={`mt-auto whitespace-nowrap text-xs font-medium ${VERDICT_STYLES[props.tone ?? "unknown"]}`}
    >
      {props.text}
    </p>
  );
}

/** A bar with a target zone and a marker for the value; the zone's contrast is at least 3:1 (styles.ts). */
export function ZoneGauge(props: {
  label: string;
  value: number | null;
  zone: { min: number; max: number };
  scale: { min: number; max: number };
  valueText: string;
}) {
  const left = percentOf(props.zone.min, props.scale);
  const width = percentOf(props.zone.max, props.scale) - left;
  return (
    <div
      role="meter"
      aria-label={props.label}
      aria-valuemin={props.scale.min}
      aria-valuemax={props.scale.max}
      aria-valuenow={isKnown(props.value) ? Math.round(props.value) : undefined}
      aria-valuetext={props.valueText}
      class={`relative my-1 h-2.5 shrink-0 rounded-full ${GAUGE_STYLES.track}`}
    >
      <div
        data-testid="meter-zone"
        class={`absolute inset-y-0 rounded-full ${GAUGE_STYLES.zone}`}
        style={{ left: `${left}%`, width: `${width}%` }}
      />
      {isKnown(props.value) && (
        <div
          data-testid="meter-marker"
          class={`absolute -top-1 -bottom-1 w-1.5 -ml-0.5 rounded transition-all duration-300 motion-reduce:transition-none ${GAUGE_STYLES.marker}`}
          style={{ left: `${percentOf(props.value, props.scale)}%` }}
        />
      )}
    </div>
  );
}
