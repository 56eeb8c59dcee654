/**
 * What a model's answer must be before an agent sees it: one sentence of at most six words, no quotes or
 * markup, not empty, not a refusal, in the configured language, and not the words this rule showed last.
 * Anything else is refused with a reason, and the tip is shown in the rule table's words instead.
 *
 * The language check is a cheap heuristic that can be wrong either way: nearly all letters must be Latin
 * (for English, plain ASCII), and the answer must contain at least one common word of the language, and no
 * fewer of them than of English. A short answer made only of rare words ("Breathe") is refused; a sentence
 * mixing languages may pass.
 *
 * @module
 */
import type { PhrasingLanguage } from "../../core/config.ts";

/**
 * Most words a tip may have, as the rule table's own wordings: read in a glance, and two lines in the page's
 * tip area on a phone.
 */
export const MAX_WORDS = 6;
/** Most characters: six words of ordinary length. */
const MAX_CHARS = 48;

/** Why an answer was refused. */
export type AnswerProblem =
  | "empty"
  | "too_long"
  | "not_one_sentence"
  | "quotes_or_markup"
  | "refusal"
  | "wrong_language"
  | "repeat"
  | "same_as_fixed";

export type AnswerCheck = { ok: true; text: string } | { ok: false; problem: AnswerProblem };

/** What an answer is checked against besides its own text. */
export interface AnswerContext {
  language: PhrasingLanguage;
  /** The rule table's wordings of this tip's rule (this firing's included): a copy of one adds nothing. */
  fixedWordings: readonly string[];
  /** What this rule showed last in the call, if anything: the same words twice in a row are refused. */
  previous: string | null;
}

/** Common short words of each language; an answer needs at least one of its language's. */
const COMMON_WORDS: Record<PhrasingLanguage, ReadonlySet<string>> = {
  en: new Set(
    ("you your yours the to and them they their let ask it is be for with of this that what more less " +
      "slow down keep take give check before calm voice pace customer pause speak stop them listen try")
      .split(" "),
  ),
  de: new Set(
    ("sie ihr ihre ihnen der die das den dem und zu mit nicht ein eine etwas bitte kunde kunden kundin " +
      "lassen ist noch mehr langsamer ruhig fragen sprechen stimme").split(" "),
  ),
  fr: new Set(
    ("vous votre vos le la les et de du des un une pas plus au aux client cliente laissez parlez posez " +
      "calme moins voix").split(" "),
  ),
  es: new Set(
    ("usted su sus el la los las y de del un una que más al cliente deje hable pregunte calma menos por " +
      "voz").split(" "),
  ),
};

const REFUSAL =
  /\b(sorry|apologi[sz]e|I can(?:'|’)?t|I cannot|I am unable|I'm unable|unable to (help|assist|comply)|as an AI|language model|I won(?:'|’)?t|not able to (help|assist)|désolé|je ne peux pas|Entschuldigung|ich kann nicht|lo siento|no puedo)\b/i;
/** Quote marks, markdown and markup characters, links. */
const MARKUP = /["“”„«»‹›`*_#<>[\]{}|~\\]|https?:\/\/|^['‘’]|['‘’]$/;
/** A sentence end followed by more text, or a line break. */
const SENTENCE_BREAK = /[.!?;]\s+\S|[\r\n]/;

/** Checks a model's answer (raw `content`) for a tip. */
export function checkAnswer(content: string, context: AnswerContext): AnswerCheck {
  // One trailing full stop is dropped: the rule table's wordings have none.
  const text = content.trim().replace(/\s+/g, " ").replace(/(?<!\.)\.$/, "").trim();
  if (text === "") return { ok: false, problem: "empty" };
  if (REFUSAL.test(text)) return { ok: false, problem: "refusal" };
  if (MARKUP.test(text)) return { ok: false, problem: "quotes_or_markup" };
  if (SENTENCE_BREAK.test(content.trim())) return { ok: false, problem: "not_one_sentence" };
  if (text.split(" ").length > MAX_WORDS || text.length > MAX_CHARS) {
    return { ok: false, problem: "too_long" };
  }
  if (!inLanguage(text, context.language)) return { ok: false, problem: "wrong_language" };
  const key = comparable(text);
  if (context.previous !== null && key === comparable(context.previous)) {
    return { ok: false, problem: "repeat" };
  }
  if (context.fixedWordings.some((wording) => comparable(wording) === key)) {
    return { ok: false, problem: "same_as_fixed" };
  }
  return { ok: true, text };
}

/** Whether `text` looks like `language` (the heuristic in the module doc). */
export function inLanguage(text: string, language: PhrasingLanguage): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const share = (pattern: RegExp) => letters.filter((letter) => pattern.test(letter)).length / letters.length;
  if (share(language === "en" ? /[A-Za-z]/ : /\p{Script=Latin}/u) < 0.95) return false;
  const words = text.toLowerCase().split(/[^\p{L}'’]+/u).filter(Boolean);
  const hits = (lang: PhrasingLanguage) => words.filter((word) => COMMON_WORDS[lang].has(word)).length;
  const own = hits(language);
  return own > 0 && (language === "en" || own >= hits("en"));
}

/** Text as compared for repeats: case, spacing and end punctuation aside. */
function comparable(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").replace(/[.!?\s]+$/, "").trim();
}
