/**
 * Every rule's wordings, walked through repeated firings: 3–4 per rule, at most six words, each used in turn,
 * never the same words twice in a row for one rule, the same sequence when the call replays.
 */
import assert from "node:assert/strict";
import { CoachingConfigSchema } from "../../../core/coaching/config.ts";
import { RULES } from "../../../core/coaching/rules.ts";
import type { Suggestion } from "../../../core/coaching/types.ts";
import type { SuggestionType } from "../../../core/protocol/ui_messages.ts";
import { type PartyScript, runCall, script, talking } from "./synthetic.ts";

/** Short cooldowns and no global throttle, so each rule fires many times in a few minutes of stream time. */
const config = Object.freeze(CoachingConfigSchema.parse({
  minGapMs: 0,
  fastCooldownMs: 1_000,
  slowCooldownMs: 1_000,
  loudCooldownMs: 1_000,
  softCooldownMs: 1_000,
  interruptCooldownMs: 1_000,
  silenceCooldownMs: 1_000,
  monologueCooldownMs: 5_000,
  raisedCooldownMs: 1_000,
  talkRatioCooldownMs: 1_000,
}));

/** For each rule, a call in which its condition keeps coming back: [agent, customer, stream ms]. */
const CALLS: Record<SuggestionType, [PartyScript, PartyScript, number]> = {
  SPEAKING_TOO_FAST: [[{ from: 0, to: 90_000, wpm: 182 }], [], 90_000],
  SPEAKING_TOO_SLOW: [[{ from: 0, to: 120_000, wpm: 92 }], [], 120_000],
  SPEAKING_TOO_LOUD: [[{ from: 0, to: 60_000, activeLevelDb: -12 }], [], 60_000],
  SPEAKING_TOO_SOFT: [[{ from: 0, to: 80_000, activeLevelDb: -43 }], [], 80_000],
  // The agent starts a second into each customer turn and talks over it for 1.5 s.
  INTERRUPTING_CUSTOMER: [talking(1_000, 80_000, 1_500, 2_500), talking(0, 80_000, 3_000, 1_000), 80_000],
  // 4 s of joint silence after every 2 s of agent speech.
  TOO_MUCH_SILENCE: [talking(0, 100_000, 2_000, 4_000), [], 100_000],
  CONTINUOUS_SPEAKING: [[{ from: 0, to: 120_000 }], [], 120_000],
  // 10 s at the customer's usual level, then a raised voice that stays.
  CUSTOMER_RAISED_VOICE: [
    [],
    script([{ from: 0, to: 10_000, levelDb: -26 }], [
      { from: 10_000, to: 100_000, levelDb: -16 },
    ]),
    100_000,
  ],
  // The agent talks 80 % of the time, the customer fills the gaps.
  TALK_RATIO_HIGH: [talking(0, 200_000, 4_000, 1_000), talking(4_000, 200_000, 1_000, 4_000), 200_000],
};

function wordsOf(text: string): number {
  return text.trim().split(/\s+/).length;
}

function firingsOf(type: SuggestionType): Suggestion[] {
  const [agent, customer, durationMs] = CALLS[type];
  return runCall(agent, customer, durationMs, config).tips.filter((tip) => tip.type === type);
}

Deno.test("Tip wordings - every rule has 3 or 4, the first is its own message", () => {
  for (const rule of RULES) {
    assert.ok(
      rule.messages.length >= 3 && rule.messages.length <= 4,
      `${rule.type}: ${rule.messages.length}`,
    );
    assert.equal(typeof rule.messages[0], "string", `${rule.type}: the first wording is fixed text`);
  }
  // Some wordings quote the evidence; at least one per rule for most rules.
  const withEvidence = RULES.filter((rule) => rule.messages.some((m) => typeof m === "function"));
  assert.ok(withEvidence.length >= 7, `${withEvidence.length} rules quote their evidence`);
});

Deno.test("Tip wordings - every rule walked through repeated firings", async (t) => {
  for (const rule of RULES) {
    await t.step(rule.type, () => {
      const tips = firingsOf(rule.type);
      const count = rule.messages.length;
      // Twice round the wordings at least, so the wrap-around is walked too.
      assert.ok(tips.length >= 2 * count, `${rule.type} fired ${tips.length} times, wanted ${2 * count}`);
      const texts = tips.map((tip) => tip.message);
      for (const [i, text] of texts.entries()) {
        assert.equal(tips[i].situation.repeat, i, `${rule.type}: firing ${i} knows it is repeat ${i}`);
        assert.ok(wordsOf(text) <= 6, `${rule.type}: "${text}" has ${wordsOf(text)} words`);
        assert.ok(text.length >= 10, `${rule.type}: "${text}" is too short to say what to do`);
        assert.doesNotMatch(text, /[A-Z]{4,}|!|undefined|NaN|null/, `${rule.type}: "${text}"`);
        if (i > 0) assert.notEqual(text, texts[i - 1], `${rule.type}: the same words twice in a row`);
      }
      // Each wording is used in turn; one that quotes the evidence shows a number.
      for (let i = 0; i < 2 * count; i++) {
        const wording = rule.messages[i % count];
        if (typeof wording === "string") assert.equal(texts[i], wording, `${rule.type} firing ${i}`);
        else assert.match(texts[i], /\d/, `${rule.type} firing ${i} quotes its evidence: "${texts[i]}"`);
      }
      assert.equal(new Set(texts.slice(0, count)).size, count, `${rule.type}: ${count} different wordings`);
    });
  }
});

Deno.test("Tip wordings - a replayed call reads the same words", () => {
  for (const rule of RULES) {
    const first = firingsOf(rule.type).map((tip) => tip.message);
    assert.deepEqual(firingsOf(rule.type).map((tip) => tip.message), first, rule.type);
  }
});

Deno.test("Tip wordings - the situation a model may be told is numbers about the moment", () => {
  const raised = firingsOf("CUSTOMER_RAISED_VOICE")[0];
  assert.equal(raised.situation.customerRaisedVoice, true);
  assert.ok((raised.situation.customerAboveUsualDb ?? 0) >= 6, JSON.stringify(raised.situation));
  const ratio = firingsOf("TALK_RATIO_HIGH")[0].situation.talkRatio;
  assert.ok(ratio !== null && ratio > 0.75 && ratio < 0.85, `talk ratio ${ratio}`);
  const fast = firingsOf("SPEAKING_TOO_FAST")[0].situation;
  assert.deepEqual(fast, { repeat: 0, customerRaisedVoice: false, customerAboveUsualDb: null, talkRatio: 1 });
});
