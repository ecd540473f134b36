"""A multi-layer LSTM forward pass in NumPy that records every gate and state.

Notation (colah's "Understanding LSTM Networks"), per layer, per step t:

    i_t = σ(W_i·x_t + U_i·h_{t-1} + b_i)      input gate: how much of the candidate is written
    f_t = σ(W_f·x_t + U_f·h_{t-1} + b_f)      forget gate: 1 keeps the old memory, 0 erases it
    g_t = tanh(W_g·x_t + U_g·h_{t-1} + b_g)   candidate values (colah's C̃_t)
    o_t = σ(W_o·x_t + U_o·h_{t-1} + b_o)      output gate: how much memory is exposed
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t            cell state (long-term memory)
    h_t = o_t ⊙ tanh(c_t)                      hidden state (the layer's output)

Weights follow PyTorch's `nn.LSTM` exactly: `W_ih` (4H, In) and `W_hh` (4H, H) stack the gates in the
order i, f, g, o; the bias is `b_ih + b_hh`; layer k > 0 takes layer k-1's h as its x.
Shapes: T tokens, V vocabulary, E embedding, H hidden units, L layers.

Determinism: every number is computed by the same sequence of operations whatever the length of
the text, so tracing a text whole or in pieces (carrying the state) gives identical bits. Layer 0's
input projection is a row lookup in a V×4H table built once per model; upper layers project per step;
the decoder runs one matrix-vector product per step. No result depends on how many rows a product had.

Speed: σ(x) = ½(1 + tanh(x/2)), so the i, f and o rows of the weights are pre-scaled by ½ (exact in
binary floating point) and one `tanh` over all 4H pre-activations serves every gate.

Recurrent activations (the σ of the i, f and o gates; a model card's `recurrent_activation`):
    sigmoid               1 / (1 + e^(−x))        PyTorch, Keras 3's default, CuDNN
    hard_sigmoid          clip(x/6 + ½, 0, 1)     Keras 3's `hard_sigmoid`
    hard_sigmoid_keras2   clip(0.2·x + ½, 0, 1)   Keras 2's `hard_sigmoid`, its LSTM default
The hard ones pre-scale the i, f and o rows by their slope (1/6 or 0.2) instead of ½, then add ½ and
clip; the sigmoid path is the one above, unchanged.

This module imports NumPy and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GATES = ("i", "f", "g", "o")
QUANTITIES = ("i", "f", "g", "o", "c", "h")
RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid", "hard_sigmoid_keras2")
# A hard σ is clip(slope·x + ½, 0, 1): its slope inside the linear region (sigma_prime's derivative).
HARD_SIGMOID_SLOPES = {"hard_sigmoid": 1 / 6, "hard_sigmoid_keras2": 0.2}
# The factor the i, f and o rows are pre-scaled by: ½ for σ(x) = ½(1 + tanh(x/2)), the slope of a hard σ.
_SIGMA_SLOPE = {"sigmoid": 0.5, **HARD_SIGMOID_SLOPES}


@dataclass(frozen=True)
class LayerWeights:
    """One layer in PyTorch's layout: W_ih (4H, In), W_hh (4H, H), b_ih (4H,), b_hh (4H,) — for app.engine.rnn's
    vanilla RNN the same with H rows in place of 4H."""

    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[1]

    @property
    def input_size(self) -> int:
        return self.W_ih.shape[1]


@dataclass(frozen=True)
class StackedParams:
    """Embedding (V, E) or None for one-hot inputs over V, the layers, and an optional decoder
    W_dec (V, H), b_dec (V,). All arrays share one float dtype. What an LSTM and a vanilla RNN
    (app.engine.rnn.RNNParams) share; each adds its own activation."""

    layers: tuple[LayerWeights, ...]
    vocab_size: int
    embedding: np.ndarray | None = None
    W_dec: np.ndarray | None = None
    b_dec: np.ndarray | None = None

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        return self.layers[0].hidden_size

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].W_hh.dtype


@dataclass(frozen=True)
class LSTMParams(StackedParams):
    """StackedParams of an LSTM, with the gates' recurrent activation (sigmoid or a hard sigmoid)."""

    recurrent_activation: str = "sigmoid"


