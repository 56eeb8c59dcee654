import assert from "node:assert/strict";
import type { ServerMessage } from "../../core/protocol/ui_messages.ts";
import { FanoutPublisher } from "../../server/fanout.ts";
import type { RedisLink } from "../../server/redis_link.ts";
import { decodeBatch, UI_CHANNEL } from "../../server/redis_wire.ts";
import type { Command } from "../../server/redis_resp.ts";
import { commands } from "../../server/redis_writer.ts";

/** A link that records each write (one write = one socket write of the real link). */
function recordingLink(): { link: RedisLink; writes: Command[][] } {
  const writes: Command[][] = [];
  const link = { write: (batch: readonly Command[]) => writes.push([...batch]) };
  return { link: link as unknown as RedisLink, writes };
}

const metrics = { type: "metrics", session_id: "CA1", data: {} } as unknown as ServerMessage;
const tip = { type: "suggestion", session_id: "CA1", data: { id: "1" } } as unknown as ServerMessage;

function batchTypes(write: Command[]): string[] {
  const publish = write.at(-1)!;
  assert.deepEqual(publish.slice(0, 2), ["PUBLISH", UI_CHANNEL]);
  return decodeBatch(publish[2])!.items.map((item) => item.type);
}

Deno.test("fanout - metrics wait for the batch timer and share one write", async () => {
  const { link, writes } = recordingLink();
  const publisher = new FanoutPublisher({ link, instanceId: "i1", flushMs: 20 });
  publisher.publish("CA1", metrics);
  publisher.publish("CA2", metrics);
  assert.equal(writes.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(writes.length, 1);
  assert.deepEqual(batchTypes(writes[0]), ["metrics", "metrics"]);
  assert.equal(publisher.published, 2);
});

Deno.test("fanout - a tip goes out at once, with the queued metrics and registry writes ahead of it", () => {
  const { link, writes } = recordingLink();
  // A timer far off: only the tip can have sent the batch.
  const publisher = new FanoutPublisher({ link, instanceId: "i1", flushMs: 60_000 });
  publisher.publish("CA2", metrics);
  publisher.enqueue(commands.xAdd("lcc:tips:CA1", { id: "1" }, 10));
  publisher.publish("CA1", tip);
  assert.equal(writes.length, 1);
  assert.equal(writes[0][0][0], "XADD");
  assert.deepEqual(batchTypes(writes[0]), ["metrics", "suggestion"]);
  publisher.flush();
  assert.equal(writes.length, 1, "nothing left to send");
});
