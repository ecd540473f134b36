"""`lstm-viz import keras`: files saved by Keras 3 on the torch backend (tools/make_import_fixtures.py)
against Keras's own return_sequences outputs and states; formats, activations, heads and refusals."""

import shutil

import numpy as np
import pytest

pytest.importorskip("h5py", reason="the Keras importer reads HDF5 with h5py (pip install h5py)")
import h5py  # noqa: E402

from app.importers.errors import ImportRefused  # noqa: E402
from app.importers.keras import import_keras  # noqa: E402
from app.importers.keras_files import KerasFile, KerasLayer, read_keras_file  # noqa: E402
from tests.import_helpers import FIXTURES, assert_matches, golden, max_errors  # noqa: E402


def imported(file: str, **options):
    return import_keras(read_keras_file(FIXTURES / file), **options)


@pytest.mark.parametrize(("file", "fmt", "activation"), [
    ("keras_seq.keras", ".keras archive", None),
    ("keras_seq.weights.h5", "Keras 3 .weights.h5", "sigmoid"),
])
def test_embedding_two_lstms_and_softmax_match_keras(file, fmt, activation):
    result = imported(file, activation=activation)
    p = result.params
    assert (p.num_layers, p.hidden_size, p.vocab_size, p.recurrent_activation) == (2, 6, 10, "sigmoid")
    assert p.embedding.shape == (10, 4) and p.W_dec.shape == (10, 6)
    assert result.layout.startswith(fmt)
    assert_matches(p, "keras_seq")


@pytest.mark.parametrize("file", ["keras_hard.keras", "keras_hard.h5"])
def test_keras_3_hard_sigmoid_matches_keras(file):
    result = imported(file)
    assert result.params.recurrent_activation == "hard_sigmoid"
    trace = assert_matches(result.params, "keras_hard")
    gates = np.concatenate([trace.layers[0][q].ravel() for q in "ifo"])
    assert (gates == 0).any() and (gates == 1).any(), "the fixture never reaches the hard σ's flat ends"


def test_the_wrong_hard_sigmoid_would_be_caught():
    result = imported("keras_hard.keras")
    wrong = type(result.params)(*[getattr(result.params, f) for f in
                                  ("layers", "vocab_size", "embedding", "W_dec", "b_dec")], "hard_sigmoid_keras2")
    errors, _ = max_errors(wrong, golden("keras_hard"))
    assert errors["l0.h"] > 1e-2


def test_keras_2_hard_sigmoid_from_an_option_matches_keras():
    result = imported("keras_hard2.weights.h5", activation="hard_sigmoid_keras2")
    assert result.params.recurrent_activation == "hard_sigmoid_keras2"
    trace = assert_matches(result.params, "keras_hard2")
    gates = np.concatenate([trace.layers[0][q].ravel() for q in "ifo"])
    assert (gates == 0).any() and (gates == 1).any(), "the fixture never reaches the hard σ's flat ends"


def test_a_hard_sigmoid_saved_by_keras_2_reads_as_keras_2s(tmp_path):
    path = tmp_path / "old.h5"
    shutil.copy(FIXTURES / "keras_hard.h5", path)
    with h5py.File(path, "r+") as f:
        f.attrs["keras_version"] = "2.2.4"
    assert imported_path(path).params.recurrent_activation == "hard_sigmoid_keras2"


def imported_path(path, **options):
    return import_keras(read_keras_file(path), **options)


def test_weights_without_config_need_the_activation():
    with pytest.raises(ImportRefused, match="--recurrent-activation"):
        imported("keras_seq.weights.h5")


def test_an_option_that_contradicts_the_config_is_refused():
    with pytest.raises(ImportRefused, match="make it agree"):
        imported("keras_hard.keras", activation="sigmoid")


def test_a_head_that_is_not_a_decoder_leaves_the_model_without_one():
    result = imported("keras_onehot_concat.keras")
    p = result.params
    assert p.W_dec is None and p.embedding is None and p.vocab_size == 8
    assert any("Concatenate" in note and "without predictions" in note for note in result.notes)
    assert_matches(p, "keras_onehot_concat")


def test_cudnn_layout_with_summed_bias_halves_matches_keras():
    kf = read_keras_file(FIXTURES / "keras_cudnn.h5")
    assert kf.format == "legacy HDF5 weights" and kf.keras_version == "2.1.5" and not kf.has_config
    result = import_keras(kf)  # CuDNN means sigmoid: no option needed
    assert result.params.recurrent_activation == "sigmoid" and "CuDNNLSTM" in result.layout
    assert result.params.W_dec is not None
    assert_matches(result.params, "keras_cudnn")


def test_decoder_none_drops_the_dense_layer():
    assert imported("keras_seq.keras", decoder="none").params.W_dec is None


def test_layers_can_be_named():
    result = imported("keras_seq.weights.h5", activation="sigmoid", layers=["lstm"])
    assert result.params.num_layers == 1
    with pytest.raises(ImportRefused, match="no layer 'rnn'"):
        imported("keras_seq.weights.h5", activation="sigmoid", layers=["rnn"])


def lstm_layer(name, In, u, cls="LSTM", **config):
    weights = (("kernel", np.zeros((In, 4 * u), np.float32)), ("recurrent_kernel", np.zeros((u, 4 * u), np.float32)),
               ("bias", np.zeros(4 * u, np.float32)))
    return KerasLayer(name, cls, {"name": name, **config}, weights)


def keras_file(*layers):
    return KerasFile(tuple(layers), True, True, "3.0.0", ".keras archive")


@pytest.mark.parametrize(("layers", "message"), [
    ((lstm_layer("a", 3, 4), lstm_layer("b", 4, 5)), "one size"),
    ((lstm_layer("a", 3, 4, go_backwards=True),), "backwards"),
    ((lstm_layer("a", 3, 4, activation="relu"),), "tanh"),
    ((lstm_layer("a", 3, 4, recurrent_activation="relu"),), "relu"),
    ((KerasLayer("bi", "Bidirectional", {}, ()),), "Bidirectional"),
    ((KerasLayer("dense", "Dense", {}, ()),), "no LSTM layer"),
])
def test_layers_the_app_cannot_show_are_refused(layers, message):
    with pytest.raises(ImportRefused, match=message):
        import_keras(keras_file(*layers))


def test_missing_h5py_gives_an_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ImportRefused, match="pip install h5py"):
        read_keras_file(FIXTURES / "keras_seq.keras")


def test_inbound_layers_read_in_keras_2_and_keras_3_config_forms():
    from app.importers.keras_files import _inbound

    keras2 = [[["embedding", 0, 0, {}], ["rnn_1", 0, 0, {}]]]
    keras3 = [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["rnn", 0, 0]}}], "kwargs": {}}]
    assert _inbound(keras2) == ["embedding", "rnn_1"]
    assert _inbound(keras3) == ["rnn"]
