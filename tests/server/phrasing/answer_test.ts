import assert from "node:assert/strict";
import { type AnswerContext, checkAnswer, inLanguage } from "../../../server/phrasing/answer.ts";

const english: AnswerContext = { language: "en", fixedWordings: ["Slow down a little"], previous: null };

Deno.test("Answer check - a good answer passes, trimmed, without its full stop", () => {
  assert.deepEqual(checkAnswer("  Ease off so they can follow.\n", english), {
    ok: true,
    text: "Ease off so they can follow",
  });
  assert.deepEqual(checkAnswer("182 a minute: take a breath", english), {
    ok: true,
    text: "182 a minute: take a breath",
  });
});

Deno.test("Answer check - each kind of bad answer is refused with its reason", () => {
  const cases: [string, string][] = [
    ["", "empty"],
    [" \n ", "empty"],
    ["one two three four five six seven eight nine ten eleven twelve thirteen", "too_long"],
    ["Take a breath and slow down now", "too_long"], // seven words: more than the rule table's six
    ["Acknowledge their understandably overwhelming frustrations calmly", "too_long"], // six long words

    ["Slow down. Then ask a question.", "not_one_sentence"],
    ["Slow down\nand breathe", "not_one_sentence"],
    ['"Slow down a bit"', "quotes_or_markup"],
    ["'Slow down a bit'", "quotes_or_markup"],
    ["Slow down a bit (see https://example.com)", "quotes_or_markup"],
    ["<b>Slow</b> down", "quotes_or_markup"],
    ["# Slow down", "quotes_or_markup"],
    ["I'm sorry, I can't help with that", "refusal"],
    ["As an AI language model, I suggest slowing down", "refusal"],
    ["Sprechen Sie bitte etwas langsamer", "wrong_language"],
    ["Hable más despacio, por favor", "wrong_language"],
    ["ゆっくり話してください", "wrong_language"],
    ["slow DOWN a little!", "same_as_fixed"],
  ];
  for (const [answer, problem] of cases) {
    assert.deepEqual(checkAnswer(answer, english), { ok: false, problem }, JSON.stringify(answer));
  }
  assert.deepEqual(
    checkAnswer("Ease off the pace.", { ...english, previous: "ease off the pace" }),
    { ok: false, problem: "repeat" },
  );
});

Deno.test("Answer check - the language heuristic, in each configured language", () => {
  assert.equal(inLanguage("Let them finish their thought", "en"), true);
  assert.equal(inLanguage("Breathe", "en"), false, "no common word: refused (the heuristic can fail)");
  assert.equal(inLanguage("Lassen Sie den Kunden ausreden", "de"), true);
  assert.equal(inLanguage("Let the customer finish", "de"), false);
  assert.equal(inLanguage("Laissez le client finir sa phrase", "fr"), true);
  assert.equal(inLanguage("Deje que el cliente termine", "es"), true);
  assert.equal(inLanguage("Deje que el cliente termine", "en"), false);
  assert.equal(inLanguage("Говорите медленнее", "de"), false, "not Latin script");
});
