/**
 * Every component in every state it can take, rendered once on the server only to collect CSS.
 *
 * The page is server-rendered in its empty state and the island later shows cards, pickers and pills that
 * were not in that HTML. The browser has no twind runtime, so the CSS for all of them must already be in the
 * inlined <style>; rendering the real components here (not a hand-written class list) keeps it complete.
 */
import type { MetricsData, Severity, SuggestionData } from "../core/protocol/ui_messages.ts";
import { CallPicker } from "./call_picker.tsx";
import { MeterRow } from "./meters.tsx";
import { EarlierTips, type TipView } from "./suggestion_card.tsx";
import { CurrentTips } from "./suggestion_feed.tsx";
import { ServerErrorNote, TopBar } from "./top_bar.tsx";
import { CLICK_TO_CALL_SAMPLE_STATES, ClickToCallForm } from "./click_to_call.tsx";

function sampleTip(severity: Severity): TipView {
  const data: SuggestionData = {
    type: "SPEAKING_TOO_FAST",
    message: "Slow down a little",
    fixed_message: "Slow down a little",
    // One sample worded by a model, so the AI marker's classes are collected too.
    phrased_by: severity === "high" ? "model" : "rules",
    severity,
    timestamp: "2026-01-01T00:00:00.000Z",
    stream_ms: 1000,
    reason: "182 WPM over 6 s",
  };
  return { ...data, key: severity };
}

const SAMPLE_METRICS: MetricsData[] = [80, 135, 200].map((wpm) => ({
  stream_ms: 1000,
  agent: { speaking: true, level_db: -20, wpm },
  customer: { speaking: false, level_db: null, wpm: null },
  silence_s: 1.5,
  interruptions: 2,
  talk_ratio: 0.6,
}));

/** All variants; the markup is thrown away, only the class names matter. */
export function StyleSamples() {
  const severities: Severity[] = ["low", "medium", "high"];
  const calls = [{ id: "a", label: "Call …a" }, { id: "b", label: "Call …b" }];
  return (
    <div>
      <TopBar call={{ kind: "none" }} connection={{ kind: "connecting" }} />
      <TopBar call={{ kind: "waiting" }} connection={{ kind: "connected" }} />
      <TopBar call={{ kind: "live", elapsedMs: 1000 }} connection={{ kind: "reconnecting", inSeconds: 2 }} />
      <TopBar call={{ kind: "ended", durationMs: 1000 }} connection={{ kind: "offline" }} />
      <ServerErrorNote message="sample" />
      <CallPicker calls={calls.slice(0, 1)} selected={null} shownId="a" />
      <CallPicker calls={calls} selected="b" shownId="b" />
      <CurrentTips current={[]} hadTips={false} />
      {severities.map((severity) => (
        <CurrentTips
          key={severity}
          current={[{ tip: sampleTip(severity), phase: "shown" }, {
            tip: sampleTip(severity),
            phase: "leaving",
          }]}
          hadTips
        />
      ))}
      <EarlierTips tips={severities.map(sampleTip)} />
      <MeterRow metrics={null} />
      {SAMPLE_METRICS.map((metrics) => <MeterRow key={metrics.agent.wpm} metrics={metrics} />)}
      {CLICK_TO_CALL_SAMPLE_STATES.map((state, i) => <ClickToCallForm key={i} number="" state={state} />)}
    </div>
  );
}
