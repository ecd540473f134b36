// The model card (GET /api/models/{id}) in a modal <dialog>: core/card_words.js says it in words, this view
// lays it out. Text goes in through textContent only (strict CSP: never innerHTML).
import {
  CURVE_SAID, KNOWN, LONG_STRING, SPAN_SAID, TABLE_ROWS, UNIT_SAID, VOCAB_SHOWN, accuracyLine, accuracySentence,
  formatNumber, isAccuracy, isPlainObject, isWeak, label, lectureLine, modelSummary, percent, plain, spanSentence, studentsSentence,
  summariseList, trainingFacts, unitHead, unitSentence, vocabularySaid, vocabularySentence,
} from "../core/card_words.js";
import { displayToken } from "../core/tokens.js";
import { createEvents, el } from "./dom.js";


/** Any JSON value as DOM: numbers formatted, objects as definition lists, lists summarised (no dumps). */
function renderValue(value) {
  if (value === null || value === undefined) return el("span", "card-muted", "—");
  if (typeof value === "string") return el(value.includes("\n") ? "pre" : "span", null, value);
  if (typeof value !== "object") return el("span", null, plain(value));
  if (Array.isArray(value)) {
    if (value.length && value.every(isPlainObject)) {
      const wrap = el("div");
      wrap.append(table(value.slice(0, TABLE_ROWS)));
      if (value.length > TABLE_ROWS) wrap.append(el("p", "card-muted", `and ${value.length - TABLE_ROWS} more`));
      return wrap;
    }
    if (value.some((v) => typeof v === "object" && v !== null)
      || value.some((v) => typeof v === "string" && v.length > LONG_STRING)) {
      const list = el("ul", "card-list");
      value.slice(0, TABLE_ROWS).forEach((v) => list.append(el("li", null,
        typeof v === "object" && v !== null ? JSON.stringify(v) : plain(v))));
      if (value.length > TABLE_ROWS) list.append(el("li", "card-muted", `and ${value.length - TABLE_ROWS} more`));
      return list;
    }
    return el("span", null, summariseList(value));
  }
  return definitions(Object.entries(value));
}

/** A <dl> of [key, value] pairs; a value may be a ready DOM node, or words already (when `said`). */
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

