import assert from "node:assert/strict";
import { ACCESS_COOKIE } from "../../server/http/ui_access.ts";
import type { RunningServer } from "../../server/start.ts";
import { waitFor } from "../support/fake_twilio.ts";
import { withLoggedServer } from "../support/server.ts";

const post = (server: RunningServer, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/sample-call`, {
    method: "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const get = async (server: RunningServer) => await (await fetch(`${server.url}/api/sample-call`)).json();

Deno.test("Sample call - plays a scripted call through the real server, one at a time", async () => {
  await withLoggedServer({}, async (server, logs) => {
    assert.deepEqual(await get(server), { available: true, scenario: "tour", playing: null });

    const started = await post(server, { scenario: "loud", speed: 20 });
    assert.equal(started.status, 202);
    const body = await started.json();
    assert.match(body.call_sid, /^CA[0-9a-f]{32}$/);
    assert.equal(body.scenario, "loud");
    assert.ok(body.duration_s > 5);
    assert.deepEqual((await get(server)).playing, { call_sid: body.call_sid, scenario: "loud" });

    // A second one while it plays is refused: one sample call at a time.
    const second = await post(server);
    assert.equal(second.status, 409);
    assert.match((await second.json()).error, /already playing \(loud, CA/);

    // It went through the webhook and the signed media socket like a real call, and its tip came.
    await waitFor(
      () => server.registry.get(body.call_sid)?.status === "ended",
      "the sample call to end",
      20_000,
    );
    const session = server.registry.get(body.call_sid)!;
    assert.equal(session.snapshot().suggestions[0]?.type, "SPEAKING_TOO_LOUD");
    await waitFor(() => logs.some((l) => l.event === "sample_call_ended"), "the player to finish");
    assert.deepEqual((await get(server)).playing, null);
    assert.equal(logs.filter((l) => l.event === "sample_call_failed").length, 0);
    assert.equal(logs.find((l) => l.event === "sample_call_ended")?.tips, 1);
  });
});

Deno.test("Sample call - a bad request says what to send; the tunnel and other sites are refused", async () => {
  await withLoggedServer({}, async (server) => {
    const cases: [unknown, Record<string, string>, number, RegExp][] = [
      ["not json", {}, 400, /not JSON/],
      [{ scenario: "karaoke" }, {}, 400, /^Bad request: scenario: /],
      [{ speed: 0 }, {}, 400, /^Bad request: speed: /],
      [{ scenario: "tour", extra: 1 }, {}, 400, /^Bad request: body: Unrecognized key/],
      ["{}", { "content-type": "text/plain" }, 415, /Expected no body/],
      [undefined, { origin: "https://evil.example" }, 403, /cross-site/],
      [
        undefined,
        { "cf-connecting-ip": "203.0.113.9", cookie: `${ACCESS_COOKIE}=${server.accessKey}` },
        403,
        /the sample call only answers requests made on this machine/,
      ],
    ];
    for (const [body, headers, status, error] of cases) {
      const response = await post(server, body, headers);
      assert.equal(response.status, status, JSON.stringify({ body, headers }));
      assert.match((await response.json()).error, error);
    }
    const tunnel = await fetch(`${server.url}/api/sample-call`, {
      headers: { "cf-connecting-ip": "203.0.113.9" },
    });
    assert.equal(tunnel.status, 401, "without the access key the tunnel gets nothing");
    await tunnel.body?.cancel();
    assert.equal(server.registry.size, 0, "no call was played");
  });
});

Deno.test("Sample call - stopping the server stops the call playing", async () => {
  await withLoggedServer({}, async (server, logs) => {
    assert.equal((await post(server)).status, 202); // the tour, in real time: two minutes
    await waitFor(() => server.registry.activeCount === 1, "the sample call to start");
    const began = performance.now();
    await server.shutdown();
    assert.ok(performance.now() - began < 10_000, "shutdown does not wait for the call to finish");
    assert.equal(logs.filter((l) => l.event === "sample_call_failed").length, 0, "an abort is not a failure");
    assert.equal(logs.filter((l) => l.event === "sample_call_stopped").length, 1);
  });
});
