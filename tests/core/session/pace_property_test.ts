/**
 * Property: backchannels (at most a second) and short talk-overs during the customer's turn never push a
 * normal-pace agent's reading up, and never earn them SPEAKING_TOO_FAST. Random calls of real speech
 * (espeak-ng fixtures) through the whole pipeline: the agent at 125 or 140 WPM, the customer in their own
 * voice, with random backchannel patterns both ways, random pauses and random early starts.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { SLOT_MS, SLOT_SAMPLES } from "../../../core/audio/types.ts";
import { defaultCoachingConfig } from "../../../core/coaching/config.ts";
import type { Suggestion } from "../../../core/coaching/types.ts";
import { CallPipeline } from "../../../core/session/call_pipeline.ts";
import { encodeMulaw, loadFixtureClips, timeStretch, TrackTimeline } from "../../../tools/scenario_audio.ts";
import { metricsData } from "../../../core/session/page_messages.ts";

const clips = await loadFixtureClips();
const pcm = (name: string) => clips.get(name)!.pcm;
/** The agent's sentences at a calm pace, stretched once (WSOLA) by their labelled rate over the wanted one. */
const AGENT_TURNS = ["agent_greeting", "agent_verify", "agent_explain", "agent_closing"].flatMap((name) =>
  [125, 140].map((wpm) => timeStretch(pcm(name), clips.get(name)!.label.trueWpm / wpm))
);
const CUSTOMER_TURNS = ["customer_problem", "customer_name", "customer_complaint", "customer_thanks"].map(
  pcm,
);
const AGENT_BACKCHANNELS = ["mmhmm", "right", "okay", "isee"].map((b) => pcm(`backchannel_agent_${b}`));
const CUSTOMER_BACKCHANNELS = ["mmhmm", "yeah", "okay", "right", "uhhuh"].map((b) => pcm(`backchannel_${b}`));
const msOf = (samples: Float32Array) => (samples.length / 8000) * 1000;

/** One exchange: an agent turn, then a customer turn with the agent's backchannels in it. */
const exchange = fc.record({
  agentTurn: fc.integer({ min: 0, max: AGENT_TURNS.length - 1 }),
  customerTurns: fc.array(fc.integer({ min: 0, max: CUSTOMER_TURNS.length - 1 }), {
    minLength: 1,
    maxLength: 2,
  }),
  pauseMs: fc.integer({ min: 250, max: 1_200 }),
  /** Agent backchannels during the customer's turn: which, and how long after the previous one (ms). */
  agentBackchannels: fc.array(
    fc.record({ clip: fc.integer({ min: 0, max: 3 }), afterMs: fc.integer({ min: 1_200, max: 3_500 }) }),
    { maxLength: 4 },
  ),
  customerBackchannels: fc.array(
    fc.record({ clip: fc.integer({ min: 0, max: 4 }), afterMs: fc.integer({ min: 1_200, max: 3_500 }) }),
    { maxLength: 3 },
  ),
  /** The agent's next turn starts this long before the customer finishes (0: after a pause). */
  talkOverMs: fc.oneof(fc.constant(0), fc.integer({ min: 300, max: 1_500 })),
});

interface Call {
  agent: Float32Array;
  customer: Float32Array;
}

/** Backchannels every few seconds inside a turn from `startMs` lasting `lengthMs`, those that fit in it. */
function backchannels(
  plan: { clip: number; afterMs: number }[],
  clips: Float32Array[],
  startMs: number,
  lengthMs: number,
): [number, Float32Array][] {
  const out: [number, Float32Array][] = [];
  let at = startMs - 700;
  for (const { clip, afterMs } of plan) {
    at += afterMs;
    if (at + msOf(clips[clip]) > startMs + lengthMs - 300) break;
    out.push([at, clips[clip]]);
  }
  return out;
}

type Exchange = typeof exchange extends fc.Arbitrary<infer T> ? T : never;

/** Lays the exchanges out; without `extras`, the same turns with no backchannels and no talk-overs. */
function layOut(exchanges: Exchange[], extras: boolean): Call {
  const placed: { agent: [number, Float32Array][]; customer: [number, Float32Array][] } = {
    agent: [],
    customer: [],
  };
  let at = 500;
  for (const x of exchanges) {
    const turn = AGENT_TURNS[x.agentTurn];
    placed.agent.push([at, turn]);
    if (extras) {
      placed.customer.push(...backchannels(x.customerBackchannels, CUSTOMER_BACKCHANNELS, at, msOf(turn)));
    }
    at += msOf(turn) + x.pauseMs;
    const start = at;
    for (const index of x.customerTurns) {
      placed.customer.push([at, CUSTOMER_TURNS[index]]);
      at += msOf(CUSTOMER_TURNS[index]) + 300;
    }
    const length = at - 300 - start;
    if (extras) placed.agent.push(...backchannels(x.agentBackchannels, AGENT_BACKCHANNELS, start, length));
    at += extras && x.talkOverMs > 0 ? -300 - x.talkOverMs : x.pauseMs - 300;
  }
  const durationMs = at + 12_000;
  const agent = new TrackTimeline(durationMs), customer = new TrackTimeline(durationMs);
  for (const [ms, samples] of placed.agent) agent.place(ms, samples);
  for (const [ms, samples] of placed.customer) customer.place(ms, samples);
  return { agent: agent.pcm, customer: customer.pcm };
}

/** The call through the pipeline: its tips, and the highest agent reading once they talked 5 s. */
function play(call: Call): { tips: Suggestion[]; maxWpm: number } {
  const tips: Suggestion[] = [];
  let ticks = 0, maxWpm = 0;
  const pipeline = new CallPipeline({
    agentTrack: "outbound",
    onSuggestion: (s) => tips.push(s),
    onMetrics: (metrics) => {
      const { agent } = metricsData(metrics); // as the page reads it
      if (agent.speaking && agent.wpm !== null && ++ticks > 20) maxWpm = Math.max(maxWpm, agent.wpm);
    },
  });
  const agent = encodeMulaw(call.agent), customer = encodeMulaw(call.customer);
  for (let slot = 0; (slot + 1) * SLOT_SAMPLES <= agent.length; slot++) {
    const frame = (bytes: Uint8Array) => bytes.subarray(slot * SLOT_SAMPLES, (slot + 1) * SLOT_SAMPLES);
    pipeline.ingest("outbound", slot * SLOT_MS, frame(agent));
    pipeline.ingest("inbound", slot * SLOT_MS, frame(customer));
  }
  pipeline.flush();
  return { tips, maxWpm };
}

Deno.test("Pace - property: backchannels and short talk-overs never push a normal-pace agent's reading up", () => {
  fc.assert(
    fc.property(fc.array(exchange, { minLength: 5, maxLength: 9 }), (exchanges) => {
      const plain = play(layOut(exchanges, false));
      const busy = play(layOut(exchanges, true));
      const fast = busy.tips.filter((tip) => tip.type === "SPEAKING_TOO_FAST");
      assert.deepEqual(fast, [], `SPEAKING_TOO_FAST for a normal-pace agent: ${fast.map((t) => t.reason)}`);
      assert.ok(busy.maxWpm <= defaultCoachingConfig.fastWpm, `agent read ${busy.maxWpm} WPM`);
      // Against the same turns without them: at most 5 % (one syllable more or less in the window).
      assert.ok(
        busy.maxWpm <= plain.maxWpm * 1.05,
        `${plain.maxWpm} WPM alone, ${busy.maxWpm} with backchannels`,
      );
    }),
    { numRuns: 25, seed: 17 },
  );
});
