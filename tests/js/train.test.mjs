// The Train panel's plan (core/train_plan.js): knobs ↔ link, the jobs' requests, events folded into what the charts
// draw, and the words the panel says.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TRAIN_CELLS, TRAIN_TASKS, buildLink, defaults, readLink } from "../../static/js/core/state.js";
import {
  BOUNDS, CELL_TITLES, DEFAULTS, PRESETS, TASKS, accuracyBars, accuracyText, answerOf, answerText, configFromLink,
  describe, distanceOf, ended, fold, jobRequests, linkOf, lossTop, newRun, ordinal, probePanels, probeTokens,
  problems, sameJob, snapshotMatrix, statusText, zRange,
} from "../../static/js/core/train_plan.js";

const fields = (partial = {}) => ({ ...Object.fromEntries(Object.entries(defaults())
  .filter(([k]) => k.startsWith("train"))), ...partial });

test("every task and cell the link accepts has a title; the defaults are POST /api/jobs's", () => {
  assert.deepEqual(Object.keys(TASKS), [...TRAIN_TASKS]);
  assert.deepEqual(Object.keys(CELL_TITLES).sort(), [...TRAIN_CELLS].sort());
  assert.deepEqual(DEFAULTS, { task: "tense", cells: ["lstm"], hidden: 16, distance: null, lr: 0.01, steps: 2000, seed: 0,
    jobs: [] });
  assert.deepEqual(TASKS.tense.distance, [0, 30]);
  assert.deepEqual(problems(DEFAULTS), []);
});

test("the default link fields make the default config, and a config makes its fields back", () => {
  const { config, rejected } = configFromLink(fields());
  assert.deepEqual(rejected, []);
  assert.deepEqual(config, { ...DEFAULTS, cells: ["lstm"], jobs: [] });
  const race = { ...PRESETS.race30.config, lr: 0.003, seed: 42, steps: 600, jobs: ["0123456789ab", "ba9876543210"] };
  assert.deepEqual(configFromLink(linkOf(race)).config, race);
  assert.deepEqual(linkOf(DEFAULTS), fields()); // the defaults: nothing in a link
});

test("a race's link round-trips through the URL, jobs and all", async () => {
  const race = { ...PRESETS.race30.config, seed: 7, jobs: ["0123456789ab", "ba9876543210"] };
  const link = await buildLink({ ...defaults(), mode: "train", ...linkOf(race) }, { origin: "http://x", pathname: "/" });
  assert.equal(link, "http://x/?mode=train&train_cells=rnn%2Clstm&train_distance=0-30&train_seed=7"
    + "&train_jobs=0123456789ab%2Cba9876543210");
  const url = new URL(link);
  const read = await readLink({ search: url.search });
  assert.deepEqual(read.rejected, []);
  assert.deepEqual(configFromLink(read.state).config, race);
});

test("odd link values are rejected with reasons, not used", async () => {
  const read = await readLink({ search: "?train_task=poetry&train_cells=lstm,lstm2&train_hidden=1&train_lr=fast"
    + "&train_distance=9-3&train_jobs=xyz" });
  assert.deepEqual(read.rejected.map((r) => r.key), ["train_task", "train_cells", "train_hidden", "train_lr",
    "train_distance", "train_jobs"]);
  const { config, rejected } = configFromLink(fields({ trainLr: "0.5", trainCells: ["rnn", "lstm"],
    trainJobs: "0123456789ab" }));
  assert.equal(config.lr, 0.01);
  assert.deepEqual(config.jobs, []);
  assert.equal(rejected.length, 2);
});

