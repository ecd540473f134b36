"""`lstm-viz eval MODEL`: measure a bundled model, find its notable units, optionally record both in its card.
`lstm-viz eval MODEL --memory-span`: a lesson model's accuracy against the distance from cue to prediction.
`lstm-viz eval MODEL --saturation [--snapshots]`: how often each gate is shut or wide open (app/analysis/saturation.py)
over the model's held-out text, for the model and, with --snapshots, its training snapshots MODEL-stepN first."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

import numpy as np

from app.analysis.evaluate import evaluate_lesson, sample, trace_text
from app.analysis.held_out import corpus_of, held_out_parts
from app.analysis.memory_span import memory_span
from app.analysis.saturation import (
    DEFAULT_THRESHOLD,
    MOSTLY,
    Tally,
    check_threshold,
    gate_quantities,
    right_threshold,
)
from app.analysis.saturation import report as saturation_report
from app.analysis.units import best_units, code_signals, line_position, partial_correlations, pearson
from app.corpora.examples import EXAMPLES
from app.engine.cells import spec
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
    text = "".join(part for _, part in held_out_parts(corpora_dir, corpus))
    size = chars // windows
    pieces = []
    for k in range(windows):
        at = text.find("\n\n\n", k * len(text) // windows)
        at = k * len(text) // windows if at < 0 else at + 3
        pieces.append(text[at : at + size])
    return "".join(pieces)


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


def snapshots_of(folder: Path, model_id: str) -> list[tuple[int, Path]]:
    """The training snapshots served beside a model, (step, weights path) by step: FOLDER/MODEL-stepN.safetensors
    (the ids the page's "watch it learn" slider reads, static/js/core/checkpoints.js)."""
    pattern = re.compile(rf"{re.escape(model_id)}-step(\d+)")
    return sorted((int(m[1]), p) for p in folder.glob("*.safetensors") if (m := pattern.fullmatch(p.stem)))


def saturation_texts(model: Model, corpus: str, args: argparse.Namespace) -> tuple[list[str], str]:
    """The texts `eval` measures the model on, and what they are: a lesson model's test split (every document
    held out of training); a char model's held-out validation text (`--chars` of it), or, when its corpus is not
    fetched, the card's examples (said so)."""
    if corpus == "lesson":
        from app.corpora import lesson

        docs = lesson.test_records(args.seed)
        return [d.text for d in docs], (f"the lesson test split (app/corpora/lesson.py, seed {args.seed}): "
                                        f"{len(docs):,} documents held out of training")
    try:
        text = _held_out_text(args.corpora_dir, corpus, args.chars)
    except FileNotFoundError as e:
        examples = list(model.card.get("examples") or EXAMPLES.get(corpus, ()))
        if not examples:
            raise
        return examples, (f"the model card's {len(examples)} examples, not held-out text: the {corpus} corpus is not "
                          f"fetched ({e})")
    return [text], f"{len(text):,} held-out characters of the {corpus} corpus (its validation files)"


def saturation_of(model: Model, texts: list[str], layer: int, threshold: float) -> dict:
    """Each text traced from the zero state; per gate of `layer`, the saturation fractions over all their steps."""
    cell, H = model.spec, model.params.hidden_size
    gates = gate_quantities(cell)
    counted = Tally(gates, H, threshold)
    for text in texts:
        if gates:
            tokens, trace = trace_text(model, text)
            counted.add(trace.layers[layer], len(tokens))
        else:  # nothing to count but the steps: tokenize, no trace
            counted.add(None, len(model.tokenizer.tokenize(text)))
    titles = {g: cell.panels[g]["title"] for g in gates}
    out = {"model": model.id, "cell": cell.name, "layer": layer, "hidden_size": H, "texts": counted.texts,
           "num_steps": counted.steps, "gates": {}}
    if not gates:
        out["note"] = f"{cell.article} has no gates (no quantity on the 0..1 gate scale): nothing to saturate"
    elif counted.steps:
        out["gates"] = {g: {"title": titles[g], **{k: v.tolist() if isinstance(v, np.ndarray) else v
                                                   for k, v in entry.items()}}
                        for g, entry in saturation_report(counted, titles).items()}
    else:
        out["note"] = "the texts have no tokens for this model: nothing to count"
    return out


def saturation_table(result: dict) -> list[str]:
    """One model's result as lines: a header, then per gate units mostly left / mostly right / neither and the
    mean fractions."""
    step, final = result.get("step"), result.get("final", True)
    when = (f" (final, training step {step:,})" if final else f" (training step {step:,})") if step is not None else ""
    lines = [f"{result['model']}{when}: {spec(result['cell']).title}, layer {result['layer']}, "
             f"H = {result['hidden_size']}, {result['num_steps']:,} steps"]
    if not result["gates"]:
        return [*lines, f"  {result['note']}"]
    H = result["hidden_size"]
    lines.append(f"  {'gate':<18} {'mostly left':>12} {'mostly right':>13} {'neither':>10} {'mean left':>10} "
                 f"{'mean right':>11}")
    for g, e in result["gates"].items():
        def units(n: int) -> str:
            return f"{n} ({round(100 * n / H)}%)"

        lines.append(f"  {g + ' ' + e['title']:<18} {units(e['mostly_left']):>12} {units(e['mostly_right']):>13} "
                     f"{units(e['neither']):>10} {e['mean_left']:>10.3f} {e['mean_right']:>11.3f}")
    return lines


def cmd_saturation(args: argparse.Namespace, folder: Path, model: Model, corpus: str) -> int:
    """Print the gate saturation of the model (after its snapshots, in step order, with --snapshots) over its
    held-out text: a table per model, or with --json one JSON object."""
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    layer = args.layer or 0
    try:
        check_threshold(threshold)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    steps = model.card.get("provenance", {}).get("steps")
    models: list[tuple[int | None, Path | None]] = []
    if args.snapshots:
        models = list(snapshots_of(folder, model.id))
        if not models:
            print(f"note: no training snapshots of {model.id!r} beside it (files {model.id}-stepN.safetensors in "
                  f"{folder}): the model alone", file=sys.stderr)
    models.append((steps if isinstance(steps, int) else None, None))
    L = model.params.num_layers
    if not 0 <= layer < L:
        print(f"error: layer {layer} is out of range: model {model.id!r} has layers 0 to {L - 1}", file=sys.stderr)
        return 2
    texts, about = saturation_texts(model, corpus, args)
    results = []
    for step, path in models:
        m = model if path is None else load_model(path)
        if not 0 <= layer < m.params.num_layers:
            print(f"error: layer {layer} is out of range: model {m.id!r} has layers 0 to {m.params.num_layers - 1}",
                  file=sys.stderr)
            return 2
        results.append({**saturation_of(m, texts, layer, threshold), "step": step, "final": path is None})
    right = right_threshold(threshold)
    if args.json:
        print(json.dumps({"corpus": about, "texts": len(texts), "layer": layer, "threshold": threshold,
                          "thresholds": {"left": threshold, "right": right}, "mostly": MOSTLY, "models": results},
                         ensure_ascii=False))
        return 0
    print(f"gate saturation over {about}")
    print(f"left-saturated (closed): below {threshold:g}; right-saturated (open): above {right:g}; "
          f"a unit counts as mostly one when it is on more than half the steps")
    for result in results:
        print()
        print("\n".join(saturation_table(result)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    folder = args.models_dir or resource_dir("models")
    path = folder / f"{args.model}.safetensors"
    model = load_model(path)
    corpus = args.corpus or corpus_of(model)
    command = shlex.join(["lstm-viz", "eval", *args.argv])
    only = [flag for flag, value in (("--snapshots", args.snapshots), ("--layer", args.layer is not None),
                                     ("--json", args.json), ("--threshold", args.threshold is not None)) if value]
    if args.saturation and (args.memory_span or args.write_card):
        print("error: --saturation only prints: leave out --memory-span and --write-card", file=sys.stderr)
        return 2
    if args.saturation:
        return cmd_saturation(args, folder, model, corpus)
    if only:
        print(f"error: {', '.join(only)} go{'es' if len(only) == 1 else ''} with --saturation: add it, or leave "
              f"{'it' if len(only) == 1 else 'them'} out", file=sys.stderr)
        return 2
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
    p.add_argument("--saturation", action="store_true",
                   help="only print, per gate (LSTM i, f, o; GRU r, z), the units mostly closed (below 0.1), mostly "
                        "open (above 0.9) or neither over the held-out text (lesson: the test split; char models: "
                        "--chars of the validation text, or the card's examples when the corpus is not fetched), "
                        "with the mean fractions (docs/saturation.md)")
    p.add_argument("--snapshots", action="store_true", help="--saturation: the training snapshots served beside the "
                                                            "model (MODEL-stepN) first, in step order")
    p.add_argument("--layer", type=int, default=None, help="--saturation: the layer (default: 0)")
    p.add_argument("--threshold", type=float, default=None,
                   help=f"--saturation: closed below it, open above 1 − it (default: {DEFAULT_THRESHOLD})")
    p.add_argument("--json", action="store_true", help="--saturation: one JSON object, per-unit fractions included")
    p.set_defaults(func=cmd_eval)
