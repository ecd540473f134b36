"""Small builders shared by tests: random parameters in PyTorch's layout (for any registered cell), card
options, model files."""

from __future__ import annotations

import numpy as np

from app.engine.lstm import LayerWeights, LSTMParams


def random_params(
    rng: np.random.Generator,
    V: int = 11,
    E: int | None = 5,
    H: int = 7,
    L: int = 2,
    decoder: bool = True,
    dtype=np.float32,
) -> LSTMParams:
    """Embedding (V, E) (one-hot inputs when E is None), L layers of H units, optional decoder (V, H)."""

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.5, size=shape).astype(dtype)

    layers = []
    in_size = V if E is None else E
    for _ in range(L):
        layers.append(LayerWeights(normal(4 * H, in_size), normal(4 * H, H), normal(4 * H), normal(4 * H)))
        in_size = H
    return LSTMParams(
        layers=tuple(layers),
        vocab_size=V,
        embedding=None if E is None else normal(V, E),
        W_dec=normal(V, H) if decoder else None,
        b_dec=normal(V) if decoder else None,
    )


def random_rnn_params(
    rng: np.random.Generator,
    V: int = 11,
    E: int | None = 5,
    H: int = 7,
    L: int = 2,
    decoder: bool = True,
    dtype=np.float32,
):
    """A vanilla RNN's parameters (app.engine.rnn.RNNParams) in PyTorch's layout, shaped as random_params."""
    from app.engine import rnn

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.5, size=shape).astype(dtype)

    layers = []
    in_size = V if E is None else E
    for _ in range(L):
        layers.append(LayerWeights(normal(H, in_size), normal(H, H), normal(H), normal(H)))
        in_size = H
    return rnn.RNNParams(
        layers=tuple(layers),
        vocab_size=V,
        embedding=None if E is None else normal(V, E),
        W_dec=normal(V, H) if decoder else None,
        b_dec=normal(V) if decoder else None,
    )


# ---- Any cell of the registry (app.engine.cells): parameters, card options, model files. ----

VOCAB = ("?", *" abcdefghijklmnopqrstuvwxyz,.")  # a char tokenizer's vocabulary, "?" the unknown token
TEXT = "a cab, a bad cab. a dab."  # every character is in VOCAB


def cell_spec(cell):
    """The registry's CellSpec for a cell or its name."""
    from app.engine.cells import CELLS

    return CELLS[cell] if isinstance(cell, str) else cell


def random_cell_params(rng: np.random.Generator, cell="lstm", V: int = 11, E: int | None = 5, H: int = 7, L: int = 2,
                       decoder: bool = True, dtype=np.float32, scale: float = 0.5, **options):
    """Any registered cell's parameters (its params_type) in PyTorch's layout, N(0, scale²) weights: rows·H rows
    per layer, an embedding (V, E) (one-hot inputs when E is None), an optional decoder (V, H); `options` the
    cell's card options (defaults for those left out)."""
    spec = cell_spec(cell)

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(scale=scale, size=shape).astype(dtype)

    layers, in_size, n = [], V if E is None else E, spec.rows * H
    for _ in range(L):
        layers.append(LayerWeights(normal(n, in_size), normal(n, H), normal(n), normal(n)))
        in_size = H
    embedding = None if E is None else normal(V, E)
    W_dec, b_dec = (normal(V, H), normal(V)) if decoder else (None, None)
    return spec.params_type(tuple(layers), V, embedding, W_dec, b_dec, **spec.card_options(options))


def cell_variants(names=None) -> list[tuple[str, dict]]:
    """(cell name, card options) for every registered cell (or those named): its defaults, then every other
    allowed value of each option, one option at a time (an LSTM's three recurrent activations; a GRU's three
    and reset_after False)."""
    from app.engine.cells import CELLS

    out = []
    for name in names or CELLS:
        spec = CELLS[name]
        out.append((name, spec.card_options({})))
        for key, allowed in spec.options.items():
            out += [(name, spec.card_options({key: value})) for value in allowed[1:]]
    return out


