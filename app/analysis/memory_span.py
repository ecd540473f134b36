"""Memory span: how a lesson model's tense and cuisine accuracy falls with the number of words between
the cue (the time opener; the food) and the word it decides (need/had; the cuisine).

The probes are app.corpora.lesson_probes: the lecture's two frames with n filler words between cue and
prediction, n = 0..100 by default, past the training range (marked per point). The model reads each probe
up to the target word and is right when its likeliest next word is the target (top-1 over the whole
vocabulary, as `app.analysis.evaluate.case_predictions`).
"""

from __future__ import annotations

import numpy as np

from app.corpora import lesson_probes
from app.engine.cells import forward
from app.engine.lstm import logits, softmax
from app.model_store import Model

DISTANCES = (0, 1, 2, 3, 4, *range(5, 101, 5))


def predict(model: Model, probe: lesson_probes.Probe) -> tuple[bool, float]:
    """Whether the model's top-1 next word after tokens[:target_index] is the target, and its probability."""
    tokens = model.tokenizer.tokenize(probe.doc.text)
    ids = np.array([t.id for t in tokens[: probe.case.target_index]], dtype=np.int64)
    trace = forward(model.compiled, ids)
    p = softmax(logits(model.params, trace.layers[-1].h[-1:]))[0]  # (V,) after the last token read
    target = model.tokenizer.lookup(probe.case.target)
    return int(np.argmax(p)) == target, float(p[target])


def curve(model: Model, task: str, distances: tuple[int, ...], per_point: int, seed: int) -> dict:
    """Accuracy, mean probability of the target, probes and token distances at each filler length
    (None where no probe has that length)."""
    low, high = lesson_probes.TRAINING_RANGE[task]
    accuracy, mean_prob, counts, token_distance = [], [], [], []
    example = ""
    for n in distances:
        probes = lesson_probes.probes(task, n, per_point, seed)
        results = [predict(model, probe) for probe in probes]
        counts.append(len(results))
        if not results:
            accuracy.append(None)
            mean_prob.append(None)
            token_distance.append(None)
            continue
        accuracy.append(round(sum(ok for ok, _ in results) / len(results), 4))
        mean_prob.append(round(float(np.mean([p for _, p in results])), 4))
        steps = [probe.case.distance for probe in probes]
        token_distance.append([min(steps), max(steps)])
        if n == 10:
            example = probes[0].doc.text
    return {
        "frame": lesson_probes.FRAMES[task],
        "example": example,
        "training_range": [low, high],
        "in_training_range": [low <= n <= high for n in distances],
        "accuracy": accuracy,
        "mean_prob": mean_prob,
        "n": counts,
        "token_distance": token_distance,
        "chance": round(lesson_probes.CHANCE[task], 4),
    }


def memory_span(model: Model, per_point: int = 200, seed: int = 0, distances: tuple[int, ...] = DISTANCES) -> dict:
    """Both curves of one lesson model, as recorded in its card under evaluation.memory_span."""
    return {
        "definition": "top-1 accuracy at the word the cue decides (need/had; the cuisine), against the number of "
                      "filler words (reason phrases or habits and everyday words, as in training) between cue and "
                      "prediction in the lecture's two frames (app/corpora/lesson_probes.py); token_distance is "
                      "the [min, max] number of tokens between the cue's last token and the target at each point",
        "distances": list(distances),
        "unit": "filler words",
        "probes_per_point": per_point,
        "seed": seed,
        **{task: curve(model, task, distances, per_point, seed) for task in lesson_probes.TASKS},
    }
