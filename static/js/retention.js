// "Memory that lasts" (issue #9), the lecture's claim made visible: for the selected step s of the text
// on screen, how much of what an LSTM held at s is still there later (∏ f, or what s wrote), and how
// strongly the memory at each later step still depends on the memory at s (‖∂m_t/∂m_s‖: c for an
// LSTM, h for a vanilla RNN), for one model or for both models of compare mode; beside them the
// memory-span curves that `lstm-viz eval --memory-span` wrote into the lesson models' cards.
//
// The panel is a <details>: closed, it fetches and draws nothing. Open, it asks /api/retention once per
// model for each new (text, step, layer), a newer selection aborting the older request, and the two
// cards once. main.js calls update() with what is on screen and open(part) for the guided tour.
import { fetchCard, fetchRetention } from "./api.js";
import { decodeSpec } from "./arrays.js";
import { TITLES, curveFigure, curveTitle, heatmapFigure, modelLabel, spanCommands, spanFigure } from "./retention_figures.js";
import { createRetentionView } from "./retention_view.js";
import { displayToken, tokenPlace } from "./tokens.js";

/** The models whose cards hold the memory-span curves the chart compares: the LSTM and the RNN. */
export const SPAN_MODELS = ["lesson", "lesson-rnn"];

const cellOf = (model) => model.cell ?? "lstm";

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

/**
 * The panel over a <details> element: update(input) with plan()'s input plus `unit` (outlined in the
 * heatmap); open(part) opens it and points at "kept", "curve" or "span".
 */
export function createRetention(details) {
  const view = createRetentionView(details);
  let input = null;
  let show = "kept";
  let answers = new Map(); // key -> /api/retention answer, for the subjects on screen
  let errors = new Map(); // key -> message
  let request = null;
  let spanLoaded = false;
  let spanDrawn = false;
  let pointAt = null; // the part the tour asked to point at, once it is drawn (the page above settles first)
  let drawn = ""; // what the charts show now: the page redraws often (a view, an order), the panel need not
  let drawing = 0; // counts drawCharts calls: only the latest marks the panel drawn

  function cancel() {
    request?.abort();
    request = null;
    details.setAttribute("aria-busy", "false");
  }

  function pointWhenDrawn() {
    if (pointAt && (pointAt !== "span" || spanDrawn)) {
      view.point(pointAt);
      pointAt = null;
    }
  }

  function drawCharts(p) {
    const now = JSON.stringify([p.subjects.map((s) => s.key), show, input.unit ?? null, [...errors], p.notes]);
    if (now === drawn) {
      pointWhenDrawn();
      return;
    }
    drawn = now;
    const held = p.subjects.filter((s) => answers.has(s.key));
    const labels = (s) => s.tokens.map((token) => displayToken(token.text));
    const notes = [...p.notes, ...p.subjects.filter((s) => errors.has(s.key))
      .map((s) => `${modelLabel(s.model)}: ${errors.get(s.key)}`)];
    const lstm = held.find((s) => cellOf(s.model) === "lstm");
    view.showing(show);
    const draws = [];
    if (lstm) {
      const answer = answers.get(lstm.key);
      draws.push(view.draw("kept", (width) => heatmapFigure({
        values: decodeSpec(answer[show]), steps: answer.steps, labels: labels(lstm), show, unit: input.unit ?? null,
        width,
      }), { caption: `${TITLES[show]} · ${modelLabel(lstm.model)}, layer ${lstm.layer + 1}` }));
    } else {
      draws.push(view.draw("kept", null, { caption: TITLES.kept, note: held.length
        ? "A vanilla RNN has no forget gate: its only memory is h itself, so only the curve applies." : "" }));
    }
    const series = held.map((s) => ({ model: s.model, answer: answers.get(s.key), labels: labels(s) }));
    draws.push(view.draw("curve", series.length ? (width) => curveFigure({ series, width }) : null,
      { caption: curveTitle(held.map((s) => cellOf(s.model))), note: notes.join(" ") }));
    // Marked drawn (data-step, data-models: what tests and the tour wait for) once the charts are, which
    // the first time includes loading plotly.js.
    const mine = ++drawing;
    Promise.all(draws).then(() => {
      if (mine !== drawing) return;
      details.dataset.step = String(p.step);
      details.dataset.models = held.map((s) => s.model.id).join(",");
      pointWhenDrawn();
    });
  }

  async function loadSpan() {
    if (spanLoaded) return;
    spanLoaded = true;
    const cards = (await Promise.allSettled(SPAN_MODELS.map((id) => fetchCard(id))))
      .filter((r) => r.status === "fulfilled").map((r) => r.value);
    const withSpan = cards.filter((card) => card.evaluation?.memory_span);
    await view.draw("span", withSpan.length ? (width) => spanFigure(withSpan, { width }) : null, {
      note: withSpan.length === SPAN_MODELS.length ? "" : `This chart needs the cards of ${SPAN_MODELS.join(" and ")}`
        + " with their memory-span curves (lstm-viz eval MODEL --memory-span --write-card).",
    });
    view.commands(spanCommands(withSpan));
    spanDrawn = true;
    pointWhenDrawn();
  }

  async function refresh() {
    if (!view.isOpen()) return;
    loadSpan();
    const p = plan(input ?? { a: null });
    if (p.message) {
      cancel();
      view.status(p.message);
      view.draw("kept", null);
      view.draw("curve", null, { caption: curveTitle([cellOf(input?.a?.model ?? {})]) });
      delete details.dataset.step;
      drawn = "";
      drawing++; // a draw still waiting for plotly.js no longer marks the panel drawn
      pointWhenDrawn();
      return;
    }
    const missing = p.subjects.filter((s) => !answers.has(s.key) && !errors.has(s.key));
    if (!missing.length) {
      view.status(answers.has(p.subjects[0].key) ? statusLine(p.subjects, answers) : errors.get(p.subjects[0].key));
      drawCharts(p);
      return;
    }
    cancel();
    const controller = new AbortController();
    request = controller;
    details.setAttribute("aria-busy", "true");
    const results = await Promise.allSettled(p.subjects.map((s) => answers.get(s.key) ?? fetchRetention({
      model: s.model.id, text: s.text, step: p.step, layer: s.layer, signal: controller.signal,
    })));
    if (request !== controller) return;
    request = null;
    details.setAttribute("aria-busy", "false");
    answers = new Map();
    errors = new Map();
    results.forEach((r, n) => {
      const { key } = p.subjects[n];
      if (r.status === "fulfilled") answers.set(key, r.value);
      else if (r.reason?.name !== "AbortError") errors.set(key, r.reason?.message ?? String(r.reason));
    });
    refresh();
  }

  view.bind("toggle", (open) => {
    if (open) refresh();
    else cancel();
  });
  view.bind("show", (value) => {
    show = value;
    refresh();
  });

  return {
    update(next) {
      input = next;
      refresh();
    },
    open(part) {
      pointAt = part ?? null;
      if (view.isOpen() && !request) pointWhenDrawn(); // already drawn for this input (update() came first)
      else view.open(); // the <details> fires "toggle", which refreshes, draws, then points
    },
  };
}
