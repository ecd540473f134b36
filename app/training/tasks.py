"""Small synthetic memory tasks that train in seconds: what the live trainer (`app/training/live.py`, `lstm-viz
train --task`, POST /api/jobs) teaches a recurrent network, and how it is measured. Pure: NumPy and the corpora.

Every task is a word-level language-modelling task in which only a few predictions count (the loss weights the
others 0), each decided by a cue a `distance` words earlier:

- `tense`: a time cue first ("Today", "Last year", ...), then `distance` filler words (the lecture's reason
  phrases one after another, cut to length), then "I"; the prediction after "I" is need (present cue) or had
  (past cue). Chance: 1/2. Every filler word's prediction counts too, at weight 0.1 (`context_weight`): the
  network must follow the phrases (short-term) while it keeps the cue (long-term), which is what a vanilla RNN
  cannot do and an LSTM's cell state can (docs/training_live.md has the measured runs).
- `brackets`: 1-4 opening brackets, `distance` filler words, then the closing brackets and a full stop; the
  predictions after the first ")" count (another ")" or "."), so only a network that counted the brackets across
  the filler gets a document right. Chance: 1/4 (a network that counts the ")" it has seen is right when there
  were 4).
- `lesson`: a slice of the lesson corpus (app/corpora/lesson.py): tense documents in the lecture's frame (its
  21 present and 26 past openers, reasons, subjects and objects) with `distance` everyday filler words; need/had
  counts (the other words at 0.1, as `tense`). A vocabulary of the banks and the commonest filler words (others
  are <unk>). Chance: 1/2. (Cuisine documents too, LESSON_CUISINE_SHARE > 0, did not leave chance at H = 16 in
  2,000 steps.)

Each task has a fixed probe sentence (`probe`) whose gates the trainer snapshots, a held-out set drawn from its
own seeds (`held_out`), and its distance limits. A document is an `Example`: its words, the indices of the words
whose prediction counts, and per counted word the words it competes with (accuracy: the target scores above
them all; a document is right when every counted word is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from app.engine.tokenizer import Tokenizer

UNK = "<unk>"
MAX_DISTANCE = 60  # the most filler words any task puts between cue and prediction
HELD_OUT_SEED = 1_000_003  # held-out documents come from default_rng([seed, HELD_OUT_SEED, distance])
HELD_OUT_POINTS = 6  # distances measured, evenly spaced over the training range


@dataclass(frozen=True)
class Example:
    """One document: its words (T,), the indices whose prediction counts, and for each its competing words."""

    words: tuple[str, ...]
    targets: tuple[int, ...]  # indices into words: the predictions of these words count in the loss
    options: tuple[tuple[str, ...], ...]  # per target: the words it must score above (itself not included)
    distance: int

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    description: str
    vocab: tuple[str, ...]  # UNK first; lower-case words
    chance: float  # accuracy of a network that remembers nothing
    default_distance: tuple[int, int]
    example: Callable[[np.random.Generator, int], Example]  # (rng, distance) -> a document
    probe: Callable[[int], Example]  # distance -> the fixed probe sentence
    pool: int = 0  # > 0: training documents come from a fixed pool of this many (costly generators)
    context_weight: float = 0.0  # the loss weight of every other word's prediction (the counted words weigh 1)

    def tokenizer(self) -> Tokenizer:
        return Tokenizer("word", self.vocab, UNK, lowercase=True)


# ---------------------------------------------------------------------------------------------- tense

PRESENT_CUES = ("Today", "Now", "This year", "Nowadays")
PAST_CUES = ("Yesterday", "Last year", "Back then", "Previously")
_PAST_TENSE = {"was", "were", "went", "broke", "lost", "sold", "raised", "damaged", "stolen", "kept", "left",
               "given", "needs", "his", "its", "thought"}  # words that might hint a tense or read oddly


@cache
def filler_vocab() -> tuple[str, ...]:
    """The tense task's filler words: the lecture's reason phrases' words (app/corpora/lesson_banks.REASONS)
    without those that could hint a tense."""
    from app.corpora.lesson_banks import REASONS

    words = {w.lower() for r in REASONS for w in re.findall(r"[a-z']+", r.lower())}
    return tuple(sorted(words - _PAST_TENSE - {"i", "need", "had"}))


@cache
def filler_phrases() -> tuple[tuple[str, ...], ...]:
    """The lecture's reason phrases as words, those that could hint a tense left out."""
    from app.corpora.lesson_banks import REASONS

    phrases = (tuple(re.findall(r"[a-z']+", r.lower())) for r in REASONS)
    return tuple(p for p in phrases if not set(p) & (_PAST_TENSE | {"i", "need", "had"}))


def phrase_filler(rng: np.random.Generator, distance: int) -> tuple[str, ...]:
    """`distance` words: reason phrases one after another (the last cut short), so each next word can be
    predicted from the last few (the network must track them) and none tells the tense."""
    phrases, words = filler_phrases(), []
    while len(words) < distance:
        words.extend(phrases[int(rng.integers(len(phrases)))])
    return tuple(words[:distance])


