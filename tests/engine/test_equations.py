"""Every cell's engine against its equations written out step by step in float64 NumPy, for every card option
(the LSTM's and the GRU's three recurrent activations, the GRU's reset gate after or before W_hn), every layer
and step; and the gates stay where they must.

PyTorch checks the defaults (test_golden.py) and Keras the hard σ of imported LSTMs (tests/importers/); torch has
no hard σ and no GRU with the reset gate before W_hn, so for those these loops are the reference. A new cell writes
its equations out here too (the test below fails for a cell without them).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.cells import CELLS
from tests.helpers import cell_variants, random_cell_params, variant_id

SIGMA = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
}


def lstm_step(p, layer, x, state):
    """colah's notation; rows of the weights in PyTorch's order i, f, g, o."""
    sigma, H = SIGMA[p.recurrent_activation], p.hidden_size
    z = layer.W_ih @ x + layer.W_hh @ state["h"] + layer.b_ih + layer.b_hh
    i, f, g, o = sigma(z[:H]), sigma(z[H : 2 * H]), np.tanh(z[2 * H : 3 * H]), sigma(z[3 * H :])
    c = f * state["c"] + i * g
    return {"i": i, "f": f, "g": g, "o": o, "c": c, "h": o * np.tanh(c)}


def rnn_step(p, layer, x, state):
    a = layer.W_ih @ x + layer.b_ih + layer.W_hh @ state["h"] + layer.b_hh
    return {"h": np.tanh(a), "a": a}


def gru_step(p, layer, x, state):
    """PyTorch's nn.GRU (reset after W_hn), or Keras's reset_after=False; rows r, z, n."""
    sigma, h = SIGMA[p.recurrent_activation], state["h"]
    W_ir, W_iz, W_in = np.split(layer.W_ih, 3)
    W_hr, W_hz, W_hn = np.split(layer.W_hh, 3)
    b_ir, b_iz, b_in = np.split(layer.b_ih, 3)
    b_hr, b_hz, b_hn = np.split(layer.b_hh, 3)
    r = sigma(W_ir @ x + b_ir + W_hr @ h + b_hr)
    z = sigma(W_iz @ x + b_iz + W_hz @ h + b_hz)
    if p.reset_after:
        n = np.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
    else:
        n = np.tanh(W_in @ x + b_in + W_hn @ (r * h) + b_hn)
    return {"r": r, "z": z, "n": n, "h": (1 - z) * n + z * h}


STEPS = {"lstm": lstm_step, "rnn": rnn_step, "gru": gru_step}


def reference(cell, params, ids: np.ndarray, initial: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Every layer's quantities (T, H) by the equations, one step at a time, from `initial` {state: (L, H)}."""
    x = np.eye(params.vocab_size)[ids] if params.embedding is None else params.embedding[ids]  # (T, In)
    out = []
    for k, layer in enumerate(params.layers):
        state = {s: a[k] for s, a in initial.items()}
        rec = {q: [] for q in cell.quantities}
        for x_t in x:
            values = STEPS[cell.name](params, layer, x_t, state)
            state = {s: values[s] for s in cell.states}
            for q in cell.quantities:
                rec[q].append(values[q])
        out.append({q: np.array(v) for q, v in rec.items()})
        x = out[-1]["h"]
    return out


@pytest.mark.parametrize("name", list(CELLS))
def test_every_cell_writes_its_equations_out_here(name):
    assert name in STEPS, f"cell {name!r} has no reference step in {__file__}: write its equations out"


@pytest.mark.parametrize("name, options", [pytest.param(*v, id=variant_id(*v)) for v in cell_variants(STEPS)])
@pytest.mark.parametrize("E", [5, None], ids=["embedding", "one-hot"])
def test_the_engine_follows_the_equations(name, options, E):
    cell = CELLS[name]
    rng = np.random.default_rng(11)
    gain = 1.0 if options.get("recurrent_activation", "sigmoid") == "sigmoid" else 4.0  # a hard σ clips often
    params = random_cell_params(rng, cell, V=9, E=E, H=6, L=2, dtype=np.float64, scale=0.5 * gain, **options)
    ids = rng.integers(0, 9, 40)
    initial = {s: rng.uniform(-1, 1, (2, 6)) for s in cell.states}
    trace = cell.forward(cell.compile(params), ids, type(cell.zero_state(params))(**initial))
    for k, expected in enumerate(reference(cell, params, ids, initial)):
        for q, a in expected.items():
            np.testing.assert_allclose(trace.layers[k][q], a, rtol=0, atol=1e-12, err_msg=f"layer {k} {q}")


def test_the_gru_options_change_what_they_should():
    """reset_after moves r: the same weights give other candidates; the activation changes r and z."""
    gru = CELLS["gru"]
    params = {v: random_cell_params(np.random.default_rng(4), gru, dtype=np.float64, **o)
              for v, o in (("after", {}), ("before", {"reset_after": False}), ("hard", {"recurrent_activation":
                                                                                       "hard_sigmoid"}))}
    ids = np.arange(9)
    traces = {v: gru.forward(gru.compile(p), ids).layers[0] for v, p in params.items()}
    np.testing.assert_array_equal(traces["after"].r[0], traces["before"].r[0])  # from h = 0 the same r and z
    assert not np.allclose(traces["after"].n[1:], traces["before"].n[1:])
    assert not np.allclose(traces["after"].z, traces["hard"].z)


HARD = [pytest.param(name, activation, id=f"{name}-{activation}") for name, spec in CELLS.items()
        for activation in spec.options.get("recurrent_activation", ())[1:]]


@pytest.mark.parametrize("name, activation", HARD)
def test_hard_sigmoid_gates_saturate_at_exactly_0_and_1(name, activation):
    cell = CELLS[name]
    params = random_cell_params(np.random.default_rng(3), cell, V=7, E=4, H=5, L=1, decoder=False, scale=4.0,
                                recurrent_activation=activation)
    layer = cell.forward(cell.compile(params), np.arange(7)).layers[0]
    for gate, act in cell.activations(params).items():
        if act == "tanh":
            assert np.abs(layer[gate]).max() <= 1  # tanh, untouched by the clip
        else:
            assert layer[gate].min() == 0.0 and layer[gate].max() == 1.0, (gate, layer[gate].min(), layer[gate].max())


def test_the_slopes_differ_where_keras_2_and_3_differ():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 2.5, 3.0])
    np.testing.assert_allclose(SIGMA["hard_sigmoid"](x), [0, 1 / 3, 0.5, 2 / 3, 11 / 12, 1])
    np.testing.assert_allclose(SIGMA["hard_sigmoid_keras2"](x), [0, 0.3, 0.5, 0.7, 1, 1])
