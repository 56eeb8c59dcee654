import assert from "node:assert/strict";
import { expect } from "expect";
import { defaultCoachingConfig } from "../../../core/coaching/config.ts";
import { CoachingEngine } from "../../../core/coaching/engine.ts";
import { runCall, script, talking, timesOf } from "./synthetic.ts";

/** The tip must come in the slot the hold completes (`doneMs` is the end of that slot) or within 500 ms. */
function assertOnTime(actual: number | undefined, doneMs: number): void {
  assert.ok(actual !== undefined, `expected a tip once the hold completes at ${doneMs} ms`);
  assert.ok(
    actual >= doneMs - 20 && actual <= doneMs + 500,
    `tip at ${actual} ms, hold completes at ${doneMs} ms`,
  );
}

Deno.test("CoachingEngine - SPEAKING_TOO_FAST after 5 s of fast agent speech", () => {
  const { tips } = runCall([{ from: 0, to: 20_000, wpm: 182 }], [], 20_000);
  expect(tips.map((t) => t.type)).toEqual(["SPEAKING_TOO_FAST"]);
  assertOnTime(tips[0].streamMs, 5_000);
  expect(tips[0]).toMatchObject({ severity: "medium", message: "Slow down a little" });
  expect(tips[0].reason).toBe("About 180 words a minute; aim for 110\u2013160");
});

Deno.test("CoachingEngine - hold counts the agent's own speech time, pauses do not reset it", () => {
  // 2 s talk, 1 s pause: the fifth second of speech ends at 7 s of stream time.
  const { tips } = runCall(talking(0, 20_000, 2_000, 1_000, { wpm: 175 }), [], 20_000);
  assertOnTime(timesOf(tips, "SPEAKING_TOO_FAST")[0], 7_000);
});

Deno.test("CoachingEngine - SPEAKING_TOO_SLOW after 10 s of slow agent speech", () => {
  // 4 s talk, 0.5 s pause: 10 s of speech ends at 4.5 + 4.5 + 2 = 11 s.
  const { tips } = runCall(talking(0, 30_000, 4_000, 500, { wpm: 92 }), [], 30_000);
  expect(tips.map((t) => t.type)).toEqual(["SPEAKING_TOO_SLOW"]);
  assertOnTime(tips[0].streamMs, 11_000);
  expect(tips[0].severity).toBe("low");
});

Deno.test("CoachingEngine - SPEAKING_TOO_LOUD and SPEAKING_TOO_SOFT", () => {
  const loud = runCall([{ from: 0, to: 10_000, activeLevelDb: -12.4 }], [], 10_000).tips;
  expect(loud.map((t) => t.type)).toEqual(["SPEAKING_TOO_LOUD"]);
  assertOnTime(loud[0].streamMs, 3_000);
  expect(loud[0].reason).toBe("Your voice has been loud for 3 seconds of speech");

  const soft = runCall([{ from: 0, to: 10_000, activeLevelDb: -43 }], [], 10_000).tips;
  expect(soft.map((t) => t.type)).toEqual(["SPEAKING_TOO_SOFT"]);
  assertOnTime(soft[0].streamMs, 5_000);
  expect(soft[0]).toMatchObject({ severity: "low", message: "Speak up a little" });
});

Deno.test("CoachingEngine - INTERRUPTING_CUSTOMER once the agent has talked over the customer's turn for 1 s", () => {
  // 600 ms of overlap (interruptOverlapMs) in a spurt as long as a turn (turnMinMs, 1 s).
  const { tips, engine } = runCall([{ from: 2_000, to: 5_000 }], [{ from: 0, to: 6_000 }], 8_000);
  expect(tips.map((t) => t.type)).toEqual(["INTERRUPTING_CUSTOMER"]);
  assertOnTime(tips[0].streamMs, 3_000);
  expect(tips[0]).toMatchObject({
    severity: "high",
    reason: "You started talking while the customer was speaking",
  });
  expect(engine.metrics().interruptions).toBe(1);
});

