"""Named tensors from `.safetensors` and `.npz` files, without pickle, as float32 NumPy arrays.

safetensors' own NumPy loader cannot read bfloat16 (NumPy has no such type), so the file is read
here: 8 bytes of header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw
little-endian data. bfloat16 is the top half of a float32, so widening it is exact; so is float16's.
The whole header is checked against the file before any tensor is read, and then each tensor is read from
its own offsets; an .npz's members are unzipped a chunk at a time, within the caps of limits.py.
Pickled PyTorch files (.pt, .pth, .bin, .ckpt) are refused: unpickling can run any code.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.importers import limits
from app.importers.errors import ImportRefused
from app.importers.limits import Budget, MemberReader, brief, check_file_size, open_zip, size_text

EXPORT_HINT = (
    "export the state_dict once, in Python where the model is loaded: "
    'from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors") '
    "(with tied weights, save_file refuses shared tensors: use "
    'from safetensors.torch import save_model; save_model(model, "model.safetensors"))'
)
NPZ_HINT = "save plain arrays with np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})"
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar")
_NUMPY_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                 "I8": "i1", "U8": "u1", "BOOL": "?"}
_ITEM_SIZE = {"BF16": 2, **{k: np.dtype(v).itemsize for k, v in _NUMPY_DTYPES.items()}}


@dataclass(frozen=True)
class TensorFile:
    """float32 tensors by name, the file's string metadata, and what was converted on the way."""

    tensors: dict[str, np.ndarray]
    metadata: dict[str, str] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)  # original dtype of every float tensor
    skipped: tuple[str, ...] = ()  # non-float tensors (counters such as num_batches_tracked)


RESAVE_HINT = "export the state_dict again with safetensors' save_file"


def _looks_pickled(path: Path, head: bytes) -> bool:
    if path.suffix.lower() in PICKLE_SUFFIXES or head[:1] == b"\x80":
        return True
    if head[:2] == b"PK":  # torch.save's zip: a folder holding data.pkl
        try:
            with zipfile.ZipFile(path) as z:
                return any(name.endswith("data.pkl") for name in z.namelist())
        except limits.ZIP_ERRORS:
            return False
    return False


@dataclass(frozen=True)
class _Entry:
    """One tensor as a safetensors header declares it: dtype, shape and its bytes [start, end) in the data."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


def _not_safetensors(path: Path, why: str) -> ImportRefused:
    return ImportRefused(f"{path}: not a safetensors file ({why}); {RESAVE_HINT}")


def _header(f, path: Path, size: int) -> tuple[dict, int]:
    """The JSON header and where the data starts; the header's length is checked against the file (and
    safetensors' own limit) before it is read."""
    if size < 8:
        raise _not_safetensors(path, f"{size} bytes, fewer than the 8 that give its header's length")
    n = int.from_bytes(f.read(8), "little")
    if n > limits.MAX_JSON_BYTES:
        raise _not_safetensors(path, f"its first 8 bytes give a header of {size_text(n)}, past safetensors' "
                                     f"limit of {size_text(limits.MAX_JSON_BYTES)}")
    if 8 + n > size:
        raise _not_safetensors(path, f"its header should be {n} bytes but {size - 8} follow: truncated, or another "
                                     "kind of file")
    try:
        header = json.loads(f.read(n).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _not_safetensors(path, "its header is not JSON") from None
    except RecursionError:
        raise _not_safetensors(path, "its header is nested too deeply") from None
    if not isinstance(header, dict):
        raise _not_safetensors(path, "its header is not a JSON object")
    return header, 8 + n


def _metadata(header: dict, path: Path) -> dict[str, str]:
    """The header's __metadata__: names to strings (save_model records tied tensors there)."""
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _not_safetensors(path, "its __metadata__ is not a map of names to strings")
    return metadata


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, info, path: Path, data_size: int) -> _Entry:
    """One header entry, checked: a dtype this importer reads, a shape, offsets inside the file's data that
    hold exactly shape × item size bytes."""
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise _not_safetensors(path, f"tensor {name!r} is not described by dtype, shape and data_offsets")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in _ITEM_SIZE:
        raise ImportRefused(f"{path}: tensor {name!r} has dtype {dtype}, which this importer cannot read")
    if not isinstance(shape, list) or not all(_whole(d) for d in shape):
        raise _not_safetensors(path, f"tensor {name!r} has shape {shape!r}, not a list of sizes")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_whole(o) for o in offsets) \
            or offsets[0] > offsets[1]:
        raise _not_safetensors(path, f"tensor {name!r} has data_offsets {offsets!r}, not [start, end]")
    start, end = offsets
    if end > data_size:
        raise _not_safetensors(path, f"tensor {name!r} ends at byte {end} of the data, which has {data_size}: "
                                     "truncated, or the header is wrong")
    if end - start != math.prod(shape) * _ITEM_SIZE[dtype]:
        raise _not_safetensors(path, f"tensor {name!r}: {end - start} bytes for shape {shape} of {dtype}")
    return _Entry(name, dtype, tuple(shape), start, end)


def _decode(raw: np.ndarray, entry: _Entry) -> np.ndarray:
    """The tensor from its raw little-endian bytes (a uint8 array); bfloat16 widened to float32 exactly."""
    if entry.dtype == "BF16":
        wide = raw.view("<u2").astype(np.uint32) << 16
        return wide.view(np.float32).reshape(entry.shape)
    return raw.view(_NUMPY_DTYPES[entry.dtype]).reshape(entry.shape)


