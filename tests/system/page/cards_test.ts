/**
 * Tip cards in headless Chromium, fed a scripted page socket so every tip comes at a known moment: how long
 * each card stays, what may replace it, a card that stays while its condition holds, and every kind of card
 * at a phone's width and in a 640×400 window (a laptop at 200 % zoom).
 */
import assert from "node:assert/strict";
import type { WebSocketRoute } from "playwright-core";
import { defaultCoachingConfig } from "../../../core/coaching/config.ts";
import { ConversationState } from "../../../core/coaching/conversation.ts";
import { RULES } from "../../../core/coaching/rules.ts";
import type { ServerMessage, Severity, SuggestionData } from "../../../core/protocol/ui_messages.ts";
import { HIGH_DWELL_MS, MIN_DWELL_MS } from "../../../islands/tip_display.ts";
import {
  lowContrastText,
  openScriptedPage,
  screenshot,
  text,
  VIEWPORTS,
  waitForText,
  withServerAndBrowser,
} from "./page_support.ts";
import { pageLog, recordPage } from "./page_log.ts";

const T0 = Date.now();
/** Six words in 46 characters: about the longest a model's answer may be (server/phrasing/answer.ts). */
const LONGEST_MODEL_WORDS = "Acknowledge their frustration before answering";
/** Timers on a busy machine fire late; a card is never early. */
const SLACK_MS = 150;

/** The card colours of today's palette: one accent per severity, background and border. */
const SEVERITY_LOOK: Record<Severity, { background: string; border: string }> = {
  low: { background: "rgb(227, 242, 253)", border: "rgb(21, 101, 192)" },
  medium: { background: "rgb(255, 249, 196)", border: "rgb(249, 168, 37)" },
  high: { background: "rgb(255, 235, 238)", border: "rgb(198, 40, 40)" },
};

const sid = (n: number) => "CA" + String(n).padStart(32, "0");
const started = (n: number): ServerMessage => ({
  type: "stream_started",
  session_id: sid(n),
  started_at: new Date(T0).toISOString(),
  agent_track: "outbound",
  customer_last4: "4567",
});

/**
 * Each rule's tip as the server words it, in the rule's longest wording (from the rule table, with long
 * numbers for the ones that quote the evidence), with its reason.
 */
function tipOf(type: SuggestionData["type"], id: string, streamMs = 44_000): SuggestionData {
  const rule = RULES.find((r) => r.type === type)!;
  const conversation = new ConversationState(defaultCoachingConfig);
  Object.assign(conversation, {
    silenceMs: 59_000,
    floor: "agent",
    floorSinceMs: 0,
    nowMs: 119_000,
    startedAtMs: 0,
  });
  const context = {
    config: defaultCoachingConfig,
    agent: { speaking: true, activeLevelDb: -12, wpm: 188, wpmWindowSpeechS: 12 },
    customer: { speaking: true, activeLevelDb: -12, wpm: null, wpmWindowSpeechS: 0 },
    conversation,
  };
  const wordings = rule.messages.map((m) => typeof m === "string" ? m : m(context, 59_000));
  const message = wordings.reduce((longest, w) => w.length > longest.length ? w : longest);
  return {
    id,
    type,
    message,
    fixed_message: message,
    phrased_by: "rules",
    severity: rule.severity,
    timestamp: new Date().toISOString(),
    stream_ms: streamMs,
    reason: rule.reason(context, 59_000),
    active: true,
  };
}

/** The page's socket starts with an empty `hello`; the test then plays the server. */
const emptyHello = (ws: WebSocketRoute) => ws.send(JSON.stringify({ type: "hello", sessions: [] }));

const send = (ws: WebSocketRoute, message: ServerMessage) => ws.send(JSON.stringify(message));
const suggest = (ws: WebSocketRoute, n: number, data: SuggestionData) =>
  send(ws, { type: "suggestion", session_id: sid(n), data });
