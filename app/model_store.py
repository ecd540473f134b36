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
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from app.engine.cells import CELLS, CellSpec, spec, spec_of_params
from app.engine.lstm import LayerWeights, StackedParams, logits
from app.engine.tokenizer import Tokenizer

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
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


def model_version(weights: bytes, tokenizer_section: dict, cell: dict | None = None) -> str:
    """Short digest of the weights file, the card's tokenizer section and what the card says the cell computes
    (`cell`: its name and options, e.g. reset_after; not the description): the same weights read as another
    cell, or with another option, are another model."""
    digest = hashlib.sha256(weights)
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


def _checked_tensors(tensors: dict[str, np.ndarray], vocab_size: int, cell: str) -> tuple:
    """Check every name, shape, dtype and value against the others, the vocabulary size and the cell.
    Returns (layers as (W_ih, W_hh, b_ih, b_hh) tuples, embedding or None, W_dec or None, b_dec or None)."""
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
    for name, a in tensors.items():
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


# The card fields the app reads, and what each must be (a card is a file anyone can write).
_CARD_FIELDS = (("title", str, "a string"), ("description", str, "a string"), ("examples", list, "a list"),
                ("sizes", dict, "an object"), ("provenance", dict, "an object"), ("snapshot_of", str, "a string"),
                ("notable_units", list, "a list"), ("evaluation", dict, "an object"))
PROBE_IDS = 8  # token ids traced at load: a model whose numbers overflow is refused before it is served


def _validate_card(card: object, stem: str) -> dict:
    _expect(isinstance(card, dict), "the card must be a JSON object")
    assert isinstance(card, dict)
    _expect(card.get("id") == stem, f"card id {card.get('id')!r} must equal the file name {stem!r}")
    _expect(bool(ID_PATTERN.match(stem)), f"model id {stem!r} must match {ID_PATTERN.pattern}")
    _expect(card.get("cell") in CELLS, f"cell must be one of {tuple(CELLS)}, got {card.get('cell')!r}")
    cell = spec(card["cell"])
    for key in {k for c in CELLS.values() for k in c.options} - set(cell.options):
        _expect(key not in card, f"{key} is not an option of {cell.article}; its card may name "
                                 f"{', '.join(cell.options) or 'no options'}")
    for key, allowed in cell.options.items():
        value = card.get(key, allowed[0])
        _expect(any(value == a and type(value) is type(a) for a in allowed),
                f"{key} must be one of {allowed}, got {value!r}")
    _expect(isinstance(card.get("tokenizer"), dict), "the card needs a tokenizer section")
    for key, kind, words in _CARD_FIELDS:
        if key in card:
            _expect(isinstance(card[key], kind), f"card field {key!r} must be {words}, got {type(card[key]).__name__}")
    _expect(all(isinstance(e, str) for e in card.get("examples", [])), "card field 'examples' must hold strings")
    _expect(all(type(v) is int or v is None for v in card.get("sizes", {}).values()),
            "card field 'sizes' must map names to whole numbers")
    return card


def load_model(weights_path: Path) -> Model:
    """Read NAME.safetensors and NAME.json; raise ModelError naming the file and the problem."""
    weights_path = Path(weights_path)
    card_path = weights_path.with_suffix(".json")
    try:
        try:
            card = _validate_card(json.loads(card_path.read_text(encoding="utf-8")), weights_path.stem)
        except RecursionError:
            raise ModelError(f"{card_path}: the card is nested too deeply to read") from None
        tokenizer = Tokenizer.from_card(card["tokenizer"])
        raw = weights_path.read_bytes()
        try:
            tensors = load_safetensors(raw)
        except (SafetensorError, ValueError, OverflowError) as e:
            raise ModelError(f"not a readable safetensors file ({e})") from e
        params = params_for_card(tensors, len(tokenizer.vocab), card)
        sizes = card.get("sizes", {})
        for key, value in (("hidden_size", params.hidden_size), ("num_layers", params.num_layers),
                           ("vocab_size", params.vocab_size)):
            _expect(sizes.get(key, value) == value, f"card says {key} = {sizes.get(key)}, weights say {value}")
    except FileNotFoundError as e:
        raise ModelError(f"{weights_path}: missing file {e.filename}") from e
    except IsADirectoryError as e:
        raise ModelError(f"{weights_path}: {e.filename} is a folder, not a file") from e
    except OSError as e:
        raise ModelError(f"{weights_path}: cannot read {e.filename} ({e.strerror})") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{card_path}: the card is not valid UTF-8 JSON ({e})") from e
    except (ModelError, KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{weights_path}: {e}") from e
    with np.errstate(all="ignore"):  # weights that overflow are refused by the probe, by name
        compiled = compile_model(params)
    _probe(compiled, params, weights_path)
    return Model(
        id=weights_path.stem,
        card=card,
        params=params,
        compiled=compiled,
        tokenizer=tokenizer,
        version=model_version(raw, card["tokenizer"],
                              {"cell": spec_of_params(params).name, **spec_of_params(params).options_of(params)}),
    )


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
    """Every model in a folder, sorted by id, and one message per file that was refused."""
    models: dict[str, Model] = {}
    errors: list[str] = []
    for path in sorted(Path(folder).glob("*.safetensors")):
        try:
            model = load_model(path)
        except ModelError as e:
            errors.append(str(e))
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


def load_registry(folders: list[Path]) -> dict[str, Model]:
    """Load every folder in order; a bad file or a repeated id is logged and skipped."""
    registry: dict[str, Model] = {}
    for folder in folders:
        if not Path(folder).is_dir():
            log.error("models folder %s does not exist", folder)
            continue
        models, errors = load_folder(folder)
        for message in errors:
            log.error("refused model: %s", message)
        for model_id, model in models.items():
            if model_id in registry:
                log.error("refused model %s in %s: the id is already loaded", model_id, folder)
                continue
            registry[model_id] = model
    return registry