Deno.test("CoachingEngine - a backchannel shorter than a turn is no interruption, however much of it overlaps", () => {
  // A 900 ms "I see, right" entirely over the customer's turn: 900 ms of overlap, but not a turn.
  const { tips, engine } = runCall([{ from: 2_000, to: 2_900 }], [{ from: 0, to: 6_000 }], 8_000);
  expect(tips).toEqual([]);
  expect(engine.metrics().interruptions).toBe(0);
  // Where the customer stops 500 ms into an agent turn, the overlap is too short.
  const short = runCall([{ from: 2_000, to: 5_000 }], [{ from: 0, to: 2_500 }], 7_000);
  expect(short.engine.metrics().interruptions).toBe(0);
});

Deno.test("CoachingEngine - backchannels under 600 ms never count as interruptions", () => {
  const agent = script(
    talking(0, 30_000, 5_000, 400),
    // The agent's own "mm-hmm" (580 ms) during the customer's turn.
    [{ from: 33_000, to: 33_580 }],
  );
  const customer = script(
    // "Mm-hmm" during the agent's talk, and one in a pause that the agent talks into (100 ms overlap).
    [{ from: 2_000, to: 2_500 }, { from: 12_000, to: 12_580 }, { from: 5_000, to: 5_500 }],
    [{ from: 30_500, to: 40_000 }],
  );
  const { tips, engine } = runCall(agent, customer, 42_000);
  expect(timesOf(tips, "INTERRUPTING_CUSTOMER")).toEqual([]);
  expect(engine.metrics().interruptions).toBe(0);
});

Deno.test("CoachingEngine - the customer talking over the agent is not the agent interrupting", () => {
  const { tips, engine } = runCall([{ from: 0, to: 6_000 }], [{ from: 2_000, to: 5_000 }], 8_000);
  expect(tips).toEqual([]);
  expect(engine.metrics().interruptions).toBe(0);
});

Deno.test("CoachingEngine - talking over one customer turn is one interruption, however often resumed", () => {
  const agent = [{ from: 2_000, to: 3_000 }, { from: 3_500, to: 4_500 }];
  const { tips, engine } = runCall(agent, [{ from: 0, to: 6_000 }], 8_000);
  expect(timesOf(tips, "INTERRUPTING_CUSTOMER")).toEqual([2_980]);
  expect(engine.metrics().interruptions).toBe(1);
});

Deno.test("CoachingEngine - two short agent backchannels in one customer turn do not add up", () => {
  const agent = [{ from: 2_000, to: 2_400 }, { from: 4_000, to: 4_400 }];
  const { tips, engine } = runCall(agent, [{ from: 0, to: 6_000 }], 8_000);
  expect(tips).toEqual([]);
  expect(engine.metrics().interruptions).toBe(0);
});

Deno.test("CoachingEngine - TOO_MUCH_SILENCE once per silence, never before anyone spoke", () => {
  const agent = [{ from: 10_000, to: 12_000 }];
  const customer = [{ from: 40_000, to: 42_000 }];
  const { tips } = runCall(agent, customer, 50_000);
  expect(tips.map((t) => t.type)).toEqual(["TOO_MUCH_SILENCE", "TOO_MUCH_SILENCE"]);
  assertOnTime(tips[0].streamMs, 15_000);
  assertOnTime(tips[1].streamMs, 45_000);
  expect(tips[0].reason).toBe("Nobody has spoken for 3 seconds");
});

Deno.test("CoachingEngine - CONTINUOUS_SPEAKING after 45 s on the floor; backchannels do not end it", () => {
  const agent = talking(0, 60_000, 6_000, 500);
  const customer = talking(3_000, 60_000, 400, 7_600);
  const { tips } = runCall(agent, customer, 60_000);
  expect(tips.map((t) => t.type)).toEqual(["CONTINUOUS_SPEAKING"]);
  assertOnTime(tips[0].streamMs, 45_000);
  expect(tips[0].reason).toBe("You have been talking for 45 seconds");
});

