"""How well a model has learnt what it was trained for: lesson accuracies, generated samples.

Pure functions over a loaded `Model`; the `lstm-viz eval` command prints them and records them in the card.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from app.engine.cells import forward
from app.engine.lstm import Trace, logits, softmax
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


STUDENT_SENTENCES = "app/corpora/student_sentences.txt"
STUDENT_LESSONS = "app/corpora/student_lessons.txt"


def _lines(path: str) -> list[str]:
    text = (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def vocabulary_coverage(model: Model, sentences: list[str]) -> dict:
    """Share of the word tokens (letters or digits; not punctuation) of `sentences` the model knows."""
    words = [t for s in sentences for t in model.tokenizer.tokenize(s) if any(ch.isalnum() for ch in t.text)]
    unk = model.tokenizer.unk_id
    unknown = sorted({t.text.lower() for t in words if t.id == unk})
    known = sum(t.id != unk for t in words)
    return {"known": round(known / len(words), 4) if words else None, "word_tokens": len(words),
            "sentences": len(sentences), "unknown": unknown}


def student_predictions(model: Model, lines: list[str]) -> list[dict]:
    """For each "... [word] ..." line: the model's top-1 word after the text before each [bracket]."""
    out = []
    for line in lines:
        plain = line.replace("[", "").replace("]", "")
        for m in re.finditer(r"\[([^\]]+)\]", line):
            before = line[: m.start()].replace("[", "").replace("]", "")
            tokens, probs = next_token_probs(model, before)
            p = probs[-1]
            top = model.tokenizer.vocab[int(np.argmax(p))]
            expected = m[1].lower() if model.tokenizer.lowercase else m[1]
            out.append({"text": plain, "expected": expected, "predicted": top, "correct": top == expected,
                        "prob": round(float(p[model.tokenizer.lookup(m[1])]), 4)})
    return out


def _share(predictions: list[dict]) -> dict:
    n = len(predictions)
    return {"accuracy": round(sum(p["correct"] for p in predictions) / n, 4) if n else None, "n": n}


def evaluate_lesson(model: Model, seed: int = 0) -> dict:
    """Tense and cuisine accuracy on the test split: held-out frames (the targets) and held-out words,
    reported apart; the lecture's sentences; the students' lesson sentences; vocabulary coverage of the
    students' everyday sentences."""
    from app.corpora import lesson

    test = lesson.test_records(seed)
    frames = [d for d in test if d.heldout == "frame"]
    words = [d for d in test if d.heldout == "word"]

    def lessons(docs: list) -> dict:
        def of_kind(kind: str) -> list:
            return [d for d in docs if d.kind == kind]

        return {
            "tense": accuracy(case_predictions(model, lesson.tense_cases(docs))),
            "cuisine": accuracy(case_predictions(model, lesson.cuisine_cases(of_kind("cuisine")))),
            "cuisine_two_person": accuracy(case_predictions(model, lesson.cuisine_cases(of_kind("passage")))),
        }

    lecture = []
    for doc in lesson.lecture_records():
        lecture += [{"text": doc.text, **p} for p in case_predictions(model, [(doc, c) for c in doc.cases])]
    students = student_predictions(model, _lines(STUDENT_LESSONS))
    return {
        "split": f"app/corpora/lesson.py split_records(seed={seed})['test']: {len(frames)} documents in sentence "
                 f"frames held out of training, {len(words)} in training frames with openers or names held out",
        **lessons(frames),
        "heldout_words": lessons(words),
        "lecture": lecture,
        "lecture_all_correct": all(p["correct"] for p in lecture),
        "students": {**_share(students), "source": STUDENT_LESSONS, "predictions": students},
        "vocabulary": {**vocabulary_coverage(model, _lines(STUDENT_SENTENCES)), "source": STUDENT_SENTENCES,
                       "size": len(model.tokenizer.vocab)},
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
