"""The recurrent cells a model can be, by the name its card gives (`cell`), in one registry.

A `CellSpec` says everything the rest of the app needs of a cell: its tensors (`{name}.weight_ih_l{k}`, rows
per unit), its card options, the engine (compile, forward, step detail, ledger), retention (the Jacobian
norms and what a step's memory keeps), its training layer, and what the page shows (panels, views, step
equations). Every caller looks a cell up here (`spec(name)`); none tests a cell's name. Adding a cell is a
module of its own plus one entry in CELLS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.engine import gru, gru_grad, lstm, lstm_grad, rnn, rnn_grad

LEDGER = ("kept", "forgotten", "written")


@dataclass(frozen=True)
class CellSpec:
    """One recurrent cell. Shapes: T steps, H units; `layer` is one layer's trace (its quantities (T, H))."""

    name: str  # the card's `cell` and the tensors' prefix
    title: str  # "LSTM"
    article: str  # "an LSTM": how a sentence names it
    rows: int  # rows of W_ih, W_hh, b_ih, b_hh per hidden unit (gates stacked)
    quantities: tuple[str, ...]  # what the forward pass records per step, in order
    gates: tuple[str, ...]  # the quantities /api/step splits into input + recurrent + bias, in reading order
    states: tuple[str, ...]  # the state carried between steps (h, c)
    memory: str  # the quantity that carries what the cell remembers
    options: dict[str, tuple]  # card keys and their allowed values, the default first
    params_type: type  # the StackedParams subclass; its extra fields are the options
    compile: Callable  # params -> compiled tables
    forward: Callable  # (compiled, ids (T,), initial | None) -> Trace
    zero_state: Callable  # params -> State
    step_detail: Callable  # (params, trace, ids, k, t) -> {"gates": {g: {input, recurrent, bias}}, "previous"}
    ledger: Callable | None  # (layer, initial state, k, start, cols) -> {kept, forgotten, written} or None
    keep: Callable | None  # (layer, s, W) -> {"kept", "written"}: (W, H) each, or None
    jacobian_norms: Callable  # (params, trace, k, s, W) -> (‖∂h_t/∂h_s‖, ‖∂m_t/∂m_s‖), (W,) each
    jacobian_cost: int  # multiply-adds per later step of jacobian_norms, over H³
    activations: Callable  # params -> {gate: activation name}: a recurrent activation or "tanh"
    layer_forward: Callable  # training: (W_ih, W_hh, b_ih, b_hh, x (T, B, In), **options) -> cache with .h
    #                          (T, B, H); options: the card's (options_of), keywords, defaults if left out
    layer_backward: Callable  # training: (W_ih, W_hh, cache, dh (T, B, H)) -> dW_ih, dW_hh, db_ih, db_hh, dx,
    #                           with the options the cache kept
    init_bias: Callable | None  # training: a change to a fresh b_ih (rows·H,) in place
    panels: dict[str, dict]  # per quantity: title, symbol, plain words, scale ("gate", "tanh", "signed"), group
    views: dict[str, tuple[str, tuple[str, ...]]]  # view id -> (label, panels); the first is the default
    equations: tuple[dict, ...]  # the step's state updates after its gates, segments naming step_values
    step_values: Callable  # (detail, layer, k, t) -> {name: (H,)}: the numbers the equations name besides
    #                        the gates' parts ("z.value") and states ("h_prev", "h")
    ledger_rows: tuple[dict, ...] = ()  # the step's memory ledger, the same form
    diagram: str | None = None  # the name of the page's cell diagram, if it has one
    description: str = ""  # one sentence for the page and /api/models
    parts_note: Callable = lambda params: ""  # params -> what the step's input/recurrent/bias split means beyond
    #                                            "input = W·x_t, recurrent = W·h_{t−1}, bias = b" ("" if nothing)
    batch_layer: Callable | None = None  # corpora (app.engine.batched): (compiled, k, inputs (T, B) ids or
    #                                     (T, B, In)) -> {state: (T, B, H)}, a lean layer over the compiled tables;
    #                                     None: batched runs the training layer_forward (slower, same numbers)

    @property
    def offered(self) -> tuple[str, ...]:
        """What /api/trace can return: the recorded quantities, then the ledger if the cell has one."""
        return self.quantities + (LEDGER if self.ledger is not None else ())

    def options_of(self, params: object) -> dict:
        """The options a parameter record carries, as a card writes them."""
        return {key: getattr(params, key) for key in self.options}

    def card_options(self, card: dict) -> dict:
        """The card's options, defaults filled in (values are checked by app.model_store)."""
        return {key: card.get(key, allowed[0]) for key, allowed in self.options.items()}


