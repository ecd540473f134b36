"""Pick the embedding, the stacked LSTMs and a softmax decoder out of a Keras file's layers.

LSTM layers are those of class LSTM or CuDNNLSTM in the config, or, in a file without config, any
layer whose weights are kernel (In, 4u), recurrent_kernel (u, 4u) and bias (4u,) or, from a
CuDNNLSTM, (8u,). They must chain: each one's input is the previous one's u units. A decoder is a
Dense (or TimeDistributed Dense) with V units and a softmax or linear activation fed by the last LSTM,
with only dropout between; any other head (attention, concatenation) leaves the model without one.
Keras's `hard_sigmoid` depends on the Keras that saved the file: clip(0.2x + ½) before Keras 3,
clip(x/6 + ½) from Keras 3 on; a file without config gives no activation, so an option must.
"""

from __future__ import annotations

import numpy as np

from app.engine.lstm import RECURRENT_ACTIVATIONS, LSTMParams
from app.importers.errors import ImportRefused
from app.importers.imported import Imported
from app.importers.keras_files import KerasFile, KerasLayer
from app.importers.layout import cudnn_lstm, keras_lstm

NONE = "none"
LSTM_CLASSES = ("LSTM", "CuDNNLSTM")
PASS_THROUGH = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                "ActivityRegularization")
WRAPPERS = ("Bidirectional",)


def _activation_name(value) -> str | None:
    """A config's activation, a string in Keras 2 and often a dict {"config": name, ...} in Keras 3."""
    if isinstance(value, dict):
        inner = value.get("config")
        return inner if isinstance(inner, str) else value.get("class_name")
    return value


def _keras_major(version: str | None) -> int | None:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return None


def recurrent_activation(layer: KerasLayer, version: str | None) -> str:
    """The app's name for this LSTM's recurrent activation, from its config and the saving Keras."""
    if layer.class_name == "CuDNNLSTM":
        return "sigmoid"
    name = _activation_name(layer.config.get("recurrent_activation", "sigmoid"))
    if name == "sigmoid":
        return "sigmoid"
    if name == "hard_sigmoid":
        major = _keras_major(version)
        if major is None:
            raise ImportRefused(f"layer {layer.name} uses hard_sigmoid but the file does not say which Keras saved "
                                "it: pass --recurrent-activation hard_sigmoid (Keras 3) or hard_sigmoid_keras2")
        return "hard_sigmoid" if major >= 3 else "hard_sigmoid_keras2"
    raise ImportRefused(f"layer {layer.name} has recurrent_activation {name!r}; this app supports sigmoid and "
                        "hard_sigmoid")


