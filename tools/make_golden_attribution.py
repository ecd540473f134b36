"""Write golden attributions computed with torch autograd, for tests/analysis/test_attribution_golden.py.

Run by hand from the repository root (needs torch; never run in CI):

    python tools/make_golden_attribution.py

For every cell of app.engine.cells.CELLS (its torch module: nn.LSTM, nn.RNN(tanh), nn.GRU) with its default
options, and for the VARIANTS below (other card options: the LSTM's and GRU's hard σ, written by hand in torch ops
as torch.clamp(x/6 + ½, 0, 1) or torch.clamp(0.2·x + ½, 0, 1); the GRU with reset_after=False, by hand; the RNN
with nn.RNN(nonlinearity="relu")), with an embedding and with one-hot inputs, a random two-layer model with a
decoder (weights drawn in float32, run in float64) and a random text; f(x) = log_softmax(decoder(h_last))[target]
with x the first layer's inputs (embedding rows or one-hot vectors, a leaf tensor). The hand-written cells are
checked against torch's modules with the default options first. For an activation with kinks the seed is the
first from the variant's on whose inputs (x and every α_j x) every kinked pre-activation lies over KINK from its
kink, and some on a flat side: torch (clamp takes the slope at a kink) and the app (0 there) agree everywhere else.
Written to tests/golden/attribution/<name>_<inputs>.safetensors, <name> the cell's name, then the options that
differ from its defaults as tests.helpers.variant_id writes them ("lstm-hard_sigmoid", "gru-reset_after-false"):

    the state_dict tensors (float32)   as tools/make_golden.py writes them
    golden.ids (T,) int64, golden.target (1,) int64
    golden.grad_input (T,)             (x · ∂f/∂x).sum over the input
    golden.connectivity (T,)           ‖∂ logit_target/∂x_t‖²
    golden.integrated_gradients (T,)   x · mean of ∂f/∂x at α_j x, α_j = (j + ½)/m, m = 8
    golden.occlusion (T,)              f(x) − f(x with token t replaced by id 0)

and metadata: cell, V, E, H, L, T, m, unk (0), options (the cell's, every key), torch version.
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
VARIANTS = (("lstm", {"recurrent_activation": "hard_sigmoid"}),
            ("lstm", {"recurrent_activation": "hard_sigmoid_keras2"}),
            ("gru", {"reset_after": False}),
            ("gru", {"recurrent_activation": "hard_sigmoid"}),
            ("gru", {"recurrent_activation": "hard_sigmoid_keras2", "reset_after": False}),
            ("rnn", {"nonlinearity": "relu"}))
SIGMAS = {"sigmoid": torch.sigmoid, "hard_sigmoid": lambda a: torch.clamp(a / 6 + 0.5, 0, 1),
          "hard_sigmoid_keras2": lambda a: torch.clamp(0.2 * a + 0.5, 0, 1)}
KINKS = {"hard_sigmoid": (-3.0, 3.0), "hard_sigmoid_keras2": (-2.5, 2.5), "relu": (0.0,)}
KINK = 1e-4


def by_hand(cell: str, options: dict, module: nn.Module, x: torch.Tensor, kinked: list | None = None) -> torch.Tensor:
    """The module's stacked cell with `options`, in torch ops, over x (T, In) from zeros: the last layer's h (T, H).
    Appends the pre-activations that go through a kinked activation (σ's of i, f, o or r, z; an RNN's a) to
    `kinked`."""
    sigma = SIGMAS[options.get("recurrent_activation", "sigmoid")]
    for k in range(module.num_layers):
        W_ih, W_hh, b_ih, b_hh = (getattr(module, f"{p}_l{k}")
                                  for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        h = c = torch.zeros(module.hidden_size, dtype=x.dtype)
        out = []
        for t in range(len(x)):
            if cell == "lstm":
                a_i, a_f, a_g, a_o = (W_ih @ x[t] + b_ih + W_hh @ h + b_hh).chunk(4)
                gated = (a_i, a_f, a_o)
                c = sigma(a_f) * c + sigma(a_i) * torch.tanh(a_g)
                h = sigma(a_o) * torch.tanh(c)
            elif cell == "gru":
                (x_r, x_z, x_n), (W_hr, W_hz, W_hn), (b_hr, b_hz, b_hn) = ((W_ih @ x[t] + b_ih).chunk(3),
                                                                            W_hh.chunk(3), b_hh.chunk(3))
                gated = (x_r + W_hr @ h + b_hr, x_z + W_hz @ h + b_hz)
                r, z = sigma(gated[0]), sigma(gated[1])
                if options.get("reset_after", True):
                    n = torch.tanh(x_n + r * (W_hn @ h + b_hn))
                else:
                    n = torch.tanh(x_n + W_hn @ (r * h) + b_hn)
                h = (1 - z) * n + z * h
            else:
                gated = (W_ih @ x[t] + b_ih + W_hh @ h + b_hh,)
                h = torch.relu(gated[0]) if options.get("nonlinearity") == "relu" else torch.tanh(gated[0])
            if kinked is not None:
                kinked.extend(a.detach() for a in gated)
            out.append(h)
        x = torch.stack(out)
    return x


def clear_of_kinks(cell: str, options: dict, module: nn.Module, points: list[torch.Tensor]) -> bool:
    """Whether every kinked pre-activation at every point lies over KINK from its kinks, some on a flat side."""
    kinks = KINKS.get(options.get("nonlinearity") if cell == "rnn" else options.get("recurrent_activation"))
    if kinks is None:
        return True
    pre: list[torch.Tensor] = []
    with torch.no_grad():
        for x in points:
            by_hand(cell, options, module, x, pre)
    a = torch.cat(pre)
    flat = int((a < kinks[0]).sum()) + (int((a > kinks[1]).sum()) if len(kinks) == 2 else 0)
    return min(float((a - p).abs().min()) for p in kinks) > KINK and flat > 0


def draw(cell: str, options: dict, E: int, seed: int):
    """The random model and text of one seed: the module (float64), embedding, decoder, ids, target."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    In = V if E == 0 else E
    if cell == "rnn" and options.get("nonlinearity") == "relu":
        rnn = nn.RNN(In, H, num_layers=L, nonlinearity="relu")
    else:
        rnn = MODULES[cell](In, H, L)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, tuple(p.shape)).astype(np.float32)))
    embedding = rng.normal(size=(V, E)).astype(np.float32) if E else None
    W_dec = rng.uniform(-0.8, 0.8, (V, H)).astype(np.float32)
    b_dec = rng.uniform(-0.5, 0.5, V).astype(np.float32)
    ids = rng.integers(0, V, T)
    target = int(rng.integers(0, V))
    return rnn.double(), embedding, W_dec, b_dec, ids, target


