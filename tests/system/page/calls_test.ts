/**
 * The page with real calls through the real server: two calls at once, a server that goes away and comes
 * back, the "Play a sample call" button, and the calling panel that shows only when calling is set up.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { loadConfig } from "../../../core/config.ts";
import { silentLogger } from "../../../core/log.ts";
import { buildIslands } from "../../../islands/glue.ts";
import { startServer } from "../../../server/start.ts";
import { launchChromium } from "../../support/browser.ts";
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from "../../support/fake_twilio_rest.ts";
import { ScriptedCall } from "./call_driver.ts";
import {
  layoutShift,
  openPage,
  screenshot,
  SCREENSHOTS,
  text,
  VIEWPORTS,
  waitForText,
  withServerAndBrowser,
} from "./page_support.ts";
import { type PageLog, recordPage } from "./page_log.ts";

const GREETING = [{ speaker: "agent" as const, clip: "agent_greeting", atMs: 0 }];

const followed = (page: Page) => page.locator("[data-testid=call-picker]").inputValue();

Deno.test("Agent page - two calls: the page stays on its call, offers the new one, and never cuts the picker off", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const calls: ScriptedCall[] = [];
    try {
      const { page, errors } = await openPage(browser, VIEWPORTS.phone, `${server.url}/`, [recordPage]);
      const a = await ScriptedCall.start(server, GREETING, 4000);
      calls.push(a);
      await a.playUntil(3000, 10);
      await waitForText(page, "call-label", /^Call 1 · \d\d:\d\d · …1111$/);
      await waitForText(page, "meter-agent-level", /Good|Too loud|Too quiet/);

      // A second call starts: the page stays on the first and offers the second.
      const b = await ScriptedCall.start(server, [], 4000);
      calls.push(b);
      await b.playUntil(1000, 10);
      await page.locator("[data-testid=switch-offer]").waitFor({ timeout: 5000 });
      assert.match(
        await text(page, "switch-offer"),
        /^Another call started — switch\?\s*Call 2 · \d\d:\d\d · …1111/,
      );
      assert.equal(await followed(page), a.callSid, "still on the first call");
      assert.match(await text(page, "meter-agent-level"), /Good|Too loud|Too quiet/, "still its meters");
      await screenshot(page, "two_calls_phone");

      // The picker sizes to its longest entry, inside the window, on a phone.
      const picker = await page.locator("[data-testid=call-picker]").evaluate((select: HTMLSelectElement) => {
        const style = getComputedStyle(select);
        const context = document.createElement("canvas").getContext("2d")!;
        context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const widest = Math.max(...[...select.options].map((o) => context.measureText(o.text).width));
        const box = select.getBoundingClientRect();
        return { widest, inner: select.clientWidth, right: box.right, viewport: innerWidth };
      });
      assert.ok(picker.inner >= picker.widest + 8, `no option is cut off: ${JSON.stringify(picker)}`);
      assert.ok(
        picker.right <= picker.viewport,
        `the picker is inside the window: ${JSON.stringify(picker)}`,
      );

      // The first call ends: the page shows its end and still offers the other; the user switches.
      a.stop();
      await waitForText(page, "call-status", /^Call ended/);
      assert.equal(await followed(page), a.callSid);
      await page.locator("[data-testid=switch-accept]").click();
      await waitForText(page, "call-status", /^Live/);
      assert.equal(await followed(page), b.callSid);
      assert.equal(await page.locator("[data-testid=switch-offer]").count(), 0);

      // Once the followed call has ended, the next call to start is followed without asking.
      b.stop();
      await waitForText(page, "call-status", /^Call ended/);
      const c = await ScriptedCall.start(server, [], 3000);
      calls.push(c);
      await c.playUntil(500, 10);
      await waitForText(page, "call-status", /^Live/);
      assert.equal(await followed(page), c.callSid);
      assert.equal(await page.locator("[data-testid=switch-offer]").count(), 0);
      assert.match(
        (await page.locator("[data-testid=call-picker] option").allInnerTexts()).join(" | "),
        /^Call 3 · .* \| Call 2 · .* \(ended\) \| Call 1 · .* \(ended\)$/,
      );

      // "Stay" dismisses an offer for good.
      const d = await ScriptedCall.start(server, [], 3000);
      calls.push(d);
      await d.playUntil(500, 10);
      await page.locator("[data-testid=switch-dismiss]").click();
      assert.equal(await page.locator("[data-testid=switch-offer]").count(), 0);
      assert.equal(await followed(page), c.callSid);

      // Screen readers hear of the new call (spaced from the other call news, so it may come a little later).
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { pageLog: PageLog }).pageLog.spoken.some((s) =>
            s.region === "announce-call" && s.text.startsWith("Another call started: Call 2 ")
          ),
        undefined,
        { timeout: 10_000 },
      );
      const { cls } = await layoutShift(page);
      assert.ok(cls <= 0.05, `CLS ${cls}`);
      assert.deepEqual(errors, []);
    } finally {
      for (const call of calls) call.stop();
    }
  });
});

Deno.test("Agent page - the server goes away and comes back: greyed meters, then connected within 5 s", async () => {
  await buildIslands();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const config = loadConfig({ PORT: "0", LOG_LEVEL: "error" });
  let server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  const port = server.port;
  const browser = await launchChromium();
  try {
    const { page, errors } = await openPage(browser, VIEWPORTS.laptop, `${server.url}/`);
    await server.shutdown();
    await page.locator("[data-testid=connection-banner]").waitFor({ timeout: 5000 });
    assert.equal(await page.locator("[data-testid=meters]").getAttribute("data-paused"), "true");
    // Long enough for the waits between attempts to reach their longest.
    await page.waitForTimeout(9000);
    await screenshot(page, "server_away");
    server = await startServer(loadConfig({ PORT: String(port), LOG_LEVEL: "error" }), {
      hostname: "127.0.0.1",
      log: silentLogger,
    });
    const back = Date.now();
    await waitForText(page, "connection-status", /^Connected$/, 10_000);
    const took = Date.now() - back;
    assert.ok(took <= 5000, `the page was back ${took} ms after the server`);
    assert.equal(await page.locator("[data-testid=connection-banner]").count(), 0);
    assert.deepEqual(errors.filter((e) => !/WebSocket connection|ERR_CONNECTION_REFUSED/.test(e)), []);
  } finally {
    await browser.close();
    await server.shutdown();
  }
});

Deno.test("Agent page - Play a sample call: a scripted call through the real server, one at a time", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const { page, errors } = await openPage(browser, VIEWPORTS.laptop, `${server.url}/`);
    const button = page.locator("[data-testid=play-sample-call]");
    await button.waitFor({ timeout: 5000 });
    await screenshot(page, "before_call_laptop");
    await button.click();
    await waitForText(page, "call-status", /^Live/, 10_000);
    assert.equal(await button.count(), 0, "no button while a call runs");
    await waitForText(page, "meter-agent-level", /Good|Too loud|Too quiet/, 10_000);
    assert.equal(server.registry.activeCount, 1);
    assert.match(await text(page, "call-label"), /^Call 1 · \d\d:\d\d · …0100$/);
    // A second sample while one plays is refused; the page's request is the one the button makes.
    const second = await page.evaluate(async () => {
      const response = await fetch("/api/sample-call", { method: "POST" });
      return { status: response.status, body: await response.json() };
    });
    assert.equal(second.status, 409);
    assert.match(second.body.error, /already playing/);
    assert.equal(server.registry.size, 1);
    assert.deepEqual(errors.filter((e) => !e.includes("409 (Conflict)")), []);

    // Through the tunnel the server refuses it, and the page offers no button.
    const remote = await browser.newPage({ viewport: VIEWPORTS.laptop });
    await remote.route("**/api/sample-call", (route) => route.fulfill({ status: 403, body: "{}" }));
    await remote.goto(`${server.url}/`);
    await waitForText(remote, "connection-status", /^Connected$/);
    await remote.waitForTimeout(500);
    assert.equal(await remote.locator("[data-testid=play-sample-call]").count(), 0);
  });
});

