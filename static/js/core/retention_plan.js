// "Memory that lasts": what the panel asks /api/retention for (plan) and what its status line says. Pure:
// views/retention.js fetches and draws.
import { modelLabel } from "./retention_figures.js";
import { displayToken, tokenPlace } from "./tokens.js";

/** The models whose cards hold the memory-span curves the chart compares: the lesson's LSTM, vanilla RNN and
 *  GRU, trained on the same texts (a card that is not loaded is left out). */
export const SPAN_MODELS = Object.freeze(["lesson", "lesson-rnn", "lesson-gru"]);

/**
 * What to fetch for the panel's input {a, b, step, layer}: a and b are what the page holds of each
 * text ({model: an /api/models entry, text, tokens}), b null outside compare mode. Returns {message}
 * when there is nothing to ask, else {step, subjects: [{model, text, tokens, layer, key}], notes}.
 * B joins only when it is another model (two texts on one model have one memory to follow: A's).
 */
export function plan({ a, b = null, step = null, layer = 0 }) {
  if (!a) return { message: "Type some text above to follow its memory." };
  const T = a.tokens.length;
  if (T < 2) return { message: "Type at least two tokens: the memory of one step is followed over the later ones." };
  if (step === null || step === undefined) {
    return { message: "Click a token (or a heatmap cell) to pick the step s whose memory to follow." };
  }
  if (step >= T - 1) {
    return { message: `“${displayToken(a.tokens[T - 1].text)}” is the last token: nothing comes after it to `
      + "remember it. Pick an earlier token." };
  }
  const subject = (holding) => {
    const k = Math.min(layer, holding.model.num_layers - 1);
    return { ...holding, layer: k, key: [holding.model.id, holding.model.version, k, step, holding.text].join("\u0000") };
  };
  const subjects = [subject(a)];
  const notes = [];
  if (b && b.model.id !== a.model.id) {
    if (step < b.tokens.length - 1) subjects.push(subject(b));
    else notes.push(`${modelLabel(b.model)}: its text has no token after ${tokenPlace(step)}.`);
  }
  return { step, subjects, notes };
}

/** The status line for answers in hand: which step s (as a person counts tokens: from 1), which models,
 *  how many later tokens. */
export function statusLine(subjects, answers) {
  const [first] = subjects;
  const answer = answers.get(first.key);
  const T = first.tokens.length;
  const later = T - 1 - answer.step;
  const token = displayToken(answer.token.text);
  let line = `From s = ${tokenPlace(answer.step, T)}, “${token}”, of ${modelLabel(first.model)}, over the next `
    + `${answer.window} token${answer.window === 1 ? "" : "s"}`;
  if (answer.window < later) line += ` (of ${later}: the most this model's Jacobian may span)`;
  const second = subjects[1];
  if (second && answers.has(second.key)) {
    line += `; beside it ${modelLabel(second.model)} on ${second.text === first.text ? "the same text" : "its text"}`;
  }
  return `${line}.`;
}
