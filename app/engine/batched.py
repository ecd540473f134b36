"""The engine for corpora: many sequences at once, each from the zero state (as the page traces a text).

A batch is token ids padded to (B, T) with each row's length (B,). Per step and layer the recurrent part is
one (B, H)·(H, rows·H) matrix product over the batch, where the one-sequence engine (`cells.forward`) does a
matrix-vector product per sequence: the same arithmetic in another summation order, so the numbers match it
within float32 rounding, not bit for bit (the page's live trace stays the one-sequence engine's). Padding
sits after a row's last token and the cells are causal, so it never changes a real token's numbers.

Every cell and option goes through the registry (app.engine.cells): a cell's batched layer is its training
layer, `CellSpec.layer_forward` (x (T, B, In) from the zero state, the card's options as keywords, a cache
whose attributes name the states: `cache.h`, an LSTM's `cache.c`). A cell that registers a lean batched layer
over its compiled tables (`CellSpec.batch_layer`: the LSTM's, no gate caches and in-place ufuncs, about twice
as fast) runs that instead; both give the same numbers within rounding
(tests/engine/test_batched.py checks every cell and option against `cells.forward`).

`stream` groups documents (token id arrays) into batches of similar length and yields, per run of
consecutive documents, each layer's states as one float32 (tokens, H) array in document order, so a corpus
never sits in memory at float32 (app/analysis/indexing.py quantises each run as it comes).

Shapes: B sequences, T steps, H hidden units, L layers. Imports NumPy and app.engine only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from app.engine.cells import CellSpec, spec_of_params


def _onehot_input(params, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer 0 of a model without an embedding reads one-hot vectors over V: x (T, B, U) one-hot over the U
    distinct ids of this batch, and W_ih's U columns (rows·H, U): the same products as the full one-hot."""
    distinct, where = np.unique(ids, return_inverse=True)
    x = np.eye(len(distinct), dtype=params.dtype)[where.reshape(ids.shape)]
    return x, np.ascontiguousarray(params.layers[0].W_ih[:, distinct])


def _registered_layers(compiled, ids_tb: np.ndarray, states: tuple[str, ...]) -> list[dict[str, np.ndarray]]:
    """Every layer through the registry's batched training layer, (T, B) ids in; per layer {state: (T, B, H)}."""
    params = compiled.params
    cell = spec_of_params(params)
    options = cell.options_of(params)
    out = []
    x = None
    for k, layer in enumerate(params.layers):
        W_ih = layer.W_ih
        if k == 0:
            if params.embedding is None:
                x, W_ih = _onehot_input(params, ids_tb)
            else:
                x = params.embedding[ids_tb]  # (T, B, E)
        cache = cell.layer_forward(W_ih, layer.W_hh, layer.b_ih, layer.b_hh, x, **options)
        missing = [s for s in states if not hasattr(cache, s)]
        if missing:
            raise TypeError(f"{cell.title}'s layer_forward cache has no {', '.join(missing)}: the batched engine "
                            "reads the states by name")
        out.append({s: getattr(cache, s) for s in states})
        x = cache.h
    return out


def forward_batch(compiled, ids: np.ndarray, states: Sequence[str] | None = None) -> list[dict[str, np.ndarray]]:
    """Run the model over padded token ids (B, T), every row from the zero state. `states`: which of the cell's
    states to return (default: all of them, cell.states). Returns per layer {state: (T, B, H)}, time-major, the
    weights' dtype; entries past a row's length are padding's (ignore them)."""
    params = compiled.params
    cell: CellSpec = spec_of_params(params)
    wanted = tuple(states or cell.states)
    unknown = [s for s in wanted if s not in cell.states]
    if unknown:
        raise ValueError(f"{cell.article} has no state {', '.join(unknown)}; its states are {', '.join(cell.states)}")
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must be (B, T), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= params.vocab_size):
        raise ValueError(f"token ids must lie in [0, {params.vocab_size})")
    ids_tb = np.ascontiguousarray(ids.T, dtype=np.int64)  # (T, B): time-major, as the layers run
    lean = cell.batch_layer
    if lean is None:
        return _registered_layers(compiled, ids_tb, wanted)
    out, inputs = [], ids_tb
    for k in range(params.num_layers):
        layer = lean(compiled, k, inputs)
        out.append({s: layer[s] for s in wanted})
        inputs = layer["h"]
    return out


def pad(documents: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Token id arrays -> ids (B, T) padded with 0 after each row's end, and the lengths (B,)."""
    lengths = np.array([len(d) for d in documents], dtype=np.int64)
    ids = np.zeros((len(documents), int(lengths.max(initial=0))), dtype=np.int64)
    for row, doc in enumerate(documents):
        ids[row, : len(doc)] = doc
    return ids, lengths


def batches_of(lengths: np.ndarray, max_rows: int, max_cells: int) -> list[np.ndarray]:
    """Documents (their indices) grouped into batches of similar length, longest first: at most `max_rows`
    rows and about `max_cells` padded tokens (rows × the longest) each; a document longer than that alone."""
    order = np.argsort(-lengths, kind="stable")
    groups, start = [], 0
    while start < len(order):
        longest = max(int(lengths[order[start]]), 1)
        rows = max(1, min(max_rows, max_cells // longest))
        groups.append(order[start : start + rows])
        start += rows
    return groups


def stream(compiled, documents: Sequence[np.ndarray], state: str, run_tokens: int = 65_536, max_rows: int = 64,
           max_cells: int = 65_536) -> Iterator[tuple[int, int, list[np.ndarray]]]:
    """Trace documents (token id arrays, each from the zero state) in runs of consecutive documents of about
    `run_tokens` tokens: yields (first document, end document, per layer the `state` of every token of the run
    in document order, float32 (tokens, H)). Inside a run, documents of similar length share a batch."""
    start = 0
    while start < len(documents):
        end, tokens = start, 0
        while end < len(documents) and (end == start or tokens + len(documents[end]) <= run_tokens):
            tokens += len(documents[end])
            end += 1
        yield start, end, trace_run(compiled, documents[start:end], state, max_rows, max_cells)
        start = end


def trace_run(compiled, documents: Sequence[np.ndarray], state: str, max_rows: int = 64,
              max_cells: int = 65_536) -> list[np.ndarray]:
    """Per layer the `state` of every token of `documents`, in order, float32 (total tokens, H)."""
    lengths = np.array([len(d) for d in documents], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    params = compiled.params
    out = [np.empty((int(offsets[-1]), params.hidden_size), np.float32) for _ in range(params.num_layers)]
    for group in batches_of(lengths, max_rows, max_cells):
        ids, _ = pad([documents[d] for d in group])
        if ids.shape[1] == 0:
            continue
        layers = forward_batch(compiled, ids, (state,))
        for k, layer in enumerate(layers):
            values = layer[state]  # (T, B, H)
            for row, d in enumerate(group):
                out[k][offsets[d] : offsets[d + 1]] = values[: lengths[d], row]
    return out
