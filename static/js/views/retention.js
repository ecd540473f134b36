// "Memory that lasts", the lecture's claim made visible: for the selected step s of the text
// on screen, how much of what a gated cell held at s is still there later (∏ f for an LSTM, ∏ z for a GRU,
// or what s wrote), and how strongly the memory at each later step still depends on the memory at s
// (‖∂m_t/∂m_s‖: the cell_spec's memory, c for an LSTM, h for a GRU or a vanilla RNN), for one model or for
// both models of compare mode; beside them the memory-span curves that `lstm-viz eval --memory-span` wrote
// into the lesson models' cards (core/retention_plan.js SPAN_MODELS; a card not loaded is left out).
//
// The panel is a <details>: closed, it fetches and draws nothing. Open, it asks /api/retention once per
// model for each new (text, step, layer), a newer selection aborting the older request, and the two
// cards once. main.js calls update() with what is on screen and open(part) for the guided tour.
import { fetchCard, fetchRetention } from "../api.js";
import { decodeSpec } from "../core/arrays.js";
import {
  curveFigure, curveTitle, heatmapFigure, keepWords, modelLabel, spanCommands, spanFigure,
} from "../core/retention_figures.js";
import { SPAN_MODELS, plan, statusLine } from "../core/retention_plan.js";
import { displayToken } from "../core/tokens.js";
import { createRetentionView } from "./retention_view.js";

/** The kept heatmap's title for the model on screen: its cell's words (∏ f, ∏ z), else the LSTM's. */
function keptTitleOf(model) {
  return keepWords(model?.cell_spec)?.titles.kept ?? "what is still there from step s";
}

/** What the kept heatmap's place says for a model whose cell keeps nothing by a gate (a vanilla RNN). */
function noKeep(model) {
  const cell = model.cell_spec;
  if (!cell || keepWords(cell)) return "";
  const article = cell.article ?? cell.title;
  const only = cell.states?.length === 1 ? `: its only memory is ${cell.memory} itself,` : ",";
  return `${article[0].toUpperCase()}${article.slice(1)} has no forget gate (no gate keeps its memory)${only} so `
    + "only the curve applies.";
}

/**
 * The panel over a <details> element: update(input) with plan()'s input plus `unit` (outlined in the
 * heatmap); open(part) opens it and points at "kept", "curve" or "span". available(id): whether this server
 * has a model of that id (the memory-span chart asks only for the cards of those it has).
 */
export function createRetention(details, { available = () => true } = {}) {
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
  const keptCaption = () => keptTitleOf(input?.a?.model);

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
    // The heatmap is the first model's whose answer has what its gates keep (a cell with a keeping gate).
    const gated = held.find((s) => answers.get(s.key).kept && keepWords(s.model.cell_spec));
    view.showing(show);
    const draws = [];
    if (gated) {
      const answer = answers.get(gated.key);
      const cell = gated.model.cell_spec;
      const words = keepWords(cell);
      view.labels(words.toggle);
      draws.push(view.draw("kept", (width) => heatmapFigure({
        values: decodeSpec(answer[show]), steps: answer.steps, labels: labels(gated), show, unit: input.unit ?? null,
        width, cell,
      }), { caption: `${words.titles[show]} · ${modelLabel(gated.model)}, layer ${gated.layer + 1}` }));
    } else {
      draws.push(view.draw("kept", null, { caption: keptCaption(), note: held.map((s) => noKeep(s.model))[0] ?? "" }));
    }
    const series = held.map((s) => ({ model: s.model, answer: answers.get(s.key), labels: labels(s) }));
    draws.push(view.draw("curve", series.length ? (width) => curveFigure({ series, width }) : null,
      { caption: curveTitle(held.map((s) => s.model.cell_spec)), note: notes.join(" ") }));
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
    const cards = (await Promise.allSettled(SPAN_MODELS.filter(available).map((id) => fetchCard(id))))
      .filter((r) => r.status === "fulfilled").map((r) => r.value);
    const withSpan = cards.filter((card) => card.evaluation?.memory_span);
    await view.draw("span", withSpan.length ? (width) => spanFigure(withSpan, { width }) : null, {
      note: withSpan.length >= 2 ? "" : `This chart compares the cards of ${SPAN_MODELS.slice(0, -1).join(", ")} and `
        + `${SPAN_MODELS.at(-1)}: it needs two of them with their memory-span curves (lstm-viz eval MODEL `
        + "--memory-span --write-card).",
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
      view.draw("kept", null, { caption: keptCaption() });
      view.draw("curve", null, { caption: curveTitle([input?.a?.model?.cell_spec]) });
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
