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
Every size is held to the caps of limits.py before it is read (a zip member's, a dataset's shape × item
size), the importer follows no soft or external links, and a damaged file is refused in one line.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.importers import limits
from app.importers.errors import ImportRefused
from app.importers.limits import Budget, MemberReader, brief, check_file_size, open_zip, size_text


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


_H5_ERRORS = (OSError, KeyError, RuntimeError)  # what h5py turns the HDF5 library's errors into, on a damaged file


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


def _kind(value) -> str:
    """A JSON value's kind, for messages: "a list", "a number", …"""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


def parse_json(raw: bytes | str, where: str) -> object:
    """JSON text (UTF-8 bytes or str) from `where`; one line naming it when it is not JSON or nests too deeply."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ImportRefused(f"{where} is not valid UTF-8 JSON ({brief(e)}); save the model again") from None
    except RecursionError:
        raise ImportRefused(f"{where} is nested too deeply to read; save the model again") from None


def _inbound(node) -> list[str]:
    """Layer names in a config's inbound_nodes, in Keras 2 ([[name, 0, 0, {}]]) or Keras 3 (keras_history) form.
    Walked with a stack, not recursion, so no nesting is too deep."""
    names: list[str] = []
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            history = node.get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                names.append(history[0])
            stack.extend(reversed([value for key, value in node.items() if key != "keras_history"]))
        elif isinstance(node, list):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
                names.append(node[0])
            else:
                stack.extend(reversed(node))
    return names


def config_layers(model_config, where: str = "the file") -> tuple[list[dict], bool]:
    """The layer configs of a Sequential or Functional model, in order, and whether it is Sequential."""
    if not isinstance(model_config, dict):
        raise ImportRefused(f"{where}: the model config is {_kind(model_config)}, not a Keras model's JSON object")
    config = model_config.get("config", {})
    layers = config if isinstance(config, list) else config.get("layers", []) if isinstance(config, dict) else None
    if not isinstance(layers, list) or not layers:
        raise ImportRefused(f"{where}: the model config ({model_config.get('class_name')}) lists no layers")
    for n, spec in enumerate(layers):
        if not isinstance(spec, dict):
            raise ImportRefused(f"{where}: layer {n} of the model config is {_kind(spec)}, not a layer's object")
    return layers, model_config.get("class_name") == "Sequential"


def _layer_spec(spec: dict, n: int, where: str) -> tuple[str, str, dict]:
    """A layer config's name, class and own config, each of the type Keras writes."""
    class_name, cfg = spec.get("class_name"), spec.get("config", {})
    if not isinstance(class_name, str):
        raise ImportRefused(f"{where}: layer {n} of the model config has class_name {_kind(class_name)}, not a "
                            "class's name")
    if not isinstance(cfg, dict):
        raise ImportRefused(f"{where}: layer {n} ({class_name}) has a config that is {_kind(cfg)}, not an object")
    name = cfg.get("name") or spec.get("name")
    if not isinstance(name, str):
        raise ImportRefused(f"{where}: layer {n} ({class_name}) has name {_kind(name)}, not a string")
    return name, class_name, cfg


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


def _unique(names: list[str], where: str) -> None:
    """Refuse two layers of one name (Keras never saves them; the importer finds layers by name)."""
    seen = set()
    for name in names:
        if name in seen:
            raise ImportRefused(f"{where}: two layers are named {name!r}; a Keras model's layer names are unique")
        seen.add(name)