def variant_id(cell: str, options: dict) -> str:
    """A model id naming a cell and its options that differ from the defaults: "gru", "gru-reset_after-false"."""
    defaults = cell_spec(cell).card_options({})
    parts = [cell, *(f"{v}" if k == "recurrent_activation" else f"{k}-{v}"
                     for k, v in options.items() if v != defaults[k])]
    return "-".join(parts).lower()


def char_card(model_id: str, cell: str = "lstm", vocab: tuple[str, ...] = VOCAB, **options) -> dict:
    """A model card for a char-level model of `cell` with its options (defaults written out)."""
    from app.engine.tokenizer import Tokenizer

    return {"id": model_id, "title": model_id, "description": f"a random {cell} for tests", "cell": cell,
            **cell_spec(cell).card_options(options), "tokenizer": Tokenizer("char", vocab, "?").to_card()}


def write_cell_model(folder, model_id: str, cell: str = "lstm", seed: int = 0, E: int | None = 6, H: int = 8,
                     L: int = 2, decoder: bool = True, scale: float = 0.5, dtype=np.float32, **options):
    """A random char-level model of `cell` written as folder/model_id.{safetensors,json}; returns the weights path."""
    from app.model_store import write_model

    params = random_cell_params(np.random.default_rng(seed), cell, V=len(VOCAB), E=E, H=H, L=L, decoder=decoder,
                                dtype=dtype, scale=scale, **options)
    return write_model(folder, char_card(model_id, cell, **options), params)


# ---- Kinks of the training layers' activations (app/engine/*_grad.py), for finite differences. ----

RELU_RNN = ("rnn", {"nonlinearity": "relu"})  # an option the RNN gradients have and its engine and cards lack


def kink_points(options: dict) -> tuple[float, ...]:
    """Where the options' activation has kinks: a hard σ's ±1/(2·slope), relu's 0; () for smooth ones."""
    from app.engine.lstm import HARD_SIGMOID_SLOPES

    if options.get("nonlinearity") == "relu":
        return (0.0,)
    if options.get("recurrent_activation", "sigmoid") in HARD_SIGMOID_SLOPES:
        half = 0.5 / HARD_SIGMOID_SLOPES[options["recurrent_activation"]]
        return (-half, half)
    return ()


def kinks(cell: str, options: dict, layers, caches) -> tuple[float, int]:
    """(the least distance of a pre-activation from a kink of its activation, how many lie on a flat side) over
    every layer, step and batch row of layer_forward's `caches` for `layers` (W_ih, W_hh, b_ih, b_hh): a hard σ
    gate's kinks at ±1/(2·slope) (an LSTM's i, f, o rows, a GRU's r, z), relu's at 0; (inf, 0) without kinks.
    Central differences of step ε are valid where the distance exceeds what ε moves a pre-activation."""
    points = kink_points(options)
    if not points:
        return float("inf"), 0
    distance, flat = float("inf"), 0
    for (W_ih, W_hh, b_ih, b_hh), cache in zip(layers, caches, strict=True):
        H = W_hh.shape[1]
        h_prev = np.concatenate([np.zeros_like(cache.h[:1]), cache.h[:-1]])
        a = cache.x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # the r, z rows of a GRU either way
        kinked = np.ones(a.shape[-1], bool)  # the rows whose activation has the kinks: all of an RNN's
        kinked[{"lstm": slice(2 * H, 3 * H), "gru": slice(2 * H, None), "rnn": slice(0)}[cell]] = False  # not tanh
        a = a[..., kinked]
        distance = min(distance, *(float(np.abs(a - p).min()) for p in points))
        flat += int((a < points[0]).sum()) + (int((a > points[1]).sum()) if len(points) == 2 else 0)
    return distance, flat
