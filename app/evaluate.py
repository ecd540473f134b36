"""How well a model has learnt what it was trained for: lesson accuracies, generated samples.

Pure functions over a loaded `Model`; the `lstm-viz eval` command prints them and records them in the card.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from app.cells import forward
from app.lstm import Trace, logits, softmax
from app.model_store import Model


def trace_text(model: Model, text: str) -> tuple[list, Trace]:
    tokens = model.tokenizer.tokenize(text)
    return tokens, forward(model.compiled, np.array([t.id for t in tokens], dtype=np.int64))


def next_token_probs(model: Model, text: str) -> tuple[list, np.ndarray]:
    """Tokens of text and P(next token) after each of them, (T, V)."""
    tokens, trace = trace_text(model, text)
    return tokens, softmax(logits(model.params, trace.layers[-1].h))


def case_predictions(model: Model, cases: Iterable) -> list[dict]:
    """For (doc, case) pairs of app.corpora.lesson: the model's top-1 word where the case's target is due."""
    out = []
    cache: dict[str, np.ndarray] = {}
    vocab = model.tokenizer.vocab
    for doc, case in cases:
        if doc.text not in cache:
            cache[doc.text] = next_token_probs(model, doc.text)[1]
        p = cache[doc.text][case.target_index - 1]  # after reading tokens[:target_index]
        top = vocab[int(np.argmax(p))]
        expected = case.target.lower() if model.tokenizer.lowercase else case.target
        out.append({"cue": case.cue, "expected": expected, "predicted": top, "correct": top == expected,
                    "distance": case.distance, "prob": float(p[model.tokenizer.lookup(case.target)])})
    return out


def accuracy(predictions: list[dict]) -> dict:
    """Top-1 accuracy overall and per distance (words between cue and prediction)."""
    by_distance: dict[int, list[bool]] = defaultdict(list)
    for p in predictions:
        by_distance[p["distance"]].append(p["correct"])
    n = len(predictions)
    return {
        "accuracy": sum(p["correct"] for p in predictions) / n if n else None,
        "n": n,
        "by_distance": {str(d): round(sum(v) / len(v), 4) for d, v in sorted(by_distance.items())},
    }


def evaluate_lesson(model: Model, seed: int = 0) -> dict:
    """Held-out (test split) tense and two-person cuisine accuracy, and the lecture's own sentences."""
    from app.corpora import lesson

    test = lesson.split_records(seed)["test"]
    tense = case_predictions(model, lesson.tense_cases(test))
    passages = [d for d in test if d.kind == "passage"]
    cuisine = case_predictions(model, lesson.cuisine_cases(passages))
    lecture = []
    for doc in lesson.lecture_records():
        for case, pred in zip(doc.cases, case_predictions(model, [(doc, c) for c in doc.cases]), strict=True):
            if case.kind in ("tense", "cuisine"):
                lecture.append({"text": doc.text, **pred})
    return {
        "split": f"app/corpora/lesson.py split_records(seed={seed})['test'] (held-out combinations)",
        "tense": accuracy(tense),
        "cuisine_two_person": accuracy(cuisine),
        "lecture": lecture,
        "lecture_all_correct": all(p["correct"] for p in lecture),
    }


def sample(model: Model, prompt: str, length: int, rng: np.random.Generator, temperature: float = 0.8) -> str:
    """Continue prompt by sampling `length` tokens, one step of the engine at a time from the carried state."""
    tokens, trace = trace_text(model, prompt)
    state = trace.final
    h_top = trace.layers[-1].h[-1:] if tokens else state.h[-1:]
    pieces = []
    for _ in range(length):
        z = logits(model.params, h_top).astype(np.float64)[0] / temperature
        p = softmax(z[None])[0]
        j = int(rng.choice(len(p), p=p))
        pieces.append(model.tokenizer.vocab[j])
        step = forward(model.compiled, np.array([j]), state)
        state, h_top = step.final, step.layers[-1].h
    return prompt + ("".join(pieces) if model.tokenizer.kind == "char" else " " + " ".join(pieces))
