/** The scripted-call format: where turns go, the windows of expected tips, and scripts that cannot resolve. */
import assert from "node:assert/strict";
import { EXPECT_SLACK_MS, resolveScript, type Script, type Speech } from "../../simulator/script.ts";

const resolve = (script: Script<Speech>) => resolveScript({ name: "x", ...script }, (turn) => turn.ms);
const spans = (script: Script<Speech>) => resolve(script).placed.map((p) => [p.startMs, p.endMs]);

Deno.test("Script - turns follow the end of everything before them, the first at the lead", () => {
  const turns: Speech[] = [
    { who: "agent", ms: 4_000 },
    { who: "customer", ms: 2_000 },
    { who: "agent", ms: 3_000, gapMs: 200 },
  ];
  const script = { leadMs: 1_000, gapMs: 700, tailMs: 1_500, turns, expect: [] };
  assert.deepEqual(spans(script), [[1_000, 5_000], [5_700, 7_700], [7_900, 10_900]]);
  assert.equal(resolve(script).durationMs, 12_400);
  // The defaults: half a second of lead and between turns, a second of tail.
  const plain = resolve({ turns: turns.slice(0, 2), expect: [] });
  assert.deepEqual(plain.placed.map((p) => p.startMs), [500, 5_000]);
  assert.equal(plain.durationMs, 8_000);
});

Deno.test("Script - overMs goes over the previous main turn; a turn that outlasts it pushes the next", () => {
  const turns: Speech[] = [
    { who: "customer", ms: 5_000 },
    { who: "agent", ms: 500, overMs: 1_000 },
    // Talks over the customer from 4 s in, 2 s past their end.
    { who: "agent", ms: 3_000, overMs: 4_000 },
    { who: "customer", ms: 1_000 },
    // A negative gap overlaps the end of everything so far.
    { who: "agent", ms: 2_000, gapMs: -300 },
    { who: "customer", ms: 400, overMs: 100 },
  ];
  assert.deepEqual(spans({ turns, expect: [] }), [
    [500, 5_500],
    [1_500, 2_000],
    [4_500, 7_500],
    [8_000, 9_000],
    [8_700, 10_700],
    [8_800, 9_200],
  ]);
});

Deno.test("Script - a window runs from a named point plus afterMs to a named point plus the slack", () => {
  const resolved = resolve({
    turns: [
      { who: "agent", ms: 4_000, id: "quiet" },
      { who: "customer", ms: 2_000, gapMs: 6_000, id: "resume" },
      { who: "agent", ms: 10_000, id: "fast" },
      { who: "agent", ms: 5_000, id: "fast2" },
    ],
    expect: [
      { type: "TOO_MUCH_SILENCE", from: "quiet.end", to: "resume.start" },
      { type: "SPEAKING_TOO_FAST", from: "fast.start", afterMs: 3_000, to: "fast2.end" },
    ],
  });
  assert.deepEqual(resolved.expect, [
    { type: "TOO_MUCH_SILENCE", fromMs: 4_500, toMs: 10_500 + EXPECT_SLACK_MS },
    { type: "SPEAKING_TOO_FAST", fromMs: 13_000 + 3_000, toMs: 28_500 + EXPECT_SLACK_MS },
  ]);
});

Deno.test("Script - the length of a turn comes from the caller (a clip's audio)", () => {
  const lengths = [1_234.5, 800];
  const resolved = resolveScript(
    { turns: [{ who: "agent", clip: "a" }, { who: "customer", clip: "b" }], expect: [], gapMs: 700 },
    (_, index) => lengths[index],
  );
  assert.deepEqual(resolved.placed.map((p) => [p.turn.clip, p.startMs, p.endMs]), [
    ["a", 500, 1_734.5],
    ["b", 2_434.5, 3_234.5],
  ]);
});

Deno.test("Script - a script that cannot be placed or judged names the call, the turn and the fix", () => {
  const agent: Speech = { who: "agent", ms: 1_000 };
  const fails = (turns: Speech[], pattern: RegExp) =>
    assert.throws(() => resolve({ turns, expect: [] }), pattern);
  fails([{ ...agent, overMs: 0 }], /scenario x, turn 0 \(agent\): overMs, but no turn before/);
  fails([{ ...agent, gapMs: 100 }], /turn 0 .*leadMs/);
  fails([agent, { ...agent, gapMs: -5_000 }], /turn 1 .*before the call/);
  fails([{ ...agent, id: "a" }, { ...agent, id: "a" }], /turn 1 .*"a" is used twice/);
  assert.throws(
    () =>
      resolve({
        turns: [{ ...agent, id: "a" }],
        expect: [{ type: "TALK_RATIO_HIGH", from: "a.start", to: "b.end" }],
      }),
    /scenario x, TALK_RATIO_HIGH expected at "b.end": no turn has that id/,
  );
});