def _num(ref: str) -> dict:
    return {"ref": ref}


def _term(ref: str) -> dict:
    return {"ref": ref, "term": True}


def _lstm_values(detail: dict, layer, k: int, t: int) -> dict:
    c_prev = detail["previous"]["c"]
    return {"kept": layer.f[t] * c_prev, "forgotten": (1 - layer.f[t]) * c_prev, "written": layer.i[t] * layer.g[t],
            "tanh_c": np.tanh(layer.c[t])}


def _gru_values(detail: dict, layer, k: int, t: int) -> dict:
    h_prev, z = detail["previous"]["h"], layer.z[t]
    return {"kept": z * h_prev, "forgotten": (1 - z) * h_prev, "written": (1 - z) * layer.n[t]}


_LEDGER_PANELS = {"scale": "signed", "group": "ledger"}

LSTM = CellSpec(
    name="lstm", title="LSTM", article="an LSTM", rows=4, quantities=lstm.QUANTITIES, gates=("f", "i", "g", "o"),
    states=("h", "c"), memory="c",
    options={"recurrent_activation": lstm.RECURRENT_ACTIVATIONS}, params_type=lstm.LSTMParams,
    compile=lstm.compile_params, forward=lstm.forward, zero_state=lstm.zero_state, step_detail=lstm.step_parts,
    ledger=lstm.ledger_of, keep=lstm.keep, jacobian_norms=lstm.jacobian_norms, jacobian_cost=4,
    activations=lambda p: {"i": p.recurrent_activation, "f": p.recurrent_activation, "g": "tanh",
                           "o": p.recurrent_activation},
    layer_forward=lstm_grad.layer_forward, layer_backward=lstm_grad.layer_backward,
    init_bias=lstm_grad.forget_bias_one, batch_layer=lstm.batch_layer,
    panels={
        "kept": {"title": "kept memory", "symbol": "f⊙cₜ₋₁", "plain": "what is remembered", **_LEDGER_PANELS},
        "forgotten": {"title": "forgotten memory", "symbol": "(1−f)⊙cₜ₋₁", "plain": "what is erased",
                      **_LEDGER_PANELS},
        "written": {"title": "written memory", "symbol": "i⊙g", "plain": "what is added", **_LEDGER_PANELS},
        "f": {"title": "forget gate", "symbol": "f", "plain": "what is kept", "scale": "gate"},
        "i": {"title": "input gate", "symbol": "i", "plain": "how much is written", "scale": "gate"},
        "g": {"title": "candidate", "symbol": "g", "plain": "what could be written", "scale": "tanh"},
        "o": {"title": "output gate", "symbol": "o", "plain": "what is exposed", "scale": "gate"},
        "c": {"title": "cell state", "symbol": "c", "plain": "memory", "scale": "signed", "group": "c"},
        "h": {"title": "hidden state", "symbol": "h", "plain": "output", "scale": "tanh"},
    },
    views={"memory": ("Memory: kept · forgotten · written", LEDGER),
           "gates": ("Gates: f · i · g · o", ("f", "i", "g", "o")),
           "states": ("States: c · h", ("c", "h")),
           "all": ("Everything", (*LEDGER, "f", "i", "g", "o", "c", "h"))},
    equations=(
        {"key": "c", "lhs": "c_t", "steps": [["f_t ⊙ c_{t−1} + i_t ⊙ g_t"],
                                             [_num("f.value"), " × ", _term("c_prev"), " + ", _term("i.value"),
                                              " × ", _term("g.value")],
                                             [_num("kept"), " + ", _term("written")], [_num("c")]], "result": "c"},
        {"key": "h", "lhs": "h_t", "steps": [["o_t ⊙ tanh(c_t)"], [_num("o.value"), " × tanh(", _num("c"), ")"],
                                             [_num("o.value"), " × ", _term("tanh_c")], [_num("h")]], "result": "h"},
    ),
    ledger_rows=(
        {"key": "c_prev", "label": "memory before", "formula": "c_{t−1}", "steps": [], "result": "c_prev"},
        {"key": "kept", "label": "kept", "formula": "f_t ⊙ c_{t−1}",
         "steps": [[_num("f.value"), " × ", _term("c_prev")]], "result": "kept"},
        {"key": "forgotten", "label": "forgotten", "formula": "(1 − f_t) ⊙ c_{t−1}",
         "steps": [["(1 − ", _num("f.value"), ") × ", _term("c_prev")]], "result": "forgotten"},
        {"key": "written", "label": "written", "formula": "i_t ⊙ g_t",
         "steps": [[_num("i.value"), " × ", _term("g.value")]], "result": "written"},
        {"key": "c", "label": "memory after", "formula": "kept + written",
         "steps": [[_num("kept"), " + ", _term("written")]], "result": "c"},
    ),
    step_values=_lstm_values, diagram="lstm",
    description="a long short-term memory: gates decide what its cell state c keeps, writes and exposes",
)

