// Compare mode, the lecture's core example: two texts (a minimal pair such as "Today, … I need" /
// "Last year, … I had") on one model, or one text on two models, side by side. Heatmaps of one
// quantity for A and for B (same unit rows, each on its own tokens), A − B over the aligned tokens,
// the units that behave most differently, and both next-token predictions at the selected column.
// Created once, updated with Plotly.react (constant uirevision keeps a person's zoom); it never
// fetches or reads the URL. Text goes in through textContent only; Plotly labels through plotlyText.
// plotly.js is loaded when the heatmaps first draw (plotly_loader.js): the captions, the ranking and the
// predictions never wait for it, and if it cannot load the heatmaps' place says so in words.
// Tokens and columns are numbered for people ("A token 3 of 19"); events carry 0-based indices.
import { alignTokens, diffMatrix, rankByDifference } from "../core/align.js";
import { maxAbs, unitRows } from "../core/arrays.js";
import { colourWords } from "../core/color_ranges.js";
import { attributionColour, maxAbsOf } from "../core/colors.js";
import { DIVERGING, SEQUENTIAL, columnShape, plotlyText, range, xTicks } from "../core/plot_axes.js";
import { displayToken, tokenPlace } from "../core/tokens.js";
import { panelOf, panelRanges, panelTitle } from "../core/views.js";
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, loadedPlotly, plotlyNotice } from "./plotly_loader.js";

/** How many of the most different units are listed as buttons. */
export const TOP_UNITS = 8;