Deno.test("CoachingEngine - a customer turn ends the monologue, so does a long pause", () => {
  const agent = script(talking(0, 40_000, 6_000, 500), talking(44_000, 84_000, 6_000, 500));
  const withTurn = runCall(agent, [{ from: 40_300, to: 43_500 }], 84_000).tips;
  expect(timesOf(withTurn, "CONTINUOUS_SPEAKING")).toEqual([]);

  const withPause = runCall(
    script(talking(0, 40_000, 6_000, 500), talking(42_500, 84_000, 6_000, 500)),
    [],
    84_000,
  );
  expect(timesOf(withPause.tips, "CONTINUOUS_SPEAKING")).toEqual([]);
});

Deno.test("CoachingEngine - CUSTOMER_RAISED_VOICE after 3 s of speech 10 dB over the customer's baseline", () => {
  const customer = script(
    talking(0, 12_000, 3_000, 500, { levelDb: -26 }),
    [{ from: 12_000, to: 20_000, levelDb: -16 }],
  );
  const { tips } = runCall([], customer, 20_000);
  expect(tips.map((t) => t.type)).toEqual(["CUSTOMER_RAISED_VOICE"]);
  // +10 dB needs 17 slots (340 ms) of the 1 s level window to show as +6 dB; then 3 s of speech.
  assertOnTime(tips[0].streamMs, 12_000 + 320 + 3_000);
  expect(tips[0]).toMatchObject({ severity: "high" });
  expect(tips[0].reason).toBe("The customer has been louder than usual for 3 seconds");
});

Deno.test("CoachingEngine - CUSTOMER_RAISED_VOICE at exactly the threshold, not just under it", () => {
  const raise = (db: number) =>
    runCall(
      [],
      [{ from: 0, to: 12_000, levelDb: -26 }, { from: 12_000, to: 20_000, levelDb: -26 + db }],
      20_000,
    )
      .tips.map((t) => t.type);
  expect(raise(6)).toEqual(["CUSTOMER_RAISED_VOICE"]);
  expect(raise(5.9)).toEqual([]);
});

Deno.test("CoachingEngine - a customer who is loud all along has not raised their voice", () => {
  const { tips } = runCall([], talking(0, 60_000, 3_000, 500, { levelDb: -14 }), 60_000);
  expect(tips).toEqual([]);
});

Deno.test("CoachingEngine - TALK_RATIO_HIGH after the first minute when the agent talks 80 %", () => {
  const agent = talking(0, 150_000, 8_000, 2_000);
  const customer = talking(8_000, 150_000, 2_000, 8_000);
  const { tips, engine } = runCall(agent, customer, 150_000);
  expect(tips.map((t) => t.type)).toEqual(["TALK_RATIO_HIGH"]);
  // The first minute is over at the end of slot 59 980; the 5 s hold starts with that slot.
  assertOnTime(tips[0].streamMs, 59_980 + 5_000);
  expect(tips[0].reason).toBe("You did 82% of the talking in the last 65 seconds");
  expect(engine.metrics().talkRatio).toBeCloseTo(0.8, 6);
});

Deno.test("CoachingEngine - cooldown: a rule repeats only after its cooldown while the condition holds", () => {
  const { tips } = runCall([{ from: 0, to: 60_000, wpm: 185 }], [], 60_000);
  expect(timesOf(tips, "SPEAKING_TOO_FAST")).toEqual([4_980, 34_980]);
  expect(timesOf(tips, "CONTINUOUS_SPEAKING")).toEqual([44_980]);
});

Deno.test("CoachingEngine - throttle: a held-back tip goes out when the gap allows", () => {
  const { tips } = runCall([{ from: 0, to: 12_000, wpm: 185, activeLevelDb: -12 }], [], 12_000);
  expect(tips.map((t) => [t.type, t.streamMs])).toEqual([
    ["SPEAKING_TOO_LOUD", 2_980],
    ["SPEAKING_TOO_FAST", 2_980 + defaultCoachingConfig.minGapMs],
  ]);
});

Deno.test("CoachingEngine - throttle: a held-back tip whose condition ended is dropped", () => {
  const agent = [
    { from: 0, to: 5_500, wpm: 185, activeLevelDb: -12 },
    { from: 5_500, to: 15_000, wpm: 140, activeLevelDb: -12 },
  ];
  const { tips } = runCall(agent, [], 15_000);
  expect(tips.map((t) => t.type)).toEqual(["SPEAKING_TOO_LOUD"]);
});

