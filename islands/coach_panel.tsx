/**
 * The agent page's one island: connects to the UI socket, follows a call, and shows its tips and meters.
 * Rendered on the server with the empty state ("waiting", "connecting…"), then hydrated by `glue.ts`.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import { CallPicker } from "../components/call_picker.tsx";
import { MeterRow } from "../components/meters.tsx";
import { EarlierTips } from "../components/suggestion_card.tsx";
import { CurrentTips } from "../components/suggestion_feed.tsx";
import { type ConnectionView, ServerErrorNote, TopBar } from "../components/top_bar.tsx";
import { SEVERITY_STYLES } from "../components/styles.ts";
import {
  applyMessage,
  callOptions,
  callStatusView,
  type CoachState,
  EMPTY_STATE,
  shownCall,
  tipsView,
} from "./coach_state.ts";
import { type SocketState, UiSocket } from "./ui_socket.ts";
import { ClickToCall } from "../components/click_to_call.tsx";

/** Props of the island (must be JSON). */
export type CoachPanelProps = {
  /** Path of the UI socket, e.g. "/ws/ui". */
  wsPath: string;
};

// Fade timing and the call timer need a clock; 4 ticks a second keeps the 0.5 s fade-out on time.
const TICK_MS = 250;

function connectionView(state: SocketState, nowMs: number): ConnectionView {
  if (state.kind !== "reconnecting") return state;
  return { kind: "reconnecting", inSeconds: Math.max(0, Math.ceil((state.retryAtMs - nowMs) / 1000)) };
}

function announcementText(tip: SuggestionData): string {
  return `${SEVERITY_STYLES[tip.severity].label} tip: ${tip.message}`;
}

export default function CoachPanel(props: CoachPanelProps) {
  const state = useSignal<CoachState>(EMPTY_STATE);
  const connection = useSignal<SocketState>({ kind: "connecting" });
  const selectedId = useSignal<string | null>(null);
  const nowMs = useSignal(0);
  const politeText = useSignal("");
  const assertiveText = useSignal("");
  const subscribe = useRef<(id: string | null) => void>(() => {});

  useEffect(() => {
    // What the server currently sends us: every call until a subscribe for one call is sent.
    let followed: string | null = null;
    const url = new URL(props.wsPath, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ui = new UiSocket(url.href, {
      onState: (next) => {
        connection.value = next;
        nowMs.value = Date.now(); // so the countdown starts from the true delay, not a tick-old clock
        if (next.kind !== "connected") return;
        // A new socket follows every call; restore the chosen call after a reconnect.
        followed = null;
        if (selectedId.value !== null && ui.send({ type: "subscribe", session_id: selectedId.value })) {
          followed = selectedId.value;
        }
      },
      onMessage: (message) => {
        const now = Date.now();
        state.value = applyMessage(state.value, message, now, followed);
        nowMs.value = now;
        if (
          message.type === "suggestion" && message.session_id === shownCall(state.value, selectedId.value)?.id
        ) {
          const target = message.data.severity === "high" ? assertiveText : politeText;
          const text = announcementText(message.data);
          // Screen readers only announce a change: make a repeated tip differ by an invisible character.
          target.value = target.value === text ? `${text}\u200b` : text;
        }
        if (message.type === "error") console.error("UI socket: server says:", message.message);
      },
    });
    subscribe.current = (id) => {
      if (ui.send({ type: "subscribe", session_id: id })) followed = id;
    };
    ui.start();
    nowMs.value = Date.now();
    const timer = setInterval(() => (nowMs.value = Date.now()), TICK_MS);
    return () => {
      clearInterval(timer);
      ui.stop();
    };
  }, [props.wsPath]);

  const select = (id: string | null) => {
    selectedId.value = id;
    subscribe.current(id);
  };

  const now = nowMs.value;
  const call = shownCall(state.value, selectedId.value);
  const tips = tipsView(call, now);
  return (
    <div class="min-h-screen flex flex-col bg-slate-50 text-slate-900">
      <TopBar call={callStatusView(call, now)} connection={connectionView(connection.value, now)} />
      <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-4 flex flex-col gap-4">
        <ServerErrorNote message={state.value.serverError} />
        <CallPicker
          calls={callOptions(state.value)}
          selected={selectedId.value}
          shownId={call?.id ?? null}
          onSelect={select}
        />
        <div class="order-2 sm:order-1">
          <MeterRow metrics={call?.metrics ?? null} />
        </div>
        <div class="order-1 sm:order-2">
          <CurrentTips current={tips.current} hadTips={(call?.tips.length ?? 0) > 0} />
        </div>
        <div class="order-3">
          <EarlierTips tips={tips.earlier} />
        </div>
        <details class="order-4 rounded-xl border border-slate-200 bg-white px-4 py-3">
          <summary class="cursor-pointer text-sm font-medium text-slate-700">Place a call (Twilio)</summary>
          <div class="pt-3">
            <ClickToCall />
          </div>
        </details>
      </main>
      <div aria-live="polite" aria-atomic="true" class="sr-only" data-testid="announce-polite">
        {politeText.value}
      </div>
      <div aria-live="assertive" aria-atomic="true" class="sr-only" data-testid="announce-assertive">
        {assertiveText.value}
      </div>
    </div>
  );
}
