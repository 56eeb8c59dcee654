/**
 * Instances of a cluster on a real `redis-server`: Twilio's webhook, the media socket of a call and the
 * agent's page each reach a different instance, as a load balancer may send them.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { type RedisServerProcess, startRedisServer } from "../../server/redis_server.ts";
import type { SuggestionData } from "../../core/protocol/ui_messages.ts";
import { callKey, tipsKey } from "../../server/redis_wire.ts";
import { newCallSid, PageSocket, postWebhook, waitFor } from "../support/fake_twilio.ts";
import {
  BALANCER_URL,
  CLUSTER_TOKEN,
  FREQUENT_TIPS,
  health,
  type Instance,
  RealTimeCall,
  spawnInstance,
  startInstances,
  stopInstances,
  withRedis,
} from "../support/redis.ts";

/** Webhook to `webhook`, media to `media`, the page on `page`: the page sees the whole call. */
async function callAcross(webhook: Instance, media: Instance, page: Instance) {
  const scenario = buildScenarios(media.server.config.coaching).loud;
  const callSid = newCallSid();
  const watcher = await PageSocket.open(page.server);
  // A page on the coaching instance too: it gets the call from there, and must not get it again from Redis.
  const local = await PageSocket.open(media.server);
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
    await local.next((m) => m.type === "call_ended" && m.session_id === callSid);
    for (const [where, socket] of [["elsewhere", watcher], ["on the coaching instance", local]] as const) {
      const once = socket.messages.filter((m) =>
        (m.type === "stream_started" || m.type === "call_ended") && m.session_id === callSid
      );
      assert.deepEqual(
        once.map((m) => m.type),
        ["stream_started", "call_ended"],
        `each once on the page ${where}`,
      );
    }
  } finally {
    await watcher.close();
    await local.close();
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

Deno.test("Cluster - Redis killed mid-call: tips go on where the call is coached; the other instance's page shows the feed degraded, then recovers", async () => {
  await withRedis(async (redis) => {
    const settings = { ...FREQUENT_TIPS, session: { endGraceMs: 500 } };
    const instances = await startInstances(redis.url, ["a", "b"], settings);
    let restarted: RedisServerProcess | null = null;
    const [a, b] = instances;
    let call: RealTimeCall | null = null;
    try {
      // Coached on A (its media goes there); the webhook went to B.
      call = await RealTimeCall.start(b.server, a.server);
      const { callSid } = call;
      const local = await PageSocket.open(a.server, callSid);
      const remote = await PageSocket.open(b.server, callSid);
      const tipsOf = (page: PageSocket) => page.messages.filter((m) => m.type === "suggestion").length;
      await remote.next((m) => m.type === "suggestion", 10_000);

      await redis.kill();
      await remote.next((m) => m.type === "feed_status" && m.status === "degraded");
      const localTips = tipsOf(local);
      const remoteTips = tipsOf(remote);
      await waitFor(() => tipsOf(local) >= localTips + 3, "three more tips on the coaching instance's page");
      assert.equal(tipsOf(remote), remoteTips, "nothing reaches the other instance while Redis is down");
      assert.ok(
        !local.messages.some((m) => m.type === "feed_status"),
        "the coaching instance's page is not degraded",
      );
      for (const { server } of instances) {
        const status = await health(server);
        assert.equal(status.redis, "down", `${server.instanceId} says Redis is down`);
      }
      assert.equal((await health(a.server)).local_sessions, 1, "the call is still coached");
      assert.ok(
        ((await health(a.server)).redis_dropped as number) > 0,
        "what could not be published is counted",
      );

      restarted = await startRedisServer({ port: redis.port });
      const recovered = remote.messages.length;
      await remote.next((m) => m.type === "feed_status" && m.status === "ok", 15_000);
      const hello = await remote.next((m) => m.type === "hello" && remote.messages.indexOf(m) >= recovered);
      assert.ok(
        hello.type === "hello" && hello.sessions[0]?.session_id === callSid,
        "a fresh hello has the call",
      );
      assert.equal(hello.type === "hello" && hello.sessions[0].status, "live");
      assert.ok(
        hello.type === "hello" && hello.sessions[0].suggestions.length > 0,
        "its tips, written again to the new Redis by the coaching instance",
      );
      const afterHello = remote.messages.length;
      await remote.next((m) => m.type === "suggestion" && remote.messages.indexOf(m) >= afterHello, 10_000);
      for (const { server } of instances) assert.equal((await health(server)).redis, "ok");

      await call.stop();
      await remote.next((m) => m.type === "call_ended" && m.session_id === callSid);
      await Promise.all([local.close(), remote.close()]);
    } finally {
      await call?.stop();
      await stopInstances(instances);
      await restarted?.stop();
    }
  });
});

Deno.test("Cluster - an instance killed: its calls leave the registry, and the other instances' pages see them end", async () => {
  await withRedis(async (redis) => {
    const settings = { ...FREQUENT_TIPS, session: { registryTtlMs: 2_000, endGraceMs: 500 } };
    const [b] = await startInstances(redis.url, ["b"], settings);
    const a = await spawnInstance(redis.url, "a", settings);
    const probe = createClient({ url: redis.url });
    await probe.connect();
    let call: RealTimeCall | null = null;
    try {
      call = await RealTimeCall.start(b.server, a.server);
      const { callSid } = call;
      const page = await PageSocket.open(b.server, callSid);
      const everything = await PageSocket.open(b.server);
      await page.next((m) => m.type === "suggestion", 10_000);
      assert.equal(JSON.parse((await probe.get(callKey(callSid)))!).instance, "a");
      assert.equal((await health(b.server)).cluster_sessions, 1);

      const killedAt = Date.now();
      await a.kill();
      const ended = await page.next((m) => m.type === "call_ended", 10_000);
      assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "instance_lost" });
      await everything.next((m) => m.type === "call_ended" && m.session_id === callSid);
      assert.equal(await probe.get(callKey(callSid)), null, "the call left the registry");
      assert.ok(Date.now() - killedAt <= 2_000 + 3_000, "within the registry's TTL and a check");
      assert.equal((await health(b.server)).cluster_sessions, 0);
      await Promise.all([page.close(), everything.close()]);
    } finally {
      await call?.stop();
      await a.kill();
      probe.destroy();
      await b.server.shutdown();
    }
  });
});

