// A guided tour of the lecture's two lessons on the `lesson` model: tense agreement across a long
// clause, and a food that decides the cuisine until a second person overwrites it. Pure (Node-tested
// against the real model card); views/tour.js is the view that only reports clicks.

// The lecture's sentences, exactly as in app/corpora/lecture.py.
export const LECTURE = {
  tensePresent: "Today, due to my current job situation and family conditions, I need to take a loan.",
  tensePast: "Last year, due to my current job situation and family conditions, I had to take a loan.",
  cuisineOne: "Dhaval eats samosa almost everyday, it shouldn't be hard to guess that his favorite cuisine is Indian",
  cuisineTwo: "Dhaval eats samosa almost everyday, it shouldn't be hard to guess that his favorite cuisine is Indian. "
    + "His brother Bhavin however is a lover of pasta and cheese that means Bhavin's favorite cuisine is Italian",
};

// Token indices under the word tokenizer (words, numbers and punctuation apart; "shouldn't" and
// "Bhavin's" one token each); tests/js/tour.test.mjs checks every one against a re-implementation.
const PRESENT = { today: 0, clause: [2, 3, 4, 5, 6, 7, 8, 9, 10], conditions: 10, I: 12, need: 13 };
const PAST = { last: 0, year: 1, I: 13, had: 14 };
const CUISINE = { samosa: 2, indian: 17, pasta: 27, and: 28, cheese: 29, italian: 36 };

/** |partial r| of a unit, or −1 when the card (an old one) has none: such units rank after those with one. */
function partialStrength(unit) {
  return typeof unit.partial_correlation === "number" ? Math.abs(unit.partial_correlation) : -1;
}

/** The unit a card names for one lesson ("tense", "cuisine"): never a weak one while the card names a unit
 *  that is not weak; then the largest |partial r| (new cards), then the most consistent and the largest
 *  mean Δc (old cards). Null when the card names none. */
export function notableUnit(card, carries) {
  const all = (card?.notable_units ?? []).filter((u) => u && u.carries === carries && Number.isInteger(u.unit));
  const strong = all.filter((u) => u.weak !== true);
  const units = strong.length ? strong : all;
  units.sort((a, b) => partialStrength(b) - partialStrength(a)
    || (b.sign_consistency ?? 0) - (a.sign_consistency ?? 0)
    || Math.abs(b.mean_delta_c ?? b.mean_delta_h ?? 0) - Math.abs(a.mean_delta_c ?? a.mean_delta_h ?? 0));
  return units[0] ?? null;
}

/**
 * What the card measured of the tense unit, as a sentence after "Unit N holds the tense: …" (with its
 * leading space), or "" when it measured nothing: "On sentences it never saw, its c follows the tense:
 * partial r = 0.81, higher after a present-time word than after a past one." (new cards: partial r > 0
 * means higher with "need"); old cards say the mean Δc on the training texts.
 */
export function tenseEvidence(unit) {
  if (!unit) return "";
  if (typeof unit.partial_correlation === "number") {
    const r = unit.partial_correlation;
    return ` On sentences it never saw, its c follows the tense${unit.weak === true ? " only weakly" : ""}: `
      + `partial r\u00a0=\u00a0${Math.abs(r).toFixed(2)}, ${r >= 0 ? "higher" : "lower"} after a present-time word `
      + "than after a past one.";
  }
  if (typeof unit.mean_delta_c !== "number") return "";
  return ` On the training texts its c is on average ${Math.abs(unit.mean_delta_c).toFixed(1)} `
    + `${unit.mean_delta_c >= 0 ? "higher" : "lower"} after a present-time opener than after a past one.`;
}

/** The vanilla RNN trained on the same lesson texts: the chapter on RNN vs LSTM compares with it. */
export const RNN_MODEL = "lesson-rnn";

/**
 * Steps of the tour: [{title, body, text, view, step, unit, layer, highlight}], and on the chapter
 * "RNN vs LSTM" (appended, so links to the earlier steps keep their index) also `retention`: the part
 * of the "Memory that lasts" panel to open and point at ("kept", "curve" or "span"), and optionally
 * `compareModel`: a second model whose curve joins the first's. `step` is the token to select (or
 * null), `unit` the unit to select and pin (or null; then `layer` is null too), `highlight` token
 * indices to mark in the text; `why` and `whyMethod` (the last step) the prediction after `step` whose
 * attribution tints the words; `train` (the last step) a preset of the Train panel it opens. Without notable units in the card the steps still make sense, only
 * without a unit to select.
 */
