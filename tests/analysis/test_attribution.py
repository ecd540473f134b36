"""Attribution (app/analysis/attribution.py) against finite differences for every cell and every value of each of its
card options (and an RNN with relu, which only the RNN's gradients have), with an embedding and with one-hot inputs:
each gradient method's scores equal central differences of its own definition; integrated gradients converge to
completeness; occlusion equals two forward passes' difference; and the function attributed is the engine's own (its
logits match the engine's forward pass).

Hard σ and relu have kinks, where central differences are wrong: every test that differentiates checks that no
pre-activation with a kink lies within KINK of one at the points it differentiates at (tests.helpers.kinks), far
more than a step of EPS moves it, and that some lie on a flat side, so the zero derivative there is tested too
(`clear_of_kinks` takes the first seed whose weights and text pass that check)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.analysis import attribution as attr
from app.engine.cells import CELLS
from app.engine.cells import forward as engine_forward
from app.engine.lstm import logits as engine_logits
from tests.helpers import RELU_RNN, cell_variants, kink_points, kinks, random_cell_params, variant_id

VARIANTS = [*cell_variants(), RELU_RNN]
CASES = [pytest.param(cell, options, E, id=f"{variant_id(cell, options)}-{'embedding' if E else 'onehot'}")
         for cell, options in VARIANTS for E in (5, None)]
ENGINE_CASES = [case for case in CASES if case.values[:2] != RELU_RNN]  # the engine runs a tanh RNN only
EPS = 1e-6
KINK = 1e-4


def make(cell: str, options: dict, E: int | None, seed: int = 0):
    """Random float64 weights (larger for a hard σ, so that many gates clip) and a text."""
    rng = np.random.default_rng(seed)
    scale = 1.0 if options.get("recurrent_activation", "sigmoid") != "sigmoid" else 0.6
    params = random_cell_params(rng, cell, V=11, E=E, H=6, L=2, dtype=np.float64, scale=scale, **options)
    ids = rng.integers(0, 11, size=7)
    return params, attr.network(CELLS[cell], params), ids


def clear_of_kinks(cell: str, options: dict, E: int | None, seed: int, alphas=(1.0,)):
    """make(…) from the first seed on (seed, seed + 100, …) whose inputs α·x, for every α, put no kinked
    pre-activation within KINK of its kink and, if the options have kinks, some on a flat side."""
    for attempt in range(seed, seed + 2000, 100):
        params, net, ids = make(cell, options, E, attempt)
        x = attr.inputs(net, ids)
        found = [kinks(cell, options, net.layers, attr.forward(net, (a * x)[:, None, :])[0]) for a in alphas]
        if min(d for d, _ in found) > KINK and (sum(n for _, n in found) > 0 or not kink_points(options)):
            return params, net, ids
    raise AssertionError(f"no seed gives inputs clear of {cell} {options}'s kinks")


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


@pytest.mark.parametrize(("cell", "options", "E"), ENGINE_CASES)
def test_the_attributed_function_is_the_engines_prediction(cell, options, E):
    params, net, ids = make(cell, options, E)
    trace = engine_forward(CELLS[cell].compile(params), ids)
    expected = engine_logits(params, trace.layers[-1].h)[-1]
    assert np.allclose(attr.forward(net, attr.inputs(net, ids)[:, None, :])[1][0], expected, atol=1e-10)


@pytest.mark.parametrize(("cell", "options", "E"), CASES)
def test_grad_input_and_connectivity_equal_finite_differences(cell, options, E):
    params, net, ids = clear_of_kinks(cell, options, E, seed=0)
    target = 3
    x = attr.inputs(net, ids)
    g = numeric_gradient(lambda z: f(net, z, target), x)
    result = attr.grad_input(net, ids, target)
    assert np.allclose(result.scores, (x * g).sum(axis=1), atol=1e-7)
    assert result.value == pytest.approx(f(net, x, target), abs=1e-12)
    assert result.prob == pytest.approx(np.exp(result.value))
    d_logit = numeric_gradient(lambda z: logit(net, z, target), x)
    assert np.allclose(attr.connectivity(net, ids, target).scores, (d_logit**2).sum(axis=1), atol=1e-7)


@pytest.mark.parametrize(("cell", "options", "E"), CASES)
def test_integrated_gradients_equal_the_midpoint_sum_of_finite_differences(cell, options, E):
    target, m = 5, 4
    params, net, ids = clear_of_kinks(cell, options, E, seed=1, alphas=[(j + 0.5) / m for j in range(m)])
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


@pytest.mark.parametrize(("cell", "options", "E"), CASES)
def test_integrated_gradients_converge_to_completeness(cell, options, E):
    _, net, ids = make(cell, options, E, seed=2)
    errors = [attr.integrated_gradients(net, ids, 2, m).completeness_error for m in (2, 8, 64)]
    assert errors[2] < errors[0]
    # with kinks the gradient jumps along the path and the midpoint rule converges more slowly
    tolerance = 5e-2 if kink_points(options) else 1e-2
    assert errors[2] < tolerance * max(abs(attr.integrated_gradients(net, ids, 2, 64).value), 1.0)


@pytest.mark.parametrize(("cell", "options", "E"), CASES)
def test_occlusion_is_the_drop_when_a_token_becomes_unknown(cell, options, E):
    _, net, ids = make(cell, options, E, seed=3)
    target, unk = 4, 0
    result = attr.occlusion(net, ids, target, unk)
    x = attr.inputs(net, ids)
    for t in range(len(ids)):
        occluded = ids.copy()
        occluded[t] = unk
        assert result.scores[t] == pytest.approx(f(net, x, target) - f(net, attr.inputs(net, occluded), target),
                                                 abs=1e-12)
    assert result.scores[ids == unk] == pytest.approx(0.0, abs=1e-12)  # a token already unknown changes nothing


def test_every_option_is_supported_and_only_a_model_without_a_decoder_is_refused():
    rng = np.random.default_rng(0)
    for cell, options in VARIANTS:
        params = random_cell_params(rng, cell, **options)
        assert attr.supported(CELLS[cell], params) is None
        assert attr.network(CELLS[cell], params).options == CELLS[cell].card_options(options)
    assert "no decoder" in attr.supported(CELLS["gru"], random_cell_params(rng, "gru", decoder=False))


def test_the_options_change_the_attribution():
    """Each option reaches the maths: a variant's scores differ from its cell's defaults on the same weights."""
    for cell, options in VARIANTS:
        if options == CELLS[cell].card_options({}):
            continue
        params, net, ids = make(cell, options, 5)
        default = attr.network(CELLS[cell], replace(params, **CELLS[cell].card_options({})))
        assert not np.allclose(attr.grad_input(net, ids, 3).scores, attr.grad_input(default, ids, 3).scores)
