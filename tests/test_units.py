"""Unit finders: the signals they correlate with, and the minimal-pair statistic."""

import numpy as np
import pytest

from app.evaluate import sample, trace_text
from app.lstm import compile_params
from app.model_store import Model
from app.tokenizer import Tokenizer
from app.units import code_signals, correlated_units, line_position, minimal_pair_units
from tests.helpers import random_params


@pytest.fixture(scope="module")
def char_model():
    vocab = ("?", *sorted(set("abc ()'\"\n#xyz=")))
    params = random_params(np.random.default_rng(4), V=len(vocab), E=5, H=9, L=2)
    tok = Tokenizer("char", vocab, "?")
    return Model("toy", {"id": "toy"}, params, compile_params(params), tok, "v")


def test_code_signals_follow_strings_brackets_and_indentation():
    text = "f(a, 'x(')\n    b = [\"#\"]  # (\nc\n"
    s = code_signals(text)
    inside = "".join("1" if v else "0" for v in s["inside_string"])
    assert inside == "0000011110" + "0" + "000000000111" + "0000000" + "00"
    depth = [int(v) for v in s["bracket_depth"]]
    assert depth[:10] == [0, 1, 1, 1, 1, 1, 1, 1, 1, 0]  # the quoted "(" opens nothing
    assert depth[text.index("[")] == 1 and depth[text.index("# (")] == 0  # a comment's "(" opens nothing
    assert [int(v) for v in s["indentation"][11:15]] == [4, 4, 4, 4] and s["indentation"][0] == 0
    assert s["line_position"][text.index("b")] == 4


def test_escaped_and_triple_quotes():
    text = "'a\\'b' \"\"\"x\"y\"\"\" z"
    inside = "".join("1" if v else "0" for v in code_signals(text)["inside_string"])
    assert inside == "111111" + "0" + "111111111" + "00"


def test_line_position_counts_characters_since_the_newline():
    assert line_position("ab\ncd\n").tolist() == [0, 1, 2, 0, 1, 2]


def test_correlated_units_finds_a_unit_from_its_own_signal(char_model):
    text = "x = (a) 'b'\n# c\nyz\n"
    _, trace = trace_text(char_model, text)
    found = correlated_units(char_model, text, trace.layers[1].c[:, 6].astype(np.float64), top=2)
    assert found[0]["unit"] == 6 and found[0]["correlation"] == pytest.approx(1.0)
    assert found[0]["layer"] == 1 and abs(found[1]["correlation"]) < 1


def test_minimal_pair_units_average_the_shared_ending(char_model):
    a, b, n = "ab ab xyz", "cc ab xyz", 4
    found = minimal_pair_units(char_model, [(a, b, n)], layer=0, top=9)
    delta = trace_text(char_model, a)[1].layers[0].c[-n:] - trace_text(char_model, b)[1].layers[0].c[-n:]
    for f in found:
        assert f["mean_delta_c"] == pytest.approx(float(delta[:, f["unit"]].mean()), abs=1e-4)
        expected = (np.sign(delta[:, f["unit"]]) == np.sign(delta[:, f["unit"]].mean())).mean()
        assert f["sign_consistency"] == pytest.approx(expected)
    scores = [abs(f["mean_delta_c"]) * f["sign_consistency"] for f in found]
    assert scores == sorted(scores, reverse=True) and f["positions"] == n


def test_sample_continues_the_prompt_with_vocabulary_tokens(char_model):
    out = sample(char_model, "ab", 30, np.random.default_rng(0))
    assert out.startswith("ab") and len(out) == 32
    assert set(out) <= set(char_model.tokenizer.vocab)
    assert out == sample(char_model, "ab", 30, np.random.default_rng(0))
