"""Retention (issue #9): the Jacobian norms (‖∂h_t/∂h_s‖, and the LSTM's ‖∂c_t/∂c_s‖) against central
finite differences of the engine run from a perturbed state, and the forget-gate products against the
recorded gates."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis.retention import forget_products, lstm_jacobian_norms, rnn_jacobian_norms, sigma_prime
from app.engine.lstm import RECURRENT_ACTIVATIONS, LayerWeights, LSTMParams, State, compile_params, forward
from tests.helpers import random_params


def finite_difference_jacobian(step_from, h_s: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
    """Columns ∂h_t/∂h_s[j] by central differences; step_from(h) -> (window, H) later hidden states."""
    cols = []
    for j in range(len(h_s)):
        e = np.zeros_like(h_s)
        e[j] = eps
        cols.append((step_from(h_s + e) - step_from(h_s - e)) / (2 * eps))
    return [np.stack([col[n] for col in cols], axis=1) for n in range(len(cols[0]))]  # each (H, H)


def steep(params: LSTMParams, gain: float, activation: str) -> LSTMParams:
    """The same model with every weight and bias times `gain` (so a hard σ clips often) and `activation`."""
    layers = tuple(LayerWeights(*(gain * w for w in (lw.W_ih, lw.W_hh, lw.b_ih, lw.b_hh))) for lw in params.layers)
    return LSTMParams(layers, params.vocab_size, params.embedding, params.W_dec, params.b_dec, activation)


@pytest.mark.parametrize("activation", RECURRENT_ACTIVATIONS)
def test_lstm_jacobian_norms_match_finite_differences(activation):
    rng = np.random.default_rng(0)
    params = steep(random_params(rng, V=9, E=4, H=5, L=1, dtype=np.float64), 1.0 if activation == "sigmoid" else 4.0,
                   activation)
    compiled = compile_params(params)
    ids = rng.integers(0, 9, 12)
    trace = forward(compiled, ids)
    layer, s, window = trace.layers[0], 3, 7
    if activation != "sigmoid":  # both regions of the hard σ are exercised: clipped and linear
        gates = np.concatenate([layer.i, layer.f, layer.o])[s + 1 : s + 1 + window]
        assert 0.1 < np.mean((gates == 0) | (gates == 1)) < 0.9

    def later_h(h: np.ndarray) -> np.ndarray:  # h_t from a perturbed h_s, c_s as traced
        start = State(h=h[None, :], c=layer.c[s][None, :].copy())
        return forward(compiled, ids[s + 1 : s + 1 + window], start).layers[0].h

    def later_c(c: np.ndarray) -> np.ndarray:  # c_t from a perturbed c_s, h_s as traced
        start = State(h=layer.h[s][None, :].copy(), c=c[None, :])
        return forward(compiled, ids[s + 1 : s + 1 + window], start).layers[0].c

    expected_h = [np.linalg.norm(J) for J in finite_difference_jacobian(later_h, layer.h[s].copy())]
    expected_c = [np.linalg.norm(J) for J in finite_difference_jacobian(later_c, layer.c[s].copy())]
    got_h, got_c = lstm_jacobian_norms(params.layers[0].W_hh, layer.i, layer.f, layer.g, layer.o, layer.c,
                                       trace.initial.c[0], s, window, activation)
    assert np.all(np.isfinite(got_h)) and np.all(got_h > 0) and np.all(np.isfinite(got_c))
    np.testing.assert_allclose(got_h, expected_h, rtol=1e-6)
    np.testing.assert_allclose(got_c, expected_c, rtol=1e-6)
    np.testing.assert_allclose(got_c[0], np.linalg.norm(layer.f[s + 1]))  # ∂c_{s+1}/∂c_s = diag(f_{s+1})


def test_sigma_prime_is_the_slope_of_each_activation():
    z = np.linspace(-4, 4, 81)
    sig = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sigma_prime(sig), np.exp(-z) / (1 + np.exp(-z)) ** 2)
    for name, slope in (("hard_sigmoid", 1 / 6), ("hard_sigmoid_keras2", 0.2)):
        gate = np.clip(slope * z + 0.5, 0, 1)
        want = np.where(np.abs(z) < 0.5 / slope, slope, 0.0)
        np.testing.assert_array_equal(sigma_prime(gate, name), want)


def test_rnn_jacobian_norms_match_finite_differences():
    rng = np.random.default_rng(1)
    H, T = 6, 10
    W_hh, W_x = rng.normal(scale=0.6, size=(H, H)), rng.normal(size=(T, H))

    def run(h0: np.ndarray, xs: np.ndarray) -> np.ndarray:  # an independent tanh RNN over inputs xs
        out, h = [], h0
        for x in xs:
            h = np.tanh(x + W_hh @ h)
            out.append(h)
        return np.array(out)

    hs = run(np.zeros(H), W_x)
    s, window = 2, 6
    expected = [np.linalg.norm(J) for J in
                finite_difference_jacobian(lambda h: run(h, W_x[s + 1 : s + 1 + window]), hs[s].copy())]
    np.testing.assert_allclose(rnn_jacobian_norms(W_hh, hs, s, window), expected, rtol=1e-6)


def test_forget_products_are_running_products_of_the_recorded_gates():
    f = np.random.default_rng(2).uniform(size=(8, 3))
    got = forget_products(f, 2, 4)
    assert got.shape == (4, 3)
    np.testing.assert_allclose(got[0], f[3])
    np.testing.assert_allclose(got[3], f[3] * f[4] * f[5] * f[6])
