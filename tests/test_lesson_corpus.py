"""The generated lesson corpus: lecture sentences, agreement, held-out combinations, vocabulary, records."""

import re
from collections import Counter

import pytest

from app.corpora import lecture
from app.corpora import lesson as L
from app.tokenizer import Tokenizer

SMALL = {"train": 3000, "valid": 300, "test": 300}


@pytest.fixture(scope="module")
def full():
    """The default split (60,000 / 2,000 / 2,000 records), built once."""
    return L.split_records(0)


@pytest.fixture(scope="module")
def tok():
    return Tokenizer("word", ("<unk>", *L.vocabulary()), "<unk>", lowercase=True)


def _alt(options):
    return "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))


TENSE_RE = re.compile(
    rf"^(?P<opener>{_alt(L.PRESENT_OPENERS + L.PAST_OPENERS)}), (?:(?P<clause>[a-z ,]+), )?"
    rf"I (?P<verb>need|had) to (?P<obj>{_alt(L.OBJECTS)})\.$"
)
HABIT = _alt([h.replace("{he}", "he") for h in L.HABITS] + [h.replace("{he}", "she") for h in L.HABITS])
FIRST = (
    rf"(?P<name>{_alt(L.NAMES)}) eats (?P<food>{_alt(L.FOODS)}) (?P<habit>{HABIT}), (?P<guess>{_alt(L.GUESSES)}) "
    rf"(?P<his>his|her) favorite cuisine is (?P<c1>{_alt(L.CUISINES)})"
)
SECOND = (
    rf"(?P<poss>His|Her) (?P<sib>brother|sister) (?P<name2>{_alt(L.NAMES)}) (?P<likes>{_alt(L.LIKES)}) "
    rf"(?P<food2>{_alt(L.FOODS)}) (?P<link>{_alt(L.LINKS)}) (?P=name2)'s favorite cuisine is (?P<c2>{_alt(L.CUISINES)})"
)
CUISINE_RE = re.compile(rf"^{FIRST}\.$")
PASSAGE_RE = re.compile(rf"^{FIRST}\. {SECOND}\.$")


def test_counts_of_the_banks():
    assert len(L.CUISINES) >= 6 and all(len(foods) >= 4 for foods in L.CUISINES.values())
    assert len(L.FOODS) == len(set(L.FOODS)), "a food belongs to one cuisine"
    assert len(L.NAMES) >= 30 and len(set(L.NAMES)) == len(L.NAMES)
    assert {"Dhaval", "Bhavin"} <= set(L.MALE_NAMES) and not set(L.MALE_NAMES) & set(L.FEMALE_NAMES)
    assert len(L.REASONS) >= 15 and len(L.OBJECTS) >= 12
    assert len(L.PRESENT_OPENERS) >= 8 and len(L.PAST_OPENERS) >= 8
    assert {"pasta and cheese", "pastas and cheese", "samosa"} <= set(L.FOODS)
    # No cuisine word hides inside a food, a name or a filler (it would give the answer away).
    fillers = (*L.FOODS, *L.NAMES, *L.HABITS, *L.GUESSES, *L.LIKES, *L.LINKS)
    words = {w for piece in fillers for w in piece.lower().split()}
    assert not words & {c.lower() for c in L.CUISINES}


def test_deterministic_for_a_seed():
    a, b = L.split_records(7, SMALL), L.split_records(7, SMALL)
    assert a == b
    assert [d.text for d in a["train"]] != [d.text for d in L.split_records(8, SMALL)["train"]]
    assert L.generate(50, seed=3) == L.generate(50, seed=3) == [d.text for d in L.generate_records(50, 3)]
    assert L.generate(50, seed=3) != L.generate(50, seed=4)


