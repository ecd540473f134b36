"""Pick the embedding, the stacked LSTMs or GRUs and a softmax decoder out of a Keras file's layers.

Recurrent layers are those of class LSTM, CuDNNLSTM, GRU or CuDNNGRU in the config, or, in a file without
config, any layer whose weights are kernel (In, n·u), recurrent_kernel (u, n·u) and a bias: an LSTM's
(n = 4) bias is (4u,) or, from a CuDNNLSTM, (8u,); a GRU's (n = 3) is (2, 3u) (reset_after=True, Keras 3's
default), (3u,) (reset_after=False, Keras 2's default) or, from a CuDNNGRU, (6u,). One model is one cell:
an LSTM stack or a GRU stack (`--cell` or `--layers` picks one when a file holds both), and its GRUs share
one reset_after. The layers must chain: each one's input is the previous one's u units. A decoder is a
Dense (or TimeDistributed Dense) with V units and a softmax or linear activation fed by the last recurrent
layer, with only dropout between; any other head (attention, concatenation) leaves the model without one.
Keras's `hard_sigmoid` depends on the Keras that saved the file: clip(0.2x + ½) before Keras 3,
clip(x/6 + ½) from Keras 3 on; a file without config gives no activation, so an option must.
Bidirectional layers, backwards layers and SimpleRNNs are refused.
"""

from __future__ import annotations

import numpy as np

from app.engine.cells import CellSpec, spec
from app.engine.lstm import RECURRENT_ACTIVATIONS
from app.importers.errors import ImportRefused
from app.importers.imported import Imported
from app.importers.keras_files import KerasFile, KerasLayer
from app.importers.layout import cudnn_gru, cudnn_lstm, keras_gru, keras_lstm

NONE = "none"
CLASSES = {"LSTM": "lstm", "CuDNNLSTM": "lstm", "GRU": "gru", "CuDNNGRU": "gru"}  # Keras class -> the app's cell
CUDNN = ("CuDNNLSTM", "CuDNNGRU")  # Keras 2's GPU-only layers: sigmoid gates, cuDNN's weight buffers
KERAS_CELLS = ("lstm", "gru")
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
    """The app's name for this layer's recurrent activation, from its config and the saving Keras."""
    if layer.class_name in CUDNN:
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


