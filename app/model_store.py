"""Model files: read, validate and write the two-file format, and the registry of loaded models.

A model is `NAME.safetensors` (float tensors named as a PyTorch state_dict of Embedding + a recurrent
cell + Linear: `embedding.weight`, `{cell}.weight_ih_l{k}` (rows·H, In), `{cell}.weight_hh_l{k}` (rows·H, H),
`{cell}.bias_ih_l{k}`, `{cell}.bias_hh_l{k}` (rows·H,), `decoder.weight`, `decoder.bias`; embedding and
decoder optional) and `NAME.json`, the model card. The card's `cell` names the cell (app.engine.cells:
`lstm` 4 rows per unit, `gru` 3, `rnn` 1) and its options (`recurrent_activation`, `nonlinearity`,
`reset_after`). No pickle anywhere: safetensors holds raw tensors only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import stat
import struct
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from safetensors.numpy import save as save_safetensors

from app.engine.cells import CELLS, CellSpec, spec, spec_of_params
from app.engine.lstm import LayerWeights, StackedParams, logits
from app.engine.tokenizer import Tokenizer
from app.model_card import ID_PATTERN as ID_PATTERN  # re-exported: the page and the importer read it here
from app.model_card import MAX_DEPTH, ModelCard, depth, problems

log = logging.getLogger(__name__)

_LAYER_KEY = re.compile(r"^([a-z0-9_]+)\.(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$")  # a cell's layer tensor


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Model:
    """A loaded, validated model ready to trace."""

    id: str
    card: dict
    params: StackedParams  # the cell's own subclass (app.engine.cells CellSpec.params_type)
    compiled: object  # the cell's compiled tables
    tokenizer: Tokenizer
    version: str

    @property
    def title(self) -> str:
        return self.card.get("title", self.id)

    @property
    def cell(self) -> str:
        """The cell's name (app.engine.cells), the one its parameters are."""
        return self.spec.name

    @property
    def spec(self) -> CellSpec:
        return spec_of_params(self.params)


