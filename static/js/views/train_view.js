// The Train panel's drawing (views/train.js runs the jobs): the knobs, and a column per cell with its loss over
// steps and accuracy against distance (Plotly, redrawn at most 4 times a second), its probe sentence's answer and
// gates as small canvas heatmaps of the latest snapshot, and a slider back through the snapshots.
import { colorTable, fillRaster } from "../core/raster.js";
import { DIVERGING, VIRIDIS } from "../core/colors.js";
import { TRAIN_CELLS, TRAIN_TASKS } from "../core/state.js";
import {
  BOUNDS, CELL_TITLES, PRESETS, TASKS, accuracyText, answerOf, answerText, distanceOf, percent, probePanels,
  probeTokens, snapshotMatrix, statusText, zRange,
} from "../core/train_plan.js";
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, plotlyNotice } from "./plotly_loader.js";

const REDRAW_MS = 250; // charts: at most 4 redraws a second per column
const TABLES = { gate: colorTable(VIRIDIS), signed: colorTable(DIVERGING) };
const COLORS = { loss: "#0b5cad", right: "#1a7f37", bar: "#0b5cad", chance: "#b3261e" };

/** fn at once, then at most once per `ms` (the last call always runs). */
function throttle(fn, ms) {
  let last = -Infinity;
  let timer = 0;
  return () => {
    if (timer) return;
    const wait = last + ms - performance.now();
    const run = () => {
      timer = 0;
      last = performance.now();
      fn();
    };
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
}

function numberInput(id, [min, max], step = "1") {
  const input = el("input", "train-number");
  Object.assign(input, { id, type: "number", min: String(min), max: String(max), step, required: true });
  input.inputMode = step === "1" ? "numeric" : "decimal";
  return input;
}

function knob(label, input, ...rest) {
  const box = el("div", "train-knob");
  const text = el("label", null, label);
  text.htmlFor = input.id;
  const inputs = el("span", "train-inputs");
  inputs.append(input, ...rest);
  box.append(text, inputs);
  return box;
}

/**
 * View: setConfig(config) shows a config in the knobs; setRuns(cells) makes a column per cell (none: the empty
 * panel); update(k, run, context) draws run k ({task, distance, lossTop} of the runs); say(text) the panel's
 * status; buttons({stop, resume}). Events (bind): "config" (the knobs' config), "preset" (name), "play", "stop",
 * "resume", "reset", "open-model" (a model id).
 */
export function createTrainView(container, { cellSpec }) {
  const { emit, bind } = createEvents(["config", "preset", "play", "stop", "resume", "reset", "open-model"]);
  let config = null;

  // ---- the knobs
  const task = el("select", "train-select");
  task.id = "train-task";
  for (const name of TRAIN_TASKS) {
    const option = el("option", null, TASKS[name].title, task);
    option.value = name;
  }
  const cells = el("span", "train-cells");
  cells.setAttribute("role", "group");
  cells.setAttribute("aria-label", "Cells: choose two or three to race them");
  const boxes = TRAIN_CELLS.map((name) => {
    const label = el("label", "train-cell", null, cells);
    const box = el("input");
    box.type = "checkbox";
    box.value = name;
    box.dataset.cell = name;
    label.append(box, ` ${CELL_TITLES[name]}`);
    return box;
  });
  const hidden = numberInput("train-hidden", BOUNDS.hidden);
  const dmin = numberInput("train-distance-min", BOUNDS.distance);
  const dmax = numberInput("train-distance-max", BOUNDS.distance);
  dmax.setAttribute("aria-label", "most words apart");
  const lr = numberInput("train-lr", BOUNDS.lr, "any");
  const steps = numberInput("train-steps", BOUNDS.steps, "100");
  const seed = numberInput("train-seed", BOUNDS.seed);

  const knobs = el("form", "train-knobs");
  knobs.noValidate = true;
  const taskKnob = knob("Task", task);
  const cellKnob = el("div", "train-knob");
  cellKnob.append(el("span", "train-label", "Cells"), cells);
  knobs.append(taskKnob, cellKnob, knob("Hidden", hidden), knob("Words apart", dmin, el("span", null, "–"), dmax),
    knob("Learning rate", lr), knob("Steps", steps), knob("Seed", seed));

  const actions = el("div", "train-actions");
  const presets = Object.entries(PRESETS).map(([name, p]) => {
    const b = el("button", "small-button train-preset", p.label, actions);
    b.type = "button";
    b.dataset.preset = name;
    return b;
  });
  const play = el("button", "train-button train-play", "▶ Play", actions);
  const stop = el("button", "train-button train-stop", "■ Stop", actions);
  const reset = el("button", "train-button train-reset", "⟲ Reset", actions);
  for (const b of [play, stop, reset]) b.type = "button";
  play.id = "train-play";
  stop.id = "train-stop";
  reset.id = "train-reset";
  stop.disabled = true;
  const status = el("p", "train-status", null, actions);
  status.id = "train-status";
  status.setAttribute("role", "status");

  const head = el("div", "train-head");
  const title = el("h2", "train-title", "Train it live");
  head.append(title, knobs, actions);
  const runs = el("div", "train-runs");
  const empty = el("p", "train-empty note", "Choose a task and the cells, then press ▶ Play: each cell trains on the "
    + "same sentences from the same seed, and its loss, its accuracy and its gates fill in as it learns.");
  container.replaceChildren(head, empty, runs);

  function readKnobs() {
    const number = (input) => (input.value.trim() === "" ? NaN : Number(input.value));
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    const [a, b] = [number(dmin), number(dmax)];
    const own = distanceOf({ ...config, distance: null });
    const distance = config.task === task.value && (config.distance || a !== own.start || b !== own.end)
      ? { start: a, end: b } : null;
    // The order of the cells is the checkboxes' unless the config's (a preset's "RNN vs LSTM") keeps them all.
    const kept = config.cells.filter((c) => chosen.includes(c));
    const order = [...kept, ...chosen.filter((c) => !kept.includes(c))];
    return { ...config, task: task.value, cells: order, hidden: number(hidden), distance, lr: number(lr),
      steps: number(steps), seed: number(seed) };
  }

  knobs.addEventListener("change", () => {
    config = readKnobs();
    showConfig();
    emit("config", config);
  });
  knobs.addEventListener("submit", (event) => event.preventDefault());
  for (const b of presets) b.addEventListener("click", () => emit("preset", b.dataset.preset));
  play.addEventListener("click", () => emit("play"));
  stop.addEventListener("click", () => emit(stop.dataset.action === "resume" ? "resume" : "stop"));
  reset.addEventListener("click", () => emit("reset"));

  function showConfig() {
    task.value = config.task;
    for (const b of boxes) b.checked = config.cells.includes(b.value);
    const d = distanceOf(config);
    hidden.value = String(config.hidden);
    dmin.value = String(d.start);
    dmax.value = String(d.end);
    lr.value = String(config.lr);
    steps.value = String(config.steps);
    seed.value = String(config.seed);
    play.textContent = config.cells.length > 1 ? "▶ Play: race" : "▶ Play";
  }

  // ---- the columns
  let columns = [];
  function column(cell) {
    const root = el("section", "train-run");
    root.dataset.cell = cell;
    root.dataset.points = "0";
    const header = el("header", "train-run-head", null, root);
    el("h3", "train-run-title", CELL_TITLES[cell] ?? cell, header);
    const state = el("span", "train-run-status", null, header);
    state.setAttribute("role", "status");
    const open = el("button", "small-button train-open", "Open this model", header);
    open.type = "button";
    open.hidden = true;
    const answer = el("p", "train-answer", null, root);
    const accuracy = el("p", "train-mean", null, root);
    const charts = el("div", "train-charts", null, root);
    const loss = el("div", "train-loss", null, charts);
    const bars = el("div", "train-accuracy", null, charts);
    const c = { cell, root, state, open, answer, accuracy, loss, bars, run: null, context: null, follow: true,
      shownSnapshot: null };
    c.notice = plotlyNotice(() => c.draw());
    charts.append(c.notice.element);
    const probe = el("div", "train-probe", null, root);
    c.sentence = el("p", "train-sentence", null, probe);
    c.maps = el("div", "train-maps", null, probe);
    const scrub = el("label", "train-scrub", null, probe);
    c.slider = el("input", "train-slider");
    c.slider.type = "range";
    c.slider.min = "0";
    c.slider.max = "0";
    c.slider.step = "1";
    c.at = el("span", "train-scrub-step", "snapshot");
    scrub.append(c.at, c.slider);
    c.slider.addEventListener("input", () => {
      c.follow = Number(c.slider.value) === c.run.snapshots.length - 1;
      drawProbe(c);
    });
    open.addEventListener("click", () => emit("open-model", c.run.model));
    c.draw = throttle(() => drawCharts(c), REDRAW_MS);
    return c;
  }

  async function drawCharts(c) {
    const { run, context } = c;
    if (!run) return;
    const Plotly = await c.notice.plotly({ charts: 2 });
    if (!Plotly || c.run !== run) {
      if (Plotly) c.draw();
      return;
    }
    c.notice.hide();
    const big = document.body.classList.contains("presenter");
    const font = { size: big ? 15 : 11 };
    const base = { font, margin: { l: big ? 52 : 40, r: 8, t: big ? 30 : 24, b: big ? 40 : 32 }, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", height: c.loss.clientHeight || 170 };
    await Plotly.react(c.loss, [{ x: run.loss.steps, y: run.loss.values, type: "scatter", mode: "lines",
      line: { color: COLORS.loss, width: 2 }, hovertemplate: "step %{x}: loss %{y:.3f}<extra></extra>" }], {
      ...base, title: { text: "loss", font },
      xaxis: { title: { text: "step", standoff: 2 }, range: [0, run.steps || 1], zeroline: false },
      yaxis: { range: [0, context.lossTop || 1], zeroline: false },
    }, PLOTLY_CONFIG);
    const chance = run.chance; // null until the first progress event: no chance line yet
    const acc = run.accuracy ?? { distances: [], values: [] };
    await Plotly.react(c.bars, [{ x: acc.distances, y: acc.values, type: "bar",
      marker: { color: acc.values.map((v) => (chance !== null && v >= chance + 0.25 ? COLORS.right : COLORS.bar)) },
      hovertemplate: "%{x} words apart: %{y:.0%}<extra></extra>" }], {
      ...base, title: { text: "accuracy by words apart", font },
      xaxis: { type: "category", title: { text: "words apart", standoff: 2 } },
      yaxis: { range: [0, 1], tickformat: ".0%", dtick: 0.25 },
      shapes: chance === null ? [] : [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: chance, y1: chance,
        line: { color: COLORS.chance, dash: "dash", width: 2 } }],
      annotations: chance === null ? [] : [{ xref: "paper", x: 0, xanchor: "left", y: chance, yanchor: "bottom",
        showarrow: false, text: `chance ${percent(chance)}`, font: { ...font, color: COLORS.chance },
        bgcolor: "rgba(255,255,255,0.85)" }],
    }, PLOTLY_CONFIG);
    c.root.dataset.points = String(run.loss.steps.length);
    c.root.dataset.bars = JSON.stringify(acc.values);
  }

  function drawProbe(c) {
    const { run, context } = c;
    const list = run.snapshots;
    c.slider.max = String(Math.max(0, list.length - 1));
    c.slider.disabled = list.length < 2;
    if (!list.length) return;
    if (c.follow) c.slider.value = String(list.length - 1);
    const snapshot = list[Number(c.slider.value)] ?? list.at(-1);
    c.at.textContent = `gates at step ${snapshot.step.toLocaleString("en")}`;
    const a = answerOf(snapshot);
    c.answer.textContent = `${answerText(snapshot)} ${a.sure ? "✓" : a.right ? "(a guess)" : "✗"}`;
    c.answer.dataset.right = a.sure ? "true" : a.right ? "guess" : "false";
    if (c.shownSnapshot === snapshot) return;
    c.shownSnapshot = snapshot;
    const distance = distanceOf(context.config).end;
    const tokens = probeTokens(context.task, snapshot, distance);
    drawSentence(c.sentence, tokens);
    const layer = snapshot.layers[0];
    const panels = probePanels(cellSpec(c.cell), Object.keys(layer));
    const figures = panels.map((panel) => {
      const m = snapshotMatrix(layer, panel.key);
      const figure = el("figure", "train-map");
      el("figcaption", null, panel.title, figure);
      const canvas = el("canvas", "train-canvas", null, figure);
      canvas.width = m.T;
      canvas.height = m.H;
      canvas.dataset.quantity = panel.key;
      canvas.dataset.step = String(snapshot.step);
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${panel.title}: ${m.H} units × ${m.T} words at step ${snapshot.step}`);
      const pixels = new Uint32Array(m.T * m.H);
      fillRaster(pixels, m, Array.from({ length: m.H }, (_, u) => u), zRange(panel, m), TABLES[panel.scale]);
      if (m.T && m.H) {
        canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(pixels.buffer), m.T, m.H), 0, 0);
      }
      figure.append(axis(tokens));
      return figure;
    });
    c.maps.replaceChildren(...figures);
    c.root.dataset.snapshot = String(snapshot.step);
  }

  /** The probe sentence, short: the cue, "… N words …", the word after which the answer comes, "→ ?". */
  function drawSentence(p, tokens) {
    const parts = [];
    let filler = [];
    const flush = () => {
      if (!filler.length) return;
      const span = el("span", "train-filler", `… ${filler.length} filler word${filler.length === 1 ? "" : "s"} …`);
      span.title = filler.join(" ");
      parts.push(span);
      filler = [];
    };
    for (const t of tokens) {
      if (t.kind === "filler") filler.push(t.text);
      else {
        flush();
        parts.push(el("mark", `train-token train-${t.kind}`, t.text));
      }
    }
    flush();
    parts.push(el("span", "train-then", "→ ?"));
    p.replaceChildren(...parts);
  }

  /** A thin row under a heatmap: its columns, the cue's and the answer's marked. */
  function axis(tokens) {
    const row = el("div", "train-axis");
    row.setAttribute("aria-hidden", "true");
    for (const t of tokens) {
      const cell = el("span", `train-tick train-tick-${t.kind}`);
      cell.title = t.text;
      row.append(cell);
    }
    return row;
  }

  return {
    bind,
    setConfig(next) {
      config = { ...next, cells: [...next.cells] };
      showConfig();
    },
    setRuns(list) {
      columns = list.map(column);
      runs.style.setProperty("--runs", String(Math.max(1, list.length)));
      runs.replaceChildren(...columns.map((c) => c.root));
      empty.hidden = list.length > 0;
    },
    update(k, run, context) {
      const c = columns[k];
      if (!c) return;
      const lossMoved = c.context?.lossTop !== context.lossTop;
      const changed = c.run !== run;
      c.run = run;
      c.context = context;
      c.root.dataset.status = run.status;
      c.root.dataset.job = run.id ?? "";
      c.state.textContent = statusText(run);
      c.accuracy.textContent = accuracyText(run);
      c.open.hidden = !run.model;
      if (changed || lossMoved) c.draw();
      if (changed) drawProbe(c);
    },
    say(text) {
      status.textContent = text;
    },
    buttons({ stoppable, resumable }) {
      stop.disabled = !stoppable && !resumable;
      stop.dataset.action = resumable && !stoppable ? "resume" : "stop";
      stop.textContent = stop.dataset.action === "resume" ? "▶ Resume" : "■ Stop";
    },
    redraw() {
      for (const c of columns) if (c.run) c.draw();
    },
  };
}