Deno.test("Agent page - calling is offered only when it is set up, in a panel that moves nothing", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const { page } = await openPage(browser, VIEWPORTS.laptop, `${server.url}/`);
    await page.waitForTimeout(500);
    assert.equal(await page.locator("[data-testid=call-customer]").count(), 0);
    assert.doesNotMatch(await page.locator("body").innerText(), /TWILIO|Place a call|missing/i);
  });
  await withServerAndBrowser(async (server, browser) => {
    const { page } = await openPage(browser, VIEWPORTS.phone, `${server.url}/`);
    const open = page.locator("[data-testid=call-customer]");
    await open.waitFor({ timeout: 5000 });
    assert.equal(await open.innerText(), "Call a customer");
    const before = (await layoutShift(page)).cls;
    await open.click();
    await page.locator("[data-testid=click-to-call] input[type=tel]").waitFor();
    const panel = await page.locator("#call-customer-panel").boundingBox();
    assert.ok(panel && panel.x >= 0 && panel.x + panel.width <= VIEWPORTS.phone.width, JSON.stringify(panel));
    await screenshot(page, "call_customer_phone");
    assert.equal((await layoutShift(page)).cls, before, "opening the panel moves nothing");
    await page.keyboard.press("Escape");
    assert.equal(await page.locator("#call-customer-panel").count(), 0);
  }, {
    PUBLIC_URL: "https://sunny-river-tables-hope.trycloudflare.com",
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: "+15551234567",
    AGENT_PHONE_NUMBER: "+15557654321",
  });
});