export function tourSteps(card, rnnCard = null) {
  const tense = notableUnit(card, "tense");
  const cuisine = notableUnit(card, "cuisine");
  const tenseName = tense ? `Unit ${tense.unit}` : "One unit";
  const cuisineName = cuisine ? `unit ${cuisine.unit}` : "a cuisine unit";
  const withUnit = (u) => ({ unit: u ? u.unit : null, layer: u ? u.layer ?? 0 : null });
  const gap = tenseEvidence(tense);
  // Which way the tense unit's c goes after a present-time word: its partial r (new cards) or mean Δc
  // (old cards) is positive when c is higher after "need" than after "had".
  const towardsNeed = (tense?.partial_correlation ?? tense?.mean_delta_c ?? 1) >= 0;
  const [now, then] = towardsNeed ? ["positive", "negative"] : ["negative", "positive"];

  return [
    {
      title: "What you are looking at",
      body: "Each column is one word of the sentence and each row one memory unit of the LSTM. "
        + "At every word the memory splits into what is kept from before, what is forgotten, "
        + "and what is newly written.",
      text: LECTURE.tensePresent, view: "memory", step: null, ...withUnit(null), highlight: [],
    },
    {
      title: "The forget gate keeps the memory",
      body: "To choose “need” the network has to remember “Today” across the whole reason clause. "
        + `Follow ${tense ? `unit ${tense.unit}` : "a unit"} along “due to … conditions”: `
        + "its forget gate f stays near 1, so the memory is carried word after word.",
      text: LECTURE.tensePresent, view: "gates", step: PRESENT.conditions, ...withUnit(tense),
      highlight: [PRESENT.today, ...PRESENT.clause],
    },
    {
      title: "One unit remembers the tense",
      body: `${tenseName} holds the tense: its cell state c turns ${now} at “Today” and stays ${now} up to “I”, `
        + `where the model predicts “need”.${gap}`,
      text: LECTURE.tensePresent, view: "states", step: PRESENT.I, ...withUnit(tense),
      highlight: [PRESENT.today, PRESENT.I, PRESENT.need],
    },
    {
      title: "Last year: the same unit flips",
      body: `Now the same clause after “Last year”. ${tenseName} turns negative at “Last year” and `
        + "stays negative, and at “I” the model predicts “had” instead of “need”.",
      text: LECTURE.tensePast, view: "states", step: PAST.I, ...withUnit(tense),
      highlight: [PAST.last, PAST.year, PAST.I, PAST.had],
    },
    {
      title: "A food decides the cuisine",
      body: "The second lesson: Dhaval eats samosa, so many words later his favorite cuisine is Indian. "
        + `At “samosa” ${cuisineName}'s forget gate drops towards 0: it clears what it held and writes `
        + "the new food, which it carries to the end.",
      text: LECTURE.cuisineOne, view: "states", step: CUISINE.samosa, ...withUnit(cuisine),
      highlight: [CUISINE.samosa, CUISINE.indian],
    },
    {
      title: "A second person overwrites the memory",
      body: "His brother Bhavin loves pasta and cheese. At “pasta” the forgotten memory shows the samosa "
        + `being erased in ${cuisineName} and the written memory the new food, so at the end the model says Italian.`,
      text: LECTURE.cuisineTwo, view: "memory", step: CUISINE.pasta, ...withUnit(cuisine),
      highlight: [CUISINE.pasta, CUISINE.and, CUISINE.cheese, CUISINE.italian],
    },
    {
      title: "Your turn",
      body: "Change “Today” to “Yesterday” and watch "
        + `${tense ? `unit ${tense.unit}` : "the tense unit"} turn ${then} and the guess after “I” become “had”. `
        + "Or give Dhaval pizza instead of samosa.",
      text: LECTURE.tensePresent, view: "states", step: null, ...withUnit(tense), highlight: [PRESENT.today],
    },
    ...rnnChapter(tense, spanWords(card, rnnCard)),
    {
      title: "Why “had”?",
      body: "Each word before “had” is tinted by how much the model's belief in “had” drops when that word is "
        + "hidden (occlusion). Besides “I” just before it, “Last year” lights up: the tense came from there, "
        + "thirteen words back.",
      text: LECTURE.tensePast, view: "memory", step: PAST.I, ...withUnit(null), highlight: [PAST.last, PAST.year],
      why: "had", whyMethod: "occlusion",
    },
    {
      // Appended last, so links to the steps before keep their index: the Train panel opens (main.js) with the
      // preset `train` (core/train_plan.js PRESETS) in its knobs; the teacher presses Play.
      title: "Train it live: RNN vs LSTM",
      body: "Press ▶ Play in the Train panel: an RNN and an LSTM learn from the same sentences and the same seed, "
        + "each with up to 30 filler words between “Last year” and “I had”. Watch the accuracy bars: the LSTM's "
        + "climb to 100 % while the RNN's stay on the dashed chance line, and the LSTM's answer after “I” turns to "
        + "“had”.",
      text: LECTURE.tensePast, view: "gates", step: null, ...withUnit(null), highlight: [], train: "race30",
    },
  ];
}

