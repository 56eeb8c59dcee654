import assert from "node:assert/strict";
import { ANNOUNCE_GAP_MS, Announcer, type Channel } from "../../islands/announcer.ts";

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    clock: {
      now: () => now,
      setTimeout: (run: () => void, ms: number) => {
        const id = nextId++;
        timers.set(id, { at: now + ms, run });
        return id as unknown as ReturnType<typeof setTimeout>;
      },
      clearTimeout: (id: ReturnType<typeof setTimeout>) => void timers.delete(id as unknown as number),
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at);
        if (due.length === 0) break;
        const [id, timer] = due[0];
        timers.delete(id);
        now = timer.at;
        timer.run();
      }
      now = until;
    },
  };
}

Deno.test("Announcer - texts on one region are spaced; regions do not wait for each other", () => {
  const { clock, advance } = manualClock();
  const shown: [number, Channel, string][] = [];
  const announcer = new Announcer((channel, text) => shown.push([clock.now(), channel, text]), clock);
  announcer.say("high", "High priority tip: Customer sounds upset: stay calm");
  advance(600);
  announcer.say("high", "High priority tip: Let the customer finish");
  announcer.say("call", "Call 1 ended.");
  advance(5000);
  assert.deepEqual(shown, [
    [0, "high", "High priority tip: Customer sounds upset: stay calm"],
    [600, "call", "Call 1 ended."],
    [ANNOUNCE_GAP_MS, "high", "High priority tip: Let the customer finish"],
  ]);
});

Deno.test("Announcer - a repeated text still changes the region, so it is read again", () => {
  const { clock, advance } = manualClock();
  const texts: string[] = [];
  const announcer = new Announcer((_, text) => texts.push(text), clock);
  announcer.say("low", "Low priority tip: Speak up a little");
  announcer.say("low", "Low priority tip: Speak up a little");
  advance(ANNOUNCE_GAP_MS);
  assert.equal(texts.length, 2);
  assert.notEqual(texts[0], texts[1]);
  assert.equal(texts[1].replace("\u200b", ""), texts[0]);
  announcer.say("low", "later");
  announcer.stop();
  advance(10_000);
  assert.equal(texts.length, 2, "stop drops what waits its turn");
});
