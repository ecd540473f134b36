"""Write the importers' test fixtures: real PyTorch and Keras files, with each framework's own outputs.

Run by hand from the repository root (needs torch 2.13.0 and Keras 3; never run in CI):

    KERAS_BACKEND=torch python tools/make_import_fixtures.py [NAME ...]

Names pick some fixtures (see MAKERS) and leave the others' files as they are; the versions must then be
those versions.json records.

Everything lands in tests/fixtures/import/ (a few KB a file). Every model gets NAME.golden.npz:

    ids (T,) int64            the token ids run through the model, from the zero state
    l{k}.h (T, H)             layer k's h at every step, as the framework computed it (PyTorch: one
                              nn.LSTM/GRU/RNN call per step, per-layer h_n; Keras: the layer's return_sequences
                              output)
    l{k}.c (T, H)             PyTorch LSTMs only: layer k's c at every step (c_n after each step)
    l{k}.h_final (H,)         the layer's final state (PyTorch h_n; Keras return_state)
    l{k}.c_final (H,)         LSTMs only: the final cell state (PyTorch c_n; Keras return_state)
    logits (T, V)             PyTorch models with a decoder: decoder(top h)
    probs (T, V)              Keras models with a decoder: the model's own softmax output

PyTorch (state_dicts, as `save_file(model.state_dict(), ...)` or `np.savez` would write them):
    torch_onehot_l2       .safetensors and .npz: `encoder.rnn.` prefix, 2 layers, no embedding (one-hot),
                          no decoder, and an unrelated LayerNorm; vocabulary chars.json (a JSON list)
    torch_tied            .safetensors via safetensors' save_model (drops the tied decoder.weight and
                          records it in the metadata) and .npz (both names); vocabulary words.txt
    torch_bf16, torch_fp16  `model.lstm.`/`model.head.` in bfloat16 / float16; golden from the same
                          rounded weights in float32; vocabulary words.txt
    torch_gru             .safetensors: `embed.` + 2-layer nn.GRU `gru.` + `out.` decoder, biases nonzero;
                          vocabulary words.txt
    torch_rnn             .safetensors: one-hot inputs, nn.RNN (tanh) `rnn.`, decoder `fc.`; vocabulary chars.json
Keras 3 on the torch backend (vocabulary keras_chars.json, a word_index-style map starting at 1):
    keras_seq             .keras and .weights.h5 of Embedding + LSTM + LSTM + Dense softmax, sigmoid
    keras_hard            .keras and legacy .h5 of Embedding + LSTM(hard_sigmoid) + Dropout + Dense softmax
    keras_hard2           .weights.h5 of an LSTM whose recurrent activation is Keras 2's hard sigmoid,
                          clip(0.2x + 0.5, 0, 1), given as a function (Keras 3 has no such name)
    keras_onehot_concat   .keras of a one-hot input -> LSTM -> Concatenate(input, LSTM) -> Dense: a head
                          that is not a decoder
    keras_cudnn           legacy weights-only .h5 in CuDNNLSTM's layout (8u bias), as Keras 2 saved one:
                          made from a Keras 3 LSTM by inverting Keras 2's documented conversion
                          (checked here by applying that conversion back); golden from Keras 3
    keras_gru             .keras and .weights.h5 of Embedding + GRU + GRU + Dense softmax: Keras 3's default
                          GRU (reset_after=True, bias (2, 3u)), biases U(±1) (Keras starts them at zero)
    keras_gru_v1          legacy .h5 of Embedding + GRU(reset_after=False, hard_sigmoid) + Dropout + Dense
    keras_gru_bidirectional  .keras of a Bidirectional GRU, to be refused (no golden outputs)
    keras_cudnn_gru       legacy weights-only .h5 in CuDNNGRU's layout (bias 6u), made from a Keras 3 GRU by
                          inverting Keras 2's conversion (kernel blocks as CuDNNLSTM's, bias reshape (2, -1))
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file, save_model  # noqa: E402
from torch import nn  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "import"
T = 16
CHARS = ["a", "b", "c", "d", "e", " ", ".", "!", "\ufffd"]  # one-hot models: V = 9
WORDS = ["<unk>", "the", "cat", "sat", "on", "mat", ".", "a", "dog", "ran", "far", ","]  # V = 12
KERAS_CHARS = {ch: n + 1 for n, ch in enumerate("abcdefgh ")}  # ids 1..9: V = 10 with Keras's id 0


def seeded(seed: int) -> np.random.Generator:
    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


# ---- PyTorch ----


def spread(module: nn.Module, scale: float) -> None:
    """Weights U(-scale, scale): larger than the default so the gates leave ½."""
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-scale, scale)


@torch.no_grad()
def torch_golden(rnn: nn.LSTM | nn.GRU | nn.RNN, x: torch.Tensor, decoder: nn.Linear | None) -> dict[str, np.ndarray]:
    """Per-layer h (and an LSTM's c) at every step from one call per step; the fused call must agree."""
    L, H = rnn.num_layers, rnn.hidden_size
    lstm = isinstance(rnn, nn.LSTM)
    zeros = torch.zeros(L, 1, H)
    state = (zeros, zeros.clone()) if lstm else zeros
    rec: dict[str, list] = {f"l{k}.{q}": [] for k in range(L) for q in ("hc" if lstm else "h")}
    for t in range(len(x)):
        _, state = rnn(x[t : t + 1, None, :], state)
        h, c = state if lstm else (state, None)
        for k in range(L):
            rec[f"l{k}.h"].append(h[k, 0].clone())
            if lstm:
                rec[f"l{k}.c"].append(c[k, 0].clone())
    out = {name: torch.stack(rows).numpy() for name, rows in rec.items()}
    fused, state = rnn(x[:, None, :])
    assert np.allclose(fused[:, 0].numpy(), out[f"l{L - 1}.h"], atol=1e-6)
    h_n, c_n = state if lstm else (state, None)
    for k in range(L):
        out[f"l{k}.h_final"] = h_n[k, 0].numpy()
        if lstm:
            out[f"l{k}.c_final"] = c_n[k, 0].numpy()
    if decoder is not None:
        out["logits"] = decoder(torch.from_numpy(out[f"l{L - 1}.h"])).numpy()
    return out


def save_golden(name: str, ids: np.ndarray, golden: dict[str, np.ndarray]) -> None:
    np.savez(OUT / f"{name}.golden.npz", ids=ids, **golden)


def state_npz(name: str, module: nn.Module) -> None:
    np.savez(OUT / f"{name}.npz", **{k: v.detach().numpy() for k, v in module.state_dict().items()})


class OneHotEncoder(nn.Module):
    def __init__(self, V: int, H: int):
        super().__init__()
        self.rnn = nn.LSTM(V, H, num_layers=2)
        self.norm = nn.LayerNorm(H)  # unrelated to the LSTM: the importer must leave it out


class OneHotNet(nn.Module):
    def __init__(self, V: int, H: int):
        super().__init__()
        self.encoder = OneHotEncoder(V, H)


def make_torch_onehot() -> None:
    rng = seeded(1)
    V, H = len(CHARS), 6
    net = OneHotNet(V, H)
    spread(net.encoder.rnn, 0.8)
    ids = rng.integers(0, V, T)
    x = nn.functional.one_hot(torch.from_numpy(ids), V).float()
    save_golden("torch_onehot_l2", ids, torch_golden(net.encoder.rnn, x, None))
    save_file(net.state_dict(), str(OUT / "torch_onehot_l2.safetensors"))
    state_npz("torch_onehot_l2", net)
    (OUT / "chars.json").write_text(json.dumps(CHARS, ensure_ascii=False) + "\n", encoding="utf-8")


class WordLM(nn.Module):
    def __init__(self, V: int, E: int, H: int, L: int, tied: bool):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, num_layers=L)
        self.decoder = nn.Linear(H, V)
        if tied:
            self.decoder.weight = self.embedding.weight


