/**
 * The one place that decides whether each party is speaking: echo of the other party (15-40 dB down,
 * 20-250 ms late, with or without line noise) is not speech; real overlaps are; a party's level and pace
 * are the same with and without the other's echo. Real speech (the espeak-ng fixtures) through a simulated
 * phone line (`simulator/line.ts`).
 */
import assert from "node:assert/strict";
import { CallAnalyzer } from "../../../core/audio/call_analyzer.ts";
import type { LineConditions } from "../../../simulator/line.ts";
import { throughLine } from "../../../tools/accuracy_scenarios.ts";
import { type FixtureClip, loadFixtureClips, TrackTimeline } from "../../../tools/scenario_audio.ts";

const clips = await loadFixtureClips();

function clip(name: string): FixtureClip {
  const found = clips.get(name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** Who says which clip when (ms) and how much louder or softer (dB). */
type Part = [clip: string, atMs: number, gainDb?: number];

/** Per slot, each party's result, for a call laid out from parts and played through a line. */
function play(agent: Part[], customer: Part[], line: LineConditions, durationMs: number) {
  const tracks = { agent: new TrackTimeline(durationMs), customer: new TrackTimeline(durationMs) };
  for (const [name, at, gain] of agent) tracks.agent.place(at, clip(name).pcm, gain ?? 0);
  for (const [name, at, gain] of customer) tracks.customer.place(at, clip(name).pcm, gain ?? 0);
  const audio = throughLine(tracks.agent.pcm, tracks.customer.pcm, line);
  const call = new CallAnalyzer();
  const slots = [];
  for (let slot = 0; slot * 160 < audio.agent.length; slot++) {
    const frame = (bytes: Uint8Array) => bytes.subarray(slot * 160, (slot + 1) * 160);
    call.processSlot(frame(audio.agent), frame(audio.customer));
    slots.push({ agent: { ...call.agent }, customer: { ...call.customer } });
  }
  return { slots, call };
}

const CUSTOMER_TALKS: Part[] = [
  ["customer_problem", 500],
  ["customer_complaint", 5_500],
  ["customer_name", 12_000],
  ["customer_thanks", 15_000],
  ["customer_problem", 18_500, 4],
];

Deno.test("CallAnalyzer - echo 15-40 dB down, 20-250 ms late, with or without noise, is not the agent speaking", () => {
  for (const lossDb of [15, 25, 40]) {
    for (const delayMs of [20, 120, 250]) {
      for (const noiseDb of [undefined, -50]) {
        const line = { agent: { echo: { lossDb, delayMs }, noiseDb }, customer: { noiseDb } };
        const { slots } = play([], CUSTOMER_TALKS, line, 24_000);
        const customer = slots.filter((s) => s.customer.speaking).length;
        const agent = slots.filter((s) => s.agent.speaking).length;
        const what = `${lossDb} dB, ${delayMs} ms, noise ${noiseDb ?? "none"}`;
        assert.ok(customer > 800, `${what}: the customer spoke ${customer} slots`);
        assert.ok(agent <= customer * 0.01, `${what}: the agent "spoke" ${agent} slots of echo`);
        const last = slots.at(-1)!.agent;
        assert.equal(last.activeLevelDb, null, `${what}: a level measured on echo`);
        assert.equal(last.wpm, null, `${what}: a pace measured on echo`);
      }
    }
  }
});

Deno.test("CallAnalyzer - a track on its own level over the other's echo is speaking: real overlaps count", () => {
  // The agent talks over the customer's complaint for five seconds, both at their own level.
  const agent: Part[] = [["agent_greeting", 500], ["agent_explain", 9_000]];
  const customer: Part[] = [["customer_problem", 5_000], ["customer_complaint", 11_000]];
  const overlapFrom = 550, overlapTo = 840; // slots (11.0-16.8 s)
  const count = (line: LineConditions) => {
    const { slots } = play(agent, customer, line, 20_000);
    const both = slots.slice(overlapFrom, overlapTo);
    return {
      agent: both.filter((s) => s.agent.speaking).length,
      customer: both.filter((s) => s.customer.speaking).length,
    };
  };
  const clean = count({});
  const echo = count({
    agent: { echo: { lossDb: 20, delayMs: 60 } },
    customer: { echo: { lossDb: 20, delayMs: 60 } },
  });
  assert.ok(clean.agent > 150 && clean.customer > 150, JSON.stringify(clean));
  assert.ok(echo.agent >= clean.agent * 0.9, `agent in the overlap: ${echo.agent} of ${clean.agent} slots`);
  assert.ok(echo.customer >= clean.customer * 0.9, `customer: ${echo.customer} of ${clean.customer} slots`);
});

Deno.test("CallAnalyzer - level and pace of each party are the same with and without the other's echo", () => {
  // Turn-taking: each one talks while the other listens.
  const agent: Part[] = [["agent_greeting", 500], ["agent_explain", 10_500], ["agent_verify", 26_000]];
  const customer: Part[] = [["customer_problem", 5_500], ["customer_complaint", 19_500], [
    "customer_thanks",
    31_500,
  ]];
  for (const [name, agentGain, lossDb] of [["nominal", 0, 15], ["soft", -16, 25]] as const) {
    const parts: Part[] = agent.map(([clip, at]) => [clip, at, agentGain]);
    const run = (line: LineConditions) => play(parts, customer, line, 35_000).slots.at(-1)!;
    const clean = run({});
    const echo = run({
      agent: { echo: { lossDb, delayMs: 120 } },
      customer: { echo: { lossDb: 30, delayMs: 120 } },
    });
    for (const party of ["agent", "customer"] as const) {
      const [a, b] = [clean[party], echo[party]];
      assert.ok(a.activeLevelDb !== null && b.activeLevelDb !== null, `${name}: ${party} has a level`);
      assert.ok(
        Math.abs(a.activeLevelDb - b.activeLevelDb) <= 1,
        `${name} ${party}: ${a.activeLevelDb} / ${b.activeLevelDb} dBov`,
      );
      assert.ok(a.wpm !== null && b.wpm !== null, `${name}: ${party} has a pace`);
      assert.ok(Math.abs(a.wpm - b.wpm) <= a.wpm * 0.05, `${name} ${party}: ${a.wpm} / ${b.wpm} WPM`);
    }
  }
});

Deno.test("CallAnalyzer - the echo paths learn the line's delay and loss", () => {
  const { call } = play([], CUSTOMER_TALKS, { agent: { echo: { lossDb: 28, delayMs: 120 } } }, 24_000);
  const path = call.echo.agent;
  // The line's band-limiting adds a millisecond or two; the path's lag is in 10 ms steps.
  assert.ok(path.delayMs !== null && Math.abs(path.delayMs - 120) <= 10, `delay ${path.delayMs}`);
  assert.ok(path.lossDb !== null && Math.abs(path.lossDb - 28) <= 6, `loss ${path.lossDb}`);
  assert.equal(call.echo.customer.delayMs, null, "no echo in the customer's track");
});
