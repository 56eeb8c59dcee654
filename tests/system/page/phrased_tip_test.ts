/**
 * The agent page in headless Chromium with the AI phrasing on (a fake model on loopback): a tip in the
 * model's words is shown like any other, with a small "AI" marker at the end of the card's footer that is
 * visible, readable by a screen reader, and tells the rule's own words on hover.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../../core/config.ts";
import { silentLogger } from "../../../core/log.ts";
import { buildIslands } from "../../../islands/glue.ts";
import { startServer } from "../../../server/start.ts";
import { buildScenarios } from "../../../simulator/scenarios.ts";
import { runSimulation } from "../../../simulator/simulation.ts";
import { launchChromium } from "../../support/browser.ts";
import { FakeModel } from "../../support/fake_model.ts";

const SCREENSHOTS = new URL("../../../artifacts/screenshots/", import.meta.url);
const PHRASED = "Bring your voice down a touch";

Deno.test("Agent page - a tip in a model's words carries the AI marker", async () => {
  await buildIslands();
  const fake = FakeModel.start(() => ({ content: PHRASED, delayMs: 30 }));
  const config = loadConfig({
    PORT: "0",
    LOG_LEVEL: "error",
    COACH_LLM_BASE_URL: fake.url,
    COACH_LLM_MODEL: "fake-model",
  });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${server.url}/`);
    await page.getByText("Connected", { exact: true }).waitFor({ timeout: 5000 });

    const simulation = runSimulation({
      scenario: buildScenarios(server.config.coaching).loud,
      url: server.url,
      authToken: server.authToken,
      speed: 3,
    });
    const card = page.locator("[data-testid=suggestion-card][data-type=SPEAKING_TOO_LOUD]");
    await card.waitFor({ timeout: 15_000 });
    assert.match(await card.innerText(), new RegExp(PHRASED));

    const marker = card.locator("[data-testid=tip-footer] [data-testid=ai-marker]");
    assert.equal(await marker.count(), 1, "one marker on the card");
    assert.ok(await marker.isVisible());
    // Seen: "AI"; heard: "worded by AI" (the visible letters are hidden from screen readers).
    assert.equal(await marker.locator("[aria-hidden=true]").innerText(), "AI");
    assert.match(await marker.textContent() ?? "", /\(worded by AI\)/);
    assert.equal(
      await marker.getAttribute("title"),
      "Worded by AI. The rule's own words: Lower your voice a little",
    );
    const box = await marker.boundingBox();
    assert.ok(
      box && box.width >= 16 && box.height >= 12 && box.height <= 32,
      `a small marker: ${JSON.stringify(box)}`,
    );
    const colours = await marker.evaluate((el) => {
      const style = getComputedStyle(el);
      return { color: style.color, background: style.backgroundColor };
    });
    assert.notEqual(
      colours.background,
      "rgba(0, 0, 0, 0)",
      "the marker has its own background (CSS inlined)",
    );
    await page.screenshot({ path: new URL("phrased_tip.png", SCREENSHOTS).pathname });

    assert.ok((await simulation).ok, "the call went as scripted");
    // The tip stays marked in the list of the call's tips once its card has gone.
    const listed = page.locator("[data-testid=listed-tip]").filter({ hasText: PHRASED });
    await listed.waitFor({ timeout: 10_000 });
    assert.equal(await listed.locator("[data-testid=ai-marker]").count(), 1);
  } finally {
    await browser.close();
    await server.shutdown();
    await fake.close();
  }
});