def make_torch_tied() -> None:
    rng = seeded(2)
    V, H = len(WORDS), 8
    net = WordLM(V, H, H, 1, tied=True)
    spread(net.lstm, 0.6)
    ids = rng.integers(0, V, T)
    with torch.no_grad():
        golden = torch_golden(net.lstm, net.embedding(torch.from_numpy(ids)), net.decoder)
    save_golden("torch_tied", ids, golden)
    save_model(net, str(OUT / "torch_tied.safetensors"))  # keeps one of the tied names, records the other
    state_npz("torch_tied", net)
    (OUT / "words.txt").write_text("".join(w + "\n" for w in WORDS), encoding="utf-8")


class Wrapped(nn.Module):
    def __init__(self, V: int, E: int, H: int):
        super().__init__()
        self.model = nn.Module()
        self.model.embed = nn.Embedding(V, E)
        self.model.lstm = nn.LSTM(E, H, num_layers=2)
        self.model.head = nn.Linear(H, V)


def make_torch_half(name: str, dtype: torch.dtype, seed: int) -> None:
    rng = seeded(seed)
    V = len(WORDS)
    net = Wrapped(V, 5, 7)
    spread(net.model.lstm, 0.7)
    half = net.to(dtype)
    save_file(half.state_dict(), str(OUT / f"{name}.safetensors"))
    exact = half.float()  # the rounded weights, widened exactly: what the importer must reproduce
    ids = rng.integers(0, V, T)
    with torch.no_grad():
        golden = torch_golden(exact.model.lstm, exact.model.embed(torch.from_numpy(ids)), exact.model.head)
    save_golden(name, ids, golden)


