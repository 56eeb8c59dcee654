import assert from "node:assert/strict";
import { backoffDelayMs } from "../../islands/ui_socket.ts";

Deno.test("UI socket - reconnect delays double from 0.5 s and stop at 4 s, under the 5 s cap", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 4000, 4000, 4000]);
  assert.equal(backoffDelayMs(3, { initialMs: 100, maxMs: 500 }), 500);
});
