"""`lstm-viz import pytorch`: state_dicts made by torch 2.13 (tools/make_import_fixtures.py) against torch's
own nn.LSTM, nn.GRU and nn.RNN outputs, and the refusals: pickles, bidirectional and projected modules, a
cell other than --cell says, a vanilla RNN without --cell rnn, ambiguous files."""

import pickle

import numpy as np
import pytest
from safetensors.numpy import save_file

from app.engine.gru import GRUParams
from app.engine.rnn import RNNParams
from app.importers.errors import ImportRefused
from app.importers.pytorch import import_state_dict
from app.importers.tensor_files import read_tensor_file
from tests.import_helpers import FIXTURES, assert_matches


def imported(file: str, **options):
    return import_state_dict(read_tensor_file(FIXTURES / file), **options)


@pytest.mark.parametrize("file", ["torch_onehot_l2.safetensors", "torch_onehot_l2.npz"])
def test_a_prefixed_two_layer_one_hot_lstm_without_decoder_matches_torch(file):
    result = imported(file)
    p = result.params
    assert (p.num_layers, p.hidden_size, p.vocab_size) == (2, 6, 9)
    assert p.embedding is None and p.W_dec is None
    assert result.extra["prefix"] == "encoder.rnn."
    assert any("encoder.norm.weight" in note for note in result.notes)  # unrelated tensors are named, not used
    assert_matches(p, "torch_onehot_l2")


@pytest.mark.parametrize("file", ["torch_tied.safetensors", "torch_tied.npz"])
def test_tied_embedding_and_decoder_match_torch(file):
    result = imported(file)
    p = result.params
    assert p.embedding is not None and p.W_dec is not None
    np.testing.assert_array_equal(p.W_dec, p.embedding)
    assert any("tied" in note for note in result.notes)
    assert_matches(p, "torch_tied")


def test_a_two_layer_gru_with_embedding_and_decoder_matches_torch():
    result = imported("torch_gru.safetensors")
    p = result.params
    assert type(p) is GRUParams and (p.recurrent_activation, p.reset_after) == ("sigmoid", True)
    assert (p.num_layers, p.hidden_size, p.vocab_size) == (2, 6, 12)
    assert result.extra["prefix"] == "gru." and result.layout == "PyTorch state_dict, nn.GRU prefix 'gru.'"
    assert result.sources["gru.weight_hh_l1"] == "gru.weight_hh_l1"
    assert result.sources["embedding.weight"] == "embed.weight" and result.sources["decoder.weight"] == "out.weight"
    assert np.abs(p.layers[0].b_hh[2 * 6 :]).min() > 0  # b_hn, inside r ⊙ (W_hn·h + b_hn), is in play
    assert_matches(p, "torch_gru")  # h of both layers at every step, h_n, and the decoder's logits


def test_a_vanilla_rnn_matches_torch_with_cell_rnn():
    result = imported("torch_rnn.safetensors", cell="rnn")
    p = result.params
    assert type(p) is RNNParams and p.nonlinearity == "tanh" and p.embedding is None
    assert result.sources["rnn.weight_ih_l0"] == "rnn.weight_ih_l0" and result.sources["decoder.weight"] == "fc.weight"
    assert any("imported as tanh" in note for note in result.notes)
    assert_matches(p, "torch_rnn")


def test_a_vanilla_rnn_needs_cell_rnn_since_its_nonlinearity_is_unsaid():
    with pytest.raises(ImportRefused) as e:
        imported("torch_rnn.safetensors")
    message = str(e.value)
    assert "a vanilla RNN" in message and "--cell rnn" in message and "tanh" in message


@pytest.mark.parametrize(("file", "cell", "message"), [
    ("torch_gru.safetensors", "lstm", "'gru.' is a GRU (nn.GRU: weight_hh_l0 is (3H, H)), not an LSTM: pass --cell "
                                      "gru"),
    ("torch_tied.npz", "gru", "'lstm.' is an LSTM (nn.LSTM: weight_hh_l0 is (4H, H)), not a GRU: pass --cell lstm"),
    ("torch_rnn.safetensors", "gru", "is a vanilla RNN (nn.RNN: weight_hh_l0 is (H, H)), not a GRU"),
])
def test_a_cell_option_the_file_contradicts_is_refused_naming_both(file, cell, message):
    with pytest.raises(ImportRefused) as e:
        imported(file, cell=cell)
    assert message in str(e.value)