class GRUWordLM(nn.Module):
    """Embedding + 2-layer nn.GRU + Linear decoder, as `embed.`, `gru.`, `out.`."""

    def __init__(self, V: int, E: int, H: int):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.gru = nn.GRU(E, H, num_layers=2)
        self.out = nn.Linear(H, V)


def make_torch_gru() -> None:
    rng = seeded(10)
    V = len(WORDS)
    net = GRUWordLM(V, 5, 6)
    spread(net.gru, 0.8)  # biases too: b_hn (inside r ⊙ (W_hn·h + b_hn)) must not be zero
    ids = rng.integers(0, V, T)
    with torch.no_grad():
        golden = torch_golden(net.gru, net.embed(torch.from_numpy(ids)), net.out)
    save_golden("torch_gru", ids, golden)
    save_file(net.state_dict(), str(OUT / "torch_gru.safetensors"))


class OneHotRNN(nn.Module):
    """One-hot inputs -> nn.RNN (tanh) -> Linear, as `rnn.`, `fc.`."""

    def __init__(self, V: int, H: int):
        super().__init__()
        self.rnn = nn.RNN(V, H)
        self.fc = nn.Linear(H, V)


def make_torch_rnn() -> None:
    rng = seeded(11)
    V = len(CHARS)
    net = OneHotRNN(V, 5)
    spread(net.rnn, 0.7)
    ids = rng.integers(0, V, T)
    x = nn.functional.one_hot(torch.from_numpy(ids), V).float()
    save_golden("torch_rnn", ids, torch_golden(net.rnn, x, net.fc))
    save_file(net.state_dict(), str(OUT / "torch_rnn.safetensors"))


# ---- Keras ----


RECURRENT = (keras.layers.LSTM, keras.layers.GRU)