def model_version(weights: bytes | hashlib._Hash, tokenizer_section: dict, cell: dict | None = None) -> str:
    """Short digest of the weights file, the card's tokenizer section and what the card says the cell computes
    (`cell`: its name and options, e.g. reset_after; not the description): the same weights read as another
    cell, or with another option, are another model. `weights`: the file's bytes, or a sha256 fed them."""
    digest = weights.copy() if hasattr(weights, "hexdigest") else hashlib.sha256(weights)
    digest.update(json.dumps(tokenizer_section, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    if cell is not None:
        digest.update(json.dumps(cell, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:12]


def params_to_tensors(params: StackedParams) -> dict[str, np.ndarray]:
    """State-dict names -> C-contiguous arrays, ready for safetensors."""
    tensors: dict[str, np.ndarray] = {}
    if params.embedding is not None:
        tensors["embedding.weight"] = params.embedding
    prefix = spec_of_params(params).name
    for k, layer in enumerate(params.layers):
        tensors[f"{prefix}.weight_ih_l{k}"] = layer.W_ih
        tensors[f"{prefix}.weight_hh_l{k}"] = layer.W_hh
        tensors[f"{prefix}.bias_ih_l{k}"] = layer.b_ih
        tensors[f"{prefix}.bias_hh_l{k}"] = layer.b_hh
    if params.W_dec is not None:
        tensors["decoder.weight"] = params.W_dec
        tensors["decoder.bias"] = params.b_dec
    # safetensors' NumPy writer saves a transposed view's raw memory without complaint.
    return {name: np.ascontiguousarray(a) for name, a in tensors.items()}


def _expect(cond: bool, problem: str) -> None:
    if not cond:
        raise ModelError(problem)


def _checked_tensors(tensors: dict[str, np.ndarray], vocab_size: int, cell: str, values: bool = True) -> tuple:
    """Check every name, shape, dtype and (`values`) value against the others, the vocabulary size and the cell.
    Returns (layers as (W_ih, W_hh, b_ih, b_hh) tuples, embedding or None, W_dec or None, b_dec or None).
    With values=False only .shape, .ndim and .dtype are read: a file's header can be checked before its data."""
    known = {"embedding.weight", "decoder.weight", "decoder.bias"}
    layer_keys: dict[int, dict[str, np.ndarray]] = {}
    for name, a in tensors.items():
        m = _LAYER_KEY.match(name)
        m = m if m and m.group(1) in CELLS else None
        if m and m.group(1) == cell:
            layer_keys.setdefault(int(m.group(3)), {})[m.group(2)] = a
        elif m:
            raise ModelError(f"tensor {name!r} belongs to {spec(m.group(1)).article}, but the card says cell {cell!r}: "
                             f"name the tensors {cell}.* or set the card's cell to {m.group(1)!r}")
        elif name not in known:
            raise ModelError(f"unexpected tensor {name!r}")
    _expect(bool(layer_keys), f"no {cell.upper()} layer: expected tensors named {cell}.weight_ih_l0, ...")
    L = len(layer_keys)
    _expect(sorted(layer_keys) == list(range(L)), f"layer numbers must run 0..{L - 1}")
    dtypes = {a.dtype for a in tensors.values()}
    _expect(
        len(dtypes) == 1 and dtypes <= {np.dtype(np.float32), np.dtype(np.float64)},
        f"tensors must all be float32 (or all float64), found {sorted(map(str, dtypes))}",
    )
    for name, a in tensors.items() if values else ():
        _expect(bool(np.isfinite(a).all()), f"tensor {name!r} holds NaN or infinite values")
    V = vocab_size
    emb = tensors.get("embedding.weight")
    if emb is not None:
        _expect(emb.ndim == 2 and emb.shape[0] == V, f"embedding.weight is {emb.shape}, expected ({V}, E)")
    in_size = V if emb is None else emb.shape[1]
    n = spec(cell).rows
    nH = f"{n}H" if n > 1 else "H"
    layers = []
    H = None
    for k in range(L):
        parts = layer_keys[k]
        missing = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"} - set(parts)
        _expect(not missing, f"layer {k} lacks {sorted(f'{cell}.{p}_l{k}' for p in missing)}")
        W_hh = parts["weight_hh"]
        _expect(W_hh.ndim == 2 and W_hh.shape[0] == n * W_hh.shape[1] > 0,
                f"{cell}.weight_hh_l{k} is {W_hh.shape}, expected ({nH}, H)")
        H = H or W_hh.shape[1]
        _expect(W_hh.shape == (n * H, H), f"{cell}.weight_hh_l{k} is {W_hh.shape}, expected ({n * H}, {H})")
        want = {"weight_ih": (n * H, in_size), "bias_ih": (n * H,), "bias_hh": (n * H,)}
        for part, shape in want.items():
            got = parts[part].shape
            _expect(got == shape, f"{cell}.{part}_l{k} is {got}, expected {shape}")
        layers.append((parts["weight_ih"], W_hh, parts["bias_ih"], parts["bias_hh"]))
        in_size = H
    W_dec, b_dec = tensors.get("decoder.weight"), tensors.get("decoder.bias")
    _expect((W_dec is None) == (b_dec is None), "decoder.weight and decoder.bias come together")
    if W_dec is not None:
        _expect(W_dec.shape == (V, H), f"decoder.weight is {W_dec.shape}, expected ({V}, {H})")
        _expect(b_dec.shape == (V,), f"decoder.bias is {b_dec.shape}, expected ({V},)")
    return layers, emb, W_dec, b_dec


def params_from_tensors(tensors: dict[str, np.ndarray], vocab_size: int, cell: str = "lstm",
                       **options: object) -> StackedParams:
    """The parameters of `cell` from its `{cell}.*` tensors, every name, shape, dtype and value checked;
    `options` the cell's card options (recurrent_activation, nonlinearity, reset_after), defaults if left out."""
    layers, emb, W_dec, b_dec = _checked_tensors(tensors, vocab_size, cell)
    weights = tuple(LayerWeights(*parts) for parts in layers)
    return spec(cell).params_type(weights, vocab_size, emb, W_dec, b_dec, **spec(cell).card_options(options))


def params_for_card(tensors: dict[str, np.ndarray], vocab_size: int, card: dict) -> StackedParams:
    """The parameters of the cell the card names (never inferred from the tensor names)."""
    cell = spec(card.get("cell", "lstm"))
    return params_from_tensors(tensors, vocab_size, cell.name, **cell.card_options(card))


def compile_model(params: StackedParams) -> object:
    """The engine's per-model tables for any cell."""
    return spec_of_params(params).compile(params)


PROBE_IDS = 8  # token ids traced at load: a model whose numbers overflow is refused before it is served
MAX_CARD_BYTES = 32 << 20  # the bundled cards are < 150 kB; a word vocabulary of a million tokens is ~15 MB
# A safetensors header is ~100-150 bytes per tensor (4 per layer + 3): 1 MiB holds thousands. The safetensors
# library allows 100 MB; this format never needs that, and a header is read whole before anything is checked.
MAX_HEADER_BYTES = 1 << 20
# Tensor data per model, checked from the header before any of it is read. The bundled models hold 35 kB to
# 3.6 MB; a worker keeps the weights and its compiled copy of them (app.engine.*.compile_params) per model.
MAX_WEIGHTS_BYTES = 1 << 30
# safetensors dtypes NumPy reads (little-endian, as the format stores them); the others (BF16, F8_*) it cannot.
_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
           "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
_MAX_NDIM, _MAX_DIM = 8, 2**31  # a shape the checks can hold in NumPy (the format's tensors have 1 or 2 axes)


def _validate_card(card: object, stem: str) -> dict:
    """The card checked against its schema (app.model_card.ModelCard) and its file's name; the same dict back.
    A refusal is one line: the first problems, each naming the field and what it must be."""
    _expect(isinstance(card, dict), f"the card must be a JSON object, got {_json_kind(card)}")
    _expect(depth(card) <= MAX_DEPTH, f"the card is nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        ModelCard.model_validate(card, context={"stem": stem})
    except ValidationError as e:
        raise ModelError(problems(e)) from None
    return card


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(value), "a number")


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _open_file(path: Path, limit: int | None = None):
    """`path` opened for reading, and its size, if it is a regular file of at most `limit` bytes. A
    folder, a FIFO or a device (which could block or never end) is refused before a byte is read: it is opened
    without blocking and looked at through its descriptor, so what is checked is what is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        _expect(not stat.S_ISDIR(info.st_mode), "it is a folder, not a file")
        _expect(stat.S_ISREG(info.st_mode), "it is not a regular file (a pipe, a socket or a device)")
        _expect(limit is None or info.st_size <= limit,
                f"it is {info.st_size:,} bytes; at most {limit or 0:,} ({_size(limit or 0)}) are read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _read_exactly(f, buffer: np.ndarray | bytearray) -> None:
    """Fill `buffer` (C-contiguous) from the file, or refuse a file that ends first."""
    view, got = memoryview(buffer).cast("B"), 0
    while got < len(view):
        n = f.readinto(view[got:])
        _expect(bool(n), "not a readable safetensors file: it ended early (was it being written?)")
        got += n


def _read_card(path: Path, stem: str) -> dict:
    f, _ = _open_file(path, MAX_CARD_BYTES)
    with f:
        raw = f.read(MAX_CARD_BYTES + 1)
    _expect(len(raw) <= MAX_CARD_BYTES, f"it grew past {MAX_CARD_BYTES:,} bytes while being read")
    try:
        card = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ModelError("the card is nested too deeply to read") from None
    return _validate_card(card, stem)


def _no_repeats(pairs: list[tuple[str, object]]) -> dict:
    names = [name for name, _ in pairs]
    _expect(len(set(names)) == len(names), "not a readable safetensors file: its header names a tensor twice")
    return dict(pairs)


def _whole(values: object, length: int | None = None) -> bool:
    return (isinstance(values, list) and (length is None or len(values) == length)
            and all(type(v) is int and v >= 0 for v in values))


def _read_header(f, size: int) -> tuple[bytes, dict[str, tuple[np.dtype, tuple[int, ...], int, int]]]:
    """The header of a safetensors file (an 8-byte little-endian length, then that much JSON), every entry
    checked before any tensor data is read: a dtype NumPy reads, a shape, data offsets inside the file that hold
    exactly that shape, and the tensors' data back to back to the end of the file (as the format requires).
    Returns the header's bytes (the 8 and the JSON) and name -> (dtype, shape, begin, end), offsets into the data."""

    def bad(problem: str) -> ModelError:
        return ModelError(f"not a readable safetensors file: {problem}")

    if size < 8:
        raise bad(f"it has {size} bytes, fewer than the 8 that give its header's length")
    head = bytearray(8)
    _read_exactly(f, head)
    (n,) = struct.unpack("<Q", head)
    if n > MAX_HEADER_BYTES:
        raise bad(f"its header would be {n:,} bytes; a header may have at most {MAX_HEADER_BYTES:,}")
    if 8 + n > size:
        raise bad(f"its header would be {n:,} bytes, past the end of the file ({size:,} bytes)")
    text = bytearray(n)
    _read_exactly(f, text)
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=_no_repeats)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise bad(f"its header is not UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad(f"its header must be a JSON object, got {_json_kind(header)}")
    metadata = header.pop("__metadata__", None)  # optional, and may be null (safetensors reads it so)
    if not (metadata is None or isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise bad("its __metadata__ must map names to strings")
    data_size = size - 8 - n
    entries = {}
    for name, entry in header.items():
        ok = isinstance(entry, dict) and isinstance(entry.get("dtype"), str) and _whole(entry.get("shape")) \
            and _whole(entry.get("data_offsets"), 2)
        if not ok:
            raise bad(f"tensor {name!r} needs a dtype, a shape and two data_offsets (whole numbers), "
                      f"got {json.dumps(entry)[:80]}")
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        _expect(dtype in _DTYPES, f"tensor {name!r} is {dtype}, which NumPy cannot read: tensors must all be "
                                  "float32 (or all float64)")
        if len(shape) > _MAX_NDIM or any(d >= _MAX_DIM for d in shape):
            raise bad(f"tensor {name!r} has shape {shape}: at most {_MAX_NDIM} axes of fewer than 2**31 each")
        if not begin <= end <= data_size:
            raise bad(f"tensor {name!r} has data_offsets [{begin:,}, {end:,}], not inside the file's "
                      f"{data_size:,} bytes of data")
        nbytes = math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize
        if end - begin != nbytes:
            raise bad(f"tensor {name!r} is {dtype} {tuple(shape)}, {nbytes:,} bytes, but its data_offsets "
                      f"[{begin:,}, {end:,}] hold {end - begin:,}")
        entries[name] = (np.dtype(_DTYPES[dtype]), tuple(shape), begin, end)
    at = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != at:
            raise bad(f"tensor {name!r} starts at byte {begin:,} of the data, not {at:,}: the tensors' data must "
                      "follow one another with no gap and no overlap")
        at = end
    if at != data_size:
        raise bad(f"{data_size - at:,} bytes follow the last tensor's data")
    return bytes(head + text), entries


def _read_weights(path: Path, vocab_size: int, card: dict) -> tuple[dict[str, np.ndarray], object]:
    """The tensors of a safetensors file, and a sha256 of the whole file. The header is read and every name,
    dtype and shape checked against the card (cell, sizes) and the vocabulary before any data is read; then
    the data is read tensor by tensor, straight into the arrays (one copy, no whole-file buffer), read-only
    float arrays in the file's order (NaN and infinities are checked by params_for_card)."""
    f, size = _open_file(path)
    with f:
        head, entries = _read_header(f, size)
        stand_ins = {name: np.broadcast_to(np.zeros((), dtype), shape)  # a shape, a dtype, no memory
                     for name, (dtype, shape, _, _) in entries.items()}
        layers, *_ = _checked_tensors(stand_ins, vocab_size, spec(card.get("cell", "lstm")).name, values=False)
        sizes = card.get("sizes", {})
        for key, value in (("hidden_size", layers[0][1].shape[1]), ("num_layers", len(layers)),
                           ("vocab_size", vocab_size)):
            _expect(sizes.get(key, value) == value, f"card says {key} = {sizes.get(key)}, weights say {value}")
        data = size - len(head)
        _expect(data <= MAX_WEIGHTS_BYTES, f"its tensors hold {_size(data)}; a model may hold at most "
                                           f"{_size(MAX_WEIGHTS_BYTES)} (app.model_store.MAX_WEIGHTS_BYTES)")
        digest = hashlib.sha256(head)
        tensors = {}
        for name, (dtype, shape, _, _) in sorted(entries.items(), key=lambda item: item[1][2:]):
            a = np.empty(shape, dtype)
            _read_exactly(f, a.reshape(-1).view(np.uint8))
            digest.update(a.reshape(-1).view(np.uint8))
            a.flags.writeable = False
            tensors[name] = a
    return tensors, digest


@contextmanager
def _naming(path: Path, weights_path: Path):
    """Whatever reading `path` (the model's card or weights) raises, as a ModelError naming the file."""
    try:
        yield
    except FileNotFoundError as e:
        raise ModelError(f"{weights_path}: missing file {e.filename}") from e
    except OSError as e:
        raise ModelError(f"{path}: cannot read {e.filename or path} ({e.strerror})") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: the card is not valid UTF-8 JSON ({e})") from e
    except (ModelError, KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{path}: {e}") from e


def load_model(weights_path: Path) -> Model:
    """Read NAME.json and NAME.safetensors; raise ModelError naming the file and the problem. The card is
    checked first, then the weights' header against it, before a byte of tensor data is read."""
    weights_path = Path(weights_path)
    card_path = weights_path.with_suffix(".json")
    with _naming(card_path, weights_path):
        card = _read_card(card_path, weights_path.stem)
        tokenizer = Tokenizer.from_card(card["tokenizer"])
    with _naming(weights_path, weights_path):
        tensors, digest = _read_weights(weights_path, len(tokenizer.vocab), card)
        params = params_for_card(tensors, len(tokenizer.vocab), card)
    with np.errstate(all="ignore"):  # weights that overflow are refused by the probe, by name
        compiled = compile_model(params)
    _probe(compiled, params, weights_path)
    cell = spec_of_params(params)
    return Model(id=weights_path.stem, card=card, params=params, compiled=compiled, tokenizer=tokenizer,
                 version=model_version(digest, card["tokenizer"], {"cell": cell.name, **cell.options_of(params)}))


def model_in_memory(card: dict, tensors: dict[str, np.ndarray]) -> Model:
    """A model from a card and its tensors, never written to a file (a live training job's, app/serving/jobs.py):
    checked as a file's would be (card schema, tensor names, shapes and values, the probe), its version the digest
    of the weights as a file would hold them."""
    stem = card["id"]
    card = _validate_card(card, stem)
    tokenizer = Tokenizer.from_card(card["tokenizer"])
    params = params_for_card(tensors, len(tokenizer.vocab), card)
    compiled = compile_model(params)
    _probe(compiled, params, Path(f"{stem}.safetensors"))
    cell = spec_of_params(params)
    weights = save_safetensors(params_to_tensors(params))
    return Model(id=stem, card=card, params=params, compiled=compiled, tokenizer=tokenizer,
                 version=model_version(weights, card["tokenizer"], {"cell": cell.name, **cell.options_of(params)}))


def _probe(compiled: object, params: StackedParams, weights_path: Path) -> None:
    """Trace the first PROBE_IDS token ids: finite weights can still overflow (±3e38 times anything), and a
    model whose every trace would fail is refused here, by name, not served."""
    ids = np.arange(min(PROBE_IDS, params.vocab_size), dtype=np.int64)
    with np.errstate(all="ignore"):
        trace = spec_of_params(params).forward(compiled, ids)
        numbers = [a for layer in trace.layers for a in vars(layer).values()]
        if params.W_dec is not None:
            numbers.append(logits(params, trace.layers[-1].h))
    if not all(np.isfinite(a).all() for a in numbers):
        raise ModelError(f"{weights_path}: tracing a few tokens gives NaN or infinite numbers: the weights "
                         "overflow float arithmetic; export them again from a trained model")


def write_model(folder: Path, card: dict, params: StackedParams) -> Path:
    """Write NAME.safetensors and NAME.json (NAME = card["id"]); returns the weights path."""
    cell = spec_of_params(params)
    if card.get("cell") != cell.name:
        raise ModelError(f"the card says cell {card.get('cell')!r} but the parameters are {cell.article}'s")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = card["id"]
    weights = folder / f"{stem}.safetensors"
    weights.write_bytes(save_safetensors(params_to_tensors(params)))
    (folder / f"{stem}.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights


def load_folder(folder: Path) -> tuple[dict[str, Model], list[str]]:
    """Every model in a folder, sorted by id, and one message per file that was refused. No file stops the
    others: an error the checks did not foresee refuses that file too, logged with its traceback."""
    models: dict[str, Model] = {}
    errors: list[str] = []
    for path in sorted(Path(folder).glob("*.safetensors")):
        try:
            model = load_model(path)
        except ModelError as e:
            errors.append(str(e))
            continue
        except Exception as e:  # noqa: BLE001 - a bug in a check must not cost the other models
            log.exception("loading %s failed", path)
            errors.append(f"{path}: could not be loaded ({type(e).__name__}: {e})")
            continue
        models[model.id] = model
    return models, errors


def display_order(models: dict[str, Model], default: str | None) -> dict[str, Model]:
    """The default model first, then the others by id, then training snapshots (cards with
    `snapshot_of`) after them, by run and step."""

    def key(model: Model) -> tuple:
        snapshot_of = model.card.get("snapshot_of")
        step = model.card.get("provenance", {}).get("steps", 0)
        return (model.id != default, snapshot_of is not None, snapshot_of or model.id, step, model.id)

    return {m.id: m for m in sorted(models.values(), key=key)}


def load_registry(folders: list[Path], refused: list[str] | None = None) -> dict[str, Model]:
    """Load every folder in order; a bad file or a repeated id is logged and skipped. `refused`, if given, gets
    one line per refusal (a missing folder, a file and why, an id already loaded), as logged."""
    registry: dict[str, Model] = {}
    lines: list[str] = []
    for folder in folders:
        if not Path(folder).is_dir():
            lines.append(f"models folder {folder} does not exist")
            log.error("%s", lines[-1])
            continue
        models, errors = load_folder(folder)
        for message in errors:
            lines.append(message)
            log.error("refused model: %s", message)
        for model_id, model in models.items():
            if model_id in registry:
                lines.append(f"{Path(folder) / model_id}.safetensors: the id {model_id!r} is already loaded "
                             "from an earlier folder")
                log.error("refused model: %s", lines[-1])
                continue
            registry[model_id] = model
    if refused is not None:
        refused.extend(lines)
    return registry
