// The model card (GET /api/models/{id}) in a modal <dialog>, written for people: what the model is, then
// its notable units first (one sentence each, with a button that shows the unit), how it was trained,
// and how well it does, in sentences and short lists rather than keys and array dumps. Keys it does
// not know are still shown (under "More", or beside the section they sit in), so a new card field never
// disappears. Text goes in through textContent only (strict CSP: never innerHTML).
//
// This module is the wording, pure functions tested in Node; views/model_card.js lays it out. The cell is
// said from its /api/models `cell_spec` (title, article, memory, states, gates, panels, activations), never
// from its name.
import { carriesLabel } from "./unit_names.js";

export const VOCAB_SHOWN = 40;
const LIST_SHOWN = 5; // a long list shows its first few items, "and N more"
const SHORT_LIST = 6; // a list this long or shorter is shown whole
export const TABLE_ROWS = 8;
export const LONG_STRING = 30; // strings longer than this are listed one per line, not joined by commas
const MINUS = "\u2212";

// Top-level keys rendered by their own part; anything else lands under "More".
export const KNOWN = new Set(["id", "title", "description", "snapshot_of", "cell", "recurrent_activation", "nonlinearity",
  "reset_after", "tokenizer", "sizes", "provenance", "evaluation", "notable_units", "examples", "version"]);
// Keys of a notable unit that its sentence says; any other is listed under it.
export const UNIT_SAID = new Set(["layer", "unit", "carries", "note", "mean_delta_c", "mean_delta_h", "sign_consistency",
  "pairs", "positions", "correlation", "partial_correlation", "weak"]);
// Keys of evaluation.memory_span that its summary says; a task is any other key holding an accuracy curve.
export const SPAN_SAID = new Set(["definition", "distances", "unit", "probes_per_point", "seed", "command"]);
export const CURVE_SAID = new Set(["frame", "example", "training_range", "in_training_range", "accuracy", "mean_prob", "n",
  "token_distance", "chance"]);

/** Words for keys that "_" → " " reads badly. */
const LABELS = {
  seq_len: "sequence length", lr: "learning rate", lr_final: "final learning rate", clip: "gradient clip",
  wall_time_s: "time", train_loss: "training loss", valid_loss: "validation loss", run_steps: "steps in the run",
  batch_size: "batch size", numpy: "NumPy", python: "Python", python_version: "Python version",
  snapshot_of: "snapshot of", cuisine_two_person: "cuisine (two people)", tense: "tense (need or had)",
  lecture_all_correct: "all the lecture's examples right", prob: "p(expected)", split: "test data",
  init: "initialisation", imported_from: "imported from", source_sha256: "source sha256", vocab_size: "vocabulary size",
  embedding_size: "embedding size", hidden_size: "units per layer", num_layers: "layers", unk: "unknown token",
  mean_delta_c: "mean Δc", mean_delta_h: "mean Δh", sign_consistency: "same sign in",
};

/** A card key as words ("valid_loss" → "validation loss", "inside_string" → "inside a string"); a dotted
 *  name (a tensor such as "lstm.bias_ih_l0", in an imported model's provenance) is shown as written. */
export function label(key) {
  if (LABELS[key]) return LABELS[key];
  return key.includes(".") ? key : carriesLabel(key);
}

/** 1,669 · 0.003 · 1.2e-5: integers grouped, others to four significant digits; negatives with a real minus. */
export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  let text;
  if (Number.isInteger(v)) text = Math.abs(v).toLocaleString("en-US");
  else if (Math.abs(v) < 1e-4) text = Math.abs(v).toExponential(1);
  else text = String(Number(Math.abs(v).toPrecision(4)));
  return v < 0 ? `${MINUS}${text}` : text;
}

/** 0.9862 → "98.6%", 1 → "100%". */
export function percent(v) {
  return `${Number((v * 100).toFixed(1))}%`;
}

/** A size people read at a glance: 4.6135 → "4.6", 0.9677 → "0.97" (absolute value). */
function magnitude(v) {
  const a = Math.abs(v);
  return a >= 1 ? a.toFixed(1) : String(Number(a.toPrecision(2)));
}

/** 0.5514 → "0.55", −0.5514 → "−0.55". */
function signed(v, digits = 2) {
  return `${v < 0 ? MINUS : ""}${Math.abs(v).toFixed(digits)}`;
}