@pytest.mark.parametrize(("file", "cell"), [("torch_tied.npz", "lstm"), ("torch_gru.safetensors", "gru")])
def test_a_cell_option_that_agrees_with_the_file_changes_nothing(file, cell):
    found, told = imported(file).params, imported(file, cell=cell).params
    assert type(found) is type(told)
    for a, b in zip(found.layers, told.layers, strict=True):
        np.testing.assert_array_equal(a.W_hh, b.W_hh)


def test_save_model_metadata_restores_the_dropped_tied_name():
    tf = read_tensor_file(FIXTURES / "torch_tied.safetensors")
    assert "embedding.weight" not in tf.tensors and tf.metadata == {"embedding.weight": "decoder.weight"}
    assert imported("torch_tied.safetensors").sources["embedding.weight"] == "embedding.weight"


@pytest.mark.parametrize(("name", "dtype"), [("torch_bf16", "BF16"), ("torch_fp16", "F16")])
def test_half_precision_files_are_widened_to_float32_exactly(name, dtype):
    tf = read_tensor_file(FIXTURES / f"{name}.safetensors")
    assert set(tf.dtypes.values()) == {dtype}
    assert all(a.dtype == np.float32 for a in tf.tensors.values())
    result = imported(f"{name}.safetensors")
    assert result.extra["prefix"] == "model.lstm."
    assert result.sources["embedding.weight"] == "model.embed.weight"
    assert result.sources["decoder.weight"] == "model.head.weight"
    assert any(f"{dtype}, converted to float32" in note for note in result.notes)
    assert_matches(result.params, name)


def test_bfloat16_reads_as_the_top_half_of_a_float32(tmp_path):
    # 1.0 is 0x3F80 in bfloat16, -2.5 is 0xC020, 0.15625 is 0x3E20: all exact.
    raw = np.array([0x3F80, 0xC020, 0x3E20], "<u2").tobytes()
    header = b'{"x":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}'
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + raw)
    np.testing.assert_array_equal(read_tensor_file(path).tensors["x"], [1.0, -2.5, 0.15625])


ROWS = {"lstm": 4, "gru": 3, "rnn": 1}
ARTICLES = {"lstm": "an LSTM", "gru": "a GRU", "rnn": "a vanilla RNN"}
MODULES = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}


def cell_tensors(prefix="lstm.", H=2, In=3, extra=(), rows=4, layers=1):
    """A state_dict of an LSTM (rows 4), a GRU (3) or a vanilla RNN (1), of ones and zeros."""
    t = {}
    for k in range(layers):
        t |= {f"{prefix}weight_ih_l{k}": np.ones((rows * H, In if k == 0 else H), np.float32),
              f"{prefix}weight_hh_l{k}": np.ones((rows * H, H), np.float32),
              f"{prefix}bias_ih_l{k}": np.zeros(rows * H, np.float32),
              f"{prefix}bias_hh_l{k}": np.zeros(rows * H, np.float32)}
    for name, shape in extra:
        t[name] = np.ones(shape, np.float32)
    return t


def lstm_tensors(prefix="lstm.", H=2, In=3, extra=()):
    return cell_tensors(prefix, H, In, extra)


def refused(tmp_path, tensors, **options) -> str:
    path = tmp_path / "m.safetensors"
    save_file(tensors, str(path))
    with pytest.raises(ImportRefused) as e:
        import_state_dict(read_tensor_file(path), **options)
    return str(e.value)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_bidirectional_modules_are_refused_naming_the_module(tmp_path, cell):
    n = ROWS[cell]
    message = refused(tmp_path, cell_tensors("m.", rows=n, extra=[("m.weight_ih_l0_reverse", (2 * n, 3))]), cell=cell)
    assert "bidirectional" in message and MODULES[cell] in message


