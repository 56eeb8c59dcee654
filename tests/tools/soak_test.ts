import assert from "node:assert/strict";
import { FAULTS, runSoak } from "../../tools/soak.ts";

Deno.test("Soak - a short soak with every fault completes every call with its tips and leaves nothing behind", async () => {
  const lines: string[] = [];
  const report = await runSoak({
    seconds: 12,
    concurrency: 4,
    speed: 12,
    seed: 5,
    print: (l) => lines.push(l),
  });
  assert.deepEqual(report.errors, [], lines.join("\n"));
  assert.equal(report.serverErrors, 0);
  assert.equal(report.registrySize, 0, "every session was dropped after its call");
  assert.ok(report.calls >= 10, `${report.calls} calls`);
  assert.ok(report.tipsExpected > 0);
  assert.equal(report.tipsDelivered, report.tipsExpected);
  assert.equal(report.tipsUnexpected, 0);
  const faultsSeen = Object.keys(report.byFault);
  assert.ok(faultsSeen.length >= FAULTS.length - 2, `faults exercised: ${faultsSeen.join(", ")}`);
  assert.ok(report.ok);
});
