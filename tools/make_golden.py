"""Write golden traces computed by PyTorch for every cell of the registry, for tests/engine/test_golden.py.

Run by hand from the repository root (needs torch; never run in CI):

    python tools/make_golden.py              # every cell of app.engine.cells.CELLS
    python tools/make_golden.py gru rnn      # only these cells

For each cell and each of its configurations below it builds `nn.Embedding(V, E)` (or one-hot inputs over V
when E = 0) + the cell's torch module (`nn.LSTM`, `nn.RNN(nonlinearity="tanh")`, `nn.GRU`) with L layers of H
units in float32, runs it one token at a time from a random initial state and writes one
`tests/golden/<cell>/NAME.safetensors` holding

    the state_dict tensors     embedding.weight (V, E), <cell>.weight_ih_l{k} (rows·H, In), <cell>.weight_hh_l{k}
                               (rows·H, H), <cell>.bias_ih_l{k}, <cell>.bias_hh_l{k} (rows·H,), optionally
                               decoder.weight (V, H) and decoder.bias (V,)
    golden.ids (T,) int64      the token ids
    golden.{s}0 (L, H)         the initial state, one per state s of the cell (h0; c0 for an LSTM)
    golden.l{k}.{q} (T, H)     every quantity q the cell records (CellSpec.quantities), per layer: the states
                               (h, c) are torch's own h_n[k] (c_n[k]) after each step; the others are recomputed
                               with torch ops from the torch weights, torch's previous state and the layer's input
                               (LSTM i, f, g, o; RNN the pre-activation a; GRU r, z, n), and checked against
                               torch's next state
    golden.final.{s} (L, H)    the final state of one fused call over the whole sequence
    golden.logits (T, V)       when the configuration has a decoder: decoder(top layer's h)

and the configuration (cell, V, E, H, L, T, seed, scales, the cell's card options, torch version) as string
metadata. A cell registered in app.engine.cells without a torch module here is an error: add one (and its
golden files) with the cell.

Weights are drawn from U(−weight_scale, weight_scale), larger than torch's default U(−1/√H, 1/√H) so that
gates reach saturation, but for the vanilla RNN small enough to keep the recurrence near the edge of chaos:
a chaotic map would amplify float32 rounding differences between two correct implementations beyond any
fixed tolerance. h0 ~ U(−1, 1); an LSTM's c0 ~ N(0, state_scale²).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.cells import CELLS  # noqa: E402  (the registry, after the repository is on the path)

GOLDEN_DIR = ROOT / "tests" / "golden"


@dataclass(frozen=True)
class Config:
    """One golden case. E = 0 means no embedding: one-hot inputs over V, so the cell's input size is V."""

    name: str
    V: int
    E: int
    H: int
    L: int
    T: int
    seed: int
    weight_scale: float
    state_scale: float = 1.0
    decoder: bool = False


def _lstm_step(module: nn.LSTM, k: int, x: torch.Tensor, prev: dict, new: dict) -> dict[str, torch.Tensor]:
    """i, f, g, o of layer k from its input x (In,) and torch's h_{t-1}; c and h are torch's own."""
    W_ih, W_hh = getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}")
    b = getattr(module, f"bias_ih_l{k}") + getattr(module, f"bias_hh_l{k}")
    z_i, z_f, z_g, z_o = (W_ih @ x + W_hh @ prev["h"] + b).chunk(4)  # PyTorch's row order: i, f, g, o
    q = {"i": torch.sigmoid(z_i), "f": torch.sigmoid(z_f), "g": torch.tanh(z_g), "o": torch.sigmoid(z_o)}
    # The gate order checked: the recomputed gates must reproduce torch's own c_t.
    assert torch.allclose(q["f"] * prev["c"] + q["i"] * q["g"], new["c"], atol=1e-6), "gates do not give torch's c"
    return {**q, "c": new["c"], "h": new["h"]}