@dataclass(frozen=True)
class State:
    """The recurrent state between steps: h (L, H) and c (L, H)."""

    h: np.ndarray
    c: np.ndarray


@dataclass(frozen=True)
class LayerTrace:
    """Every gate and state of one layer at every step, each (T, H), C-contiguous."""

    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, name)


@dataclass(frozen=True)
class Trace:
    """The record of one forward pass: one LayerTrace per layer, the state it started from and the
    state it ended in (the start state of a continuation). app.engine.rnn's passes are Traces too, of its own
    LayerTrace (h, a) and State (h)."""

    layers: tuple
    initial: State
    final: State

    @property
    def num_steps(self) -> int:
        return self.layers[0].h.shape[0]


@dataclass(frozen=True)
class Compiled:
    """Per-model tables computed once at load: layer 0's input projection per token id, V×4H,
    bias included; every layer's recurrent and input weights, i/f/o rows scaled by ½."""

    params: LSTMParams
    x_table: np.ndarray  # (V, 4H), layer 0: W_ih·x + b_ih + b_hh, i/f/o rows scaled by ½
    W_ih: tuple[np.ndarray | None, ...]  # layer k > 0: (4H, H) scaled; None for layer 0
    b: tuple[np.ndarray, ...]  # (4H,) scaled b_ih + b_hh
    W_hh: tuple[np.ndarray, ...]  # (4H, H) scaled


def zero_state(params: LSTMParams) -> State:
    """The all-zero state: h and c of shape (L, H)."""
    shape = (params.num_layers, params.hidden_size)
    return State(h=np.zeros(shape, params.dtype), c=np.zeros(shape, params.dtype))


def _gate_scale(H: int, dtype: np.dtype, slope: float = 0.5) -> np.ndarray:
    """(4H, 1) column: `slope` (½ for sigmoid) on the σ rows (i, f, o), 1 on the tanh rows (g)."""
    scale = np.full((4 * H, 1), slope, dtype=dtype)
    scale[2 * H : 3 * H] = 1.0
    return scale


def compile_params(params: LSTMParams) -> Compiled:
    """Build the lookup table and scaled weights once per model (see the module docstring)."""
    if params.recurrent_activation not in RECURRENT_ACTIVATIONS:
        raise ValueError(
            f"recurrent_activation {params.recurrent_activation!r} is not supported; "
            f"use one of {RECURRENT_ACTIVATIONS}"
        )
    H, dt = params.hidden_size, params.dtype
    scale = _gate_scale(H, dt, _SIGMA_SLOPE[params.recurrent_activation])
    first = params.layers[0]
    bias0 = first.b_ih + first.b_hh  # (4H,)
    if params.embedding is None:
        x_table = first.W_ih.T + bias0  # (V, 4H): a one-hot input selects a column of W_ih
    else:
        x_table = params.embedding @ first.W_ih.T + bias0  # (V, E) @ (E, 4H) -> (V, 4H)
    x_table = np.ascontiguousarray(x_table * scale.T, dtype=dt)
    W_ih: list[np.ndarray | None] = [None]
    b, W_hh = [], []
    for k, layer in enumerate(params.layers):
        W_hh.append(np.ascontiguousarray(layer.W_hh * scale, dtype=dt))
        b.append(np.ascontiguousarray((layer.b_ih + layer.b_hh) * scale[:, 0], dtype=dt))
        if k > 0:
            W_ih.append(np.ascontiguousarray(layer.W_ih * scale, dtype=dt))
    return Compiled(params, x_table, tuple(W_ih), tuple(b), tuple(W_hh))


