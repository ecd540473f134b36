"""Attribution against torch autograd: golden files written by tools/make_golden_attribution.py (every cell, with an
embedding and one-hot inputs; read here without torch). Every method's scores equal autograd's to float64
rounding; a cell of the registry without golden files fails here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from app.analysis import attribution as attr
from app.engine.cells import CELLS
from app.model_store import params_from_tensors

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "attribution"
FILES = sorted(GOLDEN.glob("*.safetensors"))


def test_every_cell_has_golden_files_with_and_without_an_embedding():
    assert {p.stem for p in FILES} == {f"{cell}_{inputs}" for cell in CELLS for inputs in ("embedding", "onehot")}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_method_equals_torch_autograd(path):
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
    tensors = load_file(str(path))
    golden = {k.removeprefix("golden."): a for k, a in tensors.items() if k.startswith("golden.")}
    weights = {k: a for k, a in tensors.items() if not k.startswith("golden.")}
    cell = CELLS[meta["cell"]]
    net = attr.network(cell, params_from_tensors(weights, int(meta["V"]), cell.name, **json.loads(meta["options"])))
    ids, target = golden["ids"], int(golden["target"][0])
    got = {
        "grad_input": attr.grad_input(net, ids, target).scores,
        "connectivity": attr.connectivity(net, ids, target).scores,
        "integrated_gradients": attr.integrated_gradients(net, ids, target, int(meta["m"])).scores,
        "occlusion": attr.occlusion(net, ids, target, int(meta["unk"])).scores,
    }
    for method, scores in got.items():
        assert np.allclose(scores, golden[method], rtol=1e-9, atol=1e-11), method
