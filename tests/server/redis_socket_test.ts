import assert from "node:assert/strict";
import { parseTarget } from "../../server/redis_socket.ts";

Deno.test("RedisSocket - the URL gives the host, the port, TLS and the AUTH/SELECT handshake", () => {
  assert.deepEqual(parseTarget("redis://127.0.0.1:6390"), {
    hostname: "127.0.0.1",
    port: 6390,
    tls: false,
    handshake: [],
  });
  assert.deepEqual(parseTarget("rediss://coach:p%40ss@[::1]/3"), {
    hostname: "::1",
    port: 6379,
    tls: true,
    handshake: [["AUTH", "coach", "p@ss"], ["SELECT", "3"]],
  });
  assert.deepEqual(parseTarget("redis://:only-pass@redis.internal:7000/0").handshake, [[
    "AUTH",
    "only-pass",
  ]]);
});