def _run_layer(
    compiled: Compiled,
    k: int,
    inputs: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
) -> LayerTrace:
    """Run layer k over T steps. inputs: token ids (T,) for k = 0, else layer k-1's h (T, In)."""
    T, H, dt = len(inputs), compiled.params.hidden_size, compiled.params.dtype
    W_hh, b, W_ih = compiled.W_hh[k], compiled.b[k], compiled.W_ih[k]
    Z = np.empty((T, 4 * H), dt)  # per step: [i f g o] pre-activations, then activations in place
    C = np.empty((T, H), dt)
    Hs = np.empty((T, H), dt)
    ig = np.empty(H, dt)
    x_proj = np.empty(4 * H, dt)
    half = _gate_scale(H, dt)[:, 0]  # (4H,) ½ on i, f, o rows; 1 on g rows
    shift = np.where(half == 0.5, 0.5, 0.0).astype(dt)  # (4H,) ½ on i, f, o rows; 0 on g rows
    hard = compiled.params.recurrent_activation != "sigmoid"
    low = shift * 2 - 1  # (4H,) 0 on i, f, o rows: a hard σ clips to [0, 1]; −1 on g rows, where tanh stays
    rows = inputs.tolist() if k == 0 else None  # Python ints index a table faster than NumPy scalars
    h_prev, c_prev = h0, c0
    for t in range(T):
        z = Z[t]
        np.dot(W_hh, h_prev, out=z)  # recurrent part
        if k == 0:
            z += compiled.x_table[rows[t]]  # input part and bias, one row lookup
        else:
            np.dot(W_ih, inputs[t], out=x_proj)
            z += x_proj
            z += b
        if hard:  # σ rows hold slope·x: add ½ and clip to [0, 1]; g = tanh(.) is already within [−1, 1]
            np.tanh(z[2 * H : 3 * H], out=z[2 * H : 3 * H])
            z += shift
            np.clip(z, low, 1.0, out=z)
        else:
            np.tanh(z, out=z)  # g = tanh(.), and tanh(x/2) on the pre-scaled σ rows
            z *= half  # σ rows: ½(1 + tanh(x/2)); the g rows are multiplied by 1 and added 0, exactly
            z += shift
        i_t, f_t, g_t, o_t = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        c_t, h_t = C[t], Hs[t]
        np.multiply(f_t, c_prev, out=c_t)
        np.multiply(i_t, g_t, out=ig)
        c_t += ig
        np.tanh(c_t, out=h_t)
        h_t *= o_t
        h_prev, c_prev = h_t, c_t
    return LayerTrace(
        i=np.ascontiguousarray(Z[:, :H]),
        f=np.ascontiguousarray(Z[:, H : 2 * H]),
        g=np.ascontiguousarray(Z[:, 2 * H : 3 * H]),
        o=np.ascontiguousarray(Z[:, 3 * H :]),
        c=C,
        h=Hs,
    )


def forward(compiled: Compiled, ids: np.ndarray, initial: State | None = None) -> Trace:
    """Run the LSTM over token ids (T,) from `initial` (zeros by default) and record every gate.

    Returns a Trace whose layers hold i, f, g, o, c, h as (T, H) arrays in the weights' dtype.
    With T = 0 the arrays are (0, H) and the final state is the initial one.
    """
    params = compiled.params
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= params.vocab_size):
        raise ValueError(f"token ids must lie in [0, {params.vocab_size})")
    initial = initial if initial is not None else zero_state(params)
    want = (params.num_layers, params.hidden_size)
    for name, a in (("h", initial.h), ("c", initial.c)):
        if a.shape != want or a.dtype != params.dtype:
            raise ValueError(f"initial {name} must be {want} {params.dtype}, got {a.shape} {a.dtype}")
    layers: list[LayerTrace] = []
    inputs: np.ndarray = ids
    for k in range(params.num_layers):
        layer = _run_layer(compiled, k, inputs, initial.h[k], initial.c[k])
        layers.append(layer)
        inputs = layer.h
    if len(ids):
        final = State(
            h=np.stack([layer.h[-1] for layer in layers]),
            c=np.stack([layer.c[-1] for layer in layers]),
        )
    else:
        final = State(h=initial.h.copy(), c=initial.c.copy())
    return Trace(layers=tuple(layers), initial=initial, final=final)


