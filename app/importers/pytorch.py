"""Find an `nn.LSTM`, `nn.GRU` or `nn.RNN` (and an optional `nn.Embedding` and `nn.Linear` decoder) in a
PyTorch state_dict.

The recurrent module's tensors are `{prefix}weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`,
in the app's layout already; any prefix (`encoder.rnn.`) is found or given. The three modules name them
alike, so the cell is told by the rows of weight_hh (rows·H, H): 4 per unit for an LSTM (gates i, f, g, o),
3 for a GRU (r, z, n; PyTorch applies the reset gate after W_hn, the card's reset_after=True), 1 for a
vanilla RNN. A state_dict does not say an nn.RNN's nonlinearity and the app runs tanh only, so a vanilla
RNN needs `--cell rnn` to be imported. An embedding is a (V, In) matrix feeding layer 0; without one,
inputs are one-hot over V = In. A decoder is a `.weight` (V, H) with its `.bias` (V,). Tied weights:
safetensors' `save_model` keeps one of two shared tensors and records the dropped name in the metadata
(`{"decoder.weight": "embedding.weight"}`), so those names are restored first; a decoder bias left without
its weight reads the embedding.
"""

from __future__ import annotations

import re

import numpy as np

from app.engine.cells import CELLS, CellSpec, spec
from app.engine.lstm import LayerWeights
from app.importers.errors import ImportRefused
from app.importers.imported import Imported
from app.importers.tensor_files import TensorFile

_RNN_KEY = re.compile(r"^(?P<prefix>.*?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<k>\d+)"
                       r"(?P<reverse>_reverse)?$")
NONE = "none"
MODULES = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}  # the PyTorch module of each cell
_EMBEDDING_HINTS = ("embed", "encoder", "emb", "wte")
_DECODER_HINTS = ("decoder", "fc", "linear", "out", "head", "proj", "dense", "classifier")


def _restore_aliases(tf: TensorFile) -> tuple[dict[str, np.ndarray], list[str]]:
    """Names that safetensors' save_model dropped as duplicates, pointing at the tensor they share."""
    tensors = dict(tf.tensors)
    notes = []
    for dropped, kept in tf.metadata.items():
        if dropped not in tensors and kept in tensors:
            tensors[dropped] = tensors[kept]
            notes.append(f"{dropped} is tied to {kept} (recorded by safetensors' save_model)")
    return tensors, notes


def _rows_text(n: int) -> str:
    return f"({n}H, H)" if n > 1 else "(H, H)"


