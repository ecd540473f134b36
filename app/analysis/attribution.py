"""Why did it predict that? Attribution of one prediction to the input tokens, for any cell.

The prediction after step s (0-based) is p(target | tokens 0…s) = softmax(decoder(h_s))[target]; its log is
f(x) = log p, a function of the first layer's inputs x_0 … x_s (x_t: the embedding row of token t, (E,), or
its one-hot vector, (V,)). Per token t ≤ s (Σ_d over the input's coordinates):

    grad_input            score_t = Σ_d x_{t,d} · ∂f/∂x_{t,d}                       (gradient × input)
    integrated_gradients  score_t = Σ_d x_{t,d} · (1/m) Σ_j ∂f/∂x_{t,d} at α_j x,  α_j = (j + ½)/m
                          (zero baseline; the midpoint rule), with its completeness error
                          |Σ_t score_t − (f(x) − f(0))|, which shrinks as m grows
    occlusion             score_t = f(x) − f(x with token t replaced by the unknown token)   (exact, no gradient)
    connectivity          score_t = ‖∂ logit_target / ∂x_t‖²                        (Distill's "Memorization in RNNs")

Gradients are exact: one forward pass keeping what backpropagation needs and one backward pass, both the
trainer's (each cell's `layer_forward` / `layer_backward`, app/engine/*_grad.py: one implementation of the
maths), run in float64 over a batch (integrated gradients' m scaled inputs, occlusion's s + 1 texts), with the
model's card options (an LSTM's or GRU's recurrent activation, a GRU's reset_after, an RNN's nonlinearity). Where
an activation has a kink (a hard σ's clip at 0 and 1, relu's at 0) its derivative is the one-sided one of the
clipped (flat) side exactly at the kink, elsewhere the usual one; the *_grad.py modules say how. `supported`
refuses only a model without a decoder. Pure functions, no web imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.engine.cells import CellSpec

METHODS = ("grad_input", "integrated_gradients", "occlusion", "connectivity")


@dataclass(frozen=True)
class Network:
    """A model's weights in float64 for attribution: `embedding` (V, E) or None (one-hot inputs over V), per
    layer (W_ih, W_hh, b_ih, b_hh) in PyTorch's layout, the decoder W_dec (V, H) and b_dec (V,), and the cell's
    card options (`cell.options_of(params)`: keyword arguments of its layer_forward)."""

    cell: CellSpec
    embedding: np.ndarray | None
    layers: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    W_dec: np.ndarray
    b_dec: np.ndarray
    options: dict = field(default_factory=dict)

    @property
    def vocab_size(self) -> int:
        return self.W_dec.shape[0]

    @property
    def input_size(self) -> int:
        return self.vocab_size if self.embedding is None else self.embedding.shape[1]


def supported(cell: CellSpec, params: object) -> str | None:
    """None when attribution can run on these parameters, else why not (in words)."""
    if getattr(params, "W_dec", None) is None:
        return "the model has no decoder: it predicts nothing to attribute"
    return None


def network(cell: CellSpec, params: object) -> Network:
    """The float64 Network of a model's StackedParams (which must have a decoder)."""
    def f64(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.asarray(a, np.float64)

    return Network(cell, f64(params.embedding),
                   tuple((f64(w.W_ih), f64(w.W_hh), f64(w.b_ih), f64(w.b_hh)) for w in params.layers),
                   f64(params.W_dec), f64(params.b_dec), cell.options_of(params))


def inputs(net: Network, ids: np.ndarray) -> np.ndarray:
    """The first layer's inputs x (T, In) of token ids (T,): embedding rows, or one-hot vectors."""
    if net.embedding is not None:
        return net.embedding[ids]
    return np.eye(net.vocab_size)[ids]


def forward(net: Network, x: np.ndarray) -> tuple[list, np.ndarray]:
    """x (T, B, In) → (every layer's cache, the decoder's logits at the last step (B, V)), with the net's options."""
    caches = []
    for W_ih, W_hh, b_ih, b_hh in net.layers:
        cache = net.cell.layer_forward(W_ih, W_hh, b_ih, b_hh, x, **net.options)
        caches.append(cache)
        x = cache.h
    return caches, x[-1] @ net.W_dec.T + net.b_dec


def input_gradient(net: Network, caches: list, dlogits: np.ndarray) -> np.ndarray:
    """∂(Σ_b dlogits_b · logits_b at the last step) / ∂x: dlogits (B, V) → (T, B, In); each layer's backward
    runs with the options its cache (from `forward`) kept."""
    T, B, H = caches[-1].h.shape
    dh = np.zeros((T, B, H))
    dh[-1] = dlogits @ net.W_dec
    for (W_ih, W_hh, _, _), cache in zip(reversed(net.layers), reversed(caches), strict=True):
        dh = net.cell.layer_backward(W_ih, W_hh, cache, dh)[-1]
    return dh


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax of (B, V) scores."""
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def log_prob_gradient(logits: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """(log p(target) per row (B,), its gradient with respect to the logits (B, V): onehot − softmax)."""
    lp = log_softmax(logits)
    grad = -np.exp(lp)
    grad[:, target] += 1.0
    return lp[:, target], grad


@dataclass(frozen=True)
class Attribution:
    """scores (s + 1,): one per token 0…s; value: f(x) = log p(target) (connectivity: the target's logit);
    prob: p(target); for integrated gradients `baseline` f(0) and `completeness_error`."""

    scores: np.ndarray
    value: float
    prob: float
    baseline: float | None = None
    completeness_error: float | None = None


def grad_input(net: Network, ids: np.ndarray, target: int) -> Attribution:
    """Gradient × input of log p(target | ids) for the prediction after the last of ids (T,)."""
    x = inputs(net, ids)[:, None, :]  # (T, 1, In)
    caches, logits = forward(net, x)
    value, dlogits = log_prob_gradient(logits, target)
    dx = input_gradient(net, caches, dlogits)
    return Attribution((x * dx)[:, 0].sum(axis=-1), float(value[0]), float(np.exp(value[0])))


def connectivity(net: Network, ids: np.ndarray, target: int) -> Attribution:
    """‖∂ logit_target / ∂x_t‖² per token t of ids (T,)."""
    x = inputs(net, ids)[:, None, :]
    caches, logits = forward(net, x)
    dlogits = np.zeros_like(logits)
    dlogits[:, target] = 1.0
    dx = input_gradient(net, caches, dlogits)
    return Attribution((dx[:, 0] ** 2).sum(axis=-1), float(logits[0, target]),
                       float(np.exp(log_softmax(logits)[0, target])))


def integrated_gradients(net: Network, ids: np.ndarray, target: int, m: int) -> Attribution:
    """Integrated gradients from the zero input with m midpoint steps (one batch of m scaled inputs)."""
    x = inputs(net, ids)  # (T, In)
    alphas = (np.arange(m) + 0.5) / m
    caches, logits = forward(net, alphas[None, :, None] * x[:, None, :])  # (T, m, In)
    _, dlogits = log_prob_gradient(logits, target)
    dx = input_gradient(net, caches, dlogits)  # (T, m, In)
    scores = (x * dx.mean(axis=1)).sum(axis=-1)
    value = log_softmax(forward(net, x[:, None, :])[1])[0, target]
    baseline = log_softmax(forward(net, np.zeros_like(x)[:, None, :])[1])[0, target]
    return Attribution(scores, float(value), float(np.exp(value)), float(baseline),
                       float(abs(scores.sum() - (value - baseline))))


def occlusion(net: Network, ids: np.ndarray, target: int, unk_id: int) -> Attribution:
    """f(x) − f(x with token t replaced by unk_id), for every t, in one batch of T + 1 texts (the first whole)."""
    T = len(ids)
    texts = np.repeat(ids[:, None], T + 1, axis=1)  # (T, T + 1): column 0 whole, column t + 1 without token t
    texts[np.arange(T), np.arange(T) + 1] = unk_id
    lp = log_softmax(forward(net, inputs(net, texts))[1])[:, target]  # (T + 1,)
    return Attribution(lp[0] - lp[1:], float(lp[0]), float(np.exp(lp[0])))


def cost(net: Network, T: int, method: str, m: int) -> int:
    """Multiply-adds of one attribution of T tokens: the forward pass over the batch (and the backward pass,
    about twice it, for the gradient methods), every layer's input and recurrent products."""
    per_token = 0
    size_in = net.input_size
    for _, W_hh, _, _ in net.layers:
        rows, H = W_hh.shape
        per_token += rows * (size_in + H)
        size_in = H
    batch = {"grad_input": 3, "connectivity": 3, "integrated_gradients": 3 * m + 2, "occlusion": T + 1}[method]
    return batch * T * per_token + batch * net.vocab_size * net.W_dec.shape[1]
