import assert from "node:assert/strict";
import type { MetricsData } from "../../core/protocol/ui_messages.ts";
import {
  EMPTY_METERS,
  LISTENING_AFTER_MS,
  type MeterDisplay,
  nextMeterDisplay,
  NUMBER_UPDATE_MS,
  talkShares,
  VERDICT_HOLD_MS,
} from "../../islands/meter_display.ts";

const TARGETS = { paceWpm: { min: 110, max: 160 }, levelDb: { min: -38, max: -16 } };

function metrics(over: {
  wpm?: number | null;
  levelDb?: number | null;
  speaking?: boolean;
  customerDb?: number | null;
  customerSpeaking?: boolean;
  raised?: boolean;
  ratio?: number | null;
}): MetricsData {
  return {
    stream_ms: 0,
    agent: { speaking: over.speaking ?? true, level_db: over.levelDb ?? -26, wpm: over.wpm ?? 140 },
    customer: { speaking: over.customerSpeaking ?? false, level_db: over.customerDb ?? null, wpm: null },
    silence_s: 0,
    interruptions: 0,
    talk_ratio: over.ratio === undefined ? 0.5 : over.ratio,
    customer_raised: over.raised ?? false,
  };
}

/** Feeds one message every 250 ms (the server's rate); returns every display. */
function feed(messages: MetricsData[], start: MeterDisplay = EMPTY_METERS): MeterDisplay[] {
  const shown: MeterDisplay[] = [];
  let display = start;
  messages.forEach((m, i) => shown.push(display = nextMeterDisplay(display, m, i * 250, TARGETS)));
  return shown;
}

function changes<T>(values: T[]): number {
  return values.filter((v, i) => i > 0 && v !== values[i - 1]).length;
}

Deno.test("Meter display - a steady 160 words per minute with noise never flip-flops", () => {
  // 60 s around the threshold: 160 ± 6, as a real measurement wobbles.
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 12;
  const shown = feed(Array.from({ length: 240 }, () => metrics({ wpm: 160 + noise() })));
  const verdicts = shown.map((d) => d.pace.value);
  assert.ok(changes(verdicts) <= 1, `verdicts: ${changes(verdicts)} changes`);
  const numbers = shown.map((d) => d.wpm);
  assert.ok(numbers.every((n) => n !== null && n % 5 === 0), "rounded to 5");
  // At most one change per NUMBER_UPDATE_MS.
  const changedAt = shown.flatMap((d, i) => i > 0 && d.wpm !== shown[i - 1].wpm ? [i * 250] : []);
  changedAt.forEach((t, i) => i > 0 && assert.ok(t - changedAt[i - 1] >= NUMBER_UPDATE_MS));
});

Deno.test("Meter display - a verdict changes once the new one has held, and a real change shows", () => {
  const shown = feed([
    ...Array.from({ length: 8 }, () => metrics({ wpm: 140 })),
    ...Array.from({ length: 20 }, () => metrics({ wpm: 190 })),
  ]);
  assert.equal(shown[7].pace.value, "good");
  const firstFast = shown.findIndex((d) => d.pace.value === "fast");
  assert.equal(firstFast * 250 - 8 * 250, VERDICT_HOLD_MS, "Too fast after the hold");
  // The volume: too loud above the zone, too quiet below it.
  assert.equal(feed([metrics({ levelDb: -13 })])[0].volume.value, "loud");
  assert.equal(feed([metrics({ levelDb: -44 })])[0].volume.value, "quiet");
  assert.equal(feed([metrics({ levelDb: -26 })])[0].volume.value, "good");
});

Deno.test("Meter display - the customer is Calm or Raised once heard; Listening only after a real pause", () => {
  const shown = feed([
    metrics({ customerDb: null }),
    metrics({ customerDb: -27, customerSpeaking: true }),
    ...Array.from({ length: 12 }, () => metrics({ customerDb: -15, customerSpeaking: true, raised: true })),
  ]);
  assert.equal(shown[0].mood.value, null);
  assert.equal(shown[1].mood.value, "calm");
  assert.equal(shown.at(-1)!.mood.value, "raised");
  // Speaking for a while, then pauses shorter than LISTENING_AFTER_MS do not flicker.
  const talk = feed(
    Array.from({ length: 40 }, (_, i) => metrics({ speaking: i % 4 !== 3 })), // a 250 ms pause each second
  );
  assert.equal(changes(talk.map((d) => d.agentSpeaking)), 0);
  const stop = feed([
    metrics({ speaking: true }),
    ...Array.from({ length: 10 }, () => metrics({ speaking: false })),
  ]);
  const listeningAt = stop.findIndex((d) => !d.agentSpeaking) * 250;
  assert.equal(listeningAt, LISTENING_AFTER_MS);
});

Deno.test("Meter display - the two talk shares always add up to 100", () => {
  for (const ratio of [0, 0.005, 0.185, 0.5, 0.505, 0.815, 0.8149, 0.995, 1]) {
    const { agent, customer } = talkShares(ratio);
    assert.equal(agent + customer, 100, `ratio ${ratio}`);
  }
  assert.deepEqual(talkShares(0.815), { agent: 82, customer: 18 });
  assert.equal(feed([metrics({ ratio: null })])[0].talk, null);
});

Deno.test("Meter display - the pace number going unknown and back waits its second too", () => {
  const shown = feed([
    metrics({ wpm: 140 }),
    ...Array.from(
      { length: 2 },
      () => ({ ...metrics({}), agent: { speaking: false, level_db: -26, wpm: null } }),
    ),
    ...Array.from({ length: 8 }, () => metrics({ wpm: 150 })),
  ]);
  const changes = shown.flatMap((d, i) => i > 0 && d.wpm !== shown[i - 1].wpm ? [[i * 250, d.wpm]] : []);
  assert.deepEqual(changes, [[1000, 150]], "140 stays its second, then the current value");
});