/** 172.2 → "2 min 52 s", 3485.9 → "58 min 6 s", 7300 → "2 h 1 min". */
export function duration(seconds) {
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h ? `${h} h ${m} min` : `${m} min ${s} s`;
}

export function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** An accuracy result of an evaluation: {accuracy, n, …}. */
export function isAccuracy(v) {
  return isPlainObject(v) && typeof v.accuracy === "number" && "n" in v;
}

export function plain(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/**
 * A list of plain values as a short phrase, never a dump: "yes, no", "41 of 41 yes", "0, 1, 2, 3, 4 and 36
 * more (0 to 40)". Lists of objects or of long strings are laid out by renderValue, not here.
 */
export function summariseList(values) {
  if (!values.length) return "none";
  if (values.every((v) => typeof v === "boolean")) {
    if (values.length <= 2) return values.map(plain).join(", ");
    return `${values.filter(Boolean).length} of ${values.length} yes`;
  }
  if (values.length <= SHORT_LIST) return values.map(plain).join(", ");
  const shown = `${values.slice(0, LIST_SHOWN).map(plain).join(", ")} and ${values.length - LIST_SHOWN} more`;
  const numbers = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (numbers.length < 2) return shown;
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  return low === high ? shown : `${shown} (${formatNumber(low)} to ${formatNumber(high)})`;
}

// ---- Notable units: one sentence each ----

/** The unit's memory as a sentence names it: the quantity its card measured (mean Δc or mean Δh), else the
 *  cell's memory (cell_spec.memory: c for an LSTM, h for a GRU or a vanilla RNN), else c. */
function memoryOf(unit, cell) {
  if (typeof unit.mean_delta_h === "number" && typeof unit.mean_delta_c !== "number") return "h";
  if (typeof unit.mean_delta_c === "number") return "c";
  return cell?.memory ?? "c";
}

/** "its memory c"; "its state h (its only memory)" when h is the cell's memory and its only state. */
function memoryWords(q, cell) {
  const only = cell?.memory === q && Array.isArray(cell?.states) && cell.states.length === 1 && cell.states[0] === q;
  return only ? `its state ${q} (its only memory)` : `its memory ${q}`;
}

// "after a past-time opener (had)" beside "after a present-time opener (need)": "after a past-time one (had)".
function otherOne(first, second) {
  const noun = (text) => /(\S+)(?:\s+\([^)]*\))?$/.exec(text)?.[1];
  const word = noun(first);
  if (!word || noun(second) !== word || noun(second) === undefined) return second;
  return second.replace(new RegExp(`(^|\\s)${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s+\\([^)]*\\))?$`),
    (_, space, paren = "") => `${space}one${paren}`);
}

// What a unit whose memory correlates with a signal does, by the signal's card key and r's sign.
const FOLLOWS = {
  inside_string: ["is higher inside a string", "is lower inside a string"],
  bracket_depth: ["rises the deeper the brackets nest", "falls the deeper the brackets nest"],
  indentation: ["rises with the line's indentation", "falls as the line's indentation grows"],
  line_position: ["rises along each line", "falls along each line"],
};

// "c is higher after X than after Y" and what follows: ", across …" (old cards) or " on sentences …" (new).
const PAIR_NOTE = /^\s*\S+ is higher (after .+?) than (after .+?)(?:, across .*|\s+(on .+))?$/;

/** A unit the card marks weak (its partial r is small): listed, but never the unit for a property. */
export function isWeak(unit) {
  return unit?.weak === true;
}

/** "r = −0.55", "partial r = 0.48" kept on one line (no-break spaces): a narrow dialog would split it after "r". */
function rText(name, r) {
  return `${name.replace(/ /g, "\u00a0")}\u00a0=\u00a0${signed(r)}`;
}

/** The note without its trailing figures "(partial r = +0.06, …)": they are said from the card's numbers. */
function noteWords(note) {
  return note.replace(/\s*\((?:partial )?r = [^()]*\)\s*$/, "");
}

/** What the partial r controlled for, in words: "inside a string, indentation, position in the line". */
function controls(note) {
  const m = /controlling for ([^;()]+)/.exec(note);
  return m ? m[1].trim().split(/,\s*/).map((name) => carriesLabel(name.replace(/ /g, "_"))).join(", ") : "";
}

