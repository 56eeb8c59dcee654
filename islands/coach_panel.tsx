/**
 * The agent page's one island: connects to the UI socket (following every call), and shows the followed
 * call's tip, meters and tips. Rendered on the server in its empty state, then hydrated by `glue.ts`.
 * The rules live in pure modules: which call (coach_state.ts), which card (tip_display.ts), what the meters
 * say (meter_display.ts), what screen readers hear and when (announcer.ts).
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { ServerMessage } from "../core/protocol/ui_messages.ts";
import { CallBar, SwitchOffer } from "../components/call_bar.tsx";
import { CallCustomer, clickToCallEnabled } from "../components/click_to_call.tsx";
import { MeterRow } from "../components/meters.tsx";
import { playSampleCall, sampleCallAvailable, type SampleCallState } from "../components/sample_call.tsx";
import { TipList } from "../components/suggestion_card.tsx";
import { TipArea, type TipAreaIdle } from "../components/tip_area.tsx";
import {
  ConnectionBanner,
  type ConnectionView,
  FeedDegradedNote,
  ServerErrorNote,
  TopBar,
} from "../components/top_bar.tsx";
import { SEVERITY_STYLES } from "../components/styles.ts";
import { Announcer, type Channel, CHANNELS } from "./announcer.ts";
import { callAnnouncement, callLabel, callOptions, callStatusView } from "./call_views.ts";
import {
  applyMessage,
  type CallView,
  type CoachState,
  dismissOffer,
  followCall,
  followedCall,
  initialState,
  switchOffer,
} from "./coach_state.ts";
import { EMPTY_METERS, type MeterTargets } from "./meter_display.ts";
import { holdsAt, tipDisplay } from "./tip_display.ts";
import { type SocketState, UiSocket } from "./ui_socket.ts";

/** Props of the island (must be JSON). */
export type CoachPanelProps = {
  /** Path of the UI socket, e.g. "/ws/ui". */
  wsPath: string;
  /** The coaching thresholds the meters' target zones show. */
  targets: MeterTargets;
};

// Card dwell, fades and the call timer need a clock; 4 ticks a second keeps the fades on time.
const TICK_MS = 250;

function connectionView(state: SocketState, nowMs: number): ConnectionView {
  if (state.kind !== "reconnecting") return state;
  return { kind: "reconnecting", inSeconds: Math.max(0, Math.ceil((state.retryAtMs - nowMs) / 1000)) };
}

function idleView(call: CallView | null): TipAreaIdle {
  if (!call) return { kind: "no_call" };
  if (call.status === "waiting") return { kind: "connecting" };
  if (call.status === "live") return { kind: "listening" };
  const n = call.tips.length;
  return {
    kind: "ended",
    summary: n === 0
      ? "No tips in this call."
      : `${n === 1 ? "1 tip" : `${n} tips`} in this call, listed below.`,
  };
}

/** What screen readers hear about one message: tips of the followed call, its start and end, a new call. */
function announce(
  say: (channel: Channel, text: string) => void,
  before: CoachState,
  after: CoachState,
  msg: ServerMessage,
) {
  const was = followedCall(before);
  const now = followedCall(after);
  if (msg.type === "suggestion" && msg.session_id === after.followedId) {
    say(msg.data.severity, `${SEVERITY_STYLES[msg.data.severity].label} tip: ${msg.data.message}`);
  }
  if (now && now.status === "live" && (was?.id !== now.id || was.status !== "live")) {
    say("call", callAnnouncement(now, "started"));
  }
  if (now && was?.id === now.id && was.status !== "ended" && now.status === "ended") {
    say("call", callAnnouncement(now, "ended"));
  }
  const offer = switchOffer(after);
  if (offer && switchOffer(before)?.id !== offer.id) {
    say("call", `Another call started: ${callLabel(offer)}.`);
  }
}

