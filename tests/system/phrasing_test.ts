/**
 * The AI phrasing through the real server, with the simulator playing calls exactly as Twilio would and a
 * fake OpenAI-compatible model on loopback: a good answer reaches the page, a hanging model costs one call's
 * tip its model words but never its time budget nor anyone else's tips or metrics, and no request body
 * carries an identifier.
 */
import assert from "node:assert/strict";
import type { ServerMessage, SuggestionData } from "../../core/protocol/ui_messages.ts";
import type { RunningServer } from "../../server/start.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { newCallSid, PageSocket } from "../support/fake_twilio.ts";
import { FakeModel, type FakeReply, type FakeRequest } from "../support/fake_model.ts";
import { type LogLine, withLoggedServer } from "../support/server.ts";

/** Each rule's answer from the fake model: short, English, and not the rules' own words. */
const ANSWERS: Record<string, string> = {
  SPEAKING_TOO_LOUD: "Bring your voice down a touch",
  SPEAKING_TOO_SLOW: "Keep a brisker pace, please",
  SPEAKING_TOO_SOFT: "Speak a little louder, please",
  CUSTOMER_RAISED_VOICE: "They sound upset: stay calm",
  INTERRUPTING_CUSTOMER: "Let them finish before you reply",
  TOO_MUCH_SILENCE: "Tell them what you are checking",
  SPEAKING_TOO_FAST: "Ease off so they can follow",
  CONTINUOUS_SPEAKING: "Stop there and ask a question",
  TALK_RATIO_HIGH: "Let the customer talk more",
};

function answerFor(request: FakeRequest): string {
  const facts = JSON.parse(request.body.messages.find((m) => m.role === "user")!.content);
  return ANSWERS[facts.tip];
}

/** A server (with its log) whose AI phrasing asks `fake`. */
function withPhrasingServer(
  fake: FakeModel,
  settings: Record<string, string>,
  run: Parameters<typeof withLoggedServer>[1],
): Promise<void> {
  return withLoggedServer({ COACH_LLM_BASE_URL: fake.url, COACH_LLM_MODEL: "fake-model", ...settings }, run);
}

function tipsOf(page: PageSocket, sessionId: string): { data: SuggestionData; at: number }[] {
  return page.messages.flatMap((m, i) =>
    m.type === "suggestion" && m.session_id === sessionId ? [{ data: m.data, at: page.arrivedAt[i] }] : []
  );
}

/** Arrival times of a call's metrics whose stream time is in [fromMs, toMs). */
function metricsArrivals(page: PageSocket, sessionId: string, fromMs = 0, toMs = Infinity): number[] {
  return page.messages.flatMap((m: ServerMessage, i) =>
    m.type === "metrics" && m.session_id === sessionId && m.data.stream_ms >= fromMs &&
      m.data.stream_ms < toMs
      ? [page.arrivedAt[i]]
      : []
  );
}

/** Plays `scenario` through `server` as one call that a page follows; resolves once the page saw it end. */
async function playFollowed(
  server: RunningServer,
  scenario: "loud" | "tour",
  options: { speed: number; accountSid?: string },
) {
  const callSid = newCallSid();
  const page = await PageSocket.open(server, callSid);
  const result = await runSimulation({
    scenario: buildScenarios(server.config.coaching)[scenario],
    url: server.url,
    authToken: server.authToken,
    callSid,
    ...options,
  });
  await page.next((m) => m.type === "call_ended");
  return { callSid, page, result };
}

Deno.test("AI phrasing, server - a good answer reaches the page as the model's words", async () => {
  const fake = FakeModel.start((request) => ({ content: answerFor(request), delayMs: 20 }));
  try {
    // The longest wait allowed: this test is about the words, and a loaded machine must not turn them into a
    // timeout.
    await withPhrasingServer(fake, { COACH_LLM_TIMEOUT_MS: "1400" }, async (server) => {
      // At twice real time: faster, a busy machine could end the call before the model's answer is back
      // (the tip then falls back, rightly, to the fixed words: `call_ended`).
      const { callSid, page, result } = await playFollowed(server, "loud", { speed: 2 });
      assert.ok(result.ok, `the call went as scripted: ${JSON.stringify(result.verdict)}`);
      const health = await (await fetch(`${server.url}/health`)).json();
      const [tip] = tipsOf(page, callSid);
      assert.equal(tip.data.phrased_by, "model", `phrasing counts: ${JSON.stringify(health.phrasing)}`);
      assert.equal(tip.data.type, "SPEAKING_TOO_LOUD");
      assert.equal(tip.data.message, ANSWERS.SPEAKING_TOO_LOUD);
      assert.equal(tip.data.fixed_message, "Lower your voice a little");
      assert.equal(tip.data.phrased_by, "model");
      assert.deepEqual(result.tips, tipsOf(page, callSid).map((t) => t.data), "the simulator saw the same");
      assert.equal(health.phrasing.enabled, true);
      assert.equal(health.phrasing.requests, fake.requests.length);
      assert.equal(health.phrasing.phrased, 1);
      await page.close();
    });
  } finally {
    await fake.close();
  }
});

