// The Train panel's plan (views/train.js runs it, views/train_view.js draws it): its knobs as a link and back,
// the POST /api/jobs requests they make (one per cell: a race is the same task and seed for every cell), the jobs'
// server-sent events folded into what the charts draw, and the words the panel says. Pure: no DOM, no fetch.
import { TRAIN_CELLS, TRAIN_TASKS } from "./state.js";

/** What the panel knows of each task besides its name (app/training/tasks.py TASKS): a title, its default
 *  distances (`distance_min`, `distance_max`), and how many leading tokens of its probe sentence are the cue (the
 *  probe has `distance_max` filler words). Its chance level comes with each progress event. */
export const TASKS = Object.freeze({
  tense: { title: "Tense: need or had after “I”", distance: [0, 30],
    cue: (tokens, distance) => Math.max(0, tokens.length - distance - 1) }, // "Last year" … "I"
  brackets: { title: "Brackets: close as many as were opened", distance: [10, 10],
    cue: (tokens) => Math.max(0, tokens.findIndex((t) => t !== "(")) },
  lesson: { title: "The lesson corpus's sentences", distance: [0, 20],
    cue: () => 2 }, // the lecture's "Last year, …"
});
/** The cells' names as a person reads them. */
export const CELL_TITLES = Object.freeze({ lstm: "LSTM", gru: "GRU", rnn: "RNN" });
/** The knobs' bounds (app/training/live.py BOUNDS; the link's seed stops at 999,999,999). */
export const BOUNDS = Object.freeze({
  hidden: [2, 64], distance: [0, 60], lr: [1e-5, 0.1], steps: [1, 20_000], seed: [0, 999_999_999],
});
/** POST /api/jobs's defaults; distance null: the task's own. */
export const DEFAULTS = Object.freeze({
  task: TRAIN_TASKS[0], cells: Object.freeze([TRAIN_CELLS[0]]), hidden: 16, distance: null, lr: 0.01, steps: 2000,
  seed: 0, jobs: Object.freeze([]),
});
/** Progress events and snapshots a job sends, about: enough points for a curve, a slider of snapshots. */
export const PROGRESS_POINTS = 50;
export const SNAPSHOTS = 20;

/** The presets: the teacher's one click. */
export const PRESETS = Object.freeze({
  race30: {
    label: "RNN vs LSTM, 30 words apart",
    config: { ...DEFAULTS, task: "tense", cells: ["rnn", "lstm"], distance: { start: 0, end: 30 }, jobs: [] },
  },
});

const inside = (x, [lo, hi]) => Number.isFinite(x) && x >= lo && x <= hi;

/** The knobs' problems, each a sentence saying what to change (empty: none). */
export function problems(config) {
  const out = [];
  if (!TRAIN_TASKS.includes(config.task)) out.push(`task ${config.task} is not one of ${TRAIN_TASKS.join(", ")}`);
  if (!config.cells.length) out.push("choose at least one cell");
  const whole = (key, name) => {
    if (!Number.isInteger(config[key]) || !inside(config[key], BOUNDS[key])) {
      out.push(`${name} must be a whole number from ${BOUNDS[key][0]} to ${BOUNDS[key][1].toLocaleString("en")}`);
    }
  };
  whole("hidden", "hidden size");
  whole("steps", "steps");
  whole("seed", "seed");
  if (!inside(config.lr, BOUNDS.lr)) out.push(`learning rate must be from ${BOUNDS.lr[0]} to ${BOUNDS.lr[1]}`);
  const d = distanceOf(config);
  if (![d.start, d.end].every((x) => Number.isInteger(x) && inside(x, BOUNDS.distance))) {
    out.push(`distances must be whole numbers from ${BOUNDS.distance[0]} to ${BOUNDS.distance[1]}`);
  } else if (d.start > d.end) out.push("the fewest words apart must not be more than the most");
  return out;
}

/** The distances a config trains on: its own, else its task's. */
export function distanceOf(config) {
  if (config.distance) return config.distance;
  const [start, end] = (TASKS[config.task] ?? TASKS.tense).distance;
  return { start, end };
}