export default function CoachPanel(props: CoachPanelProps) {
  const state = useSignal<CoachState>(initialState(props.targets));
  const connection = useSignal<SocketState>({ kind: "connecting" });
  /** Set once the connection was lost, until it is back: the meters grey out and a banner says so. */
  const lost = useSignal(false);
  const nowMs = useSignal(0);
  const calling = useSignal(false);
  const sampleOffered = useSignal(false);
  const sample = useSignal<SampleCallState>({ kind: "ready" });
  const spoken = useSignal<Record<Channel, string>>({ high: "", medium: "", low: "", call: "" });
  const displayTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** When each card was first drawn: its dwell counts from then (tip_display.ts). */
  const renderedAt = useRef(new Map<string, number>());

  useEffect(() => {
    const url = new URL(props.wsPath, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const voice = new Announcer((channel, text) => spoken.value = { ...spoken.value, [channel]: text });
    const ui = new UiSocket(url.href, {
      onState: (next) => {
        connection.value = next;
        nowMs.value = Date.now(); // so the countdown starts from the true delay, not a tick-old clock
        if (next.kind === "reconnecting" || next.kind === "offline") lost.value = true;
        if (next.kind === "connected") lost.value = false;
      },
      onMessage: (message) => {
        const now = Date.now();
        const before = state.value;
        state.value = applyMessage(before, message, now);
        nowMs.value = now;
        if (state.value.followedId !== before.followedId) sample.value = { kind: "ready" };
        announce((channel, text) => voice.say(channel, text), before, state.value, message);
        if (message.type === "error") console.error("UI socket: server says:", message.message);
      },
    });
    ui.start();
    clickToCallEnabled().then((enabled) => calling.value = enabled);
    sampleCallAvailable().then((available) => sampleOffered.value = available);
    nowMs.value = Date.now();
    const timer = setInterval(() => (nowMs.value = Date.now()), TICK_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(displayTimer.current);
      ui.stop();
      voice.stop();
    };
  }, [props.wsPath]);

  const now = nowMs.value;
  const current = state.value;
  const call = followedCall(current);
  let display = call
    ? tipDisplay(call.tips, call.endedAtMs, now, renderedAt.current)
    : { current: null, leaving: null, nextChangeAtMs: null };
  const drawn = display.current?.tip.key;
  if (call && drawn !== undefined && !renderedAt.current.has(drawn)) {
    // Drawn for the first time now, which a busy browser may make later than it was due.
    renderedAt.current.set(drawn, Date.now());
    display = tipDisplay(call.tips, call.endedAtMs, now, renderedAt.current);
  }
  // A card's dwell or fade ends between ticks: render right then, so a card is on screen its full time.
  clearTimeout(displayTimer.current);
  if (display.nextChangeAtMs !== null) {
    displayTimer.current = setTimeout(
      () => nowMs.value = Date.now(),
      Math.max(0, display.nextChangeAtMs - now + 1),
    );
  }
  const offer = switchOffer(current);
  const running = current.calls.some((c) => c.status !== "ended");
  const connectionNow = connectionView(connection.value, now);
  const playSample = async () => {
    sample.value = { kind: "starting" };
    sample.value = await playSampleCall();
  };
  return (
    <div class="flex min-h-screen flex-col bg-slate-50 text-slate-900">
      <TopBar call={callStatusView(call, now)} connection={connectionNow} />
      <main class="mx-auto flex w-full max-w-6xl flex-1 flex-col gap-3 px-4 py-3">
        <CallBar
          calls={callOptions(current)}
          followedId={current.followedId}
          onSelect={(id) => state.value = followCall(state.value, id, Date.now())}
          calling={calling.value ? <CallCustomer /> : undefined}
        />
        <TipArea
          current={display.current && { tip: display.current.tip, active: holdsAt(display.current.tip, now) }}
          leaving={display.leaving}
          idle={idleView(call)}
          sample={sampleOffered.value && !running && !lost.value ? sample.value : null}
          onPlaySample={playSample}
        />
        <MeterRow
          display={call?.meters ?? EMPTY_METERS}
          raw={{
            agentLevelDb: call?.metrics?.agent.level_db ?? null,
            customerLevelDb: call?.metrics?.customer.level_db ?? null,
            silenceS: call?.metrics?.silence_s ?? null,
            interruptions: call?.metrics?.interruptions ?? null,
          }}
          targets={props.targets}
          paused={lost.value || call?.status === "ended"}
          banner={lost.value ? <ConnectionBanner connection={connectionNow} /> : undefined}
        />
        <TipList tips={call?.tips ?? []} />
      </main>
      <ServerErrorNote message={current.serverError} />
      {/* Toasts, stacked at the bottom of the window: they cover nothing and move nothing. */}
      <div class="fixed inset-x-0 bottom-4 z-10 mx-auto flex w-fit max-w-[calc(100%-2rem)] flex-col items-center gap-2">
        {current.feedDegraded !== null && <FeedDegradedNote message={current.feedDegraded} />}
        {offer && (
          <SwitchOffer
            label={callLabel(offer)}
            onSwitch={() => state.value = followCall(state.value, offer.id, Date.now())}
            onDismiss={() => state.value = dismissOffer(state.value, offer.id)}
          />
        )}
      </div>
      {CHANNELS.map((channel) => (
        <div
          key={channel}
          aria-live={channel === "high" ? "assertive" : "polite"}
          aria-atomic="true"
          class="sr-only"
          data-testid={`announce-${channel}`}
        >
          {spoken.value[channel]}
        </div>
      ))}
    </div>
  );
}