def keras_golden(model: keras.Model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run the model layer by layer (each LSTM or GRU asked for its states too); the output must match predict."""
    out: dict[str, np.ndarray] = {}
    k = 0
    h = keras.ops.convert_to_tensor(x[None])
    for layer in model.layers:
        if isinstance(layer, RECURRENT):
            layer.return_state = True
            h, *states = layer(h)
            layer.return_state = False
            out[f"l{k}.h"] = keras.ops.convert_to_numpy(h)[0]
            for name, state in zip(("h_final", "c_final"), states, strict=False):  # an LSTM's (h, c), a GRU's h
                out[f"l{k}.{name}"] = keras.ops.convert_to_numpy(state)[0]
            k += 1
        else:
            h = layer(h)
    out["probs"] = keras.ops.convert_to_numpy(h)[0]
    assert np.allclose(model.predict(x[None], verbose=0)[0], out["probs"], atol=1e-6)
    return out


def scale_weights(model: keras.Model, scale: float) -> None:
    """Multiply every LSTM or GRU weight, and widen embeddings from U(±0.05) to U(±1): gates far from ½ that
    reach the hard σ's flat ends, as trained ones do."""
    for layer in model.layers:
        if isinstance(layer, RECURRENT):
            layer.set_weights([w * scale for w in layer.get_weights()])
        elif isinstance(layer, keras.layers.Embedding):
            layer.set_weights([w * 20 for w in layer.get_weights()])


def keras_ids(rng: np.random.Generator) -> np.ndarray:
    ids = rng.integers(1, 10, T)
    ids[3] = 0  # one padding/unknown id
    return ids


def make_keras_seq() -> None:
    rng = seeded(3)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4),
                              keras.layers.LSTM(6, return_sequences=True),
                              keras.layers.LSTM(6, return_sequences=True),
                              keras.layers.Dense(10, activation="softmax")])
    scale_weights(model, 2.0)
    ids = keras_ids(rng)
    save_golden("keras_seq", ids, keras_golden(model, ids))
    model.save(OUT / "keras_seq.keras")
    model.save_weights(OUT / "keras_seq.weights.h5")
    (OUT / "keras_chars.json").write_text(json.dumps(KERAS_CHARS) + "\n", encoding="utf-8")


def make_keras_hard() -> None:
    rng = seeded(4)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 5),
                              keras.layers.LSTM(7, return_sequences=True, recurrent_activation="hard_sigmoid"),
                              keras.layers.Dropout(0.5),
                              keras.layers.Dense(10, activation="softmax")])
    scale_weights(model, 4.0)
    ids = keras_ids(rng)
    golden = keras_golden(model, ids)
    assert (np.abs(golden["l0.h"]) > 1e-3).mean() > 0.5, "the fixture's gates are all closed"
    save_golden("keras_hard", ids, golden)
    model.save(OUT / "keras_hard.keras")
    model.save(OUT / "keras_hard.h5")  # legacy HDF5, with model_config and keras_version


def keras2_hard_sigmoid(x):
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def make_keras_hard2() -> None:
    rng = seeded(5)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4),
                              keras.layers.LSTM(6, return_sequences=True, recurrent_activation=keras2_hard_sigmoid),
                              keras.layers.Dense(10, activation="softmax")])
    scale_weights(model, 4.0)
    ids = keras_ids(rng)
    save_golden("keras_hard2", ids, keras_golden(model, ids))
    model.save_weights(OUT / "keras_hard2.weights.h5")


def make_keras_onehot_concat() -> None:
    rng = seeded(6)
    V = 8
    inputs = keras.Input((None, V))
    seq = keras.layers.LSTM(5, return_sequences=True, name="rnn")(inputs)
    joined = keras.layers.Concatenate(name="concat")([inputs, seq])
    outputs = keras.layers.Dense(V, activation="softmax", name="out")(joined)
    model = keras.Model(inputs, outputs)
    scale_weights(model, 2.0)
    ids = rng.integers(0, V, T)
    x = np.eye(V, dtype=np.float32)[ids]
    lstm = model.get_layer("rnn")
    lstm.return_state = True
    h, h_final, c_final = lstm(keras.ops.convert_to_tensor(x[None]))
    lstm.return_state = False
    golden = {"l0.h": keras.ops.convert_to_numpy(h)[0], "l0.h_final": keras.ops.convert_to_numpy(h_final)[0],
              "l0.c_final": keras.ops.convert_to_numpy(c_final)[0]}
    save_golden("keras_onehot_concat", ids, golden)
    model.save(OUT / "keras_onehot_concat.keras")
    (OUT / "onehot8.json").write_text(json.dumps(list("abcdefgh")) + "\n", encoding="utf-8")


def to_cudnn_block(keras_block: np.ndarray) -> np.ndarray:
    """The CuDNN kernel block k whose Keras 2 conversion `k.T.reshape(k.shape, order='F')` is keras_block."""
    In, u = keras_block.shape
    k = keras_block.T.reshape(-1).reshape(In, u)  # cuDNN's (u, In) matrix W = keras_blockᵀ, its buffer as (In, u)
    assert np.array_equal(k.T.reshape(k.shape, order="F"), keras_block)
    return k