test("one request per cell, the same task, sizes, distances and seed; events within the server's limits", () => {
  const requests = jobRequests(PRESETS.race30.config);
  assert.deepEqual(requests.map((r) => r.cell), ["rnn", "lstm"]);
  assert.deepEqual(requests[0], { task: "tense", cell: "rnn", hidden_size: 16, distance_min: 0, distance_max: 30,
    learning_rate: 0.01, steps: 2000, seed: 0, progress_every: 40, snapshot_every: 100 });
  const { cell, ...rest } = requests[1];
  assert.deepEqual({ ...requests[0], cell }, { cell, ...rest });
  for (const steps of [1, 7, 199, 2000, 20_000]) {
    const [r] = jobRequests({ ...DEFAULTS, steps });
    assert.ok(steps <= 200 * r.progress_every && steps <= 20 * r.snapshot_every, String(steps));
  }
  assert.deepEqual(distanceOf({ ...DEFAULTS, task: "brackets" }), { start: 10, end: 10 });
  assert.ok(sameJob({ ...requests[0], batch_size: 32, clip: 1 }, requests[0]));
  assert.ok(!sameJob({ ...requests[0], seed: 1 }, requests[0]));
  assert.ok(!sameJob(null, requests[0]));
});

test("the knobs' problems say what to change", () => {
  assert.deepEqual(problems({ ...DEFAULTS, cells: [] }), ["choose at least one cell"]);
  assert.match(problems({ ...DEFAULTS, hidden: 65 })[0], /hidden size must be a whole number from 2 to 64/);
  assert.match(problems({ ...DEFAULTS, lr: NaN })[0], /learning rate/);
  assert.match(problems({ ...DEFAULTS, distance: { start: 9, end: 3 } })[0], /must not be more/);
  assert.match(problems({ ...DEFAULTS, distance: { start: 0, end: 61 } })[0], /from 0 to 60/);
  assert.deepEqual(BOUNDS.steps, [1, 20_000]);
});

const SNAP = (step, had, layers = [{ f: [[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]], c: [[-2, 1], [0, 0.5], [1, 3]] }]) => ({
  step, tokens: ["Last", "year", "I"], targets: [2], target: "had", answer: { need: 1 - had, had }, layers,
});

test("events fold into the run the charts draw; a replay changes nothing", () => {
  const events = [
    { id: 1, kind: "queued", data: { position: 2, step: 0 } },
    { id: 2, kind: "queued", data: { position: 1, step: 0 } },
    { id: 3, kind: "started", data: { step: 0, pid: 9 } },
    { id: 4, kind: "snapshot", data: SNAP(0, 0.01) },
    { id: 5, kind: "progress", data: { step: 40, steps: 80, loss: 2.5, accuracy: { 30: 0.5, 0: 0.45, 6: 0.6 },
      mean_accuracy: 0.52, chance: 0.5, elapsed_s: 1 } },
    { id: 6, kind: "progress", data: { step: 80, steps: 80, loss: 0.5, accuracy: { 0: 1, 6: 1, 30: 1 },
      mean_accuracy: 1, chance: 0.5, elapsed_s: 2 } },
    { id: 7, kind: "snapshot", data: SNAP(80, 0.98) },
    { id: 8, kind: "finished", data: { model: "job-0123456789ab", step: 80, accuracy: { 0: 1, 6: 1, 30: 1 },
      wall_time_s: 2.4 } },
  ];
  let run = newRun("lstm", { id: "0123456789ab", status: "queued", position: 2, steps: 80 });
  const seen = [];
  for (const e of events) {
    run = fold(run, e);
    seen.push(statusText(run));
  }
  assert.equal(seen[0], "waiting for a training slot: 2nd in line");
  assert.equal(seen[1], "waiting for a training slot: 1st in line");
  assert.equal(seen[2], "starting…");
  assert.equal(seen[4], "step 40 of 80");
  assert.equal(seen.at(-1), "finished: 80 steps in 2 s");
  assert.deepEqual(run.loss, { steps: [40, 80], values: [2.5, 0.5] });
  assert.deepEqual(run.accuracy, { distances: ["0", "6", "30"], values: [1, 1, 1] });
  assert.equal(run.model, "job-0123456789ab");
  assert.ok(ended(run));
  assert.deepEqual(run.snapshots.map((s) => s.step), [0, 80]);
  assert.equal(accuracyText(run), "held-out accuracy 100\u00a0% (chance 50\u00a0%)");
  const again = events.reduce(fold, run); // listened to again from the first event
  assert.equal(again, run);
  assert.equal(lossTop([run, newRun("rnn")]), 2.5 * 1.05);
  assert.equal(lossTop([newRun("rnn")]), 0);
});