/** A config from the link's fields (state.js: trainTask, trainCells, …): {config, rejected: [sentences]}. */
export function configFromLink(fields) {
  const rejected = [];
  const cells = fields.trainCells?.length ? [...fields.trainCells] : [...DEFAULTS.cells];
  let lr = fields.trainLr ? Number(fields.trainLr) : DEFAULTS.lr;
  if (!inside(lr, BOUNDS.lr)) {
    rejected.push(`train_lr ${fields.trainLr} is outside ${BOUNDS.lr[0]}–${BOUNDS.lr[1]}`);
    lr = DEFAULTS.lr;
  }
  let distance = fields.trainDistance ? { ...fields.trainDistance } : null;
  if (distance && distance.end > BOUNDS.distance[1]) {
    rejected.push(`train_distance goes past ${BOUNDS.distance[1]} words`);
    distance = null;
  }
  let jobs = fields.trainJobs ? fields.trainJobs.split(",") : [];
  if (jobs.length && jobs.length !== cells.length) {
    rejected.push(`train_jobs names ${jobs.length} job(s) for ${cells.length} cell(s)`);
    jobs = [];
  }
  const config = {
    task: fields.trainTask ?? DEFAULTS.task, cells, hidden: fields.trainHidden ?? DEFAULTS.hidden, distance, lr,
    steps: fields.trainSteps ?? DEFAULTS.steps, seed: fields.trainSeed ?? DEFAULTS.seed, jobs,
  };
  return { config, rejected };
}

/** The link's fields of a config (the inverse of configFromLink). */
export function linkOf(config) {
  return {
    trainTask: config.task, trainCells: [...config.cells], trainHidden: config.hidden,
    trainDistance: config.distance ? { ...config.distance } : null,
    trainLr: config.lr === DEFAULTS.lr ? "" : String(config.lr), trainSteps: config.steps, trainSeed: config.seed,
    trainJobs: config.jobs.join(","),
  };
}

/** One POST /api/jobs body per cell, in the config's order: the same task, sizes, distances and seed. */
export function jobRequests(config) {
  const d = distanceOf(config);
  return config.cells.map((cell) => ({
    task: config.task, cell, hidden_size: config.hidden, distance_min: d.start, distance_max: d.end,
    learning_rate: config.lr, steps: config.steps, seed: config.seed,
    progress_every: Math.max(1, Math.ceil(config.steps / PROGRESS_POINTS)),
    snapshot_every: Math.max(1, Math.ceil(config.steps / SNAPSHOTS)),
  }));
}

/** Whether a job (its status's `config`, defaults filled in) is the one `request` asks for. */
export function sameJob(jobConfig, request) {
  return Boolean(jobConfig) && Object.entries(request).every(([key, value]) => jobConfig[key] === value);
}

/** A run before any event: the job's status (POST or GET /api/jobs/{id}) and its cell. */
export function newRun(cell, status = {}) {
  return {
    cell, id: status.id ?? null, status: status.status ?? "queued", position: status.position ?? 0,
    step: 0, steps: status.steps ?? 0, loss: { steps: [], values: [] }, accuracy: null, mean: null, chance: null,
    snapshots: [], model: null, detail: "", lastEventId: 0, elapsed: null,
  };
}

const ENDED = new Set(["finished", "cancelled", "failed"]);
/** Whether a run has ended (its stream too). */
export const ended = (run) => ENDED.has(run.status);

/** {distances: ["0", "6", …], values: [share right]} from an event's {distance: share}, by distance. */
export function accuracyBars(byDistance) {
  const distances = Object.keys(byDistance).sort((a, b) => Number(a) - Number(b));
  return { distances, values: distances.map((d) => byDistance[d]) };
}

/**
 * A run after one event {id, kind, data} (docs/training_live.md's events). An event it has had (its id at or
 * below the last one) changes nothing, so a stream listened to again from the start replays into the same run.
 */
