"""Tokenizers: ids, unknown tokens, and code-point offsets that slice back to each token."""

import pytest

from app.engine.tokenizer import Tokenizer

MIXED = [
    "Dhaval eats samosa almost everyday, it shouldn't be hard to guess",
    "Bhavin's favorite cuisine is Italian.",
    "naïve café — 東京 مرحبا שלום",
    "family 👨‍👩‍👧‍👦 and flags 🇮🇳🇮🇹 and 👍🏽!",
    "e\u0301te\u0301 a\u0308\u0301 x\u20d7",  # combining accents
    "In 2019, it cost 1,000.50 dollars\t\n\r end",
    "",
    "   ",
]


def char_tok(vocab="abc ", unk="?"):
    return Tokenizer("char", tuple(vocab) + (unk,), unk)


@pytest.mark.parametrize("text", MIXED)
@pytest.mark.parametrize("kind", ["char", "word"])
def test_offsets_slice_back_to_each_token(kind, text):
    tok = Tokenizer(kind, ("<unk>",), "<unk>")
    tokens = tok.tokenize(text)
    for t in tokens:
        assert text[t.start : t.end] == t.text
        assert t.end > t.start
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    if kind == "char":
        assert "".join(t.text for t in tokens) == text
    else:  # everything that is not whitespace is covered by exactly one token
        covered = "".join(t.text for t in tokens)
        assert covered == "".join(text.split())


def test_char_tokens_are_code_points_and_unknowns_keep_their_text():
    tok = char_tok()
    tokens = tok.tokenize("ab👍c")
    assert [t.text for t in tokens] == ["a", "b", "👍", "c"]
    assert [t.id for t in tokens] == [0, 1, 4, 2]
    assert [(t.start, t.end) for t in tokens] == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_word_tokens_split_words_numbers_and_punctuation():
    tok = Tokenizer("word", ("<unk>",), "<unk>")
    text = "Today, I shouldn't pay 1,000.50 for Bhavin's loan... (really?)"
    assert [t.text for t in tok.tokenize(text)] == [
        "Today", ",", "I", "shouldn't", "pay", "1,000.50", "for", "Bhavin's", "loan", ".", ".", ".",
        "(", "really", "?", ")",
    ]


def test_combining_marks_stay_with_their_letter():
    tok = Tokenizer("word", ("<unk>",), "<unk>")
    assert [t.text for t in tok.tokenize("e\u0301te\u0301 ok")] == ["e\u0301te\u0301", "ok"]


def test_word_lowercasing_looks_up_lower_case_but_keeps_the_text():
    tok = Tokenizer("word", ("<unk>", "today", "i"), "<unk>", lowercase=True)
    tokens = tok.tokenize("Today I TODAY Tomorrow")
    assert [t.id for t in tokens] == [1, 2, 1, 0]
    assert [t.text for t in tokens] == ["Today", "I", "TODAY", "Tomorrow"]


def test_case_sensitive_without_lowercasing():
    tok = Tokenizer("word", ("<unk>", "today"), "<unk>")
    assert [t.id for t in tok.tokenize("today Today")] == [1, 0]


def test_missing_unknown_token_is_an_error_naming_the_token():
    tok = Tokenizer("char", ("a", "b"))
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        tok.tokenize("abz")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "bpe", "vocab": ("a",)}, "kind must be"),
        ({"kind": "char", "vocab": ("a", "a")}, "twice"),
        ({"kind": "char", "vocab": ("a",), "unk": "?"}, "unknown token"),
    ],
)
def test_bad_tokenizer_sections_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Tokenizer(**kwargs)


def test_card_round_trip():
    tok = Tokenizer("word", ("<unk>", "x"), "<unk>", lowercase=True)
    assert Tokenizer.from_card(tok.to_card()) == tok
