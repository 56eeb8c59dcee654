/**
 * The meters in headless Chromium, fed a scripted page socket (the page's `/ws/ui` goes to the test, not the
 * server), so every value is known: a pace wobbling around 160, a loud agent, the talk shares, a customer who
 * raises their voice, a lost connection. All measured in the page.
 */
import assert from "node:assert/strict";
import type { Page, WebSocketRoute } from "playwright-core";
import type { MetricsData, ServerMessage } from "../../../core/protocol/ui_messages.ts";
import {
  assertHeadingLevels,
  contrastRatio,
  layoutShift,
  lowContrastText,
  openScriptedPage,
  screenshot,
  text,
  VIEWPORTS,
  waitForText,
  withServerAndBrowser,
} from "./page_support.ts";

const CALL = "CA" + "1".repeat(32);
const STARTED = Date.now();

/** A live call, as the server would describe it in `hello`. */
export function helloWithCall(callSid = CALL, startedAtMs = STARTED): ServerMessage {
  return {
    type: "hello",
    sessions: [{
      session_id: callSid,
      status: "live",
      started_at: new Date(startedAtMs).toISOString(),
      agent_track: "outbound",
      customer_last4: "4567",
      metrics: null,
      suggestions: [],
    }],
  };
}

function metrics(streamMs: number, over: Partial<{
  wpm: number;
  agentDb: number;
  speaking: boolean;
  customerDb: number | null;
  customerSpeaking: boolean;
  raised: boolean;
  ratio: number;
}> = {}): ServerMessage {
  const data: MetricsData = {
    stream_ms: streamMs,
    agent: { speaking: over.speaking ?? true, level_db: over.agentDb ?? -26, wpm: over.wpm ?? 140 },
    customer: { speaking: over.customerSpeaking ?? false, level_db: over.customerDb ?? -27, wpm: null },
    silence_s: 0,
    interruptions: 0,
    talk_ratio: over.ratio ?? 0.5,
    customer_raised: over.raised ?? false,
  };
  return { type: "metrics", session_id: CALL, data };
}

/** Sends `make(i)` every 250 ms (the server's pace) for `count` messages. */
async function stream(ws: WebSocketRoute, count: number, make: (i: number) => ServerMessage): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    ws.send(JSON.stringify(make(i)));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, start + (i + 1) * 250 - performance.now()))
    );
  }
}

