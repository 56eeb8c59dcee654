/** The current tip cards (newest on top) and the empty state that holds their place. */
import { SuggestionCard, type TipPhase, type TipView } from "./suggestion_card.tsx";

/** Props of {@link CurrentTips}. */
export interface CurrentTipsProps {
  /** Tips on screen as cards, newest first. */
  current: { tip: TipView; phase: TipPhase }[];
  /** Whether any tip was given in this call, to word the empty state. */
  hadTips: boolean;
}

export function CurrentTips(props: CurrentTipsProps) {
  return (
    <section aria-label="Current tip" class="flex min-h-[10rem] flex-col gap-3">
      {props.current.map(({ tip, phase }) => <SuggestionCard key={tip.key} tip={tip} phase={phase} />)}
      {props.current.length === 0 && (
        <div
          data-testid="feed-empty"
          class="flex min-h-[10rem] items-center justify-center rounded-xl border-2 border-dashed border-slate-300 bg-white px-4 text-center text-lg text-slate-600"
        >
          {props.hadTips ? "No new tips. Keep going!" : "Tips will appear here during the call"}
        </div>
      )}
    </section>
  );
}
