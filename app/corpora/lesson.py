"""A generated corpus that carries the lecture's two lessons, in many wordings, with records that say
where each lesson is.

Three kinds of documents (mixed about 1/2, 1/4, 1/4), each from a sentence frame
(`app.corpora.lesson_frames`) filled from the banks (`app.corpora.lesson_banks`):
- `tense`: a time opener (present or past) decides need/had after the subject, 0-80 filler words later.
  The lecture's: "Today, due to my current job situation and family conditions, I need to take a loan."
- `cuisine`: a food decides "<his> favorite cuisine is <Cuisine>", 0-60 filler words later.
- `passage`: a cuisine sentence, then a second person whose food decides the second cuisine.

Filler: reason phrases or habits, and runs of everyday English words (`app.corpora.words`) drawn
independently of the answer, so the cue is the only evidence. Every word of the vocabulary occurs in
some filler, so no known word reaches a model untrained.

Held out: train and valid never have a frame of "test", nor a word of HELDOUT_OPENERS / HELDOUT_NAMES
(valid is more of train's distribution, for choosing the best step). The test split holds documents in
held-out frames (`Doc.heldout == "frame"`) and documents in training frames with a held-out opener or
name (`"word"`).

Standard library + NumPy only; deterministic for a seed (`np.random.default_rng(seed)`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.corpora.lecture import EXAMPLES
from app.corpora.lesson_banks import (  # the banks, re-exported as lesson.NAME
    ADVERBS,
    CLASSROOM_WORDS,
    CUISINE_OF,
    CUISINES,
    EATS,
    ENDINGS,
    FEMALE_NAMES,
    FOODS,
    GENDER,
    GUESSES,
    HABITS,
    HELDOUT_NAMES,
    HELDOUT_OPENERS,
    KINDS,
    LEADS,
    LIKES,
    LINKS,
    MALE_NAMES,
    MAX_FILLER,
    MIX,
    NAMES,
    OBJECTS,
    PAST_OPENERS,
    PRESENT_OPENERS,
    PRONOUN,
    REASONS,
    SHORT_FILLER,
    SIBLING,
    SPLIT_SIZES,
    SUBJECTS,
    VERB,
)
from app.corpora.lesson_frames import FRAMES, frames_of
from app.corpora.words import filler_words
from app.engine.tokenizer import Tokenizer

_TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)
YEARS = tuple(str(y) for y in range(1990, 2025) if y != 2012)  # "In <year>" openers (2012 is held out)

# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Case:
    """One prediction a lesson is about. Indices are word-tokenizer token indices into the doc's text.

    The model reads tokens[:target_index] and should rank `target` above every word in `foils`; the
    answer is decided by the cue, tokens[cue_start:cue_index + 1]; `distance` tokens lie strictly between
    the cue's last token and the target (= the steps the memory must carry it: target_index - cue_index - 1).
    """

    kind: str  # "tense" (opener -> need/had) or "cuisine" (food -> cuisine)
    cue: str  # the cue as written: "Last year", "pasta and cheese"
    cue_start: int
    cue_index: int
    target: str  # the expected word as written: "had", "Italian" (models lower-case it)
    target_index: int
    distance: int  # target_index - cue_index - 1
    foils: tuple[str, ...]  # competing words as written, the most tempting first


@dataclass(frozen=True, slots=True)
class Doc:
    """A document and its lesson. cue/cue_index/target/target_index/distance/foils repeat `cases[-1]`, the
    main case (tense: need/had; cuisine: the cuisine; passage: the SECOND person's cuisine)."""

    text: str
    kind: str  # "tense" | "cuisine" | "passage"
    cue: str
    cue_index: int
    target: str
    target_index: int
    distance: int
    foils: tuple[str, ...]
    cases: tuple[Case, ...]  # every case in the doc, in text order; the main case last
    atoms: tuple[tuple[str, str], ...]  # (category, value): ("frame", "tense:lecture"), ("filler_words", "9"), ...
    heldout: str = ""  # "" (training frames and words), "frame" or "word" (what the doc holds out)


# ---------------------------------------------------------------------------------------------- rendering

_PART = re.compile(r"\[([^\]]*)\]|\{(\w+)\}|([^\[{]+)")


def _render(template: str, slots: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    """Fill a frame; return the text and the character span of every {slot} in it. An optional part
    [...] is left out when a slot in it is empty."""
    out: list[str] = []
    at = 0
    spans: dict[str, tuple[int, int]] = {}
    for optional, slot, literal in _PART.findall(template):
        if optional:
            names = re.findall(r"\{(\w+)\}", optional)
            if any(not slots[n] for n in names):
                continue
            sub, sub_spans = _render(optional, slots)
            spans.update({k: (a + at, b + at) for k, (a, b) in sub_spans.items()})
            out.append(sub)
            at += len(sub)
        elif slot:
            value = slots[slot]
            spans[slot] = (at, at + len(value))
            out.append(value)
            at += len(value)
        else:
            out.append(literal)
            at += len(literal)
    return "".join(out), spans


def _sentence_case(text: str) -> str:
    """Capital letters at the start and after '. ' / '! ' (the tokenizer lower-cases; this is for people)."""
    return re.sub(r"(^|[.!?] )([a-z])", lambda m: m[1] + m[2].upper(), text)


def _token_span(spans: list[tuple[int, int]], chars: tuple[int, int]) -> tuple[int, int]:
    """Token indices [first, last] covering a character span."""
    inside = [k for k, (a, b) in enumerate(spans) if a >= chars[0] and b <= chars[1]]
    return inside[0], inside[-1]


def _build(kind: str, parts: list[tuple[str, str, dict[str, str], str, tuple[str, ...]]], atoms, heldout) -> Doc:
    """parts: (case kind, template, slots, target, foils) rendered one after another (a passage: two)."""
    texts, marks = [], []
    at = 0
    for case_kind, template, slots, target, foils in parts:
        text, spans = _render(template, {**slots, "target": target})
        texts.append(text)
        marks.append((case_kind, (spans["cue"][0] + at, spans["cue"][1] + at),
                      (spans["target"][0] + at, spans["target"][1] + at), target, foils))
        at += len(text) + 1
    text = _sentence_case(" ".join(texts))
    tok_spans = _TOK.spans(text)
    cases = []
    for case_kind, cue_chars, target_chars, target, foils in marks:
        cue_start, cue_index = _token_span(tok_spans, cue_chars)
        target_index = _token_span(tok_spans, target_chars)[0]
        cases.append(Case(case_kind, text[cue_chars[0] : cue_chars[1]], cue_start, cue_index, target, target_index,
                          target_index - cue_index - 1, foils))
    main = cases[-1]
    return Doc(text, kind, main.cue, main.cue_index, main.target, main.target_index, main.distance, main.foils,
               tuple(cases), tuple(atoms), heldout)  # fmt: skip


# ---------------------------------------------------------------------------------------------- builders


def tense_of(opener: str) -> str:
    """"present" or "past" for any opener of the banks (held-out ones too); "(Back) in <year>" is past."""
    if opener in PRESENT_OPENERS or opener in HELDOUT_OPENERS["present"]:
        return "present"
    if opener in PAST_OPENERS or opener in HELDOUT_OPENERS["past"] or re.fullmatch(r"(Back )?[Ii]n \d{4}", opener):
        return "past"
    raise ValueError(f"unknown opener {opener!r}")


def tense_doc(opener: str, filler: str = "", obj: str = "take a loan", frame: str = "lecture", subject: str = "I",
              lead: str = "Well", adverb: str = "honestly", heldout: str = "") -> Doc:  # fmt: skip
    """A tense document in frame `frame` (app.corpora.lesson_frames.TENSE)."""
    tense = tense_of(opener)
    other = "past" if tense == "present" else "present"
    template, _ = FRAMES["tense"][frame]
    cue = opener if template.startswith("{cue}") else opener[0].lower() + opener[1:]
    slots = {"cue": cue, "filler": filler, "subject": subject, "obj": obj, "lead": lead, "adverb": adverb}
    n = len(_TOK.spans(filler))
    atoms = [("frame", f"tense:{frame}"), ("tense", tense), ("opener", opener), ("object", obj),
             ("filler_words", str(n))]  # fmt: skip
    return _build("tense", [("tense", template, slots, VERB[tense], (VERB[other],))], atoms, heldout)


def _person_slots(name: str, prefix: str = "") -> dict[str, str]:
    he, his, His = PRONOUN[GENDER[name]]
    return {f"he{prefix}": he, f"his{prefix}": his, f"His{prefix}": His}


def _cuisine_part(name: str, food: str, filler: str, frame: str, eats: str, guess: str, ending: str, lead: str):
    slots = {"cue": food, "name": name, "filler": filler, "eats": eats, "guess": guess, "lead": lead,
             **_person_slots(name)}  # fmt: skip
    slots["ending"] = ending.format(**slots)
    cuisine = CUISINE_OF[food]
    return ("cuisine", FRAMES["cuisine"][frame][0], slots, cuisine, tuple(c for c in CUISINES if c != cuisine))


def cuisine_doc(name: str, food: str, filler: str = "almost everyday", frame: str = "lecture", eats: str = "eats",
                guess: str = "it shouldn't be hard to guess that", ending: str = "{his} favorite cuisine is",
                lead: str = "Well", heldout: str = "", end: str = ".") -> Doc:  # fmt: skip
    """One person's food decides their favourite cuisine (app.corpora.lesson_frames.CUISINE)."""
    part = _cuisine_part(name, food, filler, frame, eats, guess, ending, lead)
    if not end:
        part = (part[0], part[1].removesuffix("."), *part[2:])
    atoms = [("frame", f"cuisine:{frame}"), ("name", name), ("food", food), ("cuisine", CUISINE_OF[food]),
             ("filler_words", str(len(_TOK.spans(filler))))]  # fmt: skip
    return _build("cuisine", [part], atoms, heldout)


def passage_doc(name: str, food: str, name2: str, food2: str, filler: str = "almost everyday", filler2: str = "",
                frame: str = "lecture", frame2: str = "lecture", eats: str = "eats",
                guess: str = "it shouldn't be hard to guess that", ending: str = "{his} favorite cuisine is",
                likes: str = "however is a lover of", link: str = "that means",
                ending2: str = "{his2} favorite cuisine is", lead: str = "Well", heldout: str = "",
                end: str = ".") -> Doc:  # fmt: skip
    """A cuisine sentence, then a second person (name2) whose food2 decides the second cuisine."""
    c1, c2 = CUISINE_OF[food], CUISINE_OF[food2]
    if c1 == c2 or name == name2:
        raise ValueError("a passage needs two different people with two different cuisines")
    first = _cuisine_part(name, food, filler, frame, eats, guess, ending, lead)
    slots = {"cue": food2, "name2": name2, "filler": filler2, "likes": likes, "link": link,
             "sibling": SIBLING[GENDER[name2]], **_person_slots(name), **_person_slots(name2, "2")}  # fmt: skip
    slots["ending2"] = ending2.format(**slots)
    template = FRAMES["second"][frame2][0]
    if not end:
        template = template.removesuffix(".")
    second = ("cuisine", template, slots, c2, (c1, *(c for c in CUISINES if c not in (c1, c2))))
    atoms = [("frame", f"cuisine:{frame}"), ("frame", f"second:{frame2}"), ("name", name), ("food", food),
             ("cuisine", c1), ("name", name2), ("food", food2), ("cuisine", c2),
             ("filler_words", str(len(_TOK.spans(filler2))))]  # fmt: skip
    return _build("passage", [first, second], atoms, heldout)


def lecture_sentences() -> tuple[str, ...]:
    """The lecture's four sentences (app.corpora.lecture.EXAMPLES): the acceptance examples."""
    return EXAMPLES


def lecture_records() -> tuple[Doc, ...]:
    """The lecture's four sentences as records (texts exactly as in `lecture_sentences()`)."""
    reason = REASONS[0]
    docs = (
        tense_doc("Today", reason),
        tense_doc("Last year", reason),
        cuisine_doc("Dhaval", "samosa", end=""),
        passage_doc("Dhaval", "samosa", "Bhavin", "pasta and cheese", end=""),
    )
    assert tuple(d.text for d in docs) == EXAMPLES, "the banks no longer generate the lecture's sentences"
    return docs


# ---------------------------------------------------------------------------------------------- sampling


def _pick(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.integers(len(seq)))]


def _length(rng: np.random.Generator, kind: str) -> int:
    """Filler words: half the time 0..SHORT_FILLER, else 0..MAX_FILLER[kind] (uniform)."""
    top = SHORT_FILLER if rng.random() < 0.5 else MAX_FILLER[kind]
    return int(rng.integers(top + 1))


def _opener(rng: np.random.Generator, tense: str, held: bool) -> str:
    if held:
        return _pick(rng, HELDOUT_OPENERS[tense])
    opener = _pick(rng, PRESENT_OPENERS if tense == "present" else PAST_OPENERS)
    return re.sub(r"\d{4}", _pick(rng, YEARS), opener) if re.search(r"\d{4}", opener) else opener


_TRAIN_NAMES = {g: tuple(n for n in names if n not in HELDOUT_NAMES) for g, names in (("m", MALE_NAMES),
                                                                                       ("f", FEMALE_NAMES))}


def _name(rng: np.random.Generator, held: bool, avoid: str = "") -> str:
    pool = HELDOUT_NAMES if held else _TRAIN_NAMES["m" if rng.random() < 0.5 else "f"]
    name = _pick(rng, pool)
    while name == avoid:
        name = _pick(rng, pool)
    return name


def _food(rng: np.random.Generator, avoid: str = "") -> str:
    cuisine = _pick(rng, tuple(c for c in CUISINES if c != avoid))
    return _pick(rng, CUISINES[cuisine])


def draw_tense(rng: np.random.Generator, frame: str, held_word: bool = False, n: int | None = None,
               tense: str | None = None) -> Doc:  # fmt: skip
    tense = tense or ("present" if rng.random() < 0.5 else "past")
    n = _length(rng, "tense") if n is None else n
    return tense_doc(_opener(rng, tense, held_word), filler_words(n, rng, REASONS), _pick(rng, OBJECTS), frame,
                     _pick(rng, SUBJECTS), _pick(rng, LEADS), _pick(rng, ADVERBS),
                     "word" if held_word else "")  # fmt: skip


def _habit_filler(rng: np.random.Generator, n: int, name: str) -> str:
    return filler_words(n, rng, tuple(h.replace("{he}", PRONOUN[GENDER[name]][0]) for h in HABITS))


def draw_cuisine(rng: np.random.Generator, frame: str, held_word: bool = False, n: int | None = None,
                 cuisine: str | None = None) -> Doc:  # fmt: skip
    name = _name(rng, held_word)
    food = _pick(rng, CUISINES[cuisine]) if cuisine else _food(rng)
    n = _length(rng, "cuisine") if n is None else n
    return cuisine_doc(name, food, _habit_filler(rng, n, name), frame, _pick(rng, EATS), _pick(rng, GUESSES),
                       _pick(rng, ENDINGS), _pick(rng, LEADS), "word" if held_word else "")  # fmt: skip


def draw_passage(rng: np.random.Generator, frame: str, frame2: str, held_word: bool = False) -> Doc:
    name = _name(rng, held_word)
    name2 = _name(rng, False, avoid=name)
    food = _food(rng)
    food2 = _food(rng, avoid=CUISINE_OF[food])
    first = _habit_filler(rng, int(rng.integers(SHORT_FILLER + 1)), name)
    second = filler_words(_length(rng, "cuisine"), rng, ())
    return passage_doc(name, food, name2, food2, first, second, frame, frame2, _pick(rng, EATS), _pick(rng, GUESSES),
                       _pick(rng, ENDINGS), _pick(rng, LIKES), _pick(rng, LINKS),
                       _pick(rng, ENDINGS).replace("{he}", "{he2}").replace("{his}", "{his2}"), _pick(rng, LEADS),
                       "word" if held_word else "")  # fmt: skip


def draw(rng: np.random.Generator, kind: str, split: str = "train", held: str = "") -> Doc:
    """One document of `kind` in a frame of `split`; held="word" puts a held-out opener or name in it."""
    word = held == "word"
    if kind == "tense":
        return draw_tense(rng, _pick(rng, frames_of("tense", split)), word)
    if kind == "cuisine":
        return draw_cuisine(rng, _pick(rng, frames_of("cuisine", split)), word)
    frame, frame2 = _pick(rng, frames_of("cuisine", split)), _pick(rng, frames_of("second", split))
    if split == "test" and rng.random() < 0.5:  # held-out second frames after a training first sentence too
        frame = _pick(rng, frames_of("cuisine", "train"))
    return draw_passage(rng, frame, frame2, word)


def _kinds(size: int, rng: np.random.Generator) -> list[str]:
    """`size` kinds in MIX proportions (the rounding remainder goes to tense), shuffled."""
    counts = {k: int(size * MIX[k]) for k in KINDS}
    counts["tense"] += size - sum(counts.values())
    kinds = [k for k in KINDS for _ in range(counts[k])]
    return [kinds[i] for i in rng.permutation(len(kinds))]


def split_records(seed: int = 0, sizes: dict[str, int] | None = None) -> dict[str, list[Doc]]:
    """{"train", "valid", "test"} -> records, exactly `sizes` docs each (default SPLIT_SIZES), kinds in MIX
    proportions. train and valid: training frames and words (their own draws); test: two thirds in test frames
    (heldout="frame"), one third in training frames with a held-out opener or name (heldout="word").
    Deterministic for a seed; each split has its own random stream."""
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    if set(sizes) - {"train", "valid", "test"}:
        raise ValueError(f"split names are train, valid and test, not {sorted(sizes)}")
    out: dict[str, list[Doc]] = {}
    for name, size in sizes.items():
        rng = np.random.default_rng([seed, ("train", "valid", "test").index(name)])
        docs = []
        for j, kind in enumerate(_kinds(size, rng)):
            if name == "test" and j % 3 == 2:
                docs.append(draw(rng, kind, "train", held="word"))
            else:
                docs.append(draw(rng, kind, "test" if name == "test" else "train"))
        out[name] = [replace(d, heldout="frame") if name == "test" and not d.heldout else d for d in docs]
    return out


def generate_records(n_docs: int, seed: int) -> list[Doc]:
    """n_docs training documents (training frames and words)."""
    return split_records(seed, {"train": n_docs})["train"]


def generate(n_docs: int, seed: int) -> list[str]:
    """n_docs training document texts."""
    return [doc.text for doc in generate_records(n_docs, seed)]


def test_records(seed: int = 0) -> list[Doc]:
    """The test split alone (as in `split_records(seed)`, without building train)."""
    return split_records(seed, {"test": SPLIT_SIZES["test"]})["test"]


def split(seed: int = 0) -> dict[str, list[str]]:
    """{"train", "valid", "test"} document texts (SPLIT_SIZES)."""
    return {name: [doc.text for doc in docs] for name, docs in split_records(seed).items()}


def vocabulary() -> list[str]:
    """The lesson models' words, lower-cased and sorted (a model's vocab: ["<unk>"] + this): every word of
    the banks and frames (held-out ones too), the everyday English list, the years of the openers (1990-2024) and 0-100,
    and punctuation."""
    from app.corpora import lesson_frames
    from app.corpora.words import english_words

    pieces = [*PRESENT_OPENERS, *PAST_OPENERS, *(o for v in HELDOUT_OPENERS.values() for o in v), *REASONS,
              *ADVERBS, *LEADS, *SUBJECTS, *OBJECTS, *VERB.values(), *CUISINES, *FOODS, *NAMES,
              *(f"{n}'s" for n in NAMES), *EATS, *HABITS, *GUESSES, *ENDINGS, *LIKES, *LINKS, *SIBLING.values(),
              *(w for p in PRONOUN.values() for w in p), *CLASSROOM_WORDS, *english_words(),
              *YEARS, "2012", *(str(k) for k in range(101)), ", . ! ? ; : - ' \" ( )",
              *(t for f in lesson_frames.FRAMES.values() for t, _ in f.values())]
    plain = [re.sub(r"\{\w+\}|[\[\]]", " ", piece) for piece in pieces]  # slots and optional marks out
    return sorted({piece[a:b].lower() for piece in plain for a, b in _TOK.spans(piece)})


def cases_of(docs: Iterable[Doc], kind: str) -> list[tuple[Doc, Case]]:
    """(doc, case) for every case of `kind` ("tense", "cuisine") in docs."""
    return [(doc, case) for doc in docs for case in doc.cases if case.kind == kind]


def tense_cases(docs: Iterable[Doc]) -> list[tuple[Doc, Case]]:
    """need/had after the subject, cued by the opener."""
    return cases_of(docs, "tense")


def cuisine_cases(docs: Iterable[Doc]) -> list[tuple[Doc, Case]]:
    """The cuisine after its ending, cued by the food (both people's in a passage)."""
    return cases_of(docs, "cuisine")
