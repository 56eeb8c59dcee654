/**
 * Two calls with tips on one server at the same time: each call's page sees only that call (its metrics,
 * its tips, its end), the all-calls page sees both under the right session_id, and the registry empties.
 *
 * The calls are the simulator's `loud` (an agent tip) and `tense` (a customer tip), played together through
 * the real server over loopback, exactly as Twilio would.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import type { ServerMessage, SuggestionData } from "../../core/protocol/ui_messages.ts";
import { startServer } from "../../server/start.ts";
import { buildScenarios, type Scenario } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { judgeTips } from "../../simulator/verdict.ts";
import { newCallSid, PageSocket, waitFor } from "../support/fake_twilio.ts";

/** The session a page message is about (null for `hello` and `error`). */
function sessionOf(message: ServerMessage): string | null {
  return "session_id" in message ? message.session_id : null;
}

function suggestionsOf(page: PageSocket, sessionId: string): SuggestionData[] {
  return page.messages.flatMap((m) => m.type === "suggestion" && m.session_id === sessionId ? [m.data] : []);
}

/** The expected tips of `scenario`, matched against what a page saw: nothing missing, nothing unexpected. */
function assertExpectedTips(scenario: Scenario, tips: SuggestionData[], what: string) {
  const verdict = judgeTips(
    scenario.expect,
    scenario.tolerate,
    tips.map((tip) => ({ type: tip.type, streamMs: tip.stream_ms })),
  );
  const seen = tips.map((tip) => `${tip.type}@${tip.stream_ms}`).join(", ") || "none";
  assert.deepEqual(verdict.missing, [], `${what}: expected tips missing; saw ${seen}`);
  assert.deepEqual(verdict.unexpected, [], `${what}: unexpected tips; saw ${seen}`);
}

Deno.test("Crosstalk - two calls with tips at once: each page sees only its call, the all-calls page both", async () => {
  const config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "error",
    COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 300 } }),
  });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  const pages: PageSocket[] = [];
  try {
    const scenarios = buildScenarios(server.config.coaching);
    const calls = [
      { sid: newCallSid(), scenario: scenarios.loud },
      { sid: newCallSid(), scenario: scenarios.tense },
    ] as const;
    const [a, b] = calls;
    // The two scenarios give different tips (an agent's and a customer's), so a leak would show by type too.
    const typesOf = (scenario: Scenario) => new Set(scenario.expect.map((tip) => tip.type));
    assert.deepEqual([...typesOf(a.scenario)], ["SPEAKING_TOO_LOUD"]);
    assert.deepEqual([...typesOf(b.scenario)], ["CUSTOMER_RAISED_VOICE"]);

    const pageA = await PageSocket.open(server, a.sid);
    const pageB = await PageSocket.open(server, b.sid);
    const everything = await PageSocket.open(server);
    pages.push(pageA, pageB, everything);

    // 20× real time rather than "max": still quick, and each call lasts long enough (0.8 s and 1.4 s of wall
    // time) that the two surely overlap even on a loaded machine.
    const results = await Promise.all(
      calls.map(({ sid, scenario }) =>
        runSimulation({ scenario, url: server.url, authToken: server.authToken, speed: 20, callSid: sid })
      ),
    );
    for (const result of results) {
      assert.equal(result.endReason, "stream_stopped");
      assert.equal(result.ok, true, `the simulator's own verdict for ${result.callSid}`);
    }

    for (const [page, { sid }] of [[pageA, a], [pageB, b]] as const) {
      await page.next((m) => m.type === "call_ended" && m.session_id === sid);
    }
    for (const { sid } of calls) {
      await everything.next((m) => m.type === "call_ended" && m.session_id === sid);
    }

    // The calls really ran at the same time: each started before the other ended.
    const at = (type: ServerMessage["type"], sid: string) =>
      everything.messages.findIndex((m) => m.type === type && sessionOf(m) === sid);
    assert.ok(at("stream_started", b.sid) < at("call_ended", a.sid), "B started before A ended");
    assert.ok(at("stream_started", a.sid) < at("call_ended", b.sid), "A started before B ended");

    for (const [page, own, other] of [[pageA, a, b], [pageB, b, a]] as const) {
      const what = `page of ${own.scenario.name}`;
      const foreign = page.messages.filter((m) => sessionOf(m) !== null && sessionOf(m) !== own.sid);
      assert.deepEqual(foreign.map((m) => m.type), [], `${what} saw messages of another call`);
      for (const hello of page.messages.filter((m) => m.type === "hello")) {
        assert.ok(hello.type === "hello");
        assert.ok(
          hello.sessions.every((s) => s.session_id === own.sid),
          `${what}: hello lists only its call`,
        );
      }
      const types = page.types();
      assert.equal(types.filter((t) => t === "stream_started").length, 1, what);
      assert.equal(types.filter((t) => t === "call_ended").length, 1, what);
      assert.ok(types.filter((t) => t === "metrics").length >= 4 * own.scenario.durationMs / 1000 - 2, what);

      const tips = page.messages.flatMap((m) => m.type === "suggestion" ? [m.data] : []);
      assertExpectedTips(own.scenario, tips, what);
      for (const type of typesOf(other.scenario)) {
        assert.ok(!tips.some((tip) => tip.type === type), `${what} got ${type}, the other call's tip`);
      }
      // What the page saw is what the simulator's own follower of that call saw.
      const result = results[calls.indexOf(own)];
      assert.deepEqual(tips, result.tips, `${what}: same tips as the simulator's follower`);
    }

    // The all-calls page: both calls, each message under its own session_id, the same tips as each page.
    const sessions = new Set(everything.messages.map(sessionOf).filter((id) => id !== null));
    assert.deepEqual([...sessions].sort(), [a.sid, b.sid].sort());
    for (const [page, { sid, scenario }] of [[pageA, a], [pageB, b]] as const) {
      const tips = suggestionsOf(everything, sid);
      assertExpectedTips(scenario, tips, `all-calls page, ${scenario.name}`);
      assert.deepEqual(tips, suggestionsOf(page, sid), `all-calls page has ${scenario.name}'s tips`);
      const ownMessages = everything.messages.filter((m) => sessionOf(m) === sid);
      assert.deepEqual(
        ownMessages.map((m) => m.type).filter((t) => t !== "metrics"),
        page.messages.filter((m) => sessionOf(m) === sid).map((m) => m.type).filter((t) => t !== "metrics"),
        `all-calls page has ${scenario.name}'s messages in the same order`,
      );
    }

    await waitFor(() => server.registry.size === 0, "the registry to empty after the grace period");
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.local_sessions, 0);
  } finally {
    await Promise.all(pages.map((page) => page.close()));
    await server.shutdown();
  }
});
