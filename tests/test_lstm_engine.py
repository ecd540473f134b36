"""Engine properties: bit-identical pieces, dtypes, purity, ledger. (Torch agreement: test_lstm_golden.)"""

import subprocess
import sys

import numpy as np
import pytest

from app.engine.lstm import QUANTITIES, State, compile_params, forward, ledger, logits, zero_state
from tests.helpers import random_params


@pytest.fixture(params=[{"E": 5, "L": 2}, {"E": None, "L": 3}, {"E": 6, "L": 1}], ids=["emb-L2", "onehot-L3", "L1"])
def compiled(request):
    return compile_params(random_params(np.random.default_rng(7), **request.param))


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
    np.testing.assert_array_equal(state.c, whole.final.c)
    top = np.concatenate([logits(compiled.params, p.layers[-1].h) for p in pieces])
    assert np.array_equal(top, logits(compiled.params, whole.layers[-1].h))


def test_same_input_same_bits_after_other_traces(compiled):
    ids = np.arange(12) % compiled.params.vocab_size
    first = forward(compiled, ids)
    forward(compiled, ids[::-1])
    again = forward(compiled, ids)
    for a, b in zip(first.layers, again.layers, strict=True):
        assert all(np.array_equal(a[q], b[q]) for q in QUANTITIES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_records_every_quantity_as_T_by_H_in_the_weights_dtype(dtype):
    params = random_params(np.random.default_rng(0), H=4, L=2, dtype=dtype)
    trace = forward(compile_params(params), np.array([1, 2, 3]))
    assert len(trace.layers) == 2
    for layer in trace.layers:
        for q in QUANTITIES:
            a = layer[q]
            assert a.shape == (3, 4) and a.dtype == dtype and a.flags.c_contiguous
        assert ((layer.i > 0) & (layer.i < 1)).all() and ((layer.f > 0) & (layer.f < 1)).all()
        assert (np.abs(layer.g) < 1).all() and (np.abs(layer.h) < 1).all()


def test_empty_text_gives_zero_steps_and_keeps_the_state():
    params = random_params(np.random.default_rng(0))
    start = State(h=np.ones((2, 7), np.float32) * 0.5, c=np.ones((2, 7), np.float32))
    trace = forward(compile_params(params), np.array([], dtype=np.int64), start)
    assert trace.num_steps == 0 and trace.layers[0].h.shape == (0, 7)
    np.testing.assert_array_equal(trace.final.c, start.c)


def test_starts_from_zeros_by_default():
    params = random_params(np.random.default_rng(0))
    compiled = compile_params(params)
    ids = np.array([3, 1, 4])
    default = forward(compiled, ids)
    explicit = forward(compiled, ids, zero_state(params))
    assert np.array_equal(default.layers[1].h, explicit.layers[1].h)


def test_out_of_range_ids_are_refused():
    compiled = compile_params(random_params(np.random.default_rng(0), V=5))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        forward(compiled, np.array([0, 5]))


def test_unknown_recurrent_activation_is_refused():
    params = random_params(np.random.default_rng(0))
    params = type(params)(**{**params.__dict__, "recurrent_activation": "relu"})
    with pytest.raises(ValueError, match="recurrent_activation"):
        compile_params(params)


def test_ledger_matches_its_definition(compiled):
    ids = np.random.default_rng(2).integers(0, compiled.params.vocab_size, 9)
    H = compiled.params.hidden_size
    c0 = np.linspace(-1, 1, H * compiled.params.num_layers, dtype=np.float32).reshape(-1, H)
    trace = forward(compiled, ids, State(h=np.zeros_like(c0), c=c0))
    for k, layer in enumerate(trace.layers):
        book = ledger(layer, c0[k])
        c_prev = np.vstack([c0[k], layer.c[:-1]])
        np.testing.assert_allclose(book["kept"], layer.f * c_prev, rtol=0, atol=0)
        np.testing.assert_allclose(book["forgotten"], (1 - layer.f) * c_prev, rtol=0, atol=0)
        np.testing.assert_allclose(book["written"], layer.i * layer.g, rtol=0, atol=0)
        np.testing.assert_allclose(book["kept"] + book["written"], layer.c, atol=1e-6)
        np.testing.assert_allclose(book["kept"] + book["forgotten"], c_prev, atol=1e-6)


def test_importing_the_engine_loads_numpy_and_no_web_module():
    code = (
        "import sys, app.engine.lstm\n"
        "heavy = {'fastapi', 'starlette', 'pydantic', 'uvicorn', 'jinja2', 'orjson', 'safetensors', 'plotly',"
        " 'threadpoolctl', 'torch', 'app.serving.app', 'app.serving.service', 'app.model_store'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"


def test_package_init_imports_nothing():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(sorted(m for m in sys.modules if m.startswith('app')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == "['app']"


@pytest.mark.parametrize("h_shape, c_shape, dtype", [((3, 7), (2, 7), np.float32), ((2, 7), (2, 7), np.float64),
                                                     ((2, 6), (2, 6), np.float32)])
def test_a_wrong_initial_state_is_refused_with_the_shape_to_use(h_shape, c_shape, dtype):
    compiled = compile_params(random_params(np.random.default_rng(0), H=7, L=2))
    with pytest.raises(ValueError, match=r"must be \(2, 7\) float32"):
        forward(compiled, np.array([1, 2]), State(h=np.zeros(h_shape, dtype), c=np.zeros(c_shape, dtype)))
