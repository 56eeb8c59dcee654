/**
 * How the simulator prints what happens: tips as they arrive, with stream time, and the end-of-call
 * summary of expected against seen tips.
 *
 * @module
 */
import type { SuggestionData } from "../core/protocol/ui_messages.ts";
import type { Scenario } from "./scenarios.ts";
import type { Verdict } from "./verdict.ts";

/** `mm:ss.d` of a stream time in ms. */
export function formatStreamTime(ms: number): string {
  const tenths = Math.floor(Math.max(0, ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths % 600) / 10;
  return `${String(minutes).padStart(2, "0")}:${seconds.toFixed(1).padStart(4, "0")}`;
}

/**
 * One tip: `[00:12.4] medium SPEAKING_TOO_FAST  Slow down a little — About 185 words a minute; …`, with
 * `(AI)` after the message when a language model worded it.
 */
export function formatTip(tip: SuggestionData): string {
  return `[${formatStreamTime(tip.stream_ms)}] ${tip.severity.padEnd(6)} ${
    tip.type.padEnd(22)
  } ${tip.message}${tip.phrased_by === "model" ? " (AI)" : ""} — ${tip.reason}`;
}

/** The scenario list for `--list`. */
export function formatScenarioList(scenarios: readonly Scenario[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  return scenarios.map((s) => {
    const expected = s.expect.length === 0 ? "no tips" : s.expect.map((e) => e.type).join(", ");
    return `${s.name.padEnd(width)}  ${(s.durationMs / 1000).toFixed(0).padStart(3)} s  ${s.description}\n` +
      `${"".padEnd(width)}         expects: ${expected}`;
  }).join("\n");
}

/** The end-of-call summary lines. */
export function formatVerdict(verdict: Verdict): string[] {
  const window = (from: number, to: number) => `${formatStreamTime(from)}–${formatStreamTime(to)}`;
  const lines = ["Expected tips:"];
  if (verdict.matched.length === 0 && verdict.missing.length === 0) lines.push("  (none)");
  for (const { expected, tip } of verdict.matched) {
    lines.push(
      `  ok       ${expected.type.padEnd(22)} at ${formatStreamTime(tip.streamMs)}` +
        `  (expected ${window(expected.fromMs, expected.toMs)})`,
    );
  }
  for (const expected of verdict.missing) {
    lines.push(`  MISSING  ${expected.type.padEnd(22)} expected ${window(expected.fromMs, expected.toMs)}`);
  }
  lines.push(verdict.unexpected.length === 0 ? "Unexpected tips: none" : "Unexpected tips (must not fire):");
  for (const tip of verdict.unexpected) {
    lines.push(`  UNEXPECTED ${tip.type.padEnd(22)} at ${formatStreamTime(tip.streamMs)}`);
  }
  for (const tip of verdict.tolerated) {
    lines.push(`  tolerated ${tip.type.padEnd(22)} at ${formatStreamTime(tip.streamMs)}`);
  }
  return lines;
}
