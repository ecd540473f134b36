"""RNN engine properties: the equations by hand, bit-identical pieces, dtypes, step detail, refusals.
(Torch agreement: test_rnn_golden.)"""

import subprocess
import sys

import numpy as np
import pytest

from app.engine.cells import forward as any_forward
from app.engine.lstm import logits
from app.engine.rnn import QUANTITIES, State, compile_params, forward, step_detail, zero_state
from tests.helpers import random_rnn_params


@pytest.fixture(params=[{"E": 5, "L": 2}, {"E": None, "L": 3}, {"E": 6, "L": 1}], ids=["emb-L2", "onehot-L3", "L1"])
def compiled(request):
    return compile_params(random_rnn_params(np.random.default_rng(7), **request.param))


def test_forward_is_the_equations_written_out():
    """h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh), layer by layer, in float64 by hand."""
    params = random_rnn_params(np.random.default_rng(3), V=9, E=4, H=5, L=2, dtype=np.float64)
    ids = np.array([2, 7, 0, 7, 8, 1])
    h0 = np.random.default_rng(4).uniform(-1, 1, (2, 5))
    trace = forward(compile_params(params), ids, State(h=h0))
    x = params.embedding[ids]  # (T, E)
    for k, layer in enumerate(params.layers):
        h_prev, hs, pre = h0[k], [], []
        for t in range(len(ids)):
            a = layer.W_ih @ x[t] + layer.b_ih + layer.W_hh @ h_prev + layer.b_hh
            h_prev = np.tanh(a)
            pre.append(a)
            hs.append(h_prev)
        np.testing.assert_allclose(trace.layers[k].a, pre, rtol=0, atol=1e-12)
        np.testing.assert_allclose(trace.layers[k].h, hs, rtol=0, atol=1e-12)
        x = np.array(hs)


@pytest.mark.parametrize("splits", [[1], [13], [29], [5, 6, 20], list(range(1, 30))])
def test_tracing_in_pieces_equals_tracing_whole_bit_for_bit(compiled, splits):
    ids = np.random.default_rng(1).integers(0, compiled.params.vocab_size, 30)
    whole = forward(compiled, ids)
    pieces, state = [], None
    for a, b in zip([0, *splits], [*splits, len(ids)], strict=True):
        part = forward(compiled, ids[a:b], state)
        pieces.append(part)
        state = part.final
    for k in range(compiled.params.num_layers):
        for q in QUANTITIES:
            joined = np.concatenate([p.layers[k][q] for p in pieces])
            assert np.array_equal(joined, whole.layers[k][q]), (k, q)
    np.testing.assert_array_equal(state.h, whole.final.h)
    top = np.concatenate([logits(compiled.params, p.layers[-1].h) for p in pieces])
    assert np.array_equal(top, logits(compiled.params, whole.layers[-1].h))


def test_same_input_same_bits_after_other_traces(compiled):
    ids = np.arange(12) % compiled.params.vocab_size
    first = forward(compiled, ids)
    forward(compiled, ids[::-1])
    again = forward(compiled, ids)
    for a, b in zip(first.layers, again.layers, strict=True):
        assert all(np.array_equal(a[q], b[q]) for q in QUANTITIES)


def test_the_cell_dispatch_runs_the_rnn_engine(compiled):
    ids = np.arange(7) % compiled.params.vocab_size
    direct, dispatched = forward(compiled, ids), any_forward(compiled, ids)
    assert type(dispatched) is type(direct)
    assert np.array_equal(dispatched.layers[-1].h, direct.layers[-1].h)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_records_h_and_a_as_T_by_H_in_the_weights_dtype(dtype):
    params = random_rnn_params(np.random.default_rng(0), H=4, L=2, dtype=dtype)
    trace = forward(compile_params(params), np.array([1, 2, 3]))
    assert len(trace.layers) == 2
    for layer in trace.layers:
        for q in QUANTITIES:
            assert layer[q].shape == (3, 4) and layer[q].dtype == dtype and layer[q].flags.c_contiguous
        assert np.array_equal(layer.h, np.tanh(layer.a))
    assert trace.final.h.shape == (2, 4) and not hasattr(trace.final, "c")


def test_empty_text_gives_zero_steps_and_keeps_the_state():
    params = random_rnn_params(np.random.default_rng(0))
    start = State(h=np.full((2, 7), 0.5, np.float32))
    trace = forward(compile_params(params), np.array([], dtype=np.int64), start)
    assert trace.num_steps == 0 and trace.layers[0].h.shape == (0, 7) and trace.layers[0].a.shape == (0, 7)
    np.testing.assert_array_equal(trace.final.h, start.h)


def test_starts_from_zeros_by_default():
    params = random_rnn_params(np.random.default_rng(0))
    compiled = compile_params(params)
    ids = np.array([3, 1, 4])
    assert np.array_equal(forward(compiled, ids).layers[1].h, forward(compiled, ids, zero_state(params)).layers[1].h)


def test_out_of_range_ids_and_wrong_states_are_refused():
    compiled = compile_params(random_rnn_params(np.random.default_rng(0), V=5, H=7, L=2))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        forward(compiled, np.array([0, 5]))
    for h in (np.zeros((3, 7), np.float32), np.zeros((2, 7), np.float64)):
        with pytest.raises(ValueError, match=r"must be \(2, 7\) float32"):
            forward(compiled, np.array([1, 2]), State(h=h))


def test_unknown_nonlinearity_is_refused():
    params = random_rnn_params(np.random.default_rng(0))
    params = type(params)(**{**params.__dict__, "nonlinearity": "relu"})
    with pytest.raises(ValueError, match="nonlinearity"):
        compile_params(params)


@pytest.mark.parametrize("E, k", [(5, 0), (5, 1), (None, 0)], ids=["embedding", "upper-layer", "one-hot"])
def test_step_detail_parts_add_up_to_the_preactivation(E, k):
    params = random_rnn_params(np.random.default_rng(5), E=E, L=2)
    ids = np.array([4, 0, 9, 3])
    trace = forward(compile_params(params), ids)
    for t in range(len(ids)):
        d = step_detail(params, trace, ids, k, t)
        expected_prev = np.zeros(7, np.float32) if t == 0 else trace.layers[k].h[t - 1]
        np.testing.assert_array_equal(d.h_prev, expected_prev)
        np.testing.assert_allclose(d.input + d.recurrent + d.bias, trace.layers[k].a[t], atol=1e-6)
        layer = params.layers[k]
        np.testing.assert_allclose(d.input, layer.W_ih @ d.x, atol=1e-6)


def test_importing_the_engine_loads_numpy_and_no_web_module():
    code = (
        "import sys, app.engine.rnn, app.engine.cells\n"
        "heavy = {'fastapi', 'starlette', 'pydantic', 'uvicorn', 'jinja2', 'orjson', 'safetensors', 'plotly',"
        " 'threadpoolctl', 'torch', 'app.serving.app', 'app.serving.service', 'app.model_store'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