def make_keras_cudnn() -> None:
    rng = seeded(7)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4, name="embedding"),
                              keras.layers.LSTM(6, return_sequences=True, name="rnn_1"),
                              keras.layers.LSTM(6, return_sequences=True, name="rnn_2"),
                              keras.layers.Dense(10, activation="softmax", name="output")])
    scale_weights(model, 2.0)
    ids = keras_ids(rng)
    save_golden("keras_cudnn", ids, keras_golden(model, ids))
    with h5py.File(OUT / "keras_cudnn.h5", "w") as f:
        f.attrs["keras_version"] = b"2.1.5"
        f.attrs["backend"] = b"tensorflow"
        names = ["input", "embedding", "rnn_1", "rnn_2", "output"]
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = f.create_group(name)
            weights: list[tuple[str, np.ndarray]] = []
            if name == "embedding":
                weights = [("embeddings:0", model.get_layer(name).get_weights()[0])]
            elif name.startswith("rnn"):
                kernel, recurrent, bias = model.get_layer(name).get_weights()
                u = recurrent.shape[0]
                cudnn_kernel = np.hstack([to_cudnn_block(b) for b in np.hsplit(kernel, 4)])
                cudnn_recurrent = np.hstack([b.T for b in np.hsplit(recurrent, 4)])  # Keras 2: block k -> k.T
                split = rng.uniform(-0.5, 0.5, 4 * u).astype(np.float32)  # any split of the bias into two halves
                cudnn_bias = np.concatenate([bias - split, split])
                assert np.allclose(np.sum(np.split(cudnn_bias, 2), axis=0), bias, atol=1e-7)
                weights = [("kernel:0", cudnn_kernel), ("recurrent_kernel:0", cudnn_recurrent), ("bias:0", cudnn_bias)]
            elif name == "output":
                kernel, bias = model.get_layer(name).get_weights()
                weights = [("kernel:0", kernel), ("bias:0", bias)]
            group.attrs["weight_names"] = np.array([f"{name}/{w}".encode() for w, _ in weights])
            for w, a in weights:
                group.create_dataset(f"{name}/{w}", data=np.ascontiguousarray(a, dtype=np.float32))


