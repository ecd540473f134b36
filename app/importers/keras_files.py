"""Walk the layer groups of a Keras file: `.keras` archives, Keras 3 `.weights.h5`, legacy HDF5 `.h5`.

- `.keras` (Keras 3) is a zip of config.json (the model's layers), metadata.json (keras_version) and
  model.weights.h5, whose groups are `layers/<key>/.../vars/0, 1, ...`: unnamed weights, in order. The
  key is not the layer's name but its class in snake case, numbered in the model's layer order
  (`lstm`, `lstm_1`, …; a Sequential model leaves its InputLayer out), as Keras's saving_lib names them.
- `.weights.h5` (Keras 3 `save_weights`) is that weights file alone: no config, so the layers are
  known by those keys only, and LSTMs are ordered `lstm`, `lstm_1`, `lstm_2`, ….
- legacy `.h5` (Keras 2's `save`, or Keras 3's `save("x.h5")`): the config as the `model_config`
  attribute, and `model_weights/<layer>` groups in the `layer_names` order, each naming its
  weights in `weight_names`; Keras 2's `save_weights` writes the same groups at the top, no config.
h5py is needed (an optional extra: `pip install "lstm-gate-visualizer[keras]"`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.importers.errors import ImportRefused


@dataclass(frozen=True)
class KerasLayer:
    """One layer: its name, class and config (None and {} when the file has no config), its weights
    as (name, array) in saved order, and the names of the layers feeding it (from the config)."""

    name: str
    class_name: str | None
    config: dict
    weights: tuple[tuple[str, np.ndarray], ...]
    inbound: tuple[str, ...] = ()


@dataclass(frozen=True)
class KerasFile:
    """The layers in the model's order (`ordered`) or by name; the format and the saving Keras version."""

    layers: tuple[KerasLayer, ...]
    ordered: bool
    has_config: bool
    keras_version: str | None
    format: str
    sequential: bool = False
    extra: dict = field(default_factory=dict)


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportRefused('reading Keras files needs h5py: pip install h5py (or pip install '
                            '"lstm-gate-visualizer[keras]")') from None
    return h5py


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _natural(name: str) -> tuple:
    """lstm, lstm_1, lstm_2, …, lstm_10: Keras's automatic names in the order they were made."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _inbound(node) -> list[str]:
    """Layer names in a config's inbound_nodes, in Keras 2 ([[name, 0, 0, {}]]) or Keras 3 (keras_history) form."""
    names: list[str] = []
    if isinstance(node, dict):
        history = node.get("keras_history")
        if isinstance(history, list) and history and isinstance(history[0], str):
            names.append(history[0])
        for key, value in node.items():
            if key != "keras_history":
                names += _inbound(value)
    elif isinstance(node, list):
        if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
            names.append(node[0])
        else:
            for value in node:
                names += _inbound(value)
    return names


def config_layers(model_config: dict) -> tuple[list[dict], bool]:
    """The layer configs of a Sequential or Functional model, in order, and whether it is Sequential."""
    config = model_config.get("config", {})
    layers = config if isinstance(config, list) else config.get("layers", [])
    if not isinstance(layers, list) or not layers:
        raise ImportRefused(f"the file's model config ({model_config.get('class_name')}) lists no layers")
    return layers, model_config.get("class_name") == "Sequential"


