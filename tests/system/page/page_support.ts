/**
 * What the agent-page browser tests share: a server and headless Chromium, measurements taken inside the
 * page (layout shift, contrast from rendered colours, when cards come and go), and where screenshots go.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { loadConfig } from "../../../core/config.ts";
import { silentLogger } from "../../../core/log.ts";
import { buildIslands } from "../../../islands/glue.ts";
import { type RunningServer, startServer } from "../../../server/start.ts";
import { launchChromium } from "../../support/browser.ts";

/** Git-ignored (`artifacts/`): every run's screenshots, to look at. */
export const SCREENSHOTS = new URL("../../../artifacts/screenshots/", import.meta.url);
/** The README's picture, refreshed on purpose only (`UPDATE_SCREENSHOT=1`). */
export const README_SCREENSHOT = new URL("../../../docs/screenshot.png", import.meta.url);

/** The three widths the page is checked at: a phone, a laptop, a desktop. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  laptop: { width: 1280, height: 720 },
  desktop: { width: 1920, height: 1080 },
} as const;

/** Builds the islands, starts a server on loopback and a headless Chromium, runs `run`, closes both. */
export async function withServerAndBrowser(
  run: (server: RunningServer, browser: Browser) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await buildIslands(); // the server serves static/build/
  const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error", ...env }), {
    hostname: "127.0.0.1",
    log: silentLogger,
  });
  const browser = await launchChromium();
  try {
    await run(server, browser);
  } finally {
    await browser.close();
    await server.shutdown();
  }
}

/**
 * A page that collects its errors (console and uncaught) and measures layout shift from the start;
 * `initScripts` run before the page's own scripts, on every load; `beforeLoad` may route its sockets.
 */
export async function openPage(
  browser: Browser,
  size: { width: number; height: number },
  url: string,
  initScripts: (() => void)[] = [],
  beforeLoad: (page: Page) => Promise<unknown> = () => Promise.resolve(),
) {
  const page = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
  await page.addInitScript(recordLayoutShift);
  for (const script of initScripts) await page.addInitScript(script);
  await beforeLoad(page);
  await page.goto(url);
  await waitForText(page, "connection-status", /^Connected$/, 10_000);
  return { page, errors };
}

/**
 * {@linkcode openPage} with the page's UI socket routed to the test instead of the server: `onConnect` gets
 * each socket the page opens (a reconnect opens a new one), and may send it scripted server messages.
 */
export async function openScriptedPage(
  browser: Browser,
  size: { width: number; height: number },
  url: string,
  onConnect: (ws: WebSocketRoute) => void,
  initScripts: (() => void)[] = [],
) {
  const sockets: WebSocketRoute[] = [];
  const opened = await openPage(
    browser,
    size,
    url,
    initScripts,
    (page) =>
      page.routeWebSocket(/\/ws\/ui/, (ws) => {
        sockets.push(ws);
        onConnect(ws);
      }),
  );
  return { ...opened, sockets };
}

/** Init script: sums the layout-shift entries not caused by input (the CLS measure) into `window.cls`. */
function recordLayoutShift(): void {
  const w = globalThis as unknown as {
    cls: number;
    shifts: { value: number; at: number; nodes: string[] }[];
  };
  w.cls = 0;
  w.shifts = [];
  new PerformanceObserver((list) => {
    for (
      const entry of list.getEntries() as (PerformanceEntry & {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node }[];
      })[]
    ) {
      if (entry.hadRecentInput) continue;
      w.cls += entry.value;
      w.shifts.push({
        value: entry.value,
        at: entry.startTime,
        nodes: (entry.sources ?? []).map((s) =>
          (s.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? "?"
        ),
      });
    }
  }).observe({ type: "layout-shift", buffered: true });
}

/** The page's layout shift so far, with the shifts that made it (for the failure message). */
export function layoutShift(page: Page): Promise<{ cls: number; shifts: unknown[] }> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { cls: number; shifts: unknown[] };
    return { cls: w.cls, shifts: w.shifts };
  });
}

/** The text of the first element with `data-testid=testId`. */
export function text(page: Page, testId: string): Promise<string> {
  return page.locator(`[data-testid=${testId}]`).first().innerText();
}

/** Waits until the first `data-testid=testId` element's text matches `pattern`. */
export async function waitForText(
  page: Page,
  testId: string,
  pattern: RegExp,
  timeout = 5000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([id, source]) =>
        new RegExp(source).test(document.querySelector(`[data-testid=${id}]`)?.textContent ?? ""),
      [testId, pattern.source] as const,
      { timeout, polling: 50 },
    );
  } catch (error) {
    const shown = await page.locator(`[data-testid=${testId}]`).first().textContent({ timeout: 500 })
      .catch(() => null);
    throw new Error(
      `${testId} did not match ${pattern} within ${timeout} ms (shows ${JSON.stringify(shown)})`,
      {
        cause: error,
      },
    );
  }
}

/** WCAG contrast ratio of two CSS colours as the browser reports them ("rgb(…)"). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (color: string) => {
    const [r, g, bl] = (color.match(/[\d.]+/g) ?? []).map(Number);
    const f = (v: number) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(bl);
  };
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/** Visible text whose contrast with its background is under WCAG AA (4.5:1, or 3:1 for large text). */
export function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const f = (v: number) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const failures: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      const ownText = [...el.childNodes].some((n) =>
        n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== ""
      );
      const box = el.getBoundingClientRect();
      if (!ownText || box.width <= 1 || box.height <= 1) continue; // skips screen-reader-only text
      if (el.closest("[data-paused=true], [data-phase=leaving]")) continue; // greyed out or fading: not live
      const style = getComputedStyle(el);
      const [l1, l2] = [luminance(rgb(style.color)), luminance(background(el))].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        failures.push(`"${el.textContent}" ${style.color} ${ratio.toFixed(2)}:1`);
      }
    }
    return failures;
  });
}

/** Class names in the DOM for which the inlined CSS has no rule (the page has no twind runtime). */
export function classesWithoutCss(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const selectors: string[] = [];
    const collect = (rules: CSSRuleList) => {
      for (const rule of rules) {
        if (rule instanceof CSSStyleRule) selectors.push(rule.selectorText);
        else if ("cssRules" in rule) collect((rule as CSSGroupingRule).cssRules);
      }
    };
    for (const sheet of document.styleSheets) collect(sheet.cssRules);
    const all = selectors.join(" ");
    const tokens = new Set([...document.querySelectorAll("[class]")].flatMap((el) => [...el.classList]));
    return [...tokens].filter((token) => !all.includes(`.${CSS.escape(token)}`));
  });
}

/** Headings in document order never skip a level (h1, then h2, then h3…). */
export async function assertHeadingLevels(page: Page): Promise<void> {
  const levels = await page.evaluate(() =>
    [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]))
  );
  assert.equal(levels[0], 1, `the first heading is h1: ${levels}`);
  levels.forEach((level, i) =>
    assert.ok(i === 0 || level <= levels[i - 1] + 1, `no skipped level: ${levels}`)
  );
}

/** Saves a screenshot under artifacts/screenshots/. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage });
}
