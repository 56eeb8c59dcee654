import assert from "node:assert/strict";
import { backoffDelayMs } from "../../islands/ui_socket.ts";

Deno.test("UI socket - reconnect delays double from 1 s and stop at the cap", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 16000, 16000]);
  assert.equal(backoffDelayMs(3, { initialMs: 100, maxMs: 500 }), 500);
});
