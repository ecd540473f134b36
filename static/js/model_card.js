// The model card (GET /api/models/{id}) in a modal <dialog>: what the model is, how it was trained,
// how well it does, and which units are worth reading. Keys it does not know are still shown, as a
// plain definition list, so a new card field never disappears. Text goes in through textContent only.
import { displayToken } from "./tokens.js";

const VOCAB_SHOWN = 40;
const LIST_SHOWN = 40;
// Keys rendered by their own section; anything else at the top level lands under "More".
const KNOWN = new Set(["id", "title", "description", "cell", "recurrent_activation", "tokenizer", "sizes",
  "provenance", "evaluation", "notable_units", "examples", "version"]);
const PROVENANCE_ORDER = ["corpus", "corpus_name", "licence", "steps", "run_steps", "batch_size", "seq_len",
  "lr", "lr_final", "clip", "seed", "wall_time_s", "train_loss", "valid_loss"];
const LABELS = {
  corpus_name: "corpus name", seq_len: "sequence length", lr: "learning rate", lr_final: "final learning rate",
  clip: "gradient clip", wall_time_s: "wall time", train_loss: "train loss", valid_loss: "validation loss",
  run_steps: "steps in this run", batch_size: "batch size", numpy: "NumPy", python: "Python",
  mean_delta_c: "mean Δc", sign_consistency: "same sign in", snapshot_of: "snapshot of",
  cuisine_two_person: "cuisine (two people)", lecture_all_correct: "all lecture examples correct",
  prob: "p(expected)",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** A card key as words ("valid_loss" → "valid loss"); a dotted name (a tensor such as
 *  "lstm.bias_ih_l0", in an imported model's provenance) is shown as written. */
function label(key) {
  return LABELS[key] ?? (key.includes(".") ? key : key.replace(/_/g, " "));
}

function formatNumber(v) {
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

function percent(v) {
  return `${Number((v * 100).toFixed(1))}%`;
}

function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h ? `${h} h ${m} min` : `${seconds} s (${m} min ${s} s)`;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Any JSON value as DOM: numbers formatted, objects as definition lists, lists of objects as tables. */
function renderValue(value) {
  if (value === null || value === undefined) return el("span", "card-muted", "—");
  if (typeof value === "boolean") return el("span", null, value ? "yes" : "no");
  if (typeof value === "number") return el("span", null, formatNumber(value));
  if (typeof value === "string") return el(value.includes("\n") ? "pre" : "span", null, value);
  if (Array.isArray(value)) {
    if (value.length && value.every(isPlainObject)) return table(value);
    const shown = value.slice(0, LIST_SHOWN).map((v) => (isPlainObject(v) ? JSON.stringify(v) : String(v)));
    const more = value.length > LIST_SHOWN ? ` … (${value.length} in all)` : "";
    return el("span", null, shown.join(", ") + more);
  }
  return definitions(Object.entries(value));
}

/** A <dl> of [key, value] pairs; a value may be a ready DOM node. */
function definitions(entries) {
  const dl = el("dl", "card-dl");
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    const dd = el("dd");
    dd.append(value instanceof Node ? value : renderValue(value));
    dl.append(el("dt", null, label(key)), dd);
  }
  return dl;
}

function table(rows, columns = [...new Set(rows.flatMap(Object.keys))], cell = renderValue) {
  const wrap = el("div", "card-table-wrap");
  const tableEl = el("table", "card-table");
  const head = el("tr");
  columns.forEach((key) => head.append(el("th", null, label(key))));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    for (const key of columns) {
      const td = el("td");
      td.append(cell(row[key], key, row));
      tr.append(td);
    }
    tbody.append(tr);
  }
  tableEl.append(thead, tbody);
  wrap.append(tableEl);
  return wrap;
}

function section(heading, ...children) {
  const part = el("section", "card-section");
  part.append(el("h3", null, heading), ...children);
  return part;
}

function codeBlock(text) {
  const pre = el("pre", "card-code");
  pre.append(el("code", null, text));
  return pre;
}

function rest(object, used) {
  return Object.entries(object).filter(([key]) => !used.includes(key));
}

function modelSection(card) {
  const sizes = card.sizes ?? {};
  const tok = card.tokenizer ?? {};
  const vocab = Array.isArray(tok.vocab) ? tok.vocab : [];
  const vocabNode = el("div", "card-vocab");
  const size = sizes.vocab_size ?? vocab.length;
  vocabNode.append(el("span", null, `${formatNumber(size)} tokens${vocab.length ? "; the first:" : ""}`));
  const chips = el("ul", "card-chips");
  vocab.slice(0, VOCAB_SHOWN).forEach((token) => chips.append(el("li", "card-chip", displayToken(token))));
  if (vocab.length) vocabNode.append(chips);
  if (vocab.length > VOCAB_SHOWN) vocabNode.append(el("span", "card-muted", `… and ${vocab.length - VOCAB_SHOWN} more`));

  const layers = sizes.num_layers;
  const tokens = [tok.kind && `${tok.kind}-level`, tok.lowercase && "lowercased",
    tok.unk !== undefined && tok.unk !== null && `unknown token ${displayToken(tok.unk)}`].filter(Boolean);
  return section("Model", definitions([
    ["version", card.version],
    ["cell", card.cell && `${card.cell.toUpperCase()}, ${card.recurrent_activation ?? "sigmoid"} gates`],
    ["layers × units", layers !== undefined ? `${layers} layer${layers === 1 ? "" : "s"} × ${sizes.hidden_size} units` : undefined],
    ["embedding", sizes.embedding_size === undefined ? undefined
      : sizes.embedding_size ? `${sizes.embedding_size} numbers per token` : "none (one-hot inputs)"],
    ["tokens", tokens.join(", ") || undefined],
    ["vocabulary", vocabNode],
    ...rest(sizes, ["num_layers", "hidden_size", "embedding_size", "vocab_size"]),
    ...rest(tok, ["kind", "lowercase", "unk", "vocab"]),
  ]));
}

function loss(value, unit) {
  if (typeof value !== "number") return value;
  const perplexity = unit && unit.startsWith("nats") ? ` (perplexity ${Math.exp(value).toFixed(2)})` : "";
  return `${value.toFixed(3)} ${unit ?? ""}${perplexity}`.trim();
}

function trainingSection(prov) {
  const special = {
    wall_time_s: (v) => (typeof v === "number" ? duration(v) : v),
    train_loss: (v) => loss(v, prov.loss_unit),
    valid_loss: (v) => loss(v, prov.loss_unit),
  };
  const ordered = PROVENANCE_ORDER.filter((key) => key in prov)
    .map((key) => [key, special[key] ? special[key](prov[key]) : prov[key]]);
  const others = rest(prov, [...PROVENANCE_ORDER, "command", "loss_unit"]);
  const parts = [definitions([...ordered, ...others])];
  if (prov.command) parts.push(el("p", "card-label", "Command"), codeBlock(prov.command));
  return section("Training", ...parts);
}

function isAccuracy(v) {
  return isPlainObject(v) && typeof v.accuracy === "number" && "n" in v;
}

function accuracyNode(result) {
  const node = el("div");
  node.append(el("span", "card-strong", percent(result.accuracy)),
    el("span", null, ` of ${formatNumber(result.n)} held-out test cases`));
  const byDistance = result.by_distance;
  if (isPlainObject(byDistance) && Object.keys(byDistance).length) {
    const details = el("details", "card-details");
    details.append(el("summary", null, "by distance (words between the cue and the prediction)"));
    const row = { distance: "accuracy", ...byDistance };
    const cell = (v) => el("span", "card-nowrap", typeof v === "number" ? percent(v) : v);
    // Integer-like keys sort first in a JS object, so the columns are listed explicitly.
    details.append(table([row], ["distance", ...Object.keys(byDistance)], cell));
    node.append(details);
  }
  const others = rest(result, ["accuracy", "n", "by_distance"]);
  if (others.length) node.append(definitions(others));
  return node;
}

function lectureTable(rows) {
  const columns = ["text", "cue", "expected", "predicted", "correct", "prob"];
  const extra = [...new Set(rows.flatMap(Object.keys))].filter((key) => !columns.includes(key));
  return table(rows, [...columns, ...extra], (value, key) => {
    if (key === "correct") return el("span", value ? "card-ok" : "card-bad", value ? "✓ yes" : "✗ no");
    if (key === "prob" && typeof value === "number") return el("span", null, percent(value));
    if (key === "text") return el("span", "card-lecture-text", value);
    return renderValue(value);
  });
}

function sampleNode(sample) {
  if (!isPlainObject(sample) || typeof sample.text !== "string") return renderValue(sample);
  const node = el("div");
  const facts = rest(sample, ["text"]);
  if (facts.length) node.append(definitions(facts));
  const pre = el("pre", "card-sample");
  if (sample.prompt && sample.text.startsWith(sample.prompt)) {
    pre.append(el("mark", null, sample.prompt), sample.text.slice(sample.prompt.length));
  } else {
    pre.textContent = sample.text;
  }
  node.append(pre);
  return node;
}

function evaluationSection(evaluation) {
  const entries = [];
  const parts = [];
  for (const [key, value] of Object.entries(evaluation)) {
    if (key === "command") continue;
    if (isAccuracy(value)) entries.push([key, accuracyNode(value)]);
    else if (key === "lecture" && Array.isArray(value)) parts.push(el("p", "card-label", "The lecture's examples"), lectureTable(value));
    else if (key === "sample") parts.push(el("p", "card-label", "A generated sample"), sampleNode(value));
    else entries.push([key, value]);
  }
  if (evaluation.command) parts.push(el("p", "card-label", "Command"), codeBlock(evaluation.command));
  return section("Evaluation", definitions(entries), ...parts);
}

function unitStats(unit) {
  const stats = [];
  if (typeof unit.mean_delta_c === "number") stats.push(`mean Δc ${unit.mean_delta_c.toFixed(2)}`);
  if (typeof unit.correlation === "number") stats.push(`correlation ${unit.correlation.toFixed(2)}`);
  if (typeof unit.sign_consistency === "number") {
    const pairs = typeof unit.pairs === "number" ? ` of ${formatNumber(unit.pairs)} pairs` : "";
    stats.push(`same sign in ${percent(unit.sign_consistency)}${pairs}`);
  }
  if (typeof unit.positions === "number") stats.push(`${formatNumber(unit.positions)} positions`);
  return stats.join(" · ");
}

export function createModelCard(dialog) {
  const handlers = {};
  const emit = (event, value) => (handlers[event] ?? []).forEach((handler) => handler(value));

  dialog.classList.add("model-card");
  const header = el("header", "card-header");
  const title = el("h2", "card-title");
  const titleId = `card-title-${Math.random().toString(36).slice(2, 8)}`;
  title.id = titleId;
  dialog.setAttribute("aria-labelledby", titleId);
  const closeButton = el("button", "card-close", "Close");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", "Close the model card");
  header.append(title, closeButton);
  const body = el("div", "card-body");
  dialog.append(header, body);

  function close() {
    if (dialog.open) dialog.close();
  }

  closeButton.addEventListener("click", close);
  // A click on the dialog element itself (not its content) is a click on the backdrop.
  dialog.addEventListener("click", (event) => event.target === dialog && close());

  function notableSection(units) {
    if (!Array.isArray(units) || !units.length) {
      return section("Notable units", el("p", "card-muted", "None recorded for this model yet."));
    }
    const list = el("ul", "card-units");
    for (const unit of units) {
      const item = el("li", "card-unit");
      const text = el("div", "card-unit-text");
      const name = el("span", "card-strong", `Unit ${unit.unit} · layer ${(unit.layer ?? 0) + 1}`);
      text.append(name);
      if (unit.carries) text.append(el("span", "card-tag", unit.carries));
      if (unit.note) text.append(el("p", "card-unit-note", unit.note));
      const stats = unitStats(unit);
      if (stats) text.append(el("p", "card-muted", stats));
      const others = rest(unit, ["unit", "layer", "carries", "note", "mean_delta_c", "correlation",
        "sign_consistency", "pairs", "positions"]);
      if (others.length) text.append(definitions(others));
      const show = el("button", "card-show-unit", `Show unit ${unit.unit}`);
      show.type = "button";
      show.addEventListener("click", () => {
        emit("select-unit", { layer: unit.layer ?? 0, unit: unit.unit });
        close();
      });
      item.append(text, show);
      list.append(item);
    }
    return section("Notable units", list);
  }

  function examplesSection(examples) {
    const list = el("ul", "card-examples");
    examples.forEach((text) => list.append(el("li", null, text)));
    return section("Examples", list);
  }

  /** Fill the dialog from a card ({...card json, version}) and show it modally. */
  function open(card) {
    title.textContent = card.title ?? card.id ?? "Model";
    const parts = [];
    if (card.description) parts.push(el("p", "card-description", card.description));
    parts.push(modelSection(card));
    if (isPlainObject(card.provenance)) parts.push(trainingSection(card.provenance));
    if (isPlainObject(card.evaluation)) parts.push(evaluationSection(card.evaluation));
    parts.push(notableSection(card.notable_units));
    if (Array.isArray(card.examples) && card.examples.length) parts.push(examplesSection(card.examples));
    const more = rest(card, [...KNOWN]);
    if (more.length) parts.push(section("More", definitions([["id", card.id], ...more])));
    body.replaceChildren(...parts);
    if (!dialog.open) dialog.showModal();
    body.scrollTop = 0; // after showModal: a closed dialog has no layout to scroll
  }

  return {
    open,
    close,
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}