def _rnn_step(module: nn.RNN, k: int, x: torch.Tensor, prev: dict, new: dict) -> dict[str, torch.Tensor]:
    """The pre-activation a = W_ih·x + b_ih + W_hh·h_{t-1} + b_hh of layer k; h is torch's own."""
    W_ih, W_hh = getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}")
    a = W_ih @ x + getattr(module, f"bias_ih_l{k}") + W_hh @ prev["h"] + getattr(module, f"bias_hh_l{k}")
    assert torch.allclose(torch.tanh(a), new["h"], atol=1e-6), "tanh(a) is not torch's h"
    return {"h": new["h"], "a": a}


def _gru_step(module: nn.GRU, k: int, x: torch.Tensor, prev: dict, new: dict) -> dict[str, torch.Tensor]:
    """r, z, n of layer k (PyTorch's rows r, z, n; the reset gate applied after W_hn); h is torch's own."""
    W_ih, W_hh = getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}")
    xi = W_ih @ x + getattr(module, f"bias_ih_l{k}")
    hh = W_hh @ prev["h"] + getattr(module, f"bias_hh_l{k}")
    (x_r, x_z, x_n), (h_r, h_z, h_n) = xi.chunk(3), hh.chunk(3)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    assert torch.allclose((1 - z) * n + z * prev["h"], new["h"], atol=1e-6), "r, z, n do not give torch's h"
    return {"r": r, "z": z, "n": n, "h": new["h"]}


@dataclass(frozen=True)
class TorchCell:
    """How torch runs one cell: its module, its state (names in the registry's order) and one step's quantities."""

    module: Callable[[int, int, int], nn.Module]  # (In, H, L) -> the torch module
    states: tuple[str, ...]  # the state torch carries, as the registry names it
    step: Callable  # (module, k, x (In,), previous {state: (H,)}, new {state: (H,)}) -> {quantity: (H,)}
    configs: tuple[Config, ...]


TORCH_CELLS = {
    "lstm": TorchCell(
        module=lambda In, H, L: nn.LSTM(In, H, num_layers=L), states=("h", "c"), step=_lstm_step,
        configs=(
            Config("l1_h1_e3_t1", V=5, E=3, H=1, L=1, T=1, seed=101, weight_scale=1.5),
            Config("l2_h7_e4_t50_decoder", V=11, E=4, H=7, L=2, T=50, seed=202, weight_scale=1.0, decoder=True),
            Config("l3_h7_e5_t50", V=9, E=5, H=7, L=3, T=50, seed=303, weight_scale=0.8, state_scale=2.0),
            Config("l1_h64_e16_t50", V=20, E=16, H=64, L=1, T=50, seed=404, weight_scale=0.3),
            Config("l2_h64_onehot13_t50", V=13, E=0, H=64, L=2, T=50, seed=505, weight_scale=0.25),
            Config("l3_h1_onehot4_t50", V=4, E=0, H=1, L=3, T=50, seed=606, weight_scale=2.0, state_scale=3.0),
            Config("l3_h64_e32_t1", V=17, E=32, H=64, L=3, T=1, seed=707, weight_scale=0.2),
        ),
    ),
    "rnn": TorchCell(
        module=lambda In, H, L: nn.RNN(In, H, num_layers=L, nonlinearity="tanh"), states=("h",), step=_rnn_step,
        configs=(
            Config("l1_h1_e3_t1", V=5, E=3, H=1, L=1, T=1, seed=111, weight_scale=1.5),
            Config("l2_h7_e4_t50_decoder", V=11, E=4, H=7, L=2, T=50, seed=212, weight_scale=0.8, decoder=True),
            Config("l3_h7_e5_t50", V=9, E=5, H=7, L=3, T=50, seed=313, weight_scale=0.9),
            Config("l1_h64_e16_t50", V=20, E=16, H=64, L=1, T=50, seed=414, weight_scale=0.25),
            Config("l2_h64_onehot13_t50", V=13, E=0, H=64, L=2, T=50, seed=515, weight_scale=0.25),
            Config("l3_h1_onehot4_t50", V=4, E=0, H=1, L=3, T=50, seed=616, weight_scale=2.0),
            Config("l3_h64_e32_t1", V=17, E=32, H=64, L=3, T=1, seed=717, weight_scale=0.3),
        ),
    ),
    "gru": TorchCell(  # smaller than the others' where 64 units add nothing: the files stay small
        module=lambda In, H, L: nn.GRU(In, H, num_layers=L), states=("h",), step=_gru_step,
        configs=(
            Config("l1_h1_e3_t1", V=5, E=3, H=1, L=1, T=1, seed=121, weight_scale=1.5),
            Config("l2_h7_e4_t50_decoder", V=11, E=4, H=7, L=2, T=50, seed=222, weight_scale=1.0, decoder=True),
            Config("l3_h7_e5_t50", V=9, E=5, H=7, L=3, T=50, seed=323, weight_scale=0.8),
            Config("l1_h64_e16_t50", V=20, E=16, H=64, L=1, T=50, seed=424, weight_scale=0.3),
            Config("l2_h16_onehot13_t50", V=13, E=0, H=16, L=2, T=50, seed=525, weight_scale=0.6),
            Config("l3_h1_onehot4_t50", V=4, E=0, H=1, L=3, T=50, seed=626, weight_scale=2.0),
            Config("l3_h16_e8_t1", V=17, E=8, H=16, L=3, T=1, seed=727, weight_scale=0.5),
        ),
    ),
}


