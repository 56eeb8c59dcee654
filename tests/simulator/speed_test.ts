/**
 * `--speed 10` through the real server: ten times real time, and the same tips as `--speed 0` (the server
 * works on stream time, so the pace of the frames must not change what it says or when).
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { startServer } from "../../server/start.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { MAX_SPEED, runSimulation, type SimulationResult } from "../../simulator/simulation.ts";
import { SLOT_MS } from "../../core/audio/types.ts";

Deno.test("Speed - --speed 10 gives the tips of --speed 0 (same types, stream times within one slot)", async () => {
  const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), {
    hostname: "127.0.0.1",
    log: silentLogger,
  });
  try {
    // Interruptions depend on how both tracks line up in time: a good test of pace independence.
    const scenario = buildScenarios(server.config.coaching).interrupt;
    assert.ok(10 < MAX_SPEED, "speed 10 is below the cap, so it is played at 10");
    const play = async (speed: number) => {
      const lines: string[] = [];
      const result = await runSimulation({
        scenario,
        url: server.url,
        authToken: server.authToken,
        speed,
        print: (line) => lines.push(line),
      });
      return { result, lines };
    };
    const full = await play(0);
    const ten = await play(10);

    for (const { result } of [full, ten]) {
      assert.equal(result.endReason, "stream_stopped");
      assert.equal(result.ok, true, JSON.stringify(result.verdict));
      assert.equal(result.audioMs, scenario.durationMs);
    }
    const types = (r: SimulationResult) => r.tips.map((tip) => tip.type);
    assert.ok(full.result.tips.length > 0, "the scenario gives tips");
    assert.deepEqual(types(ten.result), types(full.result));
    ten.result.tips.forEach((tip, i) => {
      const other = full.result.tips[i];
      assert.ok(
        Math.abs(tip.stream_ms - other.stream_ms) <= SLOT_MS,
        `${tip.type} at ${tip.stream_ms} ms at speed 10, ${other.stream_ms} ms at speed 0`,
      );
    });

    // Speed 10 is paced: about a tenth of the audio's length, far from real time.
    const wall = ten.result.wallMs;
    assert.ok(wall >= scenario.durationMs / 10 * 0.95, `speed 10 took ${Math.round(wall)} ms`);
    assert.ok(wall < scenario.durationMs / 2, `speed 10 took ${Math.round(wall)} ms`);
    assert.ok(ten.lines.some((line) => line.includes("speed 10")), ten.lines.join("\n"));
    assert.ok(!ten.lines.some((line) => line.includes("flood limit")), "not capped");
  } finally {
    await server.shutdown();
  }
});