export function fold(run, { id, kind, data }) {
  if (id <= run.lastEventId) return run;
  const next = { ...run, lastEventId: id };
  if (Number.isInteger(data.step)) next.step = data.step;
  if (kind === "queued") Object.assign(next, { status: "queued", position: data.position });
  else if (kind === "started") Object.assign(next, { status: "running", position: 0 });
  else if (kind === "progress") {
    next.loss = { steps: [...run.loss.steps, data.step], values: [...run.loss.values, data.loss] };
    Object.assign(next, { status: "running", accuracy: accuracyBars(data.accuracy), mean: data.mean_accuracy,
      chance: data.chance, steps: data.steps, elapsed: data.elapsed_s });
  } else if (kind === "snapshot") {
    next.snapshots = [...run.snapshots.filter((s) => s.step !== data.step), data].sort((a, b) => a.step - b.step);
  } else if (kind === "stopped") next.status = "stopped";
  else if (kind === "finished") {
    Object.assign(next, { status: "finished", model: data.model, accuracy: accuracyBars(data.accuracy),
      elapsed: data.wall_time_s });
  } else if (kind === "cancelled") Object.assign(next, { status: "cancelled", detail: data.detail ?? "" });
  else if (kind === "error") Object.assign(next, { status: "failed", detail: data.detail ?? "" });
  return next;
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st. */
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

const count = (n) => Number(n).toLocaleString("en");
export const percent = (x) => `${Math.round(x * 100)}\u00a0%`;

/** What a run is doing, in words: "waiting for a training slot: 2nd in line", "step 400 of 2,000", … */
export function statusText(run) {
  switch (run.status) {
    case "queued": return run.position ? `waiting for a training slot: ${ordinal(run.position)} in line`
      : "waiting for a training slot";
    case "running": return run.step ? `step ${count(run.step)} of ${count(run.steps)}` : "starting…";
    case "stopped": return `stopped at step ${count(run.step)}: Resume goes on from there`;
    case "finished": return `finished: ${count(run.step)} steps${run.elapsed ? ` in ${Math.round(run.elapsed)} s` : ""}`;
    case "cancelled": return `cancelled: ${run.detail}`;
    default: return `failed: ${run.detail}`;
  }
}

/** A run's mean held-out accuracy against chance, in words ("" before the first progress event). */
export function accuracyText(run) {
  if (run.mean === null) return "";
  const chance = run.chance ?? 0;
  return `held-out accuracy ${percent(run.mean)} (chance ${percent(chance)})`;
}

/** How sure a right answer must be to be called right, not a guess. */
export const SURE = 0.75;

/** The probe's answer at a snapshot: {after, target, right (the target scores above the others), sure (and with
 *  at least SURE), words: [[word, probability]] target first}. */
export function answerOf(snapshot) {
  const after = snapshot.tokens[snapshot.targets.at(-1)] ?? "";
  const words = Object.entries(snapshot.answer).sort(([a], [b]) => (a === snapshot.target ? -1 : b === snapshot.target ? 1 : 0));
  const p = snapshot.answer[snapshot.target] ?? 0;
  const right = words.slice(1).every(([, q]) => p > q);
  return { after, target: snapshot.target, right, sure: right && p >= SURE, words };
}

/** The probe's answer in words: "after “I”: had 98 % · need 2 %". */
export function answerText(snapshot) {
  const a = answerOf(snapshot);
  return `after “${a.after}”: ${a.words.map(([w, p]) => `${w} ${percent(p)}`).join(" · ")}`;
}

/** The probe's tokens, each {text, kind}: "cue" (what decides the answer), "target" (where the answer is
 *  predicted: after it), or "filler". */
export function probeTokens(task, snapshot, distance) {
  const cue = (TASKS[task] ?? TASKS.tense).cue(snapshot.tokens, distance);
  const targets = new Set(snapshot.targets);
  return snapshot.tokens.map((text, k) => ({ text, kind: targets.has(k) ? "target" : k < cue ? "cue" : "filler" }));
}

/** The upper end of a shared loss axis for runs side by side (0 when none has a loss yet). */
export function lossTop(runs) {
  const top = Math.max(0, ...runs.flatMap((r) => r.loss.values));
  return top > 0 ? top * 1.05 : 0;
}

/** A snapshot's quantity as the heatmaps' matrix {T, H, data} (time-major). */
export function snapshotMatrix(layer, key) {
  const rows = layer[key];
  const T = rows.length;
  const H = T ? rows[0].length : 0;
  const data = new Float32Array(T * H);
  rows.forEach((row, t) => data.set(row, t * H));
  return { T, H, data };
}

/**
 * The probe's panels for a cell: its gates in 0..1 (the cell spec's panels with the "gate" scale), then its
 * memory, each {key, title, scale: "gate" | "signed"}; without a spec (no model of that cell is served), every
 * quantity the snapshot holds, as signed.
 */
export function probePanels(spec, quantities) {
  if (!spec) return quantities.map((key) => ({ key, title: key, scale: "signed" }));
  const gates = spec.quantities.filter((q) => spec.panels[q]?.scale === "gate");
  return [...gates, spec.memory].filter((q, k, all) => quantities.includes(q) && all.indexOf(q) === k)
    .map((key) => ({ key, title: `${spec.panels[key]?.symbol ?? key} · ${spec.panels[key]?.title ?? key}`,
      scale: spec.panels[key]?.scale === "gate" ? "gate" : "signed" }));
}

/** A panel's colour range: 0..1 for a gate, else symmetric about 0 to the largest |value| (at least 1e-6). */
export function zRange(panel, m) {
  if (panel.scale === "gate") return { zmin: 0, zmax: 1 };
  let top = 1e-6;
  for (const x of m.data) if (Math.abs(x) > top) top = Math.abs(x);
  return { zmin: -top, zmax: top };
}

/** The config in words: "RNN vs LSTM on tense, 0–30 words apart, seed 0". */
export function describe(config) {
  const d = distanceOf(config);
  const apart = d.start === d.end ? `${d.start}` : `${d.start}–${d.end}`;
  return `${config.cells.map((c) => CELL_TITLES[c] ?? c).join(" vs ")} on ${config.task}, ${apart} words apart, `
    + `seed ${config.seed}`;
}