const clear = (ws: WebSocketRoute, n: number, id: string) =>
  send(ws, { type: "suggestion_cleared", session_id: sid(n), suggestion_id: id, stream_ms: 0 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("Agent page - cards stay 3 s (high 5 s), a lower tip waits, a card stays while its condition holds", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const { page, errors, sockets } = await openScriptedPage(
      browser,
      VIEWPORTS.laptop,
      `${server.url}/`,
      emptyHello,
      [recordPage],
    );
    const ws = sockets[0];
    send(ws, started(1));
    await waitForText(page, "tip-empty", /No tips right now/);

    const soft = tipOf("SPEAKING_TOO_SOFT", "1");
    const interrupt = tipOf("INTERRUPTING_CUSTOMER", "2");
    const fast = tipOf("SPEAKING_TOO_FAST", "3");
    const t0 = Date.now();
    suggest(ws, 1, soft); // low, holds
    await sleep(1000);
    suggest(ws, 1, interrupt); // high: waits for the low card's 3 s
    await sleep(3000);
    clear(ws, 1, "2"); // the interruption is over, but its card stays its 5 s
    await sleep(1000);
    suggest(ws, 1, fast); // medium: waits for the high card; still holds when its turn comes
    await page.locator("[data-testid=suggestion-card][data-type=SPEAKING_TOO_FAST]").waitFor({
      timeout: 6000,
    });
    await sleep(5000); // well past its 3 s: it stays, and says so
    assert.equal(
      await page.locator("[data-testid=suggestion-card][data-phase=shown]").getAttribute("data-type"),
      "SPEAKING_TOO_FAST",
    );
    assert.equal(await text(page, "tip-status"), "Still too fast");
    await page.waitForTimeout(400);
    await screenshot(page, "card_holding_laptop");
    assert.deepEqual(await lowContrastText(page), []);
    const clearedFastAt = Date.now();
    clear(ws, 1, "3"); // the agent slowed down: the card leaves, and the soft tip (still holding) is back
    await page.locator("[data-testid=suggestion-card][data-phase=shown][data-type=SPEAKING_TOO_SOFT]")
      .waitFor({ timeout: 2000 });
    assert.equal(
      await page.locator("[data-phase=shown] [data-testid=tip-status]").innerText(),
      "Still quiet",
    );
    assert.equal(await page.locator("[data-testid=tip-empty]").count(), 0, "never empty while a tip holds");
    clear(ws, 1, "1");
    await waitForText(page, "tip-empty", /No tips right now/, 5000);

    const cards = (await pageLog(page)).cards;
    const at = (i: number) => ({ ...cards[i], shown: cards[i].addedAt - t0, left: cards[i].leftAt! - t0 });
    assert.deepEqual(cards.map((c) => c.type), [
      "SPEAKING_TOO_SOFT",
      "INTERRUPTING_CUSTOMER",
      "SPEAKING_TOO_FAST",
      "SPEAKING_TOO_SOFT",
    ]);
    const [low, high, medium, lowAgain] = [0, 1, 2, 3].map(at);
    assert.ok(
      low.left - low.shown >= MIN_DWELL_MS - SLACK_MS,
      `the low card stayed 3 s: ${JSON.stringify(low)}`,
    );
    assert.equal(low.replacedBy, "high");
    assert.ok(high.shown >= MIN_DWELL_MS - SLACK_MS, "the high tip waited for the low card's 3 s");
    assert.ok(
      high.left - high.shown >= HIGH_DWELL_MS - SLACK_MS,
      `the high card stayed 5 s: ${JSON.stringify(high)}`,
    );
    assert.equal(high.activeWhenLeft, false, "it left because it no longer held");
    assert.ok(medium.shown >= high.left - 50, "the medium tip waited for the high card");
    assert.ok(medium.leftAt! >= clearedFastAt, "the medium card stayed as long as its condition held");
    assert.ok(medium.leftAt! - clearedFastAt < 2000, "and left soon after it stopped");
    assert.ok(lowAgain.left - lowAgain.shown >= MIN_DWELL_MS - SLACK_MS);
    assert.doesNotMatch(await page.locator("body").innerText(), /Keep going/);
    assert.deepEqual(errors, []);
  });
});

