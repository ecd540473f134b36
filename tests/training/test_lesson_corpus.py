"""The generated lesson corpus: the lecture's sentences, cases that point at their cue and target, frames
and words held out of training, filler that carries no cue, and a vocabulary every training word is in."""

from collections import Counter

import numpy as np
import pytest

from app.corpora import lecture
from app.corpora import lesson as L
from app.corpora.lesson_banks import CUE_WORDS
from app.corpora.lesson_frames import FRAMES, frames_of
from app.corpora.words import filler_pool, filler_words
from app.engine.tokenizer import Tokenizer

SMALL = {"train": 4000, "valid": 300, "test": 900}
TOK = Tokenizer("word", ("<unk>",), "<unk>", lowercase=True)


@pytest.fixture(scope="module")
def small():
    return L.split_records(0, SMALL)


@pytest.fixture(scope="module")
def tok():
    return Tokenizer("word", ("<unk>", *L.vocabulary()), "<unk>", lowercase=True)


def words(text: str) -> list[str]:
    return [text[a:b].lower() for a, b in TOK.spans(text)]


def test_lecture_sentences_are_generated_by_the_banks():
    records = L.lecture_records()
    assert tuple(d.text for d in records) == lecture.EXAMPLES == L.lecture_sentences()
    assert [(d.target, d.distance) for d in records] == [("need", 12), ("had", 12), ("Indian", 14), ("Italian", 6)]
    assert [d.cue for d in records] == ["Today", "Last year", "samosa", "pasta and cheese"]
    frames = ("tense:lecture", "tense:lecture", "cuisine:lecture", "second:lecture")
    assert all(("frame", f) in d.atoms for d, f in zip(records, frames, strict=True))
    assert all(split == "train" for kind in ("tense", "cuisine", "second") for split in [FRAMES[kind]["lecture"][1]])


def test_deterministic_for_a_seed():
    a, b = L.split_records(7, {"train": 200, "test": 60}), L.split_records(7, {"train": 200, "test": 60})
    assert a == b
    assert [d.text for d in a["train"]] != [d.text for d in L.split_records(8, {"train": 200})["train"]]
    assert L.split_records(7, {"test": 60})["test"] == a["test"], "a split does not depend on the others drawn"
    assert L.generate(50, seed=3) == [d.text for d in L.generate_records(50, 3)]


def test_split_sizes_mix_and_what_test_holds_out(small):
    assert {k: len(v) for k, v in small.items()} == SMALL
    for docs in small.values():
        counts = Counter(d.kind for d in docs)
        assert counts["cuisine"] == counts["passage"] == len(docs) // 4
    assert {d.heldout for d in small["train"]} == {d.heldout for d in small["valid"]} == {""}
    held = Counter(d.heldout for d in small["test"])
    assert held["frame"] == 600 and held["word"] == 300


def test_no_training_document_has_a_heldout_frame_or_word(small):
    train_frames = {f"{k}:{f}" for k in FRAMES for f in frames_of(k, "train")}
    held_words = {w.lower() for v in L.HELDOUT_OPENERS.values() for w in v} | {n.lower() for n in L.HELDOUT_NAMES}
    for doc in small["train"]:
        assert {v for k, v in doc.atoms if k == "frame"} <= train_frames
        text = " ".join(words(doc.text))
        assert not any(f" {w} " in f" {text} " for w in held_words), doc.text
    for doc in small["test"]:
        frames = {v for k, v in doc.atoms if k == "frame"}
        if doc.heldout == "frame":
            assert frames - train_frames, doc.text
        else:
            text = " ".join(words(doc.text))
            assert frames <= train_frames and any(f" {w} " in f" {text} " for w in held_words), doc.text
    for doc in small["valid"]:  # more of train's distribution, to choose the best step by
        assert {v for k, v in doc.atoms if k == "frame"} <= train_frames


def test_every_case_points_at_its_cue_and_target(small):
    for doc in [d for docs in small.values() for d in docs] + list(L.lecture_records()):
        w = words(doc.text)
        for case in doc.cases:
            assert " ".join(w[case.cue_start : case.cue_index + 1]) == " ".join(words(case.cue)), doc.text
            assert w[case.target_index] == case.target.lower() and case.target not in case.foils
            assert case.distance == case.target_index - case.cue_index - 1 >= 0
            if case.kind == "tense":
                assert case.target == L.VERB[L.tense_of(dict(doc.atoms)["opener"])]
            else:
                assert case.target == L.CUISINE_OF[case.cue.lower() if case.cue.lower() in L.CUISINE_OF else
                                                   case.cue[0].lower() + case.cue[1:]]
        assert doc.cases[-1].target_index == doc.target_index


def test_both_answers_share_every_frame_and_the_distances_reach_the_maximum(small):
    docs = small["train"]
    tense = [d for d in docs if d.kind == "tense"]
    assert Counter(d.target for d in tense)["need"] / len(tense) == pytest.approx(0.5, abs=0.04)
    by_frame = Counter((dict(d.atoms)["frame"], d.target) for d in tense)
    assert all(by_frame[(f"tense:{f}", v)] for f in frames_of("tense", "train") for v in ("need", "had"))
    fillers = [int(dict(d.atoms)["filler_words"]) for d in tense]
    assert max(fillers) >= L.MAX_FILLER["tense"] - 3 and min(fillers) == 0
    assert Counter(c.target for _, c in L.cuisine_cases(docs)).keys() == set(L.CUISINES)


def test_filler_has_exactly_n_words_and_no_cue():
    rng = np.random.default_rng(0)
    cues = {*CUE_WORDS, *(w for f in L.FOODS for w in words(f)), *(c.lower() for c in L.CUISINES),
            "need", "had", "yesterday", "today"}
    for n in (0, 1, 2, 7, 30, 80):
        for _ in range(20):
            text = filler_words(n, rng, L.REASONS)
            got = words(text)
            assert len(got) == n
            assert not (set(got) - set(" ".join(L.REASONS).lower().split())) & cues, text
    with pytest.raises(ValueError):
        filler_words(-1, rng)


def test_every_word_a_model_knows_reaches_training(tok):
    """Every vocabulary word is a filler word or a word of the banks: none keeps its random embedding
    (held-out openers and names are known on purpose and never trained; they test generalisation)."""
    pool, _ = filler_pool()
    banks = L.generate(3000, seed=1)
    trained = set(pool) | {w for d in banks for w in words(d)} | {w for f in L.FOODS for w in words(f)}
    trained |= {w for n in L.NAMES for w in words(n) + words(f"{n}'s")} | set(L.YEARS)
    held = {w for v in L.HELDOUT_OPENERS.values() for o in v for w in words(o)} | {"2012"}
    held |= {w for n in L.HELDOUT_NAMES for w in words(n) + words(f"{n}'s")}
    missing = set(tok.vocab[1:]) - trained - held - set(",.!?;:-'\"()")
    assert not missing, sorted(missing)[:20]


def test_every_doc_tokenizes_without_unknown_words(small, tok):
    for docs in small.values():
        for doc in docs:
            assert all(t.id != tok.unk_id for t in tok.tokenize(doc.text)), doc.text


def test_vocabulary_is_everyday_english():
    vocab = set(L.vocabulary())
    assert 5000 <= len(vocab) <= 8000
    assert {"yesterday", "homework", "exam", "because", "trains", "late", "missed", "chinese", "favourite"} <= vocab
    assert not {"fuck", "shit"} & vocab
