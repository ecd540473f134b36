"""`lstm-viz import`: files written and loaded back with a card saying where they came from and which cell
(LSTM, GRU, vanilla RNN) they are; traced end to end from the command line against the framework's own
outputs; errors are one line on stderr with exit status 2, never a traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest

from app import notebook
from app.cli import main
from app.model_store import load_model
from tests.import_helpers import FIXTURES, TOLERANCE, assert_matches, golden

CLI = [sys.executable, "-m", "app.cli"]


def run_import(capsys, *args):
    code = main(["import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_pytorch_import_writes_a_model_the_app_loads(tmp_path, capsys):
    code, out, err = run_import(capsys, "pytorch", FIXTURES / "torch_onehot_l2.safetensors", "--vocab",
                                FIXTURES / "chars.json", "--tokenizer", "char", "--id", "mine", "--out", tmp_path,
                                "--title", "My encoder", "--example", "abc de.")
    assert code == 0, err
    assert "no decoder" in out and "lstm-viz serve --models-dir" in out
    model = load_model(tmp_path / "mine.safetensors")
    assert model.title == "My encoder" and model.card["examples"] == ["abc de."]
    assert model.params.W_dec is None and model.tokenizer.unk == "\ufffd"
    card = model.card
    assert card["cell"] == "lstm" and card["recurrent_activation"] == "sigmoid"
    assert card["sizes"] == {"vocab_size": 9, "embedding_size": None, "hidden_size": 6, "num_layers": 2}
    prov = card["provenance"]
    assert prov["imported_from"] == "PyTorch: torch_onehot_l2.safetensors"
    assert prov["prefix"] == "encoder.rnn." and len(prov["source_sha256"]) == 64
    assert prov["tensors"]["lstm.weight_ih_l1"] == "encoder.rnn.weight_ih_l1"
    assert prov["command"].startswith("lstm-viz import pytorch ")
    assert_matches(model.params, "torch_onehot_l2")  # the written file, as the page will read it


def test_keras_import_records_the_activation_and_the_word_index_choice(tmp_path, capsys):
    pytest.importorskip("h5py")
    code, _, err = run_import(capsys, "keras", FIXTURES / "keras_hard.h5", "--vocab", FIXTURES / "keras_chars.json",
                              "--tokenizer", "char", "--id", "hard", "--out", tmp_path)
    assert code == 0, err
    model = load_model(tmp_path / "hard.safetensors")
    assert model.card["recurrent_activation"] == "hard_sigmoid"
    assert model.tokenizer.vocab[0] == "\ufffd" and model.tokenizer.unk_id == 0
    assert "Keras LSTM" in model.card["provenance"]["layout"]
    assert model.card["provenance"]["keras_version"] == "3.15.1"
    assert_matches(model.params, "keras_hard")


def test_an_existing_model_is_kept_unless_forced(tmp_path, capsys):
    args = ["pytorch", FIXTURES / "torch_tied.npz", "--vocab", FIXTURES / "words.txt", "--tokenizer", "word",
            "--id", "tied", "--out", tmp_path]
    assert run_import(capsys, *args)[0] == 0
    code, _, err = run_import(capsys, *args)
    assert code == 2 and "--force" in err
    assert run_import(capsys, *args, "--force")[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--id", "Bad Name"], "--id 'Bad Name'"),
    (["--id", "lesson"], "bundled model"),
    (["--vocab", "missing.json"], "does not exist"),
])
def test_bad_options_are_refused(tmp_path, capsys, args, message):
    base = {"--vocab": str(FIXTURES / "chars.json"), "--id": "ok", "--out": str(tmp_path)}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, _, err = run_import(capsys, "pytorch", FIXTURES / "torch_onehot_l2.npz", "--tokenizer", "char",
                              *[x for kv in base.items() for x in kv])
    assert code == 2 and message in err and not list(tmp_path.glob("*.safetensors"))


def test_models_dir_environment_is_the_default_destination(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_MODELS_DIR", str(tmp_path))
    code, _, err = run_import(capsys, "pytorch", FIXTURES / "torch_fp16.safetensors", "--vocab",
                              FIXTURES / "words.txt", "--tokenizer", "word", "--id", "half")
    assert code == 0, err
    assert json.loads((tmp_path / "half.json").read_text())["provenance"]["dtypes"] == ["F16"]


def test_a_pickle_fails_with_status_2_and_the_export_line_not_a_traceback(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"\x80\x04K\x01.")
    result = subprocess.run([*CLI, "import", "pytorch", str(path), "--vocab", str(FIXTURES / "chars.json"),
                             "--tokenizer", "char", "--id", "x", "--out", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "save_file(model.state_dict(), \"model.safetensors\")" in result.stderr


def test_the_imported_model_traces_from_the_command_line(tmp_path, capsys):
    assert run_import(capsys, "pytorch", FIXTURES / "torch_tied.safetensors", "--vocab", FIXTURES / "words.txt",
                      "--tokenizer", "word", "--id", "tied", "--out", tmp_path)[0] == 0
    assert main(["trace", "the cat sat", "--model", "tied", "--models-dir", str(tmp_path), "--top-k", "2"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [t["text"] for t in payload["tokens"]] == ["the", "cat", "sat"]
    assert len(payload["predictions"]) == 3 and len(payload["predictions"][0]) == 2
    assert np.asarray(payload["layers"][0]["h"]).shape == (3, 8)


# framework, file, vocabulary, tokenizer, options, golden outputs, the card's cell and options
CELL_CASES = [
    ("pytorch", "torch_onehot_l2.safetensors", "chars.json", "char", [], "torch_onehot_l2", "lstm",
     {"recurrent_activation": "sigmoid"}),
    ("pytorch", "torch_gru.safetensors", "words.txt", "word", [], "torch_gru", "gru",
     {"recurrent_activation": "sigmoid", "reset_after": True}),
    ("pytorch", "torch_rnn.safetensors", "chars.json", "char", ["--cell", "rnn"], "torch_rnn", "rnn",
     {"nonlinearity": "tanh"}),
    ("keras", "keras_gru.keras", "keras_chars.json", "char", [], "keras_gru", "gru",
     {"recurrent_activation": "sigmoid", "reset_after": True}),
    ("keras", "keras_gru_v1.h5", "keras_chars.json", "char", ["--cell", "gru"], "keras_gru_v1", "gru",
     {"recurrent_activation": "hard_sigmoid", "reset_after": False}),
    ("keras", "keras_cudnn_gru.h5", "keras_chars.json", "char", [], "keras_cudnn_gru", "gru",
     {"recurrent_activation": "sigmoid", "reset_after": True}),
]


@pytest.mark.parametrize(("framework", "file", "vocab", "tokenizer", "options", "name", "cell", "card_options"),
                         CELL_CASES, ids=[case[1] for case in CELL_CASES])
def test_every_cell_is_written_with_a_card_that_names_it(tmp_path, capsys, framework, file, vocab, tokenizer,
                                                         options, name, cell, card_options):
    if framework == "keras":
        pytest.importorskip("h5py")
    code, out, err = run_import(capsys, framework, FIXTURES / file, "--vocab", FIXTURES / vocab, "--tokenizer",
                                tokenizer, "--id", "m", "--out", tmp_path, *options)
    assert code == 0, err
    model = load_model(tmp_path / "m.safetensors")
    card = model.card
    assert card["cell"] == cell and {key: card[key] for key in card_options} == card_options
    assert model.spec.name == cell and model.spec.title in out and model.spec.title in card["description"]
    assert card["provenance"]["tensors"][f"{cell}.weight_hh_l0"]
    assert_matches(model.params, name)  # the written file, as the page will read it


def test_a_gru_imports_and_traces_from_the_command_line_as_torch_ran_it(tmp_path):
    """`python -m app.cli import pytorch` then `python -m app.cli trace`, in their own processes: the trace of
    the golden text is torch's h at every step of both layers, and its predictions torch's logits' order."""
    expected = golden("torch_gru")
    words = (FIXTURES / "words.txt").read_text(encoding="utf-8").split()
    text = " ".join(words[i] for i in expected["ids"])
    imported = subprocess.run([*CLI, "import", "pytorch", str(FIXTURES / "torch_gru.safetensors"), "--vocab",
                               str(FIXTURES / "words.txt"), "--tokenizer", "word", "--id", "gru-words", "--out",
                               str(tmp_path)], capture_output=True, text=True, check=False)
    assert imported.returncode == 0, imported.stderr
    assert "GRU, 2 × 6 units" in imported.stdout and "reset after True" in imported.stdout
    card = json.loads((tmp_path / "gru-words.json").read_text(encoding="utf-8"))
    assert (card["cell"], card["reset_after"], card["recurrent_activation"]) == ("gru", True, "sigmoid")
    traced = subprocess.run([*CLI, "trace", text, "--model", "gru-words", "--models-dir", str(tmp_path),
                             "--top-k", "3"], capture_output=True, text=True, check=False)
    assert traced.returncode == 0, traced.stderr
    payload = json.loads(traced.stdout)
    assert [t["id"] for t in payload["tokens"]] == expected["ids"].tolist()
    for k, layer in enumerate(payload["layers"]):
        assert {"z", "r", "n", "h"} <= set(layer)
        np.testing.assert_allclose(np.asarray(layer["h"]), expected[f"l{k}.h"], rtol=0, atol=TOLERANCE)
    best = [words[j] for j in np.argmax(expected["logits"], axis=1)]
    assert [step[0]["token"] for step in payload["predictions"]] == best
    # and in a notebook, from the same file
    nb = notebook.load_model(tmp_path / "gru-words.safetensors").trace(text)
    np.testing.assert_allclose(nb.layers[1]["h"], expected["l1.h"], rtol=0, atol=TOLERANCE)


