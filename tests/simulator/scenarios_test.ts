/** The scenario table: well-formed scripts whose rule-breaking voices follow the coaching thresholds. */
import assert from "node:assert/strict";
import { CoachingConfigSchema, defaultCoachingConfig } from "../../core/coaching/config.ts";
import { SUGGESTION_TYPES } from "../../core/coaching/types.ts";
import { buildScenarios, isScenarioName, NORMAL_VOICES, SCENARIO_NAMES } from "../../simulator/scenarios.ts";

Deno.test("Scenarios - every scenario is well formed", () => {
  const scenarios = buildScenarios();
  for (const name of SCENARIO_NAMES) {
    const s = scenarios[name];
    assert.equal(s.name, name);
    assert.ok(s.description.length > 10, name);
    for (const u of [...s.agent, ...s.customer]) {
      assert.ok(
        u.startMs >= 0 && u.startMs + u.durationMs <= s.durationMs,
        `${name}: utterance inside the call`,
      );
    }
    for (const e of s.expect) {
      assert.ok(e.fromMs < e.toMs && e.toMs <= s.durationMs + 2_000, `${name}: window of ${e.type}`);
    }
  }
  assert.deepEqual(scenarios.normal.expect, []);
  assert.ok(isScenarioName("tour") && !isScenarioName("nope"));
});

Deno.test("Scenarios - the tour expects every tip and lasts about two minutes", () => {
  const { tour } = buildScenarios();
  assert.deepEqual([...new Set(tour.expect.map((e) => e.type))].sort(), [...SUGGESTION_TYPES].sort());
  assert.ok(tour.durationMs >= 100_000 && tour.durationMs <= 140_000, `${tour.durationMs} ms`);
  const others = SCENARIO_NAMES.filter((n) => n !== "tour" && n !== "normal").map((n) => buildScenarios()[n]);
  for (const s of others) {
    for (const e of s.expect) assert.ok(tour.expect.some((t) => t.type === e.type), e.type);
  }
});

Deno.test("Scenarios - rule-breaking voices follow the coaching thresholds", () => {
  const c = defaultCoachingConfig;
  const s = buildScenarios(c);
  assert.ok(s.fast.agent.some((u) => u.wpm > c.fastWpm + 20));
  assert.ok(s.slow.agent.some((u) => u.wpm < c.slowWpm - 20));
  assert.ok(s.loud.agent.some((u) => u.levelDb > c.loudDb + 2));
  assert.ok(s.soft.agent.some((u) => u.levelDb < c.softDb - 2));
  assert.ok(s.tense.customer.some((u) => u.levelDb >= NORMAL_VOICES.customer.levelDb + c.raisedVoiceDb + 2));
  // Normal voices keep clear of every threshold.
  const agent = NORMAL_VOICES.agent;
  assert.ok(agent.wpm > c.slowWpm + 15 && agent.wpm < c.fastWpm - 15);
  assert.ok(agent.levelDb < c.loudDb - 5 && agent.levelDb > c.softDb + 5);

  const retuned = buildScenarios(CoachingConfigSchema.parse({ fastWpm: 200, silenceMs: 5_000 }));
  assert.ok(retuned.fast.agent.some((u) => u.wpm > 220), "a retuned server gets a faster 'fast' agent");
  assert.match(retuned.silence.description, /6\.5 s/);
});

Deno.test("Scenarios - backchannels are shorter than an interruption and than a turn", () => {
  const c = defaultCoachingConfig;
  const { interrupt, monologue } = buildScenarios();
  const short = [...interrupt.customer, ...monologue.customer].filter((u) => u.singlePhrase);
  assert.ok(short.length >= 5);
  for (const u of short) assert.ok(u.durationMs < Math.min(c.interruptOverlapMs, c.turnMinMs));
});

Deno.test("Scenarios - real lines: echo 25-30 dB down on both tracks, a speakerphone's 15 dB", () => {
  const { echo, speakerphone } = buildScenarios();
  for (const party of ["agent", "customer"] as const) {
    const loss = echo.line?.[party]?.echo?.lossDb ?? 0;
    assert.ok(loss >= 25 && loss <= 30, `${party} echo ${loss} dB`);
  }
  assert.equal(speakerphone.line?.agent?.echo?.lossDb, 15);
  for (const s of [echo, speakerphone]) assert.deepEqual(s.expect, []);
});

Deno.test("Scenarios - a calm 10-minute call: both sides, voices that vary, backchannels both ways, echo, noise", () => {
  const { calm_10min: call, chatty } = buildScenarios();
  assert.ok(call.durationMs >= 600_000, `${call.durationMs} ms`);
  assert.deepEqual(call.expect, []);
  const backchannels = (party: "agent" | "customer", s = call) =>
    s[party].filter((u) => u.singlePhrase).length;
  assert.ok(backchannels("agent") >= 50 && backchannels("customer") >= 50, "backchannels both ways, often");
  assert.ok(new Set(call.agent.map((u) => u.pitchHz)).size >= 5, "the voices vary from turn to turn");
  assert.ok(
    call.line?.agent?.echo && call.line.agent.noiseDb !== undefined &&
      call.line.customer?.noiseDb !== undefined,
  );
  assert.ok(backchannels("agent", chatty) >= 5 && backchannels("customer", chatty) >= 5);
});

Deno.test("Scenarios - the slow agent is slow by only 10 WPM", () => {
  const c = defaultCoachingConfig;
  const { slow_agent } = buildScenarios(c);
  assert.ok(slow_agent.agent.some((u) => u.wpm === c.slowWpm - 10));
  assert.deepEqual(slow_agent.expect.map((e) => e.type), ["SPEAKING_TOO_SLOW"]);
});

Deno.test("Scenarios - backchannels stay inside the turn they answer, however the thresholds are tuned", () => {
  for (const monologueMs of [defaultCoachingConfig.monologueMs, 20_000]) {
    const scenarios = buildScenarios(CoachingConfigSchema.parse({ monologueMs }));
    for (const name of SCENARIO_NAMES) {
      const s = scenarios[name];
      for (const [who, other] of [["agent", "customer"], ["customer", "agent"]] as const) {
        for (const short of s[who].filter((u) => u.singlePhrase)) {
          const end = short.startMs + short.durationMs;
          assert.ok(
            s[other].some((u) =>
              !u.singlePhrase && u.startMs <= short.startMs && end <= u.startMs + u.durationMs
            ),
            `${name} (monologue ${monologueMs} ms): ${who}'s backchannel at ${short.startMs} ms is inside no turn`,
          );
        }
      }
    }
    // A shorter monologue keeps the backchannels that fit in it.
    const heard = scenarios.monologue.customer.filter((u) => u.singlePhrase).length;
    assert.equal(heard, monologueMs === 20_000 ? 2 : 3);
  }
});
