"""A generated corpus that carries the lecture's two lessons, with records that say where each lesson is.

Three kinds of documents (mixed about 1/2, 1/4, 1/4):
- `tense`: "<opener>, <reason clause>, I need to <object>." after a present-time opener, "... I had to ..."
  after a past-time opener. The reason clause (0-25 words) is drawn from one bank shared by both tenses,
  independently of the tense, so the opener is the only cue. Example (the lecture's):
  "Today, due to my current job situation and family conditions, I need to take a loan."
- `cuisine`: "<Name> eats <food> <habit>, <guess> his/her favorite cuisine is <Cuisine>."
- `passage`: that sentence without its period, then ". His brother / Her sister <Name2> however is a lover of
  <food2> that means <Name2>'s favorite cuisine is <Cuisine2>." (two different cuisines; the possessive
  agrees with the first person, brother/sister with the second).

Every document comes as a `Doc` record whose `cases` locate each prediction the lesson is about, in token
indices of the word tokenizer (`app.tokenizer`, kind "word"): the cue (opener, food, or name), the word to
predict (need/had, the cuisine, his/her), the competing words, and the distance between them.

Held-out combinations: `split()` keeps back only combinations, never atoms. A fixed, hash-ranked set of
(opener, clause length) pairs, (name, food) pairings and ordered (first cuisine, second cuisine) pairs is
reserved for `valid` and another for `test`; `train` never contains them, while every opener, reason phrase,
object, name, food and filler occurs in `train`. The lecture's own combinations are pinned to `train`, so the
demo sentences are in distribution (their exact texts may or may not be drawn).

This module holds the records (`Case`, `Doc`), the document builders, the sampler, the held-out split and
the public API; the word banks and the mix, split and held-out constants are in `app.corpora.lesson_banks`
and re-exported here (`lesson.PRESENT_OPENERS`, `lesson.CUISINES`, ...).

Standard library + NumPy only; deterministic for a seed (`np.random.default_rng(seed)`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.corpora.lecture import EXAMPLES
from app.corpora.lesson_banks import (  # the banks, re-exported as lesson.NAME
    ADVERBS,
    CUISINE_OF,
    CUISINES,
    FEMALE_NAMES,
    FOODS,
    GENDER,
    GUESSES,
    HABITS,
    HELDOUT_FRACTION,
    KINDS,
    LIKES,
    LINKS,
    MALE_NAMES,
    MAX_CLAUSE,
    MIX,
    NAMES,
    OBJECTS,
    PAST_OPENERS,
    PINNED,
    PRESENT_OPENERS,
    PRONOUN,
    REASONS,
    SIBLING,
    SPLIT_SIZES,
    VERB,
)
from app.tokenizer import Tokenizer

_TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Case:
    """One prediction a lesson is about. Indices are word-tokenizer token indices into the doc's text.

    The model reads tokens[:target_index] and should rank `target` above every word in `foils`; the
    answer is decided by the cue, tokens[cue_start:cue_index + 1]; `distance` tokens lie strictly between
    the cue's last token and the target (= the steps the memory must carry it: target_index - cue_index - 1).
    """

    kind: str  # "tense" (opener -> need/had), "cuisine" (food -> cuisine), "pronoun" (name -> he/his/His...)
    cue: str  # the cue as written: "Last year", "pasta and cheese", "Dhaval"
    cue_start: int  # token index of the cue's first token
    cue_index: int  # token index of the cue's last token
    target: str  # the expected word as written: "had", "Italian", "His" (models lower-case it)
    target_index: int  # token index of the word to predict
    distance: int  # target_index - cue_index - 1
    foils: tuple[str, ...]  # competing words as written, the most tempting first


@dataclass(frozen=True, slots=True)
class Doc:
    """A document and its lesson. cue/cue_index/target/target_index/distance/foils repeat `cases[-1]`, the
    lesson's main case (tense: need/had; cuisine: the cuisine; passage: the SECOND person's cuisine)."""

    text: str
    kind: str  # "tense" | "cuisine" | "passage"
    cue: str
    cue_index: int
    target: str
    target_index: int
    distance: int
    foils: tuple[str, ...]
    cases: tuple[Case, ...]  # every case in the doc, in text order; the main case last
    atoms: tuple[tuple[str, str], ...]  # (category, value): ("opener", "Today"), ("food", "samosa"), ...
    combos: tuple[tuple[str, ...], ...]  # held-out keys: ("opener+length", "Today", "9"), ("name+food", ...)


def _doc(text: str, kind: str, cases: list[Case], atoms: list[tuple[str, str]], combos: list[tuple[str, ...]]) -> Doc:
    main = cases[-1]
    return Doc(
        text, kind, main.cue, main.cue_index, main.target, main.target_index, main.distance, main.foils,
        tuple(cases), tuple(atoms), tuple(combos),
    )  # fmt: skip


_NTOK: dict[str, int] = {}


def _ntok(piece: str) -> int:
    """Word tokens in piece (memoised: the banks are small)."""
    n = _NTOK.get(piece)
    if n is None:
        n = _NTOK[piece] = len(_TOK.spans(piece))
    return n


class _Text:
    """Builds a text piece by piece, counting word tokens (pieces must meet at token boundaries)."""

    __slots__ = ("parts", "n")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0

    def add(self, piece: str, sep: str = " ") -> tuple[int, int]:
        """Append piece after sep (no sep before the first piece); return its token span [start, end)."""
        start = self.n
        self.parts += (sep, piece)
        self.n = start + (_NTOK.get(piece) or _ntok(piece))
        return start, self.n

    def text(self) -> str:
        return "".join(self.parts[1:])


def _case(kind: str, cue: str, span: tuple[int, int], target: str, at: int, foils: Sequence[str]) -> Case:
    return Case(kind, cue, span[0], span[1] - 1, target, at, at - span[1], tuple(foils))


# ---------------------------------------------------------------------------------------------- builders


def tense_doc(opener: str, reasons: Sequence[str] = (), obj: str = "take a loan", adverb: str | None = None) -> Doc:
    """'<opener>, [<adverb>, ]<reason> and <reason>..., I need|had to <obj>.'"""
    if opener in PRESENT_OPENERS:
        tense, other = "present", "past"
    elif opener in PAST_OPENERS:
        tense, other = "past", "present"
    else:
        raise ValueError(f"unknown opener {opener!r}")
    t = _Text()
    cue = t.add(opener)
    t.add(",", "")
    words = 0
    if adverb is not None:
        t.add(adverb)
        words += 1
        if reasons:
            t.add(",", "")
    if reasons:
        t.add(" and ".join(reasons))
        words += sum(_ntok(r) for r in reasons) + len(reasons) - 1
    if adverb is not None or reasons:
        t.add(",", "")
    t.add("I")
    verb = t.add(VERB[tense])[0]
    t.add(f"to {obj}")
    t.add(".", "")
    case = _case("tense", opener, cue, VERB[tense], verb, (VERB[other],))
    atoms = [("tense", tense), ("opener", opener), ("object", obj), ("clause_words", str(words))]
    atoms += [("reason", r) for r in reasons] + ([("adverb", adverb)] if adverb else [])
    return _doc(t.text(), "tense", [case], atoms, [("opener+length", opener, str(words))])


def _first_sentence(t: _Text, name: str, food: str, habit: str, guess: str, cases: list[Case]) -> None:
    he, his, _ = PRONOUN[GENDER[name]]
    other_he, other_his, _ = PRONOUN["f" if GENDER[name] == "m" else "m"]
    cuisine = CUISINE_OF[food]
    name_span = t.add(name)
    t.add("eats")
    food_span = t.add(food)
    if "{he}" in habit:
        before, after = habit.split("{he}")
        t.add(before.strip())
        cases.append(_case("pronoun", name, name_span, he, t.add(he)[0], (other_he,)))
        t.add(after.strip())
    else:
        t.add(habit)
    t.add(",", "")
    t.add(guess)
    cases.append(_case("pronoun", name, name_span, his, t.add(his)[0], (other_his,)))
    t.add("favorite cuisine is")
    at = t.add(cuisine)[0]
    cases.append(_case("cuisine", food, food_span, cuisine, at, tuple(c for c in CUISINES if c != cuisine)))


def cuisine_doc(name: str, food: str, habit: str = "almost everyday",
                guess: str = "it shouldn't be hard to guess that", end: str = ".") -> Doc:  # fmt: skip
    """'<Name> eats <food> <habit>, <guess> his|her favorite cuisine is <Cuisine>.'"""
    t, cases = _Text(), []
    _first_sentence(t, name, food, habit, guess, cases)
    if end:
        t.add(end, "")
    atoms = [("name", name), ("food", food), ("cuisine", CUISINE_OF[food]), ("habit", habit), ("guess", guess)]
    return _doc(t.text(), "cuisine", cases, atoms, [("name+food", name, food)])


def passage_doc(name: str, food: str, name2: str, food2: str, habit: str = "almost everyday",
                guess: str = "it shouldn't be hard to guess that", likes: str = "however is a lover of",
                link: str = "that means", end: str = ".") -> Doc:  # fmt: skip
    """'<first sentence>. His|Her brother|sister <Name2> <likes> <food2> <link> <Name2>'s favorite cuisine is <C2>.'"""
    c1, c2 = CUISINE_OF[food], CUISINE_OF[food2]
    if c1 == c2 or name == name2:
        raise ValueError("a passage needs two different people with two different cuisines")
    t, cases = _Text(), []
    _first_sentence(t, name, food, habit, guess, cases)
    t.add(".", "")
    name_span = (0, _ntok(name))
    _, _, poss = PRONOUN[GENDER[name]]
    other_poss = PRONOUN["f" if GENDER[name] == "m" else "m"][2]
    cases.append(_case("pronoun", name, name_span, poss, t.add(poss)[0], (other_poss,)))
    t.add(SIBLING[GENDER[name2]])
    t.add(name2)
    t.add(likes)
    food2_span = t.add(food2)
    t.add(link)
    t.add(f"{name2}'s favorite cuisine is")
    at = t.add(c2)[0]
    cases.append(_case("cuisine", food2, food2_span, c2, at, (c1, *(c for c in CUISINES if c not in (c1, c2)))))
    if end:
        t.add(end, "")
    atoms = [
        ("name", name), ("food", food), ("cuisine", c1), ("habit", habit), ("guess", guess),
        ("name", name2), ("food", food2), ("cuisine", c2), ("likes", likes), ("link", link),
        ("sibling", f"{poss} {SIBLING[GENDER[name2]]}"),
    ]  # fmt: skip
    combos = [("name+food", name, food), ("name+food", name2, food2), ("cuisines", c1, c2)]
    return _doc(t.text(), "passage", cases, atoms, combos)


