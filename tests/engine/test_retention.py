"""Retention's numbers for every cell (app.engine.cells CellSpec.jacobian_norms and keep, which /api/retention
serves): the Jacobian norms ‖∂h_t/∂h_s‖ and ‖∂m_t/∂m_s‖ (m the cell's memory: the LSTM's c, the h of a GRU or a
vanilla RNN) against central finite differences of the engine run from a perturbed state, for every card option
(each recurrent activation, both GRU reset gates) and an upper layer; what the memory keeps against the recorded
gates."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.cells import CELLS
from app.engine.lstm import forget_products, sigma_prime
from app.engine.rnn import rnn_jacobian_norms
from tests.helpers import cell_variants, random_cell_params, variant_id

VARIANTS = [pytest.param(*v, id=variant_id(*v)) for v in cell_variants()]


def finite_difference_jacobian(step_from, x_s: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
    """Columns ∂y_t/∂x_s[j] by central differences; step_from(x) -> (window, H) later values of y."""
    cols = []
    for j in range(len(x_s)):
        e = np.zeros_like(x_s)
        e[j] = eps
        cols.append((step_from(x_s + e) - step_from(x_s - e)) / (2 * eps))
    return [np.stack([col[n] for col in cols], axis=1) for n in range(len(cols[0]))]  # each (H, H)


def traced(name: str, options: dict, seed: int = 0, T: int = 12):
    """A random two-layer float64 model of the cell, steep enough for a hard σ to clip often, and its trace."""
    cell = CELLS[name]
    hard = options.get("recurrent_activation", "sigmoid") != "sigmoid"
    rng = np.random.default_rng(seed)
    params = random_cell_params(rng, cell, V=9, E=4, H=5, L=2, dtype=np.float64, scale=1.2 if hard else 0.5,
                                **options)
    compiled = cell.compile(params)
    ids = rng.integers(0, 9, T)
    return cell, params, compiled, ids, cell.forward(compiled, ids)


@pytest.mark.parametrize("k", [0, 1], ids=["layer0", "layer1"])
@pytest.mark.parametrize("name, options", VARIANTS)
def test_jacobian_norms_match_finite_differences_of_the_engine(name, options, k):
    cell, params, compiled, ids, trace = traced(name, options)
    layer, s, window = trace.layers[k], 3, 7
    activations = cell.activations(params)
    if options.get("recurrent_activation", "sigmoid") != "sigmoid":  # both regions of the hard σ: clipped, linear
        gates = np.concatenate([layer[g] for g, a in activations.items() if a != "tanh"])[s + 1 : s + 1 + window]
        assert 0.1 < np.mean((gates == 0) | (gates == 1)) < 0.9

    def later(perturbed: str, read: str):
        """y_t = layer k's `read` at t = s+1 .. s+window, from its state `perturbed` at s replaced, the rest traced
        (layer k's input, the layer below, does not depend on layer k's state)."""
        def run(value: np.ndarray) -> np.ndarray:
            state = {st: np.stack([trace.layers[j][st][s] for j in range(params.num_layers)]) for st in cell.states}
            state[perturbed][k] = value
            start = type(trace.initial)(**state)
            return cell.forward(compiled, ids[s + 1 : s + 1 + window], start).layers[k][read]
        return run

    expected_h = [np.linalg.norm(J) for J in finite_difference_jacobian(later("h", "h"), layer.h[s].copy())]
    m = cell.memory
    expected_m = [np.linalg.norm(J) for J in finite_difference_jacobian(later(m, m), layer[m][s].copy())]
    got_h, got_m = cell.jacobian_norms(params, trace, k, s, window)
    assert got_h.shape == got_m.shape == (window,)
    assert np.all(np.isfinite(got_h)) and np.all(got_h > 0) and np.all(np.isfinite(got_m))
    # Central differences with eps = 1e-6 in float64 are good to about 1e-10 absolute: norms that have faded to
    # 1e-5 are compared to that.
    np.testing.assert_allclose(got_h, expected_h, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got_m, expected_m, rtol=1e-6, atol=1e-9)
    if m == "h":
        np.testing.assert_array_equal(got_h, got_m)
    if name == "lstm":
        np.testing.assert_allclose(got_m[0], np.linalg.norm(layer.f[s + 1]))  # ∂c_{s+1}/∂c_s = diag(f_{s+1})


# What the memory keeps directly, per cell: (layer, s) -> (the gate whose running product is kept, what step s wrote).
KEEPS = {
    "lstm": lambda layer, s: (layer.f, layer.i[s] * layer.g[s]),
    "gru": lambda layer, s: (layer.z, (1 - layer.z[s]) * layer.n[s]),
}


@pytest.mark.parametrize("name", [n for n, c in CELLS.items() if c.keep is not None])
def test_kept_is_the_running_product_of_the_recorded_gate(name):
    cell, params, compiled, ids, _ = traced(name, {}, seed=2, T=12)
    trace = cell.forward(cell.compile(random_cell_params(np.random.default_rng(2), cell)), ids)  # float32
    layer, s, window = trace.layers[1], 2, 8
    got = cell.keep(layer, s, window)
    assert set(got) == {"kept", "written"} and got["kept"].shape == got["written"].shape == (window, 7)
    assert np.all((got["kept"] >= 0) & (got["kept"] <= 1))
    assert name in KEEPS, f"write down what {name}'s memory keeps in KEEPS"
    gate, wrote = KEEPS[name](layer, s)
    product = np.ones(7, np.float32)
    for n, t in enumerate(range(s + 1, s + 1 + window)):  # one factor at a time, in float32: the same bits
        product = product * gate[t]
        assert np.array_equal(got["kept"][n], product), t
    assert np.array_equal(got["written"], wrote[None, :] * got["kept"])


def test_a_cell_without_a_keeping_gate_keeps_nothing():
    assert CELLS["rnn"].keep is None  # a vanilla RNN has no gate that passes its memory on directly


def test_sigma_prime_is_the_slope_of_each_activation():
    z = np.linspace(-4, 4, 81)
    sig = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sigma_prime(sig), np.exp(-z) / (1 + np.exp(-z)) ** 2)
    for name, slope in (("hard_sigmoid", 1 / 6), ("hard_sigmoid_keras2", 0.2)):
        gate = np.clip(slope * z + 0.5, 0, 1)
        want = np.where(np.abs(z) < 0.5 / slope, slope, 0.0)
        np.testing.assert_array_equal(sigma_prime(gate, name), want)


def test_rnn_jacobian_norms_match_an_independent_tanh_rnn():
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
