"""A real CuDNNLSTM-saved file: textgenrnn 2.0.0's published weights (MIT), fetched by
`python tools/fetch_textgenrnn.py` into the git-ignored fetched/textgenrnn/ (skipped when absent).

The file is Keras 2.1.5's: embedding (465, 100), rnn_1 and rnn_2 CuDNNLSTM(128) with 8u biases, then
concatenate → attention → Dense. The imported gates are checked against a NumPy reference written
here from Keras 2's documented CuDNN conversion (keras/engine/saving.py, `_convert_rnn_weights`:
kernel blocks `k.T.reshape(k.shape, order='F')`, recurrent blocks `k.T`, the two bias halves summed)
and Keras's LSTM step, reading the HDF5 file directly. The attention head, rebuilt here from
textgenrnn's AttentionWeightedAverage on the imported model's states, must then predict sane characters.
"""

from pathlib import Path

import numpy as np
import pytest

from app.engine.lstm import compile_params, forward

FOLDER = Path(__file__).resolve().parents[2] / "fetched" / "textgenrnn"
WEIGHTS, VOCAB = FOLDER / "textgenrnn_weights.hdf5", FOLDER / "textgenrnn_vocab.json"
MAXLEN = 40  # textgenrnn's default config: inputs are the last 40 ids, zero-padded on the left
META = "<s>"  # textgenrnn starts every text with this token

pytestmark = pytest.mark.skipif(
    not WEIGHTS.exists(), reason=f"textgenrnn's weights are not fetched: run `python tools/fetch_textgenrnn.py` "
                                 f"(pip download textgenrnn==2.0.0) to get {WEIGHTS.relative_to(FOLDER.parent.parent)}")
h5py = pytest.importorskip("h5py", reason="reading textgenrnn's HDF5 file needs h5py")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def read(layer: str, weight: str) -> np.ndarray:
    with h5py.File(WEIGHTS, "r") as f:
        return np.asarray(f[layer][layer][f"{weight}:0"], dtype=np.float64)


def keras2_from_cudnn(kernel, recurrent, bias):
    """Keras 2's conversion of CuDNNLSTM weights to its own LSTM's (from_cudnn=True), verbatim."""
    kernels = np.hstack([k.T.reshape(k.shape, order="F") for k in np.hsplit(kernel, 4)])
    recurrents = np.hstack([k.T for k in np.hsplit(recurrent, 4)])
    biases = np.sum(np.split(bias, 2, axis=0), axis=0)
    return kernels, recurrents, biases


def reference_layer(x: np.ndarray, layer: str) -> dict[str, np.ndarray]:
    """Keras's LSTM (gates i, f, c, o; sigmoid as in cuDNN) over x (T, In) from zeros, in float64."""
    K, R, b = keras2_from_cudnn(read(layer, "kernel"), read(layer, "recurrent_kernel"), read(layer, "bias"))
    u = R.shape[0]
    h, c = np.zeros(u), np.zeros(u)
    out = {q: [] for q in "ifgoch"}
    for x_t in x:
        z = x_t @ K + h @ R + b
        i, f, g, o = sigmoid(z[:u]), sigmoid(z[u : 2 * u]), np.tanh(z[2 * u : 3 * u]), sigmoid(z[3 * u :])
        c = f * c + i * g
        h = o * np.tanh(c)
        for q, v in zip("ifgoch", (i, f, g, o, c, h), strict=True):
            out[q].append(v)
    return {q: np.array(v) for q, v in out.items()}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from app.cli import main
    from app.model_store import load_model

    out = tmp_path_factory.mktemp("models")
    code = main(["import", "keras", str(WEIGHTS), "--vocab", str(VOCAB), "--tokenizer", "char",
                 "--id", "textgenrnn", "--out", str(out)])
    assert code == 0
    return load_model(out / "textgenrnn.safetensors")


def ids_for(model, text: str) -> np.ndarray:
    """textgenrnn's encoding: <s>, the characters (unknown ones as 0), zero-padded on the left to MAXLEN."""
    index = model.tokenizer.index
    ids = [index[META], *(t.id for t in model.tokenizer.tokenize(text))][-MAXLEN:]
    return np.array([0] * (MAXLEN - len(ids)) + ids)


def test_the_import_finds_cudnn_layers_and_no_decoder(model):
    p = model.params
    assert (p.num_layers, p.hidden_size, p.vocab_size, p.embedding.shape) == (2, 128, 465, (465, 100))
    assert p.W_dec is None and p.recurrent_activation == "sigmoid"
    assert "CuDNNLSTM" in model.card["provenance"]["layout"]
    assert model.tokenizer.unk_id == 0  # textgenrnn reads unknown characters as id 0


def test_gates_match_an_independent_reference_of_kerass_cudnn_layout(model):
    ids = ids_for(model, "Hello, world! This is a test of the gates.")
    trace = forward(model.compiled, ids)
    x = read("embedding", "embeddings")[ids]
    for k, layer in enumerate(("rnn_1", "rnn_2")):
        expected = reference_layer(x, layer)
        for q in "ifgoch":
            error = np.max(np.abs(trace.layers[k][q] - expected[q]))
            assert error < 1e-4, f"{layer} {q}: max abs error {error:.1e}"
        x = expected["h"]


def next_char_probs(model, text: str) -> dict[str, float]:
    """textgenrnn's head on the imported model's states: concat(embedding, h1, h2) → attention → softmax."""
    ids = ids_for(model, text)
    trace = forward(compile_params(model.params), ids)
    features = np.hstack([model.params.embedding[ids], trace.layers[0].h, trace.layers[1].h]).astype(np.float64)
    scores = (features @ read("attention", "attention_W"))[:, 0]  # (T,)
    weights = np.exp(scores - scores.max())
    weights /= weights.sum() + 1e-7  # Keras's epsilon
    logits = (weights @ features) @ read("output", "kernel") + read("output", "bias")
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return {model.tokenizer.vocab[j]: float(probs[j]) for j in np.argsort(-probs)[:5]}


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello worl", "d"),
    ("What is the best way to lea", "r"),
    ("I don't know what to do with my lif", "e"),
])
def test_the_imported_states_predict_sane_next_characters(model, text, expected):
    top = next_char_probs(model, text)
    assert next(iter(top)) == expected, f"after {text!r}: {top}"