def cell_of(tensors: dict[str, np.ndarray], prefix: str, k: int = 0) -> CellSpec:
    """The cell whose rows per unit weight_hh_l{k} has; refuse a missing or odd one, naming what would fit."""
    name = f"{prefix}weight_hh_l{k}"
    W_hh = tensors.get(name)
    if W_hh is None:
        raise ImportRefused(f"{name} is missing: {prefix}weight_ih_l{k} needs its recurrent weights")
    rows = {c.rows: c for c in CELLS.values()}
    if W_hh.ndim == 2 and W_hh.shape[1] > 0 and W_hh.shape[0] % W_hh.shape[1] == 0:
        found = rows.get(W_hh.shape[0] // W_hh.shape[1])
        if found is not None:
            return found
    kinds = ", ".join(f"{_rows_text(c.rows)} for {c.article}" for c in CELLS.values())
    raise ImportRefused(f"{name} is {W_hh.shape}, which is no recurrent layer's weight_hh: {kinds}")


def find_prefix(tensors: dict[str, np.ndarray], prefix: str | None, cell: str | None = None) -> str:
    """The one prefix before `weight_ih_l0` (of the `cell`, if given, when there are several); refuse
    bidirectional and projected modules."""
    matches = [m for name in tensors if (m := _RNN_KEY.match(name))]
    prefixes = sorted({m["prefix"] for m in matches if m["part"] == "weight_ih" and m["k"] == "0"})
    if prefix is None:
        if not prefixes:
            raise ImportRefused("no nn.LSTM, nn.GRU or nn.RNN found: no tensor is named like `weight_ih_l0` "
                                "(e.g. lstm.weight_ih_l0 or gru.weight_ih_l0)")
        if len(prefixes) > 1 and cell is not None:
            kinds = {p: _kind(tensors, p) for p in prefixes}
            prefixes = [p for p in prefixes if kinds[p] == cell] or prefixes
        if len(prefixes) > 1:
            found = ", ".join(f"{p!r} ({_kind_text(tensors, p)})" for p in prefixes)
            raise ImportRefused(f"several recurrent modules found, with prefixes {found}: choose one with --prefix")
        prefix = prefixes[0]
    elif prefix not in prefixes:
        raise ImportRefused(f"no tensor {prefix}weight_ih_l0; recurrent modules' prefixes in the file: "
                            f"{prefixes or 'none'}")
    mine = [m for m in matches if m["prefix"] == prefix]
    if any(m["reverse"] for m in mine):
        kind = _kind(tensors, prefix)
        module, title = (MODULES[kind], spec(kind).title) if kind else ("module", "cell")
        raise ImportRefused(f"{prefix!r} is a bidirectional {module} (it has *_reverse tensors); this app shows a "
                            f"left-to-right {title} only")
    if any(m["part"] == "weight_hr" for m in mine):
        raise ImportRefused(f"the LSTM {prefix!r} is projected (proj_size > 0, weight_hr tensors): h is not "
                            "o ⊙ tanh(c) there, so its gates cannot be shown in this app's notation")
    return prefix


def _kind(tensors: dict[str, np.ndarray], prefix: str) -> str | None:
    try:
        return cell_of(tensors, prefix).name
    except ImportRefused:
        return None


def _kind_text(tensors: dict[str, np.ndarray], prefix: str) -> str:
    kind = _kind(tensors, prefix)
    return f"{spec(kind).article}, {MODULES[kind]}" if kind else "a recurrent module of unknown shape"


def check_cell(found: CellSpec, wanted: str | None, prefix: str) -> None:
    """Refuse a --cell that is not the file's, and a vanilla RNN without --cell rnn (its nonlinearity is unsaid)."""
    shape = _rows_text(found.rows)
    if wanted is not None and wanted != found.name:
        raise ImportRefused(f"{prefix!r} is {found.article} ({MODULES[found.name]}: weight_hh_l0 is {shape}), not "
                            f"{spec(wanted).article}: pass --cell {found.name}, or leave --cell out")
    if found.name == "rnn" and wanted != "rnn":
        raise ImportRefused(f"{prefix!r} is a vanilla RNN (nn.RNN: weight_hh_l0 is {shape}); a state_dict does not "
                            "say its nonlinearity and the app runs tanh only: pass --cell rnn to import it as "
                            "nn.RNN(nonlinearity='tanh')")


def _layers(tensors: dict[str, np.ndarray], prefix: str, cell: CellSpec
            ) -> tuple[list[LayerWeights], dict[str, str]]:
    L = 0
    while f"{prefix}weight_ih_l{L}" in tensors:
        L += 1
    n = cell.rows
    layers, sources = [], {}
    H = tensors[f"{prefix}weight_hh_l0"].shape[1]
    for k in range(L):
        W_ih, W_hh = tensors[f"{prefix}weight_ih_l{k}"], tensors.get(f"{prefix}weight_hh_l{k}")
        if W_hh is None or W_hh.shape != (n * H, H):
            got = "missing" if W_hh is None else f"{W_hh.shape}"
            other = cell_of(tensors, prefix, k) if W_hh is not None else None
            also = f" ({other.article}'s)" if other is not None and other.name != cell.name else ""
            raise ImportRefused(f"{prefix}weight_hh_l{k} is {got}{also}, but layer 0 is {cell.article} of {H} "
                                f"units: expected ({n * H}, {H})")
        if W_ih.ndim != 2:
            raise ImportRefused(f"{prefix}weight_ih_l{k} is {W_ih.shape}, not a matrix ({n * H}, In) for "
                                f"{cell.article} of {H} units")
        want_in = W_ih.shape[1] if k == 0 else H
        if W_ih.shape != (n * H, want_in):
            raise ImportRefused(f"{prefix}weight_ih_l{k} is {W_ih.shape}, expected ({n * H}, {want_in}) for "
                                f"{cell.article} of {H} units")
        biases = []
        for part in ("bias_ih", "bias_hh"):
            name = f"{prefix}{part}_l{k}"
            b = tensors.get(name, np.zeros(n * H, np.float32))  # bias=False: none
            if b.shape != (n * H,):
                raise ImportRefused(f"{name} is {b.shape}, expected ({n * H},)")
            biases.append(b)
            sources[f"{cell.name}.{part}_l{k}"] = name if name in tensors else "zeros (bias=False)"
        layers.append(LayerWeights(W_ih, W_hh, *biases))
        sources[f"{cell.name}.weight_ih_l{k}"] = f"{prefix}weight_ih_l{k}"
        sources[f"{cell.name}.weight_hh_l{k}"] = f"{prefix}weight_hh_l{k}"
    return layers, sources


def _pick(candidates: list[str], hints: tuple[str, ...], what: str, option: str) -> str | None:
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    hinted = [c for c in candidates if any(h in c.lower() for h in hints)]
    if len(hinted) == 1:
        return hinted[0]
    raise ImportRefused(f"several tensors could be the {what}: {sorted(candidates)}; name one with {option} "
                        f"(or {option} none)")


def import_state_dict(tf: TensorFile, prefix: str | None = None, embedding: str | None = None,
                      decoder: str | None = None, cell: str | None = None) -> Imported:
    """The recurrent module, embedding and decoder of a state_dict; `embedding`/`decoder` name a tensor or
    "none"; `cell` (lstm, gru, rnn) is what the module must be, found from its shapes when None."""
    if cell is not None and cell not in MODULES:
        raise ImportRefused(f"--cell {cell}: use one of {', '.join(MODULES)}")
    tensors, notes = _restore_aliases(tf)
    prefix = find_prefix(tensors, prefix, cell)
    found = cell_of(tensors, prefix)
    check_cell(found, cell, prefix)
    layers, sources = _layers(tensors, prefix, found)
    used = {name for name in tensors if name.startswith(prefix) and _RNN_KEY.match(name)}
    In, H = layers[0].input_size, layers[-1].hidden_size

    emb = None
    if embedding != NONE:
        if embedding is None:
            candidates = [n for n, a in tensors.items() if n not in used and a.ndim == 2 and a.shape[1] == In
                          and n.endswith("weight") and n.removesuffix("weight") + "bias" not in tensors]
            embedding = _pick(candidates, _EMBEDDING_HINTS, "embedding", "--embedding")
        if embedding is not None:
            if embedding not in tensors or tensors[embedding].ndim != 2 or tensors[embedding].shape[1] != In:
                raise ImportRefused(f"--embedding {embedding}: need a (V, {In}) tensor in the file")
            emb = tensors[embedding]
            sources["embedding.weight"] = embedding
            used.add(embedding)
    V = In if emb is None else emb.shape[0]

    W_dec = b_dec = None
    if decoder != NONE:
        if decoder is None:
            candidates = [n.removesuffix(".weight") for n, a in tensors.items() if n not in used
                          and n.endswith(".weight") and a.shape == (V, H)]
            biases_alone = [n.removesuffix(".bias") for n, a in tensors.items() if n.endswith(".bias")
                            and a.shape == (V,) and n.removesuffix(".bias") + ".weight" not in tensors]
            if not candidates and len(biases_alone) == 1 and emb is not None and emb.shape == (V, H):
                tensors[biases_alone[0] + ".weight"] = emb
                notes.append(f"{biases_alone[0]}.weight is missing beside its bias: read as the tied embedding")
                candidates = biases_alone
            decoder = _pick(candidates, _DECODER_HINTS, "decoder", "--decoder")
        if decoder is not None:
            decoder = decoder.removesuffix(".weight")
            W = tensors.get(decoder + ".weight")
            if W is None or W.shape != (V, H):
                raise ImportRefused(f"--decoder {decoder}: need {decoder}.weight of shape ({V}, {H})")
            W_dec = W
            b_dec = tensors.get(decoder + ".bias", np.zeros(V, np.float32))
            sources["decoder.weight"] = decoder + ".weight"
            sources["decoder.bias"] = decoder + ".bias" if decoder + ".bias" in tensors else "zeros (bias=False)"
            used |= {decoder + ".weight", decoder + ".bias"}
            if emb is not None and np.array_equal(W_dec, emb):
                notes.append(f"the decoder's weight equals the embedding ({sources['embedding.weight']}): tied")

    if emb is None:
        notes.append(f"no embedding: inputs are one-hot over the {V} tokens")
    if W_dec is None:
        notes.append("no decoder: the model has no next-token predictions")
    ignored = sorted(set(tensors) - used - set(tf.metadata))
    if ignored:
        notes.append(f"ignored tensors: {', '.join(ignored[:12])}" + (" …" if len(ignored) > 12 else ""))
    dtypes = sorted({tf.dtypes[n] for n in sources.values() if n in tf.dtypes})
    if any(d not in ("F32", "float32") for d in dtypes):
        notes.append(f"weights were {'/'.join(dtypes)}, converted to float32")
    if found.name == "rnn":
        notes.append("nn.RNN's nonlinearity is not in a state_dict: imported as tanh (--cell rnn)")
    # PyTorch's cells are the options' defaults: σ = sigmoid, a GRU's reset gate after W_hn, an RNN's tanh.
    params = found.params_type(tuple(layers), V, emb, W_dec, b_dec, **found.card_options({}))
    return Imported(params, "pytorch", f"PyTorch state_dict, {MODULES[found.name]} prefix {prefix!r}", sources,
                    tuple(notes), {"prefix": prefix, "dtypes": dtypes})
