"""Unit finders: the signals they correlate with, and the minimal-pair statistic."""

import numpy as np
import pytest

from app.analysis.evaluate import sample, trace_text
from app.analysis.units import WEAK, best_units, code_signals, correlated_units, line_position, partial_correlations
from app.engine.lstm import compile_params
from app.engine.tokenizer import Tokenizer
from app.model_store import Model
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


def test_partial_correlation_matches_the_inverse_covariance_formula():
    """Reference: the partial correlation of x and s given z is -P_xs / sqrt(P_xx P_ss), P the inverse of
    the correlation matrix of (x, s, z)."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 2))
    s = z @ [1.0, -0.5] + rng.standard_normal(500)
    x = np.column_stack([z[:, 0] + 0.3 * s + rng.standard_normal(500), 2 * z[:, 1] + rng.standard_normal(500)])
    r = partial_correlations(x, s, z)
    for k in range(2):
        P = np.linalg.inv(np.corrcoef(np.column_stack([x[:, k], s, z]).T))
        assert r[k] == pytest.approx(-P[0, 1] / np.sqrt(P[0, 0] * P[1, 1]), abs=1e-9)
    assert abs(r[0]) > 0.2 and abs(r[1]) < 0.1  # column 1 follows s only through z
    assert abs(np.corrcoef(x[:, 1], s)[0, 1]) > abs(r[1]) + 0.2, "the plain correlation is the confound's"


def test_best_units_ranks_by_size_and_marks_weak_ones():
    assert best_units(np.array([0.1, -0.7, 0.39, 0.0]), top=3) == [(1, -0.7, False), (2, 0.39, True),
                                                                 (0, 0.1, True)]
    assert WEAK == 0.4


def test_sample_continues_the_prompt_with_vocabulary_tokens(char_model):
    out = sample(char_model, "ab", 30, np.random.default_rng(0))
    assert out.startswith("ab") and len(out) == 32
    assert set(out) <= set(char_model.tokenizer.vocab)
    assert out == sample(char_model, "ab", 30, np.random.default_rng(0))
