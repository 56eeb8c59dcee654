/**
 * The hook through which a call's tips may pass between the rule engine and the pages: the optional AI
 * phrasing (server/phrasing) is one. Without a stage a tip is shown at once in the rule table's words.
 *
 * @module
 */
import type { Suggestion } from "../coaching/types.ts";
import type { PhrasedBy } from "../protocol/ui_messages.ts";

/** The words pages see for one tip, and who chose them. */
export interface TipWording {
  message: string;
  phrasedBy: PhrasedBy;
}

/**
 * One call's stage. It never blocks the caller: `show` is called exactly once per submitted tip, at once or
 * later within the stage's own time budget, and a call's tips are shown in the order they were submitted.
 */
export interface TipStage {
  /** Takes a tip as the engine fired it; `show` is called with the words to show. */
  submit(tip: Suggestion, show: (wording: TipWording) => void): void;
  /** The call ended: a tip still pending is shown now, before `call_ended`; nothing is shown after. */
  close(): void;
}

/** Makes a call's stage (`sessionId` is for the logs only). */
export type TipStageFactory = (sessionId: string) => TipStage;

/** The rule table's own words for `tip`. */
export function rulesWording(tip: Suggestion): TipWording {
  return { message: tip.message, phrasedBy: "rules" };
}
