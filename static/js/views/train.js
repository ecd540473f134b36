// The Train panel (mode=train; docs/training_live.md has the API): the knobs make one POST /api/jobs per chosen
// cell, the same task and seed for each (a race); each job's server-sent events fold (core/train_plan.js) into the
// run its column draws (views/train_view.js). A link carries the knobs and the jobs' ids: opened while the jobs
// live it listens to them again from their first event; once they have expired it shows the knobs and waits for
// Play, which trains again with the same seed (it never starts jobs by itself: a link shared with a class would
// start one per student).
import { createJob, deleteJob, fetchJob, jobAction, listenJob } from "../api.js";
import {
  DEFAULTS, PRESETS, configFromLink, describe, ended, fold, jobRequests, linkOf, lossTop, newRun, problems, sameJob,
} from "../core/train_plan.js";
import { createEvents } from "./dom.js";
import { createTrainView } from "./train_view.js";

const TERMINAL = new Set(["finished", "cancelled", "error"]);

/**
 * The panel in `container`. cellSpec(name): a served model's cell spec for that cell (its gates' panels), or null.
 * show(fields): the link's train fields (state.js: trainTask, …, trainJobs); preset(name); redraw() (the type
 * size changed). Events (bind): "link" (the fields a link now carries), "open-model" (a finished job's model id).
 */
