/**
 * The AI phrasing against a fake OpenAI-compatible server on loopback (tests/support/fake_model.ts), through
 * the real `openai` client: good answers, hangs, errors and bad answers, the breaker, the cap, the order of a
 * call's tips, and what each request carries.
 */
import assert from "node:assert/strict";
import type { Suggestion } from "../../../core/coaching/types.ts";
import { RULES } from "../../../core/coaching/rules.ts";
import type { PhrasingSettings } from "../../../core/config.ts";
import { createLogger } from "../../../core/log.ts";
import type { SuggestionType } from "../../../core/protocol/ui_messages.ts";
import type { TipStage, TipWording } from "../../../core/session/tip_stage.ts";
import { BREAKER_OPEN_MS, SuggestionPhraser } from "../../../server/phrasing/phraser.ts";
import { FakeModel, type FakeReply } from "../../support/fake_model.ts";

/** A tip as the engine fires it: the rule's wording for this firing, some evidence, the situation. */
function tip(type: SuggestionType, repeat = 0): Suggestion {
  const rule = RULES.find((r) => r.type === type)!;
  const wording = rule.messages[repeat % rule.messages.length];
  return {
    type,
    message: typeof wording === "string" ? wording : `${rule.messages[0]} (evidence)`,
    severity: rule.severity,
    streamMs: 75_400,
    reason: "182 WPM for 5.0 s of speech",
    situation: { repeat, customerRaisedVoice: false, customerAboveUsualDb: 2, talkRatio: 0.62 },
  };
}

type LogLine = { event: string; [field: string]: unknown };

/** A phraser on a fake model answering with `reply`, a fake wall clock, and its log lines. */
function setup(reply: (index: number) => FakeReply, settings: Partial<PhrasingSettings> = {}) {
  const fake = FakeModel.start((_, index) => reply(index));
  const clock = { now: 1_700_000_000_000 };
  const lines: LogLine[] = [];
  const log = createLogger({
    level: "debug",
    now: () => new Date(clock.now),
    write: (l) => lines.push(JSON.parse(l)),
  });
  const phraser = new SuggestionPhraser({
    settings: {
      baseUrl: fake.url,
      model: "fake-model",
      timeoutMs: 400,
      maxInFlight: 4,
      language: "en",
      ...settings,
    },
    log,
    now: () => clock.now,
  });
  return {
    fake,
    phraser,
    clock,
    lines,
    events: () => lines.map((line) => line.event),
    async close() {
      await phraser.idle();
      await fake.close();
    },
  };
}

/** Submits `tip` and resolves with the words it was shown in, and how long that took (ms). */
function phrase(stage: TipStage, submitted: Suggestion): Promise<{ wording: TipWording; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) =>
    stage.submit(submitted, (wording) => resolve({ wording, ms: performance.now() - start }))
  );
}

const GOOD = "Ease off so the customer follows.";

