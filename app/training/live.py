"""The live trainer: a small network on a task of app/training/tasks.py, reporting as it goes. One function runs
it for `lstm-viz train --task` and for a job of POST /api/jobs (in the job's own process); both print or stream
the same events. No web imports.

Events (`emit(kind, data)`), in order:
    progress  every progress_every steps and at the last: {step, steps, loss (mean of the last progress_every batch
              losses, nats per counted word), accuracy: {distance: share of held-out documents right},
              mean_accuracy, chance, elapsed_s}
    snapshot  at step 0, every snapshot_every steps and at the last: {step, tokens: the probe's words, targets: the
              indices whose prediction counts, answer: {word: probability} at the probe's last counted word,
              layers: [{quantity: T×H list, rounded to 4 decimals}]}: the cell's own quantities (app.engine.cells)
Deterministic for a config: parameters from default_rng(seed), the batch at step s from default_rng([seed, s])
(as app/training/loop.py), one BLAS thread (the caller's). A run stopped at step s and resumed from its RunState
makes the same weights as one that never stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from app.engine.cells import spec
from app.training import network, tasks
from app.training.loop import Documents, RunState
from app.training.network import Adam, Params, clip_by_global_norm, cross_entropy, init_params

Emit = Callable[[str, dict], None]


@dataclass(frozen=True)
class LiveConfig:
    """One run. Bounds are the API's (app/serving/schemas.py JobRequest) and the CLI's."""

    task: str = "tense"
    cell: str = "lstm"
    hidden_size: int = 16
    embedding_size: int = 16
    distance_min: int = 0
    distance_max: int = 30
    learning_rate: float = 0.01
    steps: int = 2000
    batch_size: int = 32
    clip: float = 1.0
    seed: int = 0
    progress_every: int = 100
    snapshot_every: int = 500
    held_out_per_distance: int = 64

    def as_dict(self) -> dict:
        return asdict(self)


# The bounds of a run, the API's (app/serving/schemas.py JobRequest reads them) and the CLI's.
BOUNDS = {"hidden_size": (2, 64), "embedding_size": (2, 64), "distance_min": (0, tasks.MAX_DISTANCE),
          "distance_max": (0, tasks.MAX_DISTANCE), "learning_rate": (1e-5, 0.1), "steps": (1, 20_000),
          "batch_size": (1, 128), "seed": (0, 2**31 - 1), "progress_every": (1, 20_000), "snapshot_every": (1, 20_000)}
MAX_PROGRESS_EVENTS, MAX_SNAPSHOTS = 200, 20
MAX_WORK = 30_000_000  # steps × batch_size × (distance_max + 8): ten times the default job's word positions


def problems(config: LiveConfig) -> list[str]:
    """What is out of bounds in a config, each saying what to change (empty: none)."""
    out = [f"{key} = {getattr(config, key)} is outside {low:g}-{high:g}" for key, (low, high) in BOUNDS.items()
           if not low <= getattr(config, key) <= high]
    if config.task not in tasks.TASKS:
        out.append(f"task {config.task!r} is not one of {', '.join(tasks.TASKS)}")
    if config.distance_min > config.distance_max:
        out.append(f"distance_min = {config.distance_min} is above distance_max = {config.distance_max}: make "
                   "min <= max")
    if config.steps > MAX_PROGRESS_EVENTS * config.progress_every:
        out.append(f"progress_every = {config.progress_every} makes more than {MAX_PROGRESS_EVENTS} progress events "
                   f"in {config.steps} steps: use at least {-(-config.steps // MAX_PROGRESS_EVENTS)}")
    if config.steps > MAX_SNAPSHOTS * config.snapshot_every:
        out.append(f"snapshot_every = {config.snapshot_every} makes more than {MAX_SNAPSHOTS} snapshots in "
                   f"{config.steps} steps: use at least {-(-config.steps // MAX_SNAPSHOTS)}")
    work = config.steps * config.batch_size * (config.distance_max + 8)
    if work > MAX_WORK:
        out.append(f"steps × batch_size × (distance_max + 8) = {work:,} is above {MAX_WORK:,}: lower steps, "
                   "batch_size or distance_max")
    return out


DECIMALS = 4  # snapshot numbers: 1e-4 is below what a heatmap shows and keeps an event a few kB


def initial_state(config: LiveConfig) -> RunState:
    t = tasks.task(config.task)
    params = init_params(np.random.default_rng(config.seed), len(t.vocab), config.embedding_size,
                         config.hidden_size, 1, cell=spec(config.cell))
    return RunState(params=params, adam=Adam(lr=config.learning_rate), best={})


class Trainer:
    """What a run reads besides its state: the task, its tokenizer, held-out set, probe and training pool."""

    def __init__(self, config: LiveConfig) -> None:
        tasks.check_distances(config.distance_min, config.distance_max)
        self.config = config
        self.task = tasks.task(config.task)
        self.tokenizer = self.task.tokenizer()
        self.distances = tasks.held_out_distances(config.distance_min, config.distance_max)
        self.held_out = {d: (tasks.batch(self.tokenizer, docs), tasks.option_ids(self.tokenizer, docs))
                         for d, docs in tasks.held_out(self.task, config.seed, self.distances,
                                                       config.held_out_per_distance).items()}
        self.probe = self.task.probe(config.distance_max)
        self.pool = None
        if self.task.pool:  # a costly generator: a fixed pool of documents, sampled as Documents samples a corpus
            docs = tasks.examples(self.task, np.random.default_rng([config.seed, 7]), self.task.pool,
                                  config.distance_min, config.distance_max)
            weights = []
            for ex in docs:
                w = np.full(len(ex.words), self.task.context_weight, np.float32)
                w[list(ex.targets)] = 1.0
                weights.append(w)
            self.pool = Documents(tuple(tasks.encode(self.tokenizer, ex) for ex in docs), max_len=10_000,
                                  weights=tuple(weights))

    def batch(self, step: int) -> tasks.Batch:
        c = self.config
        rng = np.random.default_rng([c.seed, step])
        if self.pool is not None:
            return self.pool.sample(rng, c.batch_size)
        return tasks.batch(self.tokenizer, tasks.examples(self.task, rng, c.batch_size, c.distance_min,
                                                          c.distance_max), self.task.context_weight)

    def accuracy(self, params: Params) -> dict[int, float]:
        """Held-out accuracy per distance."""
        out = {}
        for d, ((ids, _, _), options) in self.held_out.items():
            logits = network.forward(params, ids, spec(self.config.cell)).logits
            out[d] = float(tasks.correct(logits, options).mean())
        return out

    def snapshot(self, params: Params, step: int) -> dict:
        """The probe's every quantity (the engine's forward pass, as /api/trace computes it) and its answer."""
        from app.model_store import compile_model, params_from_tensors

        cell = spec(self.config.cell)
        stacked = params_from_tensors(params, len(self.task.vocab), cell.name)
        ids = tasks.encode(self.tokenizer, self.probe)
        trace = cell.forward(compile_model(stacked), ids[:-1])
        layers = [{q: np.round(layer[q].astype(np.float64), DECIMALS).tolist() for q in cell.quantities}
                  for layer in trace.layers]
        t = self.probe.targets[-1]
        z = network.forward(params, ids[:-1, None], cell).logits[t - 1, 0]
        p = np.exp(z - z.max())
        p /= p.sum()
        words = (self.probe.words[t], *self.probe.options[-1])
        answer = {w.lower(): round(float(p[self.tokenizer.index[w.lower()]]), DECIMALS) for w in words}
        return {"step": step, "tokens": list(self.probe.words[:-1]), "targets": [k - 1 for k in self.probe.targets],
                "target": self.probe.words[t], "answer": answer, "layers": layers}


def run(config: LiveConfig, state: RunState, emit: Emit, should_stop: Callable[[], bool] = lambda: False,
        trainer: Trainer | None = None) -> bool:
    """Train `state` up to config.steps, emitting progress and snapshots. Returns True when it reached the last
    step, False when should_stop() said stop first (the state is then resumable: run it again)."""
    trainer = trainer or Trainer(config)
    cell = spec(config.cell)
    started = time.perf_counter() - state.wall_time
    if state.step == 0:
        emit("snapshot", trainer.snapshot(state.params, 0))
    while state.step < config.steps:
        if should_stop():
            return False
        ids, targets, mask = trainer.batch(state.step)
        cache = network.forward(state.params, ids, cell)
        loss, dlogits = cross_entropy(cache.logits, targets, mask)
        grads = network.backward(state.params, cache, dlogits, cell)
        clip_by_global_norm(grads, config.clip)
        state.adam.lr = config.learning_rate
        state.adam.update(state.params, grads)
        state.recent_losses = (state.recent_losses + [loss])[-config.progress_every:]
        step = state.step
        state.wall_time = time.perf_counter() - started
        if step % config.progress_every == 0 or step == config.steps:
            accuracy = trainer.accuracy(state.params)
            loss = round(float(np.mean(state.recent_losses)), 5)
            emit("progress", {"step": step, "steps": config.steps, "loss": loss,
                              "accuracy": {str(d): a for d, a in accuracy.items()},
                              "mean_accuracy": round(float(np.mean(list(accuracy.values()))), 5),
                              "chance": round(trainer.task.chance, 5), "elapsed_s": round(state.wall_time, 2)})
        if step % config.snapshot_every == 0 or step == config.steps:
            emit("snapshot", trainer.snapshot(state.params, step))
    return True


def progress_line(data: dict) -> str:
    """A progress event as the CLI prints it: `step 400/2000  loss 0.412  accuracy 30:0.98 (mean 0.98, chance
    0.50)  3.1 s`."""
    by_distance = " ".join(f"{d}:{a:.2f}" for d, a in data["accuracy"].items())
    return (f"step {data['step']}/{data['steps']}  loss {data['loss']:.3f}  accuracy {by_distance} "
            f"(mean {data['mean_accuracy']:.2f}, chance {data['chance']:.2f})  {data['elapsed_s']:.1f} s")


def card(config: LiveConfig, model_id: str, step: int, wall_time_s: float, accuracy: dict[str, float],
         title: str | None = None, command: str | None = None) -> dict:
    """The model card of a finished run: what it is, how it was trained, what it reached."""
    cell = spec(config.cell)
    t = tasks.task(config.task)
    distance = (f"{config.distance_min}" if config.distance_min == config.distance_max
                else f"{config.distance_min}-{config.distance_max}")
    return {
        "id": model_id,
        "title": title or f"{cell.title} on {config.task}, {distance} words apart",
        "description": f"{cell.article[0].upper()}{cell.article[1:]} (H = {config.hidden_size}) trained live for "
                       f"{step} steps on the task {t.name!r}: {t.description}",
        "cell": cell.name,
        **cell.card_options({}),
        "tokenizer": t.tokenizer().to_card(),
        "sizes": {"vocab_size": len(t.vocab), "embedding_size": config.embedding_size,
                  "hidden_size": config.hidden_size, "num_layers": 1},
        "provenance": {"corpus_name": f"task:{t.name}", "corpus": f"app/training/tasks.py {t.name!r}, distances "
                       f"{distance}", "licence": "MIT (generated by project code)", "command": command or "",
                       "steps": step, "run_steps": config.steps, "live": config.as_dict(),
                       "wall_time_s": round(wall_time_s, 2),
                       "held_out_accuracy": accuracy, "chance": t.chance},
        "examples": [trainer_probe_text(config)],
        "notable_units": [],
    }


def trainer_probe_text(config: LiveConfig) -> str:
    """The probe sentence up to its answer's word (the model's example text)."""
    probe = tasks.task(config.task).probe(config.distance_max)
    return " ".join(probe.words[: probe.targets[-1]])
