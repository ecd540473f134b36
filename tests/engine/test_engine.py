"""Every cell's engine (app.engine.cells.CELLS): bit-identical pieces, shapes and dtypes, the initial state, refusals,
step detail, the memory ledger, and what the engine imports. (Torch agreement: test_golden.py; the equations
written out: test_equations.py.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.engine import cells
from app.engine.cells import CELLS
from app.engine.lstm import logits
from tests.helpers import random_cell_params

ENGINE = Path(cells.__file__).resolve().parent
ACTIVATIONS = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "tanh": np.tanh,
}
SHAPES = {"emb-L2": {"E": 5, "L": 2}, "onehot-L3": {"E": None, "L": 3}, "L1": {"E": 6, "L": 1}}


def state_of(cell, params, **arrays):
    """The cell's own State record from arrays named by its states."""
    return type(cell.zero_state(params))(**arrays)


@pytest.fixture(params=list(CELLS))
def cell(request):
    return CELLS[request.param]


@pytest.fixture(params=list(SHAPES))
def compiled(cell, request):
    return cell.compile(random_cell_params(np.random.default_rng(7), cell, **SHAPES[request.param]))


@pytest.mark.parametrize("splits", [[1], [13], [29], [5, 6, 20], list(range(1, 30))])
def test_tracing_in_pieces_equals_tracing_whole_bit_for_bit(cell, compiled, splits):
    ids = np.random.default_rng(1).integers(0, compiled.params.vocab_size, 30)
    whole = cell.forward(compiled, ids)
    pieces, state = [], None
    for a, b in zip([0, *splits], [*splits, len(ids)], strict=True):
        part = cell.forward(compiled, ids[a:b], state)
        pieces.append(part)
        state = part.final
    for k in range(compiled.params.num_layers):
        for q in cell.quantities:
            joined = np.concatenate([p.layers[k][q] for p in pieces])
            assert np.array_equal(joined, whole.layers[k][q]), (k, q)
    for s in cell.states:
        np.testing.assert_array_equal(getattr(state, s), getattr(whole.final, s))
    top = np.concatenate([logits(compiled.params, p.layers[-1].h) for p in pieces])
    assert np.array_equal(top, logits(compiled.params, whole.layers[-1].h))


def test_same_input_same_bits_after_other_traces(cell, compiled):
    ids = np.arange(12) % compiled.params.vocab_size
    first = cell.forward(compiled, ids)
    cell.forward(compiled, ids[::-1])
    again = cell.forward(compiled, ids)
    for a, b in zip(first.layers, again.layers, strict=True):
        assert all(np.array_equal(a[q], b[q]) for q in cell.quantities)


def test_the_registry_dispatch_runs_the_cells_own_engine(cell, compiled):
    ids = np.arange(7) % compiled.params.vocab_size
    assert cells.spec_of_params(compiled.params) is cell
    direct, dispatched = cell.forward(compiled, ids), cells.forward(compiled, ids)
    assert type(dispatched) is type(direct) and type(dispatched.layers[0]) is type(direct.layers[0])
    assert np.array_equal(dispatched.layers[-1].h, direct.layers[-1].h)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_records_every_quantity_as_T_by_H_in_the_weights_dtype(cell, dtype):
    params = random_cell_params(np.random.default_rng(0), cell, H=4, L=2, dtype=dtype)
    trace = cell.forward(cell.compile(params), np.array([1, 2, 3]))
    assert len(trace.layers) == 2 and trace.num_steps == 3
    for layer in trace.layers:
        for q in cell.quantities:
            a = layer[q]
            assert a.shape == (3, 4) and a.dtype == dtype and a.flags.c_contiguous, q
            assert np.isfinite(a).all(), q
        for gate, activation in cell.activations(params).items():  # σ in [0, 1], tanh in [−1, 1]
            low = -1 if activation == "tanh" else 0
            assert (layer[gate] >= low).all() and (layer[gate] <= 1).all(), gate
    for s in cell.states:
        assert getattr(trace.final, s).shape == (2, 4) and getattr(trace.final, s).dtype == dtype
    assert {f for f in vars(trace.final)} == set(cell.states)  # the state is the cell's, nothing else


def test_empty_text_gives_zero_steps_and_keeps_the_state(cell):
    params = random_cell_params(np.random.default_rng(0), cell)
    start = state_of(cell, params, **{s: np.full((2, 7), 0.5 + n, np.float32) for n, s in enumerate(cell.states)})
    trace = cell.forward(cell.compile(params), np.array([], dtype=np.int64), start)
    assert trace.num_steps == 0
    assert all(trace.layers[0][q].shape == (0, 7) for q in cell.quantities)
    for s in cell.states:
        np.testing.assert_array_equal(getattr(trace.final, s), getattr(start, s))


