/**
 * The acceptance test of the simulator and the server together: every scenario is played through the
 * real server (started in-process on an ephemeral port, over loopback), exactly as Twilio would, and the
 * tips that arrive on the UI socket must be the expected ones, at the expected stream times.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
import { buildScenarios, SCENARIO_NAMES } from "../../simulator/scenarios.ts";
import { runSimulation, type SimulationOptions, type SimulationResult } from "../../simulator/simulation.ts";
import { isCallSid } from "../../core/protocol/twilio_messages.ts";
import { SimulatorError } from "../../simulator/twilio_client.ts";

async function withServer<T>(
  env: Record<string, string>,
  body: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ PORT: "0", LOG_LEVEL: "error", ...env });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  try {
    return await body(server);
  } finally {
    await server.shutdown();
  }
}

function play(server: RunningServer, options: Partial<SimulationOptions> = {}): Promise<SimulationResult> {
  return runSimulation({
    scenario: buildScenarios(server.config.coaching).loud,
    url: server.url,
    authToken: server.authToken,
    speed: 0,
    ...options,
  });
}

for (const name of SCENARIO_NAMES) {
  Deno.test(`Simulation - scenario ${name} gives exactly its expected tips through the real server`, async () => {
    await withServer({}, async (server) => {
      const scenario = buildScenarios(server.config.coaching)[name];
      const result = await play(server, { scenario });
      const seen = result.tips.map((tip) => `${tip.type}@${tip.stream_ms}`).join(", ");
      assert.equal(result.endReason, "stream_stopped");
      assert.ok(result.verdict, "scenario audio is judged");
      assert.deepEqual(result.verdict.missing, [], `missing tips; saw: ${seen}`);
      assert.deepEqual(result.verdict.unexpected, [], `unexpected tips; saw: ${seen}`);
      assert.equal(result.ok, true);
      assert.deepEqual(
        [...new Set(result.tips.map((tip) => tip.type))].sort(),
        [...new Set(scenario.expect.map((tip) => tip.type))].sort(),
      );
      if (name === "normal") assert.equal(result.tips.length, 0, `a calm call gets no tips; saw: ${seen}`);
      assert.ok(isCallSid(result.callSid));
      assert.equal(result.audioMs, scenario.durationMs);
    });
  });
}

Deno.test("Simulation - real time and full speed give the same tips at the same stream times", async () => {
  await withServer({}, async (server) => {
    const scenario = buildScenarios(server.config.coaching).loud;
    assert.ok(scenario.durationMs <= 20_000, "the real-time run stays short");
    const fast = await play(server, { scenario, speed: 0 });
    const realTime = await play(server, { scenario, speed: 1 });
    const tips = (result: SimulationResult) =>
      result.tips.map((tip) => [tip.type, tip.stream_ms, tip.reason]);
    assert.ok(fast.tips.length > 0);
    assert.deepEqual(tips(realTime), tips(fast));
    // Real time really is paced by the clock (the exact wall time is not asserted, only that it was paced).
    assert.ok(realTime.wallMs >= scenario.durationMs * 0.95, `real time took ${realTime.wallMs} ms`);
  });
});

Deno.test("Simulation - follows a server whose agent is on the inbound track", async () => {
  await withServer({ AGENT_TRACK: "inbound" }, async (server) => {
    const result = await play(server);
    assert.equal(result.agentTrack, "inbound", "taken from the TwiML's agent_track parameter");
    assert.equal(result.ok, true, result.tips.map((tip) => tip.type).join());
  });
});

Deno.test("Simulation - putting the agent on the wrong track loses the agent's tips", async () => {
  await withServer({}, async (server) => {
    const result = await play(server, { agentTrack: "inbound" });
    assert.equal(result.ok, false);
    assert.deepEqual(result.verdict?.missing.map((tip) => tip.type), ["SPEAKING_TOO_LOUD"]);
  });
});

Deno.test("Simulation - recorded audio replaces a party and is not judged", async () => {
  await withServer({}, async (server) => {
    const agentAudio = await Deno.readFile(
      new URL("../fixtures/speech/agent_greeting.ulaw", import.meta.url),
    );
    const scenario = buildScenarios(server.config.coaching).silence;
    const result = await play(server, { scenario, agentAudio });
    assert.equal(result.verdict, null);
    assert.equal(result.endReason, "stream_stopped");
    assert.equal(result.ok, true);
    assert.equal(result.audioMs, Math.max(scenario.durationMs, (agentAudio.length / 8000) * 1000));
  });
});

Deno.test("Simulation - a wrong auth token is refused with a clear error", async () => {
  await withServer({}, async (server) => {
    await assert.rejects(play(server, { authToken: "not-the-token" }), (error: Error) => {
      assert.ok(error instanceof SimulatorError);
      assert.match(error.message, /403/);
      assert.match(error.message, /TWILIO_AUTH_TOKEN/);
      return true;
    });
  });
});

Deno.test("Simulation - signatures over PUBLIC_URL when the server has one", async () => {
  // The server believes it is reached at a public https URL (a tunnel); the simulator calls it locally
  // but signs over the public URL, and connects the media socket locally with the wss:// URL's signature.
  await withServer({ PUBLIC_URL: "https://coach.example.com" }, async (server) => {
    const result = await play(server, { publicUrl: server.config.publicUrl });
    assert.equal(result.ok, true);
    await assert.rejects(play(server), /403/, "signing over the local URL is refused");
  });
});

Deno.test("Simulation - cannot reach a server that is not running", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const scenario = buildScenarios().loud;
  await assert.rejects(
    runSimulation({ scenario, url: `http://127.0.0.1:${port}`, authToken: "x".repeat(32), speed: 0 }),
    /cannot reach the server/,
  );
});