test("stopped, cancelled and failed runs say why", () => {
  const run = newRun("rnn", { id: "a", status: "running", steps: 100 });
  assert.equal(statusText(fold(run, { id: 1, kind: "stopped", data: { step: 30 } })),
    "stopped at step 30: Resume goes on from there");
  assert.equal(statusText(fold(run, { id: 1, kind: "cancelled", data: { detail: "deleted", step: 0 } })),
    "cancelled: deleted");
  const failed = fold(run, { id: 1, kind: "error", data: { detail: "training failed: x", step: 0 } });
  assert.equal(failed.status, "failed");
  assert.ok(ended(failed));
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal),
    ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]);
});

test("the probe's answer, its tokens marked, and its matrices", () => {
  assert.equal(answerText(SNAP(0, 0.02)), "after “I”: had 2\u00a0% · need 98\u00a0%");
  assert.equal(answerOf(SNAP(0, 0.02)).right, false);
  assert.equal(answerOf(SNAP(80, 0.98)).right, true);
  assert.deepEqual([0.55, 0.98].map((p) => answerOf(SNAP(80, p)).sure), [false, true]);
  const long = { ...SNAP(0, 0.5), tokens: ["Last", "year", "a", "b", "c", "I"], targets: [5] };
  assert.deepEqual(probeTokens("tense", long, 3).map((t) => t.kind), ["cue", "cue", "filler", "filler", "filler", "target"]);
  const brackets = { ...long, tokens: ["(", "(", "a", "b", ")", ")"], targets: [4, 5] };
  assert.deepEqual(probeTokens("brackets", brackets, 2).map((t) => t.kind),
    ["cue", "cue", "filler", "filler", "target", "target"]);
  const m = snapshotMatrix(SNAP(0, 0.5).layers[0], "c");
  assert.deepEqual([m.T, m.H, [...m.data]], [3, 2, [-2, 1, 0, 0.5, 1, 3]]);
  assert.deepEqual(zRange({ scale: "gate" }, m), { zmin: 0, zmax: 1 });
  assert.deepEqual(zRange({ scale: "signed" }, m), { zmin: -3, zmax: 3 });
  assert.deepEqual(accuracyBars({ 12: 0.5, 2: 1 }), { distances: ["2", "12"], values: [1, 0.5] });
});

test("the probe's panels: the cell's gates in 0..1, then its memory; every quantity without a spec", () => {
  const spec = { quantities: ["i", "f", "g", "o", "c", "h"], memory: "c", panels: {
    i: { symbol: "i", title: "input gate", scale: "gate" }, f: { symbol: "f", title: "forget gate", scale: "gate" },
    g: { symbol: "g", title: "candidate", scale: "tanh" }, o: { symbol: "o", title: "output gate", scale: "gate" },
    c: { symbol: "c", title: "cell state", scale: "signed" }, h: { symbol: "h", title: "hidden state", scale: "tanh" },
  } };
  const panels = probePanels(spec, ["i", "f", "g", "o", "c", "h"]);
  assert.deepEqual(panels.map((p) => [p.key, p.scale]), [["i", "gate"], ["f", "gate"], ["o", "gate"], ["c", "signed"]]);
  assert.equal(panels[1].title, "f · forget gate");
  const rnn = { quantities: ["h", "a"], memory: "h", panels: { h: { symbol: "h", title: "hidden state", scale: "tanh" } } };
  assert.deepEqual(probePanels(rnn, ["h", "a"]).map((p) => p.key), ["h"]);
  assert.deepEqual(probePanels(null, ["h", "a"]).map((p) => [p.key, p.scale]), [["h", "signed"], ["a", "signed"]]);
});

test("the preset is the teacher's race: RNN vs LSTM on tense, 0–30 words apart", () => {
  assert.equal(describe(PRESETS.race30.config), "RNN vs LSTM on tense, 0–30 words apart, seed 0");
  assert.deepEqual(problems(PRESETS.race30.config), []);
  assert.equal(describe({ ...DEFAULTS, task: "brackets" }), "LSTM on brackets, 10 words apart, seed 0");
});
