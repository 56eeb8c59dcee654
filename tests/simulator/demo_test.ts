/**
 * `deno task demo` as a user runs it: one process that starts the server, serves the page, plays a call
 * through itself and stays up until Ctrl-C, then stops cleanly.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FakeModel } from "../support/fake_model.ts";

const DEMO = fileURLToPath(new URL("../../simulator/demo.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

Deno.test("Demo - serves the page, plays the call, keeps running until Ctrl-C, stops cleanly, offline", async () => {
  // A model is configured, as a user's .env may do: the demo must not use it (offline and free).
  const model = FakeModel.start(() => ({ content: "Ease off a little" }));
  const keep = ["PATH", "HOME", "DENO_DIR", "XDG_RUNTIME_DIR", "TMPDIR", "XDG_CACHE_HOME"];
  const env = Object.fromEntries(
    keep.flatMap((name) => Deno.env.get(name) ? [[name, Deno.env.get(name)!]] : []),
  );
  const cwd = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, DEMO, "--wait", "0", "--speed", "0", "--scenario", "silence"],
    cwd,
    env: { ...env, PORT: "0", COACH_LLM_BASE_URL: model.url, COACH_LLM_MODEL: "fake-model" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((result) => {
    exited = true;
    return result;
  });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  try {
    while (!output.includes("Press Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) assert.fail(`the demo ended early:\n${output}\n${await stderr}`);
      output += value;
    }
    const page = output.match(/Open the agent page:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
    assert.ok(page, output);
    const response = await fetch(page);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<html/i);
    assert.match(output, /\[00:\d\d\.\d\] medium TOO_MUCH_SILENCE/);
    assert.match(output, /PASS/);

    child.kill("SIGINT");
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) output += chunk.value;
    assert.equal((await status).code, 0, `${output}\n${await stderr}`);
    assert.match(output, /Stopping/);
    assert.match(output, /fixed tips only/);
    assert.equal(model.requests.length, 0, "the demo asked no model");
  } finally {
    if (!exited) child.kill("SIGKILL");
    await status;
    await reader.cancel();
    await stderr;
    await Deno.remove(cwd, { recursive: true });
    await model.close();
  }
});
