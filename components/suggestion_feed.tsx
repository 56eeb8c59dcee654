/** The centre of the page: current tip cards (newest on top), an empty state, and earlier tips. */
import { EarlierTips, SuggestionCard, type TipPhase, type TipView } from "./suggestion_card.tsx";

/** Props of {@link SuggestionFeed}. */
export interface SuggestionFeedProps {
  /** Tips on screen as cards, newest first. */
  current: { tip: TipView; phase: TipPhase }[];
  /** Faded tips, newest first. */
  earlier: TipView[];
}

export function SuggestionFeed(props: SuggestionFeedProps) {
  const hasAny = props.current.length > 0 || props.earlier.length > 0;
  return (
    <section aria-label="Coaching tips" class="flex flex-col gap-3">
      {/* Fixed minimum height so the meters below do not jump when a card comes and goes. */}
      <div class="relative min-h-[10rem] flex flex-col gap-3">
        {props.current.map(({ tip, phase }) => <SuggestionCard key={tip.key} tip={tip} phase={phase} />)}
        {props.current.length === 0 && (
          <div
            data-testid="feed-empty"
            class="flex min-h-[10rem] items-center justify-center rounded-xl border-2 border-dashed border-slate-300 bg-white px-4 text-center text-lg text-slate-600"
          >
            {hasAny ? "No new tips. Keep going!" : "Tips will appear here during the call"}
          </div>
        )}
      </div>
      <EarlierTips tips={props.earlier} />
    </section>
  );
}