def tense_example(rng: np.random.Generator, distance: int) -> Example:
    past = bool(rng.integers(2))
    cues = PAST_CUES if past else PRESENT_CUES
    cue = tuple(cues[int(rng.integers(len(cues)))].split())
    filler = phrase_filler(rng, distance)
    target, other = ("had", "need") if past else ("need", "had")
    words = (*cue, *filler, "I", target)
    return Example(words, (len(words) - 1,), ((other,),), distance)


def tense_probe(distance: int) -> Example:
    """The lecture's past sentence cut to its lesson: "Last year", `distance` filler words (the same for every
    job: default_rng(0)), "I" -> had."""
    words = ("Last", "year", *phrase_filler(np.random.default_rng(0), distance), "I", "had")
    return Example(words, (len(words) - 1,), (("need",),), distance)


def _tense_vocab() -> tuple[str, ...]:
    cue_words = {w.lower() for c in PRESENT_CUES + PAST_CUES for w in c.split()}
    return (UNK, *sorted(cue_words | set(filler_vocab()) | {"i", "need", "had"}))


# ---------------------------------------------------------------------------------------------- brackets

MAX_DEPTH = 4
BRACKET_FILLER = ("a", "b", "c", "d", "e", "f", "g", "h")


def _brackets(depth: int, filler: tuple[str, ...], distance: int) -> Example:
    words = ("(",) * depth + filler + (")",) * depth + (".",)
    first_close = depth + len(filler)
    counted = tuple(range(first_close + 1, len(words)))  # after the first ")": another ")" or the "."
    options = tuple(("." if words[k] == ")" else ")",) for k in counted)
    return Example(words, counted, options, distance)


def brackets_example(rng: np.random.Generator, distance: int) -> Example:
    depth = 1 + int(rng.integers(MAX_DEPTH))
    filler = tuple(BRACKET_FILLER[k] for k in rng.integers(len(BRACKET_FILLER), size=distance))
    return _brackets(depth, filler, distance)


def brackets_probe(distance: int) -> Example:
    filler = tuple(BRACKET_FILLER[k] for k in np.random.default_rng(0).integers(len(BRACKET_FILLER), size=distance))
    return _brackets(3, filler, distance)


# ---------------------------------------------------------------------------------------------- lesson slice

LESSON_FILLER_WORDS = 400  # the commonest filler words the slice's vocabulary keeps (the rest read as <unk>)
LESSON_POOL = 600  # training documents per job: generating one costs ~2 ms
LESSON_CUISINE_SHARE = 0.0  # cuisine documents in the slice (the rest tense): half of them made the default job fail


def _lesson_tokens(text: str) -> tuple[str, ...]:
    from app.corpora.lesson import _TOK

    return tuple(text[a:b] for a, b in _TOK.spans(text))


def _lesson_example(doc) -> Example:
    return Example(_lesson_tokens(doc.text), tuple(c.target_index for c in doc.cases),
                   tuple(tuple(f.lower() for f in c.foils) for c in doc.cases), int(dict(doc.atoms)["filler_words"]))


def lesson_example(rng: np.random.Generator, distance: int) -> Example:
    from app.corpora import lesson

    if rng.random() < LESSON_CUISINE_SHARE:
        return _lesson_example(lesson.draw_cuisine(rng, "lecture", n=distance))
    return _lesson_example(lesson.draw_tense(rng, "lecture", n=distance))


def lesson_probe(distance: int) -> Example:
    """The lecture's own sentence, whatever the distance."""
    from app.corpora.lecture import TENSE_PAST
    from app.corpora.lesson import tense_doc

    doc = tense_doc("Last year", "due to my current job situation and family conditions")
    assert doc.text == TENSE_PAST
    return _lesson_example(doc)


@cache
def _lesson_vocab() -> tuple[str, ...]:
    from app.corpora import lesson
    from app.corpora.words import filler_pool

    banks = [*lesson.PRESENT_OPENERS, *lesson.PAST_OPENERS, *lesson.REASONS, *lesson.SUBJECTS, *lesson.OBJECTS,
             *lesson.VERB.values(), *lesson.CUISINES, *lesson.FOODS, *lesson.NAMES, *lesson.EATS, *lesson.HABITS,
             *lesson.GUESSES, *lesson.ENDINGS, *(w for p in lesson.PRONOUN.values() for w in p), ", . ! ? ; : - '",
             *(t for f in lesson.FRAMES.values() for t, _ in f.values()), "he she his her"]
    plain = " ".join(re.sub(r"\{\w+\}|[\[\]]", " ", piece) for piece in banks).lower()
    words = set(_lesson_tokens(plain)) | set(filler_pool()[0][:LESSON_FILLER_WORDS])
    return (UNK, *sorted(words - {UNK}))


