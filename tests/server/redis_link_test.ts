import assert from "node:assert/strict";
import { ConfigError } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { MAX_QUEUED_COMMANDS, PING_TIMEOUT_MS, RedisLink } from "../../server/redis_link.ts";
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
      let taken = 0;
      link.fire(async (client) => taken += Number(await client.incr("n") > 0));
      await waitFor(() => taken === 1, "a write while Redis answers");
      assert.equal(link.dropped, 0);

      // Stalled: the connection stays open, nothing answers.
      Deno.kill(redis.pid, "SIGSTOP");
      try {
        // Before the link knows, writes wait for Redis, but no more than the queue holds.
        for (let i = 0; i < MAX_QUEUED_COMMANDS + 500; i++) {
          link.fire((client) => client.publish("nowhere", "x"));
        }
        await waitFor(() => link.dropped >= 500, "the writes beyond the queue given up");
        await waitFor(() => link.state === "down", "the unanswered PING", PING_TIMEOUT_MS + 3_000);
        const queued = link.dropped;
        for (let i = 0; i < 1000; i++) link.fire((client) => client.publish("nowhere", "x".repeat(100)), 2);
        assert.equal(link.dropped - queued, 2000, "once it knows, every write is given up at once");
      } finally {
        Deno.kill(redis.pid, "SIGCONT");
      }
      await waitFor(() => link.state === "ok", "the link after SIGCONT", 5_000);

      await redis.kill();
      await waitFor(() => link.state === "down", "the link after Redis died");
      const before = link.dropped;
      link.fire((client) => client.set("k", "v"));
      assert.equal(link.dropped, before + 1);
      assert.deepEqual(states, ["down", "ok", "down"]);
    } finally {
      link.close();
    }
  });
});