def test_starts_from_zeros_by_default(cell):
    params = random_cell_params(np.random.default_rng(0), cell)
    compiled = cell.compile(params)
    ids = np.array([3, 1, 4])
    zero = cell.zero_state(params)
    assert all(not getattr(zero, s).any() and getattr(zero, s).shape == (2, 7) for s in cell.states)
    default, explicit = cell.forward(compiled, ids), cell.forward(compiled, ids, zero)
    assert all(np.array_equal(default.layers[1][q], explicit.layers[1][q]) for q in cell.quantities)


def test_a_different_initial_state_changes_the_trace(cell):
    params = random_cell_params(np.random.default_rng(0), cell)
    compiled, ids = cell.compile(params), np.array([3, 1, 4])
    for s in cell.states:
        start = state_of(cell, params, **{t: np.full((2, 7), 0.5 if t == s else 0.0, np.float32) for t in cell.states})
        moved, still = cell.forward(compiled, ids, start), cell.forward(compiled, ids)
        assert not np.array_equal(moved.layers[0].h, still.layers[0].h), s


def test_out_of_range_and_misshaped_ids_are_refused(cell):
    compiled = cell.compile(random_cell_params(np.random.default_rng(0), cell, V=5))
    for ids in (np.array([0, 5]), np.array([-1, 2])):
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            cell.forward(compiled, ids)
    with pytest.raises(ValueError, match="one-dimensional"):
        cell.forward(compiled, np.array([[0, 1]]))


@pytest.mark.parametrize("shape, dtype", [((3, 7), np.float32), ((2, 7), np.float64), ((2, 6), np.float32)],
                         ids=["layers", "dtype", "units"])
def test_a_wrong_initial_state_is_refused_with_the_shape_to_use(cell, shape, dtype):
    params = random_cell_params(np.random.default_rng(0), cell, H=7, L=2)
    compiled = cell.compile(params)
    for wrong in cell.states:  # each state in turn is wrong, the others right
        start = state_of(cell, params, **{s: np.zeros(shape if s == wrong else (2, 7), dtype if s == wrong
                                                      else np.float32) for s in cell.states})
        with pytest.raises(ValueError, match=rf"initial {wrong} must be \(2, 7\) float32"):
            cell.forward(compiled, np.array([1, 2]), start)


STRING_OPTIONS = [pytest.param(name, key, id=f"{name}-{key}") for name, spec in CELLS.items()
                  for key, allowed in spec.options.items() if isinstance(allowed[0], str)]


@pytest.mark.parametrize("name, key", STRING_OPTIONS)
def test_an_unknown_option_value_is_refused_naming_the_option(name, key):
    cell = CELLS[name]
    params = random_cell_params(np.random.default_rng(0), cell)
    params = type(params)(**{**params.__dict__, key: "relu"})
    with pytest.raises(ValueError, match=key):
        cell.compile(params)


@pytest.mark.parametrize("E, k", [(5, 0), (5, 1), (None, 0)], ids=["embedding", "upper-layer", "one-hot"])
def test_step_detail_parts_add_up_to_the_recorded_gates(cell, E, k):
    """Each gate's input + recurrent + bias, through the gate's activation, is the value the trace recorded;
    `previous` holds the states before the step (the initial state at t = 0)."""
    params = random_cell_params(np.random.default_rng(5), cell, E=E, L=2, dtype=np.float64)
    ids = np.array([4, 0, 9, 3])
    start = state_of(cell, params, **{s: np.random.default_rng(6).uniform(-1, 1, (2, 7)) for s in cell.states})
    trace = cell.forward(cell.compile(params), ids, start)
    activations = cell.activations(params)
    for t in range(len(ids)):
        detail = cell.step_detail(params, trace, ids, k, t)
        assert set(detail["gates"]) == set(cell.gates)  # cell.gates is the page's reading order
        for s in cell.states:
            expected = getattr(start, s)[k] if t == 0 else trace.layers[k][s][t - 1]
            np.testing.assert_array_equal(detail["previous"][s], expected)
        for gate, parts in detail["gates"].items():
            assert set(parts) == {"input", "recurrent", "bias"} and all(p.shape == (7,) for p in parts.values())
            value = ACTIVATIONS[activations[gate]](parts["input"] + parts["recurrent"] + parts["bias"])
            np.testing.assert_allclose(value, trace.layers[k][gate][t], rtol=0, atol=1e-12, err_msg=f"{gate} t={t}")