Deno.test("CoachingEngine - a high-severity tip pre-empts the throttle", () => {
  const agent = [{ from: 0, to: 3_200, activeLevelDb: -12 }, { from: 3_600, to: 6_000, activeLevelDb: -12 }];
  const { tips } = runCall(agent, [{ from: 3_300, to: 8_000 }], 8_000);
  expect(tips.map((t) => [t.type, t.streamMs])).toEqual([
    ["SPEAKING_TOO_LOUD", 2_980],
    ["INTERRUPTING_CUSTOMER", 3_600 + 980],
  ]);
});

Deno.test("CoachingEngine - interruptions metric counts every event, the rule respects its cooldown", () => {
  const agent = [{ from: 2_000, to: 4_000 }, { from: 9_000, to: 11_000 }];
  const customer = [{ from: 0, to: 5_000 }, { from: 7_000, to: 12_000 }];
  const { tips, engine } = runCall(agent, customer, 14_000);
  expect(timesOf(tips, "INTERRUPTING_CUSTOMER")).toEqual([2_980]);
  expect(engine.metrics().interruptions).toBe(2);
});

Deno.test("CoachingEngine - a calm conversation gets no tips", () => {
  const agent = [];
  const customer = [];
  for (let t = 0, turn = 0; t < 300_000; turn++) {
    const agentMs = 4_000 + (turn % 3) * 1_500;
    agent.push(...talking(t, t + agentMs, 1_800, 350, { wpm: 138 + (turn % 4) * 5, activeLevelDb: -25 }));
    customer.push({ from: t + 1_200, to: t + 1_600, levelDb: -27 }); // "mm-hmm"
    t += agentMs + 700;
    const customerMs = 3_000 + (turn % 4) * 1_000;
    customer.push(...talking(t, t + customerMs, 2_500, 300, { levelDb: -28 + (turn % 5) }));
    t += customerMs + 900;
  }
  const { tips, engine } = runCall(script(agent), script(customer), 300_000);
  expect(tips).toEqual([]);
  const ratio = engine.metrics().talkRatio;
  assert.ok(ratio !== null && ratio > 0.4 && ratio < 0.65, `talk ratio ${ratio}`);
});

Deno.test("CoachingEngine - a 10-minute two-party call replays with identical tips", () => {
  const agent = [];
  const customer = [];
  for (let t = 0, turn = 0; t < 600_000; turn++) {
    const agentMs = 3_000 + ((turn * 7) % 11) * 2_000;
    agent.push(...talking(t, t + agentMs, 2_200, 400, { wpm: 120 + ((turn * 13) % 9) * 10 }));
    t += agentMs + ((turn * 5) % 7) * 600;
    const customerMs = 2_000 + ((turn * 3) % 5) * 1_500;
    customer.push(...talking(t - (turn % 6 === 0 ? 800 : 0), t + customerMs, 2_000, 300, { levelDb: -26 }));
    t += customerMs + 500;
  }
  const first = runCall(script(agent), script(customer), 600_000);
  const second = runCall(script(agent), script(customer), 600_000);
  assert.ok(first.tips.length > 0);
  expect(second.tips).toEqual(first.tips);
  expect(second.engine.metrics()).toEqual(first.engine.metrics());
});

Deno.test("CoachingEngine - metrics: joint silence, talk ratio, nothing before anyone talks", () => {
  const engine = new CoachingEngine();
  const silent = { speaking: false, frameEnergy: 0, activeLevelDb: null, wpm: null, wpmWindowSpeechS: 0 };
  engine.step(0, silent, silent);
  expect(engine.metrics()).toEqual({ silenceS: 0, interruptions: 0, talkRatio: null, customerRaised: false });

  const { engine: after } = runCall([{ from: 0, to: 30_000 }], [{ from: 31_000, to: 41_000 }], 43_500);
  const metrics = after.metrics();
  expect(metrics.silenceS).toBeCloseTo(2.5, 6);
  expect(metrics.talkRatio).toBeCloseTo(0.75, 6);
  expect(metrics.interruptions).toBe(0);
});