def previous_state(trace: Trace, k: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """h_{t-1} and c_{t-1} (each (H,)) of layer k, from the initial state when t = 0."""
    if t == 0:
        return trace.initial.h[k], trace.initial.c[k]
    return trace.layers[k].h[t - 1], trace.layers[k].c[t - 1]


def ledger(layer: LayerTrace, c0: np.ndarray, start: int = 0, cols: slice = slice(None)) -> dict[str, np.ndarray]:
    """The memory ledger of one layer: kept = f ⊙ c_{t-1}, forgotten = (1 − f) ⊙ c_{t-1},
    written = i ⊙ g, so c_t = kept + written. c0: (H,) the state before step 0. Each (T − start, U):
    the steps from `start` on (only those are read: a keystroke's answer does not touch the others) and
    the units `cols` (all by default)."""
    c = layer.c[:, cols]
    if start > 0:
        c_prev = c[start - 1 : -1]
    else:
        c_prev = np.concatenate([c0[None, cols], c[:-1]]) if len(c) else c
    f = layer.f[start:, cols]
    return {
        "kept": f * c_prev,
        "forgotten": (1 - f) * c_prev,
        "written": layer.i[start:, cols] * layer.g[start:, cols],
    }


def logits(params: LSTMParams, h: np.ndarray) -> np.ndarray:
    """Decoder scores (T, V) from the top layer's h (T, H), one matrix-vector product per step
    so each row's bits do not depend on T. Raises if the model has no decoder."""
    if params.W_dec is None or params.b_dec is None:
        raise ValueError("this model has no decoder")
    out = np.empty((len(h), params.W_dec.shape[0]), params.dtype)
    for t in range(len(h)):
        np.dot(params.W_dec, h[t], out=out[t])
        out[t] += params.b_dec
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (T, V) scores, computed in float64 for stable probabilities."""
    z = z.astype(np.float64)  # a copy, worked on in place (a (2,000, 6,591) array is 105 MB)
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


@dataclass(frozen=True)
class StepDetail:
    """Why gate values at one step of one layer are what they are. Each pre-activation (4H,) in
    PyTorch's gate order is input (W_ih·x_t) + recurrent (W_hh·h_{t-1}) + bias (b_ih + b_hh)."""

    x: np.ndarray  # (In,) the layer's input; for a one-hot layer 0, the one-hot vector (V,)
    h_prev: np.ndarray  # (H,)
    c_prev: np.ndarray  # (H,)
    input: np.ndarray  # (4H,)
    recurrent: np.ndarray  # (4H,)
    bias: np.ndarray  # (4H,)


def layer_input(params: StackedParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Layer k's input x_t and W_ih·x_t at step t, for any cell: layer k-1's h, the token's embedding, or
    (one-hot layer 0) the one-hot vector (V,) and W_ih's column."""
    layer = params.layers[k]
    if k > 0:
        x = trace.layers[k - 1].h[t]
        return x, layer.W_ih @ x
    if params.embedding is not None:
        x = params.embedding[ids[t]]
        return x, layer.W_ih @ x
    x = np.zeros(params.vocab_size, params.dtype)
    x[ids[t]] = 1
    return x, layer.W_ih[:, ids[t]].copy()


def step_detail(params: LSTMParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> StepDetail:
    """Split the pre-activations of layer k at step t into input, recurrent and bias parts."""
    layer = params.layers[k]
    x, input_part = layer_input(params, trace, ids, k, t)
    h_prev, c_prev = previous_state(trace, k, t)
    return StepDetail(
        x=x,
        h_prev=h_prev,
        c_prev=c_prev,
        input=input_part,
        recurrent=layer.W_hh @ h_prev,
        bias=layer.b_ih + layer.b_hh,
    )


def sigma(x: np.ndarray, recurrent_activation: str = "sigmoid") -> np.ndarray:
    """σ in place on x (any shape), returned: ½(1 + tanh(x/2)), or a hard σ clip(slope·x + ½, 0, 1)."""
    if recurrent_activation == "sigmoid":
        x *= 0.5
        np.tanh(x, out=x)
        x += 1
        x *= 0.5
    else:
        x *= HARD_SIGMOID_SLOPES[recurrent_activation]
        x += 0.5
        np.clip(x, 0.0, 1.0, out=x)
    return x


def sigma_prime(gate: np.ndarray, recurrent_activation: str = "sigmoid") -> np.ndarray:
    """σ'(z) from the gate value σ(z) (any shape): σ(1−σ), or a hard σ's slope inside (0, 1) and 0 outside.
    At a hard σ's kinks (a gate of exactly 0 or 1) it is 0, the clipped side's derivative."""
    if recurrent_activation == "sigmoid":
        return gate * (1 - gate)
    return np.where((gate > 0) & (gate < 1), HARD_SIGMOID_SLOPES[recurrent_activation], 0.0)


def forget_products(f: np.ndarray, s: int, window: int) -> np.ndarray:
    """∏_{k=s+1..t} f_k for t = s+1 .. s+window, per unit: (window, H). f: (T, H)."""
    return np.cumprod(f[s + 1 : s + 1 + window], axis=0)


def lstm_jacobian_norms(W_hh: np.ndarray, i: np.ndarray, f: np.ndarray, g: np.ndarray, o: np.ndarray,
                        c: np.ndarray, c0: np.ndarray, s: int, window: int,
                        recurrent_activation: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """(‖∂h_t/∂h_s‖_F, ‖∂c_t/∂c_s‖_F) for t = s+1 .. s+window, each (window,). W_hh (4H, H) unscaled;
    gates and c (T, H); c0 (H,) the cell state before step 0; recurrent_activation the σ of i, f and o
    (see sigma_prime). Propagates the Jacobians of h_t and c_t with respect to the whole state
    (h_s, c_s), each (H, 2H): about 4·H³ multiply-adds per step."""
    H = W_hh.shape[1]
    W_i, W_f, W_g, W_o = (W_hh[k * H : (k + 1) * H].astype(np.float64) for k in range(4))
    dh = np.hstack([np.eye(H), np.zeros((H, H))])  # [∂h_s/∂h_s, ∂h_s/∂c_s]
    dc = np.hstack([np.zeros((H, H)), np.eye(H)])  # [∂c_s/∂h_s, ∂c_s/∂c_s]
    out_h, out_c = np.empty(window), np.empty(window)
    for n, t in enumerate(range(s + 1, s + 1 + window)):
        c_prev = c[t - 1] if t > 0 else c0
        it, ft, gt, ot = (x[t].astype(np.float64) for x in (i, f, g, o))
        tc = np.tanh(c[t].astype(np.float64))
        di, df, do = (sigma_prime(x, recurrent_activation) for x in (it, ft, ot))
        C = (c_prev * df)[:, None] * W_f + (gt * di)[:, None] * W_i + (it * (1 - gt**2))[:, None] * W_g
        A = (tc * do)[:, None] * W_o + (ot * (1 - tc**2))[:, None] * C
        b = ot * (1 - tc**2) * ft
        dh, dc = A @ dh + b[:, None] * dc, C @ dh + ft[:, None] * dc
        out_h[n], out_c[n] = np.linalg.norm(dh[:, :H]), np.linalg.norm(dc[:, H:])
    return out_h, out_c


def step_parts(params: LSTMParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> dict:
    """step_detail as the cell registry reads it: {"gates": {i, f, g, o: {input, recurrent, bias}}, each (H,),
    "previous": {"h": h_{t-1}, "c": c_{t-1}}}."""
    d, H = step_detail(params, trace, ids, k, t), params.hidden_size
    gates = {gate: {part: getattr(d, part)[n * H : (n + 1) * H] for part in ("input", "recurrent", "bias")}
             for n, gate in enumerate(GATES)}
    return {"gates": gates, "previous": {"h": d.h_prev, "c": d.c_prev}}


def ledger_of(layer: LayerTrace, state0: State, k: int, start: int = 0, cols: slice = slice(None)
              ) -> dict[str, np.ndarray]:
    """ledger of layer k from the initial state: kept, forgotten, written, each (T − start, U)."""
    return ledger(layer, state0.c[k], start, cols)


def keep(layer: LayerTrace, s: int, window: int) -> dict[str, np.ndarray]:
    """∏_{k=s+1..t} f_k, the share of c_s still in c_t, and what step s wrote, (i_s ⊙ g_s) ⊙ ∏ f, as it survives;
    each (window, H) for t = s+1 .. s+window."""
    kept = forget_products(layer.f, s, window)
    return {"kept": kept, "written": (layer.i[s] * layer.g[s])[None, :] * kept}


def jacobian_norms(params: LSTMParams, trace: Trace, k: int, s: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(‖∂h_t/∂h_s‖_F, ‖∂c_t/∂c_s‖_F) of layer k for t = s+1 .. s+window (see lstm_jacobian_norms)."""
    layer = trace.layers[k]
    return lstm_jacobian_norms(params.layers[k].W_hh, layer.i, layer.f, layer.g, layer.o, layer.c,
                               trace.initial.c[k], s, window, params.recurrent_activation)


def batch_layer(compiled: Compiled, k: int, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Layer k over B sequences at once from the zero state (app.engine.batched): inputs are token ids (T, B)
    for k = 0, else layer k-1's h (T, B, H). Per step one (B, H)·(H, 4H) product over the batch; the same
    operations as `_run_layer` otherwise (pre-scaled σ rows, one tanh over the 4H pre-activations), so the
    numbers match `forward` within float32 rounding (a matrix product sums in another order than a
    matrix-vector product). Returns {"c", "h"}, each (T, B, H) in the weights' dtype."""
    T, B = inputs.shape[:2]
    H, dt = compiled.params.hidden_size, compiled.params.dtype
    W_hh_T = np.ascontiguousarray(compiled.W_hh[k].T)  # (H, 4H): h (B, H) @ it
    block = 64  # the input part is computed for 64 steps at a time: a (64, B, 4H) buffer, not (T, B, 4H)

    def input_part(t0: int, t1: int) -> np.ndarray:
        if k == 0:  # input part and bias, a row lookup
            return compiled.x_table[inputs[t0:t1].reshape(-1)].reshape(t1 - t0, B, 4 * H)
        X = (inputs[t0:t1].reshape((t1 - t0) * B, -1) @ compiled.W_ih[k].T).reshape(t1 - t0, B, 4 * H)
        X += compiled.b[k]
        return X

    C, Hs = np.empty((T, B, H), dt), np.empty((T, B, H), dt)
    z, ig = np.empty((B, 4 * H), dt), np.empty((B, H), dt)
    half = _gate_scale(H, dt)[:, 0]
    shift = np.where(half == 0.5, 0.5, 0.0).astype(dt)
    hard = compiled.params.recurrent_activation != "sigmoid"
    low = shift * 2 - 1
    h_prev, c_prev = np.zeros((B, H), dt), np.zeros((B, H), dt)
    for t in range(T):
        if t % block == 0:
            X = input_part(t, min(t + block, T))
        np.dot(h_prev, W_hh_T, out=z)
        z += X[t % block]
        if hard:
            np.tanh(z[:, 2 * H : 3 * H], out=z[:, 2 * H : 3 * H])
            z += shift
            np.clip(z, low, 1.0, out=z)
        else:
            np.tanh(z, out=z)
            z *= half
            z += shift
        c_t, h_t = C[t], Hs[t]
        np.multiply(z[:, H : 2 * H], c_prev, out=c_t)
        np.multiply(z[:, :H], z[:, 2 * H : 3 * H], out=ig)
        c_t += ig
        np.tanh(c_t, out=h_t)
        h_t *= z[:, 3 * H :]
        h_prev, c_prev = h_t, c_t
    return {"c": C, "h": Hs}
