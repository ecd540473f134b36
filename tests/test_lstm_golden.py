"""The NumPy engine against PyTorch: traces recorded by tools/make_golden.py, read here without torch.

Each tests/golden/NAME.safetensors holds a model's state_dict tensors plus `golden.*` tensors:
ids (T,), h0 and c0 (L, H), per layer k `golden.l{k}.{i,f,g,o,c,h}` (T, H) and, with a decoder,
`golden.logits` (T, V). See tools/make_golden.py for how torch produced them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from app.engine.lstm import QUANTITIES, LSTMParams, State, Trace, compile_params, forward, logits
from app.model_store import params_from_tensors

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.safetensors"))
TOLERANCE = 1e-5  # max abs error, float32 engine vs float32 torch


def _header(path: Path) -> tuple[dict[str, str], list[str]]:
    """The file's metadata (V, E, H, L, T, ... as strings) and its tensor names."""
    with safe_open(str(path), framework="np") as f:
        return f.metadata(), list(f.keys())


# One case per (file, layer, quantity), e.g. "l3_h7_e5_t50-l2.f".
CASES = [
    pytest.param(path, k, q, id=f"{path.stem}-l{k}.{q}")
    for path in GOLDEN_FILES
    for k in range(int(_header(path)[0]["L"]))
    for q in QUANTITIES
]


@cache
def run_golden(path: Path) -> tuple[dict[str, np.ndarray], Trace, LSTMParams]:
    """Load one golden file, run the engine on it; returns (golden tensors by short name, trace, params)."""
    V = int(_header(path)[0]["V"])
    tensors = load_file(str(path))
    golden = {name.removeprefix("golden."): a for name, a in tensors.items() if name.startswith("golden.")}
    weights = {name: a for name, a in tensors.items() if not name.startswith("golden.")}
    params = params_from_tensors(weights, vocab_size=V)
    trace = forward(compile_params(params), golden["ids"], State(h=golden["h0"], c=golden["c0"]))
    return golden, trace, params


def test_golden_files_exist():
    assert len(GOLDEN_FILES) >= 6, f"expected at least 6 golden files in {GOLDEN_DIR}; run tools/make_golden.py"


def test_golden_files_cover_the_configurations_they_promise():
    metas = [_header(path)[0] for path in GOLDEN_FILES]
    assert {m["L"] for m in metas} >= {"1", "2", "3"}
    assert {m["H"] for m in metas} >= {"1", "7", "64"}
    assert {m["T"] for m in metas} >= {"1", "50"}
    assert any(m["E"] == "0" for m in metas), "no model without an embedding (one-hot inputs)"


@pytest.mark.parametrize(("path", "k", "q"), CASES)
def test_engine_matches_torch(path: Path, k: int, q: str):
    golden, trace, _ = run_golden(path)
    expected = golden[f"l{k}.{q}"]  # (T, H)
    got = trace.layers[k][q]
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    error = float(np.max(np.abs(got.astype(np.float64) - expected)))
    assert error <= TOLERANCE, f"layer {k} {q}: max abs error {error:.2e} > {TOLERANCE:.0e}"


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_final_state_is_the_last_step(path: Path):
    golden, trace, params = run_golden(path)
    L = params.num_layers
    expected_h = np.stack([golden[f"l{k}.h"][-1] for k in range(L)])  # (L, H)
    expected_c = np.stack([golden[f"l{k}.c"][-1] for k in range(L)])
    assert np.max(np.abs(trace.final.h - expected_h)) <= TOLERANCE
    assert np.max(np.abs(trace.final.c - expected_c)) <= TOLERANCE


DECODER_FILES = [path for path in GOLDEN_FILES if "decoder.weight" in _header(path)[1]]


def test_some_golden_file_has_a_decoder():
    assert DECODER_FILES, "no golden file holds a decoder, so logits are untested"


@pytest.mark.parametrize("path", DECODER_FILES, ids=lambda p: p.stem)
def test_logits_match_torch(path: Path):
    golden, trace, params = run_golden(path)
    got = logits(params, trace.layers[-1].h)  # (T, V)
    assert got.shape == golden["logits"].shape
    error = float(np.max(np.abs(got.astype(np.float64) - golden["logits"])))
    assert error <= TOLERANCE, f"logits: max abs error {error:.2e}"