/** "partial r = 0.48 over 60,000 held-out characters, controlling for …; r = 0.44" (r: the partial r as said). */
function partialFacts(unit, r, over, note) {
  let text = rText("partial r", r);
  if (over) text += ` ${over}`;
  const controlled = controls(note);
  if (controlled) text += `, controlling for ${controlled}`;
  if (typeof unit.correlation === "number") text += `; ${rText("r", unit.correlation)}`;
  return text;
}

/** Old cards' minimal-pair figures: "same sign at 100% of 1,669 positions in 112 sentence pairs". */
function pairFacts(unit) {
  if (typeof unit.sign_consistency === "number") {
    let fact = `same sign at ${percent(unit.sign_consistency)}`;
    if (typeof unit.positions === "number") fact += ` of ${formatNumber(unit.positions)} positions`;
    if (typeof unit.pairs === "number") fact += ` in ${formatNumber(unit.pairs)} sentence pairs`;
    return fact;
  }
  return typeof unit.pairs === "number" ? `over ${formatNumber(unit.pairs)} sentence pairs` : "";
}

/** A unit measured by its memory's mean Δ between the two values of a property (one sentence). */
function deltaSentence(unit, memory, delta, note) {
  const m = PAIR_NOTE.exec(noteWords(note));
  const hasR = typeof unit.partial_correlation === "number";
  const sentence = m
    ? `${memory} is ${magnitude(delta)} higher ${m[1]} than ${otherOne(m[1], m[2])}${m[3] ? ` ${m[3]}` : ""}`
    : hasR ? `${memory} differs by ${magnitude(delta)} on average between the two${note ? ` (${note})` : ""}`
      : `${memory} differs by ${magnitude(delta)} on average between the paired texts${note ? ` (${note})` : ""}`;
  let fact;
  if (hasR) {
    // The words say the way the mean Δ goes; the partial r is said the same way round (its sign is
    // against the card's coding of the property, so it is turned with Δ): negative only if they disagree.
    const r = delta < 0 ? -unit.partial_correlation : unit.partial_correlation;
    const over = typeof unit.positions === "number" ? `over ${formatNumber(unit.positions)} positions` : "";
    fact = partialFacts(unit, r, over, note);
  } else {
    fact = pairFacts(unit);
  }
  return fact ? `${sentence} (${fact})` : sentence;
}

/** A unit measured by the correlation of its memory with a signal (partial r first when the card has it). */
function correlationSentence(unit, memory, note) {
  const partial = typeof unit.partial_correlation === "number";
  const r = partial ? unit.partial_correlation : unit.correlation;
  const words = FOLLOWS[unit.carries];
  const label = carriesLabel(unit.carries ?? "the signal");
  const does = words ? words[r >= 0 ? 0 : 1] : r >= 0 ? `rises with ${label}` : `falls as ${label} rises`;
  const m = /(?:over|on) ([\d,]+) held-out (\w+)/.exec(note);
  const over = m ? `over ${m[1]} held-out ${m[2]}` : "";
  const fact = partial ? partialFacts(unit, r, over, note) : `${rText("r", r)}${over ? ` ${over}` : ""}`;
  return `${memory} ${does} (${fact})`;
}

/**
 * One notable unit in words (without its name): "its memory c is 4.6 higher after a present-time opener
 * (need) than after a past-time one (had) (same sign at 100% of 1,669 positions in 112 sentence pairs)";
 * "its memory c is 0.31 higher after a present-time word (need) than after a past-time one (had) on
 * sentences in frames the model never saw (partial r = 0.06 over 32,216 positions, controlling for …)";
 * "its memory c is lower inside a string (r = −0.55 over 20,000 held-out characters)". cell: the model's
 * cell_spec (/api/models), for what its memory is called. Whether the unit is weak is said by unitLine (and
 * shown by the card as a tag), not here.
 */
export function unitSentence(unit, cell = null) {
  const q = memoryOf(unit, cell);
  const memory = memoryWords(q, cell);
  const delta = unit[`mean_delta_${q}`];
  const note = typeof unit.note === "string" ? unit.note : "";
  if (typeof delta === "number") return deltaSentence(unit, memory, delta, note);
  if (typeof unit.partial_correlation === "number" || typeof unit.correlation === "number") {
    return correlationSentence(unit, memory, note);
  }
  return note;
}

