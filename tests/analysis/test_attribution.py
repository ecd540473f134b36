"""Attribution (app/analysis/attribution.py) against finite differences for every cell, with an embedding and with
one-hot inputs: each gradient method's scores equal central differences of its own definition; integrated
gradients converge to completeness; occlusion equals two forward passes' difference; and the function
attributed is the engine's own (its logits match the engine's forward pass)."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis import attribution as attr
from app.engine.cells import CELLS
from app.engine.cells import forward as engine_forward
from app.engine.lstm import logits as engine_logits
from tests.helpers import random_cell_params

CASES = [(cell, E) for cell in CELLS for E in (5, None)]
EPS = 1e-6


def make(cell: str, E: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = random_cell_params(rng, cell, V=11, E=E, H=6, L=2, dtype=np.float64, scale=0.6)
    ids = rng.integers(0, 11, size=7)
    return params, attr.network(CELLS[cell], params), ids


def f(net: attr.Network, x: np.ndarray, target: int) -> float:
    """log p(target) after the last of x (T, In)."""
    return float(attr.log_softmax(attr.forward(net, x[:, None, :])[1])[0, target])


def logit(net: attr.Network, x: np.ndarray, target: int) -> float:
    return float(attr.forward(net, x[:, None, :])[1][0, target])


def numeric_gradient(fn, x: np.ndarray) -> np.ndarray:
    """Central differences of fn at x (T, In), every coordinate."""
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += EPS
        down[index] -= EPS
        grad[index] = (fn(up) - fn(down)) / (2 * EPS)
    return grad


@pytest.mark.parametrize(("cell", "E"), CASES)
def test_the_attributed_function_is_the_engines_prediction(cell, E):
    params, net, ids = make(cell, E)
    trace = engine_forward(CELLS[cell].compile(params), ids)
    expected = engine_logits(params, trace.layers[-1].h)[-1]
    assert np.allclose(attr.forward(net, attr.inputs(net, ids)[:, None, :])[1][0], expected, atol=1e-10)


@pytest.mark.parametrize(("cell", "E"), CASES)
def test_grad_input_and_connectivity_equal_finite_differences(cell, E):
    params, net, ids = make(cell, E)
    target = 3
    x = attr.inputs(net, ids)
    g = numeric_gradient(lambda z: f(net, z, target), x)
    result = attr.grad_input(net, ids, target)
    assert np.allclose(result.scores, (x * g).sum(axis=1), atol=1e-7)
    assert result.value == pytest.approx(f(net, x, target), abs=1e-12)
    assert result.prob == pytest.approx(np.exp(result.value))
    d_logit = numeric_gradient(lambda z: logit(net, z, target), x)
    assert np.allclose(attr.connectivity(net, ids, target).scores, (d_logit**2).sum(axis=1), atol=1e-7)


@pytest.mark.parametrize(("cell", "E"), CASES)
def test_integrated_gradients_equal_the_midpoint_sum_of_finite_differences(cell, E):
    params, net, ids = make(cell, E, seed=1)
    target, m = 5, 4
    x = attr.inputs(net, ids)
    expected = np.zeros(len(ids))
    for j in range(m):
        alpha = (j + 0.5) / m
        expected += (x * numeric_gradient(lambda z: f(net, z, target), alpha * x)).sum(axis=1) / m
    result = attr.integrated_gradients(net, ids, target, m)
    assert np.allclose(result.scores, expected, atol=1e-7)
    assert result.baseline == pytest.approx(f(net, np.zeros_like(x), target), abs=1e-12)
    assert result.completeness_error == pytest.approx(
        abs(result.scores.sum() - (result.value - result.baseline)), abs=1e-12)


@pytest.mark.parametrize(("cell", "E"), CASES)
def test_integrated_gradients_converge_to_completeness(cell, E):
    _, net, ids = make(cell, E, seed=2)
    errors = [attr.integrated_gradients(net, ids, 2, m).completeness_error for m in (2, 8, 64)]
    assert errors[2] < errors[0]
    assert errors[2] < 1e-2 * max(abs(attr.integrated_gradients(net, ids, 2, 64).value), 1.0)


@pytest.mark.parametrize(("cell", "E"), CASES)
def test_occlusion_is_the_drop_when_a_token_becomes_unknown(cell, E):
    _, net, ids = make(cell, E, seed=3)
    target, unk = 4, 0
    result = attr.occlusion(net, ids, target, unk)
    x = attr.inputs(net, ids)
    for t in range(len(ids)):
        occluded = ids.copy()
        occluded[t] = unk
        assert result.scores[t] == pytest.approx(f(net, x, target) - f(net, attr.inputs(net, occluded), target),
                                                 abs=1e-12)
    assert result.scores[ids == unk] == pytest.approx(0.0, abs=1e-12)  # a token already unknown changes nothing


def test_options_outside_the_trainers_maths_are_refused_in_words():
    rng = np.random.default_rng(0)
    hard = random_cell_params(rng, "lstm", recurrent_activation="hard_sigmoid")
    assert "recurrent_activation = hard_sigmoid" in attr.supported(CELLS["lstm"], hard)
    assert attr.supported(CELLS["lstm"], random_cell_params(rng, "lstm")) is None
    assert "no decoder" in attr.supported(CELLS["gru"], random_cell_params(rng, "gru", decoder=False))