Deno.test("AI phrasing - a good answer is shown as the model's; the request is a plain chat completion", async () => {
  const { fake, phraser, close } = setup(() => ({ content: GOOD, delayMs: 30 }));
  try {
    const { wording } = await phrase(phraser.stage("CA1"), tip("SPEAKING_TOO_FAST"));
    assert.deepEqual(wording, {
      message: "Ease off so the customer follows",
      phrasedBy: "model",
    });
    await phraser.idle();
    const [request] = fake.requests;
    assert.equal(request.path, "/v1/chat/completions");
    assert.equal(request.headers.get("authorization"), null, "no key, no Authorization header");
    assert.equal(request.body.model, "fake-model");
    assert.equal(request.body.max_tokens, 40);
    assert.deepEqual(Object.keys(request.body).sort(), ["max_tokens", "messages", "model", "stream"]);
    assert.deepEqual(request.body.messages.map((m) => m.role), ["system", "user"]);
    assert.match(request.body.messages[0].content, /at most 6 words in English/);
    assert.deepEqual(phraser.health(), {
      enabled: true,
      requests: 1,
      phrased: 1,
      fallbacks: 0,
      fallback_reasons: {},
      timeouts: 0,
      in_flight: 0,
      max_in_flight: 4,
      breaker: "closed",
      breaker_opened: 0,
    });
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - what is sent: the rule, its words, the evidence and the moment, nothing else", async () => {
  const { fake, phraser, close } = setup(() => ({ content: GOOD }), { apiKey: "sk-test-abcdef0123456789" });
  try {
    await phrase(phraser.stage("CA1"), tip("SPEAKING_TOO_FAST", 1));
    assert.equal(fake.requests[0].headers.get("authorization"), "Bearer sk-test-abcdef0123456789");
    assert.deepEqual(fake.facts()[0], {
      tip: "SPEAKING_TOO_FAST",
      severity: "medium",
      fixed_message: tip("SPEAKING_TOO_FAST", 1).message,
      evidence: "182 WPM for 5.0 s of speech",
      seconds_into_call: 75,
      times_given_before: 1,
      customer_voice_raised: false,
      customer_db_above_usual: 2,
      agent_share_of_talk: 0.62,
      last_tips_shown: [],
    });
    assert.ok(!fake.requests[0].text.includes("CA1"), "the session id stays here");
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - a model that hangs: the fixed words at the timeout, the request aborted", async () => {
  const { fake, phraser, events, close } = setup(() => ({ hang: true }), { timeoutMs: 400 });
  try {
    const { wording, ms } = await phrase(phraser.stage("CA1"), tip("SPEAKING_TOO_LOUD"));
    assert.deepEqual(wording, { message: "Lower your voice a little", phrasedBy: "rules" });
    assert.ok(ms >= 380 && ms < 1_500, `shown after ${ms.toFixed(0)} ms (timeout 400 ms, budget 1.5 s)`);
    // The request was aborted, not left to run: the cap's slot is free at once.
    const freed = performance.now();
    await phraser.idle();
    assert.ok(performance.now() - freed < 200, "the request ended with the timeout");
    assert.equal(fake.requests.length, 1, "one request, no retry");
    const health = phraser.health();
    assert.equal(health.timeouts, 1);
    assert.deepEqual(health.fallback_reasons, { timeout: 1 });
    assert.ok(events().includes("phrasing_failed"));
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - errors and bad answers each fall back to the fixed words", async (t) => {
  const cases: [string, FakeReply, string][] = [
    ["HTTP 500", { status: 500, raw: '{"error":{"message":"boom"}}' }, "http_error"],
    ["malformed JSON", { raw: '{"choices": [{"message": ' }, "malformed"],
    ["JSON of the wrong shape", { raw: '{"choices": []}' }, "malformed"],
    ["an over-long answer", {
      content: "Please try to slow down a little bit so that the customer can follow every word",
    }, "too_long"],
    ["an empty answer", { content: "   " }, "empty"],
    ["no content at all", { content: null }, "empty"],
    ["a refusal", { content: "I'm sorry, but I can't help with that." }, "refusal"],
    ["another language", { content: "Parlez plus lentement, s'il vous plaît" }, "wrong_language"],
    ["quotes", { content: '"Slow down a bit"' }, "quotes_or_markup"],
    ["markup", { content: "**Slow** down a bit" }, "quotes_or_markup"],
    ["two sentences", { content: "Slow down. Let them follow you." }, "not_one_sentence"],
    ["a copy of the rules' words", { content: "Slow down a little." }, "same_as_fixed"],
  ];
  for (const [what, reply, reason] of cases) {
    await t.step(what, async () => {
      const { phraser, close } = setup(() => reply);
      try {
        const { wording } = await phrase(phraser.stage("CA1"), tip("SPEAKING_TOO_FAST"));
        assert.deepEqual(wording, { message: "Slow down a little", phrasedBy: "rules" });
        assert.deepEqual(phraser.health().fallback_reasons, { [reason]: 1 });
      } finally {
        await close();
      }
    });
  }
});

Deno.test("AI phrasing - the breaker opens after 3 failures in a row, skips the model 60 s, then closes", async () => {
  let healthy = false;
  const { fake, phraser, clock, events, close } = setup(() => healthy ? { content: GOOD } : { status: 500 });
  try {
    const stage = phraser.stage("CA1");
    for (let i = 0; i < 3; i++) {
      assert.equal((await phrase(stage, tip("SPEAKING_TOO_FAST", i))).wording.phrasedBy, "rules");
    }
    assert.equal(phraser.health().breaker, "open");
    assert.equal(events().filter((e) => e === "phrasing_breaker_opened").length, 1);

    // Open: no request, the fixed words at once.
    const skipped = await phrase(stage, tip("SPEAKING_TOO_FAST", 3));
    assert.equal(skipped.wording.phrasedBy, "rules");
    assert.ok(skipped.ms < 50, `shown after ${skipped.ms} ms`);
    assert.equal(fake.requests.length, 3);
    assert.equal(phraser.health().fallback_reasons.breaker_open, 1);

    clock.now += BREAKER_OPEN_MS - 1;
    phraser.tick(clock.now);
    assert.equal(phraser.health().breaker, "open", "still open a millisecond before the minute");
    clock.now += 1;
    phraser.tick(clock.now);
    assert.equal(phraser.health().breaker, "closed");
    assert.ok(events().includes("phrasing_breaker_closed"));

    healthy = true;
    assert.equal((await phrase(stage, tip("SPEAKING_TOO_FAST", 4))).wording.phrasedBy, "model");
    assert.equal(fake.requests.length, 4);
    assert.equal(phraser.health().breaker_opened, 1);
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - the cap on requests in flight holds: a tip over it gets the fixed words at once", async () => {
  const { fake, phraser, close } = setup(() => ({ hang: true }), { maxInFlight: 2, timeoutMs: 1_000 });
  const stages = [phraser.stage("CA1"), phraser.stage("CA2"), phraser.stage("CA3")];
  try {
    const waiting = [
      phrase(stages[0], tip("SPEAKING_TOO_FAST")),
      phrase(stages[1], tip("SPEAKING_TOO_LOUD")),
    ];
    const third = await phrase(stages[2], tip("TOO_MUCH_SILENCE"));
    assert.deepEqual(third.wording, {
      message: "Check in with the customer",
      phrasedBy: "rules",
    });
    assert.ok(third.ms < 50, `shown after ${third.ms} ms`);
    assert.equal(phraser.health().in_flight, 2);
    assert.equal(phraser.health().fallback_reasons.busy, 1);
    await waitUntil(() => fake.requests.length === 2, "two requests at the fake");
    for (const stage of stages) stage.close();
    for (const { wording } of await Promise.all(waiting)) assert.equal(wording.phrasedBy, "rules");
    await phraser.idle();
    assert.equal(fake.requests.length, 2, "never more than the cap");
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - a model answer is never shown twice in a row for one rule", async () => {
  const { fake, phraser, close } = setup(() => ({ content: GOOD }));
  try {
    const stage = phraser.stage("CA1");
    assert.equal((await phrase(stage, tip("SPEAKING_TOO_FAST", 0))).wording.phrasedBy, "model");
    const second = await phrase(stage, tip("SPEAKING_TOO_FAST", 1));
    assert.deepEqual(second.wording, { message: tip("SPEAKING_TOO_FAST", 1).message, phrasedBy: "rules" });
    assert.deepEqual(phraser.health().fallback_reasons, { repeat: 1 });
    assert.deepEqual(fake.facts()[1].last_tips_shown, ["Ease off so the customer follows"]);
    // One request per tip, never a retry.
    assert.equal(fake.requests.length, 2);
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - a call's tips keep their order; the call's end shows a waiting tip at once", async () => {
  const { fake, phraser, close } = setup(() => ({ hang: true }), { timeoutMs: 1_000 });
  try {
    const stage = phraser.stage("CA1");
    const shown: string[] = [];
    stage.submit(tip("SPEAKING_TOO_LOUD"), (w) => shown.push(`${w.phrasedBy}: ${w.message}`));
    assert.equal(shown.length, 0, "waiting for the model");
    stage.submit(tip("INTERRUPTING_CUSTOMER"), (w) => shown.push(`${w.phrasedBy}: ${w.message}`));
    assert.deepEqual(shown, ["rules: Lower your voice a little"], "the older tip goes first");
    stage.close();
    assert.deepEqual(shown, [
      "rules: Lower your voice a little",
      "rules: Let the customer finish",
    ]);
    await phraser.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(shown.length, 2, "nothing after the end");
    assert.deepEqual(phraser.health().fallback_reasons, { superseded: 1, call_ended: 1 });
    assert.ok(fake.requests.length <= 2);
  } finally {
    await close();
  }
});

Deno.test("AI phrasing - an answer that comes after the timeout is not shown again", async () => {
  const { phraser, close } = setup(() => ({ content: GOOD, delayMs: 600 }), { timeoutMs: 200 });
  try {
    const shown: TipWording[] = [];
    phraser.stage("CA1").submit(tip("SPEAKING_TOO_FAST"), (w) => shown.push(w));
    await waitUntil(() => shown.length === 1, "the fixed words at the timeout");
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(shown, [{ message: "Slow down a little", phrasedBy: "rules" }]);
  } finally {
    await close();
  }
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("AI phrasing - the log repeats the counts once a minute while they change", async () => {
  const { phraser, clock, lines, close } = setup(() => ({ content: GOOD }));
  try {
    await phrase(phraser.stage("CA1"), tip("SPEAKING_TOO_FAST"));
    await phraser.idle();
    const stats = () => lines.filter((line) => line.event === "phrasing_stats");
    phraser.tick(clock.now + 59_999);
    assert.equal(stats().length, 0, "not before a minute");
    clock.now += 60_000;
    phraser.tick(clock.now);
    assert.equal(stats().length, 1);
    const { event: _, ts: __, level: ___, ...counts } = stats()[0];
    const { in_flight: ____, ...health } = phraser.health();
    assert.deepEqual(counts, health, "the same counts as /health");
    clock.now += 60_000;
    phraser.tick(clock.now);
    assert.equal(stats().length, 1, "nothing new, nothing logged");
  } finally {
    await close();
  }
});
