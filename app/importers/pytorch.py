"""Find an `nn.LSTM` (and an optional `nn.Embedding` and `nn.Linear` decoder) in a PyTorch state_dict.

The LSTM's tensors are `{prefix}weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, in
the app's layout already (gate rows i, f, g, o); any prefix (`encoder.rnn.`) is found or given. An
embedding is a (V, In) matrix feeding layer 0; without one, inputs are one-hot over V = In. A decoder
is a `.weight` (V, H) with its `.bias` (V,). Tied weights: safetensors' `save_model` keeps one of two
shared tensors and records the dropped name in the metadata (`{"decoder.weight": "embedding.weight"}`),
so those names are restored first; a decoder bias left without its weight reads the embedding.
"""

from __future__ import annotations

import re

import numpy as np

from app.engine.lstm import LayerWeights, LSTMParams
from app.importers.errors import ImportRefused
from app.importers.imported import Imported
from app.importers.tensor_files import TensorFile

_LSTM_KEY = re.compile(r"^(?P<prefix>.*?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<k>\d+)"
                       r"(?P<reverse>_reverse)?$")
NONE = "none"
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


def find_prefix(tensors: dict[str, np.ndarray], prefix: str | None) -> str:
    """The one prefix before `weight_ih_l0`; refuse bidirectional and projected LSTMs."""
    matches = [m for name in tensors if (m := _LSTM_KEY.match(name))]
    prefixes = sorted({m["prefix"] for m in matches if m["part"] == "weight_ih" and m["k"] == "0"})
    if prefix is None:
        if not prefixes:
            raise ImportRefused("no nn.LSTM found: no tensor is named like `weight_ih_l0` (e.g. lstm.weight_ih_l0)")
        if len(prefixes) > 1:
            raise ImportRefused(f"several LSTMs found, with prefixes {prefixes}: choose one with --prefix")
        prefix = prefixes[0]
    elif prefix not in prefixes:
        raise ImportRefused(f"no tensor {prefix}weight_ih_l0; LSTM prefixes in the file: {prefixes or 'none'}")
    mine = [m for m in matches if m["prefix"] == prefix]
    if any(m["reverse"] for m in mine):
        raise ImportRefused(f"the LSTM {prefix!r} is bidirectional (it has *_reverse tensors); this app shows a "
                            "left-to-right LSTM only")
    if any(m["part"] == "weight_hr" for m in mine):
        raise ImportRefused(f"the LSTM {prefix!r} is projected (proj_size > 0, weight_hr tensors): h is not "
                            "o ⊙ tanh(c) there, so its gates cannot be shown in this app's notation")
    return prefix


def _layers(tensors: dict[str, np.ndarray], prefix: str) -> tuple[list[LayerWeights], dict[str, str]]:
    L = 0
    while f"{prefix}weight_ih_l{L}" in tensors:
        L += 1
    layers, sources = [], {}
    for k in range(L):
        W_ih, W_hh = tensors[f"{prefix}weight_ih_l{k}"], tensors.get(f"{prefix}weight_hh_l{k}")
        if W_hh is None or W_hh.ndim != 2 or W_ih.ndim != 2 or W_hh.shape[0] != 4 * W_hh.shape[1]:
            raise ImportRefused(f"{prefix}weight_hh_l{k} is missing or not (4H, H)")
        H = W_hh.shape[1]
        biases = []
        for part in ("bias_ih", "bias_hh"):
            name = f"{prefix}{part}_l{k}"
            biases.append(tensors.get(name, np.zeros(4 * H, np.float32)))  # nn.LSTM(bias=False) has none
            sources[f"lstm.{part}_l{k}"] = name if name in tensors else "zeros (bias=False)"
        layers.append(LayerWeights(W_ih, W_hh, *biases))
        sources[f"lstm.weight_ih_l{k}"] = f"{prefix}weight_ih_l{k}"
        sources[f"lstm.weight_hh_l{k}"] = f"{prefix}weight_hh_l{k}"
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
                      decoder: str | None = None) -> Imported:
    """The LSTM, embedding and decoder of a state_dict; `embedding`/`decoder` name a tensor or "none"."""
    tensors, notes = _restore_aliases(tf)
    prefix = find_prefix(tensors, prefix)
    layers, sources = _layers(tensors, prefix)
    used = {name for name in tensors if name.startswith(prefix) and _LSTM_KEY.match(name)}
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
    params = LSTMParams(tuple(layers), V, emb, W_dec, b_dec)
    return Imported(params, "pytorch", f"PyTorch state_dict, nn.LSTM prefix {prefix!r}", sources, tuple(notes),
                    {"prefix": prefix, "dtypes": dtypes})