/** The first filler length from which a curve stays within 10 points of chance, or null. */
export function forgetsFrom(curve, distances) {
  const near = (curve?.accuracy ?? []).map((a) => typeof a === "number" && a <= curve.chance + 0.1);
  const first = near.indexOf(true);
  return first >= 0 && near.slice(first).every(Boolean) ? distances[first] : null;
}

/**
 * What the two cards' memory-span curves show, in sentences (the tour's last step): the LSTM's worst
 * accuracy within the lengths it trained on, per lesson, and where the RNN falls to chance. "" without
 * curves. Every number comes from the cards (evaluation.memory_span).
 */
export function spanWords(card, rnnCard) {
  const span = card?.evaluation?.memory_span;
  if (!span?.tense || !span?.cuisine) return "";
  const pct = (a) => `${Math.round(a * 100)} %`;
  const lesson = { tense: "the tense", cuisine: "the cuisine" };
  const lstm = ["tense", "cuisine"].map((task) => {
    const c = span[task];
    const inside = c.accuracy.filter((a, k) => c.in_training_range[k] && typeof a === "number");
    return `${lesson[task]} at least ${pct(Math.min(...inside))} of the time out to the ${c.training_range[1]} `
      + "words it trained on";
  });
  let text = `The LSTM gets ${lstm.join(", and ")}.`;
  const rnn = rnnCard?.evaluation?.memory_span;
  if (rnn?.tense && rnn?.cuisine) {
    const falls = ["tense", "cuisine"].map((task) => {
      const d = forgetsFrom(rnn[task], rnn.distances);
      return d === null ? `keeps ${lesson[task]} above chance` : `guesses ${lesson[task]} at chance from ${d} words on`;
    });
    text += ` The RNN, trained on the same sentences with more units, ${falls.join(" and ")}.`;
  }
  return text;
}

/** The chapter on the lecture's central claim: an RNN's memory fades, an LSTM's cell state lasts. */
function rnnChapter(tense, spanText) {
  const row = tense ? `Unit ${tense.unit}'s row` : "The tense unit's row";
  const clause = [PRESENT.today, ...PRESENT.clause, PRESENT.need];
  const base = { text: LECTURE.tensePresent, view: "gates", step: PRESENT.today, unit: tense ? tense.unit : null,
    layer: tense ? tense.layer ?? 0 : null };
  return [
    {
      ...base,
      title: "Why not a plain RNN?",
      body: "The lecture sets the LSTM against a traditional RNN, whose hidden state is its only memory. "
        + "In the tense sentence “Today” has to last across the clause “due to … conditions” until “need”. "
        + "“Memory that lasts”, below the details, follows what the network held at the selected word.",
      highlight: clause, retention: "kept",
    },
    {
      ...base,
      title: "∏ f: the tense unit keeps its memory",
      body: "Each row is a unit, each column a later word, and the colour is ∏ f, the product of the forget gates "
        + "since “Today”: how much of what the unit held then is still there. "
        + `${row} stays bright, still about 0.8 at “need”, while most units let “Today” go within a few words.`,
      highlight: [PRESENT.today, PRESENT.need], retention: "kept",
    },
    {
      ...base,
      title: "The RNN's memory fades",
      body: "The curves ask how strongly the memory at each later word still depends on the memory at “Today”: "
        + `‖∂c_t/∂c_s‖ for the LSTM, ‖∂h_t/∂h_s‖ for ${RNN_MODEL}, an RNN trained on the same texts. `
        + "By the end of the sentence the LSTM's is still about where it started and the RNN's has fallen below "
        + "1\u00a0%: the vanishing gradient, as a picture (dotted, the LSTM's h fades to about a quarter: it is a "
        + "gated read-out of c).",
      highlight: [PRESENT.today], retention: "curve", compareModel: RNN_MODEL,
    },
    {
      ...base,
      title: "Memory span: accuracy against distance",
      body: "The evaluation made up sentences with more and more words between the cue and the word it decides. "
        + `${spanText ? `${spanText} ` : ""}Under the chart: the command that measured it.`,
      highlight: [], retention: "span", compareModel: RNN_MODEL,
    },
  ];
}