RNN = CellSpec(
    name="rnn", title="vanilla RNN", article="a vanilla RNN", rows=1, quantities=rnn.QUANTITIES, gates=("h",),
    states=("h",), memory="h", options={"nonlinearity": rnn.NONLINEARITIES}, params_type=rnn.RNNParams,
    compile=rnn.compile_params, forward=rnn.forward, zero_state=rnn.zero_state, step_detail=rnn.step_parts,
    ledger=None, keep=None, jacobian_norms=rnn.jacobian_norms, jacobian_cost=1,
    activations=lambda p: {"h": p.nonlinearity},
    layer_forward=rnn_grad.layer_forward, layer_backward=rnn_grad.layer_backward, init_bias=None,
    panels={
        "h": {"title": "hidden state", "symbol": "h", "plain": "its only memory", "scale": "tanh"},
        "a": {"title": "pre-activation", "symbol": "a", "plain": "what h is the tanh of", "scale": "signed"},
    },
    views={"hidden": ("Hidden state: h · a (a vanilla RNN has no gates and no cell)", ("h", "a"))},
    equations=(), step_values=lambda detail, layer, k, t: {},
    description="a vanilla (tanh) RNN: h_t = tanh(W·x_t + W·h_{t−1} + b), no gates, h is its only memory",
)