/** The line's head, "Unit 2 — tense" ("Unit 2 of layer 2 — tense" when the model has several layers). */
export function unitHead(unit, card = {}) {
  const layers = card?.sizes?.num_layers ?? 1;
  const name = `Unit ${unit.unit}${layers > 1 ? ` of layer ${(unit.layer ?? 0) + 1}` : ""}`;
  return unit.carries ? `${name} — ${carriesLabel(unit.carries)}` : name;
}

/** "Unit 2 — tense: its memory c is …": the head and the sentence ("Unit 21 — tense (weak): …" if weak). */
export function unitLine(unit, card = {}, cell = null) {
  const sentence = unitSentence(unit, cell);
  return `${unitHead(unit, card)}${isWeak(unit) ? " (weak)" : ""}${sentence ? `: ${sentence}` : ""}`;
}

// ---- Summary, training, evaluation: facts in words ----

/**
 * The cell in words, from its cell_spec: "LSTM with sigmoid gates" (the activations of the panels on a 0..1
 * gate scale), "vanilla RNN (tanh)" (a cell without such gates: its activations). null: the card's `cell`.
 */
export function cellWords(cell, card = {}) {
  if (!cell) return String(card.cell ?? "recurrent network");
  const words = (gates) => [...new Set(gates.map((g) => cell.activations?.[g]).filter(Boolean))]
    .map((a) => a.replace(/_/g, " ")).join(" and ");
  const gated = (cell.gates ?? []).filter((g) => cell.panels?.[g]?.scale === "gate");
  if (gated.length) return `${cell.title} with ${words(gated)} gates`;
  const squash = words(cell.gates ?? []);
  return squash ? `${cell.title} (${squash})` : cell.title;
}

/** "A word-level LSTM with sigmoid gates: 1 layer of 64 units, 305 tokens in its vocabulary, lowercased."
 *  cell: the model's cell_spec (/api/models). */
export function modelSummary(card, cell = null) {
  const sizes = card.sizes ?? {};
  const tok = card.tokenizer ?? {};
  const named = cellWords(cell, card);
  const kind = tok.kind ? `${{ char: "character" }[tok.kind] ?? tok.kind}-level ` : "";
  // "An LSTM", "A GRU": the cell's own article when nothing comes before its title.
  const own = cell?.article?.endsWith(cell.title) ? cell.article.slice(0, -cell.title.length).trim() : "";
  const article = kind ? (/^[aeiou]/i.test(kind) ? "An" : "A")
    : own ? own[0].toUpperCase() + own.slice(1) : /^[aeiou]/i.test(named) ? "An" : "A";
  const parts = [];
  if (Number.isInteger(sizes.num_layers) && Number.isInteger(sizes.hidden_size)) {
    parts.push(`${sizes.num_layers} layer${sizes.num_layers === 1 ? "" : "s"} of ${formatNumber(sizes.hidden_size)} units`);
  }
  const vocab = sizes.vocab_size ?? (Array.isArray(tok.vocab) ? tok.vocab.length : undefined);
  if (Number.isInteger(vocab)) parts.push(`${formatNumber(vocab)} tokens in its vocabulary`);
  if (tok.lowercase) parts.push("lowercased");
  let text = `${article} ${kind}${named}${parts.length ? `: ${parts.join(", ")}` : ""}.`;
  if (card.snapshot_of) {
    const at = card.provenance?.steps;
    text += ` A snapshot of “${card.snapshot_of}”${Number.isInteger(at) ? ` after ${formatNumber(at)} training steps` : ""}.`;
  }
  return text;
}


/**
 * The provenance as [label, text] facts a person reads ("training": "8,000 steps, each on 32 sequences of
 * 100 tokens"), then the keys they do not say, as [key, value] for the generic layout. The command is
 * left to the caller (a code block).
 */