def _split_lstm_weights(layer: KerasLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """kernel, recurrent_kernel, bias (None without bias), by weight name, else by saved order."""
    by_role: dict[str, np.ndarray] = {}
    for name, a in layer.weights:
        leaf = name.rsplit("/", 1)[-1].split(":")[0]
        if leaf in ("kernel", "recurrent_kernel", "bias"):
            by_role[leaf] = a
    if len(by_role) != len(layer.weights):  # Keras 3 vars/0, 1, 2
        arrays = [a for _, a in layer.weights]
        by_role = dict(zip(("kernel", "recurrent_kernel", "bias"), arrays, strict=False))
    if "kernel" not in by_role or "recurrent_kernel" not in by_role:
        raise ImportRefused(f"layer {layer.name}: expected kernel and recurrent_kernel weights, found "
                            f"{[n for n, _ in layer.weights]}")
    return by_role["kernel"], by_role["recurrent_kernel"], by_role.get("bias")


def _is_lstm_shaped(layer: KerasLayer) -> bool:
    shapes = [a.shape for _, a in layer.weights]
    if len(shapes) not in (2, 3) or any(len(s) != 2 for s in shapes[:2]):
        return False
    (_, four_u), (u, four_u2) = shapes[0], shapes[1]
    return four_u == four_u2 == 4 * u and (len(shapes) == 2 or shapes[2] in ((4 * u,), (8 * u,)))


def _refuse_wrappers(kf: KerasFile) -> None:
    for layer in kf.layers:
        names = " ".join(n for n, _ in layer.weights)
        if layer.class_name in WRAPPERS or "backward" in names:
            raise ImportRefused(f"layer {layer.name} is a Bidirectional LSTM; this app shows a left-to-right LSTM only")


def _lstm_layers(kf: KerasFile, names: list[str] | None) -> list[KerasLayer]:
    by_name = {layer.name: layer for layer in kf.layers}
    if names:
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ImportRefused(f"--layers: no layer {missing[0]!r}; the file has {sorted(by_name)}")
        return [by_name[n] for n in names]
    if kf.has_config:
        chosen = [layer for layer in kf.layers if layer.class_name in LSTM_CLASSES]
    else:
        chosen = [layer for layer in kf.layers if _is_lstm_shaped(layer)]
    if not chosen:
        raise ImportRefused(f"no LSTM layer in the file; its layers: "
                            f"{[(layer.name, layer.class_name) for layer in kf.layers]}")
    return chosen


def _check_config(layer: KerasLayer) -> None:
    cfg = layer.config
    if cfg.get("go_backwards"):
        raise ImportRefused(f"layer {layer.name} reads the text backwards (go_backwards); this app reads it forwards")
    act = _activation_name(cfg.get("activation", "tanh"))
    if act != "tanh":
        raise ImportRefused(f"layer {layer.name} has activation {act!r}; the app's LSTM uses tanh for g and c")


def _follower(kf: KerasFile, name: str) -> KerasLayer | None:
    """The layer fed by `name`, through dropout-like layers, when exactly one is."""
    while True:
        fed = [layer for layer in kf.layers if name in layer.inbound]
        if len(fed) != 1:
            return None
        if fed[0].class_name not in PASS_THROUGH:
            return fed[0]
        name = fed[0].name


def _dense_weights(layer: KerasLayer, H: int, V: int) -> tuple[np.ndarray, np.ndarray] | None:
    arrays = [a for _, a in layer.weights]
    if len(arrays) not in (1, 2) or arrays[0].shape != (H, V) or (len(arrays) == 2 and arrays[1].shape != (V,)):
        return None
    bias = arrays[1] if len(arrays) == 2 else np.zeros(V, np.float32)
    return np.ascontiguousarray(arrays[0].T), bias  # Keras's kernel (H, V) is PyTorch's weight (V, H) transposed


def _decoder(kf: KerasFile, last: KerasLayer, H: int, V: int, option: str | None,
             notes: list[str]) -> tuple[KerasLayer | None, tuple[np.ndarray, np.ndarray] | None]:
    if option == NONE:
        return None, None
    by_name = {layer.name: layer for layer in kf.layers}
    if option is not None:
        layer = by_name.get(option)
        found = _dense_weights(layer, H, V) if layer else None
        if found is None:
            raise ImportRefused(f"--decoder {option}: need a layer with kernel ({H}, {V}) and bias ({V},)")
        return layer, found
    if kf.has_config:
        layer = _follower(kf, last.name)
        if layer is None:
            notes.append(f"no decoder: nothing single follows {last.name}; imported without predictions")
            return None, None
        cfg = layer.config.get("layer", {}).get("config", {}) if layer.class_name == "TimeDistributed" else layer.config
        inner = layer.config.get("layer", {}).get("class_name") if layer.class_name == "TimeDistributed" else None
        is_dense = layer.class_name == "Dense" or inner == "Dense"
        act = _activation_name(cfg.get("activation"))
        found = _dense_weights(layer, H, V) if is_dense else None
        if found is None or act not in ("softmax", "linear", None):
            notes.append(f"no decoder: the head after {last.name} is {layer.class_name} {layer.name!r}"
                         + (f" ({act})" if is_dense else "") + ", not a softmax over the vocabulary; imported "
                         "without predictions")
            return None, None
        return layer, found
    after = kf.layers[kf.layers.index(last) + 1 :] if kf.ordered else list(kf.layers)
    if kf.ordered:  # the next layer with weights, past weightless dropout layers only
        after = [layer for layer in after if layer.weights or not layer.name.startswith("dropout")][:1]
    candidates = [(layer, found) for layer in after if (found := _dense_weights(layer, H, V)) is not None]
    if len(candidates) == 1:
        notes.append(f"the file has no config: {candidates[0][0].name!r} (kernel ({H}, {V})) is taken as a softmax "
                     "decoder after the last LSTM; --decoder none drops it")
        return candidates[0]
    following = f" ({after[0].name!r} follows it)" if kf.ordered and after else ""
    notes.append(f"no decoder: no Dense layer with {V} units directly follows {last.name}{following}; imported "
                 "without predictions")
    return None, None


def _embedding(kf: KerasFile, first: KerasLayer, In: int, option: str | None) -> KerasLayer | None:
    if option == NONE:
        return None
    by_name = {layer.name: layer for layer in kf.layers}
    if option is not None:
        layer = by_name.get(option)
        if layer is None or len(layer.weights) != 1 or layer.weights[0][1].shape[1:] != (In,):
            raise ImportRefused(f"--embedding {option}: need a layer with one (V, {In}) weight")
        return layer
    if kf.has_config:
        candidates = [layer for layer in kf.layers if layer.class_name == "Embedding"]
    else:
        candidates = [layer for layer in kf.layers if len(layer.weights) == 1 and layer.weights[0][1].ndim == 2]
    candidates = [c for c in candidates if c.weights and c.weights[0][1].shape[1] == In]
    if len(candidates) > 1:
        candidates = [c for c in candidates if "embed" in c.name] or candidates
    if len(candidates) > 1:
        raise ImportRefused(f"several embeddings: {[c.name for c in candidates]}; name one with --embedding")
    return candidates[0] if candidates else None


def import_keras(kf: KerasFile, layers: list[str] | None = None, embedding: str | None = None,
                 decoder: str | None = None, activation: str | None = None) -> Imported:
    """Convert the file's LSTM stack; `activation` is required when the file has no config."""
    _refuse_wrappers(kf)
    chosen = _lstm_layers(kf, layers)
    notes: list[str] = []
    acts = set()
    converted, sources, cudnn = [], {}, []
    for k, layer in enumerate(chosen):
        _check_config(layer)
        kernel, recurrent, bias = _split_lstm_weights(layer)
        u = recurrent.shape[0]
        if kernel.ndim != 2 or kernel.shape[1] != 4 * u or recurrent.shape != (u, 4 * u):
            raise ImportRefused(f"layer {layer.name}: kernel {kernel.shape} and recurrent_kernel {recurrent.shape} "
                                "are not (In, 4u) and (u, 4u)")
        if k > 0 and u != converted[0].hidden_size:
            raise ImportRefused(f"layer {layer.name} has {u} units and {chosen[0].name} {converted[0].hidden_size}: "
                                "the app shows stacked layers of one size only")
        if k > 0 and kernel.shape[0] != converted[-1].hidden_size:
            raise ImportRefused(f"layer {layer.name} takes {kernel.shape[0]} inputs but {chosen[k - 1].name} gives "
                                f"{converted[-1].hidden_size}: these LSTMs do not stack; list them with --layers")
        is_cudnn = layer.class_name == "CuDNNLSTM" or (bias is not None and bias.shape == (8 * u,))
        if is_cudnn:
            converted.append(cudnn_lstm(kernel, recurrent, bias))
            cudnn.append(layer.name)
        elif bias is None or bias.shape == (4 * u,):
            converted.append(keras_lstm(kernel, recurrent, bias))
        else:
            raise ImportRefused(f"layer {layer.name}: bias {bias.shape} is neither (4u,) nor CuDNN's (8u,)")
        if is_cudnn:
            acts.add("sigmoid")
        elif kf.has_config:
            acts.add(recurrent_activation(layer, kf.keras_version))
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            sources[f"lstm.{part}_l{k}"] = layer.name
    if activation is not None:
        if activation not in RECURRENT_ACTIVATIONS:
            raise ImportRefused(f"--recurrent-activation must be one of {RECURRENT_ACTIVATIONS}")
        if acts and acts != {activation}:
            raise ImportRefused(f"the file says the recurrent activation is {sorted(acts)}; drop "
                                "--recurrent-activation or make it agree")
        acts = {activation}
    if not acts:
        raise ImportRefused(f"this {kf.format} carries no config, so the LSTM's recurrent activation is unknown: "
                            "pass --recurrent-activation sigmoid (Keras 3's default and tf.keras 2's), "
                            "hard_sigmoid (Keras 3's hard_sigmoid) or hard_sigmoid_keras2 (Keras 2's default)")
    if len(acts) > 1:
        raise ImportRefused(f"the LSTM layers use different recurrent activations {sorted(acts)}; the app runs one "
                            "per model")

    In, H = converted[0].input_size, converted[-1].hidden_size
    emb_layer = _embedding(kf, chosen[0], In, embedding)
    emb = emb_layer.weights[0][1] if emb_layer else None
    V = In if emb is None else emb.shape[0]
    if emb_layer is not None:
        sources["embedding.weight"] = emb_layer.name
        if emb_layer.config.get("mask_zero"):
            notes.append(f"{emb_layer.name} has mask_zero: Keras skips id 0 steps, the app runs them")
    else:
        notes.append(f"no embedding: inputs are one-hot over the {V} tokens")
    dec_layer, dec = _decoder(kf, chosen[-1], H, V, decoder, notes)
    if dec_layer is not None:
        sources["decoder.weight"] = sources["decoder.bias"] = dec_layer.name
    if cudnn:
        notes.append(f"CuDNNLSTM weights ({', '.join(cudnn)}): kernel blocks read as cuDNN's matrices, the two "
                     "bias halves summed by the engine")
    params = LSTMParams(tuple(converted), V, emb, *(dec if dec else (None, None)), acts.pop())
    layout = "CuDNNLSTM (bias 8u)" if cudnn else "Keras LSTM (kernel, recurrent_kernel, bias; gates i, f, c, o)"
    return Imported(params, "keras", f"{kf.format}, {layout}", sources, tuple(notes),
                    {"keras_version": kf.keras_version, "layers": [layer.name for layer in chosen]})