Deno.test("CoachingEngine - bad input is refused with a clear error", () => {
  const engine = new CoachingEngine();
  const silent = { speaking: false, frameEnergy: 0, activeLevelDb: null, wpm: null, wpmWindowSpeechS: 0 };
  engine.step(0, silent, silent);
  assert.throws(() => engine.step(0, silent, silent), RangeError);
  assert.throws(() => engine.step(Number.NaN, silent, silent), /streamMs must increase/);
  for (const frameEnergy of [Number.NaN, -1, Infinity]) {
    assert.throws(
      () => engine.step(20, silent, { ...silent, frameEnergy }),
      /frameEnergy must be a mean square/,
    );
  }
  assert.throws(() => engine.step(20, { ...silent, frameEnergy: Number.NaN }, silent), /NaN \(agent\)/);
  assert.throws(
    () => new CoachingEngine({ ...defaultCoachingConfig, fastWpm: -5 }),
    /invalid coaching config: fastWpm/,
  );
});

Deno.test("CoachingEngine - a tip's condition stops holding when the behaviour changes, once per tip", () => {
  // Fast for 10 s, then a normal pace: the tip (at 5 s) clears in the first slot at a normal pace.
  const fast = runCall(
    [{ from: 0, to: 10_000, wpm: 185 }, { from: 10_000, to: 14_000, wpm: 140 }],
    [],
    14_000,
  );
  expect(fast.cleared).toEqual([{ type: "SPEAKING_TOO_FAST", streamMs: 10_000 }]);
  // Silence: the tip clears as soon as anyone speaks.
  const silence = runCall([{ from: 0, to: 1_000 }, { from: 6_000, to: 7_000 }], [], 8_000);
  expect(silence.tips.map((t) => t.type)).toEqual(["TOO_MUCH_SILENCE"]);
  expect(silence.cleared).toEqual([{ type: "TOO_MUCH_SILENCE", streamMs: 6_000 }]);
  // Talking over the customer: it holds until the customer's turn is over (the spurt gap after it).
  const interrupt = runCall([{ from: 2_000, to: 5_000 }], [{ from: 0, to: 6_000 }], 8_000);
  expect(interrupt.cleared.map((c) => c.type)).toEqual(["INTERRUPTING_CUSTOMER"]);
  assert.ok(interrupt.cleared[0].streamMs >= 6_000 && interrupt.cleared[0].streamMs <= 6_400);
  // No tip, nothing to clear, however often a condition comes and goes.
  expect(runCall(talking(0, 20_000, 2_000, 2_000, { wpm: 185 }), [], 20_000).cleared).toEqual([]);
});

Deno.test("CoachingEngine - a verdict on one party's speech stands through their pauses", () => {
  // Loud for 5 s, silent for 5 s (the verdict stands), then a normal level: it clears only then.
  const agent = [{ from: 0, to: 5_000, activeLevelDb: -12 }, {
    from: 10_000,
    to: 12_000,
    activeLevelDb: -26,
  }];
  const { tips, cleared } = runCall(agent, [], 12_000);
  expect(tips.map((t) => t.type)).toEqual(["SPEAKING_TOO_LOUD", "TOO_MUCH_SILENCE"]);
  expect(cleared).toEqual([
    { type: "SPEAKING_TOO_LOUD", streamMs: 10_000 },
    { type: "TOO_MUCH_SILENCE", streamMs: 10_000 },
  ]);
});

Deno.test("CoachingEngine - the customer's raised voice is a metric as well as a tip", () => {
  const customer = script(
    talking(0, 12_000, 3_000, 500, { levelDb: -26 }),
    [{ from: 12_000, to: 20_000, levelDb: -16 }],
    [{ from: 20_000, to: 26_000, levelDb: -26 }],
  );
  const { engine, cleared } = runCall([], customer, 14_000);
  expect(engine.metrics().customerRaised).toBe(true);
  expect(cleared).toEqual([]);
  const after = runCall([], customer, 26_000);
  expect(after.engine.metrics().customerRaised).toBe(false);
  expect(after.cleared.map((c) => c.type)).toEqual(["CUSTOMER_RAISED_VOICE"]);
});