export function trainingFacts(prov) {
  const facts = [];
  const used = new Set(["command"]); // the caller shows the command
  const has = (key) => prov[key] !== undefined;
  const num = (key) => (typeof prov[key] === "number" ? prov[key] : null);
  const use = (...keys) => keys.forEach((key) => used.add(key));
  if (has("corpus")) {
    const name = prov.corpus_name && !String(prov.corpus).includes(prov.corpus_name) ? ` (corpus “${prov.corpus_name}”)` : "";
    facts.push(["trained on", `${plain(prov.corpus)}${name}`]);
    use("corpus", "corpus_name");
  } else if (has("corpus_name")) {
    facts.push(["trained on", `the corpus “${plain(prov.corpus_name)}”`]);
    use("corpus_name");
  }
  if (has("licence")) facts.push(["licence", plain(prov.licence)]);
  use("licence");
  if (isPlainObject(prov.characters)) {
    const { train, valid, ...rest } = prov.characters;
    const parts = [];
    if (typeof train === "number") parts.push(`${formatNumber(train)} characters to train on`);
    else if (train !== undefined) parts.push(`train ${plain(train)}`);
    if (typeof valid === "number") parts.push(`${formatNumber(valid)} held out to validate`);
    else if (valid !== undefined) parts.push(`valid ${plain(valid)}`);
    for (const [key, value] of Object.entries(rest)) parts.push(`${label(key)} ${plain(value)}`);
    facts.push(["text", parts.join(", ")]);
    use("characters");
  }
  const steps = num("steps");
  const runSteps = num("run_steps");
  if (steps !== null || runSteps !== null) {
    let text = steps === 0 ? "none (not trained)" : `${formatNumber(steps ?? runSteps)} steps`;
    use(steps !== null ? "steps" : "run_steps");
    if (steps !== 0) {
      const batch = num("batch_size");
      const len = num("seq_len");
      if (batch !== null) {
        text += `, each on ${formatNumber(batch)} sequences${len !== null ? ` of ${formatNumber(len)} tokens` : ""}`;
        use("batch_size", ...(len !== null ? ["seq_len"] : []));
      } else if (len !== null) {
        text += ` on sequences of ${formatNumber(len)} tokens`;
        use("seq_len");
      }
    }
    if (steps !== null && runSteps !== null) {
      if (runSteps !== steps) text += ` (of a ${formatNumber(runSteps)}-step run)`;
      use("run_steps");
    }
    facts.push(["training", text]);
  }
  if (typeof prov.lr === "number") {
    const end = num("lr_final");
    let text = formatNumber(prov.lr);
    if (end !== null) text += end === prov.lr ? " throughout" : `, falling to ${formatNumber(end)}`;
    facts.push(["learning rate", text]);
    use("lr", ...(end !== null ? ["lr_final"] : []));
  }
  if (typeof prov.clip === "number") {
    facts.push(["gradient clipping", `at a norm of ${formatNumber(prov.clip)}`]);
    use("clip");
  }
  const train = num("train_loss");
  const valid = num("valid_loss");
  if (train !== null || valid !== null) {
    // "0.554 nats per token on the training text, 0.576 on held-out text (perplexity 1.74 and 1.78)"
    const unit = typeof prov.loss_unit === "string" ? ` ${prov.loss_unit}` : "";
    const said = [[train, "on the training text"], [valid, "on held-out text"]].filter(([v]) => v !== null);
    let text = said.map(([v, where], k) => `${v.toFixed(3)}${k === 0 ? unit : ""} ${where}`).join(", ");
    if (unit.trim().startsWith("nats")) {
      text += ` (perplexity ${said.map(([v]) => Math.exp(v).toFixed(2)).join(" and ")})`;
    }
    const unrecorded = ["train_loss", "valid_loss"].filter((key) => key in prov && prov[key] === null);
    if (unrecorded.length) text += `; ${unrecorded.map(label).join(" and ")} not recorded`;
    facts.push(["loss", text]);
    use(...(train !== null ? ["train_loss"] : []), ...(valid !== null ? ["valid_loss"] : []), ...unrecorded,
      ...(unit ? ["loss_unit"] : []));
  }
  if (typeof prov.wall_time_s === "number") {
    facts.push(["time", duration(prov.wall_time_s)]);
    use("wall_time_s");
  }
  const software = [["NumPy", "numpy"], ["Python", "python"]].filter(([, key]) => has(key));
  if (software.length) {
    facts.push(["software", software.map(([name, key]) => `${name} ${plain(prov[key])}`).join(", ")]);
    use(...software.map(([, key]) => key));
  }
  if (isPlainObject(prov.machine)) {
    const text = machineText(prov.machine, prov);
    if (text) facts.push(["machine", text]);
    use("machine");
  }
  // What the sentences did not say (a known key with a value of an unexpected kind, or any other key) is
  // still shown, by the generic layout: nothing in a card disappears.
  const others = Object.entries(prov).filter(([key]) => !used.has(key) && prov[key] !== undefined);
  return { facts, others };
}

