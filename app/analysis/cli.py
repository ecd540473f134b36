"""`lstm-viz eval MODEL`: measure a bundled model, find its notable units, optionally record both in its card.
`lstm-viz eval MODEL --memory-span`: a lesson model's accuracy against the distance from cue to prediction."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from app.analysis.evaluate import evaluate_lesson, sample, trace_text
from app.analysis.memory_span import memory_span
from app.analysis.units import best_units, code_signals, line_position, partial_correlations, pearson
from app.corpora.examples import EXAMPLES
from app.model_store import Model, load_model
from app.resources import resource_dir


def _property_rows(model: Model, docs: list, kind: str, label) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Memory (c, or h for an RNN) at every token from each case's cue to the token before its target,
    with the property's label per row and the confounds: tokens since the cue and position in the text."""
    from app.corpora import lesson

    q = model.spec.memory
    rows, labels, confounds = [], [], []
    for doc, case in lesson.cases_of(docs, kind):
        y = label(case)
        if y is None:
            continue
        _, trace = trace_text(model, doc.text)
        span = np.arange(case.cue_index, case.target_index)
        rows.append(trace.layers[-1][q][span])
        labels.append(np.full(len(span), float(y)))
        confounds.append(np.column_stack([span - case.cue_index, span]))
    return np.concatenate(rows), np.concatenate(labels), np.concatenate(confounds)


LESSON_PROPERTIES = {
    # carries: (case kind, label of a case or None to leave it out, (meaning of high, of low))
    "tense": ("tense", lambda case: case.target == "need", ("after a present-time word (need)",
                                                            "after a past-time word (had)")),
    "cuisine": ("cuisine", lambda case: {"Indian": 1, "Italian": 0}.get(case.target),
                ("after an Indian food", "after an Italian food")),
}


def lesson_units(model: Model, seed: int = 0) -> list[dict]:
    """The best two units per lesson property by partial correlation on documents in held-out frames (the
    model never saw them), controlling for the tokens since the cue and the position in the text; each
    with the minimal-pair Δ of its memory on the same documents (the cue swapped, the rest kept)."""
    from app.corpora import lesson

    test = [d for d in lesson.test_records(seed) if d.heldout == "frame"]
    q = model.spec.memory
    units = []
    for carries, (kind, label, (high, low)) in LESSON_PROPERTIES.items():
        x, y, confounds = _property_rows(model, test, kind, label)
        r = partial_correlations(x, y, confounds)
        mean = {k: x[y == k].mean(axis=0) for k in (0.0, 1.0)}
        for unit, pr, weak in best_units(r):
            delta = float(mean[1.0][unit] - mean[0.0][unit])
            hi, lo = (high, low) if delta > 0 else (low, high)
            units.append({"layer": model.params.num_layers - 1, "unit": unit, "carries": carries,
                          "partial_correlation": pr, "weak": weak, f"mean_delta_{q}": round(delta, 4),
                          "positions": int(len(y)),
                          "note": f"{q} is higher {hi} than {lo} on sentences in frames the model never saw "
                                  f"(partial r = {pr:+.2f}, controlling for the words since the cue and the "
                                  f"position{'; weak' if weak else ''})"})
    return units


def char_units(model: Model, corpus: str, text: str) -> list[dict]:
    """The best two cells per property of the text (Python: inside a string, bracket depth, indentation,
    line position; others: line position) by partial correlation on held-out text, each controlling for
    the other properties (so a line-position cell is not called a bracket cell)."""
    signals = code_signals(text) if corpus == "python" else {"line_position": line_position(text)}
    _, trace = trace_text(model, text)
    x = trace.layers[-1][model.spec.memory]
    units = []
    for name, signal in signals.items():
        others = [s for k, s in signals.items() if k != name]
        confounds = np.column_stack(others) if others else np.zeros((len(signal), 0))
        r = partial_correlations(x, signal, confounds)
        plain = pearson(x, signal)  # from the same trace: the text is traced once for every signal
        controls = ", ".join(k.replace("_", " ") for k in signals if k != name)
        for unit, pr, weak in best_units(r):
            measured = (f"partial r = {pr:+.2f}, controlling for {controls}; r = {plain[unit]:+.2f}" if controls
                        else f"r = {pr:+.2f}")
            units.append({"layer": model.params.num_layers - 1, "unit": unit, "carries": name,
                          "partial_correlation": pr, "correlation": round(float(plain[unit]), 4), "weak": weak,
                          "note": f"c follows {name.replace('_', ' ')} on {len(text):,} held-out characters "
                                  f"({measured}{'; weak' if weak else ''})"})
    return units


def _held_out_text(corpora_dir: Path, corpus: str, chars: int, windows: int = 10) -> str:
    """`chars` characters of the validation text (never trained on), in `windows` stretches spread evenly
    through it, each starting after a blank line pair (a top-level boundary), so several files and
    styles are in it."""
    from app.corpora.text_files import load_parts, split_parts

    _, valid = split_parts(load_parts(corpora_dir / corpus))
    text = "".join(valid)
    size = chars // windows
    pieces = []
    for k in range(windows):
        at = text.find("\n\n\n", k * len(text) // windows)
        at = k * len(text) // windows if at < 0 else at + 3
        pieces.append(text[at : at + size])
    return "".join(pieces)


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
                  "cuisine_accuracy": evaluation["cuisine"]["accuracy"],
                  "cuisine_two_person_accuracy": evaluation["cuisine_two_person"]["accuracy"],
                  "heldout_words": {k: v["accuracy"] for k, v in evaluation["heldout_words"].items()},
                  "students": evaluation["students"]["accuracy"],
                  "vocabulary_known": evaluation["vocabulary"]["known"],
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
                      "notable_units": [(u["carries"], u["unit"], u["partial_correlation"], "weak" if u["weak"] else "")
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
    p.add_argument("--chars", type=int, default=60_000, help="held-out characters for char models' units "
                                                             "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the pairs and the sample")
    p.add_argument("--memory-span", action="store_true",
                   help="lesson models: measure only tense and cuisine accuracy against 0-100 filler words between "
                        "cue and prediction (app/corpora/lesson_probes.py); --write-card records it alone, as "
                        "evaluation.memory_span")
    p.add_argument("--probes", type=int, default=200, help="--memory-span: probes per distance and task "
                                                           "(default: %(default)s)")
    p.add_argument("--write-card", action="store_true", help="record the results in the model's card")
    p.set_defaults(func=cmd_eval)