GRU = CellSpec(
    name="gru", title="GRU", article="a GRU", rows=3, quantities=gru.QUANTITIES, gates=("z", "r", "n"),
    states=("h",), memory="h",
    options={"recurrent_activation": lstm.RECURRENT_ACTIVATIONS, "reset_after": (True, False)},
    params_type=gru.GRUParams, compile=gru.compile_params, forward=gru.forward, zero_state=gru.zero_state,
    step_detail=gru.step_detail, ledger=gru.ledger, keep=gru.keep, jacobian_norms=gru.jacobian_norms,
    jacobian_cost=1,
    activations=lambda p: {"r": p.recurrent_activation, "z": p.recurrent_activation, "n": "tanh"},
    layer_forward=gru_grad.layer_forward, layer_backward=gru_grad.layer_backward, init_bias=None,
    panels={
        "kept": {"title": "kept memory", "symbol": "z⊙hₜ₋₁", "plain": "what is remembered", **_LEDGER_PANELS},
        "forgotten": {"title": "forgotten memory", "symbol": "(1−z)⊙hₜ₋₁", "plain": "what is erased",
                      **_LEDGER_PANELS},
        "written": {"title": "written memory", "symbol": "(1−z)⊙n", "plain": "what is added", **_LEDGER_PANELS},
        "z": {"title": "update gate", "symbol": "z", "plain": "what is kept", "scale": "gate"},
        "r": {"title": "reset gate", "symbol": "r", "plain": "how much of h the candidate reads", "scale": "gate"},
        "n": {"title": "candidate", "symbol": "n", "plain": "what could be written", "scale": "tanh"},
        "h": {"title": "hidden state", "symbol": "h", "plain": "memory and output", "scale": "tanh"},
    },
    views={"memory": ("Memory: kept · forgotten · written", LEDGER),
           "gates": ("Gates: z · r · n", ("z", "r", "n")),
           "states": ("State: h", ("h",)),
           "all": ("Everything", (*LEDGER, "z", "r", "n", "h"))},
    equations=(
        {"key": "h", "lhs": "h_t", "steps": [["(1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}"],
                                             ["(1 − ", _num("z.value"), ") × ", _term("n.value"), " + ",
                                              _term("z.value"), " × ", _term("h_prev")],
                                             [_num("written"), " + ", _term("kept")], [_num("h")]], "result": "h"},
    ),
    ledger_rows=(
        {"key": "h_prev", "label": "memory before", "formula": "h_{t−1}", "steps": [], "result": "h_prev"},
        {"key": "kept", "label": "kept", "formula": "z_t ⊙ h_{t−1}",
         "steps": [[_num("z.value"), " × ", _term("h_prev")]], "result": "kept"},
        {"key": "forgotten", "label": "forgotten", "formula": "(1 − z_t) ⊙ h_{t−1}",
         "steps": [["(1 − ", _num("z.value"), ") × ", _term("h_prev")]], "result": "forgotten"},
        {"key": "written", "label": "written", "formula": "(1 − z_t) ⊙ n_t",
         "steps": [["(1 − ", _num("z.value"), ") × ", _term("n.value")]], "result": "written"},
        {"key": "h", "label": "memory after", "formula": "kept + written",
         "steps": [[_num("kept"), " + ", _term("written")]], "result": "h"},
    ),
    step_values=_gru_values, diagram="gru",
    parts_note=lambda p: ("For n the reset gate acts on the previous step's part: recurrent = r ⊙ (W·h_{t−1}), "
                          "bias = b_in + r ⊙ b_hn." if p.reset_after else
                          "For n the reset gate acts before W: recurrent = W·(r ⊙ h_{t−1}), bias = b_in + b_hn."),
    description="a gated recurrent unit: an update gate z decides how much of h to keep, a reset gate r how "
                "much of it the candidate reads; h is its only memory",
)

CELLS: dict[str, CellSpec] = {c.name: c for c in (LSTM, RNN, GRU)}


def spec(name: str) -> CellSpec:
    """The cell named `name`; KeyError names the known ones."""
    try:
        return CELLS[name]
    except KeyError:
        raise KeyError(f"unknown cell {name!r}; known cells: {', '.join(CELLS)}") from None


def spec_of_params(params: object) -> CellSpec:
    """The cell whose parameter record `params` is (exact type, so subclasses register themselves)."""
    for cell in CELLS.values():
        if type(params) is cell.params_type:
            return cell
    raise TypeError(f"{type(params).__name__} is not a registered cell's parameters")


def forward(compiled, ids: np.ndarray, initial=None):
    """Run the engine the compiled tables belong to."""
    return spec_of_params(compiled.params).forward(compiled, ids, initial)
