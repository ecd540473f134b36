"""`lstm-viz import keras`: files saved by Keras 3 on the torch backend (tools/make_import_fixtures.py)
against Keras's own return_sequences outputs and states, for LSTMs and GRUs (reset_after True and False,
CuDNN layouts); formats, activations, heads and refusals."""

import dataclasses
import shutil

import numpy as np
import pytest

pytest.importorskip("h5py", reason="the Keras importer reads HDF5 with h5py (pip install h5py)")
import h5py  # noqa: E402

from app.engine.cells import spec_of_params  # noqa: E402
from app.engine.gru import GRUParams  # noqa: E402
from app.engine.lstm import LSTMParams  # noqa: E402
from app.importers.errors import ImportRefused  # noqa: E402
from app.importers.keras import import_keras  # noqa: E402
from app.importers.keras_files import KerasFile, KerasLayer, read_keras_file  # noqa: E402
from tests.import_helpers import FIXTURES, assert_matches, golden, max_errors  # noqa: E402


def imported(file: str, **options):
    return import_keras(read_keras_file(FIXTURES / file), **options)


@pytest.mark.parametrize(("file", "fmt", "activation", "name", "params_type"), [
    ("keras_seq.keras", ".keras archive", None, "keras_seq", LSTMParams),
    ("keras_seq.weights.h5", "Keras 3 .weights.h5", "sigmoid", "keras_seq", LSTMParams),
    ("keras_gru.keras", ".keras archive", None, "keras_gru", GRUParams),
    ("keras_gru.weights.h5", "Keras 3 .weights.h5", "sigmoid", "keras_gru", GRUParams),
])
def test_embedding_two_recurrent_layers_and_softmax_match_keras(file, fmt, activation, name, params_type):
    result = imported(file, activation=activation)
    p = result.params
    assert type(p) is params_type
    assert (p.num_layers, p.hidden_size, p.vocab_size, p.recurrent_activation) == (2, 6, 10, "sigmoid")
    assert p.embedding.shape == (10, 4) and p.W_dec.shape == (10, 6)
    assert result.layout.startswith(fmt)
    assert_matches(p, name)  # h of both layers at every step, the final states, the softmax


def test_keras_3s_default_gru_keeps_both_bias_rows_and_resets_after():
    result = imported("keras_gru.keras")
    p = result.params
    assert p.reset_after is True and "gates z, r, h reordered to r, z, n" in result.layout
    assert set(result.sources) >= {"gru.weight_ih_l0", "gru.bias_hh_l1"}
    assert all(np.abs(layer.b_hh).min() > 0 for layer in p.layers)  # the recurrent bias row, b_hh


@pytest.mark.parametrize(("file", "name"), [
    ("keras_hard.keras", "keras_hard"),
    ("keras_hard.h5", "keras_hard"),
    ("keras_gru_v1.h5", "keras_gru_v1"),
])
def test_keras_3_hard_sigmoid_matches_keras(file, name):
    result = imported(file)
    assert result.params.recurrent_activation == "hard_sigmoid"
    trace = assert_matches(result.params, name)
    acts = spec_of_params(result.params).activations(result.params)
    gates = np.concatenate([trace.layers[0][q].ravel() for q, act in acts.items() if act != "tanh"])
    assert (gates == 0).any() and (gates == 1).any(), "the fixture never reaches the hard σ's flat ends"


def test_a_gru_without_reset_after_has_one_bias_and_resets_before():
    result = imported("keras_gru_v1.h5")
    p = result.params
    assert type(p) is GRUParams and p.reset_after is False
    assert result.layout.startswith("legacy HDF5 model") and "bias (3u,): input only" in result.layout
    assert not p.layers[0].b_hh.any() and p.layers[0].b_ih.any()


@pytest.mark.parametrize(("file", "name"), [("keras_gru.keras", "keras_gru"), ("keras_gru_v1.h5", "keras_gru_v1")])
def test_the_wrong_reset_after_would_be_caught(file, name):
    p = imported(file).params
    errors, _ = max_errors(dataclasses.replace(p, reset_after=not p.reset_after), golden(name))
    assert errors["l0.h"] > 1e-2


def test_keras_gate_order_would_be_caught():
    p = imported("keras_gru.keras").params

    def swap_r_z(a):
        r, z, n = np.split(a, 3)
        return np.concatenate([z, r, n])

    layers = tuple(type(layer)(*(swap_r_z(a) for a in (layer.W_ih, layer.W_hh, layer.b_ih, layer.b_hh)))
                   for layer in p.layers)
    errors, _ = max_errors(dataclasses.replace(p, layers=layers), golden("keras_gru"))
    assert errors["l0.h"] > 1e-2


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


@pytest.mark.parametrize(("name", "cls"), [("keras_cudnn", "CuDNNLSTM"), ("keras_cudnn_gru", "CuDNNGRU")])
def test_cudnn_layouts_match_keras(name, cls):
    kf = read_keras_file(FIXTURES / f"{name}.h5")
    assert kf.format == "legacy HDF5 weights" and kf.keras_version == "2.1.5" and not kf.has_config
    result = import_keras(kf)  # CuDNN means sigmoid: no option needed
    assert result.params.recurrent_activation == "sigmoid" and cls in result.layout
    assert result.params.W_dec is not None
    assert getattr(result.params, "reset_after", True) is True  # cuDNN's GRU resets after W_hn
    assert_matches(result.params, name)


def test_decoder_none_drops_the_dense_layer():
    assert imported("keras_seq.keras", decoder="none").params.W_dec is None


