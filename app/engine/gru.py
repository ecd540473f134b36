"""A multi-layer GRU forward pass in NumPy that records its gates and state at every step.

Per layer, per step t (PyTorch's `nn.GRU`; Cho et al. 2014 with the reset gate applied after W_hn):

    r_t = σ(W_ir·x_t + b_ir + W_hr·h_{t-1} + b_hr)              reset gate: how much of h_{t-1} the candidate reads
    z_t = σ(W_iz·x_t + b_iz + W_hz·h_{t-1} + b_hz)              update gate: 1 keeps h_{t-1}, 0 replaces it
    n_t = tanh(W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn))   candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                      hidden state, the GRU's only memory

With `reset_after=False` (Keras's other GRU) the candidate is n_t = tanh(W_in·x_t + b_in + W_hn·(r_t ⊙ h_{t-1})
+ b_hn). Weights follow PyTorch: `W_ih` (3H, In) and `W_hh` (3H, H) stack the gates in the order r, z, n;
`b_ih`, `b_hh` (3H,). The ledger reads h_t = kept + written with kept = z ⊙ h_{t-1} and written = (1 − z) ⊙ n.
Shapes: T tokens, V vocabulary, E embedding, H hidden units, L layers.

Determinism as in app.engine.lstm: every number comes from the same operations whatever the text's length,
so tracing a text whole or in pieces gives identical bits. Layer 0's input projection is a row lookup in a
V×3H table; σ(x) = ½(1 + tanh(x/2)) as in the LSTM, or a hard σ (clip(slope·x + ½, 0, 1)) for Keras imports.

This module imports NumPy, the standard library and app.engine.lstm (whose records it shares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.lstm import (
    RECURRENT_ACTIVATIONS,
    StackedParams,
    Trace,
    layer_input,
    sigma,
    sigma_prime,
)

QUANTITIES = ("r", "z", "n", "h")
GATES = ("r", "z", "n")


@dataclass(frozen=True)
class GRUParams(StackedParams):
    """StackedParams of a GRU: the σ of r and z, and where the reset gate applies (PyTorch: after W_hn)."""

    recurrent_activation: str = "sigmoid"
    reset_after: bool = True


@dataclass(frozen=True)
class State:
    """The recurrent state between steps: h (L, H)."""

    h: np.ndarray


@dataclass(frozen=True)
class LayerTrace:
    """The gates r, z, the candidate n and the state h of one layer at every step, each (T, H)."""

    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, name)


@dataclass(frozen=True)
class Compiled:
    """Per-model tables: layer 0's input projection per token id (V, 3H) with b_ih; every layer's
    W_ih (layer k > 0), W_hh, b_ih and b_hh as given (float, the weights' dtype)."""

    params: GRUParams
    x_table: np.ndarray  # (V, 3H): W_ih·x + b_ih
    W_ih: tuple[np.ndarray | None, ...]  # (3H, In) for k > 0; None for layer 0
    b_ih: tuple[np.ndarray, ...]  # (3H,)
    W_hh: tuple[np.ndarray, ...]  # (3H, H)
    b_hh: tuple[np.ndarray, ...]  # (3H,)


def zero_state(params: GRUParams) -> State:
    """The all-zero state: h of shape (L, H)."""
    return State(h=np.zeros((params.num_layers, params.hidden_size), params.dtype))


def compile_params(params: GRUParams) -> Compiled:
    """Build the lookup table once per model."""
    if params.recurrent_activation not in RECURRENT_ACTIVATIONS:
        raise ValueError(f"recurrent_activation {params.recurrent_activation!r} is not supported; "
                         f"use one of {RECURRENT_ACTIVATIONS}")
    dt = params.dtype
    first = params.layers[0]
    table = first.W_ih.T if params.embedding is None else params.embedding @ first.W_ih.T  # (V, 3H)
    contiguous = lambda a: np.ascontiguousarray(a, dtype=dt)  # noqa: E731
    return Compiled(params, contiguous(table + first.b_ih),
                    (None, *(contiguous(layer.W_ih) for layer in params.layers[1:])),
                    tuple(contiguous(layer.b_ih) for layer in params.layers),
                    tuple(contiguous(layer.W_hh) for layer in params.layers),
                    tuple(contiguous(layer.b_hh) for layer in params.layers))


def _run_layer(compiled: Compiled, k: int, inputs: np.ndarray, h0: np.ndarray) -> LayerTrace:
    """Run layer k over T steps. inputs: token ids (T,) for k = 0, else layer k-1's h (T, In)."""
    p = compiled.params
    T, H, dt = len(inputs), p.hidden_size, p.dtype
    W_hh, b_hh, W_ih, b_ih = compiled.W_hh[k], compiled.b_hh[k], compiled.W_ih[k], compiled.b_ih[k]
    R, Z, N, Hs = (np.empty((T, H), dt) for _ in range(4))
    xi, hh, rh = np.empty(3 * H, dt), np.empty(3 * H, dt), np.empty(H, dt)
    rows = inputs.tolist() if k == 0 else None
    act, after = p.recurrent_activation, p.reset_after
    h_prev = h0
    for t in range(T):
        if k == 0:
            xi[:] = compiled.x_table[rows[t]]
        else:
            np.dot(W_ih, inputs[t], out=xi)
            xi += b_ih
        if after:
            np.dot(W_hh, h_prev, out=hh)
        else:
            np.dot(W_hh[: 2 * H], h_prev, out=hh[: 2 * H])
            hh[2 * H :] = 0  # W_hn acts on r ⊙ h below: only b_hn is added here
        hh += b_hh
        r, z, n = R[t], Z[t], N[t]
        np.add(xi[:H], hh[:H], out=r)
        sigma(r, act)
        np.add(xi[H : 2 * H], hh[H : 2 * H], out=z)
        sigma(z, act)
        if after:
            np.multiply(r, hh[2 * H :], out=n)  # r ⊙ (W_hn·h + b_hn)
        else:
            np.multiply(r, h_prev, out=rh)
            np.dot(W_hh[2 * H :], rh, out=n)  # W_hn·(r ⊙ h)
            n += hh[2 * H :]  # + b_hn (the W_hn part of hh was not computed)
        n += xi[2 * H :]
        np.tanh(n, out=n)
        h = Hs[t]
        np.subtract(h_prev, n, out=h)  # h = (h_prev − n) ⊙ z + n, PyTorch's order of operations
        h *= z
        h += n
        h_prev = h
    return LayerTrace(r=R, z=Z, n=N, h=Hs)


def forward(compiled: Compiled, ids: np.ndarray, initial: State | None = None) -> Trace:
    """Run the GRU over token ids (T,) from `initial` (zeros by default) and record r, z, n, h, each (T, H)."""
    params = compiled.params
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= params.vocab_size):
        raise ValueError(f"token ids must lie in [0, {params.vocab_size})")
    initial = initial if initial is not None else zero_state(params)
    want = (params.num_layers, params.hidden_size)
    if initial.h.shape != want or initial.h.dtype != params.dtype:
        raise ValueError(f"initial h must be {want} {params.dtype}, got {initial.h.shape} {initial.h.dtype}")
    layers: list[LayerTrace] = []
    inputs: np.ndarray = ids
    for k in range(params.num_layers):
        layers.append(_run_layer(compiled, k, inputs, initial.h[k]))
        inputs = layers[-1].h
    final = State(h=np.stack([layer.h[-1] for layer in layers]) if len(ids) else initial.h.copy())
    return Trace(layers=tuple(layers), initial=initial, final=final)