/** Init script: every change of a meter's text, with its time. */
function recordMeterTexts(): void {
  const log: { id: string; text: string; at: number }[] = [];
  (globalThis as unknown as { meterTexts: typeof log }).meterTexts = log;
  const last = new Map<string, string>();
  new MutationObserver(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll<HTMLElement>("[data-testid^=meter-] [data-testid]")) {
      const tile = el.parentElement!.closest<HTMLElement>("[data-testid^=meter-]")!;
      const id = `${tile.dataset.testid}/${el.dataset.testid}`;
      const value = el.textContent ?? "";
      if (last.get(id) !== value) (last.set(id, value), log.push({ id, text: value, at: now }));
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

function meterTexts(page: Page, id: string): Promise<{ text: string; at: number }[]> {
  return page.evaluate(
    (wanted) =>
      (globalThis as unknown as { meterTexts: { id: string; text: string; at: number }[] }).meterTexts
        .filter((entry) => entry.id === wanted),
    id,
  );
}

Deno.test("Agent page - meters: a steady 160 WPM does not flip-flop, shares add to 100, verdicts and value text", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const { page, errors, sockets } = await openScriptedPage(
      browser,
      VIEWPORTS.laptop,
      `${server.url}/`,
      (ws) => ws.send(JSON.stringify(helloWithCall())),
      [recordMeterTexts],
    );
    // Before any speech: the target with its unit, no value.
    assert.match(await text(page, "meter-pace"), /—\s*words\/min[\s\S]*Aim: 110–160 words\/min/);
    const ws = sockets[0];

    // 8 s at 160 ± 6 words per minute, as a real measurement wobbles; a loud agent; 81.5 % of the talk.
    let seed = 11;
    const wobble = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 12;
    await stream(ws, 32, (i) => metrics(i * 250, { wpm: 160 + wobble(), agentDb: -13, ratio: 0.815 }));
    const verdicts = (await meterTexts(page, "meter-pace/meter-verdict")).map((v) => v.text);
    assert.ok(
      verdicts.length >= 1 && verdicts.length <= 2,
      `pace verdicts over 8 s: ${verdicts.join(" → ")}`,
    );
    const numbers = (await meterTexts(page, "meter-pace/meter-value")).filter((n) => /^\d/.test(n.text));
    assert.ok(numbers.length >= 1);
    for (const [i, n] of numbers.entries()) {
      assert.equal(Number.parseInt(n.text) % 5, 0, `rounded to 5: ${n.text}`);
      if (i > 0) {
        assert.ok(n.at - numbers[i - 1].at >= 850, `a second between changes: ${JSON.stringify(numbers)}`);
      }
    }
    assert.ok(numbers.length <= 9, `at most one change a second: ${numbers.length} in 8 s`);

    // Volume: a verdict, the target zone, dBov in the tooltip and the value text only.
    assert.match(await text(page, "meter-agent-level"), /Too loud/);
    assert.doesNotMatch(await text(page, "meter-agent-level"), /dBov/);
    assert.equal(
      await page.locator("[data-testid=meter-agent-level]").getAttribute("title"),
      "\u221213 dBov",
    );
    assert.match(
      await page.locator("[data-testid=meter-agent-level] [role=meter]").getAttribute("aria-valuetext") ?? "",
      /^Your volume too loud, −13 dBov, speaking$/,
    );

    // Shares: 81.5 % reads 82 % and 18 %; 50.5 % reads 51 % and 49 %: always 100 together.
    const shares = async () => {
      const agent = Number.parseInt(
        await page.locator("[data-testid=meter-talk-ratio] [data-testid=meter-value]").innerText(),
      );
      const customer = Number.parseInt(await text(page, "meter-customer-share"));
      return [agent, customer];
    };
    assert.deepEqual(await shares(), [82, 18]);
    await stream(ws, 8, (i) => metrics(8000 + i * 250, { ratio: 0.505 }));
    assert.deepEqual(await shares(), [51, 49]);
    for (const [agent, customer] of [await shares()]) assert.equal(agent + customer, 100);

    // The customer: Calm, then Raised; "Listening" while silent, never "Quiet"; pauses between phrases
    // (a quarter second each second) do not flicker "Speaking".
    assert.match(await text(page, "meter-customer-level"), /Calm[\s\S]*Listening/);
    const before = (await meterTexts(page, "meter-agent-level/meter-speaking")).length;
    await stream(ws, 16, (i) =>
      metrics(10_000 + i * 250, {
        speaking: i % 4 !== 3,
        customerDb: -15,
        customerSpeaking: true,
        raised: true,
        ratio: 0.505,
      }));
    assert.equal((await meterTexts(page, "meter-agent-level/meter-speaking")).length, before, "no flicker");
    assert.match(await text(page, "meter-customer-level"), /Raised[\s\S]*Speaking/);
    assert.doesNotMatch(await page.locator("[data-testid=meters]").innerText(), /Quiet\b/);

    // Every meter says its value in words; the pace reads like a sentence.
    const valueTexts = await page.locator("[role=meter]").evaluateAll((meters) =>
      meters.map((m) => m.getAttribute("aria-valuetext") ?? "")
    );
    assert.equal(valueTexts.length, 4);
    assert.ok(valueTexts.every((t) => t.length > 10), JSON.stringify(valueTexts));
    assert.match(valueTexts[0], /^\d+ words per minute, (good pace|too fast|too slow)$/);
    assert.match(valueTexts[3], /^You 51 percent, customer 49 percent$/);

    // The target zones stand out from their track (non-text contrast ≥ 3:1), and so does the marker.
    const colours = await page.locator("[data-testid=meter-zone]").evaluateAll((zones) =>
      zones.map((zone) => ({
        zone: getComputedStyle(zone).backgroundColor,
        track: getComputedStyle(zone.parentElement!).backgroundColor,
        marker:
          getComputedStyle(zone.parentElement!.querySelector("[data-testid=meter-marker]")!).backgroundColor,
      }))
    );
    assert.equal(colours.length, 2, "pace and volume have target zones");
    for (const { zone, track, marker } of colours) {
      assert.ok(
        contrastRatio(zone, track) >= 3,
        `zone ${zone} on track ${track}: ${contrastRatio(zone, track)}`,
      );
      assert.ok(contrastRatio(marker, zone) >= 3, `marker ${marker} on zone ${zone}`);
      assert.ok(contrastRatio(marker, track) >= 3, `marker ${marker} on track ${track}`);
    }
    assert.deepEqual(await lowContrastText(page), []);
    await assertHeadingLevels(page);
    await screenshot(page, "meters_laptop");

    // The connection drops: the meters grey out under a banner, and come back with the connection.
    ws.close({ code: 1012, reason: "test: server restarting" });
    await page.locator("[data-testid=connection-banner]").waitFor({ timeout: 3000 });
    assert.match(
      await text(page, "connection-banner"),
      /Connection lost\. Reconnecting.*The meters are paused\./,
    );
    assert.equal(await page.locator("[data-testid=meters]").getAttribute("data-paused"), "true");
    await page.waitForFunction(
      () => {
        const style = getComputedStyle(document.querySelector("[data-testid=meters] > div")!);
        return style.filter === "grayscale(1)" && Number(style.opacity) <= 0.5;
      },
      undefined,
      { timeout: 2000 },
    );
    await screenshot(page, "meters_disconnected");
    await waitForText(page, "connection-status", /^Connected$/, 6000);
    assert.equal(await page.locator("[data-testid=connection-banner]").count(), 0);
    assert.equal(await page.locator("[data-testid=meters]").getAttribute("data-paused"), "false");

    const { cls } = await layoutShift(page);
    assert.ok(cls <= 0.05, `CLS ${cls}`);
    assert.deepEqual(errors, []);
  });
});