Deno.test("Agent page - every card at 390 px and in a 640×400 window: two lines at most, first, no badge, no clock", async () => {
  await withServerAndBrowser(async (server, browser) => {
    const { page, errors, sockets } = await openScriptedPage(
      browser,
      VIEWPORTS.phone,
      `${server.url}/`,
      emptyHello,
    );
    const ws = sockets[0];
    const areaHeights = new Map<number, Set<number>>();
    let n = 0;
    for (const size of [VIEWPORTS.phone, { width: 640, height: 400 }, VIEWPORTS.laptop]) {
      const heights = new Set<number>();
      areaHeights.set(size.width, heights);
      await page.setViewportSize(size);
      // Every rule's longest wording, and the longest a model may word a tip (six long words).
      const cases = [
        ...RULES.map((rule) => tipOf(rule.type, "1")),
        {
          ...tipOf("CUSTOMER_RAISED_VOICE", "1"),
          message: LONGEST_MODEL_WORDS,
          phrased_by: "model" as const,
        },
      ];
      for (const { type, severity, ...rest } of cases) {
        // One call per tip: a call's end takes its card down at once, so each is seen fresh.
        n++;
        send(ws, started(n));
        const tip = { type, severity, ...rest, stream_ms: 44_000 + n };
        const rule = { type, severity };
        suggest(ws, n, tip);
        const card = page.locator(`[data-testid=suggestion-card][data-type=${rule.type}]`);
        await card.waitFor({ timeout: 3000 });
        const measured = await card.evaluate((el) => {
          const message = el.querySelector<HTMLElement>("[data-testid=tip-message]")!;
          const lineHeight = parseFloat(getComputedStyle(message).lineHeight);
          const area = el.parentElement!.getBoundingClientRect();
          const meters = document.querySelector("[data-testid=meters]")!.getBoundingClientRect();
          const box = el.getBoundingClientRect();
          // Visible text only: what a sighted agent reads (screen-reader text is clipped to 1 px).
          const visible = [...el.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().width > 1)
            .map((e) =>
              [...e.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent).join(
                "",
              )
                .trim()
            ).filter((t) => t !== "").join(" | ");
          return {
            lines: Math.round(message.getBoundingClientRect().height / lineHeight),
            overflows: [...el.querySelectorAll<HTMLElement>("*")].some((e) =>
              e.getBoundingClientRect().bottom > box.bottom + 0.5 ||
              e.getBoundingClientRect().right > box.right + 0.5
            ),
            areaHeight: area.height,
            areaFirst: area.bottom <= meters.top,
            onScreen: box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth,
            visible,
            icons: [...el.querySelectorAll("svg")].filter((svg) => svg.getBoundingClientRect().width > 0)
              .map((svg) => svg.dataset.testid),
            background: getComputedStyle(el).backgroundColor,
            borders: ["Top", "Right", "Bottom", "Left"].map((side) =>
              getComputedStyle(el).getPropertyValue(`border-${side.toLowerCase()}-color`)
            ),
            message: message.textContent,
          };
        });
        const where = `${rule.type} at ${size.width}×${size.height}`;
        assert.ok(tip.message.split(" ").length <= 6, `${tip.message}: six words at most`);
        assert.ok(measured.lines <= 2, `${where}: the message takes ${measured.lines} lines`);
        assert.equal(measured.overflows, false, `${where}: everything fits inside the card`);
        assert.ok(measured.onScreen, `${where}: the card is entirely on screen`);
        assert.ok(measured.areaFirst, `${where}: the tip comes before the meters`);
        assert.doesNotMatch(measured.visible, /priority/i, `${where}: no badge text: ${measured.visible}`);
        assert.doesNotMatch(measured.visible, /\d\d:\d\d:\d\d/, `${where}: no clock time`);
        assert.match(measured.visible, /at 0:4\d/, `${where}: seconds into the call`);
        assert.match(measured.visible, new RegExp(tip.reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
        assert.equal(
          measured.icons.length,
          2,
          `${where}: a category icon and a severity icon: ${measured.icons}`,
        );
        assert.match(measured.icons[0]!, /^icon-(pace|volume|turns|silence|customer)$/);
        assert.equal(measured.icons[1], `severity-${rule.severity}`);
        assert.equal(measured.background, SEVERITY_LOOK[rule.severity].background, where);
        assert.deepEqual(measured.borders, Array(4).fill(SEVERITY_LOOK[rule.severity].border), where);
        heights.add(measured.areaHeight);
        if (tip.phrased_by === "model") {
          await page.waitForTimeout(400); // the fade-in
          await screenshot(page, `card_${size.width}x${size.height}`);
        }
        send(ws, { type: "call_ended", session_id: sid(n), reason: "stream_stopped" });
        await card.waitFor({ state: "detached", timeout: 2000 });
      }
      assert.equal(
        heights.size,
        1,
        `one tip area height at ${size.width} px whatever the card: ${[...heights]}`,
      );
    }
    // The same height from 640 px up (the message fits one line there); taller on a phone (two lines).
    const [phone, small, laptop] = [390, 640, 1280].map((w) => [...areaHeights.get(w)!][0]);
    assert.equal(small, laptop);
    assert.ok(phone > laptop);
    assert.deepEqual(errors, []);
  });
});
