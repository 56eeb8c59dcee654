/**
 * Every component in every state it can take, rendered once on the server only to collect CSS.
 *
 * The page is server-rendered in its empty state and the island later shows cards, pickers and pills that
 * were not in that HTML. The browser has no twind runtime, so the CSS for all of them must already be in the
 * inlined <style>; rendering the real components here (not a hand-written class list) keeps it complete.
 */
import { type SuggestionData, SuggestionTypeSchema } from "../core/protocol/ui_messages.ts";
import { EMPTY_METERS, type MeterDisplay, type MeterTargets } from "../islands/meter_display.ts";
import { CallBar, SwitchOffer } from "./call_bar.tsx";
import { CallCustomer, CallCustomerPanel, CLICK_TO_CALL_SAMPLE_STATES } from "./click_to_call.tsx";
import { MeterRow } from "./meters.tsx";
import { SAMPLE_CALL_SAMPLE_STATES } from "./sample_call.tsx";
import { TipList, type TipView } from "./suggestion_card.tsx";
import { TipArea, type TipAreaIdle } from "./tip_area.tsx";
import { ConnectionBanner, FeedDegradedNote, ServerErrorNote, TopBar } from "./top_bar.tsx";

const SEVERITIES = ["low", "medium", "high"] as const;
const TARGETS: MeterTargets = { paceWpm: { min: 110, max: 160 }, levelDb: { min: -38, max: -16 } };

/** One tip of every type, with each severity in turn. */
const TIPS: TipView[] = SuggestionTypeSchema.options.map((type, i) => {
  const data: SuggestionData = {
    id: String(i + 1),
    type,
    // One long message (a model's words), so the smaller size long messages take is collected too.
    message: i === 0 ? "Acknowledge their frustration before answering" : "Slow down a little",
    fixed_message: "Slow down a little",
    // Some worded by a model, so the AI marker's classes are collected too.
    phrased_by: i % 2 === 0 ? "model" : "rules",
    severity: SEVERITIES[i % 3],
    timestamp: "2026-01-01T00:00:00.000Z",
    stream_ms: 1000,
    reason: "About 185 words a minute; aim for 110–160",
    active: true,
  };
  return { ...data, key: data.id };
});

const settled = <T,>(value: T) => ({ value, pending: value, pendingSinceMs: 0 });
const DISPLAYS: MeterDisplay[] = [
  EMPTY_METERS,
  ...(["slow", "good", "fast"] as const).map((pace, i) => ({
    ...EMPTY_METERS,
    wpm: 100 + 50 * i,
    pace: settled(pace),
    volume: settled((["quiet", "good", "loud"] as const)[i]),
    mood: settled(i === 2 ? "raised" as const : "calm" as const),
    agentSpeaking: i === 1,
    talk: { agent: 60, customer: 40 },
  })),
];
const RAW = { agentLevelDb: -20, customerLevelDb: -25, silenceS: 1.5, interruptions: 2 };
const IDLE: TipAreaIdle[] = [
  { kind: "no_call" },
  { kind: "connecting" },
  { kind: "listening" },
  { kind: "ended", summary: "3 tips" },
];

/** All variants; the markup is thrown away, only the class names matter. */
export function StyleSamples() {
  const calls = [{ id: "a", label: "Call 1" }, { id: "b", label: "Call 2" }];
  return (
    <div>
      <TopBar call={{ kind: "none" }} connection={{ kind: "connecting" }} />
      <TopBar call={{ kind: "waiting" }} connection={{ kind: "connected" }} />
      <TopBar call={{ kind: "live", elapsedMs: 1000 }} connection={{ kind: "reconnecting", inSeconds: 2 }} />
      <TopBar call={{ kind: "ended", durationMs: 1000 }} connection={{ kind: "offline" }} />
      <ConnectionBanner connection={{ kind: "offline" }} />
      <ServerErrorNote message="sample" />
      <FeedDegradedNote message="sample" />
      {[[], calls.slice(0, 1), calls].map((list, i) => (
        <CallBar key={i} calls={list} followedId="a" calling={<CallCustomer />} />
      ))}
      <SwitchOffer label="Call 2" />
      {TIPS.map((tip) => (
        <TipArea key={tip.key} current={{ tip, active: true }} leaving={tip} idle={IDLE[0]} sample={null} />
      ))}
      {IDLE.map((idle) =>
        SAMPLE_CALL_SAMPLE_STATES.map((sample, i) => (
          <TipArea key={`${idle.kind}${i}`} current={null} leaving={null} idle={idle} sample={sample} />
        ))
      )}
      <TipList tips={TIPS} />
      {DISPLAYS.map((display, i) => (
        <MeterRow key={i} display={display} raw={RAW} targets={TARGETS} paused={i === 0} />
      ))}
      {CLICK_TO_CALL_SAMPLE_STATES.map((state, i) => <CallCustomerPanel key={i} number="" state={state} />)}
    </div>
  );
}
