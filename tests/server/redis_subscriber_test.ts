import assert from "node:assert/strict";
import { createClient } from "redis";
import { RedisSubscriber } from "../../server/redis_subscriber.ts";
import { waitFor } from "../support/fake_twilio.ts";
import { withPasswordRedis, withRedis } from "../support/redis.ts";

Deno.test("RedisSubscriber - each channel's messages reach its listener whole and in order, behind the URL's password", async () => {
  await withPasswordRedis(1, async ({ url, wrongUrl, admin }) => {
    const subscriber = await RedisSubscriber.open(url, { onState: () => {} }, 2_000);
    try {
      const ui: string[] = [];
      const control: string[] = [];
      await subscriber.subscribe("lcc:ui", (message) => ui.push(message));
      await subscriber.subscribe("lcc:control", (message) => control.push(message));
      assert.equal(subscriber.ready, true);
      assert.throws(() => subscriber.subscribe("lcc:ui", () => {}), /already subscribed to lcc:ui/);

      // Big enough to arrive over several reads; with CR LF and multi-byte characters inside.
      const big = "Slow down — a little\r\n".repeat(20_000);
      for (let i = 0; i < 300; i++) await admin.publish("lcc:ui", `batch ${i}`);
      await admin.publish("lcc:ui", big);
      await admin.publish("lcc:control", '{"type":"end"}');
      await admin.publish("elsewhere", "not for us");
      await waitFor(() => ui.length === 301 && control.length === 1, "every message");
      assert.deepEqual(ui.slice(0, 300), Array.from({ length: 300 }, (_, i) => `batch ${i}`));
      assert.equal(ui[300], big);
      assert.deepEqual(control, ['{"type":"end"}']);
    } finally {
      subscriber.close();
    }
    await assert.rejects(RedisSubscriber.open(wrongUrl, { onState: () => {} }, 2_000));
  });
});

Deno.test("RedisSubscriber - a dropped connection comes back subscribed to every channel before it says so", async () => {
  await withRedis(async (redis) => {
    const states: (string | null)[] = [];
    const subscriber = await RedisSubscriber.open(
      redis.url,
      { onState: (problem) => states.push(problem) },
      2_000,
    );
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const heard: string[] = [];
      await subscriber.subscribe("a", (message) => heard.push(`a:${message}`));
      await subscriber.subscribe("b", (message) => heard.push(`b:${message}`));
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await waitFor(() => states.length >= 1, "the subscriber noticing the kill");
      assert.notEqual(states[0], null);
      await waitFor(() => subscriber.ready, "the subscriber back by itself", 5_000);
      assert.equal(states.at(-1), null, "back, and said so");
      await admin.publish("a", "1");
      await admin.publish("b", "2");
      await waitFor(() => heard.length === 2, "both channels after the reconnection");
      assert.deepEqual(heard, ["a:1", "b:2"]);

      admin.destroy();
      await redis.kill();
      await waitFor(() => !subscriber.ready, "the subscriber after Redis died");
      await assert.rejects(subscriber.subscribe("c", () => {}), /not connected to Redis/);
    } finally {
      subscriber.close();
      if (admin.isOpen) admin.destroy();
    }
  });
});