Deno.test("Cluster - no cross-talk: 20 calls over 3 instances, each page gets only its own call", async () => {
  await withRedis(async (redis) => {
    const instances = await startInstances(redis.url, ["a", "b", "c"], { session: { endGraceMs: 500 } });
    const pages: PageSocket[] = [];
    try {
      const scenarios = buildScenarios(instances[0].server.config.coaching);
      const calls = Array.from({ length: 20 }, (_, i) => ({
        callSid: newCallSid(),
        scenario: i % 2 === 0 ? scenarios.loud : scenarios.tense,
        webhook: instances[i % 3].server,
        media: instances[(i + 1) % 3].server,
        page: instances[(i + 2) % 3].server,
      }));
      for (const call of calls) pages.push(await PageSocket.open(call.page, call.callSid));
      const everything = await PageSocket.open(instances[0].server);
      pages.push(everything);

      const results = await Promise.all(calls.map((call) =>
        runSimulation({
          scenario: call.scenario,
          url: call.webhook.url,
          mediaUrl: call.media.url,
          publicUrl: BALANCER_URL,
          authToken: CLUSTER_TOKEN,
          speed: 20,
          callSid: call.callSid,
          endTimeoutMs: 30_000,
        })
      ));
      results.forEach((result, i) => assert.ok(result.ok, `call ${i}: ${JSON.stringify(result.verdict)}`));

      for (const [i, call] of calls.entries()) {
        const page = pages[i];
        await page.next((m) => m.type === "call_ended", 10_000);
        const foreign = page.messages.filter((m) => "session_id" in m && m.session_id !== call.callSid);
        assert.deepEqual(foreign, [], `call ${i}'s page got only its own call`);
        const tips = page.messages.flatMap((m) => m.type === "suggestion" ? [m.data.type] : []);
        const expected = call.scenario.expect.map((tip) => tip.type);
        assert.deepEqual([...new Set(tips)], [...new Set(expected)], `call ${i}'s page got its own tips`);
      }
      for (const call of calls) {
        await everything.next((m) => m.type === "call_ended" && m.session_id === call.callSid, 10_000);
        const tips = everything.messages.flatMap((m) =>
          m.type === "suggestion" && m.session_id === call.callSid ? [m.data.type] : []
        );
        assert.deepEqual([...new Set(tips)], [...new Set(call.scenario.expect.map((tip) => tip.type))]);
      }
    } finally {
      await Promise.all(pages.map((page) => page.close()));
      await stopInstances(instances);
    }
  });
});

/** A tip without whether it still holds (which changes as the call goes on). */
const withoutActive = ({ active: _, ...tip }: SuggestionData) => tip;