def _split_weights(layer: KerasLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
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


def _biases(cell: str, u: int) -> tuple[tuple[int, ...], ...]:
    """The bias shapes a Keras layer of this cell may have (its own, and its CuDNN twin's)."""
    return ((4 * u,), (8 * u,)) if cell == "lstm" else ((2, 3 * u), (3 * u,), (6 * u,))


def _shaped_cell(layer: KerasLayer) -> str | None:
    """The cell whose weights this layer's are shaped like (for files without config), or None."""
    shapes = [a.shape for _, a in layer.weights]
    if len(shapes) not in (2, 3) or any(len(s) != 2 for s in shapes[:2]):
        return None
    (_, nu), (u, nu2) = shapes[0], shapes[1]
    for cell in KERAS_CELLS:
        n = spec(cell).rows
        if u > 0 and nu == nu2 == n * u and (len(shapes) == 2 or shapes[2] in _biases(cell, u)):
            return cell
    return None


def _cell_of(layer: KerasLayer, has_config: bool) -> str | None:
    return CLASSES.get(layer.class_name) if has_config else _shaped_cell(layer)


def _inner(layer: KerasLayer) -> dict:
    """The config of the layer a wrapper (Bidirectional, TimeDistributed) holds; {} if it holds none."""
    inner = layer.config.get("layer")
    return inner if isinstance(inner, dict) else {}


def _inner_class(layer: KerasLayer) -> str | None:
    name = _inner(layer).get("class_name")
    return name if isinstance(name, str) else None


def _inner_config(layer: KerasLayer) -> dict:
    config = _inner(layer).get("config")
    return config if isinstance(config, dict) else {}


def _refuse_wrappers(kf: KerasFile) -> None:
    for layer in kf.layers:
        names = " ".join(n for n, _ in layer.weights)
        if layer.class_name in WRAPPERS or "backward" in names:
            inner = CLASSES.get(_inner_class(layer) or "")
            title = spec(inner).title if inner else "recurrent layer"
            raise ImportRefused(f"layer {layer.name} is Bidirectional (a bidirectional {title}, with forward and "
                                f"backward weights); this app shows a left-to-right {title} only")


def _articles(layers: list[KerasLayer], kf: KerasFile) -> str:
    return ", ".join(f"{layer.name} ({spec(c).article})" for layer in layers if (c := _cell_of(layer, kf.has_config)))


def _recurrent_layers(kf: KerasFile, names: list[str] | None, cell: str | None) -> tuple[list[KerasLayer], CellSpec]:
    """The layers to import, bottom first, and their one cell."""
    by_name = {layer.name: layer for layer in kf.layers}
    if names:
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ImportRefused(f"--layers: no layer {missing[0]!r}; the file has {sorted(by_name)}")
        chosen = [by_name[n] for n in names]
        for layer in chosen:
            if _cell_of(layer, kf.has_config) is None:
                what = f"a {layer.class_name}" if layer.class_name else "not shaped like an LSTM or a GRU"
                raise ImportRefused(f"--layers: layer {layer.name} is {what}, not an LSTM or GRU layer")
    else:
        chosen = [layer for layer in kf.layers if _cell_of(layer, kf.has_config)]
        if cell is not None:
            mine = [layer for layer in chosen if _cell_of(layer, kf.has_config) == cell]
            if not mine and chosen:
                raise ImportRefused(f"--cell {cell}: the file has no {spec(cell).title} layer, only "
                                    f"{_articles(chosen, kf)}: pass --cell {_cell_of(chosen[0], kf.has_config)}, "
                                    "or leave --cell out")
            chosen = mine
    if not chosen:
        raise ImportRefused(f"no LSTM or GRU layer in the file; its layers: "
                            f"{[(layer.name, layer.class_name) for layer in kf.layers]}")
    cells = {_cell_of(layer, kf.has_config) for layer in chosen}
    if len(cells) > 1:
        raise ImportRefused(f"the file's recurrent layers are of two cells, {_articles(chosen, kf)}; the app runs "
                            "one cell per model: pick one with --cell lstm|gru or --layers")
    found = cells.pop()
    if cell is not None and found != cell:
        raise ImportRefused(f"--cell {cell}: the layers are {_articles(chosen, kf)}, not {spec(cell).article}; "
                            f"pass --cell {found}, or leave --cell out")
    return chosen, spec(found)


def _check_config(layer: KerasLayer, cell: CellSpec) -> None:
    cfg = layer.config
    if cfg.get("go_backwards"):
        raise ImportRefused(f"layer {layer.name} reads the text backwards (go_backwards); this app reads it forwards")
    act = _activation_name(cfg.get("activation", "tanh"))
    if act != "tanh":
        uses = "for g and c" if cell.name == "lstm" else "for its candidate n"
        raise ImportRefused(f"layer {layer.name} has activation {act!r}; the app's {cell.title} uses tanh {uses}")


def _follower(kf: KerasFile, name: str) -> KerasLayer | None:
    """The layer fed by `name`, through dropout-like layers, when exactly one is (and none when the config's
    layers feed each other in a loop)."""
    seen = {name}
    while True:
        fed = [layer for layer in kf.layers if name in layer.inbound]
        if len(fed) != 1:
            return None
        if fed[0].class_name not in PASS_THROUGH:
            return fed[0]
        name = fed[0].name
        if name in seen:
            return None
        seen.add(name)


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
        wrapped = layer.class_name == "TimeDistributed"
        cfg = _inner_config(layer) if wrapped else layer.config
        inner = _inner_class(layer) if wrapped else None
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
                     "decoder after the last recurrent layer; --decoder none drops it")
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
    candidates = [c for c in candidates if c.weights and c.weights[0][1].shape[1:] == (In,)]
    if len(candidates) > 1:
        candidates = [c for c in candidates if "embed" in c.name] or candidates
    if len(candidates) > 1:
        raise ImportRefused(f"several embeddings: {[c.name for c in candidates]}; name one with --embedding")
    return candidates[0] if candidates else None