function table(rows, columns = [...new Set(rows.flatMap(Object.keys))], cell = renderValue, head = label) {
  const wrap = el("div", "card-table-wrap");
  const tableEl = el("table", "card-table");
  const tr = el("tr");
  columns.forEach((key) => tr.append(el("th", null, head(key))));
  const thead = el("thead");
  thead.append(tr);
  const tbody = el("tbody");
  for (const row of rows) {
    const line = el("tr");
    for (const key of columns) {
      const td = el("td");
      td.append(cell(row[key], key, row));
      line.append(td);
    }
    tbody.append(line);
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

function details(summary, ...children) {
  const node = el("details", "card-details");
  node.append(el("summary", null, summary), ...children);
  return node;
}

function rest(object, used) {
  return Object.entries(object).filter(([key]) => !used.includes(key));
}

function modelSection(card) {
  const sizes = card.sizes ?? {};
  const tok = card.tokenizer ?? {};
  const vocab = Array.isArray(tok.vocab) ? tok.vocab : [];
  const entries = [["id", card.id], ["version", card.version]];
  if (sizes.embedding_size !== undefined) {
    entries.push(["inputs", sizes.embedding_size ? `an embedding of ${formatNumber(sizes.embedding_size)} numbers per token`
      : "one-hot (no embedding)"]);
  }
  if (tok.unk !== undefined && tok.unk !== null) entries.push(["unknown token", displayToken(String(tok.unk))]);
  if (vocab.length) {
    const chips = el("ul", "card-chips");
    vocab.slice(0, VOCAB_SHOWN).forEach((token) => chips.append(el("li", "card-chip", displayToken(String(token)))));
    const node = el("div", "card-vocab");
    node.append(details(`${formatNumber(vocab.length)} tokens${vocab.length > VOCAB_SHOWN ? `; the first ${VOCAB_SHOWN}` : ""}`,
      chips, ...(vocab.length > VOCAB_SHOWN ? [el("p", "card-muted", `and ${formatNumber(vocab.length - VOCAB_SHOWN)} more`)] : [])));
    entries.push(["vocabulary", node]);
  }
  entries.push(...rest(sizes, ["num_layers", "hidden_size", "embedding_size", "vocab_size"]));
  entries.push(...rest(tok, ["kind", "lowercase", "unk", "vocab"]));
  return section("Model", definitions(entries)); // the summary sentence is at the top of the card
}

function trainingSection(prov) {
  const { facts, others } = trainingFacts(prov);
  const parts = [definitions([...facts.map(([key, text]) => [key, el("span", null, text)]), ...others])];
  if (prov.command) parts.push(el("p", "card-label", "Command"), codeBlock(String(prov.command)));
  return section("Training", ...parts);
}

function accuracyNode(result) {
  const node = el("div");
  node.append(el("span", null, accuracySentence(result)));
  const by = result.by_distance;
  if (isPlainObject(by) && Object.keys(by).length) {
    const rows = Object.entries(by).map(([distance, accuracy]) => ({ distance, accuracy }))
      .sort((a, b) => Number(a.distance) - Number(b.distance));
    node.append(details("by distance", table(rows, ["distance", "accuracy"],
      (v, key) => el("span", "card-nowrap", key === "accuracy" && typeof v === "number" ? percent(v) : plain(v)),
      (key) => (key === "distance" ? "words between" : "right"))));
  }
  const others = rest(result, ["accuracy", "n", "by_distance"]);
  if (others.length) node.append(definitions(others));
  return node;
}

function lectureNode(rows, allCorrect) {
  const node = el("div");
  const right = rows.filter((r) => r.correct === true).length;
  node.append(el("p", "card-label", `The lecture's examples: ${right} of ${rows.length} right`
    + (allCorrect === false && right === rows.length ? " (the card says not all)" : "")));
  node.append(predictionList(rows));
  return node;
}

/** Predictions ({text, cue, expected, predicted, correct, prob, distance}) one per line, wrong ones marked. */
function predictionList(rows) {
  const list = el("ul", "card-lecture");
  for (const row of rows) {
    if (!isPlainObject(row)) {
      list.append(el("li", null, plain(row)));
      continue;
    }
    const item = el("li", row.correct ? "card-ok-line" : "card-bad-line", lectureLine(row));
    const others = rest(row, ["text", "cue", "expected", "predicted", "correct",
      ...["prob", "distance"].filter((key) => typeof row[key] === "number")]);
    if (others.length) item.append(definitions(others));
    list.append(item);
  }
  return list;
}

function spanNode(span) {
  const node = el("div");
  const how = [];
  if (typeof span.probes_per_point === "number") how.push(`${formatNumber(span.probes_per_point)} probes per point`);
  if (span.seed !== undefined) how.push(`seed ${plain(span.seed)}`);
  const probes = how.length ? ` (${how.join(", ")})` : "";
  node.append(el("p", "card-label", "How far back it remembers"),
    el("p", null, `Accuracy at the word the cue decides, against the ${span.unit ?? "words"} between cue and `
      + `prediction${probes}. The chart is under “Memory that lasts”.`));
  const distances = Array.isArray(span.distances) ? span.distances : [];
  const list = el("ul", "card-list");
  for (const [task, curve] of Object.entries(span)) {
    if (SPAN_SAID.has(task)) continue;
    const item = el("li");
    if (!isPlainObject(curve) || !Array.isArray(curve.accuracy)) {
      item.append(el("span", "card-strong", `${label(task)}: `), renderValue(curve));
      list.append(item);
      continue;
    }
    item.append(el("span", "card-strong", `${label(task)}: `), el("span", null, spanSentence(curve, distances)));
    const tokens = (span) => (Array.isArray(span) ? (span[0] === span[1] ? plain(span[0]) : `${plain(span[0])}–${plain(span[1])}`)
      : span);
    const rows = curve.accuracy.map((a, k) => ({
      words: distances[k] ?? k, tokens: tokens(curve.token_distance?.[k]), right: a, p: curve.mean_prob?.[k],
      probes: curve.n?.[k], trained: curve.in_training_range?.[k],
    }));
    const cell = (v, key) => el("span", "card-nowrap", v === null || v === undefined ? "—"
      : (key === "right" || key === "p") && typeof v === "number" ? percent(v) : plain(v));
    const more = [];
    if (curve.frame) more.push(el("p", null, `Sentences: ${curve.frame}`));
    if (curve.example) more.push(el("p", "card-muted", `For example: ${curve.example}`));
    more.push(table(rows, ["words", "tokens", "right", "p", "probes", "trained"], cell,
      (key) => ({ tokens: "tokens between", p: "mean p", trained: "in training" }[key] ?? key)));
    const others = rest(curve, [...CURVE_SAID]);
    if (others.length) more.push(definitions(others));
    item.append(details("each distance", ...more));
    list.append(item);
  }
  node.append(list);
  if (span.definition) node.append(details("how this is measured", el("p", null, String(span.definition))));
  if (span.command) node.append(el("p", "card-label", "Measured by"), codeBlock(String(span.command)));
  return node;
}

function sampleNode(sample) {
  if (!isPlainObject(sample) || typeof sample.text !== "string") return renderValue(sample);
  const node = el("div");
  const how = [];
  if (typeof sample.temperature === "number") how.push(`temperature ${formatNumber(sample.temperature)}`);
  if (typeof sample.seed === "number") how.push(`seed ${formatNumber(sample.seed)}`);
  node.append(el("p", "card-label", `A generated sample${how.length ? ` (${how.join(", ")})` : ""}`
    + (sample.prompt ? "; the prompt is marked" : "")));
  const others = rest(sample, ["text", "prompt", ...["temperature", "seed"].filter((key) => typeof sample[key] === "number")]);
  if (others.length) node.append(definitions(others));
  const pre = el("pre", "card-sample");
  if (sample.prompt && sample.text.startsWith(sample.prompt)) {
    pre.append(el("mark", null, sample.prompt), sample.text.slice(sample.prompt.length));
  } else {
    if (sample.prompt) node.append(el("p", "card-muted", `Prompt: ${sample.prompt}`));
    pre.textContent = sample.text;
  }
  node.append(pre);
  return node;
}

/** A group of accuracy results under its line: "On sentence frames it never saw: tense 97%, …", each task's
 *  details below; keys that are not accuracies are shown as they are. */
function accuracyGroup(lead, results) {
  const node = el("div", "card-group");
  node.append(el("p", "card-label", accuracyLine(lead, results)));
  const entries = Object.entries(results).map(([key, value]) => [key, isAccuracy(value) ? accuracyNode(value) : value]);
  if (entries.length) node.append(definitions(entries));
  return node;
}

/** The students' own sentences: how many right, then each (in a fold) as the lecture's are. */
function studentsNode(students) {
  const node = el("div");
  node.append(el("p", "card-label", studentsSentence(students)));
  if (typeof students.source === "string") node.append(el("p", "card-muted", `From ${students.source}`));
  const rows = Array.isArray(students.predictions) ? students.predictions : [];
  if (rows.length) node.append(details("each sentence", predictionList(rows)));
  const said = [["accuracy", "number"], ["n", "number"], ["source", "string"]]
    .filter(([key, kind]) => typeof students[key] === kind).map(([key]) => key);
  const others = rest(students, [...said, ...(Array.isArray(students.predictions) ? ["predictions"] : [])]);
  if (others.length) node.append(definitions(others));
  return node;
}

function vocabularyNode(vocabulary) {
  const node = el("div");
  node.append(el("p", "card-label", "Words it knows"), el("p", null, vocabularySentence(vocabulary)));
  if (typeof vocabulary.source === "string") node.append(el("p", "card-muted", `From ${vocabulary.source}`));
  const others = rest(vocabulary, [...vocabularySaid(vocabulary), ...(typeof vocabulary.source === "string" ? ["source"] : [])]);
  if (others.length) node.append(definitions(others));
  return node;
}

// The new lesson evaluation: its top-level accuracies are on sentence frames held out of training, and
// heldout_words the same tasks in training frames with openers and names never seen.
const FRAMES_LEAD = "On sentence frames it never saw";
const WORDS_LEAD = "With openers and names it never saw";

function evaluationSection(evaluation) {
  const grouped = isPlainObject(evaluation.heldout_words);
  const entries = [];
  const frames = [];
  const slots = { words: [], students: [], vocabulary: [], parts: [] };
  for (const [key, value] of Object.entries(evaluation)) {
    if (key === "command" || (key === "lecture_all_correct" && Array.isArray(evaluation.lecture))) continue;
    if (key === "heldout_words" && grouped) slots.words.push(accuracyGroup(WORDS_LEAD, value));
    else if (key === "students" && isPlainObject(value)) slots.students.push(studentsNode(value));
    else if (key === "vocabulary" && isPlainObject(value) && typeof value.known === "number") {
      slots.vocabulary.push(vocabularyNode(value));
    } else if (key === "lecture" && Array.isArray(value)) slots.parts.push(lectureNode(value, evaluation.lecture_all_correct));
    else if (key === "memory_span" && isPlainObject(value)) slots.parts.push(spanNode(value));
    else if (key === "sample") slots.parts.push(sampleNode(value));
    else if (isAccuracy(value)) (grouped ? frames : entries).push([key, value]);
    else entries.push([key, value]);
  }
  const head = entries.map(([key, value]) => [key, isAccuracy(value) ? accuracyNode(value) : value]);
  const parts = [...(head.length ? [definitions(head)] : [])];
  if (frames.length) parts.push(accuracyGroup(FRAMES_LEAD, Object.fromEntries(frames)));
  parts.push(...slots.words, ...slots.students, ...slots.vocabulary, ...slots.parts);
  if (evaluation.command) parts.push(el("p", "card-label", "Command"), codeBlock(String(evaluation.command)));
  return section("Evaluation", ...parts);
}

export function createModelCard(dialog) {
  const { emit, bind } = createEvents(["select-unit"]);

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

  function notableSection(card, cell) {
    const units = card.notable_units;
    if (!Array.isArray(units) || !units.length) {
      return section("Notable units", el("p", "card-muted", "None recorded for this model."));
    }
    const list = el("ul", "card-units");
    for (const unit of units) {
      const weak = isPlainObject(unit) && isWeak(unit);
      // A weak unit is listed but told apart: a "weak" tag, and its line in muted text (unit-weak: room
      // for the stylesheet to do more).
      const item = el("li", weak ? "card-unit unit-weak" : "card-unit");
      if (!isPlainObject(unit) || !Number.isInteger(unit.unit)) {
        item.append(renderValue(unit));
        list.append(item);
        continue;
      }
      const text = el("div", "card-unit-text");
      const line = el("p", weak ? "card-unit-line card-muted" : "card-unit-line");
      const sentence = unitSentence(unit, cell);
      line.append(el("strong", null, unitHead(unit, card)));
      if (weak) line.append(" ", el("span", "card-tag unit-weak-tag", "weak"));
      line.append(sentence ? `: ${sentence}` : "");
      text.append(line);
      const others = rest(unit, [...UNIT_SAID]);
      if (others.length) text.append(definitions(others));
      const show = el("button", "card-show-unit", `Show unit ${unit.unit}`);
      show.type = "button";
      show.dataset.unit = String(unit.unit);
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
    for (const text of examples) {
      const item = el("li");
      // Code keeps its lines and indentation; a sentence wraps as prose.
      item.append(typeof text === "string" && text.includes("\n") ? el("pre", "card-sample", text.replace(/\n$/, ""))
        : el("span", null, plain(text)));
      list.append(item);
    }
    return section("Examples", list);
  }

  /** Fill the dialog from a card ({...card json, version}) of a model whose cell spec (/api/models
   *  cell_spec) is `cell`, and show it modally. */
  function open(card, cell = null) {
    title.textContent = card.title ?? card.id ?? "Model";
    const parts = [];
    if (card.description) parts.push(el("p", "card-description", card.description));
    parts.push(el("p", "card-summary", modelSummary(card, cell)));
    parts.push(notableSection(card, cell));
    if (isPlainObject(card.provenance)) parts.push(trainingSection(card.provenance));
    else if (card.provenance !== undefined) parts.push(section("Training", renderValue(card.provenance)));
    if (isPlainObject(card.evaluation)) parts.push(evaluationSection(card.evaluation));
    else if (card.evaluation === null) parts.push(section("Evaluation", el("p", "card-muted", "None recorded for this model.")));
    parts.push(modelSection(card));
    if (Array.isArray(card.examples) && card.examples.length) parts.push(examplesSection(card.examples));
    const more = rest(card, [...KNOWN]);
    if (card.evaluation !== undefined && card.evaluation !== null && !isPlainObject(card.evaluation)) {
      more.push(["evaluation", card.evaluation]);
    }
    if (more.length) parts.push(section("More", definitions(more)));
    body.replaceChildren(...parts);
    if (!dialog.open) dialog.showModal();
    body.scrollTop = 0; // after showModal: a closed dialog has no layout to scroll
  }

  return {
    open,
    close,
    bind,
  };
}