def lecture_sentences() -> tuple[str, ...]:
    """The lecture's four sentences (app.corpora.lecture.EXAMPLES): the acceptance examples."""
    return EXAMPLES


def lecture_records() -> tuple[Doc, ...]:
    """The lecture's four sentences as records (texts exactly as in `lecture_sentences()`)."""
    reason = REASONS[0]
    docs = (
        tense_doc("Today", (reason,), "take a loan"),
        tense_doc("Last year", (reason,), "take a loan"),
        cuisine_doc("Dhaval", "samosa", end=""),
        passage_doc("Dhaval", "samosa", "Bhavin", "pasta and cheese", end=""),
    )
    assert tuple(d.text for d in docs) == EXAMPLES, "the banks no longer generate the lecture's sentences"
    return docs


# ---------------------------------------------------------------------------------------------- sampling


class _Draw:
    """Uniform picks from one numpy Generator, drawn in blocks (one rng call per 4096 picks)."""

    __slots__ = ("rng", "buf", "i")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng, self.buf, self.i = rng, [], 0

    def u(self) -> float:
        if self.i == len(self.buf):
            self.buf, self.i = self.rng.random(4096).tolist(), 0
        self.i += 1
        return self.buf[self.i - 1]

    def pick(self, seq: Sequence):
        return seq[int(self.u() * len(seq))]


