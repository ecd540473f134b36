"""Write golden LSTM traces computed by PyTorch, for tests/test_lstm_golden.py.

Run by hand from the repository root (needs torch; never run in CI):

    python tools/make_golden.py

For each configuration below it builds `nn.Embedding(V, E)` (or one-hot inputs over V when E = 0)
+ `nn.LSTM(In, H, num_layers=L)` in float32, runs it one token at a time from a random (h0, c0) and
writes one `tests/golden/NAME.safetensors` holding

    the state_dict tensors    embedding.weight (V, E), lstm.weight_ih_l{k} (4H, In), lstm.weight_hh_l{k} (4H, H),
                              lstm.bias_ih_l{k} (4H,), lstm.bias_hh_l{k} (4H,), optionally decoder.weight (V, H)
                              and decoder.bias (V,)
    golden.ids (T,) int64     the token ids
    golden.h0, golden.c0      (L, H) the initial state
    golden.l{k}.{i,f,g,o,c,h} (T, H) per layer: h and c are torch's own h_n[k] and c_n[k] after each step;
                              i, f, g, o are recomputed with torch ops from the torch weights, torch's
                              h_{t-1} and the layer's input (gate order i, f, g, o; bias b_ih + b_hh)
    golden.logits (T, V)      when the configuration has a decoder: decoder(top layer's h)

and the configuration (V, E, H, L, T, seeds, torch version) as string metadata.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from torch import nn

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"


@dataclass(frozen=True)
class Config:
    """One golden case. E = 0 means no embedding: one-hot inputs over V, so the LSTM's input size is V.

    weight_scale: LSTM weights and biases are drawn from U(-weight_scale, weight_scale), larger than
    torch's default U(-1/√H, 1/√H) so that the gates reach saturation and not only values near ½.
    state_scale: c0 ~ N(0, state_scale²); h0 ~ U(-1, 1), the range an LSTM's h can take.
    """

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


CONFIGS = (
    Config("l1_h1_e3_t1", V=5, E=3, H=1, L=1, T=1, seed=101, weight_scale=1.5),
    Config("l2_h7_e4_t50_decoder", V=11, E=4, H=7, L=2, T=50, seed=202, weight_scale=1.0, decoder=True),
    Config("l3_h7_e5_t50", V=9, E=5, H=7, L=3, T=50, seed=303, weight_scale=0.8, state_scale=2.0),
    Config("l1_h64_e16_t50", V=20, E=16, H=64, L=1, T=50, seed=404, weight_scale=0.3),
    Config("l2_h64_onehot13_t50", V=13, E=0, H=64, L=2, T=50, seed=505, weight_scale=0.25),
    Config("l3_h1_onehot4_t50", V=4, E=0, H=1, L=3, T=50, seed=606, weight_scale=2.0, state_scale=3.0),
    Config("l3_h64_e32_t1", V=17, E=32, H=64, L=3, T=1, seed=707, weight_scale=0.2),
)


def build_model(cfg: Config) -> tuple[nn.Embedding | None, nn.LSTM, nn.Linear | None]:
    """The torch modules of one configuration, weights drawn under torch.manual_seed(cfg.seed)."""
    torch.manual_seed(cfg.seed)
    embedding = nn.Embedding(cfg.V, cfg.E) if cfg.E else None
    lstm = nn.LSTM(cfg.E or cfg.V, cfg.H, num_layers=cfg.L)
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-cfg.weight_scale, cfg.weight_scale)
    decoder = nn.Linear(cfg.H, cfg.V) if cfg.decoder else None
    return embedding, lstm, decoder


def layer0_inputs(cfg: Config, embedding: nn.Embedding | None, ids: torch.Tensor) -> torch.Tensor:
    """x_t for layer 0, (T, In): embedding rows, or one-hot vectors over V."""
    if embedding is None:
        return nn.functional.one_hot(ids, cfg.V).to(torch.float32)
    return embedding(ids)


def gates(lstm: nn.LSTM, k: int, x: torch.Tensor, h_prev: torch.Tensor) -> dict[str, torch.Tensor]:
    """i, f, g, o (each (H,)) of layer k from its input x (In,) and h_prev (H,), with torch ops."""
    W_ih, W_hh = getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}")
    b = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
    z_i, z_f, z_g, z_o = (W_ih @ x + W_hh @ h_prev + b).chunk(4)  # PyTorch's row order: i, f, g, o
    return {"i": torch.sigmoid(z_i), "f": torch.sigmoid(z_f), "g": torch.tanh(z_g), "o": torch.sigmoid(z_o)}


@torch.no_grad()
def golden_tensors(cfg: Config) -> dict[str, np.ndarray]:
    """The state_dict tensors and the golden.* tensors of one configuration (see the module docstring)."""
    rng = np.random.default_rng(cfg.seed)
    ids_np = rng.integers(0, cfg.V, size=cfg.T, dtype=np.int64)  # (T,)
    h0_np = rng.uniform(-1.0, 1.0, size=(cfg.L, cfg.H)).astype(np.float32)
    c0_np = rng.normal(0.0, cfg.state_scale, size=(cfg.L, cfg.H)).astype(np.float32)
    embedding, lstm, decoder = build_model(cfg)

    ids = torch.from_numpy(ids_np)
    X = layer0_inputs(cfg, embedding, ids)  # (T, In)
    h, c = torch.from_numpy(h0_np), torch.from_numpy(c0_np)  # (L, H) each
    record = {f"l{k}.{q}": [] for k in range(cfg.L) for q in "ifgoch"}
    for t in range(cfg.T):
        h_prev, c_prev = h, c
        _, (h, c) = lstm(X[t : t + 1, None, :], (h_prev[:, None, :], c_prev[:, None, :]))
        h, c = h[:, 0, :], c[:, 0, :]  # (L, H): every layer's h_t, c_t as torch computed them
        for k in range(cfg.L):
            x_k = X[t] if k == 0 else h[k - 1]  # layer k's input at step t
            g = gates(lstm, k, x_k, h_prev[k])
            # Sanity check of the gate order: the recomputed gates must reproduce torch's own c_t.
            c_check = g["f"] * c_prev[k] + g["i"] * g["g"]
            assert torch.allclose(c_check, c[k], atol=1e-6), f"{cfg.name}: gates do not give torch's c"
            for q in "ifgo":
                record[f"l{k}.{q}"].append(g[q])
            record[f"l{k}.c"].append(c[k])
            record[f"l{k}.h"].append(h[k])
    stacked = {name: torch.stack(rows).numpy() for name, rows in record.items()}  # each (T, H)

    # The whole sequence in one fused call must agree with the step-by-step run.
    out, (h_n, c_n) = lstm(X[:, None, :], (torch.from_numpy(h0_np)[:, None], torch.from_numpy(c0_np)[:, None]))
    top = stacked[f"l{cfg.L - 1}.h"]
    assert np.allclose(out[:, 0, :].numpy(), top, atol=1e-6), f"{cfg.name}: fused output differs from steps"
    assert np.allclose(h_n[:, 0].numpy(), h.numpy(), atol=1e-6), f"{cfg.name}: fused h_n differs"
    assert np.allclose(c_n[:, 0].numpy(), c.numpy(), atol=1e-6), f"{cfg.name}: fused c_n differs"

    tensors = {f"lstm.{name}": p for name, p in lstm.state_dict().items()}
    if embedding is not None:
        tensors["embedding.weight"] = embedding.weight
    if decoder is not None:
        tensors["decoder.weight"], tensors["decoder.bias"] = decoder.weight, decoder.bias
        stacked["logits"] = decoder(torch.from_numpy(top)).numpy()  # (T, V)
    arrays = {name: t.detach().numpy() for name, t in tensors.items()}
    arrays["golden.ids"] = ids_np
    arrays["golden.h0"], arrays["golden.c0"] = h0_np, c0_np
    arrays.update({f"golden.{name}": a for name, a in stacked.items()})
    # safetensors' NumPy writer saves a transposed view's raw memory without complaint.
    return {name: np.ascontiguousarray(a) for name, a in arrays.items()}


def metadata(cfg: Config) -> dict[str, str]:
    return {
        "name": cfg.name,
        "V": str(cfg.V),
        "E": str(cfg.E),
        "H": str(cfg.H),
        "L": str(cfg.L),
        "T": str(cfg.T),
        "seed": str(cfg.seed),
        "weight_scale": str(cfg.weight_scale),
        "state_scale": str(cfg.state_scale),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "made_by": "tools/make_golden.py",
    }


def main() -> int:
    torch.set_num_threads(1)
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    total = 0
    for cfg in CONFIGS:
        path = GOLDEN_DIR / f"{cfg.name}.safetensors"
        save_file(golden_tensors(cfg), str(path), metadata=metadata(cfg))
        size = path.stat().st_size
        total += size
        print(f"wrote {path.relative_to(GOLDEN_DIR.parent.parent)} ({size / 1024:.1f} KiB)")
    print(f"total {total / 1024:.1f} KiB in {len(CONFIGS)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
