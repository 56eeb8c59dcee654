/**
 * What strangers can make the server hold through the media socket, measured from outside: `main.ts` runs
 * as its own process and its resident memory is read from /proc while twenty unsigned clients each try to
 * send most of a 63 MiB WebSocket frame and then stall. Before the upgrade needed a signature this took the
 * server from 150 to 1,150 MiB for as long as the clients liked; now the upgrade is refused and the frame
 * never reaches the runtime's message buffer.
 */
import assert from "node:assert/strict";
import { newCallSid } from "../support/fake_twilio.ts";
import { freePort, residentBytes, startMain } from "../support/main_process.ts";
import { largeFrameHeader, RawClient, upgradeHead } from "../support/raw_http.ts";

const CLIENTS = 20;
const FRAME_BYTES = 63 * 2 ** 20;
const SENT_BYTES = 50 * 2 ** 20;
const ALLOWED_GROWTH_BYTES = 20 * 1000 * 1000;
const MB = 1000 * 1000;

/** One hostile client: the upgrade and, without waiting for the answer, `SENT_BYTES` of a large frame. */
async function stallLargeFrame(port: number): Promise<{ client: RawClient; sent: number }> {
  const client = await RawClient.connect(port);
  await client.write(upgradeHead(`/ws/twilio/media/${newCallSid()}`));
  await client.write(largeFrameHeader(FRAME_BYTES));
  const chunk = new Uint8Array(2 ** 20).fill(0x61);
  let sent = 0;
  while (sent < SENT_BYTES && await client.write(chunk)) sent += chunk.length;
  return { client, sent };
}

Deno.test("Edge memory - twenty stalled 63 MiB frames on unsigned sockets leave the server's RSS within 20 MB", async () => {
  const port = freePort();
  const { child, rest } = await startMain(port);
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const clients: RawClient[] = [];
  try {
    // Warm the paths the attack takes (routing, the refusal, its log line) before the baseline is read.
    for (let i = 0; i < 3; i++) {
      const { client } = await stallLargeFrame(port);
      await client.until((c) => c.closed, 5_000);
      client.close();
      await client.done();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = residentBytes(child.pid);

    const attacks = await Promise.all(Array.from({ length: CLIENTS }, () => stallLargeFrame(port)));
    clients.push(...attacks.map((attack) => attack.client));
    // The clients now stall, holding their connections; watch the server for a while.
    let peak = residentBytes(child.pid);
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      peak = Math.max(peak, residentBytes(child.pid));
    }
    const growth = peak - before;
    console.log(
      `server RSS ${(before / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB with ${CLIENTS} ` +
        `stalled frames (growth ${(growth / MB).toFixed(1)} MB); each client sent at most ` +
        `${(Math.max(...attacks.map((a) => a.sent)) / 2 ** 20).toFixed(0)} MiB before the server hung up`,
    );
    for (const { client } of attacks) {
      assert.ok(await client.until((c) => c.status !== null, 5_000), "every upgrade was answered");
      assert.equal(client.status, 403, client.text.slice(0, 200));
    }
    assert.ok(growth < ALLOWED_GROWTH_BYTES, `RSS grew by ${(growth / MB).toFixed(1)} MB`);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal((await health.json()).status, "ok");
  } finally {
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.done()));
    child.kill("SIGTERM");
    await child.status;
    await rest;
    await errors.cancel();
  }
});