def random_gru_biases(model: keras.Model, rng: np.random.Generator) -> None:
    """Keras starts GRU biases at zero: give them U(±1) so the bias rows' order and the recurrent bias count."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.GRU):
            kernel, recurrent, bias = layer.get_weights()
            layer.set_weights([kernel, recurrent, rng.uniform(-1, 1, bias.shape).astype(np.float32)])


def make_keras_gru() -> None:
    rng = seeded(12)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4),
                              keras.layers.GRU(6, return_sequences=True),
                              keras.layers.GRU(6, return_sequences=True),
                              keras.layers.Dense(10, activation="softmax")])
    scale_weights(model, 2.0)
    random_gru_biases(model, rng)
    assert model.layers[1].get_weights()[2].shape == (2, 18), "Keras 3's GRU has reset_after=True by default"
    ids = keras_ids(rng)
    save_golden("keras_gru", ids, keras_golden(model, ids))
    model.save(OUT / "keras_gru.keras")
    model.save_weights(OUT / "keras_gru.weights.h5")


def make_keras_gru_v1() -> None:
    rng = seeded(13)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 5),
                              keras.layers.GRU(7, return_sequences=True, reset_after=False,
                                               recurrent_activation="hard_sigmoid"),
                              keras.layers.Dropout(0.5),
                              keras.layers.Dense(10, activation="softmax")])
    scale_weights(model, 4.0)
    random_gru_biases(model, rng)
    assert model.layers[1].get_weights()[2].shape == (21,), "reset_after=False has one (3u,) bias"
    ids = keras_ids(rng)
    golden = keras_golden(model, ids)
    assert (np.abs(golden["l0.h"]) > 1e-3).mean() > 0.5, "the fixture's gates are all closed"
    save_golden("keras_gru_v1", ids, golden)
    model.save(OUT / "keras_gru_v1.h5")  # legacy HDF5, with model_config and keras_version


def make_keras_gru_bidirectional() -> None:
    seeded(14)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 3),
                              keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True)),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(OUT / "keras_gru_bidirectional.keras")  # refused: no golden outputs


def make_keras_cudnn_gru() -> None:
    """Keras 2's CuDNNGRU layout, made from a Keras 3 GRU (reset_after=True, as CuDNNGRU computes) by inverting
    Keras 2's conversion: kernel blocks as for CuDNNLSTM, recurrent blocks transposed, bias (2, 3u) flattened."""
    rng = seeded(15)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4, name="embedding"),
                              keras.layers.GRU(5, return_sequences=True, name="gru_1"),
                              keras.layers.Dense(10, activation="softmax", name="output")])
    scale_weights(model, 2.0)
    random_gru_biases(model, rng)
    ids = keras_ids(rng)
    save_golden("keras_cudnn_gru", ids, keras_golden(model, ids))
    with h5py.File(OUT / "keras_cudnn_gru.h5", "w") as f:
        f.attrs["keras_version"] = b"2.1.5"
        f.attrs["backend"] = b"tensorflow"
        names = ["input", "embedding", "gru_1", "output"]
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = f.create_group(name)
            weights: list[tuple[str, np.ndarray]] = []
            if name == "embedding":
                weights = [("embeddings:0", model.get_layer(name).get_weights()[0])]
            elif name == "gru_1":
                kernel, recurrent, bias = model.get_layer(name).get_weights()
                cudnn_kernel = np.hstack([to_cudnn_block(b) for b in np.hsplit(kernel, 3)])
                cudnn_recurrent = np.hstack([b.T for b in np.hsplit(recurrent, 3)])
                cudnn_bias = bias.reshape(-1)  # Keras 2 reads it back with reshape((2, -1))
                weights = [("kernel:0", cudnn_kernel), ("recurrent_kernel:0", cudnn_recurrent), ("bias:0", cudnn_bias)]
            elif name == "output":
                kernel, bias = model.get_layer(name).get_weights()
                weights = [("kernel:0", kernel), ("bias:0", bias)]
            group.attrs["weight_names"] = np.array([f"{name}/{w}".encode() for w, _ in weights])
            for w, a in weights:
                group.create_dataset(f"{name}/{w}", data=np.ascontiguousarray(a, dtype=np.float32))


MAKERS = {
    "torch_onehot_l2": make_torch_onehot,
    "torch_tied": make_torch_tied,
    "torch_bf16": lambda: make_torch_half("torch_bf16", torch.bfloat16, 8),
    "torch_fp16": lambda: make_torch_half("torch_fp16", torch.float16, 9),
    "torch_gru": make_torch_gru,
    "torch_rnn": make_torch_rnn,
    "keras_seq": make_keras_seq,
    "keras_hard": make_keras_hard,
    "keras_hard2": make_keras_hard2,
    "keras_onehot_concat": make_keras_onehot_concat,
    "keras_cudnn": make_keras_cudnn,
    "keras_gru": make_keras_gru,
    "keras_gru_v1": make_keras_gru_v1,
    "keras_gru_bidirectional": make_keras_gru_bidirectional,
    "keras_cudnn_gru": make_keras_cudnn_gru,
}


def main(argv: list[str]) -> int:
    """Make every fixture, or only those named (with the versions versions.json records)."""
    unknown = [name for name in argv if name not in MAKERS]
    if unknown:
        print(f"unknown fixtures {unknown}; known: {', '.join(MAKERS)}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    info = {"made_by": "tools/make_import_fixtures.py", "torch": torch.__version__, "keras": keras.__version__,
            "keras_backend": keras.backend.backend(), "numpy": np.__version__, "h5py": h5py.__version__}
    versions = OUT / "versions.json"
    if argv and versions.exists() and json.loads(versions.read_text(encoding="utf-8")) != info:
        print(f"{versions} records other versions than these {info}: remake every fixture (no arguments)",
              file=sys.stderr)
        return 2
    for name in argv or MAKERS:
        MAKERS[name]()
    versions.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    total = 0
    for path in sorted(OUT.iterdir()):
        total += path.stat().st_size
        print(f"{path.relative_to(OUT.parent.parent.parent)}  {path.stat().st_size / 1024:.1f} KiB")
    print(f"total {total / 1024:.1f} KiB")
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