def _merge_config(found: dict[str, list[tuple[str, np.ndarray]]], model_config: dict | None,
                  order: list[str] | None, v3: bool = False,
                  where: str = "the file") -> tuple[tuple[KerasLayer, ...], bool, bool]:
    """KerasLayer records in the config's order (else `order`, else by name). v3: weights keyed as in
    Keras 3 weights files, by class; otherwise by layer name."""
    if model_config is None:
        names = order if order is not None else sorted(found, key=_natural)
        _unique(names, where)
        layers = tuple(KerasLayer(n, None, {}, tuple(found.get(n, ()))) for n in names)
        return layers, order is not None, False
    specs, sequential = config_layers(model_config, where)
    named = [_layer_spec(spec, n, where) for n, spec in enumerate(specs)]
    _unique([name for name, _, _ in named], where)
    keys = _v3_keys(specs, sequential) if v3 else [None] * len(specs)
    layers = []
    previous = None
    for spec, (name, class_name, cfg), key in zip(specs, named, keys, strict=True):
        inbound = tuple(_inbound(spec.get("inbound_nodes", [])))
        if sequential and not inbound and previous is not None:
            inbound = (previous,)
        weights = found.get(key, ()) if v3 else found.get(name, ())
        layers.append(KerasLayer(name, class_name, cfg, tuple(weights), inbound))
        previous = name
    return tuple(layers), True, sequential


def _child(group, name: str, where: str):
    """group[name] (a path of names), through hard links only: a soft or external link, which could name another
    file, is refused, as is a name the file does not have."""
    h5py = _h5py()
    node = group
    for part in (p for p in _name_text(name, group, where).split("/") if p not in ("", ".")):
        if not isinstance(node, h5py.Group):
            raise ImportRefused(f"{where}: {node.name} is a dataset where a group holding {name!r} is expected")
        link = node.get(part, getlink=True)
        if link is None:
            raise ImportRefused(f"{where}: {node.name} has no {part!r}, which the file names; save the model again")
        if not isinstance(link, h5py.HardLink):
            kind = type(link).__name__.removesuffix("Link").lower()
            raise ImportRefused(f"{where}: {node.name.rstrip('/')}/{part} is {'an' if kind[:1] in 'aeiou' else 'a'} "
                                f"{kind} link; the importer reads what the file itself holds and follows no links")
        node = node[part]
    return node


def _name_text(name: str | bytes, parent, where: str) -> str:
    """An HDF5 name as text; h5py hands back bytes, or text with surrogates, for names that are not UTF-8, which
    Keras never writes."""
    try:
        if isinstance(name, str):
            name.encode("utf-8")
            return name
    except UnicodeEncodeError:
        pass
    raise ImportRefused(f"{where}: {parent.name} holds the name {name!r}, which is not UTF-8; save the model again")


def _group(parent, name: str, where: str):
    """The group parent[name]; refused when it is missing, a link or a dataset."""
    group = _child(parent, name, where)
    if not isinstance(group, _h5py().Group):
        raise ImportRefused(f"{where}: {group.name} is a dataset where Keras writes a group")
    return group


def _read_dataset(dataset, where: str, budget: Budget) -> np.ndarray:
    """A weight: a dataset of numbers kept in this file, its size (shape × item size) taken from the budget
    before it is read."""
    if not isinstance(dataset, _h5py().Dataset):
        raise ImportRefused(f"{where}: {dataset.name} is a group where Keras writes a weight (a dataset)")
    try:
        shape, dtype, elsewhere = dataset.shape, dataset.dtype, dataset.external or dataset.is_virtual
    except (TypeError, ValueError) as e:  # a datatype NumPy has no equivalent for
        raise ImportRefused(f"{where}: dataset {dataset.name} cannot be read ({brief(e)})") from None
    if elsewhere:
        raise ImportRefused(f"{where}: dataset {dataset.name} keeps its data in other files, which the importer "
                            "does not read; save the model again")
    if shape is None or dtype.kind not in "biuf":
        raise ImportRefused(f"{where}: dataset {dataset.name} holds {dtype} {'nothing' if shape is None else shape}, "
                            "not a weight's numbers")
    nbytes = math.prod(shape) * dtype.itemsize
    budget.take(nbytes, f"dataset {dataset.name} ({size_text(nbytes)})")
    return np.asarray(dataset[()])


