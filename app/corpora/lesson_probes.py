"""Memory-span probes for the lesson corpus: its own two sentences with a chosen number of filler words
in the slot each sentence already has between the cue and the word to predict.

- tense:   "<opener>, <filler>, I need|had to <object>."
           The filler is the sentence's reason clause, built as the corpus builds it (reason phrases joined
           by "and", a one-word adverb where a length needs one, no phrase twice), for any n. The corpus
           draws 0..MAX_CLAUSE words (`TRAINING_RANGE`); with n = 0 the clause and its comma are left out.
           As in the corpus, an adverb before reasons takes a comma of its own that n does not count.
- cuisine: "<Name> eats <food> <filler>, <guess> his|her favorite cuisine is <Cuisine>."
           The filler is the sentence's habit ("almost everyday", "at every meal", ...), or several habits
           joined by "and". The corpus writes exactly one habit, 2 or 3 words. Habits have 2 or 3 words, so
           no filler has 1 or 4 (`buildable`); n = 0 leaves the habit out.

Each filler is made of the words the corpus puts in that slot, which carry no cue: reasons are shared by
both tenses, habits by every food. The comma, the guess and "his favorite cuisine is" add 9 to 12 more tokens between
the food and the cuisine; each probe's `case.distance` is the exact number of tokens between the cue's
last token and the target.

Standard library + NumPy only; deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from app.corpora.lesson import (
    ADVERBS,
    CUISINE_OF,
    CUISINES,
    FEMALE_NAMES,
    GENDER,
    GUESSES,
    HABITS,
    MALE_NAMES,
    MAX_CLAUSE,
    OBJECTS,
    PAST_OPENERS,
    PRESENT_OPENERS,
    PRONOUN,
    REASONS,
    Case,
    Doc,
    tense_doc,
)
from app.tokenizer import Tokenizer

TASKS = ("tense", "cuisine")
FRAMES = {
    "tense": "<opener>, <filler>, I need|had to <object>.",
    "cuisine": "<Name> eats <food> <filler>, <guess> his|her favorite cuisine is <Cuisine>.",
}
CHANCE = {"tense": 1 / 2, "cuisine": 1 / len(CUISINES)}  # guessing among the competing words

_TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)


def _ntok(piece: str) -> int:
    return len(_TOK.spans(piece))


_REASON_WORDS = {r: _ntok(r) for r in REASONS}
_HABIT_WORDS = {h: _ntok(h.replace("{he}", "he")) for h in HABITS}
# Filler words the corpus generates in each slot: any reason clause length; exactly one habit.
TRAINING_RANGE = {"tense": (0, MAX_CLAUSE), "cuisine": (min(_HABIT_WORDS.values()), max(_HABIT_WORDS.values()))}


@dataclass(frozen=True)
class Probe:
    """One probe: the filler words n between cue and prediction, and the corpus's own record of the
    sentence (`doc.text`; `case` locates cue and target as app.corpora.lesson does)."""

    task: str
    filler_words: int
    doc: Doc
    case: Case


@cache
def _fits(n: int, lengths: frozenset[int], join: int) -> bool:
    """Whether phrases of these lengths, joined by "and" (`join` words before the first), make n words."""
    return n == 0 or any(_fits(n - w - join, lengths, 1) for w in lengths if n - w - join >= 0)


def _phrases(n: int, bank: dict[str, int], rng: np.random.Generator) -> list[str]:
    """Phrases of `bank` (phrase -> words) joined by "and", exactly n words in all, none twice unless
    it must be; each pick leaves a remainder the bank can still fill."""
    lengths = frozenset(bank.values())
    phrases: list[str] = []
    while n:
        join = 1 if phrases else 0  # the "and" before every phrase but the first
        options = [p for p, w in bank.items() if n - join - w >= 0 and _fits(n - join - w, lengths, 1)]
        fresh = [p for p in options if p not in phrases] or options
        p = fresh[int(rng.integers(len(fresh)))]
        n -= bank[p] + join
        phrases.append(p)
    return phrases


def buildable(task: str, n: int) -> bool:
    """Whether a filler of n words exists: any n for tense; 0, 2, 3 or 5 and more habit words for cuisine."""
    return n >= 0 and (task == "tense" or _fits(n, frozenset(_HABIT_WORDS.values()), 0))


def filler(n: int, rng: np.random.Generator) -> tuple[str | None, tuple[str, ...]]:
    """(adverb or None, reason phrases) of exactly n words, as the corpus draws a reason clause."""
    if n < 0:
        raise ValueError(f"a filler has 0 or more words, not {n}")
    adverb = None
    if n == 1 or (n >= 3 and rng.random() < 0.2):
        adverb, n = ADVERBS[int(rng.integers(len(ADVERBS)))], n - 1
    return adverb, tuple(_phrases(n, _REASON_WORDS, rng))


def habits(n: int, rng: np.random.Generator) -> tuple[str, ...]:
    """Habits ("{he}" still to fill in) joined by "and", exactly n words; see `buildable`."""
    if not buildable("cuisine", n):
        raise ValueError(f"no habits make {n} words: habits have 2 or 3 words, joined by 'and'")
    return tuple(_phrases(n, _HABIT_WORDS, rng))


def filler_text(adverb: str | None, reasons: tuple[str, ...]) -> str:
    """The filler as the corpus writes a reason clause: "sadly, due to ... and after ..."."""
    clause = " and ".join(reasons)
    if adverb is None:
        return clause
    return f"{adverb}, {clause}" if reasons else adverb


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def tense_probe(n: int, present: bool, rng: np.random.Generator) -> Probe:
    opener = _pick(rng, PRESENT_OPENERS if present else PAST_OPENERS)
    adverb, reasons = filler(n, rng)
    doc = tense_doc(opener, reasons, _pick(rng, OBJECTS), adverb)
    return Probe("tense", n, doc, doc.cases[-1])


def cuisine_probe(n: int, cuisine: str, rng: np.random.Generator) -> Probe:
    name = _pick(rng, MALE_NAMES if rng.random() < 0.5 else FEMALE_NAMES)
    he, his, _ = PRONOUN[GENDER[name]]
    food = _pick(rng, CUISINES[cuisine])
    middle = "".join(f" {h}" if k == 0 else f" and {h}" for k, h in enumerate(habits(n, rng))).replace("{he}", he)
    guess = _pick(rng, GUESSES)
    text = f"{name} eats {food}{middle}, {guess} {his} favorite cuisine is {cuisine}."
    cue_start = _ntok(f"{name} eats")
    cue_index = cue_start + _ntok(food) - 1
    target_index = _ntok(text) - 2  # the cuisine, before the final "."
    foils = tuple(c for c in CUISINES if c != cuisine)
    case = Case("cuisine", food, cue_start, cue_index, cuisine, target_index, target_index - cue_index - 1, foils)
    atoms = (("name", name), ("food", food), ("cuisine", CUISINE_OF[food]), ("guess", guess),
             ("filler_words", str(n)))  # fmt: skip
    return Probe("cuisine", n, Doc(text, "cuisine", food, cue_index, cuisine, target_index, case.distance, foils,
                                   (case,), atoms, ()), case)  # fmt: skip


def probes(task: str, n: int, count: int, seed: int = 0) -> list[Probe]:
    """`count` probes of `task` with n filler words, balanced over the answers (present and past openers
    in turn; the cuisines in turn); none when no filler has n words. Each (task, n) has its own random
    stream: probes at one distance do not depend on which other distances are measured."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if not buildable(task, n):
        return []
    rng = np.random.default_rng([seed, TASKS.index(task), n])
    if task == "tense":
        return [tense_probe(n, j % 2 == 0, rng) for j in range(count)]
    names = tuple(CUISINES)
    return [cuisine_probe(n, names[j % len(names)], rng) for j in range(count)]