def layer0_inputs(cfg: Config, embedding: nn.Embedding | None, ids: torch.Tensor) -> torch.Tensor:
    """x_t for layer 0, (T, In): embedding rows, or one-hot vectors over V."""
    if embedding is None:
        return nn.functional.one_hot(ids, cfg.V).to(torch.float32)
    return embedding(ids)


def build_model(cell: TorchCell, cfg: Config) -> tuple[nn.Embedding | None, nn.Module, nn.Linear | None]:
    """The torch modules of one configuration, weights drawn under torch.manual_seed(cfg.seed)."""
    torch.manual_seed(cfg.seed)
    embedding = nn.Embedding(cfg.V, cfg.E) if cfg.E else None
    module = cell.module(cfg.E or cfg.V, cfg.H, cfg.L)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-cfg.weight_scale, cfg.weight_scale)
    decoder = nn.Linear(cfg.H, cfg.V) if cfg.decoder else None
    return embedding, module, decoder


def _pack(cell: TorchCell, state: dict[str, torch.Tensor]):
    """The registry's {state: (L, 1, H)} as the module takes it: h, or the tuple (h, c)."""
    parts = tuple(state[s] for s in cell.states)
    return parts if len(parts) > 1 else parts[0]


def _unpack(cell: TorchCell, out) -> dict[str, torch.Tensor]:
    return dict(zip(cell.states, out if isinstance(out, tuple) else (out,), strict=True))