def test_a_keras_gru_traces_from_the_command_line_as_keras_ran_it(tmp_path, capsys):
    pytest.importorskip("h5py")
    expected = golden("keras_gru_v1")
    vocab = {n: ch for ch, n in json.loads((FIXTURES / "keras_chars.json").read_text(encoding="utf-8")).items()}
    text = "".join(vocab.get(i, "\ufffd") for i in expected["ids"])  # id 0: the unknown token
    code, _, err = run_import(capsys, "keras", FIXTURES / "keras_gru_v1.h5", "--vocab", FIXTURES / "keras_chars.json",
                              "--tokenizer", "char", "--id", "gru-v1", "--out", tmp_path)
    assert code == 0, err
    assert main(["trace", text, "--model", "gru-v1", "--models-dir", str(tmp_path), "--top-k", "10"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in payload["tokens"]] == expected["ids"].tolist()
    np.testing.assert_allclose(np.asarray(payload["layers"][0]["h"]), expected["l0.h"], rtol=0, atol=TOLERANCE)
    probs = np.array([[p["prob"] for p in sorted(step, key=lambda p: vocab_id(p["token"]))]
                      for step in payload["predictions"]])
    np.testing.assert_allclose(probs, expected["probs"], rtol=0, atol=TOLERANCE)


def vocab_id(token: str) -> int:
    mapping = json.loads((FIXTURES / "keras_chars.json").read_text(encoding="utf-8"))
    return mapping.get(token, 0)


@pytest.mark.parametrize(("args", "message"), [
    ([FIXTURES / "torch_rnn.safetensors"], "a vanilla RNN"),
    ([FIXTURES / "torch_gru.safetensors", "--cell", "lstm"], "is a GRU (nn.GRU"),
])
def test_cell_refusals_fail_with_status_2_and_write_nothing(tmp_path, capsys, args, message):
    code, _, err = run_import(capsys, "pytorch", *args, "--vocab", FIXTURES / "chars.json", "--tokenizer", "char",
                              "--id", "x", "--out", tmp_path)
    assert code == 2 and err.startswith("error: ") and message in err
    assert not list(tmp_path.iterdir())