def _convert_lstm(layer: KerasLayer, kernel, recurrent, bias, u: int) -> tuple:
    """An LSTM layer: (LayerWeights, from CuDNN?, reset_after None)."""
    if layer.class_name == "CuDNNLSTM" or (bias is not None and bias.shape == (8 * u,)):
        return cudnn_lstm(kernel, recurrent, bias), True, None
    if bias is None or bias.shape == (4 * u,):
        return keras_lstm(kernel, recurrent, bias), False, None
    raise ImportRefused(f"layer {layer.name}: bias {bias.shape} is neither an LSTM's (4u,) nor CuDNNLSTM's (8u,)")


def _convert_gru(layer: KerasLayer, kernel, recurrent, bias, u: int) -> tuple:
    """A GRU layer: (LayerWeights, from CuDNN?, reset_after), reset_after read from the bias's shape."""
    if layer.class_name == "CuDNNGRU" or (bias is not None and bias.shape == (6 * u,)):
        if bias is None or bias.shape != (6 * u,):
            raise ImportRefused(f"layer {layer.name}: a CuDNNGRU's bias is (6u,), found "
                                f"{None if bias is None else bias.shape}")
        return cudnn_gru(kernel, recurrent, bias), True, True
    said = layer.config.get("reset_after")
    if bias is None:
        if said is None:
            raise ImportRefused(f"layer {layer.name} is a GRU without bias in a file without config: whether its "
                                "reset gate applies after W_hn (reset_after) is unknown")
        after = bool(said)
    elif bias.shape in ((2, 3 * u), (3 * u,)):
        after = bias.ndim == 2
        if said is not None and bool(said) != after:
            raise ImportRefused(f"layer {layer.name} says reset_after={said} but its bias is {bias.shape}; "
                                "reset_after=True has a (2, 3u) bias, False a (3u,) one")
    else:
        raise ImportRefused(f"layer {layer.name}: bias {bias.shape} is none of a GRU's (2, 3u) (reset_after=True), "
                            "(3u,) (reset_after=False) or CuDNNGRU's (6u,)")
    return keras_gru(kernel, recurrent, bias), False, after


def _layout(kf: KerasFile, cell: CellSpec, cudnn: list[str], reset_after: bool | None) -> str:
    if cell.name == "lstm":
        layout = "CuDNNLSTM (bias 8u)" if cudnn else "Keras LSTM (kernel, recurrent_kernel, bias; gates i, f, c, o)"
    elif cudnn:
        layout = "CuDNNGRU (bias 6u; gates z, r, h reordered to r, z, n)"
    else:
        bias = "(2, 3u): input and recurrent rows" if reset_after else "(3u,): input only"
        layout = (f"Keras GRU (kernel, recurrent_kernel, bias {bias}; gates z, r, h reordered to r, z, n; "
                  f"reset_after={reset_after})")
    return f"{kf.format}, {layout}"


