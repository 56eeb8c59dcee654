/** Suggestion cards: the big current tip(s) and the compact list of earlier tips. */
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import { formatClockTime } from "./format.ts";
import { SEVERITY_STYLES } from "./styles.ts";

/** A suggestion plus a stable key for lists. */
export type TipView = SuggestionData & { key: string };

/** `shown`: fresh tip at full strength; `leaving`: fading out (5 s passed or a newer tip replaced it). */
export type TipPhase = "shown" | "leaving";

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
      class="ml-2 inline-block rounded border border-violet-300 bg-violet-50 px-1.5 align-middle text-xs font-bold text-violet-800"
    >
      <span aria-hidden="true">AI</span>
      <span class="sr-only">(worded by AI)</span>
    </span>
  );
}

/** One large card: message, severity label, reason, time. Fades in on mount; fades out when `leaving`. */
export function SuggestionCard(props: { tip: TipView; phase: TipPhase }) {
  const { tip, phase } = props;
  const style = SEVERITY_STYLES[tip.severity];
  const motion = phase === "leaving" ? "opacity-0 -translate-y-1" : "opacity-100";
  return (
    <article
      data-testid="suggestion-card"
      data-severity={tip.severity}
      data-type={tip.type}
      data-phase={phase}
      class={`rounded-xl border-2 border-l-8 p-4 sm:p-5 shadow-sm animate-tip-in transition duration-500 ease-out motion-reduce:animate-none motion-reduce:transition-none ${style.card} ${motion}`}
    >
      <div class="flex flex-wrap items-center justify-between gap-2">
        <span
          class={`rounded-full border px-2.5 py-0.5 text-xs font-bold uppercase tracking-wide ${style.badge}`}
        >
          {style.label}
        </span>
        <time class="text-xs text-gray-600" dateTime={tip.timestamp}>{formatClockTime(tip.timestamp)}</time>
      </div>
      <p class="mt-2 text-2xl sm:text-3xl font-semibold leading-snug text-gray-900">
        {tip.message}
        <AiMarker tip={tip} />
      </p>
      <p class="mt-1 text-sm text-gray-700">{tip.reason}</p>
    </article>
  );
}

/** Tips that have faded out, newest first, kept readable as a short history. */
export function EarlierTips(props: { tips: TipView[] }) {
  if (props.tips.length === 0) return null;
  return (
    <section aria-label="Earlier tips" class="mt-2">
      <h2 class="text-xs font-semibold uppercase tracking-wide text-slate-600">Earlier in this call</h2>
      <ul class="mt-1 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
        {props.tips.map((tip) => {
          const style = SEVERITY_STYLES[tip.severity];
          return (
            <li key={tip.key} data-testid="earlier-tip" class="flex items-baseline gap-2 px-3 py-2 text-sm">
              <span aria-hidden="true" class={`inline-block h-2 w-2 shrink-0 rounded-full ${style.dot}`} />
              <span class="sr-only">{style.label}:</span>
              <span class="flex-1 text-slate-900">
                {tip.message}
                <AiMarker tip={tip} />
              </span>
              <time class="text-xs text-gray-600" dateTime={tip.timestamp}>
                {formatClockTime(tip.timestamp)}
              </time>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