Deno.test("Cluster - a page (re)connecting on another instance gets the call's tips from its Redis stream, live and for the grace period after the call", async () => {
  await withRedis(async (redis) => {
    const endGraceMs = 4_000;
    const instances = await startInstances(redis.url, ["a", "b"], {
      ...FREQUENT_TIPS,
      session: { endGraceMs, registryTtlMs: 2_000 },
    });
    const [a, b] = instances;
    const probe = createClient({ url: redis.url });
    await probe.connect();
    let call: RealTimeCall | null = null;
    const pages: PageSocket[] = [];
    const helloOf = async (page: PageSocket) => {
      const hello = await page.next((m) => m.type === "hello");
      assert.ok(hello.type === "hello");
      return hello.sessions;
    };
    /** A page that loads, reads its hello and leaves. */
    const load = async (server: typeof a.server, callSid?: string) => {
      const page = await PageSocket.open(server, callSid);
      try {
        return await helloOf(page);
      } finally {
        await page.close();
      }
    };
    const poll = async (condition: () => Promise<boolean>, what: string, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    try {
      call = await RealTimeCall.start(a.server, a.server);
      const { callSid } = call;
      const remote = await PageSocket.open(b.server, callSid);
      pages.push(remote);
      await waitFor(
        () => remote.messages.filter((m) => m.type === "suggestion").length >= 3,
        "three tips on the other instance's page",
        10_000,
      );
      // The agent speaks at an ordinary level: the loud tip's condition ends, on both instances' pages.
      call.soften();
      const cleared = await remote.next((m) => m.type === "suggestion_cleared", 10_000);
      assert.ok(cleared.type === "suggestion_cleared");
      let streamed = 0;
      await waitFor(() => {
        probe.xLen(tipsKey(callSid)).then((n) => streamed = n);
        return streamed >= 4;
      }, "three tips and an end in the call's stream");

      // A page that was away comes back through the balancer, on B: the call's tips so far, with what holds.
      const [live] = await load(b.server, callSid);
      assert.equal(live.session_id, callSid);
      assert.equal(live.status, "live");
      assert.equal(live.customer_last4, "1111", "the last digits the voice webhook passed");
      const there = a.server.registry.snapshot(callSid)[0].suggestions;
      assert.ok(live.suggestions.length >= 3);
      assert.deepEqual(
        live.suggestions.map(withoutActive),
        there.slice(0, live.suggestions.length).map(withoutActive),
        "the tips the coaching instance holds, oldest first",
      );
      const tip = live.suggestions.find((t) => t.id === cleared.suggestion_id);
      assert.equal(tip?.active, false, "a tip whose condition ended is not active");
      assert.ok(live.suggestions.filter((t) => t.active).length <= 1, "only the newest loud tip may hold");

      await call.stop();
      await remote.next((m) => m.type === "call_ended", 10_000);
      // The reload after the call, on B, shows exactly what A's own page would.
      await poll(async () => {
        const [ended] = await load(b.server, callSid);
        return ended?.status === "ended" &&
          JSON.stringify(ended.suggestions) ===
            JSON.stringify(a.server.registry.snapshot(callSid)[0].suggestions);
      }, "B's hello of the ended call equals A's");
      const [overview] = (await load(b.server)).filter((s) => s.session_id === callSid);
      assert.equal(overview?.status, "ended", "a page following every call lists it as ended");
      assert.ok(await probe.pTTL(callKey(callSid)) > 1_000, "its entry stays for the grace period");

      // Once the grace period is over, neither instance has it, and Redis has let it go.
      await poll(async () => (await load(b.server, callSid)).length === 0, "B forgot it");
      assert.equal(a.server.registry.get(callSid), undefined);
      await poll(async () => await probe.exists([callKey(callSid), tipsKey(callSid)]) === 0, "keys expired");
    } finally {
      await Promise.all(pages.map((page) => page.close()));
      await call?.stop();
      probe.destroy();
      await stopInstances(instances);
    }
  });
});

Deno.test("Cluster - Twilio's status callback on one instance ends the call coached on another", async () => {
  await withRedis(async (redis) => {
    const instances = await startInstances(redis.url, ["a", "b"], { session: { endGraceMs: 500 } });
    const [a, b] = instances;
    let call: RealTimeCall | null = null;
    try {
      call = await RealTimeCall.start(b.server, a.server);
      const page = await PageSocket.open(b.server, call.callSid);
      await page.next((m) => m.type === "metrics", 10_000);
      const response = await postWebhook(b.server, "/webhooks/twilio/voice/status", {
        CallSid: call.callSid,
        CallStatus: "completed",
      });
      assert.equal(response.status, 204);
      const ended = await page.next((m) => m.type === "call_ended");
      assert.deepEqual(ended, { type: "call_ended", session_id: call.callSid, reason: "call_completed" });
      assert.equal(a.server.registry.get(call.callSid)?.status, "ended");
      await page.close();
    } finally {
      await call?.stop();
      await stopInstances(instances);
    }
  });
});
