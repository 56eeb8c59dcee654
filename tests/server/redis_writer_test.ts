import assert from "node:assert/strict";
import { createClient } from "redis";
import { commands, RedisWriter } from "../../server/redis_writer.ts";
import { waitFor } from "../support/fake_twilio.ts";
import { withPasswordRedis, withRedis } from "../support/redis.ts";

/** A writer's events, recorded. */
function recorder() {
  const states: (string | null)[] = [];
  const lost: { count: number; reason: string }[] = [];
  return {
    states,
    lost,
    events: {
      onState: (problem: string | null) => states.push(problem),
      onLost: (count: number, reason: string) => lost.push({ count, reason }),
    },
  };
}

Deno.test("RedisWriter - XADD caps the stream approximately when asked", () => {
  assert.deepEqual(commands.xAdd("s", { tip: "{}" }, 200), [
    "XADD",
    "s",
    "MAXLEN",
    "~",
    "200",
    "*",
    "tip",
    "{}",
  ]);
  assert.deepEqual(commands.xAdd("s", { cleared: "t1" }), ["XADD", "s", "*", "cleared", "t1"]);
});

Deno.test("RedisWriter - writes arrive in order; what Redis refuses is reported lost; the URL's password and database are used", async () => {
  await withPasswordRedis(2, async ({ url, wrongUrl }) => {
    const { events, lost } = recorder();
    const writer = await RedisWriter.open(url, events, 2_000);
    try {
      for (let i = 0; i < 500; i++) writer.send([commands.set("k", String(i), 60_000)]);
      writer.send([["INCR", "k"], ["LPUSH", "k", "x"]]);
      await writer.drain(5_000);
      const reader = createClient({ url });
      await reader.connect();
      assert.equal(await reader.get("k"), "500", "the last SET, then the INCR, in order, in database 2");
      reader.destroy();
      assert.deepEqual(lost.map((entry) => entry.count), [1]);
      assert.match(lost[0].reason, /^Redis refused them \(WRONGTYPE/);
    } finally {
      writer.close();
    }
    await assert.rejects(RedisWriter.open(wrongUrl, events, 2_000));
  });
});

Deno.test("RedisWriter - a dropped connection refuses writes at once, counts what it had not had answered, and comes back", async () => {
  await withRedis(async (redis) => {
    const { events, states } = recorder();
    const writer = await RedisWriter.open(redis.url, events, 2_000);
    try {
      assert.equal(writer.send([commands.set("a", "1", 60_000)]), true);
      await writer.drain(5_000);
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      await waitFor(() => states.length >= 1 && states[0] !== null, "the writer noticing the kill");
      assert.equal(writer.ready, false);
      assert.equal(writer.send([commands.set("b", "1", 60_000)]), false, "refused while down, not queued");
      await waitFor(() => writer.ready, "the writer reconnecting by itself", 5_000);
      assert.equal(states.at(-1), null);
      writer.send([commands.set("c", "1", 60_000)]);
      await writer.drain(5_000);
      assert.deepEqual(await admin.mGet(["a", "b", "c"]), ["1", null, "1"]);
      admin.destroy();
    } finally {
      writer.close();
    }
  });
});
