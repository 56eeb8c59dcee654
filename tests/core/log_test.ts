/**
 * core/log.ts: one JSON object per line per event (`ts`, `level`, `event`, then the fields), filtered by
 * level, errors written with their name and message, and the server's level taken from LOG_LEVEL.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { createLogger, LOG_LEVELS, type LogLevel, maskPhoneNumbers, silentLogger } from "../../core/log.ts";
import { startServer } from "../../server/start.ts";

const NOW = new Date("2026-03-04T05:06:07.089Z");

function capture(level: LogLevel) {
  const lines: string[] = [];
  const log = createLogger({ level, now: () => NOW, write: (line) => lines.push(line) });
  return { log, lines };
}

Deno.test("Log - one JSON line per event: ts, level, event, then the fields", () => {
  const { log, lines } = capture("debug");
  log.info("session_started", { session_id: "CA123", agent_track: "outbound", count: 2, ok: true });
  log.warn("webhook_rejected", { reason: "two\nlines", nested: { a: [1, null] } });
  log.error("no_fields");
  assert.equal(lines.length, 3, "one write per event");
  for (const line of lines) assert.ok(!line.includes("\n"), `a single line: ${line}`);
  assert.equal(
    lines[0],
    '{"ts":"2026-03-04T05:06:07.089Z","level":"info","event":"session_started","session_id":"CA123",' +
      '"agent_track":"outbound","count":2,"ok":true}',
  );
  assert.deepEqual(JSON.parse(lines[1]), {
    ts: NOW.toISOString(),
    level: "warn",
    event: "webhook_rejected",
    reason: "two\nlines",
    nested: { a: [1, null] },
  });
  assert.deepEqual(JSON.parse(lines[2]), { ts: NOW.toISOString(), level: "error", event: "no_fields" });
});

Deno.test("Log - the clock is read for each event", () => {
  const lines: string[] = [];
  let t = 0;
  const log = createLogger({ level: "info", now: () => new Date(t += 1000), write: (l) => lines.push(l) });
  log.info("a");
  log.info("b");
  assert.deepEqual(lines.map((l) => JSON.parse(l).ts), [
    "1970-01-01T00:00:01.000Z",
    "1970-01-01T00:00:02.000Z",
  ]);
});

Deno.test("Log - each level writes itself and the levels above it, nothing below", () => {
  for (const level of LOG_LEVELS) {
    const { log, lines } = capture(level);
    for (const each of LOG_LEVELS) log[each](`event_${each}`);
    const expected = LOG_LEVELS.slice(LOG_LEVELS.indexOf(level));
    assert.deepEqual(lines.map((l) => JSON.parse(l).level), expected, `at ${level}`);
    assert.deepEqual(lines.map((l) => JSON.parse(l).event), expected.map((l) => `event_${l}`));
    for (const each of LOG_LEVELS) {
      assert.equal(log.enabled(each), expected.includes(each), `${level}/${each}`);
    }
  }
  assert.deepEqual([...LOG_LEVELS], ["debug", "info", "warn", "error"], "most verbose first");
});

Deno.test("Log - filtered events are not written, whatever their fields", () => {
  let writes = 0;
  const log = createLogger({ level: "error", now: () => NOW, write: () => writes++ });
  log.debug("x", { big: "y".repeat(10_000) });
  log.info("x", { error: new Error("not an error-level event") });
  log.warn("x");
  assert.equal(writes, 0);
  log.error("x");
  assert.equal(writes, 1);
});

Deno.test("Log - errors are written with their name and message, at any depth", () => {
  const { log, lines } = capture("debug");
  const error = new TypeError("bad frame");
  class SessionFault extends Error {
    override name = "SessionFault";
  }
  log.error("media_socket_fault", {
    error,
    nested: { cause: new SessionFault("session gone") },
    list: [new RangeError("too big")],
  });
  const line = JSON.parse(lines[0]);
  assert.deepEqual(line.error, { name: "TypeError", message: "bad frame" });
  assert.deepEqual(line.nested.cause, { name: "SessionFault", message: "session gone" });
  assert.deepEqual(line.list, [{ name: "RangeError", message: "too big" }]);
  assert.ok(!lines[0].includes("at "), "no stack trace in the line");
});

Deno.test("Log - silentLogger writes nothing and enables nothing below error", () => {
  const original = console.log;
  const written: unknown[] = [];
  console.log = (...args: unknown[]) => written.push(args);
  try {
    for (const level of LOG_LEVELS) silentLogger[level]("anything", { error: new Error("x") });
  } finally {
    console.log = original;
  }
  assert.deepEqual(written, []);
  assert.equal(silentLogger.enabled("warn"), false);
});

Deno.test("Log - the server logs JSON lines on stdout at LOG_LEVEL", async () => {
  const runAt = async (level: string) => {
    const lines: string[] = [];
    const original = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      // No TWILIO_AUTH_TOKEN: start-up writes a warn line (local_token) and an info line (server_started).
      const config = loadConfig({ PORT: "0", LOG_LEVEL: level, TWILIO_AUTH_TOKEN: "" });
      assert.equal(config.logLevel, level);
      const server = await startServer(config, { hostname: "127.0.0.1" });
      await server.shutdown();
    } finally {
      console.log = original;
    }
    return lines.map((line) => JSON.parse(line) as { level: LogLevel; event: string });
  };
  const info = await runAt("info");
  // Tests run without --expose-gc, so the server also says its idle memory release is off.
  assert.deepEqual(info.map((l) => l.event), [
    "local_token",
    "memory_release_off",
    "server_started",
    "server_stopped",
  ]);
  const warn = await runAt("warn");
  assert.deepEqual(warn.map((l) => [l.level, l.event]), [["warn", "local_token"]]);
  assert.deepEqual(await runAt("error"), []);
  const debug = await runAt("debug");
  assert.ok(debug.some((l) => l.event === "server_started"));
});

Deno.test("Log - phone numbers keep their last 4 digits only, in any string field and in error messages", () => {
  assert.equal(maskPhoneNumbers("+15551234567"), "+*******4567");
  assert.equal(
    maskPhoneNumbers("from +447700900123 to sip:+15557654321@pbx"),
    "from +********0123 to sip:+*******4321@pbx",
  );
  assert.equal(maskPhoneNumbers("+1234"), "+1234", "nothing to hide in 4 digits");
  assert.equal(maskPhoneNumbers("CA123 a+b"), "CA123 a+b");
  const { log, lines } = capture("info");
  log.info("voice_webhook", {
    from: "+15551234567",
    to: ["+15557654321"],
    error: new Error("The number +15559876543 is unverified."),
    count: 15551234567,
  });
  assert.deepEqual(JSON.parse(lines[0]), {
    ts: NOW.toISOString(),
    level: "info",
    event: "voice_webhook",
    from: "+*******4567",
    to: ["+*******4321"],
    error: { name: "Error", message: "The number +*******6543 is unverified." },
    count: 15551234567,
  });
});
