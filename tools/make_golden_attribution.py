"""Write golden attributions computed with torch autograd, for tests/analysis/test_attribution_golden.py.

Run by hand from the repository root (needs torch; never run in CI):

    python tools/make_golden_attribution.py

For every cell of app.engine.cells.CELLS (its torch module: nn.LSTM, nn.RNN(tanh), nn.GRU), with an embedding and
with one-hot inputs, a random two-layer model with a decoder (weights drawn in float32, run in float64) and a
random text; f(x) = log_softmax(decoder(h_last))[target] with x the first layer's inputs (embedding rows or
one-hot vectors, a leaf tensor). Written to tests/golden/attribution/<cell>_<inputs>.safetensors:

    the state_dict tensors (float32)   as tools/make_golden.py writes them
    golden.ids (T,) int64, golden.target (1,) int64
    golden.grad_input (T,)             (x · ∂f/∂x).sum over the input
    golden.connectivity (T,)           ‖∂ logit_target/∂x_t‖²
    golden.integrated_gradients (T,)   x · mean of ∂f/∂x at α_j x, α_j = (j + ½)/m, m = 8
    golden.occlusion (T,)              f(x) − f(x with token t replaced by id 0)

and metadata: cell, V, E, H, L, T, m, unk (0), options (the cell's defaults), torch version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.cells import CELLS  # noqa: E402

OUT = ROOT / "tests" / "golden" / "attribution"
MODULES = {"lstm": lambda In, H, L: nn.LSTM(In, H, num_layers=L), "gru": lambda In, H, L: nn.GRU(In, H, num_layers=L),
           "rnn": lambda In, H, L: nn.RNN(In, H, num_layers=L, nonlinearity="tanh")}
V, H, L, T, M, UNK = 11, 6, 2, 9, 8, 0


def write(cell: str, E: int, seed: int) -> Path:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    In = V if E == 0 else E
    rnn = MODULES[cell](In, H, L)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, tuple(p.shape)).astype(np.float32)))
    embedding = rng.normal(size=(V, E)).astype(np.float32) if E else None
    W_dec = rng.uniform(-0.8, 0.8, (V, H)).astype(np.float32)
    b_dec = rng.uniform(-0.5, 0.5, V).astype(np.float32)
    ids = rng.integers(0, V, T)
    target = int(rng.integers(0, V))
    rnn = rnn.double()
    dec_w, dec_b = torch.from_numpy(W_dec).double(), torch.from_numpy(b_dec).double()

    def inputs(ids_: np.ndarray) -> torch.Tensor:
        if E:
            return torch.from_numpy(embedding).double()[torch.from_numpy(ids_)]
        return torch.eye(V, dtype=torch.float64)[torch.from_numpy(ids_)]

    def logits(x: torch.Tensor) -> torch.Tensor:  # x (T, In) -> the last step's logits (V,)
        out, _ = rnn(x[:, None, :])
        return out[-1, 0] @ dec_w.T + dec_b

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(logits(x), -1)[target]

    x = inputs(ids).clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    grad_input = (x * g).sum(-1)
    x2 = inputs(ids).clone().requires_grad_(True)
    (gl,) = torch.autograd.grad(logits(x2)[target], x2)
    connectivity = (gl**2).sum(-1)
    total = torch.zeros_like(x)
    for j in range(M):
        xa = ((j + 0.5) / M * inputs(ids)).requires_grad_(True)
        total += torch.autograd.grad(f(xa), xa)[0]
    integrated = (inputs(ids) * total / M).sum(-1)
    with torch.no_grad():
        whole = f(inputs(ids))
        occlusion = []
        for t in range(T):
            other = ids.copy()
            other[t] = UNK
            occlusion.append(float(whole - f(inputs(other))))
    tensors = {name: p.detach().float().numpy() for name, p in rnn.state_dict().items()}
    tensors = {f"{cell}.{name}": a for name, a in tensors.items()}
    if E:
        tensors["embedding.weight"] = embedding
    tensors.update({"decoder.weight": W_dec, "decoder.bias": b_dec, "golden.ids": ids.astype(np.int64),
                    "golden.target": np.array([target], np.int64),
                    "golden.grad_input": grad_input.detach().numpy(),
                    "golden.connectivity": connectivity.numpy(),
                    "golden.integrated_gradients": integrated.detach().numpy(),
                    "golden.occlusion": np.array(occlusion)})
    options = {key: allowed[0] for key, allowed in CELLS[cell].options.items()}
    meta = {"cell": cell, "V": str(V), "E": str(E), "H": str(H), "L": str(L), "T": str(T), "m": str(M),
            "unk": str(UNK), "options": json.dumps(options), "torch": torch.__version__}
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{cell}_{'embedding' if E else 'onehot'}.safetensors"
    save_file({k: np.ascontiguousarray(a) for k, a in tensors.items()}, str(path), metadata=meta)
    return path


def main() -> None:
    missing = set(CELLS) - set(MODULES)
    if missing:
        raise SystemExit(f"no torch module for cell(s) {sorted(missing)}: add one here")
    for n, cell in enumerate(sorted(CELLS)):
        for E in (4, 0):
            print(write(cell, E, seed=1000 + 10 * n + E))


if __name__ == "__main__":
    main()
