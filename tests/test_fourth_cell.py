"""A fourth cell, registered by a test alone: the app must take any cell of the registry without naming it.

`leaky` is a leaky tanh RNN defined here (no edit to app/):

    a_t = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh      u_t = squash(a_t)      h_t = (1 − α)·h_{t−1} + α·u_t

with α = LEAK fixed and a card option `squash` (tanh or softsign, u = a / (1 + |a|)); its ledger is h_t = kept +
written with kept = (1 − α)·h_{t−1}, forgotten = α·h_{t−1}, written = α·u_t. The test puts it into
app.engine.cells.CELLS (monkeypatch), writes a model file for it and runs it through the model store, the service
(trace, step, retention), the API over HTTP (a server in this process, which sees the patched registry), the CLI's
trace and the notebook.

What a cell's records must be for the rest of the app (app/serving/trace_cache.py slices and joins them by their
fields): its LayerTrace a dataclass of (T, H) arrays, one per quantity, with __getitem__; its State a dataclass of
(L, H) arrays, one per state, each also a quantity; its Trace app.engine.lstm.Trace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import numpy as np
import pytest

from app.cli import main
from app.engine import cells
from app.engine.cells import LEDGER, CellSpec
from app.engine.lstm import StackedParams, Trace
from app.model_store import ModelError, load_model, write_model
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.retention import retention
from app.serving.schemas import RetentionRequest
from app.serving.service import parse_quantities, run_trace, step_payload, trace_payload
from tests.helpers import TEXT, VOCAB, char_card, random_cell_params, write_cell_model
from tests.servers import serve

LEAK = 0.5
SQUASHES = ("tanh", "softsign")
QUANTITIES = ("u", "h")


@dataclass(frozen=True)
class LeakyParams(StackedParams):
    squash: str = "tanh"


@dataclass(frozen=True)
class State:
    h: np.ndarray


@dataclass(frozen=True)
class LayerTrace:
    u: np.ndarray
    h: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, name)


@dataclass(frozen=True)
class Compiled:
    params: LeakyParams


def squash(a: np.ndarray, name: str) -> np.ndarray:
    return np.tanh(a) if name == "tanh" else a / (1 + np.abs(a))


def squash_prime(u: np.ndarray, name: str) -> np.ndarray:
    """The derivative from the value: 1 − u² for tanh, (1 − |u|)² for softsign."""
    return 1 - u**2 if name == "tanh" else (1 - np.abs(u)) ** 2


def compile_params(params: LeakyParams) -> Compiled:
    if params.squash not in SQUASHES:
        raise ValueError(f"squash {params.squash!r} is not supported; use one of {SQUASHES}")
    return Compiled(params)


def zero_state(params: LeakyParams) -> State:
    return State(h=np.zeros((params.num_layers, params.hidden_size), params.dtype))


def layer_input(params: LeakyParams, below: np.ndarray | None, ids: np.ndarray, t: int) -> np.ndarray:
    if below is not None:
        return below[t]
    if params.embedding is not None:
        return params.embedding[ids[t]]
    return np.eye(params.vocab_size, dtype=params.dtype)[ids[t]]


def forward(compiled: Compiled, ids: np.ndarray, initial: State | None = None) -> Trace:
    p = compiled.params
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or (ids.size and (ids.min() < 0 or ids.max() >= p.vocab_size)):
        raise ValueError(f"token ids must lie in [0, {p.vocab_size})")
    initial = initial if initial is not None else zero_state(p)
    layers, below = [], None
    for k, w in enumerate(p.layers):
        U, Hs = np.empty((len(ids), p.hidden_size), p.dtype), np.empty((len(ids), p.hidden_size), p.dtype)
        h = initial.h[k]
        for t in range(len(ids)):
            a = w.W_ih @ layer_input(p, below, ids, t) + w.b_ih + w.W_hh @ h + w.b_hh
            U[t] = squash(a, p.squash)
            Hs[t] = (1 - LEAK) * h + LEAK * U[t]
            h = Hs[t]
        layers.append(LayerTrace(u=U, h=Hs))
        below = Hs
    final = State(h=np.stack([layer.h[-1] for layer in layers]) if len(ids) else initial.h.copy())
    return Trace(layers=tuple(layers), initial=initial, final=final)


def step_detail(params: LeakyParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> dict:
    w = params.layers[k]
    x = layer_input(params, trace.layers[k - 1].h if k else None, ids, t)
    h_prev = trace.initial.h[k] if t == 0 else trace.layers[k].h[t - 1]
    return {"gates": {"u": {"input": w.W_ih @ x, "recurrent": w.W_hh @ h_prev, "bias": w.b_ih + w.b_hh}},
            "previous": {"h": h_prev}}


def ledger(layer: LayerTrace, state0: State, k: int, start: int = 0, cols: slice = slice(None)) -> dict:
    h = layer.h[:, cols]
    h_prev = np.concatenate([state0.h[k][None, cols], h[:-1]])[start:] if len(h) else h
    return {"kept": (1 - LEAK) * h_prev, "forgotten": LEAK * h_prev, "written": LEAK * layer.u[start:, cols]}


def keep(layer: LayerTrace, s: int, window: int) -> dict:
    kept = np.cumprod(np.full((window, layer.h.shape[1]), 1 - LEAK, layer.h.dtype), axis=0)
    return {"kept": kept, "written": (LEAK * layer.u[s])[None, :] * kept}


def jacobian_norms(params: LeakyParams, trace: Trace, k: int, s: int, window: int):
    """∂h_t/∂h_{t−1} = (1 − α)·I + α·diag(squash'(a_t))·W_hh; h is the memory too."""
    W, u = params.layers[k].W_hh.astype(np.float64), trace.layers[k].u
    J, out = np.eye(W.shape[0]), np.empty(window)
    for n, t in enumerate(range(s + 1, s + 1 + window)):
        J = ((1 - LEAK) * np.eye(W.shape[0]) + LEAK * squash_prime(u[t].astype(np.float64), params.squash)[:, None]
             * W) @ J
        out[n] = np.linalg.norm(J)
    return out, out


def no_training(*args):
    raise NotImplementedError("the test's leaky cell does not train")


LEAKY = CellSpec(
    name="leaky", title="leaky RNN", article="a leaky RNN", rows=1, quantities=QUANTITIES, gates=("u",),
    states=("h",), memory="h", options={"squash": SQUASHES}, params_type=LeakyParams, compile=compile_params,
    forward=forward, zero_state=zero_state, step_detail=step_detail, ledger=ledger, keep=keep,
    jacobian_norms=jacobian_norms, jacobian_cost=1, activations=lambda p: {"u": p.squash},
    layer_forward=no_training, layer_backward=no_training, init_bias=None,
    panels={"u": {"title": "candidate", "symbol": "u", "plain": "what could be written", "scale": "tanh"},
            "h": {"title": "hidden state", "symbol": "h", "plain": "memory and output", "scale": "tanh"},
            **{q: {"title": f"{q} memory", "symbol": q, "plain": q, "scale": "signed", "group": "ledger"}
               for q in LEDGER}},
    views={"all": ("Everything", (*LEDGER, "u", "h"))},
    equations=({"key": "h", "lhs": "h_t", "steps": [["(1 − α) h_{t−1} + α u_t"], [{"ref": "kept"}, " + ",
                                                                                   {"ref": "written", "term": True}],
                                                     [{"ref": "h"}]], "result": "h"},),
    step_values=lambda detail, layer, k, t: {"kept": (1 - LEAK) * detail["previous"]["h"],
                                             "forgotten": LEAK * detail["previous"]["h"], "written": LEAK * layer.u[t]},
    description="a leaky tanh RNN registered by a test",
)


@pytest.fixture
def registered(monkeypatch):
    """The leaky cell in the registry, for this test only."""
    monkeypatch.setitem(cells.CELLS, "leaky", LEAKY)
    return LEAKY


@pytest.fixture
def folder(registered, tmp_path):
    """leaky (tanh), leaky-softsign and an LSTM beside them."""
    for model_id, options in (("leaky", {}), ("leaky-softsign", {"squash": "softsign"})):
        params = random_cell_params(np.random.default_rng(1), LEAKY, V=len(VOCAB), E=6, H=8, L=2, **options)
        write_model(tmp_path, char_card(model_id, "leaky", **options), params)
    write_cell_model(tmp_path, "lstm", "lstm")
    return tmp_path


def ids_of(model, text=TEXT) -> np.ndarray:
    return np.array([t.id for t in model.tokenizer.tokenize(text)])


def test_the_registry_knows_the_new_cell(registered):
    params = random_cell_params(np.random.default_rng(0), LEAKY)
    assert cells.spec("leaky") is LEAKY and cells.spec_of_params(params) is LEAKY
    assert LEAKY.offered == ("u", "h", *LEDGER)
    ids = np.arange(20) % params.vocab_size
    compiled = LEAKY.compile(params)
    whole, first = cells.forward(compiled, ids), cells.forward(compiled, ids[:7])
    rest = cells.forward(compiled, ids[7:], first.final)
    assert np.array_equal(np.concatenate([first.layers[1].h, rest.layers[1].h]), whole.layers[1].h)


def test_the_model_store_writes_loads_and_checks_the_new_cell(folder):
    model = load_model(folder / "leaky-softsign.safetensors")
    assert model.cell == "leaky" and type(model.params) is LeakyParams and model.params.squash == "softsign"
    assert sorted(json.loads((folder / "leaky.json").read_text())) == ["cell", "description", "id", "squash", "title",
                                                                        "tokenizer"]
    card = json.loads((folder / "leaky.json").read_text())
    for changes, message in (({"squash": "relu"}, "squash must be one of ('tanh', 'softsign')"),
                             ({"nonlinearity": "tanh"}, "nonlinearity is not an option of a leaky RNN; its card may "
                                                        "name squash"),
                             ({"cell": "rnn", "squash": None}, "belongs to a leaky RNN, but the card says cell 'rnn'")):
        (folder / "leaky.json").write_text(json.dumps({k: v for k, v in {**card, **changes}.items() if v is not None}))
        with pytest.raises(ModelError, match=re.escape(message)):
            load_model(folder / "leaky.safetensors")


def test_the_service_traces_steps_and_retains_the_new_cell(folder):
    model, settings = load_model(folder / "leaky.safetensors"), Settings()
    trace = LEAKY.forward(model.compiled, ids_of(model))
    result = run_trace(model, TEXT, settings)
    assert parse_quantities(None, model) == QUANTITIES
    body = trace_payload(result, 2, LEAKY.offered, "json")
    for k in range(2):
        assert list(body["layers"][k]) == list(LEAKY.offered)
        assert all(np.array_equal(body["layers"][k][q], trace.layers[k][q]) for q in QUANTITIES)
        np.testing.assert_allclose(body["layers"][k]["kept"] + body["layers"][k]["written"], trace.layers[k].h,
                                   atol=1e-6)
    step = step_payload(run_trace(model, TEXT, settings, steps=5), 4, 1)
    assert step["cell"] == "leaky" and step["squash"] == "tanh" and list(step["gates"]) == ["u"]
    assert np.array_equal(step["h_prev"], trace.layers[1].h[3]) and np.array_equal(step["h"], trace.layers[1].h[4])
    np.testing.assert_allclose(np.tanh(step["gates"]["u"]["preactivation"]), step["gates"]["u"]["value"], atol=1e-6)
    kept = retention({model.id: model}, settings, None, RetentionRequest(model="leaky", text=TEXT, step=2, layer=1))
    assert kept["memory"] == "h" and kept["squash"] == "tanh" and kept["window"] == len(ids_of(model)) - 3
    np.testing.assert_array_equal(kept["jacobian_norm"], jacobian_norms(model.params, trace, 1, 2, kept["window"])[0])
    np.testing.assert_allclose(kept["kept"][:, 0], (1 - LEAK) ** np.arange(1, kept["window"] + 1))


def test_the_api_serves_the_new_cell_over_http(folder):
    model = load_model(folder / "leaky-softsign.safetensors")
    trace = LEAKY.forward(model.compiled, ids_of(model))
    with serve(create_app(Settings(models_dir=folder, bundled_models=False))) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        entry = next(m for m in http.get("/api/models").json()["models"] if m["id"] == "leaky-softsign")
        assert entry["cell"] == "leaky" and entry["quantities"] == list(LEAKY.offered) and entry["memory"] == "h"
        assert entry["cell_spec"]["article"] == "a leaky RNN" and entry["cell_spec"]["activations"] == {"u": "softsign"}
        assert http.get("/api/trace", params={"model": "leaky-softsign", "text": TEXT[:8]}).status_code == 200
        body = http.get("/api/trace", params={"model": "leaky-softsign", "text": TEXT}).json()  # extends the cache
        assert [list(layer) for layer in body["layers"]] == [list(QUANTITIES)] * 2
        for k in range(2):
            for q in QUANTITIES:
                assert np.array_equal(np.array(body["layers"][k][q], np.float32), trace.layers[k][q]), (k, q)
        step = http.get("/api/step", params={"model": "leaky-softsign", "text": TEXT, "step": 3}).json()
        assert step["squash"] == "softsign" and step["activations"] == {"u": "softsign"}
        np.testing.assert_allclose(np.add(step["values"]["kept"], step["values"]["written"]), step["h"], atol=1e-6)
        held = http.get("/api/retention", params={"model": "leaky-softsign", "text": TEXT, "step": 0}).json()
        np.testing.assert_array_equal(held["memory_jacobian_norm"],
                                      jacobian_norms(model.params, trace, 0, 0, held["window"])[1])
        for model_id, quantities, message in (
                ("leaky", "c", "quantities ['c'] belong to an LSTM; model 'leaky' is a leaky RNN: choose from u, h, "
                               "kept, forgotten, written"),
                ("lstm", "u", "quantities ['u'] belong to a leaky RNN; model 'lstm' is an LSTM")):
            r = http.get("/api/trace", params={"model": model_id, "text": "ab", "quantities": quantities})
            assert r.status_code == 422 and message in r.json()["detail"], r.json()["detail"]


def test_the_cli_and_the_notebook_take_the_new_cell(folder, capsys):
    from app.notebook import load_model as notebook_model

    assert main(["trace", "ab", "--model", "leaky", "--models-dir", str(folder), "--format", "csv",
                 "--quantities", "h,written"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "layer,step,token,unit,h,written"
    traced = notebook_model(folder / "leaky.safetensors").trace(TEXT)
    assert list(traced.layers[0]) == list(LEAKY.offered)
    for q in LEAKY.offered:
        assert LEAKY.panels[q]["title"] in traced.figure(q).layout.title.text


def test_registering_a_cell_is_all_the_model_store_needs(monkeypatch, tmp_path):
    params = random_cell_params(np.random.default_rng(1), LEAKY, V=len(VOCAB))
    monkeypatch.setitem(cells.CELLS, "leaky", LEAKY)
    write_model(tmp_path, char_card("leaky", "leaky"), params)
    assert load_model(tmp_path / "leaky.safetensors").cell == "leaky"
