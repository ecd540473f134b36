"""`lstm-viz eval MODEL`: measure a bundled model, find its notable units, optionally record both in its card.
`lstm-viz eval MODEL --memory-span`: a lesson model's accuracy against the distance from cue to prediction."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from app.cells import MEMORY
from app.corpora.examples import EXAMPLES
from app.evaluate import evaluate_lesson, sample
from app.memory_span import memory_span
from app.model_store import Model, load_model
from app.resources import resource_dir
from app.units import code_signals, correlated_units, line_position, minimal_pair_units

PAIRS = 200


def _cut_at_target(model: Model, text: str, target_index: int) -> str:
    return text[: model.tokenizer.tokenize(text)[target_index].start]


def lesson_units(model: Model, seed: int = 0) -> list[dict]:
    """Units that carry tense (present vs past opener) and cuisine (an Indian vs an Italian food) across
    the words between cue and prediction, from minimal pairs built on held-out test documents."""
    from app.corpora import lesson

    test = lesson.split_records(seed)["test"]
    rng = np.random.default_rng(seed)
    tense_pairs, cuisine_pairs = [], []
    for doc, case in lesson.tense_cases(test)[:PAIRS]:
        if case.cue not in lesson.PRESENT_OPENERS:
            continue
        other = lesson.PAST_OPENERS[int(rng.integers(len(lesson.PAST_OPENERS)))]
        a = _cut_at_target(model, doc.text, case.target_index)
        tense_pairs.append((a, a.replace(case.cue, other, 1), case.distance))
    italian = lesson.CUISINES["Italian"]
    for doc, case in lesson.cuisine_cases([d for d in test if d.kind == "cuisine"]):
        if case.target != "Indian" or len(cuisine_pairs) >= PAIRS:
            continue
        a = _cut_at_target(model, doc.text, case.target_index)
        food = italian[int(rng.integers(len(italian)))]
        cuisine_pairs.append((a, a.replace(case.cue, food, 1), case.distance))
    q = MEMORY[model.cell]  # c for an LSTM; h, the only memory of a vanilla RNN
    units = []
    for carries, pairs, meaning in (
        ("tense", tense_pairs, ("after a present-time opener (need)", "after a past-time opener (had)")),
        ("cuisine", cuisine_pairs, ("after an Indian food", "after an Italian food")),
    ):
        for found in minimal_pair_units(model, pairs):
            high, low = meaning if found[f"mean_delta_{q}"] > 0 else meaning[::-1]
            units.append({**found, "carries": carries, "pairs": len(pairs),
                          "note": f"{q} is higher {high} than {low}, across the words up to the prediction"})
    return units


def char_units(model: Model, corpus: str, text: str) -> list[dict]:
    """Cells that track quotes, brackets and indentation (Python) or the position in a line (both)."""
    signals = code_signals(text) if corpus == "python" else {"line_position": line_position(text)}
    units = []
    for name, signal in signals.items():
        for found in correlated_units(model, text, signal, top=2):
            units.append({**found, "carries": name, "note": f"c correlates with {name.replace('_', ' ')} "
                                                            f"(Pearson r over {len(text):,} held-out characters)"})
    return units


def _held_out_text(corpora_dir: Path, corpus: str, chars: int) -> str:
    from app.corpora.text_files import load_parts, split_parts

    _, valid = split_parts(load_parts(corpora_dir / corpus))
    return valid[0][:chars]


def corpus_of(model: Model) -> str:
    corpus = model.card.get("provenance", {}).get("corpus_name")
    if corpus:
        return corpus
    text = model.card.get("provenance", {}).get("corpus", "")
    return "lesson" if "lesson" in text else "python" if "CPython" in text else "shakespeare"


def cmd_memory_span(args: argparse.Namespace, path: Path, model: Model, command: str) -> int:
    """Measure the memory span alone and record it alone (evaluation.memory_span): every other field of
    the card stays as it is."""
    span = {**memory_span(model, args.probes, args.seed), "command": command}
    report = {task: dict(zip(span["distances"], span[task]["accuracy"], strict=True)) for task in ("tense", "cuisine")}
    print(json.dumps({"model": model.id, "memory_span_accuracy": report}, ensure_ascii=False))
    if args.write_card:
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card.setdefault("evaluation", {})["memory_span"] = span
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded in {card_path}", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    folder = args.models_dir or resource_dir("models")
    path = folder / f"{args.model}.safetensors"
    model = load_model(path)
    corpus = args.corpus or corpus_of(model)
    command = shlex.join(["lstm-viz", "eval", *args.argv])
    if args.memory_span:
        if corpus != "lesson":
            print(f"error: --memory-span measures lesson models; {model.id!r} was trained on {corpus}", file=sys.stderr)
            return 2
        return cmd_memory_span(args, path, model, command)
    if corpus == "lesson":
        evaluation = {**evaluate_lesson(model, args.seed), "command": command}
        units = lesson_units(model, args.seed)
        report = {"tense_accuracy": evaluation["tense"]["accuracy"],
                  "cuisine_two_person_accuracy": evaluation["cuisine_two_person"]["accuracy"],
                  "lecture": [(p["expected"], p["predicted"]) for p in evaluation["lecture"]]}
    else:
        text = _held_out_text(args.corpora_dir, corpus, args.chars)
        examples = model.card.get("examples") or EXAMPLES.get(corpus, ())
        prompt = model.card.get("sample_prompt") or (examples[0][:40] if examples else text[:40])
        generated = sample(model, prompt, 400, np.random.default_rng(args.seed), temperature=0.8)
        evaluation = {"sample": {"prompt": prompt, "temperature": 0.8, "seed": args.seed, "text": generated},
                      "command": command}
        units = char_units(model, corpus, text)
        report = {"sample": generated}
    print(json.dumps({"model": model.id, **report,
                      "notable_units": [(u["carries"], u["unit"], u.get(f"mean_delta_{MEMORY[model.cell]}",
                                                                        u.get("correlation")))
                                        for u in units]}, indent=2, ensure_ascii=False))
    if args.write_card:
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8"))
        span = card.get("evaluation", {}).get("memory_span")  # measured by --memory-span: kept
        card["evaluation"] = evaluation if span is None else {**evaluation, "memory_span": span}
        card["notable_units"] = units
        card["provenance"]["corpus_name"] = corpus
        card["examples"] = card.get("examples") or list(EXAMPLES.get(corpus, ()))
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded in {card_path}", file=sys.stderr)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure a model and find its notable units",
                       description="Lesson models: held-out tense and cuisine accuracy, the lecture's sentences, "
                                   "units found by minimal pairs; with --memory-span, accuracy against the words "
                                   "between cue and prediction instead. Char models: a generated sample and cells "
                                   "that track quotes, brackets, indentation or line position.")
    p.add_argument("model", metavar="MODEL", help="model id")
    p.add_argument("--models-dir", type=Path, default=None, help="folder of the model (default: the bundled models)")
    p.add_argument("--corpora-dir", type=Path, default=Path("corpora"), help="fetched corpora (default: %(default)s)")
    p.add_argument("--corpus", choices=("lesson", "shakespeare", "python"), default=None,
                   help="what the model was trained on (default: from its card)")
    p.add_argument("--chars", type=int, default=20_000, help="held-out characters for char models' units")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the pairs and the sample")
    p.add_argument("--memory-span", action="store_true",
                   help="lesson models: measure only tense and cuisine accuracy against 0-40 filler words between "
                        "cue and prediction (app/corpora/lesson_probes.py); --write-card records it alone, as "
                        "evaluation.memory_span")
    p.add_argument("--probes", type=int, default=200, help="--memory-span: probes per distance and task "
                                                           "(default: %(default)s)")
    p.add_argument("--write-card", action="store_true", help="record the results in the model's card")
    p.set_defaults(func=cmd_eval)