def test_projected_lstm_is_refused(tmp_path):
    assert "proj_size" in refused(tmp_path, lstm_tensors(extra=[("lstm.weight_hr_l0", (1, 2))]))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_two_modules_need_a_prefix(tmp_path, cell):
    tensors = {**cell_tensors("a.", rows=ROWS[cell]), **cell_tensors("b.", rows=ROWS[cell])}
    assert "--prefix" in refused(tmp_path, tensors)
    path = tmp_path / "m.safetensors"
    assert import_state_dict(read_tensor_file(path), prefix="b.").extra["prefix"] == "b."


def test_an_lstm_and_a_gru_in_one_file_are_told_apart_by_cell(tmp_path):
    tensors = {**cell_tensors("enc.", rows=4), **cell_tensors("dec.", rows=3)}
    message = refused(tmp_path, tensors)
    assert "--prefix" in message and "'enc.' (an LSTM, nn.LSTM)" in message and "'dec.' (a GRU, nn.GRU)" in message
    path = tmp_path / "m.safetensors"
    chosen = import_state_dict(read_tensor_file(path), cell="gru")
    assert chosen.extra["prefix"] == "dec." and type(chosen.params) is GRUParams


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_layer_of_another_cell_is_refused_naming_both(tmp_path, cell):
    other = "gru" if cell == "lstm" else "lstm"
    tensors = cell_tensors(rows=ROWS[cell], layers=2)
    tensors["lstm.weight_hh_l1"] = np.ones((ROWS[other] * 2, 2), np.float32)
    message = refused(tmp_path, tensors)
    shape = (ROWS[other] * 2, 2)
    assert f"lstm.weight_hh_l1 is {shape} ({ARTICLES[other]}'s), but layer 0 is {ARTICLES[cell]}" in message


def test_weights_of_no_cell_are_refused_naming_what_would_fit(tmp_path):
    message = refused(tmp_path, cell_tensors(rows=2))
    assert "lstm.weight_hh_l0 is (4, 2)" in message
    assert all(f"{shape} for {article}" in message for shape, article in
               [("(4H, H)", "an LSTM"), ("(3H, H)", "a GRU"), ("(H, H)", "a vanilla RNN")])


def test_a_missing_recurrent_weight_is_named(tmp_path):
    tensors = cell_tensors("gru.", rows=3)
    del tensors["gru.weight_hh_l0"]
    assert "gru.weight_hh_l0 is missing" in refused(tmp_path, tensors)


def test_a_gru_without_biases_reads_zeros(tmp_path):
    tensors = {k: v for k, v in cell_tensors("gru.", rows=3).items() if "bias" not in k}
    path = tmp_path / "m.safetensors"
    save_file(tensors, str(path))
    result = import_state_dict(read_tensor_file(path))
    assert result.params.layers[0].b_hh.shape == (6,) and result.sources["gru.bias_hh_l0"] == "zeros (bias=False)"


def test_two_possible_decoders_must_be_named(tmp_path):
    tensors = lstm_tensors(extra=[("head1.weight", (3, 2)), ("head1.bias", (3,)),
                                  ("head2.weight", (3, 2)), ("head2.bias", (3,))])
    assert "--decoder" in refused(tmp_path, tensors)
    chosen = import_state_dict(read_tensor_file(tmp_path / "m.safetensors"), decoder="head2")
    assert chosen.sources["decoder.weight"] == "head2.weight"
    assert import_state_dict(read_tensor_file(tmp_path / "m.safetensors"), decoder="none").params.W_dec is None


def test_a_file_without_a_recurrent_module_is_refused(tmp_path):
    message = refused(tmp_path, {"fc.weight": np.ones((2, 2), np.float32)})
    assert "weight_ih_l0" in message and "nn.GRU" in message


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "weights.bin"])
def test_pickled_files_are_refused_with_the_safetensors_export_line(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"lstm.weight_ih_l0": [1.0]}))
    with pytest.raises(ImportRefused) as e:
        read_tensor_file(path)
    message = str(e.value)
    assert "pickled" in message
    assert 'from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors")' in message


def test_a_pickle_with_another_suffix_is_still_refused(tmp_path):
    path = tmp_path / "model.weights"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=4))
    with pytest.raises(ImportRefused, match="pickled"):
        read_tensor_file(path)


def test_an_npz_of_objects_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ImportRefused, match="pickled objects"):
        read_tensor_file(path)