Deno.test("AI phrasing, server - a hanging model: the fixed words within 1.5 s; other calls' tips and metrics flow", async () => {
  // Two calls with the same script fire their tip at about the same moment. The first request to reach the
  // model hangs; the other is answered after 50 ms, while the first still hangs.
  const fake = FakeModel.start((request, index): FakeReply =>
    index === 0 ? { hang: true } : { content: answerFor(request), delayMs: 50 }
  );
  const speed = 4;
  const timeoutMs = 1_000;
  try {
    await withPhrasingServer(fake, { COACH_LLM_TIMEOUT_MS: String(timeoutMs) }, async (server, logs) => {
      const page = await PageSocket.open(server);
      const sids = [newCallSid(), newCallSid()];
      const results = await Promise.all(sids.map((callSid) =>
        runSimulation({
          scenario: buildScenarios(server.config.coaching).loud,
          url: server.url,
          authToken: server.authToken,
          speed,
          callSid,
        })
      ));
      for (const result of results) assert.ok(result.ok, `scripted tips: ${JSON.stringify(result.verdict)}`);
      for (const sid of sids) await page.next((m) => m.type === "call_ended" && m.session_id === sid);

      const tips = sids.map((sid) => tipsOf(page, sid));
      for (const list of tips) assert.equal(list.length, 1, "one loud tip per call");
      const hung = tips.findIndex(([tip]) => tip.data.phrased_by === "rules");
      assert.ok(hung >= 0, `one call's tip fell back: ${JSON.stringify(tips)}`);
      const [slow] = tips[hung];
      const [quick] = tips[1 - hung];
      assert.equal(slow.data.message, "Lower your voice a little", "the fixed words");
      assert.equal(quick.data.phrased_by, "model", "the other call's tip got the model's words");

      // When the rule fired: about when the first metrics at or after the tip's stream time arrived (metrics
      // come every 250 ms of stream time, 62.5 ms of wall time at 4x).
      const firedAt = metricsArrivals(page, sids[hung], slow.data.stream_ms)[0] - 250 / speed;
      const waited = slow.at - firedAt;
      assert.ok(waited >= timeoutMs - 100, `it waited for the model: ${waited.toFixed(0)} ms`);
      assert.ok(waited <= 1_500, `on the page ${waited.toFixed(0)} ms after its rule fired (budget 1.5 s)`);
      assert.ok(quick.at < slow.at, "the other call's tip was not held back");

      // While the tip waited, both calls' metrics kept coming (16 a second at 4x).
      for (const sid of sids) {
        const during = metricsArrivals(page, sid).filter((at) => at > firedAt + 100 && at < slow.at - 100);
        assert.ok(during.length >= 5, `${during.length} metrics of ${sid} while the tip waited`);
      }
      const health = await (await fetch(`${server.url}/health`)).json();
      assert.deepEqual(
        [health.phrasing.requests, health.phrasing.phrased, health.phrasing.timeouts],
        [2, 1, 1],
      );
      assert.ok(logs.some((l: LogLine) => l.event === "phrasing_failed" && l.failure === "timeout"));
      await page.close();
    });
  } finally {
    await fake.close();
  }
});

Deno.test("AI phrasing, server - no request body carries an identifier, a number or anything else of the call", async () => {
  const fake = FakeModel.start((request) => ({ content: answerFor(request) }));
  try {
    await withPhrasingServer(fake, { UI_ACCESS_KEY: "access-key-0123456789abcdef" }, async (server) => {
      const accountSid = "AC" + "0123456789abcdef".repeat(2);
      const { callSid, page, result } = await playFollowed(server, "tour", { speed: 0, accountSid });
      assert.ok(fake.requests.length >= 5, `${fake.requests.length} requests`);

      const secrets = [callSid, accountSid, result.streamSid, server.authToken, server.accessKey, "+1555"];
      const allowed = [
        "agent_share_of_talk",
        "customer_db_above_usual",
        "customer_voice_raised",
        "evidence",
        "fixed_message",
        "last_tips_shown",
        "seconds_into_call",
        "severity",
        "times_given_before",
        "tip",
      ];
      const shown = new Set(tipsOf(page, callSid).map((t) => t.data.message));
      const system = fake.requests[0].body.messages[0].content;
      for (const [i, request] of fake.requests.entries()) {
        for (const secret of secrets) assert.ok(!request.text.includes(secret), `request ${i} has ${secret}`);
        assert.doesNotMatch(request.text, /\b(CA|AC|MZ)[0-9a-f]{32}\b|\+\d{6,}/, `request ${i}`);
        assert.deepEqual(Object.keys(request.body).sort(), ["max_tokens", "messages", "model", "stream"]);
        assert.equal(request.body.messages[0].content, system, "the same instructions for every tip");
        const facts = fake.facts()[i];
        assert.deepEqual(Object.keys(facts).sort(), allowed, `request ${i}: only the documented facts`);
        for (const earlier of facts.last_tips_shown as string[]) {
          assert.ok(shown.has(earlier), `"${earlier}" was a tip shown on the page`);
        }
      }
      await page.close();
    });
  } finally {
    await fake.close();
  }
});