def step_detail(params: GRUParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> dict:
    """Each gate's pre-activation of layer k at step t split into input + recurrent + bias, each (H,):
    r and z as in the LSTM; the candidate's recurrent part is r ⊙ (W_hn·h_{t-1}) and its bias b_in + r ⊙ b_hn
    (with reset_after=False: W_hn·(r ⊙ h_{t-1}) and b_in + b_hn). Returns {"gates": {r, z, n: {input,
    recurrent, bias}}, "previous": {"h": h_{t-1}}}."""
    layer, H = params.layers[k], params.hidden_size
    h_prev = trace.initial.h[k] if t == 0 else trace.layers[k].h[t - 1]
    x = layer_input(params, trace, ids, k, t)[1]
    r = trace.layers[k].r[t]
    gates = {}
    for n, gate in enumerate(("r", "z")):
        rows = slice(n * H, (n + 1) * H)
        gates[gate] = {"input": x[rows], "recurrent": layer.W_hh[rows] @ h_prev,
                       "bias": layer.b_ih[rows] + layer.b_hh[rows]}
    W_hn, b_in, b_hn = layer.W_hh[2 * H :], layer.b_ih[2 * H :], layer.b_hh[2 * H :]
    if params.reset_after:
        gates["n"] = {"input": x[2 * H :], "recurrent": r * (W_hn @ h_prev), "bias": b_in + r * b_hn}
    else:
        gates["n"] = {"input": x[2 * H :], "recurrent": W_hn @ (r * h_prev), "bias": b_in + b_hn}
    return {"gates": gates, "previous": {"h": h_prev}}


def ledger(layer: LayerTrace, state0: State, k: int, start: int = 0, cols: slice = slice(None)
           ) -> dict[str, np.ndarray]:
    """h_t = kept + written: kept = z ⊙ h_{t-1}, forgotten = (1 − z) ⊙ h_{t-1}, written = (1 − z) ⊙ n,
    each (T − start, U) from step `start` on, for the units `cols`."""
    h = layer.h[:, cols]
    if start > 0:
        h_prev = h[start - 1 : -1]
    else:
        h_prev = np.concatenate([state0.h[k][None, cols], h[:-1]]) if len(h) else h
    z = layer.z[start:, cols]
    return {"kept": z * h_prev, "forgotten": (1 - z) * h_prev, "written": (1 - z) * layer.n[start:, cols]}


def keep(layer: LayerTrace, s: int, window: int) -> dict[str, np.ndarray]:
    """∏_{k=s+1..t} z_k, the share of h_s the update gates pass on directly to h_t, and what step s wrote,
    (1 − z_s) ⊙ n_s, as it survives that way; each (window, H) for t = s+1 .. s+window."""
    kept = np.cumprod(layer.z[s + 1 : s + 1 + window], axis=0)
    return {"kept": kept, "written": ((1 - layer.z[s]) * layer.n[s])[None, :] * kept}


def jacobian_norms(params: GRUParams, trace: Trace, k: int, s: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """‖∂h_t/∂h_s‖_F for t = s+1 .. s+window of layer k, twice (h is the GRU's memory): (window,) each.

    ∂h_t/∂h_{t-1} = diag(z) + diag((h_{t-1} − n) σ'_z) W_hz + diag((1 − z)(1 − n²)) ∂a_n/∂h_{t-1}, where
    ∂a_n/∂h_{t-1} = diag(r) W_hn + diag(q σ'_r) W_hr with q = W_hn·h_{t-1} + b_hn (reset after W_hn), or
    W_hn (diag(r) + diag(h_{t-1} σ'_r) W_hr) (reset before). About H³ multiply-adds per step (the product
    with the running Jacobian)."""
    layer, weights = trace.layers[k], params.layers[k]
    H = params.hidden_size
    W_hr, W_hz, W_hn = (weights.W_hh[j * H : (j + 1) * H].astype(np.float64) for j in range(3))
    b_hn = weights.b_hh[2 * H :].astype(np.float64)
    act = params.recurrent_activation
    J = np.eye(H)
    out = np.empty(window)
    for m, t in enumerate(range(s + 1, s + 1 + window)):
        h_prev = (layer.h[t - 1] if t > 0 else trace.initial.h[k]).astype(np.float64)
        r, z, n = (x[t].astype(np.float64) for x in (layer.r, layer.z, layer.n))
        dr, dz = sigma_prime(r, act), sigma_prime(z, act)
        if params.reset_after:
            da_n = r[:, None] * W_hn + ((W_hn @ h_prev + b_hn) * dr)[:, None] * W_hr
        else:
            da_n = W_hn * r[None, :] + W_hn @ ((h_prev * dr)[:, None] * W_hr)
        step = ((h_prev - n) * dz)[:, None] * W_hz + ((1 - z) * (1 - n**2))[:, None] * da_n
        step[np.diag_indices(H)] += z
        J = step @ J
        out[m] = np.linalg.norm(J)
    return out, out