def _read_entry(f, entry: _Entry, data_start: int, path: Path) -> np.ndarray:
    """Read the entry's bytes, and no others, into place."""
    raw = np.empty(entry.end - entry.start, np.uint8)
    f.seek(data_start + entry.start)
    if f.readinto(memoryview(raw)) != raw.size:
        raise _not_safetensors(path, f"tensor {entry.name!r} ends past the end of the file")
    return _decode(raw, entry)


def _read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, str]]:
    """The file's tensors, its metadata and the dtypes: the whole header is checked, and the tensors' sizes
    summed against the cap, before any tensor is read; then each is read from its own offsets."""
    size = check_file_size(path)
    with path.open("rb") as f:
        header, data_start = _header(f, path, size)
        metadata = _metadata(header, path)
        entries = [_entry(name, info, path, size - data_start) for name, info in header.items()]
        budget = Budget(path, "its tensors")
        for entry in entries:
            budget.take(entry.end - entry.start, f"tensor {entry.name!r} ({size_text(entry.end - entry.start)})")
        arrays = {entry.name: _read_entry(f, entry, data_start, path) for entry in entries}
    return arrays, metadata, {entry.name: entry.dtype for entry in entries}


def _npy_header(member: MemberReader, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    """An .npy member's shape, Fortran order and dtype, from its header alone (read_magic's own checks)."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(member)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(member)
    except ImportRefused:  # a ValueError too: the member reader's own refusal
        raise
    except ValueError as e:
        raise ImportRefused(f"{path}: member {member.name} is not an .npy array ({brief(e)}); {NPZ_HINT}") from None
    raise ImportRefused(f"{path}: member {member.name} is an .npy array of format {version}, which this importer "
                        f"does not read; {NPZ_HINT}")


def _npy_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: Budget) -> np.ndarray:
    """One array of an .npz: its header checked (no objects, a sane shape), then exactly its bytes read."""
    name = info.filename
    with MemberReader(z, info, path, budget) as member:
        shape, fortran, dtype = _npy_header(member, path)
        if dtype.hasobject:
            raise ImportRefused(f"{path}: holds pickled objects ({name}), which are never loaded; {NPZ_HINT}")
        if dtype.kind not in "biuf" or dtype.itemsize == 0:
            raise ImportRefused(f"{path}: member {name} holds {dtype}, not numbers; {NPZ_HINT}")
        if not all(_whole(d) for d in shape):
            raise ImportRefused(f"{path}: member {name} has shape {shape}; {NPZ_HINT}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size:
            raise ImportRefused(f"{path}: member {name} declares a {dtype} array of shape {shape} "
                                f"({size_text(nbytes)}) but holds {size_text(info.file_size)}; the file is damaged: "
                                "save it again")
        raw = member.read_array(nbytes, f"its {dtype} array of shape {shape}")
    return raw.view(dtype).reshape(shape, order="F" if fortran else "C")


def _read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays of an np.savez file, each member's declared and actual size held to the caps."""
    check_file_size(path)
    z = open_zip(path, ".npz file", NPZ_HINT)
    budget = Budget(path, "its unzipped arrays")
    with z:
        arrays = {info.filename.removesuffix(".npy"): _npy_member(z, info, path, budget)
                  for info in z.infolist() if not info.is_dir()}
    return arrays, {name: str(a.dtype) for name, a in arrays.items()}


def _float32(a: np.ndarray, name: str, path: Path) -> np.ndarray:
    """The tensor as float32: exact from float16 and bfloat16, rounded from float64, refused past float32's range."""
    try:
        with np.errstate(over="raise"):
            return np.ascontiguousarray(a, dtype=np.float32)
    except FloatingPointError:
        raise ImportRefused(f"{path}: tensor {name!r} holds {a.dtype} values past float32's range (±3.4e38), which "
                            "the app computes in") from None


def read_tensor_file(path: Path) -> TensorFile:
    """Read FILE (.safetensors or .npz); every float tensor becomes float32, others are set aside."""
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"{path} does not exist")
    with path.open("rb") as f:
        head = f.read(8)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays, dtypes = _read_npz(path)
        metadata: dict[str, str] = {}
    elif suffix == ".safetensors" or (suffix not in PICKLE_SUFFIXES and not _looks_pickled(path, head)):
        arrays, metadata, dtypes = _read_safetensors(path)
    else:
        arrays = {}
    if not arrays and _looks_pickled(path, head):
        raise ImportRefused(f"{path} is a pickled PyTorch file, which this app never loads (unpickling can run "
                            f"any code); {EXPORT_HINT}")
    tensors, kept_dtypes, skipped = {}, {}, []
    for name, a in arrays.items():
        if a.dtype.kind == "f" or dtypes.get(name) == "BF16":
            tensors[name] = _float32(a, name, path)
            kept_dtypes[name] = dtypes.get(name, str(a.dtype))
        else:
            skipped.append(name)
    if not tensors:
        raise ImportRefused(f"{path} holds no float tensors")
    return TensorFile(tensors, dict(metadata), kept_dtypes, tuple(sorted(skipped)))