def _fits(rem: int, join: int) -> tuple[str, ...]:
    """Reasons that can start filling `rem` words (costing `join` words to attach) and leave 0 or >= 3."""
    return tuple(r for r in REASONS if _ntok(r) + join == rem or rem - join - _ntok(r) >= 3)


_FIRST = {rem: _fits(rem, 0) for rem in range(2, MAX_CLAUSE + 1)}
_NEXT = {rem: _fits(rem, 1) for rem in range(3, MAX_CLAUSE + 1)}
assert all(_FIRST.values()) and all(_NEXT.values()), "the reason bank cannot build every clause length"

# A draw: (held-out keys, builder, builder arguments); the doc is built only when its split wants it.
_Choice = tuple[tuple[tuple[str, ...], ...], object, tuple]


def _draw_tense(d: _Draw) -> _Choice:
    opener = d.pick(PRESENT_OPENERS if d.u() < 0.5 else PAST_OPENERS)
    length = words = int(d.u() * (MAX_CLAUSE + 1))
    adverb = None
    if words == 1 or (words >= 3 and d.u() < 0.2):
        adverb, words = d.pick(ADVERBS), words - 1
    reasons: list[str] = []
    while words:
        options = _NEXT[words] if reasons else _FIRST[words]
        fresh = [r for r in options if r not in reasons] or options  # no phrase twice unless it must be
        r = d.pick(fresh)
        words -= _ntok(r) + (1 if reasons else 0)
        reasons.append(r)
    obj = d.pick(OBJECTS)
    return ((("opener+length", opener, str(length)),), tense_doc, (opener, tuple(reasons), obj, adverb))