const UI_REVISION = "compare";
const RESIZE_DEBOUNCE_MS = 200;
const SNIPPET_WORDS = 6;
const SNIPPET_CHARS = 48;
const LISTED_SKIPS = 6; // unaligned tokens named in the note, per text
const GAP_LABELS = 6; // at most this many gaps get a label above the difference heatmap
const GAP_LABEL_CHARS = 18;
const FALLBACK_WIDTH_PX = 600;
const WHY_TOKENS = 40; // "why" rows show at most this many words, the last ones before the prediction
const FONT = { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" };

function textOf(token) {
  return typeof token === "string" ? token : String(token?.text ?? "");
}

function clip(text, chars) {
  const points = Array.from(text);
  return points.length <= chars ? text : `${points.slice(0, chars - 1).join("")}…`;
}

// Each token's text as shown, with the space before it: original spacing when tokens carry
// start/end (code points), else one space between tokens.
function spacedPieces(tokens) {
  return tokens.map((token, t) => {
    const prev = tokens[t - 1];
    const known = Number.isInteger(token?.start) && Number.isInteger(prev?.end);
    const space = t > 0 && (known ? token.start > prev.end : true);
    return `${space ? " " : ""}${displayToken(textOf(token))}`;
  });
}

/** The first few words of a text from its tokens ("Today, due to my current job…"). */
export function firstWords(tokens, words = SNIPPET_WORDS, chars = SNIPPET_CHARS) {
  const pieces = spacedPieces(tokens);
  let out = "";
  let seen = 0;
  let t = 0;
  for (; t < pieces.length && seen < words; t++) {
    out += pieces[t];
    if (/\w/u.test(pieces[t])) seen++;
  }
  // Punctuation right after the last word belongs to it ("Today,").
  while (t < pieces.length && !/^\s/.test(pieces[t]) && !/\w/u.test(pieces[t])) out += pieces[t++];
  const clipped = clip(out, chars);
  return t < pieces.length && clipped === out ? `${out}…` : clipped;
}

/** "97 %" for 0.97; one decimal under 10 % and over 99 % (0.997 is "99.7 %", not "100 %"). */
export function percent(p) {
  const v = 100 * p;
  if (!Number.isFinite(v)) return "–";
  if (v > 0 && v < 0.1) return "< 0.1 %";
  if (v > 99.9 && v < 100) return "> 99.9 %";
  return `${v.toFixed(v < 10 || v > 99 ? 1 : 0).replace(/\.0$/, "")} %`;
}



function gapShape(k) {
  return {
    type: "line", xref: "x", yref: "paper", x0: k - 0.5, x1: k - 0.5, y0: 0, y1: 1,
    line: { color: "#57606a", width: 2, dash: "dot" },
    name: "gap",
  };
}

function heatmapFigure({ z, labels, hover, units, colours, hovertemplate, width, shapes, annotations = [] }) {
  return {
    data: [{
      type: "heatmap",
      z,
      x: range(labels.length),
      y: units.map(String), // a category axis: rows keep the chosen order, hover and clicks name the unit
      text: Array(units.length).fill(hover),
      hovertemplate,
      ...colours,
      colorbar: { thickness: 14, outlinewidth: 0, tickfont: { size: 14 } },
    }],
    layout: {
      uirevision: UI_REVISION,
      margin: { l: 64, r: 8, t: annotations.length ? 30 : 8, b: 8 },
      font: FONT,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      hoverlabel: { font: { size: 16 } },
      xaxis: { tickmode: "array", ...xTicks(labels, width), automargin: true, showgrid: false, zeroline: false },
      yaxis: { title: { text: "unit" }, type: "category", autorange: "reversed", showgrid: false, zeroline: false },
      shapes,
      annotations,
    },
  };
}

// Tokens between two aligned columns that only one text has (the "need" / "had" of the tense pair).
function skipped(tokens, from, to) {
  return tokens.slice(from, to).map((token) => displayToken(textOf(token)));
}

/**
 * Everything the view derives from one render's data: the alignment, A − B, the ranking, the rows.
 * Pure (no DOM), exported for tests and for main.js (e.g. to order other views by difference).
 */
export function compareModel({ a, b, quantity, units = null, step = null }, pairs = null) {
  const aligned = pairs ?? alignTokens(a.tokens, b.tokens);
  const mA = a.matrices[quantity];
  const mB = b.matrices[quantity];
  const sameSize = mA.H === mB.H;
  const diff = sameSize ? diffMatrix(mA, mB, aligned) : null;
  const ranking = diff ? rankByDifference(diff, diff.H) : [];
  const H = Math.min(mA.H, mB.H);
  const byDifference = diff ? ranking.map((r) => r.unit) : Array.from({ length: H }, (_, u) => u);
  const rows = (units ?? byDifference).filter((u) => Number.isInteger(u) && u >= 0 && u < H);
  const k = Number.isInteger(step) && step >= 0 && step < aligned.length ? step : null;
  return { pairs: aligned, mA, mB, diff, ranking, rows, step: k };
}

/**
 * View over a container. render(data) (a promise, settled when drawn) with data =
 * {cell, a: {label, tokens, matrices}, b: {label, tokens, matrices}, quantity, quantities, units, step,
 *  predictionsA, predictionsB}: cell is A's model's cell spec (/api/models cell_spec: the quantities' titles,
 * symbols and scales), tokens are token objects {text, start, end} (or strings), matrices the selected
 * layer's quantities ({T, H, data}), quantities what both models have (core/views.js sharedQuantities),
 * quantity one of them,
 * units the unit rows in order (null: by difference, most different first), step an aligned column
 * index or null, predictionsA/B the API's per-step lists [{token, prob}] (null: none).
 * Events (bind): "quantity" (key), "select-unit" (unit), "select-step" (aligned column index), "explain" (a
 * predicted token clicked: "why this one?").
 * why(input) draws both texts' attributions side by side (see renderWhy).
 */
export function createCompare(container) {
  const { emit, bind } = createEvents(["quantity", "select-unit", "select-step", "explain"]);
  let last = null; // {data, model}
  let alignment = null; // {a, b, pairs, toK: {a: Int32Array, b: Int32Array}} cached per token lists
  let hover = null; // aligned column k, or {side, t} for a token that is not aligned
  const bound = new Set(); // plots whose Plotly events are bound

  // Built once.
  const root = el("section", "compare");
  const bar = el("div", "compare-bar");
  const quantityLabel = el("label", "compare-quantity-label", "Compare");
  const select = el("select", "compare-quantity");
  select.id = `compare-quantity-${Math.random().toString(36).slice(2, 8)}`;
  quantityLabel.htmlFor = select.id;
  let offeredNow = ""; // the options' quantities and titles, rebuilt when they change
  select.addEventListener("change", () => emit("quantity", select.value));
  const note = el("p", "compare-note");
  note.setAttribute("role", "status");
  const colourLine = el("p", "compare-hint compare-colours"); // what A's and B's colours mean, in words
  bar.append(quantityLabel, select, note, colourLine);

  function side(name) {
    const figure = el("figure", `compare-panel compare-${name.toLowerCase()}`);
    const caption = el("figcaption", "compare-caption");
    const badge = el("span", `compare-badge compare-badge-${name.toLowerCase()}`, name);
    const label = el("span", "compare-label");
    const snippet = el("q", "compare-snippet");
    caption.append(badge, label, snippet);
    const plot = el("div", "compare-plot");
    figure.append(caption, plot);
    return { figure, label, snippet, plot };
  }
  const sideA = side("A");
  const sideB = side("B");
  const pair = el("div", "compare-pair");
  pair.append(sideA.figure, sideB.figure);

  const diffFigure = el("figure", "compare-panel compare-diff");
  const diffCaption = el("figcaption", "compare-caption");
  const diffTitle = el("span", "compare-diff-title");
  const diffHint = el("span", "compare-hint", "red: A higher · blue: B higher · click a column for its predictions");
  diffCaption.append(diffTitle, diffHint);
  const diffPlot = el("div", "compare-plot compare-diff-plot");
  const diffEmpty = el("p", "compare-empty");
  diffEmpty.hidden = true;
  diffFigure.append(diffCaption, diffPlot, diffEmpty);

  const lower = el("div", "compare-lower");
  const rankingBox = el("section", "compare-ranking");
  const rankingTitle = el("h3", null);
  const rankingHint = el("p", "compare-hint");
  const rankingList = el("ol", "compare-ranking-list");
  rankingList.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-unit]");
    if (button) emit("select-unit", Number(button.dataset.unit));
  });
  rankingBox.append(rankingTitle, rankingHint, rankingList);

  const predictionsBox = el("section", "compare-predictions");
  const predictionsTitle = el("h3", null, "What comes next?");
  const predictionsWhere = el("p", "compare-hint");
  const predictionColumns = el("div", "compare-prediction-columns");
  predictionsBox.append(predictionsTitle, predictionsWhere, predictionColumns);
  predictionColumns.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-token]");
    if (button) emit("explain", button.dataset.token);
  });
  lower.append(rankingBox, predictionsBox);

  // "Why?" for both texts: each text's words up to its own step of the column, tinted by how much they pushed
  // the same prediction (a word of either list) toward it.
  const whyBox = el("section", "compare-why");
  whyBox.hidden = true;
  whyBox.setAttribute("aria-live", "polite");
  const whyTitle = el("h3", null, undefined, whyBox);
  const whyRows = el("div", "compare-why-rows", undefined, whyBox);
  const whyLegend = el("p", "compare-hint", undefined, whyBox);

  const notice = plotlyNotice(() => {
    if (last) render(last.data);
  });
  root.append(bar, notice.element, pair, diffFigure, whyBox, lower);
  container.replaceChildren(root);

  function alignmentOf(a, b) {
    if (alignment && alignment.a === a.tokens && alignment.b === b.tokens) return alignment;
    const pairs = alignTokens(a.tokens, b.tokens);
    const toK = { a: new Int32Array(a.tokens.length).fill(-1), b: new Int32Array(b.tokens.length).fill(-1) };
    pairs.forEach(([ta, tb], k) => {
      toK.a[ta] = k;
      toK.b[tb] = k;
    });
    alignment = { a: a.tokens, b: b.tokens, pairs, toK };
    return alignment;
  }

  function widthOf(plot) {
    return plot.clientWidth || container.clientWidth || FALLBACK_WIDTH_PX;
  }

  // Columns to outline (selected) and fill (hovered) in each plot.
  function shapesFor(name, model) {
    const { pairs, step } = model;
    const out = [];
    const at = (k) => (name === "diff" ? k : pairs[k][name === "a" ? 0 : 1]);
    if (hover !== null) {
      if (typeof hover === "number") {
        if (hover < pairs.length) out.push(columnShape(at(hover), "hover"));
      } else if (hover.side === name) {
        out.push(columnShape(hover.t, "hover"));
      }
    }
    if (step !== null) out.push(columnShape(at(step), "selected"));
    return out;
  }

  function gapsOf(pairs) {
    const gaps = [];
    for (let k = 1; k < pairs.length; k++) {
      const [pa, pb] = pairs[k - 1];
      const [ta, tb] = pairs[k];
      if (ta - pa > 1 || tb - pb > 1) gaps.push({ k, a: [pa + 1, ta], b: [pb + 1, tb] });
    }
    return gaps;
  }

  function diffShapes(model, gaps) {
    return [...gaps.map((gap) => gapShape(gap.k)), ...shapesFor("diff", model)];
  }

  function describeNote(data, model) {
    const { a, b } = data;
    const { pairs } = model;
    const inA = new Set(pairs.map(([ta]) => ta));
    const inB = new Set(pairs.map(([, tb]) => tb));
    const rest = (tokens, used) => tokens.map((token, t) => (used.has(t) ? null : displayToken(textOf(token))))
      .filter((x) => x !== null);
    const list = (words) => (words.length === 0 ? "none"
      : words.slice(0, LISTED_SKIPS).map((w) => `“${w}”`).join(", ")
        + (words.length > LISTED_SKIPS ? ` and ${words.length - LISTED_SKIPS} more` : ""));
    const restA = rest(a.tokens, inA);
    const restB = rest(b.tokens, inB);
    let text = `${pairs.length} aligned token${pairs.length === 1 ? "" : "s"}`
      + ` (A has ${a.tokens.length}, B ${b.tokens.length}).`;
    if (restA.length || restB.length) text += ` Only in A: ${list(restA)}. Only in B: ${list(restB)}.`;
    if (model.diff === null) {
      text += ` A has ${model.mA.H} units and B has ${model.mB.H}: no difference to show.`;
    }
    return text;
  }

  function predictionList(name, predictions, t, tokens) {
    const box = el("div", `compare-prediction compare-prediction-${name.toLowerCase()}`);
    const head = el("p", "compare-prediction-head");
    const token = t !== null && t < tokens.length ? displayToken(textOf(tokens[t])) : null;
    head.append(el("span", `compare-badge compare-badge-${name.toLowerCase()}`, name),
      el("span", null, token === null ? "no tokens" : `after “${token}”`));
    box.append(head);
    const list = predictions?.[t];
    if (!Array.isArray(list) || list.length === 0) {
      box.append(el("p", "compare-hint", predictions ? "no predictions here" : "no predictions (the model has no decoder)"));
      return box;
    }
    const ol = el("ol", "compare-prediction-list");
    for (const { token: next, prob } of list) {
      const item = el("li", "compare-prediction-item");
      // The word is a button: "why this one?" tints both texts' words by how much they pushed toward it.
      const word = el("button", "compare-prediction-token", displayToken(String(next)));
      word.type = "button";
      word.dataset.token = String(next);
      word.title = `why “${displayToken(String(next))}”? tint both texts' words by how much they pushed toward it`;
      const value = el("span", "compare-prediction-prob", percent(prob));
      const track = el("span", "compare-prediction-bar");
      const fill = el("span", "compare-prediction-fill");
      fill.style.width = `${Math.max(0, Math.min(1, Number(prob) || 0)) * 100}%`;
      track.append(fill);
      item.append(word, value, track);
      ol.append(item);
    }
    box.append(ol);
    return box;
  }

  function renderPredictions(data, model) {
    const { pairs, step } = model;
    const k = step ?? (pairs.length ? pairs.length - 1 : null);
    const ta = k !== null ? pairs[k][0] : data.a.tokens.length ? data.a.tokens.length - 1 : null;
    const tb = k !== null ? pairs[k][1] : data.b.tokens.length ? data.b.tokens.length - 1 : null;
    predictionsWhere.textContent = k === null
      ? "No aligned tokens: after the last token of each text."
      : `At aligned column ${k + 1} of ${pairs.length}${step === null ? " (the last; click a column to pick another)" : ""}:`
        + ` A's ${tokenPlace(ta, data.a.tokens.length)}, B's ${tokenPlace(tb, data.b.tokens.length)}.`;
    predictionsBox.hidden = !data.predictionsA && !data.predictionsB; // neither model has a decoder
    predictionColumns.replaceChildren(
      predictionList("A", data.predictionsA, ta, data.a.tokens),
      predictionList("B", data.predictionsB, tb, data.b.tokens),
    );
  }

  function renderRanking(data, model) {
    const { symbol } = panelOf(data.cell, data.quantity);
    rankingTitle.textContent = "Units that differ most";
    rankingHint.textContent = `mean |Δ${symbol}| over the aligned tokens · click a unit to follow it over the text`;
    const top = model.pairs.length ? model.ranking.slice(0, TOP_UNITS) : [];
    const largest = top[0]?.meanAbs || 1;
    rankingList.replaceChildren(...top.map(({ unit, meanAbs, mean }) => {
      const item = el("li", "compare-ranking-item");
      const button = el("button", "unit-chip compare-unit", `unit ${unit}`);
      button.type = "button";
      button.dataset.unit = String(unit);
      button.title = `Show unit ${unit} over the text`;
      const value = el("span", "compare-ranking-value", meanAbs.toFixed(3));
      value.title = `mean |Δ${symbol}| = ${meanAbs.toFixed(5)}, mean Δ${symbol} (A − B) = ${mean.toFixed(5)}`;
      const higher = mean > 0 ? "a" : mean < 0 ? "b" : "none";
      const sign = el("span", `compare-ranking-sign is-${higher}`,
        { a: "A higher", b: "B higher", none: "no lean" }[higher]);
      sign.title = "the sign of the mean difference A − B: which text holds the larger value on average";
      const track = el("span", "compare-ranking-bar");
      const fill = el("span", `compare-ranking-fill is-${higher}`);
      fill.style.width = `${(meanAbs / largest) * 100}%`;
      track.append(fill);
      item.append(button, value, sign, track);
      return item;
    }));
    if (top.length === 0) {
      rankingList.append(el("li", "compare-hint", model.diff === null
        ? "nothing to rank: A and B have different numbers of units"
        : "nothing to rank: the texts share no tokens"));
    }
  }

  function captions(data) {
    for (const [entry, text] of [[sideA, data.a], [sideB, data.b]]) {
      const snippet = firstWords(text.tokens);
      entry.label.textContent = text.label && text.label !== snippet ? text.label : "";
      entry.label.hidden = !entry.label.textContent;
      entry.snippet.textContent = snippet || "(empty text)";
    }
  }

  const onHover = (value) => {
    hover = value;
    highlight();
  };

  // Plotly attaches `.on` to a div when it first draws it, so each plot is bound after its first draw.
  function bindPlot(name, plot) {
    if (bound.has(plot)) return;
    bound.add(plot);
    if (name === "diff") {
      plot.on("plotly_click", (event) => {
        const k = event.points?.[0]?.x;
        if (k !== undefined) emit("select-step", k);
      });
      plot.on("plotly_hover", (event) => {
        const k = event.points?.[0]?.x;
        if (k !== undefined) onHover(k);
      });
    } else {
      // A token of A or B selects its aligned column; an unaligned token has none.
      plot.on("plotly_click", (event) => {
        const t = event.points?.[0]?.x;
        if (t === undefined || !alignment) return;
        const k = alignment.toK[name][t];
        if (k >= 0) emit("select-step", k);
      });
      plot.on("plotly_hover", (event) => {
        const t = event.points?.[0]?.x;
        if (t === undefined || !alignment) return;
        const k = alignment.toK[name][t];
        onHover(k >= 0 ? k : { side: name, t });
      });
    }
    plot.on("plotly_unhover", () => onHover(null));
  }

  /** Redraw only the column outlines (hover, selection) without rebuilding the heatmaps. */
  function highlight() {
    const Plotly = loadedPlotly();
    if (!last || !Plotly) return;
    const { model, gaps } = last;
    if (sideA.plot.layout) Plotly.relayout(sideA.plot, { shapes: shapesFor("a", model) });
    if (sideB.plot.layout) Plotly.relayout(sideB.plot, { shapes: shapesFor("b", model) });
    if (diffPlot.layout && model.diff) Plotly.relayout(diffPlot, { shapes: diffShapes(model, gaps) });
  }

  async function render(data) {
    const { a, b, quantity } = data;
    const { cell, quantities: offered } = data;
    if (!offered.includes(quantity)) {
      throw new Error(`quantity must be one of ${offered.join(", ")}, got ${JSON.stringify(quantity)}`);
    }
    const { pairs } = alignmentOf(a, b);
    const model = compareModel(data, pairs);
    const gaps = gapsOf(pairs);
    last = { data, model, gaps };
    if (hover !== null && typeof hover === "number" && hover >= pairs.length) hover = null;
    // Two models of different cells (an LSTM and a vanilla RNN) share only h: offer what both have.
    const options = offered.map((key) => [key, panelTitle(cell, key)]);
    if (JSON.stringify(options) !== offeredNow) {
      offeredNow = JSON.stringify(options);
      select.replaceChildren(...options.map(([key, title]) => {
        const option = el("option", null, title);
        option.value = key;
        return option;
      }));
    }
    select.value = quantity;
    colourLine.textContent = `A and B: ${colourWords(cell, quantity)} One colour range for both.`;
    captions(data);
    note.textContent = describeNote(data, model);
    renderRanking(data, model);
    renderPredictions(data, model);

    const key = quantity;
    const { symbol, scale } = panelOf(cell, key);
    const ranges = panelRanges(cell, [key], { [key]: Math.max(maxAbs(model.mA), maxAbs(model.mB)) });
    const colours = { colorscale: scale === "gate" ? SEQUENTIAL : DIVERGING, ...ranges[key] };
    // Layers of one size share the chosen rows; of two sizes (an LSTM of 64 units beside an RNN of 100)
    // their units do not correspond, so each side shows all of its own.
    const rowsOf = (m) => (model.diff === null && !data.units ? Array.from({ length: m.H }, (_, u) => u) : model.rows);
    const side = (name, text, m, plot) => {
      const units = rowsOf(m);
      const labels = text.tokens.map((token) => displayToken(textOf(token)));
      return heatmapFigure({
        z: unitRows(m, units),
        labels,
        hover: labels.map((label, t) => `${name} ${tokenPlace(t, labels.length)}: ${plotlyText(label)}`),
        units,
        colours,
        hovertemplate: `%{text}<br>unit %{y}<br>${symbol} = %{z:.5f}<extra></extra>`,
        width: widthOf(plot),
        shapes: shapesFor(name.toLowerCase(), model),
      });
    };
    const units = model.rows;
    const figA = side("A", a, model.mA, sideA.plot);
    const figB = side("B", b, model.mB, sideB.plot);

    diffTitle.textContent = `Difference A − B of ${panelTitle(cell, key)}, over the aligned tokens`;
    const hasDiff = model.diff !== null && pairs.length > 0;
    diffPlot.hidden = !hasDiff;
    diffHint.hidden = !hasDiff;
    diffEmpty.hidden = hasDiff;
    diffEmpty.textContent = model.diff === null
      ? "A and B have different numbers of units, so their units cannot be subtracted."
      : "The texts share no tokens, so there is nothing to subtract.";
    // plotly.js, loaded on the first draw: the parts above are already on screen meanwhile.
    let Plotly = loadedPlotly();
    if (!Plotly) {
      Plotly = await notice.plotly({ charts: hasDiff ? 3 : 2 });
      if (!Plotly) {
        for (const plot of [sideA.plot, sideB.plot, diffPlot]) plot.hidden = true;
        diffHint.hidden = true;
        return;
      }
      if (last.data !== data) return; // a newer render draws
    }
    notice.hide();
    sideA.plot.hidden = false;
    sideB.plot.hidden = false;
    const draw = async (name, plot, fig) => {
      await Plotly.react(plot, fig.data, fig.layout, PLOTLY_CONFIG);
      bindPlot(name, plot);
    };
    const draws = [draw("a", sideA.plot, figA), draw("b", sideB.plot, figB)];
    if (hasDiff) {
      const labelOf = ([ta, tb]) => {
        const la = displayToken(textOf(a.tokens[ta]));
        const lb = displayToken(textOf(b.tokens[tb]));
        return la === lb ? la : `${la} / ${lb}`;
      };
      const labels = pairs.map(labelOf);
      const gapAt = new Map(gaps.map((gap) => [gap.k, gap]));
      const hoverText = pairs.map(([ta, tb], k) => {
        let text = `column ${k + 1} of ${pairs.length}: A ${tokenPlace(ta, a.tokens.length)}`
          + ` “${plotlyText(displayToken(textOf(a.tokens[ta])))}”`
          + ` · B ${tokenPlace(tb, b.tokens.length)} “${plotlyText(displayToken(textOf(b.tokens[tb])))}”`;
        const gap = gapAt.get(k);
        if (gap) {
          const only = (tokens, [from, to]) => plotlyText(skipped(tokens, from, to).join(" ") || "–");
          text += `<br>after A only: ${only(a.tokens, gap.a)} · B only: ${only(b.tokens, gap.b)}`;
        }
        return text;
      });
      const m = maxAbs(model.diff) || 1;
      const annotations = gaps.length > GAP_LABELS ? [] : gaps.map((gap) => ({
        x: gap.k - 0.5, xref: "x", y: 1, yref: "paper", yanchor: "bottom", showarrow: false,
        text: plotlyText(clip(`${skipped(a.tokens, ...gap.a).join(" ") || "–"} / ${
          skipped(b.tokens, ...gap.b).join(" ") || "–"}`, GAP_LABEL_CHARS)),
        font: { size: 13, color: "#57606a" },
      }));
      const figD = heatmapFigure({
        z: unitRows(model.diff, units),
        labels,
        hover: hoverText,
        units,
        colours: { colorscale: DIVERGING, zmin: -m, zmax: m, zmid: 0 },
        hovertemplate: `%{text}<br>unit %{y}<br>Δ${symbol} = A − B = %{z:.5f}<extra></extra>`,
        width: widthOf(diffPlot),
        shapes: diffShapes(model, gaps),
        annotations,
      });
      draws.push(draw("diff", diffPlot, figD));
    }
    await Promise.all(draws);
  }

  /**
   * Both texts' "why": null hides it; else {target, method, sides: [{name ("A" | "B"), tokens, step, answer (an
   * /api/attribution answer) | error (words) | neither (asking)}]}. Each row shows the text's tokens up to its
   * step (at most WHY_TOKENS, the last ones), tinted like the token strip, the score in each chip's title.
   */
  function renderWhy(input) {
    whyBox.hidden = !input;
    if (!input) {
      whyRows.replaceChildren();
      delete whyBox.dataset.target;
      return;
    }
    const target = displayToken(input.target);
    const busy = input.sides.some((s) => !s.answer && !s.error);
    whyBox.setAttribute("aria-busy", String(busy));
    whyBox.dataset.target = input.target;
    whyBox.dataset.method = input.method;
    whyTitle.textContent = `Why “${target}”? Each text's words, by how much they pushed toward it`;
    whyRows.replaceChildren(...input.sides.map((side) => whyRow(side, input.target)));
    const explains = input.sides.find((s) => s.answer)?.answer.explains;
    whyLegend.textContent = explains ? `Tinted by ${explains}. Red: toward “${target}”, blue: away from it; each `
      + "row on its own scale (the square root of each word's share of its strongest). Hover a word for its number."
      : "";
  }

  function whyRow(side, target) {
    const row = el("div", `compare-why-row compare-why-${side.name.toLowerCase()}`);
    row.dataset.side = side.name;
    const head = el("p", "compare-prediction-head", undefined, row);
    head.append(el("span", `compare-badge compare-badge-${side.name.toLowerCase()}`, side.name));
    const after = side.tokens[side.step] ? `after “${displayToken(textOf(side.tokens[side.step]))}”` : "";
    const said = el("span", "compare-why-said", undefined, head);
    if (side.error) {
      said.textContent = `${after}: ${side.error}`;
      return row;
    }
    if (!side.answer) {
      said.textContent = `${after}: asking…`;
      return row;
    }
    const { scores, prob } = side.answer;
    said.textContent = `${after}: p(“${displayToken(target)}”) = ${percent(prob)}`;
    const top = scores.reduce((best, v, t) => (Math.abs(v) > Math.abs(scores[best] ?? 0) ? t : best), 0);
    const maxAbs = maxAbsOf(scores);
    const from = Math.max(0, scores.length - WHY_TOKENS);
    const chips = el("ol", "compare-why-tokens", undefined, row);
    if (from > 0) el("li", "compare-why-more", `… ${from} earlier`, chips);
    for (let t = from; t < scores.length; t++) {
      const chip = el("li", "token token-tinted", displayToken(textOf(side.tokens[t])), chips);
      const { background, color } = attributionColour(scores[t], maxAbs);
      chip.style.backgroundColor = background;
      chip.style.color = color;
      chip.dataset.step = String(t);
      chip.dataset.score = String(scores[t]);
      chip.title = `${side.name} ${tokenPlace(t, side.tokens.length)}\npushed toward “${displayToken(target)}”: `
        + `${scores[t] >= 0 ? "+" : ""}${scores[t].toPrecision(3)}`;
      if (t === top && scores[t] !== 0) chip.classList.add("compare-why-top");
    }
    return row;
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && root.clientWidth > 0 && render(last.data), RESIZE_DEBOUNCE_MS);
  });

  return {
    render,
    why: renderWhy,
    /** Outline aligned column k in all three heatmaps (null clears), without redrawing them. */
    highlight(k) {
      hover = k;
      highlight();
    },
    bind,
  };
}