def test_layers_can_be_named():
    result = imported("keras_seq.weights.h5", activation="sigmoid", layers=["lstm"])
    assert result.params.num_layers == 1
    with pytest.raises(ImportRefused, match="no layer 'rnn'"):
        imported("keras_seq.weights.h5", activation="sigmoid", layers=["rnn"])


def rnn_layer(name, In, u, cls="LSTM", bias=None, **config):
    """A layer of zeros with an LSTM's (4u) or a GRU's (3u, bias (2, 3u)) weights."""
    n = 3 if "GRU" in cls else 4
    bias = bias if bias is not None else (2, 3 * u) if n == 3 else (4 * u,)
    weights = (("kernel", np.zeros((In, n * u), np.float32)), ("recurrent_kernel", np.zeros((u, n * u), np.float32)),
               ("bias", np.zeros(bias, np.float32)))
    return KerasLayer(name, cls, {"name": name, **config}, weights)


def lstm_layer(name, In, u, cls="LSTM", **config):
    return rnn_layer(name, In, u, cls, **config)


def keras_file(*layers):
    return KerasFile(tuple(layers), True, True, "3.0.0", ".keras archive")


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
@pytest.mark.parametrize(("layers", "message"), [
    (lambda cls: (rnn_layer("a", 3, 4, cls), rnn_layer("b", 4, 5, cls)), "one size"),
    (lambda cls: (rnn_layer("a", 3, 4, cls, go_backwards=True),), "backwards"),
    (lambda cls: (rnn_layer("a", 3, 4, cls, activation="relu"),), "tanh"),
    (lambda cls: (rnn_layer("a", 3, 4, cls, recurrent_activation="relu"),), "relu"),
    (lambda cls: (KerasLayer("bi", "Bidirectional", {}, ()),), "Bidirectional"),
    (lambda cls: (KerasLayer("dense", "Dense", {}, ()),), "no LSTM or GRU layer"),
])
def test_layers_the_app_cannot_show_are_refused(layers, message, cls):
    with pytest.raises(ImportRefused, match=message):
        import_keras(keras_file(*layers(cls)))


def test_a_bidirectional_gru_is_refused_by_name():
    with pytest.raises(ImportRefused) as e:
        imported("keras_gru_bidirectional.keras")
    message = str(e.value)
    assert "Bidirectional" in message and "a bidirectional GRU" in message and "left-to-right" in message


def test_a_bidirectional_layer_without_config_is_refused_by_its_backward_weights():
    forward = rnn_layer("x", 3, 2, "GRU")
    both = KerasLayer("bidirectional", None, {}, tuple((f"{d}_layer/cell/vars/{n}", a) for d in ("forward", "backward")
                                                       for n, (_, a) in enumerate(forward.weights)))
    kf = KerasFile((both,), False, False, None, "Keras 3 .weights.h5")
    with pytest.raises(ImportRefused, match="bidirectional"):
        import_keras(kf, activation="sigmoid")


@pytest.mark.parametrize(("file", "cell", "message"), [
    ("keras_gru.keras", "lstm", "the file has no LSTM layer, only gru (a GRU), gru_1 (a GRU): pass --cell gru"),
    ("keras_seq.keras", "gru", "the file has no GRU layer, only lstm (an LSTM), lstm_1 (an LSTM): pass --cell lstm"),
])
def test_a_cell_option_the_file_contradicts_is_refused_naming_both(file, cell, message):
    with pytest.raises(ImportRefused) as e:
        imported(file, cell=cell)
    assert message in str(e.value)


def test_named_layers_of_another_cell_are_refused():
    with pytest.raises(ImportRefused, match="not an LSTM"):
        imported("keras_gru.keras", layers=["gru"], cell="lstm")


def test_an_lstm_and_a_gru_in_one_file_need_a_choice():
    kf = keras_file(rnn_layer("l", 3, 4, "LSTM"), rnn_layer("g", 3, 4, "GRU"))
    with pytest.raises(ImportRefused) as e:
        import_keras(kf)
    assert "l (an LSTM), g (a GRU)" in str(e.value) and "one cell per model" in str(e.value)
    assert type(import_keras(kf, cell="gru").params) is GRUParams
    assert type(import_keras(kf, layers=["l"]).params) is LSTMParams
    with pytest.raises(ImportRefused, match="one cell per model"):
        import_keras(kf, layers=["l", "g"])


@pytest.mark.parametrize(("config", "bias", "message"), [
    ({"reset_after": False}, (2, 12), "says reset_after=False but its bias is (2, 12)"),
    ({"reset_after": True}, (12,), "says reset_after=True but its bias is (12,)"),
    ({}, (5,), "none of a GRU's (2, 3u)"),
])
def test_a_gru_bias_that_contradicts_reset_after_is_refused(config, bias, message):
    with pytest.raises(ImportRefused) as e:
        import_keras(keras_file(rnn_layer("g", 3, 4, "GRU", bias=bias, **config)))
    assert message in str(e.value)


def test_gru_layers_must_share_reset_after():
    kf = keras_file(rnn_layer("a", 3, 4, "GRU"), rnn_layer("b", 4, 4, "GRU", bias=(12,)))
    with pytest.raises(ImportRefused, match="differ in reset_after"):
        import_keras(kf)


def test_a_simple_rnn_is_not_taken_for_a_cell_the_app_imports():
    simple = KerasLayer("simple_rnn", "SimpleRNN", {}, (("kernel", np.zeros((3, 4), np.float32)),))
    with pytest.raises(ImportRefused, match=r"no LSTM or GRU layer.*SimpleRNN"):
        import_keras(keras_file(simple))


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
