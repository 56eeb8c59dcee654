/**
 * The tip area: one box of fixed height, first on the page at every width. A new card takes the old one's
 * place (the old one fades out underneath), so nothing around it ever moves. Without a card it says where
 * the call stands: waiting for a call, connecting, listening, or ended.
 *
 * @module
 */
import type { ComponentChildren } from "preact";
import { SuggestionCard, type TipView } from "./suggestion_card.tsx";
import { SampleCallButton, type SampleCallState } from "./sample_call.tsx";

/** What the tip area shows when no card is up. */
export type TipAreaIdle =
  | { kind: "no_call" }
  | { kind: "connecting" }
  | { kind: "listening" }
  | { kind: "ended"; summary: string };

/** Props of {@linkcode TipArea}. */
export interface TipAreaProps {
  current: { tip: TipView; active: boolean } | null;
  leaving: TipView | null;
  idle: TipAreaIdle;
  /** The "Play a sample call" button, offered on this machine when no call runs; null: not offered. */
  sample: SampleCallState | null;
  onPlaySample?: () => void;
}

/** The fixed height, per width (a phone needs two lines for the longest message). */
export const TIP_AREA_HEIGHT = "h-44 sm:h-36";

function Idle(props: { state: string; title: string; children?: ComponentChildren }) {
  return (
    <div
      data-testid="tip-empty"
      data-state={props.state}
      class="absolute inset-0 flex flex-col items-center justify-center gap-2 rounded-xl border-2 border-dashed border-slate-300 bg-white px-4 text-center"
    >
      <p class="text-lg font-medium text-slate-800">{props.title}</p>
      {props.children}
    </div>
  );
}

function IdleView(props: TipAreaProps) {
  const { idle } = props;
  const sample = props.sample && <SampleCallButton state={props.sample} onPlay={props.onPlaySample} />;
  switch (idle.kind) {
    case "no_call":
      return <Idle state="no_call" title="Coaching starts by itself when a call connects">{sample}</Idle>;
    case "connecting":
      return (
        <Idle state="connecting" title="Call connecting…">
          <p class="text-sm text-slate-700">Coaching starts with the audio.</p>
        </Idle>
      );
    case "listening":
      return (
        <Idle state="listening" title="No tips right now">
          <p class="text-sm text-slate-700">Tips appear here when something needs your attention.</p>
        </Idle>
      );
    case "ended":
      return (
        <Idle state="ended" title="Call ended">
          <p class="text-sm text-slate-700">{idle.summary}</p>
          {sample}
        </Idle>
      );
  }
}

export function TipArea(props: TipAreaProps) {
  return (
    <section aria-labelledby="tip-area-heading" data-testid="tip-area" class={`relative ${TIP_AREA_HEIGHT}`}>
      <h2 id="tip-area-heading" class="sr-only">Current tip</h2>
      {props.current === null && <IdleView {...props} />}
      {props.leaving && (
        <SuggestionCard key={props.leaving.key} tip={props.leaving} phase="leaving" active={false} />
      )}
      {props.current && (
        <SuggestionCard
          key={props.current.tip.key}
          tip={props.current.tip}
          phase="shown"
          active={props.current.active}
        />
      )}
    </section>
  );
}
