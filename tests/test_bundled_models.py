"""The bundled models: complete cards, targets met and recorded, commands that reproduce the files."""

import json
import shlex

import numpy as np
import pytest
from safetensors.numpy import load_file

from app.evaluate import evaluate_lesson
from app.model_store import load_model, load_registry
from app.resources import resource_dir

MODELS = resource_dir("models")
TRAINED = ["lesson", "shakespeare", "python"]
BUNDLED = ["untrained", "lesson", "lesson-step0", "lesson-step100", "lesson-step1000", "shakespeare", "python"]


def card(model_id):
    return json.loads((MODELS / f"{model_id}.json").read_text(encoding="utf-8"))


def test_every_bundled_model_loads():
    assert sorted(load_registry([MODELS])) == sorted(BUNDLED)


@pytest.mark.parametrize("model_id", BUNDLED)
def test_every_card_is_complete(model_id):
    c = card(model_id)
    for key in ("id", "title", "description", "cell", "tokenizer", "sizes", "provenance", "examples"):
        assert c.get(key), key
    for key in ("corpus", "licence", "command"):
        assert c["provenance"].get(key), key
    if model_id != "untrained":
        for key in ("steps", "wall_time_s", "train_loss", "valid_loss"):
            assert key in c["provenance"], key


def test_lesson_is_small_enough_to_read_unit_by_unit():
    model = load_model(MODELS / "lesson.safetensors")
    assert model.params.hidden_size <= 64 and model.params.num_layers <= 2


def test_lesson_meets_its_targets_and_the_card_records_them():
    model = load_model(MODELS / "lesson.safetensors")
    result = evaluate_lesson(model)
    assert result["tense"]["accuracy"] >= 0.98
    assert result["cuisine_two_person"]["accuracy"] >= 0.95
    assert result["lecture_all_correct"]
    assert {p["expected"] for p in result["lecture"]} == {"need", "had", "indian", "italian"}
    recorded = card("lesson")["evaluation"]
    assert recorded["tense"]["accuracy"] == result["tense"]["accuracy"]
    assert recorded["cuisine_two_person"]["accuracy"] == result["cuisine_two_person"]["accuracy"]


def test_lesson_card_points_at_units_that_carry_tense_and_cuisine():
    units = card("lesson")["notable_units"]
    assert {u["carries"] for u in units} == {"tense", "cuisine"}
    best_tense = next(u for u in units if u["carries"] == "tense")
    assert best_tense["sign_consistency"] >= 0.95 and abs(best_tense["mean_delta_c"]) > 1
    assert card("lesson")["evaluation"]["command"].startswith("lstm-viz eval lesson")


def test_checkpoints_show_learning_stages():
    accuracies = [card(m)["evaluation"]["tense"]["accuracy"] for m in ("lesson-step0", "lesson-step1000", "lesson")]
    assert accuracies[0] < accuracies[2] and accuracies[2] >= 0.98


def test_the_lesson_command_reproduces_its_step_100_snapshot(tmp_path):
    from app.cli import main

    argv = shlex.split(card("lesson-step100")["provenance"]["command"])[1:]
    argv[argv.index("--out") + 1] = str(tmp_path)
    argv.remove("--resume")
    argv[argv.index("--checkpoint") + 1] = str(tmp_path / "run.safetensors")
    assert main([*argv, "--stop-at", "100", "--quiet"]) == 0
    mine = load_file(tmp_path / "lesson-step100.safetensors")
    bundled = load_file(MODELS / "lesson-step100.safetensors")
    assert mine.keys() == bundled.keys()
    for name in mine:  # other CPUs' BLAS kernels may round the last bits differently
        np.testing.assert_allclose(mine[name], bundled[name], rtol=0, atol=1e-4, err_msg=name)
