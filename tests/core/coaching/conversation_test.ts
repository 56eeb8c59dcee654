import assert from "node:assert/strict";
import { expect } from "expect";
import { SLOT_MS } from "../../../core/audio/types.ts";
import { defaultCoachingConfig } from "../../../core/coaching/config.ts";
import { ConversationState } from "../../../core/coaching/conversation.ts";
import { partyFrames, type PartyScript, talking } from "./synthetic.ts";

/** Plays both scripts into a conversation state up to `untilMs` and returns it. */
function play(agent: PartyScript, customer: PartyScript, untilMs: number): ConversationState {
  const state = new ConversationState(defaultCoachingConfig);
  const agentAt = partyFrames(agent);
  const customerAt = partyFrames(customer);
  for (let t = 0; t < untilMs; t += SLOT_MS) {
    const c = customerAt(t);
    state.update(t, agentAt(t).speaking, c.speaking, c.frameEnergy);
  }
  return state;
}

Deno.test("ConversationState - silence does not count before anyone has spoken", () => {
  const state = play([{ from: 5_000, to: 6_000 }], [], 5_000);
  expect(state.silenceMs).toBe(0);
  expect(state.startedAtMs).toBeNull();
  const later = play([{ from: 5_000, to: 6_000 }], [], 7_000);
  expect(later.startedAtMs).toBe(5_000);
  expect(later.silenceMs).toBe(1_000);
});

Deno.test("ConversationState - a customer backchannel does not take the floor, a real turn does", () => {
  const agent = talking(0, 20_000, 4_000, 400);
  const backchannels = talking(2_000, 20_000, 500, 3_500);
  const state = play(agent, backchannels, 20_000);
  expect(state.floor).toBe("agent");
  expect(state.floorSinceMs).toBe(0);
  expect(state.floorHeldMs).toBe(20_000);

  const turn = play(agent, [{ from: 8_100, to: 9_400 }], 9_400);
  expect(turn.floor).toBe("customer");
  expect(turn.floorSinceMs).toBe(8_100);
});

Deno.test("ConversationState - the party that starts later in a long overlap takes the floor for good", () => {
  const state = play([{ from: 0, to: 10_000 }], [{ from: 4_000, to: 10_000 }], 10_000);
  expect(state.floor).toBe("customer");
  expect(state.floorSinceMs).toBe(4_000);
});

Deno.test("ConversationState - a long joint silence releases the floor", () => {
  const state = play([{ from: 0, to: 5_000 }], [], 7_000);
  expect(state.floor).toBe("none");
  expect(state.floorHeldMs).toBe(0);
});

Deno.test("ConversationState - talk ratio slides with its window", () => {
  const agent = [{ from: 0, to: 130_000 }];
  const customer = [{ from: 130_000, to: 250_000 }];
  expect(play(agent, customer, 130_000).talkRatio).toBe(1);
  expect(play(agent, customer, 190_000).talkRatio).toBeCloseTo(0.5, 6);
  expect(play(agent, customer, 250_000).talkRatio).toBe(0);
  expect(play([], [], 10_000).talkRatio).toBeNull();
});

Deno.test("ConversationState - the customer's baseline is not poisoned by raised speech", () => {
  const customer = [{ from: 0, to: 10_000, levelDb: -26 }, { from: 10_000, to: 70_000, levelDb: -14 }];
  const state = play([], customer, 70_000);
  const baseline = state.customerBaselineDb;
  assert.ok(baseline !== null && Math.abs(baseline + 26) < 0.5, `baseline ${baseline}`);
  expect(state.customerAboveBaselineDb).toBeCloseTo(12, 0);
});

Deno.test("ConversationState - the baseline follows a voice that changes gently", () => {
  // 2 dB quieter than at the start: not raised, so it feeds the baseline, which moves towards it.
  const customer = [{ from: 0, to: 10_000, levelDb: -24 }, { from: 10_000, to: 130_000, levelDb: -26 }];
  const state = play([], customer, 130_000);
  const baseline = state.customerBaselineDb;
  assert.ok(baseline !== null && Math.abs(baseline + 26) < 0.2, `baseline ${baseline}`);
});

Deno.test("ConversationState - the baseline is not trusted before enough customer speech", () => {
  const state = play([], [{ from: 0, to: 4_000, levelDb: -26 }], 4_000);
  expect(state.customerRecentDb).toBeCloseTo(-26, 6);
  expect(state.customerAboveBaselineDb).toBeNull();
});
