/**
 * Instances of a cluster on a real `redis-server`: Twilio's webhook, the media socket of a call and the
 * agent's page each reach a different instance, as a load balancer may send them.
 */
import assert from "node:assert/strict";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { newCallSid, PageSocket } from "../support/fake_twilio.ts";
import {
  BALANCER_URL,
  CLUSTER_TOKEN,
  health,
  type Instance,
  startInstances,
  stopInstances,
  withRedis,
} from "../support/redis.ts";

/** Webhook to `webhook`, media to `media`, the page on `page`: the page sees the whole call. */
async function callAcross(webhook: Instance, media: Instance, page: Instance) {
  const scenario = buildScenarios(media.server.config.coaching).loud;
  const callSid = newCallSid();
  const watcher = await PageSocket.open(page.server);
  try {
    const result = await runSimulation({
      scenario,
      url: webhook.server.url,
      mediaUrl: media.server.url,
      publicUrl: BALANCER_URL,
      authToken: CLUSTER_TOKEN,
      speed: 20,
      callSid,
    });
    // The simulator followed the call on the webhook's instance and judged the tips it saw there.
    assert.equal(result.endReason, "stream_stopped");
    assert.ok(result.ok, `the tips reached the webhook's instance: ${JSON.stringify(result.verdict)}`);
    const ofCall = watcher.messages.filter((m) => "session_id" in m && m.session_id === callSid);
    await watcher.next((m) => m.type === "call_ended" && m.session_id === callSid);
    const types = new Set<string>(ofCall.map((m) => m.type));
    for (const type of ["stream_started", "metrics", "suggestion"]) {
      assert.ok(types.has(type), `the page on ${page.server.instanceId} got ${type}`);
    }
    const tip = ofCall.find((m) => m.type === "suggestion");
    assert.equal(tip?.type === "suggestion" && tip.data.type, "SPEAKING_TOO_LOUD");
    assert.equal(media.server.registry.get(callSid)?.status, "ended", "coached where its media went");
    assert.equal(webhook.server.registry.get(callSid), undefined, "the webhook's instance keeps no session");
  } finally {
    await watcher.close();
  }
}

Deno.test("Cluster - webhook to A, media to B, page on A: the page gets the whole call; and with the roles swapped", async () => {
  await withRedis(async (redis) => {
    const instances = await startInstances(redis.url, ["a", "b"], { session: { endGraceMs: 500 } });
    try {
      const [a, b] = instances;
      await callAcross(a, b, a);
      await callAcross(b, a, b);
      for (const { server } of instances) {
        const status = await health(server);
        assert.equal(status.redis, "ok");
        assert.equal(status.instance_id, server.instanceId);
      }
    } finally {
      await stopInstances(instances);
    }
  });
});
