"""`lstm-viz train --cell NAME` for every cell: a model file with a complete card, snapshots, and a checkpoint of
one cell that another cell may not resume."""

import json

import numpy as np
import pytest

from app.cli import main
from app.engine.cells import CELLS
from app.model_store import load_model

PLAY = "to be or not to be, that is the question. " * 80


def corpora(tmp_path, plays: int = 3):
    corpus = tmp_path / "corpora" / "shakespeare"
    corpus.mkdir(parents=True)
    for n in range(plays):
        (corpus / f"play{n}.txt").write_text(PLAY)
    return ["--corpus", "shakespeare", "--corpora-dir", str(tmp_path / "corpora")]


@pytest.mark.parametrize("name", list(CELLS))
def test_train_command_writes_a_model_with_a_complete_card(tmp_path, name):
    cell = CELLS[name]
    argv = ["train", *corpora(tmp_path), "--id", "tiny", "--cell", name, "--out", str(tmp_path / "models"),
            "--hidden", "8", "--embedding", "4", "--steps", "12", "--lr", "1e-2", "--seq-len", "20", "--batch", "4",
            "--valid-every", "6", "--valid-size", "8", "--snapshots", "0,6", "--quiet"]
    assert main(argv) == 0
    model = load_model(tmp_path / "models" / "tiny.safetensors")
    card = json.loads((tmp_path / "models" / "tiny.json").read_text())
    assert card["cell"] == name and model.cell == name and type(model.params) is cell.params_type
    assert {k: card[k] for k in cell.options} == cell.card_options({})  # what the training layers compute
    assert not {k for c in CELLS.values() for k in c.options} - set(cell.options) & set(card)
    assert cell.title in card["description"]
    prov = card["provenance"]
    assert prov["command"].startswith("lstm-viz train --corpus shakespeare") and f"--cell {name}" in prov["command"]
    assert prov["run_steps"] == 12 and prov["steps"] in (6, 12)
    assert prov["valid_loss"] < np.log(len(model.tokenizer.vocab)) and prov["train_loss"] > 0
    assert prov["wall_time_s"] >= 0 and "licence" in prov
    assert model.tokenizer.kind == "char" and model.params.hidden_size == 8
    for step in (0, 6):
        snapshot = load_model(tmp_path / "models" / f"tiny-step{step}.safetensors")
        assert snapshot.card["provenance"]["steps"] == step and snapshot.cell == name


@pytest.mark.parametrize("name", list(CELLS))
def test_resuming_a_checkpoint_with_another_cell_says_which_cell_it_holds(tmp_path, capsys, name):
    other = next(c for c in CELLS if c != name)
    common = ["train", *corpora(tmp_path, plays=1), "--out", str(tmp_path / "models"), "--hidden", "8",
              "--embedding", "4", "--steps", "4", "--seq-len", "20", "--batch", "4", "--valid-every", "2",
              "--valid-size", "8", "--quiet", "--checkpoint", str(tmp_path / "run.safetensors"), "--resume"]
    assert main([*common, "--id", f"tiny-{name}", "--cell", name]) == 0
    capsys.readouterr()
    assert main([*common, "--id", f"tiny-{other}", "--cell", other]) == 2
    err = capsys.readouterr().err
    assert f"holds a run of cell {name!r}, not {other!r}" in err and f"--cell {name}" in err
    assert "Traceback" not in err
