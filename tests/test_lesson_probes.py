"""Memory-span probes: exact filler lengths, the corpus's own sentences around them, balanced answers,
training ranges that match the generator, and the memory_span measurement built on them."""

import numpy as np
import pytest

from app.corpora import lesson as L
from app.corpora import lesson_probes as P
from app.memory_span import memory_span
from app.model_store import load_model
from app.resources import resource_dir
from app.tokenizer import Tokenizer
from tests.test_lesson_corpus import CUISINE_RE, TENSE_RE

TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)
LENGTHS = (0, 1, 2, 3, 4, 5, 9, 25, 26, 40)


def words(text: str) -> list[str]:
    return [text[a:b] for a, b in TOK.spans(text)]


def test_the_training_ranges_are_the_generators():
    docs = L.split_records(0, {"train": 3000, "valid": 0, "test": 0})["train"]
    clause = {int(dict(d.atoms)["clause_words"]) for d in docs if d.kind == "tense"}
    assert clause == set(range(P.TRAINING_RANGE["tense"][0], P.TRAINING_RANGE["tense"][1] + 1))
    habits = {len(words(v.replace("{he}", "he"))) for d in docs if d.kind != "tense" for k, v in d.atoms
              if k == "habit"}
    assert habits == set(range(P.TRAINING_RANGE["cuisine"][0], P.TRAINING_RANGE["cuisine"][1] + 1))


@pytest.mark.parametrize("n", LENGTHS)
def test_a_tense_probe_has_n_clause_words_between_opener_and_verb(n):
    probes = P.probes("tense", n, 40)
    assert len(probes) == 40 and [p.case.target for p in probes[:4]] == ["need", "had", "need", "had"]
    for p in probes:
        w = words(p.doc.text)
        assert p.filler_words == n and int(dict(p.doc.atoms)["clause_words"]) == n
        assert " ".join(w[p.case.cue_start : p.case.cue_index + 1]) == p.case.cue
        assert w[p.case.target_index] == p.case.target and w[p.case.target_index - 1] == "I"
        between = w[p.case.cue_index + 1 : p.case.target_index]
        assert len(between) == p.case.distance
        filler = between[1:-2]  # between ", " and ", I"
        assert len([t for t in filler if t != ","]) == n
        assert not set(between) & {*L.VERB.values(), *(o.split()[0] for o in L.PRESENT_OPENERS + L.PAST_OPENERS)}


@pytest.mark.parametrize("n", LENGTHS)
def test_a_cuisine_probe_has_n_habit_words_between_food_and_guess(n):
    probes = P.probes("cuisine", n, 21)
    if n in (1, 4):
        assert probes == [] and not P.buildable("cuisine", n)
        with pytest.raises(ValueError, match="habits have 2 or 3 words"):
            P.habits(n, np.random.default_rng(0))
        return
    assert [p.case.target for p in probes[:7]] == list(L.CUISINES)
    for p in probes:
        w = words(p.doc.text)
        assert " ".join(w[p.case.cue_start : p.case.cue_index + 1]) == p.case.cue
        assert L.CUISINE_OF[p.case.cue] == p.case.target == w[p.case.target_index] == w[-2]
        comma = w.index(",")
        assert comma - p.case.cue_index - 1 == n  # the habits, and nothing else, between food and comma
        between = set(w[p.case.cue_index + 1 : p.case.target_index])
        assert not between & {f.lower() for f in L.FOODS} and not between & {c for c in L.CUISINES}
        assert len(w[p.case.cue_index + 1 : p.case.target_index]) == p.case.distance


def test_probes_inside_the_training_range_are_sentences_the_corpus_writes():
    for p in P.probes("tense", 9, 20):
        assert TENSE_RE.match(p.doc.text)
        a = dict(p.doc.atoms)
        adverb = a.get("adverb")
        reasons = tuple(v for k, v in p.doc.atoms if k == "reason")
        assert L.tense_doc(a["opener"], reasons, a["object"], adverb).text == p.doc.text
    for n in (2, 3):
        for p in P.probes("cuisine", n, 21):
            a = dict(p.doc.atoms)
            corpus = {L.cuisine_doc(a["name"], a["food"], h, a["guess"]).text for h in L.HABITS}
            assert p.doc.text in corpus and CUISINE_RE.match(p.doc.text)


def test_probes_are_deterministic_and_independent_per_distance():
    assert [p.doc.text for p in P.probes("tense", 12, 10, seed=3)] == [p.doc.text for p in P.probes("tense", 12, 10, 3)]
    assert [p.doc.text for p in P.probes("tense", 12, 10, seed=3)] != [p.doc.text for p in P.probes("tense", 12, 10)]
    with pytest.raises(ValueError, match="task must be one of"):
        P.probes("pronoun", 3, 1)


def test_filler_builds_every_length_from_reasons_joined_by_and():
    rng = np.random.default_rng(0)
    for n in range(0, 61):
        adverb, reasons = P.filler(n, rng)
        text = P.filler_text(adverb, reasons)
        assert len([w for w in words(text) if w != ","]) == n
        assert set(reasons) <= set(L.REASONS) and (adverb is None or adverb in L.ADVERBS)


@pytest.fixture(scope="module")
def lesson():
    return load_model(resource_dir("models") / "lesson.safetensors")


def test_memory_span_marks_the_training_range_and_the_lengths_no_filler_has(lesson):
    span = memory_span(lesson, per_point=6, distances=(0, 1, 3, 30))
    assert span["distances"] == [0, 1, 3, 30] and span["probes_per_point"] == 6
    assert span["tense"]["in_training_range"] == [True, True, True, False]
    assert span["cuisine"]["in_training_range"] == [False, False, True, False]
    assert span["cuisine"]["n"] == [6, 0, 6, 6] and span["cuisine"]["accuracy"][1] is None
    assert span["tense"]["chance"] == 0.5 and span["cuisine"]["chance"] == round(1 / 7, 4)
    for task in P.TASKS:
        acc = [a for a in span[task]["accuracy"] if a is not None]
        assert all(0 <= a <= 1 for a in acc)
