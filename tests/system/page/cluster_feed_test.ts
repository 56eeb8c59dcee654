/**
 * The agent page on one instance of a cluster, following a call coached on another, while Redis goes away
 * and comes back: the page says its coaching feed is degraded, then clears that by itself.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildIslands } from "../../../islands/glue.ts";
import { type RedisServerProcess, startRedisServer } from "../../../server/redis_server.ts";
import { launchChromium } from "../../support/browser.ts";
import {
  FREQUENT_TIPS,
  RealTimeCall,
  startInstances,
  stopInstances,
  withRedis,
} from "../../support/redis.ts";
import { layoutShift, openPage, screenshot, SCREENSHOTS, VIEWPORTS, waitForText } from "./page_support.ts";

const listedTips = (page: Page) => page.locator("[data-testid=listed-tip]").count();
const degradedNotes = (page: Page) => page.locator("[data-testid=feed-degraded]").count();

Deno.test("Agent page in a cluster - Redis down: a page elsewhere shows the coaching feed degraded, and clears it when Redis is back", async () => {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await buildIslands();
  await withRedis(async (redis) => {
    const instances = await startInstances(redis.url, ["a", "b"], FREQUENT_TIPS);
    const [a, b] = instances;
    const browser = await launchChromium();
    let call: RealTimeCall | null = null;
    let restarted: RedisServerProcess | null = null;
    try {
      // Coached on A; the agent's page is on B, as a balancer may place it.
      call = await RealTimeCall.start(b.server, a.server);
      const { page, errors } = await openPage(browser, VIEWPORTS.laptop, `${b.server.url}/`);
      await waitForText(page, "call-status", /^Live/, 10_000);
      await page.waitForFunction(
        () => document.querySelectorAll("[data-testid=listed-tip]").length >= 2,
        null,
        { timeout: 10_000 },
      );
      assert.equal(await degradedNotes(page), 0, "no note while the feed works");

      await redis.kill();
      await waitForText(page, "feed-degraded", /^Coaching feed degraded/, 10_000);
      const role = await page.locator("[data-testid=feed-degraded]").getAttribute("role");
      assert.equal(role, "status", "screen readers hear it");
      await screenshot(page, "feed_degraded_laptop");
      const frozen = await listedTips(page);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(await listedTips(page), frozen, "nothing of the call reaches B while Redis is down");
      assert.ok(a.server.registry.get(call.callSid)?.status === "live", "A coaches the call on");

      restarted = await startRedisServer({ port: redis.port });
      await page.locator("[data-testid=feed-degraded]").waitFor({ state: "detached", timeout: 15_000 });
      await page.waitForFunction(
        (before) => document.querySelectorAll("[data-testid=listed-tip]").length > before,
        frozen,
        { timeout: 10_000 },
      );
      await waitForText(page, "call-status", /^Live/);
      await screenshot(page, "feed_restored_laptop");
      // The tips missed while Redis was down come with the fresh hello, in their places.
      const times = (await page.locator("[data-testid=listed-tip]").allInnerTexts()).map((line) => {
        const [, m, s] = /at (\d+):(\d\d)/.exec(line) ?? [];
        return Number(m) * 60 + Number(s);
      });
      assert.deepEqual(times, [...times].sort((x, y) => x - y), "the call's tips in order");
      const shift = await layoutShift(page);
      assert.ok(shift.cls < 0.05, `the note moves nothing: ${JSON.stringify(shift)}`);
      assert.deepEqual(errors, []);
    } finally {
      await call?.stop();
      await browser.close();
      await stopInstances(instances);
      await restarted?.stop();
    }
  });
});
