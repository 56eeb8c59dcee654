import assert from "node:assert/strict";
import { readLocalToken } from "../../lib/local_token.ts";
import { parseClusterArgs } from "../../server/cluster_launcher.ts";
import { accepts, freePort } from "../../server/redis_server.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { defaultCoachingConfig } from "../../core/coaching/config.ts";

Deno.test("Cluster launcher - --instances defaults to the cores and takes 1 to 64", () => {
  assert.equal(parseClusterArgs([]).instances, navigator.hardwareConcurrency);
  assert.equal(parseClusterArgs(["--instances", "3"]).instances, 3);
  for (
    const bad of [["--instances", "0"], ["--instances", "many"], ["--instances", "65"], ["--nodes", "2"]]
  ) {
    assert.throws(() => parseClusterArgs(bad), Error, bad.join(" "));
  }
});

Deno.test("Cluster launcher - N instances share one port and a private Redis; a call is coached; Ctrl-C stops everything", async () => {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "cluster", "--instances", "2"],
    cwd: new URL("../..", import.meta.url),
    env: {
      PORT: String(port),
      LOG_LEVEL: "warn",
      REDIS_URL: "",
      TWILIO_AUTH_TOKEN: "",
      UI_ACCESS_KEY: "",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let output = "";
  try {
    while (!output.includes("Ctrl-C stops every instance and Redis.")) {
      const { value, done } = await stdout.read();
      if (done) throw new Error(`the cluster exited: ${output}\n${await stderr}`);
      output += value;
    }
    const redisPort = Number(/Redis: redis:\/\/127\.0\.0\.1:(\d+) \(private/.exec(output)?.[1]);
    assert.ok(redisPort > 0, output);
    assert.match(output, /Access key for viewing the page from other machines: \S{16,}/);

    // Each new connection lands on one instance or the other.
    const seen = new Set<string>();
    for (let i = 0; i < 50 && seen.size < 2; i++) {
      const health =
        await (await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: "close" } }))
          .json();
      assert.equal(health.redis, "ok");
      seen.add(health.instance_id);
    }
    assert.equal(seen.size, 2, `both instances answered: ${[...seen]}`);

    const token = await readLocalToken(port);
    assert.ok(token, "the shared ephemeral token is left for the simulator");
    const result = await runSimulation({
      scenario: buildScenarios(defaultCoachingConfig).loud,
      url: `http://127.0.0.1:${port}`,
      authToken: token,
      speed: 20,
    });
    assert.ok(result.ok, JSON.stringify(result.verdict));

    // A Ctrl-C in a terminal reaches the launcher twice (from the terminal and from `deno task`), and
    // people press it again: the second must wait for the first stop, not exit past it.
    child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      child.kill("SIGINT");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // it had stopped everything already
    }
    const status = await child.status;
    assert.equal(status.code, 0, await stderr);
    assert.equal(await accepts(port), false, "no instance listens any more");
    assert.equal(await accepts(redisPort), false, "the private Redis is stopped");
    assert.equal(await readLocalToken(port), null, "the token file is removed");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
    await stdout.cancel();
    await stderr;
  }
});