def _snake(name: str) -> str:
    """Keras's naming.to_snake_case: "LSTM" -> "lstm", "TimeDistributed" -> "time_distributed"."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _v3_keys(specs: list[dict], sequential: bool) -> list[str | None]:
    """The weights file's key of every layer config (None: not saved), as Keras 3's saving_lib makes them."""
    used: dict[str, int] = {}
    keys: list[str | None] = []
    for spec in specs:
        if sequential and spec.get("class_name") == "InputLayer":
            keys.append(None)
            continue
        base = _snake(spec.get("class_name", ""))
        used[base] = used.get(base, -1) + 1
        keys.append(base if used[base] == 0 else f"{base}_{used[base]}")
    return keys


def _merge_config(found: dict[str, list[tuple[str, np.ndarray]]], model_config: dict | None,
                  order: list[str] | None, v3: bool = False) -> tuple[tuple[KerasLayer, ...], bool, bool]:
    """KerasLayer records in the config's order (else `order`, else by name). v3: weights keyed as in
    Keras 3 weights files, by class; otherwise by layer name."""
    if model_config is None:
        names = order if order is not None else sorted(found, key=_natural)
        layers = tuple(KerasLayer(n, None, {}, tuple(found.get(n, ()))) for n in names)
        return layers, order is not None, False
    specs, sequential = config_layers(model_config)
    keys = _v3_keys(specs, sequential) if v3 else [None] * len(specs)
    layers = []
    previous = None
    for spec, key in zip(specs, keys, strict=True):
        cfg = spec.get("config", {})
        name = cfg.get("name") or spec.get("name")
        inbound = tuple(_inbound(spec.get("inbound_nodes", [])))
        if sequential and not inbound and previous is not None:
            inbound = (previous,)
        weights = found.get(key, ()) if v3 else found.get(name, ())
        layers.append(KerasLayer(name, spec.get("class_name"), cfg, tuple(weights), inbound))
        previous = name
    return tuple(layers), True, sequential


def _v3_weights(root) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Keras 3 weights: layers/<name>/…/vars/<n>, ordered by path then by n."""
    h5py = _h5py()
    found: dict[str, list[tuple[str, np.ndarray]]] = {}
    for name, group in root["layers"].items():
        entries = []

        def visit(path, obj, entries=entries):
            if isinstance(obj, h5py.Dataset) and path.rsplit("/", 2)[-2:-1] == ["vars"]:
                head, _, n = path.rpartition("/")
                entries.append(((head, int(n) if n.isdigit() else n), path, np.asarray(obj[()])))

        group.visititems(visit)
        found[name] = [(path, a) for _, path, a in sorted(entries, key=lambda e: (e[0][0], str(e[0][1]).zfill(9)))]
    return found


def _legacy_weights(root) -> tuple[dict[str, list[tuple[str, np.ndarray]]], list[str]]:
    """Legacy HDF5: groups named in `layer_names`, each naming its weights in `weight_names`."""
    names = [_text(n) for n in root.attrs["layer_names"]]
    found = {}
    for name in names:
        group = root[name]
        weight_names = [_text(w) for w in group.attrs.get("weight_names", [])]
        found[name] = [(w, np.asarray(group[w][()])) for w in weight_names]
    return found, names


def read_keras_file(path: Path) -> KerasFile:
    """Read any of the three Keras formats (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"{path} does not exist")
    h5py = _h5py()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "config.json" not in names or "model.weights.h5" not in names:
                raise ImportRefused(f"{path}: a .keras archive holds config.json and model.weights.h5; this zip "
                                    f"has {names[:6]}")
            model_config = json.loads(z.read("config.json"))
            metadata = json.loads(z.read("metadata.json")) if "metadata.json" in names else {}
            weights = z.read("model.weights.h5")
        with h5py.File(io.BytesIO(weights), "r") as f:
            found = _v3_weights(f)
        layers, ordered, sequential = _merge_config(found, model_config, None, v3=True)
        return KerasFile(layers, ordered, True, metadata.get("keras_version"), ".keras archive", sequential)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ImportRefused(f"{path}: not an HDF5 file or a .keras archive ({e})") from None
    with f:
        version = _text(f.attrs.get("keras_version"))
        if "model_weights" in f:
            raw = f.attrs.get("model_config")
            model_config = json.loads(_text(raw)) if raw is not None else None
            found, order = _legacy_weights(f["model_weights"])
            version = version or _text(f["model_weights"].attrs.get("keras_version"))
            fmt = "legacy HDF5 model" if model_config else "legacy HDF5 weights"
        elif "layer_names" in f.attrs:
            model_config = None
            found, order = _legacy_weights(f)
            fmt = "legacy HDF5 weights"
        elif "layers" in f:
            model_config, order = None, None
            found = _v3_weights(f)
            fmt = "Keras 3 .weights.h5"
        else:
            raise ImportRefused(f"{path}: no Keras layer groups (model_weights/, layers/ or a layer_names attribute)")
    layers, ordered, sequential = _merge_config(found, model_config, order)
    return KerasFile(layers, ordered, model_config is not None, version, fmt, sequential)
