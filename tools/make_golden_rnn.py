"""Write golden vanilla-RNN traces computed by PyTorch, for tests/test_rnn_golden.py.

Run by hand from the repository root (needs torch; never run in CI):

    python tools/make_golden_rnn.py

For each configuration below it builds `nn.Embedding(V, E)` (or one-hot inputs over V when E = 0)
+ `nn.RNN(In, H, num_layers=L, nonlinearity="tanh")` in float32, runs it one token at a time from a
random h0 and writes one `tests/golden/rnn/NAME.safetensors` holding

    the state_dict tensors    embedding.weight (V, E), rnn.weight_ih_l{k} (H, In), rnn.weight_hh_l{k} (H, H),
                              rnn.bias_ih_l{k} (H,), rnn.bias_hh_l{k} (H,), optionally decoder.weight (V, H)
                              and decoder.bias (V,)
    golden.ids (T,) int64     the token ids
    golden.h0                 (L, H) the initial state
    golden.l{k}.h (T, H)      per layer: torch's own h_n[k] after each step
    golden.l{k}.a (T, H)      the pre-activation W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh, recomputed with
                              torch ops from the torch weights, torch's h_{t-1} and the layer's input
    golden.logits (T, V)      when the configuration has a decoder: decoder(top layer's h)

and the configuration (V, E, H, L, T, seeds, torch version) as string metadata. The configurations are
those of tools/make_golden.py (one per file name, `rnn_` in front), with weight scales that keep the
recurrence near the edge of chaos rather than past it: a chaotic map would amplify float32 rounding
differences between two correct implementations beyond any fixed tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from make_golden import Config, layer0_inputs
from safetensors.numpy import save_file
from torch import nn

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden" / "rnn"

CONFIGS = (
    Config("rnn_l1_h1_e3_t1", V=5, E=3, H=1, L=1, T=1, seed=111, weight_scale=1.5),
    Config("rnn_l2_h7_e4_t50_decoder", V=11, E=4, H=7, L=2, T=50, seed=212, weight_scale=0.8, decoder=True),
    Config("rnn_l3_h7_e5_t50", V=9, E=5, H=7, L=3, T=50, seed=313, weight_scale=0.9),
    Config("rnn_l1_h64_e16_t50", V=20, E=16, H=64, L=1, T=50, seed=414, weight_scale=0.25),
    Config("rnn_l2_h64_onehot13_t50", V=13, E=0, H=64, L=2, T=50, seed=515, weight_scale=0.25),
    Config("rnn_l3_h1_onehot4_t50", V=4, E=0, H=1, L=3, T=50, seed=616, weight_scale=2.0),
    Config("rnn_l3_h64_e32_t1", V=17, E=32, H=64, L=3, T=1, seed=717, weight_scale=0.3),
)


def build_model(cfg: Config) -> tuple[nn.Embedding | None, nn.RNN, nn.Linear | None]:
    """The torch modules of one configuration, weights drawn under torch.manual_seed(cfg.seed)."""
    torch.manual_seed(cfg.seed)
    embedding = nn.Embedding(cfg.V, cfg.E) if cfg.E else None
    rnn = nn.RNN(cfg.E or cfg.V, cfg.H, num_layers=cfg.L, nonlinearity="tanh")
    with torch.no_grad():
        for p in rnn.parameters():
            p.uniform_(-cfg.weight_scale, cfg.weight_scale)
    decoder = nn.Linear(cfg.H, cfg.V) if cfg.decoder else None
    return embedding, rnn, decoder


def preactivation(rnn: nn.RNN, k: int, x: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
    """a (H,) of layer k from its input x (In,) and h_prev (H,), with torch ops."""
    W_ih, W_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
    b_ih, b_hh = getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")
    return W_ih @ x + b_ih + W_hh @ h_prev + b_hh


@torch.no_grad()
def golden_tensors(cfg: Config) -> dict[str, np.ndarray]:
    """The state_dict tensors and the golden.* tensors of one configuration (see the module docstring)."""
    rng = np.random.default_rng(cfg.seed)
    ids_np = rng.integers(0, cfg.V, size=cfg.T, dtype=np.int64)  # (T,)
    h0_np = rng.uniform(-1.0, 1.0, size=(cfg.L, cfg.H)).astype(np.float32)
    embedding, rnn, decoder = build_model(cfg)

    X = layer0_inputs(cfg, embedding, torch.from_numpy(ids_np))  # (T, In)
    h = torch.from_numpy(h0_np)  # (L, H)
    record = {f"l{k}.{q}": [] for k in range(cfg.L) for q in "ha"}
    for t in range(cfg.T):
        h_prev = h
        _, h = rnn(X[t : t + 1, None, :], h_prev[:, None, :])
        h = h[:, 0, :]  # (L, H): every layer's h_t as torch computed it
        for k in range(cfg.L):
            x_k = X[t] if k == 0 else h[k - 1]  # layer k's input at step t
            a = preactivation(rnn, k, x_k, h_prev[k])
            # Sanity check: the recomputed pre-activation must reproduce torch's own h_t.
            assert torch.allclose(torch.tanh(a), h[k], atol=1e-6), f"{cfg.name}: tanh(a) is not torch's h"
            record[f"l{k}.a"].append(a)
            record[f"l{k}.h"].append(h[k])
    stacked = {name: torch.stack(rows).numpy() for name, rows in record.items()}  # each (T, H)

    # The whole sequence in one fused call must agree with the step-by-step run.
    out, h_n = rnn(X[:, None, :], torch.from_numpy(h0_np)[:, None])
    top = stacked[f"l{cfg.L - 1}.h"]
    assert np.allclose(out[:, 0, :].numpy(), top, atol=1e-5), f"{cfg.name}: fused output differs from steps"
    assert np.allclose(h_n[:, 0].numpy(), h.numpy(), atol=1e-5), f"{cfg.name}: fused h_n differs"

    tensors = {f"rnn.{name}": p for name, p in rnn.state_dict().items()}
    if embedding is not None:
        tensors["embedding.weight"] = embedding.weight
    if decoder is not None:
        tensors["decoder.weight"], tensors["decoder.bias"] = decoder.weight, decoder.bias
        stacked["logits"] = decoder(torch.from_numpy(top)).numpy()  # (T, V)
    arrays = {name: t.detach().numpy() for name, t in tensors.items()}
    arrays["golden.ids"] = ids_np
    arrays["golden.h0"] = h0_np
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
        "nonlinearity": "tanh",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "made_by": "tools/make_golden_rnn.py",
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
        print(f"wrote {path.relative_to(GOLDEN_DIR.parent.parent.parent)} ({size / 1024:.1f} KiB)")
    print(f"total {total / 1024:.1f} KiB in {len(CONFIGS)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
