import assert from "node:assert/strict";
import { faultOfCall, FAULTS, formatSoakReport, runSoak } from "../../tools/soak.ts";

Deno.test("Soak - faults go round: any 7 consecutive calls get every fault once", () => {
  for (const from of [0, 3, 12]) {
    const faults = Array.from({ length: FAULTS.length }, (_, i) => faultOfCall(from + i));
    assert.deepEqual([...faults].sort(), [...FAULTS].sort(), `calls ${from}…${from + 6}`);
  }
});

Deno.test("Soak - a short soak with every fault completes every call with its tips and leaves nothing behind", async () => {
  const lines: string[] = [];
  const report = await runSoak({
    seconds: 12,
    concurrency: 4,
    speed: 12,
    seed: 5,
    print: (l) => lines.push(l),
  });
  const text = [...lines, ...formatSoakReport(report, 0)].join("\n");
  assert.deepEqual(report.errors, [], text);
  assert.equal(report.serverErrors, 0);
  assert.equal(report.registrySize, 0, "every session was dropped after its call");
  assert.ok(report.calls >= 10, `${report.calls} calls`);
  assert.ok(report.tipsExpected > 0);
  assert.equal(report.tipsDelivered, report.tipsExpected);
  assert.equal(report.tipsUnexpected, 0);
  // Every fault type was really injected (not just drawn), and every such call ended cleanly, with the
  // end reason that fault must give.
  assert.deepEqual(Object.keys(report.byFault).sort(), [...FAULTS].sort(), text);
  for (const fault of FAULTS) {
    const n = report.byFault[fault];
    assert.ok(n.injected >= 1, `${fault} was injected: ${JSON.stringify(n)}\n${text}`);
    assert.equal(n.completed, n.calls, `${fault}: every call completed`);
  }
  assert.deepEqual(report.faultsMissed, []);
  assert.ok(report.ok);
});

Deno.test("Soak - even a budget too short for a call injects every fault once", async () => {
  const report = await runSoak({ seconds: 1, concurrency: 7, speed: 24, seed: 9, print: () => {} });
  const text = formatSoakReport(report, 0).join("\n");
  assert.ok(report.calls >= FAULTS.length, text);
  for (const fault of FAULTS) assert.ok(report.byFault[fault].injected >= 1, `${fault}\n${text}`);
  assert.deepEqual(report.errors, [], text);
  assert.ok(report.ok, text);
});
