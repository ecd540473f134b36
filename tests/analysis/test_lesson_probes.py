"""Memory-span probes: exact filler lengths in the lecture's frames, balanced answers, training ranges that
match the generator, and the memory_span measurement built on them."""

import pytest

from app.analysis.memory_span import memory_span
from app.corpora import lesson as L
from app.corpora import lesson_probes as P
from app.engine.tokenizer import Tokenizer
from app.model_store import load_model
from app.resources import resource_dir

TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)
LENGTHS = (0, 1, 2, 9, 40, 100)


def words(text: str) -> list[str]:
    return [text[a:b].lower() for a, b in TOK.spans(text)]


def test_the_training_ranges_are_the_generators():
    docs = L.split_records(0, {"train": 3000})["train"]
    for task, kinds in (("tense", ("tense",)), ("cuisine", ("cuisine", "passage"))):
        lengths = {int(dict(d.atoms)["filler_words"]) for d in docs if d.kind in kinds}
        assert min(lengths) == P.TRAINING_RANGE[task][0] and max(lengths) == P.TRAINING_RANGE[task][1]


@pytest.mark.parametrize("n", LENGTHS)
def test_a_tense_probe_has_n_filler_words_between_opener_and_subject(n):
    probes = P.probes("tense", n, 12)
    assert len(probes) == 12 and [p.case.target for p in probes[:4]] == ["need", "had", "need", "had"]
    for p in probes:
        w = words(p.doc.text)
        assert p.filler_words == n and dict(p.doc.atoms)["filler_words"] == str(n)
        assert ("frame", "tense:lecture") in p.doc.atoms
        assert " ".join(w[p.case.cue_start : p.case.cue_index + 1]) == p.case.cue.lower()
        assert w[p.case.target_index] == p.case.target
        between = w[p.case.cue_index + 1 : p.case.target_index]
        assert len(between) == p.case.distance
        assert len([t for t in between if t != ","]) - len(words(dict(p.doc.atoms).get("subject", "I"))) >= n
        assert not set(between) & {*L.VERB.values()}


@pytest.mark.parametrize("n", LENGTHS)
def test_a_cuisine_probe_has_n_filler_words_between_food_and_guess(n):
    probes = P.probes("cuisine", n, 14)
    assert [p.case.target for p in probes[:7]] == list(L.CUISINES)
    for p in probes:
        w = words(p.doc.text)
        assert " ".join(w[p.case.cue_start : p.case.cue_index + 1]) == p.case.cue.lower()
        assert L.CUISINE_OF[p.case.cue] == p.case.target and w[p.case.target_index] == p.case.target.lower()
        assert w.index(",") - p.case.cue_index - 1 == n  # the filler, and nothing else, between food and comma
        between = set(w[p.case.cue_index + 1 : p.case.target_index])
        assert not between & {c.lower() for c in L.CUISINES}
        assert not between & {w for f in L.FOODS for w in words(f)} - {"and"}


def test_probes_are_deterministic_and_independent_per_distance():
    assert [p.doc.text for p in P.probes("tense", 12, 10, seed=3)] == [p.doc.text for p in P.probes("tense", 12, 10, 3)]
    assert [p.doc.text for p in P.probes("tense", 12, 10, seed=3)] != [p.doc.text for p in P.probes("tense", 12, 10)]
    with pytest.raises(ValueError, match="task must be one of"):
        P.probes("pronoun", 3, 1)


@pytest.fixture(scope="module")
def lesson():
    return load_model(resource_dir("models") / "lesson.safetensors")


def test_memory_span_marks_the_training_range(lesson):
    span = memory_span(lesson, per_point=7, distances=(0, 3, 70, 90))
    assert span["distances"] == [0, 3, 70, 90] and span["probes_per_point"] == 7
    assert span["tense"]["in_training_range"] == [True, True, True, False]
    assert span["cuisine"]["in_training_range"] == [True, True, False, False]
    assert span["cuisine"]["n"] == [7, 7, 7, 7]
    assert span["tense"]["chance"] == 0.5 and span["cuisine"]["chance"] == round(1 / 7, 4)
    for task in P.TASKS:
        assert all(0 <= a <= 1 for a in span[task]["accuracy"])
        low, high = zip(*span[task]["token_distance"], strict=True)
        assert list(low) == sorted(low) and all(a <= b for a, b in zip(low, high, strict=True))