def test_split_sizes_and_mix(full):
    assert {k: len(v) for k, v in full.items()} == L.SPLIT_SIZES
    for name, docs in full.items():
        counts = Counter(d.kind for d in docs)
        size = L.SPLIT_SIZES[name]
        assert counts == {"tense": size // 2, "cuisine": size // 4, "passage": size // 4}
    assert Counter(d.kind for d in full["train"][:1000])["tense"] in range(400, 600), "the kinds are shuffled"


def test_lecture_sentences_are_generated_by_the_banks():
    assert L.lecture_sentences() == lecture.EXAMPLES
    records = L.lecture_records()
    assert tuple(d.text for d in records) == lecture.EXAMPLES
    assert L.tense_doc("Today", (L.REASONS[0],), "take a loan").text == lecture.TENSE_PRESENT
    assert L.tense_doc("Last year", (L.REASONS[0],), "take a loan").text == lecture.TENSE_PAST
    assert L.cuisine_doc("Dhaval", "samosa").text == lecture.CUISINE_ONE + "."
    assert L.passage_doc("Dhaval", "samosa", "Bhavin", "pasta and cheese").text == lecture.CUISINE_TWO + "."
    assert L.passage_doc("Dhaval", "samosa", "Bhavin", "pastas and cheese").text == (
        lecture.CUISINE_TWO.replace("pasta and", "pastas and") + "."
    )
    # Their combinations stay in train, and the sampler draws exactly these shapes.
    assert all(L.split_of(d) == "train" for d in records)
    for doc in records:
        shape = TENSE_RE if doc.kind == "tense" else CUISINE_RE if doc.kind == "cuisine" else PASSAGE_RE
        assert shape.match(doc.text if doc.kind == "tense" else doc.text + ".")
    assert [(d.target, d.distance) for d in records] == [("need", 12), ("had", 12), ("Indian", 14), ("Italian", 6)]


def test_tense_docs_use_need_and_had_correctly(full):
    docs = [d for docs in full.values() for d in docs if d.kind == "tense"]
    lengths = {"need": set(), "had": set()}
    for doc in docs:
        m = TENSE_RE.match(doc.text)
        assert m, doc.text
        verb = "need" if m["opener"] in L.PRESENT_OPENERS else "had"
        assert m["verb"] == verb == doc.target and doc.foils == ({"need": "had", "had": "need"}[verb],)
        clause = m["clause"] or ""
        words = len(clause.replace(",", " ").split())
        assert 0 <= words <= L.MAX_CLAUSE and ("clause_words", str(words)) in doc.atoms
        lengths[verb].add(words)
    assert lengths["need"] == lengths["had"] == set(range(L.MAX_CLAUSE + 1))
    assert Counter(d.target for d in docs)["need"] / len(docs) == pytest.approx(0.5, abs=0.03)


def test_reason_clause_words_are_shared_by_both_tenses(full, tok):
    """No clause word appears with only one tense in train: the opener is the only cue."""
    seen = {"need": Counter(), "had": Counter()}
    for doc in full["train"]:
        if doc.kind != "tense":
            continue
        tokens = tok.tokenize(doc.text)
        clause = tokens[doc.cue_index + 2 : doc.target_index - 2]  # after "<opener> ,", before ", I"
        seen[doc.target].update(t.text.lower() for t in clause if t.text != ",")
    assert set(seen["need"]) == set(seen["had"])
    assert set(seen["need"]) == {w for p in (*L.REASONS, *L.ADVERBS, "and") for w in p.split()}
    for word, n in seen["need"].items():  # and with about the same frequency
        assert n / seen["had"][word] == pytest.approx(1, abs=0.25), word


def test_cuisine_docs_and_passages_agree(full):
    docs = [d for docs in full.values() for d in docs if d.kind != "tense"]
    siblings = Counter()
    for doc in docs:
        m = (CUISINE_RE if doc.kind == "cuisine" else PASSAGE_RE).match(doc.text)
        assert m, doc.text
        gender = L.GENDER[m["name"]]
        assert m["his"] == ("his" if gender == "m" else "her")
        if "can" in m["habit"]:
            assert m["habit"] == ("whenever he can" if gender == "m" else "whenever she can")
        assert m["c1"] == L.CUISINE_OF[m["food"]]
        if doc.kind == "passage":
            assert m["poss"] == ("His" if gender == "m" else "Her")
            assert m["sib"] == ("brother" if L.GENDER[m["name2"]] == "m" else "sister")
            assert m["c2"] == L.CUISINE_OF[m["food2"]] != m["c1"] and m["name2"] != m["name"]
            assert doc.target == m["c2"] and doc.foils[0] == m["c1"]
            siblings[m["poss"] + " " + m["sib"]] += 1
        else:
            assert doc.target == m["c1"]
    assert set(siblings) == {"His brother", "His sister", "Her brother", "Her sister"}


def test_records_point_at_the_right_tokens(full, tok):
    docs = full["valid"] + full["test"] + full["train"][:4000] + list(L.lecture_records())
    kinds = Counter()
    for doc in docs:
        tokens = tok.tokenize(doc.text)
        texts = [t.text for t in tokens]
        assert doc.cases and doc.cases[-1] == L.Case(
            doc.cases[-1].kind, doc.cue, doc.cases[-1].cue_start, doc.cue_index, doc.target, doc.target_index,
            doc.distance, doc.foils,
        )  # fmt: skip
        assert [c.target_index for c in doc.cases] == sorted(c.target_index for c in doc.cases)
        for case in doc.cases:
            kinds[case.kind] += 1
            assert texts[case.target_index] == case.target and case.target not in case.foils
            assert texts[case.cue_start : case.cue_index + 1] == [t.text for t in tok.tokenize(case.cue)]
            assert case.distance == case.target_index - case.cue_index - 1 > 0
            before = texts[case.target_index - 1]
            if case.kind == "tense":
                assert before == "I" and case.cue_start == 0
            elif case.kind == "cuisine":
                assert texts[case.target_index - 3 : case.target_index] == ["favorite", "cuisine", "is"]
                assert L.CUISINE_OF[case.cue] == case.target
            else:
                assert case.cue_start == 0 and case.target.lower() in {"he", "she", "his", "her"}
                assert (case.target.lower() in {"he", "his"}) == (L.GENDER[case.cue] == "m")
        n_cuisine = sum(c.kind == "cuisine" for c in doc.cases)
        assert n_cuisine == {"tense": 0, "cuisine": 1, "passage": 2}[doc.kind]
    assert kinds["tense"] and kinds["cuisine"] and kinds["pronoun"]
    assert len(L.tense_cases(docs)) == kinds["tense"] and len(L.cuisine_cases(docs)) == kinds["cuisine"]
    assert len(L.pronoun_cases(docs)) == kinds["pronoun"]
    distances = {c.distance for _, c in L.cuisine_cases(docs)}
    assert len(distances) >= 8, "the fillers vary the cue-target distance"


def test_every_doc_tokenizes_without_unknown_words(full, tok):
    assert L.vocabulary() == sorted(set(L.vocabulary())) and all(w == w.lower() for w in L.vocabulary())
    used = set()
    for docs in full.values():
        for doc in docs:
            ids = [tok.lookup(doc.text[a:b]) for a, b in tok.spans(doc.text)]
            assert 0 not in ids, doc.text
            used.update(ids)
    assert used == set(range(1, len(tok.vocab))), "every vocabulary word is used in the corpus"
    for text in L.lecture_sentences():
        assert 0 not in [t.id for t in tok.tokenize(text)]


def test_heldout_combinations_are_disjoint_from_train(full):
    held = L.heldout()
    assert held["valid"] and held["test"] and not held["valid"] & held["test"]
    universe = L.combination_universe()
    for kind, keys in universe.items():  # every combination kind keeps some back for each split
        assert any(k in held["valid"] for k in keys) and any(k in held["test"] for k in keys), kind
    combos = {name: {c for d in docs for c in d.combos} for name, docs in full.items()}
    assert not combos["train"] & (held["valid"] | held["test"])
    for name in ("valid", "test"):
        other = "test" if name == "valid" else "valid"
        assert all(set(d.combos) & held[name] and not set(d.combos) & held[other] for d in full[name])
        assert not (combos[name] & held[name]) & combos["train"]
    assert L.PINNED <= combos["train"]
    # Rejection sampling by split gives the same guarantee.
    assert all(L.split_of(d) == "test" for d in L.generate_records(200, 5, split="test"))


def test_every_atom_occurs_in_train(full):
    atoms = {name: {a for d in docs for a in d.atoms} for name, docs in full.items()}
    train = atoms["train"]
    expected = (
        [("opener", o) for o in L.PRESENT_OPENERS + L.PAST_OPENERS]
        + [("reason", r) for r in L.REASONS] + [("adverb", a) for a in L.ADVERBS]
        + [("object", o) for o in L.OBJECTS] + [("name", n) for n in L.NAMES] + [("food", f) for f in L.FOODS]
        + [("cuisine", c) for c in L.CUISINES] + [("habit", h) for h in L.HABITS] + [("guess", g) for g in L.GUESSES]
        + [("likes", x) for x in L.LIKES] + [("link", x) for x in L.LINKS]
        + [("clause_words", str(n)) for n in range(L.MAX_CLAUSE + 1)]
    )  # fmt: skip
    assert set(expected) <= train
    assert atoms["valid"] <= train and atoms["test"] <= train
    # Each cuisine appears first and second in train passages; every opener with many clause lengths.
    pairs = {c for d in full["train"] for c in d.combos if c[0] == "cuisines"}
    assert {p[1] for p in pairs} == {p[2] for p in pairs} == set(L.CUISINES)
    lengths = Counter(c[1] for d in full["train"] for c in d.combos if c[0] == "opener+length")
    assert set(lengths) == set(L.PRESENT_OPENERS + L.PAST_OPENERS)