_CUISINE_NAMES = tuple(CUISINES)


def _draw_person(d: _Draw) -> tuple[str, str]:
    """A name (gender 50/50) and a food (cuisine uniform, then food uniform)."""
    name = d.pick(MALE_NAMES if d.u() < 0.5 else FEMALE_NAMES)
    return name, d.pick(CUISINES[d.pick(_CUISINE_NAMES)])


def _draw_cuisine(d: _Draw) -> _Choice:
    name, food = _draw_person(d)
    return ((("name+food", name, food),), cuisine_doc, (name, food, d.pick(HABITS), d.pick(GUESSES)))


def _draw_passage(d: _Draw) -> _Choice:
    name, food = _draw_person(d)
    name2, food2 = _draw_person(d)
    while name2 == name or CUISINE_OF[food2] == CUISINE_OF[food]:
        name2, food2 = _draw_person(d)
    combos = (("name+food", name, food), ("name+food", name2, food2), ("cuisines", CUISINE_OF[food], CUISINE_OF[food2]))
    args = (name, food, name2, food2, d.pick(HABITS), d.pick(GUESSES), d.pick(LIKES), d.pick(LINKS))
    return combos, passage_doc, args


_DRAW = {"tense": _draw_tense, "cuisine": _draw_cuisine, "passage": _draw_passage}


# ---------------------------------------------------------------------------------------------- held out


def combination_universe() -> dict[str, list[tuple[str, ...]]]:
    """Every combination key the generator can produce, by combination kind."""
    return {
        "opener+length": [("opener+length", o, str(n)) for o in PRESENT_OPENERS + PAST_OPENERS
                          for n in range(MAX_CLAUSE + 1)],
        "name+food": [("name+food", n, f) for n in NAMES for f in FOODS],
        "cuisines": [("cuisines", a, b) for a in CUISINES for b in CUISINES if a != b],
    }  # fmt: skip


def _rank(key: tuple[str, ...]) -> bytes:
    return hashlib.sha256("|".join(("lesson-heldout", *key)).encode()).digest()


@lru_cache(maxsize=1)
def heldout() -> dict[str, frozenset[tuple[str, ...]]]:
    """{"valid": keys, "test": keys}: per combination kind, the HELDOUT_FRACTION of keys ranked first by
    sha256 go to test, the next HELDOUT_FRACTION to valid (the lecture's PINNED combinations never)."""
    out: dict[str, set] = {"valid": set(), "test": set()}
    for keys in combination_universe().values():
        ranked = sorted((k for k in keys if k not in PINNED), key=_rank)
        n = round(HELDOUT_FRACTION * len(keys))
        out["test"].update(ranked[:n])
        out["valid"].update(ranked[n : 2 * n])
    return {k: frozenset(v) for k, v in out.items()}


def _split_of_combos(combos: Iterable[tuple[str, ...]]) -> str | None:
    held = heldout()
    in_valid = in_test = False
    for c in combos:
        in_valid = in_valid or c in held["valid"]
        in_test = in_test or c in held["test"]
    if in_valid and in_test:
        return None
    return "valid" if in_valid else "test" if in_test else "train"


def split_of(doc: Doc) -> str | None:
    """Return "train" if the doc has no held-out combination, "valid"/"test" if its held-out combinations all
    belong to that split, None if it mixes valid and test combinations (such docs are never emitted)."""
    return _split_of_combos(doc.combos)


# ---------------------------------------------------------------------------------------------- public API