def _attribute(obj, name: str, where: str):
    """obj.attrs[name], or None when it has none."""
    try:
        return obj.attrs.get(name)
    except (UnicodeDecodeError, TypeError, ValueError, *_H5_ERRORS) as e:
        raise ImportRefused(f"{where}: attribute {name} of {obj.name} cannot be read ({brief(e)})") from None


def _names(value, what: str, where: str) -> list[str]:
    """An attribute that lists names (layer_names, weight_names): strings or UTF-8 bytes."""
    values = np.asarray(value if value is not None else [], dtype=object)
    if values.ndim != 1 or not all(isinstance(v, (str, bytes)) for v in values):
        raise ImportRefused(f"{where}: the {what} attribute is not a list of names")
    try:
        return [_text(v) for v in values]
    except UnicodeDecodeError:
        raise ImportRefused(f"{where}: the {what} attribute holds names that are not UTF-8") from None


def _string(value, what: str, where: str) -> str | None:
    """A string attribute or JSON field (keras_version, model_config), or None when absent."""
    if value is not None and not isinstance(value, (str, bytes)):
        raise ImportRefused(f"{where}: {what} is {type(value).__name__}, not a string")
    try:
        return _text(value)
    except UnicodeDecodeError:
        raise ImportRefused(f"{where}: {what} is not UTF-8 text") from None


def _v3_weights(root, where: str, budget: Budget) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Keras 3 weights: layers/<name>/…/vars/<n>, ordered by path then by n."""
    h5py = _h5py()
    layers = _group(root, "layers", where)
    found: dict[str, list[tuple[str, np.ndarray]]] = {}
    for name in list(layers):
        datasets = []

        def visit(path, obj, datasets=datasets):
            path = _name_text(path, obj, where)
            if isinstance(obj, h5py.Dataset) and path.rsplit("/", 2)[-2:-1] == ["vars"]:
                head, _, n = path.rpartition("/")
                datasets.append(((head, int(n) if n.isdigit() else n), path, obj))

        try:
            _group(layers, name, where).visititems(visit)
        except UnicodeDecodeError:
            raise ImportRefused(f"{where}: {layers.name}/{name} holds a name that is not UTF-8; save the model "
                                "again") from None
        ordered = sorted(datasets, key=lambda e: (e[0][0], str(e[0][1]).zfill(9)))
        found[name] = [(path, _read_dataset(obj, where, budget)) for _, path, obj in ordered]
    return found


def _legacy_weights(root, where: str, budget: Budget) -> tuple[dict[str, list[tuple[str, np.ndarray]]], list[str]]:
    """Legacy HDF5: groups named in `layer_names`, each naming its weights in `weight_names`."""
    names = _names(_attribute(root, "layer_names", where), "layer_names", where)
    _unique(names, where)
    found = {}
    for name in names:
        group = _group(root, name, where)
        weight_names = _names(_attribute(group, "weight_names", where), f"{name}'s weight_names", where)
        found[name] = [(w, _read_dataset(_child(group, w, where), where, budget)) for w in weight_names]
    return found, names


def _read_archive(path: Path) -> KerasFile:
    """A Keras 3 `.keras` zip: config.json, metadata.json and model.weights.h5, each unzipped within its cap."""
    z = open_zip(path, ".keras archive", "save the model again")
    unzipped = Budget(path, "its unzipped members")
    with z, tempfile.TemporaryDirectory(prefix="lstm-viz-import-") as folder:
        names = z.namelist()
        if "config.json" not in names or "model.weights.h5" not in names:
            raise ImportRefused(f"{path}: a .keras archive holds config.json and model.weights.h5; this zip "
                                f"has {names[:6]}")
        model_config = _json_member(z, "config.json", path, unzipped)
        metadata = _json_member(z, "metadata.json", path, unzipped) if "metadata.json" in names else {}
        if not isinstance(metadata, dict):
            raise ImportRefused(f"{path}: metadata.json is {_kind(metadata)}, not a JSON object")
        version = _string(metadata.get("keras_version"), "metadata.json's keras_version", str(path))
        weights = Path(folder) / "model.weights.h5"  # unzipped to disk, within its cap, for HDF5 to read
        with MemberReader(z, "model.weights.h5", path, unzipped) as member, weights.open("wb") as out:
            member.copy_to(out)
        where = f"{path}: model.weights.h5"
        with _open_hdf5(weights, where, "an HDF5 file") as f:
            found = _walk(lambda: _v3_weights(f, where, Budget(path, "its weights")), where)
    layers, ordered, sequential = _merge_config(found, model_config, None, v3=True, where=str(path))
    return KerasFile(layers, ordered, True, version, ".keras archive", sequential)


def _json_member(z: zipfile.ZipFile, name: str, path: Path, budget: Budget) -> object:
    """A JSON member of a .keras archive, unzipped within MAX_JSON_BYTES, parsed."""
    with MemberReader(z, name, path, budget, cap=limits.MAX_JSON_BYTES) as member:
        return parse_json(member.read(), f"{path}: {name}")


def _open_hdf5(source: Path, where: str, what: str = "an HDF5 file or a .keras archive"):
    try:
        return _h5py().File(source, "r")
    except OSError as e:
        raise ImportRefused(f"{where}: not {what} ({brief(e)})") from None


def _walk(read, where: str):
    """Run `read` over an open HDF5 file; what h5py raises on a damaged file becomes one line naming it."""
    try:
        return read()
    except ImportRefused:  # a ValueError too, and already one line naming the file
        raise
    except _H5_ERRORS as e:
        raise ImportRefused(f"{where}: the HDF5 file is damaged ({brief(e)}); save the model again") from None


def _model_config(f, where: str) -> object:
    """A legacy file's model_config attribute, parsed (None when it has none)."""
    raw = _string(_attribute(f, "model_config", where), "the model_config attribute", where)
    if raw is None:
        return None
    if len(raw) > limits.MAX_JSON_BYTES:
        raise ImportRefused(f"{where}: its model_config is {size_text(len(raw))}, past the importer's cap of "
                            f"{size_text(limits.MAX_JSON_BYTES)}; {limits.TOO_BIG_HINT}")
    return parse_json(raw, f"{where}: model_config")


