/**
 * The `deno task simulate` command line: argument parsing, where the auth token comes from, and the
 * real command run as a subprocess against a server started in-process (exit codes 0, 1 and 2).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { readLocalToken, removeLocalToken, writeLocalToken } from "../../lib/local_token.ts";
import { startServer } from "../../server/start.ts";
import { parseCliArgs, resolveAuthToken, UsageError } from "../../simulator/cli.ts";
import { SimulatorError } from "../../simulator/twilio_client.ts";

Deno.test("CLI - parses a full command line", () => {
  const args = parseCliArgs([
    "fast",
    "--url",
    "http://127.0.0.1:9000/",
    "--public-url=https://coach.example.com",
    "--speed",
    "10",
    "--call-sid",
    "CA0123456789abcdef0123456789abcdef",
    "--agent-track",
    "inbound",
    "--agent-audio",
    "a.ulaw",
    "--seed",
    "3",
  ]);
  assert.deepEqual(args, {
    list: false,
    help: false,
    scenario: "fast",
    url: "http://127.0.0.1:9000",
    publicUrl: "https://coach.example.com",
    speed: 10,
    callSid: "CA0123456789abcdef0123456789abcdef",
    agentTrack: "inbound",
    agentAudio: "a.ulaw",
    customerAudio: undefined,
    seed: 3,
  });
  assert.equal(parseCliArgs(["--list"]).list, true);
  assert.equal(parseCliArgs(["normal"]).speed, 1);
});

Deno.test("CLI - bad command lines are usage errors that say what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [[], /exactly one scenario/],
    [["nope"], /unknown scenario "nope"; choose one of normal/],
    [["fast", "--speed=-1"], /--speed must be a number ≥ 0/],
    [["fast", "--speed", "x"], /--speed/],
    [["fast", "--call-sid", "CA12"], /--call-sid must be "CA" followed by 32 hex digits/],
    [["fast", "--agent-track", "left"], /--agent-track must be inbound or outbound/],
    [["fast", "--url", "ftp://x"], /--url must be an http/],
    [["fast", "--bogus"], /bogus/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCliArgs(args),
      (error: Error) => error instanceof UsageError && message.test(error.message),
    );
  }
});

Deno.test("CLI - the auth token comes from the config, else from the local server's token file", async () => {
  const withToken = loadConfig({ TWILIO_AUTH_TOKEN: "configured-token" });
  assert.equal(await resolveAuthToken(withToken, "http://127.0.0.1:1"), "configured-token");

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port; // a port no server of ours uses: its token file is ours alone
  try {
    await assert.rejects(resolveAuthToken(loadConfig({}), `http://127.0.0.1:${port}`), (error: Error) => {
      assert.ok(error instanceof SimulatorError);
      assert.match(error.message, /TWILIO_AUTH_TOKEN is not set/);
      assert.match(error.message, new RegExp(`live-call-coach-${port}\\.token`));
      return true;
    });
    await writeLocalToken(port, "ephemeral-token");
    assert.equal(await resolveAuthToken(loadConfig({}), `http://127.0.0.1:${port}`), "ephemeral-token");
  } finally {
    await removeLocalToken(port);
    listener.close();
  }
});

const CLI = fileURLToPath(new URL("../../simulator/cli.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

/** Runs the real CLI in a directory without a .env and with no Twilio variables. */
async function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = await Deno.makeTempDir();
  const keep = ["PATH", "HOME", "DENO_DIR", "XDG_RUNTIME_DIR", "TMPDIR", "XDG_CACHE_HOME"];
  const env = Object.fromEntries(
    keep.flatMap((name) => Deno.env.get(name) ? [[name, Deno.env.get(name)!]] : []),
  );
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, CLI, ...args],
      cwd,
      env,
      clearEnv: true,
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("CLI - plays a scenario through a local server with its ephemeral token; exit 0, 1 and 2", async () => {
  const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), {
    hostname: "127.0.0.1",
    log: silentLogger,
  });
  try {
    assert.equal(
      await readLocalToken(server.port),
      server.authToken,
      "the server left its token for the CLI",
    );
    const pass = await simulate(["loud", "--speed", "0", "--url", server.url]);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /\[00:\d\d\.\d\] medium SPEAKING_TOO_LOUD\s+Lower your voice a little/);
    assert.match(pass.stdout, /ok\s+SPEAKING_TOO_LOUD/);
    assert.match(pass.stdout, /PASS/);

    const fail = await simulate(["loud", "--speed", "0", "--url", server.url, "--agent-track", "inbound"]);
    assert.equal(fail.code, 1, fail.stderr);
    assert.match(fail.stdout, /MISSING\s+SPEAKING_TOO_LOUD/);
    assert.match(fail.stdout, /FAIL/);

    const usage = await simulate(["loud", "--speed", "fast"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--speed must be a number/);
  } finally {
    await server.shutdown();
  }
});