/**
 * The machine a model was trained on (provenance.machine) in words: "AMD EPYC (2 CPUs), Linux-6.18…,
 * BLAS scipy-openblas 0.3.31 on 1 thread". NumPy and Python are said only where they differ from the
 * provenance's own (already said under "software"); any other key is said as "key value".
 */
export function machineText(machine, prov = {}) {
  const parts = [];
  const used = new Set();
  const count = (n, noun) => `${formatNumber(n)} ${noun}${n === 1 ? "" : "s"}`;
  const cpus = typeof machine.cpus === "number" ? machine.cpus : null;
  if (machine.cpu !== undefined) {
    parts.push(`${plain(machine.cpu)}${cpus !== null ? ` (${count(cpus, "CPU")})` : ""}`);
    used.add("cpu");
    if (cpus !== null) used.add("cpus");
  } else if (cpus !== null) {
    parts.push(count(cpus, "CPU"));
    used.add("cpus");
  }
  if (machine.system !== undefined) parts.push(plain(machine.system));
  used.add("system");
  const threads = typeof machine.blas_threads === "number" ? machine.blas_threads : null;
  if (machine.blas !== undefined) {
    parts.push(`BLAS ${plain(machine.blas)}${threads !== null ? ` on ${count(threads, "thread")}` : ""}`);
    used.add("blas");
    if (threads !== null) used.add("blas_threads");
  } else if (threads !== null) {
    parts.push(`${count(threads, "BLAS thread")}`);
    used.add("blas_threads");
  }
  for (const [name, key] of [["NumPy", "numpy"], ["Python", "python"]]) {
    if (machine[key] !== undefined && machine[key] !== prov[key]) parts.push(`${name} ${plain(machine[key])}`);
    used.add(key);
  }
  for (const [key, value] of Object.entries(machine)) {
    if (!used.has(key) && value !== undefined) parts.push(`${label(key)} ${plain(value)}`);
  }
  return parts.join(", ");
}

/** "100% of 1,000 held-out test cases; 100% at every distance from 2 to 29 words" (an accuracy result). */
export function accuracySentence(result) {
  let text = `${percent(result.accuracy)} right, of ${formatNumber(result.n)} held-out test cases`;
  const by = isPlainObject(result.by_distance) ? Object.entries(result.by_distance)
    .map(([d, a]) => [Number(d), a]).filter(([d, a]) => Number.isFinite(d) && typeof a === "number") : [];
  if (by.length > 1) {
    by.sort((x, y) => x[0] - y[0]);
    const span = `${by[0][0]} to ${by[by.length - 1][0]} words between cue and prediction`;
    const low = by.reduce((m, x) => (x[1] < m[1] ? x : m));
    text += low[1] === by.reduce((m, x) => Math.max(m, x[1]), 0)
      ? `; ${percent(low[1])} at every distance from ${span}`
      : `; at ${span}, the lowest is ${percent(low[1])} (at ${low[0]} word${low[0] === 1 ? "" : "s"})`;
  }
  return text;
}

// Short names of the lesson's tasks in a line of accuracies.
const TASK_SHORT = { tense: "tense", cuisine: "cuisine", cuisine_two_person: "two people" };

/**
 * One line for a group of accuracy results: "On sentence frames it never saw: tense 97.2%, cuisine 92%,
 * two people 88%". results: {task: {accuracy, n, …}}; entries that are not accuracies are left out.
 */
export function accuracyLine(lead, results) {
  const said = Object.entries(results).filter(([, v]) => isAccuracy(v))
    .map(([task, v]) => `${TASK_SHORT[task] ?? label(task)} ${percent(v.accuracy)}`);
  return said.length ? `${lead}: ${said.join(", ")}` : lead;
}

/** "Students' own sentences: 24 of 27 right" (counted from the predictions when the card lists them). */
export function studentsSentence(students) {
  const rows = Array.isArray(students.predictions) ? students.predictions.filter(isPlainObject) : [];
  if (rows.length) {
    return `Students' own sentences: ${rows.filter((r) => r.correct === true).length} of ${rows.length} right`;
  }
  if (typeof students.accuracy === "number" && Number.isInteger(students.n)) {
    return `Students' own sentences: ${Math.round(students.accuracy * students.n)} of ${formatNumber(students.n)} right`;
  }
  return typeof students.accuracy === "number" ? `Students' own sentences: ${percent(students.accuracy)} right`
    : "Students' own sentences";
}

const UNKNOWN_SHOWN = 20;