def generate_records(n_docs: int, seed: int, split: str | None = None) -> list[Doc]:
    """n_docs records, kinds drawn with MIX probabilities. split=None: any combination (held-out ones too);
    "train"/"valid"/"test": only docs of that split (rejection sampling)."""
    d = _Draw(np.random.default_rng(seed))
    kinds, cum = tuple(MIX), np.cumsum(list(MIX.values())).tolist()
    out: list[Doc] = []
    budget = 100 * n_docs + 10_000
    while len(out) < n_docs:
        budget -= 1
        if budget < 0:
            raise RuntimeError(f"cannot draw {n_docs} docs of split {split!r}")
        u = d.u()
        kind = next((k for k, c in zip(kinds, cum, strict=True) if u < c), kinds[-1])
        combos, build, args = _DRAW[kind](d)
        if split is None or _split_of_combos(combos) == split:
            out.append(build(*args))
    return out


def generate(n_docs: int, seed: int) -> list[str]:
    """n_docs document texts (any combination; use `split()` for training and evaluation)."""
    return [doc.text for doc in generate_records(n_docs, seed)]


def _quota(size: int) -> dict[str, int]:
    """Docs of each kind in a split of `size` docs (the rounding remainder goes to tense)."""
    counts = {k: int(size * MIX[k]) for k in KINDS}
    counts["tense"] += size - sum(counts.values())
    return counts


def split_records(seed: int = 0, sizes: dict[str, int] | None = None) -> dict[str, list[Doc]]:
    """{"train", "valid", "test"} -> records: exactly `sizes` docs each (default SPLIT_SIZES), kinds in MIX
    proportions, shuffled; valid/test docs each contain a combination held out for that split.
    Deterministic for a seed."""
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    if set(sizes) - {"train", "valid", "test"}:
        raise ValueError(f"split names are train, valid and test, not {sorted(sizes)}")
    rng = np.random.default_rng(seed)
    d = _Draw(rng)
    out: dict[str, list[Doc]] = {name: [] for name in sizes}
    for kind in KINDS:
        need = {name: _quota(size)[kind] for name, size in sizes.items()}
        budget = 100 * sum(need.values()) + 10_000  # a split that can never fill raises instead of hanging
        while any(need.values()):
            budget -= 1
            if budget < 0:
                raise RuntimeError(f"cannot fill the {kind} quotas {need}: check HELDOUT_FRACTION and PINNED")
            combos, build, args = _DRAW[kind](d)
            name = _split_of_combos(combos)
            if need.get(name):
                out[name].append(build(*args))
                need[name] -= 1
    return {name: [docs[i] for i in rng.permutation(len(docs))] for name, docs in out.items()}


def split(seed: int = 0) -> dict[str, list[str]]:
    """{"train": 60,000, "valid": 2,000, "test": 2,000} document texts; valid/test hold out combinations."""
    return {name: [doc.text for doc in docs] for name, docs in split_records(seed).items()}


def vocabulary() -> list[str]:
    """Every word token the generator can emit, lower-cased and sorted (a model's vocab: ["<unk>"] + this)."""
    pieces = [*PRESENT_OPENERS, *PAST_OPENERS, *REASONS, *ADVERBS, *OBJECTS, *VERB.values(), "I to , .",
              *CUISINES, *FOODS, *NAMES, *(f"{n}'s" for n in NAMES), *GUESSES, *LIKES, *LINKS,
              *SIBLING.values(), "eats favorite cuisine is", *(w for p in PRONOUN.values() for w in p),
              *(h.replace("{he}", "he") for h in HABITS)]  # fmt: skip
    return sorted({piece[a:b].lower() for piece in pieces for a, b in _TOK.spans(piece)})


def cases_of(docs: Iterable[Doc], kind: str) -> list[tuple[Doc, Case]]:
    """(doc, case) for every case of `kind` ("tense", "cuisine", "pronoun") in docs."""
    return [(doc, case) for doc in docs for case in doc.cases if case.kind == kind]


def tense_cases(docs: Iterable[Doc]) -> list[tuple[Doc, Case]]:
    """need/had after "I", cued by the opener."""
    return cases_of(docs, "tense")


def cuisine_cases(docs: Iterable[Doc]) -> list[tuple[Doc, Case]]:
    """The cuisine after "favorite cuisine is", cued by the food (both people's in a passage)."""
    return cases_of(docs, "cuisine")


def pronoun_cases(docs: Iterable[Doc]) -> list[tuple[Doc, Case]]:
    """he/his/His (she/her/Her) cued by the first person's name."""
    return cases_of(docs, "pronoun")
