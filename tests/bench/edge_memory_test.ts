/**
 * bench/edge_memory.ts measures what it says: unsigned clients are refused and add nothing, a signed,
 * started client's stalled frame is held by the server until the client goes (small sizes, so it is quick).
 */
import assert from "node:assert/strict";
import { measure } from "../../bench/edge_memory.ts";

Deno.test("Bench edge memory - unsigned clients are refused; a signed client's stalled frame is held until it goes", async () => {
  const [unsigned, started] = await Promise.all([
    measure("unsigned", 2, 16),
    measure("signed, started", 1, 16),
  ]);
  assert.equal(unsigned.upgrades_refused, 2);
  assert.ok(unsigned.rss_stalled_mib - unsigned.rss_before_mib < 8, JSON.stringify(unsigned));
  assert.equal(started.upgrades_refused, 0);
  assert.ok(started.rss_stalled_mib - started.rss_before_mib >= 10, JSON.stringify(started));
  assert.ok(started.rss_after_deadline_mib - started.rss_before_mib >= 10, "still held after 5 s");
  assert.ok(started.rss_after_clients_left_mib < started.rss_stalled_mib - 8, "given back once it went");
});