# ---------------------------------------------------------------------------------------------- registry

TASKS: dict[str, Task] = {
    "tense": Task("tense", "Tense across filler words",
                  "Remember the first word, a time cue (Today / Last year), across filler words and choose need or had "
                  "after \"I\".", _tense_vocab(), 1 / 2, (0, 30), tense_example, tense_probe, context_weight=0.1),
    "brackets": Task("brackets", "Count the brackets",
                     "Open 1-4 brackets, read filler letters, then close exactly as many: only a network that counted "
                     "across the filler knows when the full stop comes.",
                     (UNK, "(", ")", ".", *BRACKET_FILLER), 1 / MAX_DEPTH, (10, 10), brackets_example, brackets_probe),
    "lesson": Task("lesson", "A slice of the lesson corpus",
                   "The lecture's tense sentences from the lesson corpus, with everyday filler: need/had from the "
                   "time opener.", (), (1 - LESSON_CUISINE_SHARE) / 2 + LESSON_CUISINE_SHARE / 7, (0, 20),
                   lesson_example, lesson_probe, pool=LESSON_POOL, context_weight=0.1),
}


def task(name: str) -> Task:
    """The task by name, its vocabulary built (the lesson slice's on first use)."""
    t = TASKS[name]
    if not t.vocab:
        from dataclasses import replace

        t = replace(t, vocab=_lesson_vocab())
    return t


def check_distances(distance_min: int, distance_max: int) -> None:
    if not 0 <= distance_min <= distance_max <= MAX_DISTANCE:
        raise ValueError(f"distances must satisfy 0 <= min <= max <= {MAX_DISTANCE}, got {distance_min}-{distance_max}")


def examples(t: Task, rng: np.random.Generator, n: int, distance_min: int, distance_max: int) -> list[Example]:
    """n documents, each distance uniform in [distance_min, distance_max]."""
    check_distances(distance_min, distance_max)
    return [t.example(rng, int(rng.integers(distance_min, distance_max + 1))) for _ in range(n)]


def held_out_distances(distance_min: int, distance_max: int, points: int = HELD_OUT_POINTS) -> tuple[int, ...]:
    """Up to `points` distances evenly spaced over [min, max], both ends included."""
    return tuple(sorted({int(round(d)) for d in np.linspace(distance_min, distance_max, points)}))


def held_out(t: Task, seed: int, distances: tuple[int, ...], per_distance: int) -> dict[int, list[Example]]:
    """per_distance documents at each distance, from seeds no training batch uses."""
    return {d: [t.example(rng, d) for _ in range(per_distance)]
            for d in distances for rng in [np.random.default_rng([seed, HELD_OUT_SEED, d])]}


Batch = tuple[np.ndarray, np.ndarray, np.ndarray]  # ids, targets, mask: (T, B) each


def encode(tokenizer: Tokenizer, ex: Example) -> np.ndarray:
    """The example's ids (T,) (a word outside the vocabulary is <unk>)."""
    unk = tokenizer.index[UNK]
    return np.array([tokenizer.index.get(w.lower(), unk) for w in ex.words], np.int64)


def batch(tokenizer: Tokenizer, docs: list[Example], context_weight: float = 0.0) -> Batch:
    """Time-major padded arrays: ids (T, B) read, targets (T, B) predicted, mask (T, B): 1 where a counted word is
    predicted (input position target_index - 1), context_weight at the document's other positions, 0 in padding."""
    T = max(len(ex.words) for ex in docs) - 1
    ids = np.zeros((T, len(docs)), np.int64)
    targets = np.zeros((T, len(docs)), np.int64)
    mask = np.zeros((T, len(docs)), np.float32)
    for b, ex in enumerate(docs):
        seq = encode(tokenizer, ex)
        n = len(seq) - 1
        ids[:n, b], targets[:n, b] = seq[:-1], seq[1:]
        mask[:n, b] = context_weight
        mask[[k - 1 for k in ex.targets], b] = 1.0
    return ids, targets, mask


def option_ids(tokenizer: Tokenizer, docs: list[Example]) -> list[list[tuple[int, int, list[int]]]]:
    """Per document, per counted word: (input position, target id, competing ids)."""
    unk = tokenizer.index[UNK]
    out = []
    for ex in docs:
        seq = encode(tokenizer, ex)
        out.append([(k - 1, int(seq[k]), [tokenizer.index.get(w, unk) for w in opts])
                    for k, opts in zip(ex.targets, ex.options, strict=True)])
    return out


def correct(logits: np.ndarray, options: list[list[tuple[int, int, list[int]]]]) -> np.ndarray:
    """logits (T, B, V) of a batch of documents -> (B,) bool: every counted word scores above its competitors."""
    right = np.ones(len(options), bool)
    for b, counted in enumerate(options):
        for t, target, others in counted:
            right[b] &= bool(all(logits[t, b, target] > logits[t, b, o] for o in others))
    return right