def import_keras(kf: KerasFile, layers: list[str] | None = None, embedding: str | None = None,
                 decoder: str | None = None, activation: str | None = None, cell: str | None = None) -> Imported:
    """Convert the file's LSTM or GRU stack; `activation` is required when the file has no config; `cell`
    (lstm, gru) is what the layers must be, found when None."""
    if cell is not None and cell not in KERAS_CELLS:
        raise ImportRefused(f"--cell {cell}: the Keras importer reads {' and '.join(KERAS_CELLS)} layers")
    _refuse_wrappers(kf)
    chosen, found = _recurrent_layers(kf, layers, cell)
    n, title = found.rows, found.title
    notes: list[str] = []
    acts, after = set(), set()
    converted, sources, cudnn = [], {}, []
    for k, layer in enumerate(chosen):
        _check_config(layer, found)
        kernel, recurrent, bias = _split_weights(layer)
        u = recurrent.shape[0] if recurrent.ndim == 2 else 0
        if kernel.ndim != 2 or kernel.shape[1] != n * u or recurrent.shape != (u, n * u) or u == 0:
            raise ImportRefused(f"layer {layer.name}: kernel {kernel.shape} and recurrent_kernel {recurrent.shape} "
                                f"are not {found.article}'s (In, {n}u) and (u, {n}u)")
        if k > 0 and u != converted[0].hidden_size:
            raise ImportRefused(f"layer {layer.name} has {u} units and {chosen[0].name} {converted[0].hidden_size}: "
                                "the app shows stacked layers of one size only")
        if k > 0 and kernel.shape[0] != converted[-1].hidden_size:
            raise ImportRefused(f"layer {layer.name} takes {kernel.shape[0]} inputs but {chosen[k - 1].name} gives "
                                f"{converted[-1].hidden_size}: these {title}s do not stack; list them with --layers")
        convert = _convert_lstm if found.name == "lstm" else _convert_gru
        weights, is_cudnn, reset_after = convert(layer, kernel, recurrent, bias, u)
        converted.append(weights)
        if reset_after is not None:
            after.add(reset_after)
        if is_cudnn:
            cudnn.append(layer.name)
            acts.add("sigmoid")
        elif kf.has_config:
            acts.add(recurrent_activation(layer, kf.keras_version))
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            sources[f"{found.name}.{part}_l{k}"] = layer.name
    if activation is not None:
        if activation not in RECURRENT_ACTIVATIONS:
            raise ImportRefused(f"--recurrent-activation must be one of {RECURRENT_ACTIVATIONS}")
        if acts and acts != {activation}:
            raise ImportRefused(f"the file says the recurrent activation is {sorted(acts)}; drop "
                                "--recurrent-activation or make it agree")
        acts = {activation}
    if not acts:
        raise ImportRefused(f"this {kf.format} carries no config, so the {title}'s recurrent activation is unknown: "
                            "pass --recurrent-activation sigmoid (Keras 3's default and tf.keras 2's), "
                            "hard_sigmoid (Keras 3's hard_sigmoid) or hard_sigmoid_keras2 (Keras 2's default)")
    if len(acts) > 1:
        raise ImportRefused(f"the {title} layers use different recurrent activations {sorted(acts)}; the app runs one "
                            "per model")
    if len(after) > 1:
        raise ImportRefused(f"the GRU layers {', '.join(layer.name for layer in chosen)} differ in reset_after; the "
                            "app runs one per model")

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
    if cudnn and found.name == "lstm":
        notes.append(f"CuDNNLSTM weights ({', '.join(cudnn)}): kernel blocks read as cuDNN's matrices, the two "
                     "bias halves summed by the engine")
    elif cudnn:
        notes.append(f"CuDNNGRU weights ({', '.join(cudnn)}): kernel blocks read as cuDNN's matrices, the bias's "
                     "two halves as b_ih and b_hh (the reset gate applies after W_hn)")
    options = {"recurrent_activation": acts.pop()}
    if found.name == "gru":
        options["reset_after"] = after.pop()
    params = found.params_type(tuple(converted), V, emb, *(dec if dec else (None, None)), **options)
    return Imported(params, "keras", _layout(kf, found, cudnn, options.get("reset_after")), sources, tuple(notes),
                    {"keras_version": kf.keras_version, "layers": [layer.name for layer in chosen]})
