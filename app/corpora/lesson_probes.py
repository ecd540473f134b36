"""Memory-span probes for the lesson corpus: the lecture's two frames with a chosen number of filler words
between the cue and the word to predict.

- tense:   "<opener>, <filler>, <subject> need|had to <object>." (frame tense:lecture)
- cuisine: "<Name> eats <food> <filler>, <guess> <ending> <Cuisine>." (frame cuisine:lecture; ending: "his
  favorite cuisine is", "the cuisine she loves most is", ...)

The filler is the corpus's own (`app.corpora.words.filler_words`: reason phrases or habits and runs of
everyday words that carry no cue), exactly n words; the corpus draws 0..MAX_FILLER words
(`TRAINING_RANGE`), and the probes go past it. With n = 0 the filler and its comma are left out. Each
probe's `case.distance` is the exact number of tokens between the cue's last token and the target.

Standard library + NumPy only; deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.corpora import lesson
from app.corpora.lesson import CUISINES, MAX_FILLER, Case, Doc

TASKS = ("tense", "cuisine")
FRAMES = {
    "tense": "<opener>, <filler>, <subject> need|had to <object>.",
    "cuisine": "<Name> eats <food> <filler>, <guess> <ending> <Cuisine>.",
}
CHANCE = {"tense": 1 / 2, "cuisine": 1 / len(CUISINES)}  # guessing among the competing words
TRAINING_RANGE = {task: (0, MAX_FILLER[task]) for task in TASKS}


@dataclass(frozen=True)
class Probe:
    """One probe: the filler words n between cue and prediction, and the corpus's own record of the
    sentence (`doc.text`; `case` locates cue and target as app.corpora.lesson does)."""

    task: str
    filler_words: int
    doc: Doc
    case: Case


def buildable(task: str, n: int) -> bool:
    """Whether a filler of n words exists (any n >= 0: single words fill any length)."""
    return n >= 0


def probes(task: str, n: int, count: int, seed: int = 0) -> list[Probe]:
    """`count` probes of `task` with n filler words, balanced over the answers (present and past openers
    in turn; the cuisines in turn). Each (task, n) has its own random stream: probes at one distance do
    not depend on which other distances are measured."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if not buildable(task, n):
        return []
    rng = np.random.default_rng([seed, TASKS.index(task), n])
    out = []
    names = tuple(CUISINES)
    for j in range(count):
        if task == "tense":
            doc = lesson.draw_tense(rng, "lecture", n=n, tense="present" if j % 2 == 0 else "past")
        else:
            doc = lesson.draw_cuisine(rng, "lecture", n=n, cuisine=names[j % len(names)])
        out.append(Probe(task, n, doc, doc.cases[-1]))
    return out