LEDGER_CELLS = [name for name, spec in CELLS.items() if spec.ledger is not None]
# What each ledger entry is, per cell: (layer, m_prev) -> kept, forgotten, written.
DEFINITIONS = {
    "lstm": lambda layer, m_prev: (layer.f * m_prev, (1 - layer.f) * m_prev, layer.i * layer.g),
    "gru": lambda layer, m_prev: (layer.z * m_prev, (1 - layer.z) * m_prev, (1 - layer.z) * layer.n),
}


@pytest.mark.parametrize("name", LEDGER_CELLS)
def test_the_ledger_adds_up_to_the_memory(name):
    """kept + written = m_t and kept + forgotten = m_{t-1} for the cell's memory m; from step `start` on and for
    some units `cols` it is the whole ledger's slice."""
    cell = CELLS[name]
    params = random_cell_params(np.random.default_rng(2), cell, L=2)
    ids = np.random.default_rng(2).integers(0, params.vocab_size, 9)
    H = params.hidden_size
    start = state_of(cell, params, **{s: np.linspace(-1, 1, 2 * H, dtype=np.float32).reshape(2, H)
                                      for s in cell.states})
    trace = cell.forward(cell.compile(params), ids, start)
    for k, layer in enumerate(trace.layers):
        book = cell.ledger(layer, start, k)
        m, m_prev = layer[cell.memory], np.vstack([getattr(start, cell.memory)[k], layer[cell.memory][:-1]])
        assert set(book) == {"kept", "forgotten", "written"} and all(a.shape == (9, H) for a in book.values())
        np.testing.assert_allclose(book["kept"] + book["written"], m, atol=1e-6)
        np.testing.assert_allclose(book["kept"] + book["forgotten"], m_prev, atol=1e-6)
        if name in DEFINITIONS:
            for entry, want in zip(("kept", "forgotten", "written"), DEFINITIONS[name](layer, m_prev), strict=True):
                np.testing.assert_array_equal(book[entry], want, err_msg=entry)
        part = cell.ledger(layer, start, k, 4, slice(2, 5))
        for entry in book:
            np.testing.assert_array_equal(part[entry], book[entry][4:, 2:5], err_msg=entry)


def test_a_cell_without_a_ledger_has_no_ledger_quantities():
    for cell in CELLS.values():
        assert cell.offered[: len(cell.quantities)] == cell.quantities
        assert (cell.offered[len(cell.quantities) :] == ("kept", "forgotten", "written")) == (cell.ledger is not None)


FORBIDDEN = ("app.training", "app.analysis", "app.serving", "app.importers", "app.model_store", "app.notebook",
             "app.cli", "app.corpora")
THIRD_PARTY = ("fastapi", "starlette", "pydantic", "uvicorn", "jinja2", "orjson", "safetensors", "plotly",
               "threadpoolctl", "torch", "httpx", "h5py")


def test_importing_the_engine_loads_numpy_and_nothing_of_the_app_around_it():
    """Every module of app/engine imported in a fresh interpreter: NumPy is loaded, no web or file-format library,
    and no module of the app outside app.engine."""
    modules = sorted(f"app.engine.{p.stem}" for p in ENGINE.glob("*.py") if p.stem != "__init__")
    code = (f"import sys\nfor m in {modules!r}: __import__(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'app', *" + repr(THIRD_PARTY) + "}))\n"
            "print('numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    loaded = eval(out[0])  # noqa: S307 - our own subprocess's repr of a list of strings
    assert set(modules) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] in THIRD_PARTY] == []
    assert [m for m in loaded if m != "app" and not m.startswith("app.engine")] == []
    assert out[1] == "True"


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_no_engine_module_names_a_module_outside_the_engine(path):
    """Also imports inside functions (which the subprocess test cannot see unless they run): app.engine imports
    the standard library, NumPy and app.engine only."""
    stdlib = sys.stdlib_module_names
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else ["app.engine"]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in stdlib or top == "numpy" or name == "app.engine" or name.startswith("app.engine."), \
                f"{path.name}:{node.lineno} imports {name}"
            assert not name.startswith(FORBIDDEN)


def test_package_init_imports_nothing():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(sorted(m for m in sys.modules if m.startswith('app')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == "['app']"
