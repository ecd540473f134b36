"""The training loop: batches, validation, the best checkpoint, resumable state, progress, model files.

Deterministic for a seed: the batch at step s comes from `default_rng([seed, s])`, so a run resumed
from its checkpoint takes exactly the batches the uninterrupted run would have taken.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from app.engine.cells import spec
from app.training import network
from app.training.network import Adam, Params, clip_by_global_norm, cross_entropy

Batch = tuple[np.ndarray, np.ndarray, np.ndarray]  # ids, targets, mask: each (T, B)


@dataclass(frozen=True)
class Documents:
    """Separate documents (sentences, passages), each an id array; every sequence starts at a
    document's first token from the zero state, as typed text does. Padded batches with a mask.
    `weights` (optional, one float array per document): how much predicting each token counts in the
    loss (the mask's value at that target); 1 everywhere without it."""

    docs: tuple[np.ndarray, ...]
    max_len: int = 128
    weights: tuple[np.ndarray, ...] | None = None
    POOL = 8  # batches of documents drawn at once and sorted by length

    def _batch(self, chosen: list[int]) -> Batch:
        T = min(self.max_len, max(len(self.docs[j]) for j in chosen)) - 1
        ids = np.zeros((T, len(chosen)), np.int64)
        targets = np.zeros((T, len(chosen)), np.int64)
        mask = np.zeros((T, len(chosen)), np.float32)
        for b, j in enumerate(chosen):
            doc = self.docs[j][: T + 1]
            n = len(doc) - 1
            ids[:n, b], targets[:n, b] = doc[:-1], doc[1:]
            mask[:n, b] = 1 if self.weights is None else self.weights[j][1 : n + 1]
        return ids, targets, mask

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        """A batch of documents of similar length, so little of it is padding: POOL × batch_size random
        documents sorted by length, and one of the POOL runs of batch_size (each document of the corpus
        is as likely to be drawn as without the sorting)."""
        pool = rng.integers(0, len(self.docs), self.POOL * batch_size)
        order = pool[np.argsort([len(self.docs[j]) for j in pool], kind="stable")]
        k = int(rng.integers(self.POOL))
        return self._batch([int(j) for j in order[k * batch_size : (k + 1) * batch_size]])

    def fixed_batches(self, batch_size: int, limit: int | None = None) -> list[Batch]:
        n = len(self.docs) if limit is None else min(limit, len(self.docs))
        return [self._batch(list(range(a, min(a + batch_size, n)))) for a in range(0, n, batch_size)]


@dataclass(frozen=True)
class Stream:
    """Long texts (one id array per part, e.g. per play); windows of seq_len + 1 tokens from random
    offsets, each starting from the zero state (truncated backpropagation through time)."""

    parts: tuple[np.ndarray, ...]
    seq_len: int = 100

    def _windows(self, rng: np.random.Generator, n: int) -> Batch:
        lengths = np.array([len(p) for p in self.parts], dtype=np.float64)
        part_ids = rng.choice(len(self.parts), size=n, p=lengths / lengths.sum())
        rows = []
        for j in part_ids:
            part = self.parts[j]
            start = int(rng.integers(0, len(part) - self.seq_len - 1))
            rows.append(part[start : start + self.seq_len + 1])
        block = np.stack(rows, axis=1)  # (seq_len + 1, n)
        return block[:-1], block[1:], np.ones((self.seq_len, n), np.float32)

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        return self._windows(rng, batch_size)

    def fixed_batches(self, batch_size: int, limit: int | None = None) -> list[Batch]:
        rng = np.random.default_rng(12345)
        n = limit or 256
        return [self._windows(rng, min(batch_size, n - a)) for a in range(0, n, batch_size)]


def evaluate(params: Params, batches: list[Batch], cell: str = "lstm") -> float:
    """Mean loss per predicted token (nats) over fixed batches."""
    total, count = 0.0, 0.0
    for ids, targets, mask in batches:
        loss, _ = cross_entropy(network.forward(params, ids, spec(cell)).logits, targets, mask)
        total += loss * float(mask.sum())
        count += float(mask.sum())
    return total / max(count, 1.0)


@dataclass
class RunState:
    """Everything needed to resume: parameters, optimiser, step, best checkpoint and history."""

    params: Params
    adam: Adam
    best: Params
    best_valid: float = float("inf")
    best_step: int = 0
    history: list[dict] = field(default_factory=list)
    wall_time: float = 0.0
    recent_losses: list[float] = field(default_factory=list)  # the last 50 batch losses

    @property
    def step(self) -> int:
        return self.adam.step

    def save(self, path: Path) -> None:
        tensors = {f"params/{k}": v for k, v in self.params.items()}
        tensors |= {f"best/{k}": v for k, v in self.best.items()}
        if self.adam.m is not None and self.adam.v is not None:
            tensors |= {f"adam_m/{k}": v for k, v in self.adam.m.items()}
            tensors |= {f"adam_v/{k}": v for k, v in self.adam.v.items()}
        meta = {"step": self.adam.step, "lr": self.adam.lr, "best_valid": self.best_valid,
                "best_step": self.best_step, "history": self.history, "wall_time": self.wall_time,
                "recent_losses": self.recent_losses}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, tmp, metadata={"run": json.dumps(meta)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RunState:
        from safetensors import safe_open

        with safe_open(path, "np") as f:
            meta = json.loads(f.metadata()["run"])
        tensors = load_file(path)

        def group(prefix: str) -> Params:
            return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

        m, v = group("adam_m/"), group("adam_v/")
        adam = Adam(lr=meta["lr"], step=meta["step"], m=m or None, v=v or None)
        return cls(group("params/"), adam, group("best/"), meta["best_valid"], meta["best_step"], meta["history"],
                   meta["wall_time"], meta["recent_losses"])


def _progress(step: int, total: int, loss: float, tokens_per_s: float, eta: float, valid: float | None) -> None:
    width = 24
    done = int(width * step / max(total, 1))
    bar = "#" * done + "-" * (width - done)
    extra = f" valid {valid:.3f}" if valid is not None else ""
    sys.stderr.write(f"\r[{bar}] {step}/{total} loss {loss:.3f}{extra} {tokens_per_s:,.0f} tok/s ETA {eta:,.0f}s  ")
    sys.stderr.flush()


@dataclass(frozen=True)
class TrainConfig:
    steps: int
    batch_size: int = 32
    lr: float = 2e-3
    clip: float = 5.0
    seed: int = 0
    valid_every: int = 200
    checkpoint: Path | None = None
    snapshot_steps: tuple[int, ...] = ()
    progress: bool = True
    lr_final: float | None = None  # cosine decay from lr to lr_final over the run; None keeps lr constant
    stop_at: int | None = None  # end early at this step, with the schedule of the full run (reproductions)
    cell: str = "lstm"  # the cell (app.engine.cells) whose layers train

    def lr_at(self, step: int) -> float:
        """Learning rate of the update that makes step `step` + 1 (a function of the step alone, so
        a resumed run follows the same schedule)."""
        if self.lr_final is None:
            return self.lr
        progress = min(step / max(self.steps, 1), 1.0)
        return self.lr_final + (self.lr - self.lr_final) * 0.5 * (1 + math.cos(math.pi * progress))


def train(
    state: RunState,
    data: Documents | Stream,
    valid: list[Batch],
    config: TrainConfig,
    on_snapshot: Callable[[int, Params], None] | None = None,
) -> RunState:
    """Train from state.step up to config.steps. Validates every valid_every steps and at the end,
    keeping the best parameters; calls on_snapshot(step, params) at the snapshot steps."""
    started, start_step, tokens = time.perf_counter(), state.step, 0
    wall_before = state.wall_time
    last_valid = state.best_valid if state.history else None
    if state.step in config.snapshot_steps and on_snapshot:
        on_snapshot(state.step, state.params)
    last = config.steps if config.stop_at is None else min(config.stop_at, config.steps)
    while state.step < last:
        rng = np.random.default_rng([config.seed, state.step])
        ids, targets, mask = data.sample(rng, config.batch_size)
        loss, grads = network.loss_and_grads(state.params, ids, targets, mask, spec(config.cell))
        clip_by_global_norm(grads, config.clip)
        state.adam.lr = config.lr_at(state.step)
        state.adam.update(state.params, grads)
        state.recent_losses = (state.recent_losses + [loss])[-50:]
        tokens += int(np.count_nonzero(mask))  # predicted tokens (the mask also carries weights)
        step = state.step
        elapsed = time.perf_counter() - started
        state.wall_time = wall_before + elapsed
        if step % config.valid_every == 0 or step == config.steps:
            last_valid = evaluate(state.params, valid, config.cell)
            train_loss = float(np.mean(state.recent_losses))
            state.history.append({"step": step, "train_loss": train_loss, "valid_loss": last_valid})
            if last_valid < state.best_valid:
                state.best_valid, state.best_step = last_valid, step
                state.best = {k: v.copy() for k, v in state.params.items()}
            if config.checkpoint is not None:
                state.save(config.checkpoint)
        if step in config.snapshot_steps and on_snapshot:
            on_snapshot(step, state.params)
        if config.progress and (step % 10 == 0 or step == config.steps):
            rate = tokens / max(elapsed, 1e-9)
            eta = (config.steps - step) * elapsed / max(step - start_step, 1)
            _progress(step, config.steps, float(np.mean(state.recent_losses)), rate, eta, last_valid)
    if config.progress:
        sys.stderr.write("\n")
    return state
