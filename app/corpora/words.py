"""Everyday English words for the lesson corpus's filler, and the filler itself.

`english_words()` is `english_words.txt` (wordfreq's most frequent words and their inflections, CC BY-SA
4.0, see its header) in frequency order. A filler of n words mixes phrases of a bank (reasons, habits)
with runs of those words drawn by rank r with weight (r + 100)^-1/2: common words often, every word of
the list some hundreds of times in a training run. Words that would cue a lesson (lesson_banks.CUE_WORDS,
the words of foods, openers and cuisines) are never drawn; the numbers 0-100 are.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from app.engine.tokenizer import Tokenizer

_TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)
_LIST = Path(__file__).with_name("english_words.txt")


@cache
def english_words() -> tuple[str, ...]:
    """The list's words, most frequent first."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return tuple(w for w in lines if w and not w.startswith("#"))


def _words_of(pieces: Sequence[str]) -> set[str]:
    return {p[a:b].lower() for p in pieces for a, b in _TOK.spans(p)}


@cache
def filler_pool() -> tuple[tuple[str, ...], np.ndarray]:
    """(words, cumulative probabilities) of the filler's single words."""
    from app.corpora import lesson_banks as B

    cues = set(B.CUE_WORDS) | _words_of([*B.FOODS, *B.CUISINES, *B.PRESENT_OPENERS, *B.PAST_OPENERS,
                                         *(o for v in B.HELDOUT_OPENERS.values() for o in v), *B.HELDOUT_NAMES])
    cues -= {"in", "a", "at", "the", "for", "and", "back", "two", "three", "this", "these", "right", "of"}
    everyday = (*english_words(), *(w.lower() for w in B.CLASSROOM_WORDS), *(str(k) for k in range(101)))
    words = tuple(w for w in dict.fromkeys(everyday) if w not in cues)
    weights = (np.arange(len(words)) + 100.0) ** -0.5
    return words, np.cumsum(weights / weights.sum())


def _ntok(piece: str) -> int:
    return len(_TOK.spans(piece))


def filler_words(n: int, rng: np.random.Generator, phrases: Sequence[str] = ()) -> str:
    """Exactly n word tokens: phrases of `phrases` (each at most once) and runs of 1-6 list words."""
    if n < 0:
        raise ValueError(f"a filler has 0 or more words, not {n}")
    words, cum = filler_pool()
    out: list[str] = []
    left = n
    used: set[str] = set()
    while left:
        fits = [p for p in phrases if _ntok(p) <= left and p not in used]
        if fits and rng.random() < 0.4:
            p = fits[int(rng.integers(len(fits)))]
            used.add(p)
            out.append(p)
            left -= _ntok(p)
            continue
        run = min(left, 1 + int(rng.integers(6)))
        picks = np.searchsorted(cum, rng.random(run), side="right").clip(max=len(words) - 1)
        out.extend(words[k] for k in picks)
        left -= run
    return " ".join(out)