def _hdf5_contents(f, where: str, budget: Budget) -> tuple:
    """(model_config or None, weights by layer, layer order or None, keras_version, format) of an open file."""
    version = _string(_attribute(f, "keras_version", where), "the keras_version attribute", where)
    if "model_weights" in f:
        group = _group(f, "model_weights", where)
        model_config = _model_config(f, where)
        found, order = _legacy_weights(group, where, budget)
        version = version or _string(_attribute(group, "keras_version", where),
                                     "the keras_version attribute of model_weights", where)
        return model_config, found, order, version, "legacy HDF5 model" if model_config else "legacy HDF5 weights"
    if "layer_names" in f.attrs:
        return None, *_legacy_weights(f, where, budget), version, "legacy HDF5 weights"
    if "layers" in f:
        return None, _v3_weights(f, where, budget), None, version, "Keras 3 .weights.h5"
    raise ImportRefused(f"{where}: no Keras layer groups (model_weights/, layers/ or a layer_names attribute)")


def _read_hdf5(path: Path) -> KerasFile:
    """A Keras 3 `.weights.h5` or a legacy `.h5`: its model_config (if any) and its layer groups."""
    where = str(path)
    with _open_hdf5(path, where) as f:
        model_config, found, order, version, fmt = _walk(lambda: _hdf5_contents(f, where, Budget(path, "its weights")),
                                                         where)
    layers, ordered, sequential = _merge_config(found, model_config, order, where=where)
    return KerasFile(layers, ordered, model_config is not None, version, fmt, sequential)


def read_keras_file(path: Path) -> KerasFile:
    """Read any of the three Keras formats (see the module docstring), within the caps of limits.py."""
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"{path} does not exist")
    check_file_size(path)
    _h5py()
    if zipfile.is_zipfile(path):
        return _read_archive(path)
    return _read_hdf5(path)
