"""Every cell's NumPy engine against PyTorch: traces recorded by tools/make_golden.py, read here without torch.

Each tests/golden/<cell>/NAME.safetensors holds a model's state_dict tensors (`<cell>.weight_ih_l{k}`, ...) plus
`golden.*` tensors: ids (T,), the initial state `{s}0` (L, H) per state s of the cell, per layer k every quantity
the cell records `l{k}.{q}` (T, H), torch's final state of one fused call `final.{s}` (L, H) and, with a decoder,
`logits` (T, V). The tests run over the registry (app.engine.cells.CELLS): a cell without golden files fails
here, so a new cell brings its torch module in tools/make_golden.py and its files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from app.engine.cells import CELLS
from app.engine.lstm import logits
from app.model_store import params_from_tensors

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
TOLERANCE = 1e-5  # max abs error, float32 engine vs float32 torch


def golden_files(cell: str) -> list[Path]:
    return sorted((GOLDEN_DIR / cell).glob("*.safetensors"))


@cache
def header(path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The file's metadata (cell, V, E, H, L, T, options, ... as strings) and its tensor names."""
    with safe_open(str(path), framework="np") as f:
        return f.metadata(), tuple(f.keys())


@cache
def run_golden(path: Path):
    """Load one golden file and run its cell's engine on it: (golden tensors by short name, trace, params)."""
    meta = header(path)[0]
    cell = CELLS[meta["cell"]]
    tensors = load_file(str(path))
    golden = {name.removeprefix("golden."): a for name, a in tensors.items() if name.startswith("golden.")}
    weights = {name: a for name, a in tensors.items() if not name.startswith("golden.")}
    params = params_from_tensors(weights, int(meta["V"]), cell.name, **json.loads(meta["options"]))
    zero = cell.zero_state(params)
    initial = type(zero)(**{s: golden[f"{s}0"] for s in cell.states})
    return golden, cell.forward(cell.compile(params), golden["ids"], initial), params


ALL_FILES = [path for cell in CELLS for path in golden_files(cell)]
CASES = [  # one per (cell, file, layer, quantity), e.g. "gru-l3_h7_e5_t50-l2.z"
    pytest.param(path, k, q, id=f"{header(path)[0]['cell']}-{path.stem}-l{k}.{q}")
    for path in ALL_FILES
    for k in range(int(header(path)[0]["L"]))
    for q in CELLS[header(path)[0]["cell"]].quantities
]
FILES = [pytest.param(path, id=f"{path.parent.name}-{path.stem}") for path in ALL_FILES]


@pytest.mark.parametrize("cell", list(CELLS))
def test_every_cell_has_golden_files_covering_the_configurations_they_promise(cell):
    files = golden_files(cell)
    assert len(files) >= 6, f"expected at least 6 golden files in {GOLDEN_DIR / cell}: run tools/make_golden.py {cell}"
    metas = [header(path)[0] for path in files]
    assert {m["cell"] for m in metas} == {cell} and {m["made_by"] for m in metas} == {"tools/make_golden.py"}
    assert {m["L"] for m in metas} >= {"1", "2", "3"}
    assert {m["H"] for m in metas} >= {"1", "7", "64"}
    assert {m["T"] for m in metas} >= {"1", "50"}
    assert any(m["E"] == "0" for m in metas), "no model without an embedding (one-hot inputs)"
    assert any("decoder.weight" in header(path)[1] for path in files), "no golden file holds a decoder"
    for path in files:  # every quantity the cell records, of every layer, and its final state
        names, L = set(header(path)[1]), int(header(path)[0]["L"])
        want = {f"golden.l{k}.{q}" for k in range(L) for q in CELLS[cell].quantities}
        want |= {f"golden.{s}0" for s in CELLS[cell].states} | {f"golden.final.{s}" for s in CELLS[cell].states}
        assert want <= names, (path.name, sorted(want - names))


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_golden_numbers_reach_saturation(cell):
    """Weights large enough that tanh is tested in its curved and its flat parts, not only near 0: some quantity
    on tanh's scale (the RNN's h, the LSTM's g, the GRU's n) is beyond ±0.9 in more than 3 % of its values."""
    spec = CELLS[cell]
    names = [q for q in spec.quantities if spec.panels[q]["scale"] == "tanh"]
    assert names, f"{cell} records nothing on tanh's scale"
    flat, curved = [], []
    for q in names:
        values = np.concatenate([run_golden(path)[0][f"l{k}.{q}"].ravel() for path in golden_files(cell)
                                 for k in range(int(header(path)[0]["L"]))])
        flat.append(np.mean(np.abs(values) > 0.9))
        curved.append(np.mean(np.abs(values) < 0.5))
    assert max(flat) > 0.03 and min(curved) > 0.2, dict(zip(names, zip(flat, curved, strict=True), strict=True))


@pytest.mark.parametrize(("path", "k", "q"), CASES)
def test_engine_matches_torch(path: Path, k: int, q: str):
    golden, trace, _ = run_golden(path)
    expected = golden[f"l{k}.{q}"]  # (T, H)
    got = trace.layers[k][q]
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    error = float(np.max(np.abs(got.astype(np.float64) - expected)))
    assert error <= TOLERANCE, f"layer {k} {q}: max abs error {error:.2e} > {TOLERANCE:.0e}"


@pytest.mark.parametrize("path", FILES)
def test_the_final_state_is_torchs_and_the_last_step(path: Path):
    golden, trace, params = run_golden(path)
    for s in CELLS[header(path)[0]["cell"]].states:
        last = np.stack([golden[f"l{k}.{s}"][-1] for k in range(params.num_layers)])  # (L, H)
        got = getattr(trace.final, s)
        assert got.shape == golden[f"final.{s}"].shape
        assert np.max(np.abs(got - golden[f"final.{s}"])) <= TOLERANCE, s
        assert np.max(np.abs(got - last)) <= TOLERANCE, s


DECODER_FILES = [p for p in FILES if "decoder.weight" in header(p.values[0])[1]]


@pytest.mark.parametrize("path", DECODER_FILES)
def test_logits_match_torch(path: Path):
    golden, trace, params = run_golden(path)
    got = logits(params, trace.layers[-1].h)  # (T, V)
    assert got.shape == golden["logits"].shape
    error = float(np.max(np.abs(got.astype(np.float64) - golden["logits"])))
    assert error <= TOLERANCE, f"logits: max abs error {error:.2e}"
