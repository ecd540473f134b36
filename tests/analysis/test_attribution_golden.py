"""Attribution against torch autograd: golden files written by tools/make_golden_attribution.py (every cell with its
default options and with other options, with an embedding and one-hot inputs; read here without torch). Every
method's scores equal autograd's to float64 rounding; a cell of the registry without golden files, or an option
value no golden file has, fails here."""

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
from tests.helpers import RELU_RNN, variant_id

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "attribution"
FILES = sorted(GOLDEN.glob("*.safetensors"))


def metadata(path: Path) -> dict:
    with safe_open(str(path), framework="np") as f:
        return f.metadata()


def test_every_cell_and_option_value_has_golden_files_with_and_without_an_embedding():
    """Each file is named after its cell and options (tests.helpers.variant_id); every cell's defaults and every
    allowed value of each of its options (and an RNN's relu, which its gradients have) come with both inputs."""
    stems = {p.stem for p in FILES}
    variants = {(meta["cell"], meta["options"]) for meta in map(metadata, FILES)}
    assert stems == {f"{variant_id(cell, json.loads(options))}_{inputs}" for cell, options in variants
                     for inputs in ("embedding", "onehot")}
    assert {f"{cell}_{inputs}" for cell in CELLS for inputs in ("embedding", "onehot")} <= stems
    wanted = {(cell, key, value) for cell, spec in CELLS.items() for key, allowed in spec.options.items()
              for value in allowed} | {(RELU_RNN[0], *item) for item in RELU_RNN[1].items()}
    have = {(cell, key, value) for cell, options in variants for key, value in json.loads(options).items()}
    assert wanted <= have, wanted - have


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_method_equals_torch_autograd(path):
    meta = metadata(path)
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