def write(cell: str, E: int, seed: int, options: dict | None = None) -> Path:
    defaults = {key: allowed[0] for key, allowed in CELLS[cell].options.items()}
    options = {**defaults, **(options or {})}
    hand = options != defaults and not (cell == "rnn" and options["nonlinearity"] == "relu")  # else torch's module

    def inputs_of(embedding, ids_: np.ndarray) -> torch.Tensor:
        if E:
            return torch.from_numpy(embedding).double()[torch.from_numpy(ids_)]
        return torch.eye(V, dtype=torch.float64)[torch.from_numpy(ids_)]

    while True:
        rnn, embedding, W_dec, b_dec, ids, target = draw(cell, options, E, seed)
        x0 = inputs_of(embedding, ids)
        with torch.no_grad():  # the hand-written cell is the module's, with the module's options
            module_options = options if not hand else defaults
            assert torch.allclose(by_hand(cell, module_options, rnn, x0), rnn(x0[:, None, :])[0][:, 0], atol=1e-12)
        if clear_of_kinks(cell, options, rnn, [x0] + [(j + 0.5) / M * x0 for j in range(M)]):
            break
        seed += 1
    dec_w, dec_b = torch.from_numpy(W_dec).double(), torch.from_numpy(b_dec).double()

    def inputs(ids_: np.ndarray) -> torch.Tensor:
        return inputs_of(embedding, ids_)

    def logits(x: torch.Tensor) -> torch.Tensor:  # x (T, In) -> the last step's logits (V,)
        out = by_hand(cell, options, rnn, x) if hand else rnn(x[:, None, :])[0][:, 0]
        return out[-1] @ dec_w.T + dec_b

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
    meta = {"cell": cell, "V": str(V), "E": str(E), "H": str(H), "L": str(L), "T": str(T), "m": str(M),
            "unk": str(UNK), "options": json.dumps(options), "torch": torch.__version__}
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name_of(cell, options, defaults)}_{'embedding' if E else 'onehot'}.safetensors"
    save_file({k: np.ascontiguousarray(a) for k, a in tensors.items()}, str(path), metadata=meta)
    return path


def name_of(cell: str, options: dict, defaults: dict) -> str:
    """The cell's name, then its options that differ from the defaults (tests.helpers.variant_id's form)."""
    return "-".join([cell, *(f"{v}" if k == "recurrent_activation" else f"{k}-{v}"
                             for k, v in options.items() if v != defaults[k])]).lower()


def main() -> None:
    missing = set(CELLS) - set(MODULES)
    if missing:
        raise SystemExit(f"no torch module for cell(s) {sorted(missing)}: add one here")
    for n, cell in enumerate(sorted(CELLS)):
        for E in (4, 0):
            print(write(cell, E, seed=1000 + 10 * n + E))
    for n, (cell, options) in enumerate(VARIANTS):
        for E in (4, 0):
            print(write(cell, E, seed=2000 + 100 * n + 10 * E, options=options))


if __name__ == "__main__":
    main()