@torch.no_grad()
def golden_tensors(name: str, cfg: Config) -> dict[str, np.ndarray]:
    """The state_dict tensors and the golden.* tensors of one configuration (see the module docstring)."""
    cell, spec = TORCH_CELLS[name], CELLS[name]
    assert cell.states == spec.states, f"{name}: torch carries {cell.states}, the registry {spec.states}"
    rng = np.random.default_rng(cfg.seed)
    ids_np = rng.integers(0, cfg.V, size=cfg.T, dtype=np.int64)  # (T,)
    initial = {"h": rng.uniform(-1.0, 1.0, size=(cfg.L, cfg.H)).astype(np.float32)}
    for s in cell.states[1:]:
        initial[s] = rng.normal(0.0, cfg.state_scale, size=(cfg.L, cfg.H)).astype(np.float32)
    embedding, module, decoder = build_model(cell, cfg)

    X = layer0_inputs(cfg, embedding, torch.from_numpy(ids_np))  # (T, In)
    state = {s: torch.from_numpy(a) for s, a in initial.items()}  # (L, H) each
    record = {f"l{k}.{q}": [] for k in range(cfg.L) for q in spec.quantities}
    for t in range(cfg.T):
        prev = state
        out = module(X[t : t + 1, None, :], _pack(cell, {s: a[:, None, :] for s, a in prev.items()}))[1]
        state = {s: a[:, 0, :] for s, a in _unpack(cell, out).items()}  # (L, H): every layer's state at t
        for k in range(cfg.L):
            x_k = X[t] if k == 0 else state["h"][k - 1]  # layer k's input at step t
            q = cell.step(module, k, x_k, {s: a[k] for s, a in prev.items()}, {s: a[k] for s, a in state.items()})
            assert tuple(q) == tuple(sorted(q, key=spec.quantities.index)) and set(q) == set(spec.quantities), \
                f"{name}: torch records {tuple(q)}, the registry {spec.quantities}"
            for quantity, value in q.items():
                record[f"l{k}.{quantity}"].append(value)
    stacked = {key: torch.stack(rows).numpy() for key, rows in record.items()}  # each (T, H)

    # The whole sequence in one fused call must agree with the step-by-step run.
    out, final = module(X[:, None, :], _pack(cell, {s: torch.from_numpy(a)[:, None] for s, a in initial.items()}))
    top = stacked[f"l{cfg.L - 1}.h"]
    assert np.allclose(out[:, 0, :].numpy(), top, atol=1e-5), f"{cfg.name}: fused output differs from steps"
    for s, a in _unpack(cell, final).items():
        assert np.allclose(a[:, 0].numpy(), state[s].numpy(), atol=1e-5), f"{cfg.name}: fused final {s} differs"
        stacked[f"final.{s}"] = a[:, 0].numpy()

    tensors = {f"{name}.{key}": p for key, p in module.state_dict().items()}
    if embedding is not None:
        tensors["embedding.weight"] = embedding.weight
    if decoder is not None:
        tensors["decoder.weight"], tensors["decoder.bias"] = decoder.weight, decoder.bias
        stacked["logits"] = decoder(torch.from_numpy(top)).numpy()  # (T, V)
    arrays = {key: t.detach().numpy() for key, t in tensors.items()}
    arrays["golden.ids"] = ids_np
    arrays.update({f"golden.{s}0": a for s, a in initial.items()})
    arrays.update({f"golden.{key}": a for key, a in stacked.items()})
    # safetensors' NumPy writer saves a transposed view's raw memory without complaint.
    return {key: np.ascontiguousarray(a) for key, a in arrays.items()}


def metadata(name: str, cfg: Config) -> dict[str, str]:
    return {
        "cell": name,
        "name": cfg.name,
        "V": str(cfg.V),
        "E": str(cfg.E),
        "H": str(cfg.H),
        "L": str(cfg.L),
        "T": str(cfg.T),
        "seed": str(cfg.seed),
        "weight_scale": str(cfg.weight_scale),
        "state_scale": str(cfg.state_scale),
        "options": json.dumps(CELLS[name].card_options({})),  # torch computes the registry's defaults
        "torch": torch.__version__,
        "numpy": np.__version__,
        "made_by": "tools/make_golden.py",
    }


def main(argv: list[str]) -> int:
    names = argv or list(CELLS)
    missing = [n for n in names if n not in TORCH_CELLS]
    if missing:
        print(f"error: no torch module for cell(s) {missing}: add one to TORCH_CELLS in {__file__}", file=sys.stderr)
        return 2
    unknown = [n for n in names if n not in CELLS]
    if unknown:
        print(f"error: {unknown} are not cells of app.engine.cells; known: {', '.join(CELLS)}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    for name in names:
        folder = GOLDEN_DIR / name
        folder.mkdir(parents=True, exist_ok=True)
        total = 0
        for cfg in TORCH_CELLS[name].configs:
            path = folder / f"{cfg.name}.safetensors"
            save_file(golden_tensors(name, cfg), str(path), metadata=metadata(name, cfg))
            total += path.stat().st_size
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.1f} KiB)")
        print(f"{name}: {total / 1024:.1f} KiB in {len(TORCH_CELLS[name].configs)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
