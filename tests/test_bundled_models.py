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
TRAINED = ["lesson", "lesson-rnn", "shakespeare", "python"]
BUNDLED = ["untrained", "lesson", "lesson-rnn", "lesson-step0", "lesson-step100", "lesson-step1000", "shakespeare",
           "python"]


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


def parameter_count(model_id):
    return sum(a.size for a in load_file(MODELS / f"{model_id}.safetensors").values())


def test_lesson_rnn_is_a_vanilla_rnn_matched_to_the_lstm():
    """Same corpus, tokenizer and training budget as `lesson`, about as many parameters."""
    rnn, lstm = load_model(MODELS / "lesson-rnn.safetensors"), load_model(MODELS / "lesson.safetensors")
    assert rnn.cell == "rnn" and card("lesson-rnn")["nonlinearity"] == "tanh" and lstm.cell == "lstm"
    assert card("lesson-rnn")["tokenizer"] == card("lesson")["tokenizer"]
    assert abs(parameter_count("lesson-rnn") / parameter_count("lesson") - 1) < 0.02  # 53,965 vs 54,673
    mine, theirs = card("lesson-rnn")["provenance"], card("lesson")["provenance"]
    for key in ("corpus", "steps", "run_steps", "batch_size", "lr", "lr_final", "clip", "seed"):
        assert mine[key] == theirs[key], key
    assert "--cell rnn" in mine["command"] and "--steps 8000" in mine["command"]


def test_lesson_rnn_meets_its_targets_and_the_card_records_them():
    model = load_model(MODELS / "lesson-rnn.safetensors")
    result = evaluate_lesson(model)
    assert result["tense"]["accuracy"] >= 0.95 and result["cuisine_two_person"]["accuracy"] >= 0.95
    assert result["lecture_all_correct"]
    recorded = card("lesson-rnn")["evaluation"]
    assert recorded["tense"]["accuracy"] == result["tense"]["accuracy"]
    assert recorded["cuisine_two_person"]["accuracy"] == result["cuisine_two_person"]["accuracy"]
    assert recorded["command"] == "lstm-viz eval lesson-rnn --write-card"
    units = card("lesson-rnn")["notable_units"]
    assert {u["carries"] for u in units} == {"tense", "cuisine"} and all("mean_delta_h" in u for u in units)


@pytest.mark.parametrize("model_id", ["lesson", "lesson-rnn"])
def test_the_card_records_the_memory_span_curves(model_id):
    span = card(model_id)["evaluation"]["memory_span"]
    assert span["command"] == f"lstm-viz eval {model_id} --memory-span --write-card"
    assert span["distances"] == list(range(41)) and span["unit"] == "filler words"
    for task, training_range in (("tense", [0, 25]), ("cuisine", [2, 3])):
        curve = span[task]
        assert curve["training_range"] == training_range
        assert curve["in_training_range"] == [training_range[0] <= d <= training_range[1] for d in range(41)]
        assert len(curve["accuracy"]) == len(curve["n"]) == len(curve["mean_prob"]) == 41
        for accuracy, n in zip(curve["accuracy"], curve["n"], strict=True):
            assert (accuracy is None) == (n == 0) and (n in (0, span["probes_per_point"]))
        inside = [a for a, flag in zip(curve["accuracy"], curve["in_training_range"], strict=True) if flag]
        assert min(a for a in inside if a is not None) >= 0.9, (task, inside)
    assert [d for d, n in enumerate(span["cuisine"]["n"]) if n == 0] == [1, 4]  # no habits make 1 or 4 words


def test_the_lstm_remembers_further_than_the_rnn():
    """The lecture's claim, as measured: beyond the training range the LSTM keeps both cues better."""
    lstm, rnn = (card(m)["evaluation"]["memory_span"] for m in ("lesson", "lesson-rnn"))
    for task in ("tense", "cuisine"):
        outside = [d for d, flag in enumerate(lstm[task]["in_training_range"]) if not flag and lstm[task]["n"][d]]
        far = [d for d in outside if d > lstm[task]["training_range"][1]]
        mean = {name: np.mean([s[task]["mean_prob"][d] for d in far]) for name, s in (("lstm", lstm), ("rnn", rnn))}
        assert mean["lstm"] > mean["rnn"], (task, mean)


@pytest.mark.parametrize("model_id", ["lesson", "lesson-rnn"])
def test_the_recorded_memory_span_is_reproduced_by_its_command(model_id):
    """Each distance has its own probes, so a few distances re-measured must give the recorded numbers."""
    from app.memory_span import memory_span

    recorded = card(model_id)["evaluation"]["memory_span"]
    argv = shlex.split(recorded["command"])
    assert argv[:3] == ["lstm-viz", "eval", model_id] and "--probes" not in argv and "--seed" not in argv
    some = (0, 1, 9, 26, 40)
    again = memory_span(load_model(MODELS / f"{model_id}.safetensors"), recorded["probes_per_point"],
                        recorded["seed"], some)
    for task in ("tense", "cuisine"):
        for key in ("accuracy", "mean_prob", "n", "token_distance"):
            assert again[task][key] == [recorded[task][key][d] for d in some], (task, key)
