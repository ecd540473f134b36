"""`lstm-viz train --task tense|brackets|lesson`: the live trainer in the terminal, printing the progress lines a
job's events carry (app/training/live.py), and writing the model files when `--id` is given."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from app.training.live import LiveConfig, Trainer, card, initial_state, problems, progress_line, run
from app.training.tasks import TASKS

TASK_DEFAULTS = {"hidden": 16, "embedding": 16, "lr": 0.01, "clip": 1.0}


def parse_distance(text: str | None, task: str) -> tuple[int, int]:
    """"30" -> (30, 30), "20-40" -> (20, 40); None -> the task's default."""
    if text is None:
        return TASKS[task].default_distance
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise ValueError(f"--distance {text!r}: give N or MIN-MAX, e.g. 30 or 20-40") from None


def config_of(args: argparse.Namespace) -> LiveConfig:
    for key, value in TASK_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    d_min, d_max = parse_distance(args.distance, args.task)
    return LiveConfig(task=args.task, cell=args.cell, hidden_size=args.hidden, embedding_size=args.embedding,
                      distance_min=d_min, distance_max=d_max, learning_rate=args.lr, steps=args.steps,
                      batch_size=args.batch, clip=args.clip, seed=args.seed, progress_every=args.progress_every,
                      snapshot_every=args.snapshot_every)


def snapshot_line(data: dict) -> str:
    answer = ", ".join(f"P({w}) = {p:.2f}" for w, p in data["answer"].items())
    return f"snapshot step {data['step']}: probe … {' '.join(data['tokens'][-4:])} → {data['target']}: {answer}"


def cmd_train_task(args: argparse.Namespace) -> int:
    try:
        config = config_of(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    found = problems(config)
    if args.layers != 1 or args.embedding == 0:
        found.append("--task trains one layer with an embedding: leave out --layers and --embedding 0")
    if found:
        print("error: " + "; ".join(found), file=sys.stderr)
        return 2
    events = args.events.open("w", encoding="utf-8") if args.events else None

    def emit(kind: str, data: dict) -> None:
        if events is not None:
            events.write(json.dumps({"event": kind, **data}) + "\n")
        if not args.quiet:
            print(progress_line(data) if kind == "progress" else snapshot_line(data), flush=True)

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # one BLAS thread: the same weights as a job of the same request
        trainer = Trainer(config)
        state = initial_state(config)
        run(config, state, emit, trainer=trainer)
        accuracy = {str(d): a for d, a in trainer.accuracy(state.params).items()}
    if events is not None:
        events.write(json.dumps({"event": "finished", "step": state.step, "accuracy": accuracy,
                                 "wall_time_s": round(state.wall_time, 2)}) + "\n")
        events.close()
    print(f"finished: step {state.step}, held-out accuracy {accuracy}, {state.wall_time:.1f} s", flush=True)
    if args.id is not None:
        from app.model_store import params_for_card, write_model

        model_card = card(config, args.id, state.step, state.wall_time, accuracy, title=args.title,
                          command=shlex.join(["lstm-viz", "train", *args.argv]))
        if args.description:
            model_card["description"] = args.description
        params = params_for_card(state.params, len(trainer.task.vocab), model_card)
        path = write_model(Path(args.out), model_card, params)
        print(f"wrote {path}", file=sys.stderr)
    return 0
