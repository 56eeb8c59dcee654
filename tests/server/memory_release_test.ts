import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import type { LogFields, Logger } from "../../core/log.ts";
import { IdleMemoryRelease, lastResortCollector } from "../../server/memory_release.ts";
import { startServer } from "../../server/start.ts";
import { startLiveCall, toneFrame, waitFor } from "../support/fake_twilio.ts";

type Line = { level: string; event: string; fields?: LogFields };

function recordingLog(lines: Line[]): Logger {
  const at = (level: string) => (event: string, fields?: LogFields) => lines.push({ level, event, fields });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), enabled: () => true };
}

function release(idleReleaseMs: number, collect: (() => void) | null = () => {}, lines: Line[] = []) {
  return new IdleMemoryRelease({
    idleReleaseMs,
    collect,
    log: recordingLog(lines),
    rss: () => 100 * 1024 ** 2,
  });
}

Deno.test("Memory release - once, after the last call and idleReleaseMs of idle time", () => {
  let collections = 0;
  const lines: Line[] = [];
  const idle = release(5_000, () => collections++, lines);
  assert.equal(idle.tick(true, 0), false);
  assert.equal(idle.tick(true, 1_000), false);
  assert.equal(idle.tick(false, 2_000), false); // idle from 2 s
  assert.equal(idle.tick(false, 6_999), false);
  assert.equal(idle.tick(false, 7_000), true);
  assert.equal(collections, 1);
  // Idle on: nothing new to give back.
  for (let t = 8_000; t < 60_000; t += 1_000) assert.equal(idle.tick(false, t), false);
  assert.equal(collections, 1);
  assert.equal(idle.releases, 1);
  const released = lines.find((line) => line.event === "memory_released");
  assert.equal(released?.level, "info");
  assert.deepEqual(Object.keys(released?.fields ?? {}), ["gc_ms", "rss_before_mb", "rss_after_mb"]);
  assert.equal(released?.fields?.rss_before_mb, 100);
  // The next call, then idle again: released again.
  idle.tick(true, 61_000);
  idle.tick(false, 62_000);
  assert.equal(idle.tick(false, 67_000), true);
  assert.equal(collections, 2);
});

Deno.test("Memory release - a new call restarts the idle time; none before the first call; 0 turns it off", () => {
  let collections = 0;
  const idle = release(5_000, () => collections++);
  for (let t = 0; t < 30_000; t += 1_000) idle.tick(false, t); // a server nobody called
  assert.equal(collections, 0);
  idle.tick(true, 30_000);
  idle.tick(false, 31_000);
  idle.tick(true, 35_000); // a call arrives after 4 s idle
  idle.tick(false, 36_000);
  assert.equal(idle.tick(false, 40_000), false);
  assert.equal(idle.tick(false, 41_000), true);

  const off = release(0, () => collections++);
  off.tick(true, 0);
  for (let t = 1_000; t < 60_000; t += 1_000) assert.equal(off.tick(false, t), false);
  assert.equal(collections, 1);
});

Deno.test("Memory release - without a collector it says so once and never fails", () => {
  const lines: Line[] = [];
  const idle = release(5_000, null, lines);
  idle.tick(true, 0);
  for (let t = 1_000; t < 20_000; t += 1_000) assert.equal(idle.tick(false, t), false);
  assert.deepEqual(lines.map((line) => line.event), ["memory_release_off"]);
  assert.match(String(lines[0].fields?.message), /--v8-flags=--expose-gc/);
  // Turned off in the settings: nothing to say.
  const quiet: Line[] = [];
  release(0, null, quiet);
  assert.deepEqual(quiet, []);
});

Deno.test("Memory release - a failing collection is logged, not retried every second, not thrown", () => {
  const lines: Line[] = [];
  let attempts = 0;
  const idle = release(1_000, () => {
    attempts++;
    throw new Error("boom");
  }, lines);
  idle.tick(true, 0);
  assert.equal(idle.tick(false, 1_000), false);
  assert.equal(idle.tick(false, 2_000), false);
  for (let t = 3_000; t < 10_000; t += 1_000) idle.tick(false, t);
  assert.equal(attempts, 1);
  assert.equal(idle.releases, 0);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.fields?.error]), [
    ["error", "memory_release_failed", "Error: boom"],
  ]);
});

Deno.test("Memory release - V8's last-resort collection shrinks the young generation a busy process grew", async () => {
  const script = new URL("../support/grow_and_release.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const { start, grown, released } = JSON.parse(new TextDecoder().decode(output.stdout));
  const MB = 1024 * 1024;
  assert.ok(grown >= start + 8 * MB, `the young generation grew only ${start} → ${grown} bytes`);
  assert.ok(released <= start + 1 * MB, `after the release it is ${released} bytes (started at ${start})`);
  // This test process runs without --expose-gc: no collector, so the server reports the release off.
  assert.equal(lastResortCollector(), null);
});

Deno.test("Memory release - the server gives memory back once its last call has ended", async () => {
  let collections = 0;
  const lines: Line[] = [];
  const config = loadConfig({
    PORT: "0",
    COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 0, idleReleaseMs: 500 } }),
  });
  const server = await startServer(config, {
    hostname: "127.0.0.1",
    log: recordingLog(lines),
    collectGarbage: () => collections++,
  });
  try {
    const { stream } = await startLiveCall(server);
    for (let t = 0; t < 1_000; t += 20) {
      stream.media("outbound", t, toneFrame(0.1, t * 8));
      stream.media("inbound", t, toneFrame(0));
    }
    await waitFor(() => server.registry.size === 1, "the session");
    // A held call keeps memory where it is, however long it lasts.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    assert.equal(collections, 0);
    stream.stop();
    stream.socket.close();
    await waitFor(() => server.registry.size === 0, "the session to be dropped", 5_000);
    await waitFor(() => server.memoryReleases === 1, "the release", 5_000);
    assert.equal(collections, 1);
    assert.ok(lines.some((line) => line.event === "memory_released"));
    // A call that starts and ends between two sweeps counts too.
    const { stream: short } = await startLiveCall(server);
    short.stop();
    short.socket.close();
    await waitFor(() => server.memoryReleases === 2, "the release after a short call", 5_000);
    assert.equal(collections, 2);
  } finally {
    await server.shutdown();
  }
});