/**
 * "Knows 99.1% of the 861 words in 79 everyday student sentences (vocabulary of 6,605 tokens); unknown:
 * aunt's, barks, dish". vocabulary: the card's evaluation.vocabulary ({known, word_tokens, sentences,
 * unknown, size}); the keys it says are in VOCAB_SAID.
 */
export function vocabularySentence(vocabulary) {
  const v = vocabulary;
  const words = typeof v.word_tokens === "number" ? `the ${formatNumber(v.word_tokens)} words` : "the words";
  const sentences = typeof v.sentences === "number"
    ? `${formatNumber(v.sentences)} everyday student sentence${v.sentences === 1 ? "" : "s"}` : "everyday student sentences";
  let text = `Knows ${percent(v.known)} of ${words} in ${sentences}`;
  if (typeof v.size === "number") text += ` (vocabulary of ${formatNumber(v.size)} tokens)`;
  if (Array.isArray(v.unknown)) {
    const shown = v.unknown.slice(0, UNKNOWN_SHOWN).map(plain).join(", ");
    const more = v.unknown.length > UNKNOWN_SHOWN ? ` and ${formatNumber(v.unknown.length - UNKNOWN_SHOWN)} more` : "";
    text += v.unknown.length ? `; unknown: ${shown}${more}` : "; none unknown";
  }
  return text;
}

/** The keys of evaluation.vocabulary that vocabularySentence says (by kind); the rest are shown beside it. */
export function vocabularySaid(v) {
  return ["known", "word_tokens", "sentences", "size"].filter((key) => typeof v[key] === "number")
    .concat(Array.isArray(v.unknown) ? ["unknown"] : []);
}

/** One lecture example in words: "✓ “Today, … loan.” — 12 words after “Today”, it predicts need (99.7%)". */
export function lectureLine(row) {
  const mark = row.correct ? "✓" : "✗";
  const prob = typeof row.prob === "number" ? ` (${percent(row.prob)})` : "";
  const after = row.cue ? `${typeof row.distance === "number" ? `${row.distance} words ` : ""}after “${row.cue}”, ` : "";
  const predicts = row.correct || row.predicted === undefined
    ? `it predicts “${row.expected ?? row.predicted}”${prob}`
    : `it predicts “${row.predicted}”, not “${row.expected}”${prob ? ` (“${row.expected}” at ${percent(row.prob)})` : ""}`;
  return `${mark} “${row.text}” — ${after}${predicts}`;
}

/**
 * One memory-span task in words: "within the trained 0 to 25 filler words: 98.1% on average (lowest 94%,
 * at 5 words); beyond, up to 40 words: 97.3% on average (lowest 96%, at 40 words); chance is 50%".
 * distances: the span's distance list.
 */
export function spanSentence(curve, distances) {
  const accuracy = Array.isArray(curve.accuracy) ? curve.accuracy : [];
  const inside = Array.isArray(curve.in_training_range) ? curve.in_training_range : [];
  const points = accuracy.map((a, k) => ({ d: distances?.[k] ?? k, a, trained: inside[k] !== false }))
    .filter((p) => typeof p.a === "number");
  const [lo, hi] = Array.isArray(curve.training_range) ? curve.training_range : [];
  const parts = [];
  const describe = (list) => {
    const low = list.reduce((m, p) => (p.a < m.a ? p : m));
    const mean = list.reduce((s, p) => s + p.a, 0) / list.length;
    return low.a === list.reduce((m, p) => Math.max(m, p.a), 0)
      ? `${percent(low.a)}`
      : `${percent(mean)} on average (lowest ${percent(low.a)}, at ${low.d} word${low.d === 1 ? "" : "s"})`;
  };
  const trained = points.filter((p) => p.trained);
  const beyond = points.filter((p) => !p.trained);
  const range = Number.isFinite(lo) ? `${lo} to ${hi} filler words` : "distances";
  if (trained.length) parts.push(`within the trained ${range}: ${describe(trained)}`);
  else if (Number.isFinite(lo)) parts.push(`trained with ${range}`);
  if (beyond.length) {
    const far = Math.max(...beyond.map((p) => p.d));
    parts.push(`${trained.length ? "beyond" : "at untrained distances"}, up to ${far} words: ${describe(beyond)}`);
  }
  let text = parts.join("; ");
  if (typeof curve.chance === "number") text += `; chance is ${percent(curve.chance)}`;
  return text;
}
