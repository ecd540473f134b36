"""`lstm-viz import pytorch`: state_dicts made by torch 2.13 (tools/make_import_fixtures.py) against torch's
own nn.LSTM outputs, and the refusals: pickles, bidirectional and projected LSTMs, ambiguous files."""

import pickle

import numpy as np
import pytest
from safetensors.numpy import save_file

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


def lstm_tensors(prefix="lstm.", H=2, In=3, extra=()):
    t = {f"{prefix}weight_ih_l0": np.ones((4 * H, In), np.float32),
         f"{prefix}weight_hh_l0": np.ones((4 * H, H), np.float32),
         f"{prefix}bias_ih_l0": np.zeros(4 * H, np.float32),
         f"{prefix}bias_hh_l0": np.zeros(4 * H, np.float32)}
    for name, shape in extra:
        t[name] = np.ones(shape, np.float32)
    return t


def refused(tmp_path, tensors, **options) -> str:
    path = tmp_path / "m.safetensors"
    save_file(tensors, str(path))
    with pytest.raises(ImportRefused) as e:
        import_state_dict(read_tensor_file(path), **options)
    return str(e.value)


def test_bidirectional_lstm_is_refused(tmp_path):
    message = refused(tmp_path, lstm_tensors(extra=[("lstm.weight_ih_l0_reverse", (8, 3))]))
    assert "bidirectional" in message


def test_projected_lstm_is_refused(tmp_path):
    assert "proj_size" in refused(tmp_path, lstm_tensors(extra=[("lstm.weight_hr_l0", (1, 2))]))


def test_two_lstms_need_a_prefix(tmp_path):
    tensors = {**lstm_tensors("a."), **lstm_tensors("b.")}
    assert "--prefix" in refused(tmp_path, tensors)
    path = tmp_path / "m.safetensors"
    assert import_state_dict(read_tensor_file(path), prefix="b.").extra["prefix"] == "b."


def test_two_possible_decoders_must_be_named(tmp_path):
    tensors = lstm_tensors(extra=[("head1.weight", (3, 2)), ("head1.bias", (3,)),
                                  ("head2.weight", (3, 2)), ("head2.bias", (3,))])
    assert "--decoder" in refused(tmp_path, tensors)
    chosen = import_state_dict(read_tensor_file(tmp_path / "m.safetensors"), decoder="head2")
    assert chosen.sources["decoder.weight"] == "head2.weight"
    assert import_state_dict(read_tensor_file(tmp_path / "m.safetensors"), decoder="none").params.W_dec is None


def test_a_file_without_an_lstm_is_refused(tmp_path):
    assert "weight_ih_l0" in refused(tmp_path, {"fc.weight": np.ones((2, 2), np.float32)})


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
