import assert from "node:assert/strict";
import { accepts, startRedisServer } from "../../server/redis_server.ts";

Deno.test("Redis server - a start counts only when the server on the port is its own", async () => {
  // Another Redis already on the port: redis-server cannot bind it, and the caller must not be handed
  // the other one (stopping it would then leave that one running).
  const first = await startRedisServer();
  try {
    await assert.rejects(
      () => startRedisServer({ port: first.port }),
      (error: Error) => {
        assert.match(error.message, new RegExp(`port ${first.port} is taken by another process`));
        assert.match(error.message, new RegExp(String(first.pid)));
        return true;
      },
    );
    assert.equal(await accepts(first.port), true, "the Redis already there is left alone");
  } finally {
    await first.stop();
  }
  assert.equal(await accepts(first.port), false);

  // A server that is not Redis.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const served = (async () => {
    for await (const connection of listener) connection.close();
  })();
  try {
    await assert.rejects(
      () => startRedisServer({ port }),
      new RegExp(`port ${port} is taken by another process \\(a server that is not Redis\\)`),
    );
  } finally {
    listener.close();
    await served.catch((error) => {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    });
  }
});

Deno.test("Redis server - stop() leaves nothing listening", async () => {
  const redis = await startRedisServer();
  assert.equal(await accepts(redis.port), true);
  await redis.stop();
  assert.equal(await accepts(redis.port), false);
  assert.equal((await redis.exited).success, true, "SIGTERM ends it cleanly");
});
