"""Named tensors from `.safetensors` and `.npz` files, without pickle, as float32 NumPy arrays.

safetensors' own NumPy loader cannot read bfloat16 (NumPy has no such type), so the file is read
here: 8 bytes of header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw
little-endian data. bfloat16 is the top half of a float32, so widening it is exact; so is float16's.
Pickled PyTorch files (.pt, .pth, .bin, .ckpt) are refused: unpickling can run any code.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.importers.errors import ImportRefused

EXPORT_HINT = (
    "export the state_dict once, in Python where the model is loaded:\n"
    '    from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors")\n'
    "(with tied weights, save_file refuses shared tensors: use "
    'from safetensors.torch import save_model; save_model(model, "model.safetensors"))'
)
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


def _looks_pickled(path: Path, head: bytes) -> bool:
    if path.suffix.lower() in PICKLE_SUFFIXES or head[:1] == b"\x80":
        return True
    if head[:2] == b"PK":  # torch.save's zip: a folder holding data.pkl
        try:
            with zipfile.ZipFile(path) as z:
                return any(name.endswith("data.pkl") for name in z.namelist())
        except zipfile.BadZipFile:
            return False
    return False


def _decode(raw: bytes, dtype: str, shape: list[int], name: str) -> np.ndarray:
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != count * _ITEM_SIZE[dtype]:
        raise ImportRefused(f"tensor {name!r}: {len(raw)} bytes for shape {shape} of {dtype}")
    if dtype == "BF16":
        wide = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
        return wide.view(np.float32).reshape(shape)
    return np.frombuffer(raw, _NUMPY_DTYPES[dtype]).reshape(shape)


def _read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, str]]:
    raw = path.read_bytes()
    try:
        n = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8 : 8 + n])
        assert isinstance(header, dict)
    except (ValueError, AssertionError, UnicodeDecodeError):
        raise ImportRefused(f"{path}: not a safetensors file (its header is not JSON)") from None
    metadata = header.pop("__metadata__", None) or {}
    body = raw[8 + n :]
    arrays, dtypes = {}, {}
    for name, info in header.items():
        dtype = info.get("dtype")
        if dtype not in _ITEM_SIZE:
            raise ImportRefused(f"{path}: tensor {name!r} has dtype {dtype}, which this importer cannot read")
        start, end = info["data_offsets"]
        arrays[name] = _decode(body[start:end], dtype, info["shape"], name)
        dtypes[name] = dtype
    return arrays, metadata, dtypes


def _read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as e:
        raise ImportRefused(f"{path}: holds pickled objects, which are never loaded ({e}); save plain arrays with "
                            "np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})") from None
    except (OSError, zipfile.BadZipFile) as e:
        raise ImportRefused(f"{path}: not a readable .npz file ({e})") from None
    return arrays, {name: str(a.dtype) for name, a in arrays.items()}


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
            tensors[name] = np.ascontiguousarray(a, dtype=np.float32)
            kept_dtypes[name] = dtypes.get(name, str(a.dtype))
        else:
            skipped.append(name)
    if not tensors:
        raise ImportRefused(f"{path} holds no float tensors")
    return TensorFile(tensors, dict(metadata), kept_dtypes, tuple(sorted(skipped)))
