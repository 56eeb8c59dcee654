import assert from "node:assert/strict";
import { ConfigError } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { PING_TIMEOUT_MS, RedisLink } from "../../server/redis_link.ts";
import { MAX_QUEUED_BYTES } from "../../server/redis_writer.ts";
import { freePort } from "../../server/redis_server.ts";
import { waitFor } from "../support/fake_twilio.ts";
import { withRedis } from "../support/redis.ts";

Deno.test("RedisLink - a Redis that cannot be reached at start is a configuration error naming REDIS_URL, password hidden", async () => {
  const url = `redis://:hunter2hunter2@127.0.0.1:${freePort()}`;
  const error = await RedisLink.open({ url, log: silentLogger, connectTimeoutMs: 300 }).then(
    () => assert.fail("connected to nothing"),
    (error) => error,
  );
  assert.ok(error instanceof ConfigError);
  assert.equal(error.variable, "REDIS_URL");
  assert.match(
    error.message,
    /^REDIS_URL: could not connect to redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ within 300 ms/,
  );
  assert.doesNotMatch(error.message, /hunter2/);
});

Deno.test("RedisLink - while Redis is stalled or gone, writes are given up at once and counted; the link comes back by itself", async () => {
  await withRedis(async (redis) => {
    const link = await RedisLink.open({ url: redis.url, log: silentLogger });
    try {
      const states: string[] = [];
      link.onState((state) => states.push(state));
      link.write([["INCR", "n"]]);
      await link.drain(5_000);
      assert.equal(await link.commands.get("n"), "1", "a write while Redis answers");
      assert.equal(link.dropped, 0);

      // Stalled: the connection stays open, nothing answers.
      Deno.kill(redis.pid, "SIGSTOP");
      try {
        // Before the link knows, writes wait for Redis, but no more than the queue holds (beyond what the
        // kernel's socket buffers take: a few MB on loopback).
        const chunk = "x".repeat(64 * 1024);
        const chunks = Math.ceil((MAX_QUEUED_BYTES + 32 * 1024 * 1024) / chunk.length);
        for (let i = 0; i < chunks; i++) {
          link.write([["PUBLISH", "nowhere", chunk]]);
          // Lets the writer hand what it can to the socket, as the audio path's turns of the event loop do.
          if (i % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await waitFor(() => link.dropped >= 100, "the writes beyond the queue given up");
        await waitFor(() => link.state === "down", "the unanswered PING", PING_TIMEOUT_MS + 3_000);
        const queued = link.dropped;
        for (let i = 0; i < 1000; i++) link.write([["PUBLISH", "nowhere", "x".repeat(100)]], 2);
        assert.equal(link.dropped - queued, 2000, "once it knows, every write is given up at once");
      } finally {
        Deno.kill(redis.pid, "SIGCONT");
      }
      await waitFor(() => link.state === "ok", "the link after SIGCONT", 5_000);

      await redis.kill();
      await waitFor(() => link.state === "down", "the link after Redis died");
      const before = link.dropped;
      link.write([["SET", "k", "v"]]);
      assert.equal(link.dropped, before + 1);
      assert.deepEqual(states, ["down", "ok", "down"]);
    } finally {
      link.close();
    }
  });
});
