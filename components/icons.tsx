/**
 * The page's icons, inline SVG drawn in `currentColor` (emoji fonts are missing on some kiosks and headless
 * browsers). Category icons say what a tip is about; severity icons differ in shape, so severity never
 * depends on colour alone. All are decorative (`aria-hidden`): the text next to them says the same.
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import type { Severity, SuggestionType } from "../core/protocol/ui_messages.ts";

/** What a tip is about. */
export type TipCategory = "pace" | "volume" | "turns" | "silence" | "customer";

/** Each tip type's category, and what the card says (briefly: it shares a line) while its condition holds. */
export const TIP_KINDS: Record<SuggestionType, { category: TipCategory; still: string }> = {
  SPEAKING_TOO_FAST: { category: "pace", still: "Still too fast" },
  SPEAKING_TOO_SLOW: { category: "pace", still: "Still slow" },
  SPEAKING_TOO_LOUD: { category: "volume", still: "Still loud" },
  SPEAKING_TOO_SOFT: { category: "volume", still: "Still quiet" },
  INTERRUPTING_CUSTOMER: { category: "turns", still: "Still their turn" },
  TOO_MUCH_SILENCE: { category: "silence", still: "Still silent" },
  CONTINUOUS_SPEAKING: { category: "turns", still: "Still talking" },
  CUSTOMER_RAISED_VOICE: { category: "customer", still: "Still raised" },
  TALK_RATIO_HIGH: { category: "turns", still: "Still mostly you" },
};

function Svg(props: { class: string; testId?: string; children: ComponentChildren }) {
  return (
    <svg
      aria-hidden="true"
      data-testid={props.testId}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      class={props.class}
    >
      {props.children}
    </svg>
  );
}

const CATEGORY_PATHS: Record<TipCategory, ComponentChildren> = {
  // A speedometer.
  pace: (
    <>
      <path d="M4 17a8 8 0 1 1 16 0" />
      <path d="M12 17l4.5-5.5" />
    </>
  ),
  // A speaker with sound waves.
  volume: (
    <>
      <path d="M4 9.5v5h3.5L12 18V6L7.5 9.5z" />
      <path d="M15.5 9.5a3.5 3.5 0 0 1 0 5" />
      <path d="M18 7a7 7 0 0 1 0 10" />
    </>
  ),
  // Two speech bubbles: who talks when.
  turns: (
    <>
      <path d="M3.5 5h11v8H8l-4.5 3.5z" />
      <path d="M17.5 9h3v10.5L17 17h-6.5v-1.5" />
    </>
  ),
  // A pause sign.
  silence: (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <path d="M10 9v6M14 9v6" />
    </>
  ),
  // A person.
  customer: (
    <>
      <circle cx="12" cy="8" r="3.5" />
      <path d="M5 20a7 7 0 0 1 14 0" />
    </>
  ),
};

/** The icon of a tip's category. */
export function CategoryIcon(props: { type: SuggestionType; class: string }) {
  const category = TIP_KINDS[props.type].category;
  return <Svg class={props.class} testId={`icon-${category}`}>{CATEGORY_PATHS[category]}</Svg>;
}

/** A triangle for high, a circle with "!" for medium, a circle with "i" for low. */
export function SeverityIcon(props: { severity: Severity; class: string }) {
  const dot = (cy: number) => <circle cx="12" cy={cy} r="1.1" fill="currentColor" stroke="none" />;
  return (
    <Svg class={props.class} testId={`severity-${props.severity}`}>
      {props.severity === "high"
        ? (
          <>
            <path d="M12 3.5L21.5 20h-19z" />
            <path d="M12 10v4.5" />
            {dot(17.3)}
          </>
        )
        : props.severity === "medium"
        ? (
          <>
            <circle cx="12" cy="12" r="9" />
            <path d="M12 7.5v5.5" />
            {dot(16.5)}
          </>
        )
        : (
          <>
            <circle cx="12" cy="12" r="9" />
            <path d="M12 11v5.5" />
            {dot(7.8)}
          </>
        )}
    </Svg>
  );
}