export function createTrain(container, { cellSpec }) {
  const { emit, bind } = createEvents(["link", "open-model"]);
  const view = createTrainView(container, { cellSpec });
  let config = { ...DEFAULTS, cells: [...DEFAULTS.cells], jobs: [] };
  let runs = []; // [{run, close}]: the columns' runs and their streams
  let runConfig = config; // the config the runs were started with
  let generation = 0; // bumped when the runs are replaced: callbacks of older ones do nothing
  view.setConfig(config);

  const publish = () => emit("link", linkOf(config));
  const context = () => ({ config: runConfig, task: runConfig.task, lossTop: lossTop(runs.map((r) => r.run)) });

  function buttons() {
    const live = runs.map((r) => r.run);
    view.buttons({ stoppable: live.some((r) => r.status === "queued" || r.status === "running"),
      resumable: live.some((r) => r.status === "stopped") });
  }

  function drawAll() {
    const ctx = context();
    runs.forEach((r, k) => view.update(k, r.run, ctx));
    buttons();
  }

  /** Listen to run k's job from its first event (a replay when it has some already). */
  function listen(k) {
    const g = generation;
    const r = runs[k];
    r.close?.();
    r.close = listenJob(r.run.id, {
      after: 0,
      onEvent(event) {
        if (g !== generation) return;
        const top = lossTop(runs.map((x) => x.run));
        r.run = fold(r.run, event);
        if (TERMINAL.has(event.kind)) r.close();
        if (lossTop(runs.map((x) => x.run)) !== top) drawAll();
        else {
          view.update(k, r.run, context());
          buttons();
        }
        if (runs.every((x) => ended(x.run))) summarise();
      },
      onLost() {
        if (g !== generation || ended(r.run)) return;
        r.run = { ...r.run, status: "cancelled", detail: "the server no longer has this job (it expired or restarted)" };
        drawAll();
      },
    });
  }

  function summarise() {
    const done = runs.map((r) => r.run).filter((r) => r.status === "finished");
    view.say(done.length === runs.length
      ? `Finished: ${describe(runConfig)}. “Open this model” looks inside one; the link replays this run while the `
        + "server keeps it (30 minutes)."
      : "The run has ended: press ▶ Play to train again.");
  }

  function clear() {
    generation += 1;
    for (const r of runs) r.close?.();
    const active = runs.map((r) => r.run).filter((r) => r.id && !ended(r));
    for (const r of active) deleteJob(r.id).catch(() => {}); // its slot for the next: nobody watches it now
    runs = [];
    view.setRuns([]);
    buttons();
  }

  async function play() {
    const found = problems(config);
    if (found.length) {
      view.say(`Cannot start: ${found.join("; ")}.`);
      return;
    }
    clear();
    const g = generation;
    runConfig = { ...config, cells: [...config.cells], jobs: [] };
    const requests = jobRequests(runConfig);
    runs = runConfig.cells.map((cell) => ({ run: newRun(cell), close: null }));
    view.setRuns(runConfig.cells);
    drawAll();
    view.say(`Training ${describe(runConfig)}…`);
    // One after the other, so the queue runs them in the columns' order.
    for (const [k, request] of requests.entries()) {
      try {
        const status = await createJob(request);
        if (g !== generation) {
          deleteJob(status.id).catch(() => {});
          return;
        }
        runs[k].run = newRun(request.cell, status);
        listen(k);
      } catch (err) {
        if (g !== generation) return;
        runs[k].run = { ...runs[k].run, status: "failed", detail: err.message };
        view.say(`The server did not start the ${k ? "next " : ""}job: ${err.message}`);
        drawAll();
        return;
      }
    }
    config = { ...config, jobs: runs.map((r) => r.run.id) };
    runConfig = { ...runConfig, jobs: config.jobs };
    publish();
    drawAll();
  }

  /** The jobs a link names: listened to again when each is alive and is what the knobs ask for. */
  async function reuse() {
    const g = generation;
    const requests = jobRequests(config);
    const statuses = await Promise.all(config.jobs.map((id) => fetchJob(id).catch(() => null)));
    if (g !== generation) return;
    if (!statuses.every((s, k) => s && sameJob(s.config, requests[k]))) {
      config = { ...config, jobs: [] };
      publish();
      view.say("The run in this link has expired (the server keeps a run 30 minutes): press ▶ Play to train it "
        + "again with the same seed, which on the same server gives the same numbers.");
      return;
    }
    runConfig = { ...config, cells: [...config.cells] };
    runs = statuses.map((s, k) => ({ run: newRun(config.cells[k], s), close: null }));
    view.setRuns(runConfig.cells);
    runs.forEach((_, k) => listen(k));
    drawAll();
    view.say(`Replaying ${describe(runConfig)} from the server.`);
  }

  view.bind("config", (next) => {
    config = { ...next, jobs: [] }; // other knobs: the link no longer names these runs
    publish();
  });
  function preset(name) {
    const p = PRESETS[name];
    if (!p) return;
    config = { ...p.config, cells: [...p.config.cells], jobs: [] };
    view.setConfig(config);
    view.say(`${p.label}: press ▶ Play to race them.`);
    publish();
  }
  view.bind("preset", preset);
  view.bind("play", () => play());
  view.bind("stop", () => {
    for (const r of runs) {
      if (r.run.status === "queued" || r.run.status === "running") {
        jobAction(r.run.id, "stop").catch((err) => view.say(err.message));
      }
    }
  });
  view.bind("resume", () => {
    for (const r of runs) {
      if (r.run.status === "stopped") jobAction(r.run.id, "resume").catch((err) => view.say(err.message));
    }
  });
  view.bind("reset", () => {
    clear();
    config = { ...config, jobs: [] };
    view.say("");
    publish();
  });
  view.bind("open-model", (model) => emit("open-model", model));

  return {
    bind,
    /** Show a link's configuration; listen again to the jobs it names (a link's own runs are not restarted). */
    show(fields) {
      const { config: next, rejected } = configFromLink(fields);
      const same = JSON.stringify(linkOf(next)) === JSON.stringify(linkOf(config));
      if (same && (runs.length || !next.jobs.length)) return rejected;
      clear();
      config = next;
      view.setConfig(config);
      view.say(rejected.length ? `Some of this link could not be used: ${rejected.join("; ")}.` : "");
      if (config.jobs.length) reuse();
      return rejected;
    },
    preset,
    redraw() {
      view.redraw();
    },
  };
}
