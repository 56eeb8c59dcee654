/**
 * What the agent page did, recorded inside the page on its own clock (`Date.now()`, shared with the test
 * process): each card's time on screen and what replaced it, when the tip area was empty, what the live
 * regions said, the pace number, and the server messages the page's socket heard.
 *
 * @module
 */
import type { Page } from "playwright-core";
import type { ServerMessage } from "../../../core/protocol/ui_messages.ts";

/** Severity order, as the page ranks tips. */
export const RANK = { low: 0, medium: 1, high: 2 } as const;

/** What the page records about each card, the empty tip area, its live regions and the pace number. */
export interface PageLog {
  cards: {
    type: string;
    severity: keyof typeof RANK;
    addedAt: number;
    leftAt: number | null;
    activeWhenLeft: boolean | null;
    /** The card that took its place in the same moment, if any. */
    replacedBy: keyof typeof RANK | null;
  }[];
  listening: { from: number; to: number | null }[];
  /** When the tip area first said the call ended. */
  endedAt: number | null;
  spoken: { region: string; text: string; at: number }[];
  wpm: { text: string; at: number }[];
  /** The server's tips, their ends and the call's end, when the page's socket received them. */
  heard: { message: ServerMessage; at: number }[];
}

/** Init script: fills `window.pageLog` (Date.now() times, the clock the test process shares). */
export function recordPage(): void {
  const log: PageLog = { cards: [], listening: [], endedAt: null, spoken: [], wpm: [], heard: [] };
  (globalThis as unknown as { pageLog: PageLog }).pageLog = log;
  // Listens on the page's own socket first (before the page's handler), on the page's clock.
  const Native = globalThis.WebSocket;
  globalThis.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        const message = JSON.parse(event.data);
        if (["suggestion", "suggestion_cleared", "call_ended"].includes(message.type)) {
          log.heard.push({ message, at: Date.now() });
        }
      });
    }
  };
  const entries = new Map<HTMLElement, PageLog["cards"][number]>();
  let listening: PageLog["listening"][number] | null = null;
  let lastWpm = "";
  const lastSpoken = new Map<string, string>();
  const check = () => {
    const now = Date.now();
    const shown = [...document.querySelectorAll<HTMLElement>("[data-testid=suggestion-card]")]
      .filter((card) => card.dataset.phase === "shown");
    for (const card of shown) {
      if (!entries.has(card)) {
        const entry = {
          type: card.dataset.type!,
          severity: card.dataset.severity as keyof typeof RANK,
          addedAt: now,
          leftAt: null,
          activeWhenLeft: null,
          replacedBy: null,
        };
        entries.set(card, entry);
        log.cards.push(entry);
      }
    }
    for (const [card, entry] of entries) {
      if (entry.leftAt !== null) continue;
      if (card.isConnected && card.dataset.phase === "shown") continue;
      entry.leftAt = now;
      entry.activeWhenLeft = card.dataset.active === "true";
      const next = shown.find((other) => other !== card);
      entry.replacedBy = (next?.dataset.severity as keyof typeof RANK | undefined) ?? null;
    }
    if (log.endedAt === null && document.querySelector("[data-testid=tip-empty][data-state=ended]")) {
      log.endedAt = now;
    }
    const idle = document.querySelector("[data-testid=tip-empty][data-state=listening]");
    if (idle && !listening) log.listening.push(listening = { from: now, to: null });
    if (!idle && listening) (listening.to = now, listening = null);
    for (const region of document.querySelectorAll<HTMLElement>("[data-testid^=announce-]")) {
      const said = region.textContent ?? "";
      if (said !== (lastSpoken.get(region.dataset.testid!) ?? "")) {
        lastSpoken.set(region.dataset.testid!, said);
        log.spoken.push({ region: region.dataset.testid!, text: said.replace("\u200b", ""), at: now });
      }
    }
    const wpm = document.querySelector("[data-testid=meter-pace] [data-testid=meter-value]")?.textContent ??
      "";
    if (wpm !== lastWpm) log.wpm.push({ text: lastWpm = wpm, at: now });
  };
  new MutationObserver(check).observe(document, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["data-phase", "data-active", "data-state"],
  });
}

export const pageLog = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { pageLog: PageLog }).pageLog);
