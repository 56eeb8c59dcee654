import assert from "node:assert/strict";
import { readLocalToken } from "../lib/local_token.ts";
import type { RunningServer } from "../server/start.ts";
import {
  answerCall,
  closed,
  MediaStream,
  newCallSid,
  openSocket,
  PageSocket,
} from "./support/fake_twilio.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { freePort, startMain } from "./support/main_process.ts";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`main - ${signal} tells pages the call ended, closes sockets and exits 0 within 2 s`, async () => {
    const port = freePort();
    const { child, rest } = await startMain(port);
    const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal((await health.json()).status, "ok");
      const token = await readLocalToken(port);
      assert.ok(token, "the server left its ephemeral token for the simulator");
      const server = {
        url: `http://127.0.0.1:${port}`,
        authToken: token,
        config: { publicUrl: `http://127.0.0.1:${port}` },
      } as unknown as RunningServer;
      const callSid = newCallSid();
      const answer = await answerCall(server, callSid);
      const media = await openSocket(answer.url, {
        "x-twilio-signature": signTwilioRequest(token, answer.url, {}),
      });
      const stream = new MediaStream(media, callSid);
      stream.connected();
      stream.start(answer.parameters);
      const page = await PageSocket.open(server);
      await page.next((m) => m.type === "stream_started" || (m.type === "hello" && m.sessions.length === 1));
      const pageClosed = closed(page.socket);
      const mediaClosed = closed(media);

      const sentAt = performance.now();
      child.kill(signal);
      const status = await child.status;
      const elapsed = performance.now() - sentAt;
      assert.equal(status.code, 0);
      assert.ok(elapsed < 2000, `exited in ${Math.round(elapsed)} ms`);
      const ended = await page.next((m) => m.type === "call_ended");
      assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "shutdown" });
      assert.equal((await pageClosed).code, 1001);
      await mediaClosed;
      assert.equal(await readLocalToken(port), null, "the token file is removed");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await rest;
      await errors.cancel();
    }
  });
}

/** Runs `deno run -A main.ts` with `env` until it exits, probing `probePort` (if given) all along. */
async function runMainUntilExit(env: Record<string, string>, probePort?: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("..", import.meta.url),
    env: { LOG_LEVEL: "info", TWILIO_AUTH_TOKEN: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const output = child.output().finally(() => exited = true);
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  };
  // A server that starts after all would never exit by itself: stop it so the test fails instead of hanging.
  const deadline = setTimeout(kill, 30_000);
  let accepted = 0;
  let probes = 0;
  if (probePort !== undefined) {
    while (!exited) {
      probes++;
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: probePort })).close();
        accepted++;
        kill();
      } catch { /* refused: nothing listens */ }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const { code, stdout, stderr } = await output.finally(() => clearTimeout(deadline));
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr), accepted, probes };
}

const BAD_CONFIGS = [
  { variable: "PORT", value: "abc", fix: "set a TCP port number such as 8000" },
  { variable: "AGENT_TRACK", value: "both", fix: 'use "outbound"' },
];

for (const { variable, value, fix } of BAD_CONFIGS) {
  Deno.test(`main - ${variable}=${value} stops start-up: exit 1, names the variable and the fix, opens no port`, async () => {
    // With a bad PORT there is no port to watch; otherwise the port main.ts would listen on is probed.
    const port = freePort();
    const watched = variable === "PORT" ? undefined : port;
    const result = await runMainUntilExit({ PORT: String(port), [variable]: value }, watched);
    const all = result.stdout + result.stderr;
    assert.equal(result.code, 1, all);
    assert.match(result.stderr, /^Configuration error: /m, all);
    assert.ok(result.stderr.includes(`${variable}: invalid value "${value}"`), all);
    assert.ok(result.stderr.includes(fix), `the fix is named: ${all}`);
    assert.ok(!/Uncaught|at file:/.test(all), `a message, not a crash: ${all}`);
    assert.ok(!/server_started|is running/.test(result.stdout), `the server did not start: ${all}`);
    if (watched !== undefined) {
      assert.ok(result.probes > 0, "the port was probed while main.ts ran");
      assert.equal(result.accepted, 0, `nothing listened on ${port}`);
      assert.equal(await readLocalToken(port), null, "no token file was written");
    }
  });
}

const SECRETS = [
  { variable: "UI_ACCESS_KEY", value: "short-secret", rule: "must be at least 16 characters" },
  { variable: "TWILIO_AUTH_TOKEN", value: "abc1234", rule: "must be at least 8 characters" },
];

for (const { variable, value, rule } of SECRETS) {
  Deno.test(`main - a refused ${variable} stops start-up naming the variable and the rule, never the value`, async () => {
    const port = freePort();
    const result = await runMainUntilExit({ PORT: String(port), [variable]: value }, port);
    const all = result.stdout + result.stderr;
    assert.equal(result.code, 1, all);
    assert.match(
      result.stderr,
      new RegExp(`^Configuration error: ${variable}: the value is refused: it ${rule}`, "m"),
    );
    assert.ok(!all.includes(value), `the refused value is not in the output: ${all}`);
    assert.equal(result.accepted, 0, "nothing listened");
  });
}

Deno.test("main - a REDIS_URL nothing answers stops the server at start with a message naming it", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("..", import.meta.url),
    env: {
      PORT: String(freePort()),
      REDIS_URL: `redis://127.0.0.1:${freePort()}`,
      TWILIO_AUTH_TOKEN: "t".repeat(32),
      UI_ACCESS_KEY: "k".repeat(32),
      LOG_LEVEL: "error",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.match(stderr, /^Configuration error: REDIS_URL: could not connect to redis:\/\/127\.0\.0\.1:\d+/m);
});
