/**
 * A tip: the large card in the tip area, and its line in the list of the call's tips.
 *
 * The card reads top to bottom in the order an agent needs it: the message (large, a few words), why (small,
 * plain words), then whether it still applies and when it came. Severity shows as the card's colour, its
 * border and the shape of its icon; screen readers hear it. A tip a language model worded carries a small
 * "AI" marker at the end of the footer (and of its line in the list).
 *
 * @module
 */
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import { formatDuration } from "./format.ts";
import { CategoryIcon, SeverityIcon, TIP_KINDS } from "./icons.tsx";
import { SEVERITY_STYLES } from "./styles.ts";

/** A suggestion plus a stable key for lists. */
export type TipView = SuggestionData & { key: string };

/** `shown`: on screen; `leaving`: fading out under the card that replaced it. */
export type TipPhase = "shown" | "leaving";

/**
 * Messages longer than this (a model's words, a long wording) take a smaller size on a phone, so every
 * message fits two lines there.
 */
const LONG_MESSAGE_CHARS = 34;

/**
 * The small marker on a tip a language model worded: "AI" on screen, "worded by AI" for screen readers, and
 * the rule's own words on hover. Nothing for a tip in the rules' words.
 */
function AiMarker(props: { tip: TipView }) {
  if (props.tip.phrased_by !== "model") return null;
  return (
    <span
      data-testid="ai-marker"
      title={`Worded by AI. The rule's own words: ${props.tip.fixed_message}`}
      class="inline-block shrink-0 rounded border border-violet-300 bg-violet-50 px-1.5 text-xs font-bold text-violet-800"
    >
      <span aria-hidden="true">AI</span>
      <span class="sr-only">(worded by AI)</span>
    </span>
  );
}

/** Seconds into the call, e.g. "at 0:44". */
function intoCall(tip: TipView): string {
  return `at ${formatDuration(tip.stream_ms)}`;
}

/** The card. `active`: the server says its condition still holds. It fills the tip area it sits in. */
export function SuggestionCard(props: { tip: TipView; phase: TipPhase; active: boolean }) {
  const { tip, phase, active } = props;
  const style = SEVERITY_STYLES[tip.severity];
  const motion = phase === "leaving" ? "opacity-0" : "opacity-100";
  return (
    <article
      data-testid="suggestion-card"
      data-severity={tip.severity}
      data-type={tip.type}
      data-phase={phase}
      data-active={String(active)}
      aria-hidden={phase === "leaving" ? "true" : undefined}
      class={`absolute inset-0 flex gap-3 sm:gap-4 rounded-xl border-2 border-l-8 p-3 sm:p-4 shadow-sm animate-tip-in transition-opacity duration-300 ease-out motion-reduce:animate-none motion-reduce:transition-none ${style.card} ${motion}`}
    >
      {/* On a phone the category icon moves to the footer, leaving the message the card's whole width. */}
      <CategoryIcon type={tip.type} class={`mt-0.5 hidden h-9 w-9 shrink-0 sm:block ${style.icon}`} />
      <div class="flex min-w-0 flex-1 flex-col">
        <p
          data-testid="tip-message"
          class={`${
            tip.message.length > LONG_MESSAGE_CHARS ? "text-lg" : "text-2xl"
          } sm:text-2xl lg:text-3xl font-semibold leading-tight text-slate-900`}
        >
          <span class="sr-only">{style.label}:</span>
          {tip.message}
        </p>
        <p data-testid="tip-reason" class="mt-1 text-sm text-slate-700">{tip.reason}</p>
        <div data-testid="tip-footer" class="mt-auto flex items-center gap-2 pt-1 text-sm">
          <CategoryIcon type={tip.type} class={`h-5 w-5 shrink-0 sm:hidden ${style.icon}`} />
          <SeverityIcon severity={tip.severity} class={`h-5 w-5 shrink-0 ${style.icon}`} />
          <span data-testid="tip-status" data-active={String(active)} class="font-medium text-slate-900">
            {active ? TIP_KINDS[tip.type].still : "Back on track"}
          </span>
          <span class="ml-auto whitespace-nowrap tabular-nums text-slate-700">{intoCall(tip)}</span>
          <AiMarker tip={tip} />
        </div>
      </div>
    </article>
  );
}

/** Every tip of the call, oldest first, so new ones add at the end and nothing above them moves. */
export function TipList(props: { tips: TipView[] }) {
  if (props.tips.length === 0) return null;
  return (
    <section aria-labelledby="tip-list-heading" data-testid="tip-list">
      <h2 id="tip-list-heading" class="text-sm font-semibold text-slate-700">
        Tips in this call ({props.tips.length})
      </h2>
      <ol class="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
        {props.tips.map((tip) => {
          const style = SEVERITY_STYLES[tip.severity];
          return (
            <li key={tip.key} data-testid="listed-tip" class="flex items-center gap-3 px-3 py-2 text-sm">
              <CategoryIcon type={tip.type} class={`h-5 w-5 shrink-0 ${style.icon}`} />
              <span class="sr-only">{style.label}:</span>
              <span data-testid="listed-message" class="min-w-0 flex-1 text-slate-900">{tip.message}</span>
              <span class="whitespace-nowrap tabular-nums text-slate-700">{intoCall(tip)}</span>
              <AiMarker tip={tip} />
            </li>
          );
        })}
      </ol>
    </section>
  );
}
