"""Gate saturation: the pure functions on hand-made arrays (strict thresholds, counts summed over texts, the
summary), which quantities are gates (read from the cell spec), and `lstm-viz eval MODEL --saturation`
(snapshots in step order, held-out text or the card's examples, JSON against a count made here, errors)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.analysis.cli import _held_out_text
from app.analysis.saturation import (
    Tally,
    check_threshold,
    counts,
    describe,
    gate_quantities,
    gate_summary,
    report,
    right_threshold,
    saturated,
    tally,
)
from app.cli import main
from app.engine.cells import CELLS
from app.model_store import load_model
from tests.helpers import write_cell_model

# ---- pure functions ----


def test_the_gates_are_the_quantities_on_the_gate_scale():
    assert gate_quantities(CELLS["lstm"]) == ("i", "f", "o")
    assert gate_quantities(CELLS["gru"]) == ("r", "z")
    assert gate_quantities(CELLS["rnn"]) == ()
    made_up = SimpleNamespace(quantities=("p", "q", "s"), panels={"p": {"scale": "tanh"}, "q": {"scale": "gate"},
                                                                  "s": {"scale": "gate"}})
    assert gate_quantities(made_up) == ("q", "s")  # read from the spec, not from the cell's name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exactly_the_thresholds_is_not_saturated(dtype):
    below, above = np.nextafter(dtype(0.1), dtype(0)), np.nextafter(dtype(0.9), dtype(1))
    values = np.array([[0.1, 0.9, below, above, 0.0, 1.0, 0.5]], dtype=dtype).T  # (7, 1): one unit, seven steps
    left, right = saturated(values)
    assert left[:, 0].tolist() == [False, False, True, False, True, False, False]
    assert right[:, 0].tolist() == [False, False, False, True, False, True, False]
    assert counts(values) == (np.array([2]), np.array([2]))


def test_counts_are_per_unit_over_the_steps():
    values = np.array([[0.05, 0.95, 0.50],
                       [0.02, 0.50, 0.99],
                       [0.50, 0.97, 0.01],
                       [0.08, 0.91, 0.90]], dtype=np.float32)  # (T = 4, H = 3)
    left, right = counts(values)
    assert left.tolist() == [3, 0, 1] and right.tolist() == [0, 3, 1] and left.dtype == np.int64
    left, right = counts(values, threshold=0.3)  # below 0.3, above 0.7
    assert left.tolist() == [3, 0, 1] and right.tolist() == [0, 3, 2]


@pytest.mark.parametrize("bad", [0.0, 0.005, 0.5, 0.9, -0.1, float("nan"), float("inf")])
def test_a_threshold_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="out of range: use 0.01 to 0.49"):
        check_threshold(bad)
    with pytest.raises(ValueError, match="out of range"):
        saturated(np.zeros((1, 1)), bad)


def test_the_range_ends_are_allowed_and_the_right_threshold_reads_as_written():
    check_threshold(0.01)
    check_threshold(0.49)
    assert right_threshold(0.1) == 0.9 and right_threshold(0.41) == 0.59 and 1 - 0.41 != 0.59


def test_a_tally_sums_counts_over_texts_rather_than_averaging_fractions():
    first = {"f": np.array([[0.95], [0.95], [0.95]], np.float32), "i": np.zeros((3, 1), np.float32)}
    second = {"f": np.array([[0.05]], np.float32), "i": np.ones((1, 1), np.float32)}
    counted = tally([(first, 3), (second, 1)], ("f", "i"), 1)
    assert (counted.steps, counted.texts) == (4, 2)
    fractions = counted.fractions()
    assert fractions["f"][0].tolist() == [0.25] and fractions["f"][1].tolist() == [0.75]  # not (1 + 0) / 2
    assert fractions["i"][0].tolist() == [0.75] and fractions["i"][1].tolist() == [0.25]


def test_a_tally_refuses_arrays_of_the_wrong_shape_and_zero_steps():
    counted = Tally(("f",), 2)
    with pytest.raises(ValueError, match=r"expected shape \(3, 2\)"):
        counted.add({"f": np.zeros((3, 4))}, 3)
    with pytest.raises(ValueError, match="no steps"):
        counted.fractions()
    counted.add({"f": np.zeros((0, 2))}, 0)  # an empty text counts nothing
    assert counted.steps == 0 and counted.texts == 1
    no_gates = Tally((), 5)
    no_gates.add(None, 7)
    assert no_gates.steps == 7 and no_gates.fractions() == {}


def test_mostly_means_more_than_half_of_the_steps():
    left, right = np.array([0.1, 0.5, 0.7, 0.0]), np.array([0.6, 0.5, 0.2, 0.51])
    summary = gate_summary(left, right)
    assert summary == {"mostly_left": 1, "mostly_right": 2, "neither": 1, "mean_left": pytest.approx(0.325),
                       "mean_right": pytest.approx(0.4525)}


def test_the_summary_in_words():
    summary = {"mostly_left": 3, "mostly_right": 26, "neither": 35}
    assert describe("f", "forget gate", summary) == (
        "forget gate f: 26 of 64 units (41%) mostly open (above 0.9 on more than half the steps), 3 (5%) mostly "
        "closed (below 0.1), 35 (55%) neither")
    assert "above 0.75" in describe("z", "update gate", summary, 0.25)


def test_the_report_has_every_gate_in_order():
    counted = Tally(("o", "f"), 2, 0.2)
    counted.add({"o": np.array([[0.1, 0.9], [0.1, 0.5]]), "f": np.array([[0.85, 0.3], [0.9, 0.3]])}, 2)
    out = report(counted, {"o": "output gate", "f": "forget gate"})
    assert list(out) == ["o", "f"]
    assert out["o"]["left"].tolist() == [1.0, 0.0] and out["o"]["right"].tolist() == [0.0, 0.5]
    assert out["f"]["right"].tolist() == [1.0, 0.0] and out["f"]["mostly_right"] == 1
    assert out["o"]["summary"].startswith("output gate o: 0 of 2 units (0%) mostly open (above 0.8")


# ---- lstm-viz eval MODEL --saturation ----

CORPUS_LINE = "a cab, a bad cab. a dab, a bad dab.\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Random char models: `tiny` (a two-layer LSTM) with snapshots at steps 0, 3 and 20, a GRU and an RNN."""
    folder = tmp_path_factory.mktemp("models")
    write_cell_model(folder, "tiny", "lstm", seed=0, H=8, L=2, scale=1.5)
    for seed, step in ((1, 20), (2, 0), (3, 3)):
        write_cell_model(folder, f"tiny-step{step}", "lstm", seed=seed, H=8, L=2, scale=1.5)
    write_cell_model(folder, "tg", "gru", seed=4, H=8, L=1, scale=1.5)
    write_cell_model(folder, "tr", "rnn", seed=5, H=8, L=1)
    card_path = folder / "tiny.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["examples"] = ["a bad cab.", "a dab, a cab."]
    card["provenance"] = {"steps": 40}
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> Path:
    """A fetched `shakespeare` corpus of eleven small files (every tenth is held out)."""
    root = tmp_path_factory.mktemp("corpora")
    (root / "shakespeare").mkdir()
    for k in range(11):
        (root / "shakespeare" / f"part{k:02}.txt").write_text(f"\n\n\n{k}" + CORPUS_LINE * 20, encoding="utf-8")
    return root


def eval_saturation(capsys, folder: Path, corpora: Path, model: str, *options: str) -> tuple[int, str, str]:
    code = main(["eval", model, "--saturation", "--models-dir", str(folder), "--corpus", "shakespeare",
                 "--corpora-dir", str(corpora), "--chars", "400", *options])
    out = capsys.readouterr()
    return code, out.out, out.err


def counted_here(path: Path, texts: list[str], layer: int) -> tuple[int, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Steps, and per gate (left, right) fractions, by the engine and NumPy alone."""
    model = load_model(path)
    gates = [q for q in model.spec.quantities if model.spec.panels[q]["scale"] == "gate"]
    traces = [model.spec.forward(model.compiled, np.array([t.id for t in model.tokenizer.tokenize(text)]))
              for text in texts]
    stacked = {g: np.concatenate([tr.layers[layer][g] for tr in traces]) for g in gates}
    T = sum(tr.num_steps for tr in traces)
    return T, {g: ((v < 0.1).sum(axis=0) / T, (v > 0.9).sum(axis=0) / T) for g, v in stacked.items()}


def test_json_is_the_count_over_the_held_out_text(capsys, folder, corpora):
    code, out, err = eval_saturation(capsys, folder, corpora, "tiny", "--json", "--layer", "1")
    assert code == 0, err
    body = json.loads(out)
    text = _held_out_text(corpora, "shakespeare", 400)
    assert body["corpus"].startswith("400 held-out characters of the shakespeare corpus") and body["texts"] == 1
    (result,) = body["models"]
    T, want = counted_here(folder / "tiny.safetensors", [text], 1)
    assert (result["model"], result["layer"], result["num_steps"], result["step"]) == ("tiny", 1, T, 40) and T == 400
    assert list(result["gates"]) == ["i", "f", "o"]
    for g, (left, right) in want.items():
        assert result["gates"][g]["left"] == left.tolist() and result["gates"][g]["right"] == right.tolist(), g
    assert any(any(result["gates"][g]["left"]) for g in want) and any(any(result["gates"][g]["right"]) for g in want)


def test_the_table_lists_the_snapshots_in_step_order_then_the_model(capsys, folder, corpora):
    code, out, err = eval_saturation(capsys, folder, corpora, "tiny", "--snapshots")
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("tiny")]
    assert [h.split(" (")[0] for h in headers] == ["tiny-step0", "tiny-step3", "tiny-step20", "tiny"]
    assert "(training step 3)" in headers[1] and "(final, training step 40)" in headers[3]
    text = _held_out_text(corpora, "shakespeare", 400)
    lines = out.splitlines()
    for model_id, header in zip(["tiny-step0", "tiny-step3", "tiny-step20", "tiny"], headers, strict=True):
        _, want = counted_here(folder / f"{model_id}.safetensors", [text], 0)
        at = lines.index(header)
        assert lines[at + 1].split() == ["gate", "mostly", "left", "mostly", "right", "neither", "mean", "left",
                                         "mean", "right"]
        for row, (g, (left, right)) in zip(lines[at + 2 : at + 5], want.items(), strict=True):
            cells = row.split()
            assert cells[0] == g
            n_left, n_right = int(np.sum(left > 0.5)), int(np.sum(right > 0.5))
            assert (int(cells[-8]), int(cells[-6]), int(cells[-4])) == (n_left, n_right, 8 - n_left - n_right), row
            assert (cells[-2], cells[-1]) == (f"{left.mean():.3f}", f"{right.mean():.3f}"), row


def test_without_a_fetched_corpus_the_cards_examples_are_used_and_said(capsys, folder, tmp_path):
    code, out, err = eval_saturation(capsys, folder, tmp_path, "tiny", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["corpus"].startswith("the model card's 2 examples, not held-out text: the shakespeare corpus is not "
                                     "fetched") and "python tools/corpora.py shakespeare" in body["corpus"]
    T, want = counted_here(folder / "tiny.safetensors", ["a bad cab.", "a dab, a cab."], 0)
    (result,) = body["models"]
    assert result["num_steps"] == T == 23 and result["texts"] == 2
    assert all(result["gates"][g]["right"] == right.tolist() for g, (_, right) in want.items())


def test_a_gru_and_an_rnn(capsys, folder, corpora):
    code, out, _ = eval_saturation(capsys, folder, corpora, "tg")
    assert code == 0 and "tg: GRU, layer 0, H = 8, 400 steps" in out
    assert [line.split()[0] for line in out.splitlines()[-2:]] == ["r", "z"]
    code, out, _ = eval_saturation(capsys, folder, corpora, "tr")
    assert code == 0 and "tr: vanilla RNN, layer 0, H = 8, 400 steps" in out
    assert out.rstrip().endswith("a vanilla RNN has no gates (no quantity on the 0..1 gate scale): nothing to saturate")


def test_no_snapshots_is_a_note_not_an_error(capsys, folder, corpora):
    code, out, err = eval_saturation(capsys, folder, corpora, "tg", "--snapshots")
    assert code == 0 and "no training snapshots of 'tg' beside it" in err and out.count("tg") == 1


@pytest.mark.parametrize(("options", "message"), [
    (["--layer", "2"], "error: layer 2 is out of range: model 'tiny' has layers 0 to 1"),
    (["--layer", "-1"], "error: layer -1 is out of range"),
    (["--threshold", "0.5"], "error: threshold 0.5 is out of range: use 0.01 to 0.49"),
    (["--write-card"], "error: --saturation only prints: leave out --memory-span and --write-card"),
])
def test_bad_options_exit_2_with_a_message(capsys, folder, corpora, options, message):
    code, out, err = eval_saturation(capsys, folder, corpora, "tiny", *options)
    assert code == 2 and out == "" and err.startswith(message), err


def test_its_options_go_with_saturation(capsys, folder):
    assert main(["eval", "tiny", "--models-dir", str(folder), "--snapshots", "--json"]) == 2
    assert capsys.readouterr().err == "error: --snapshots, --json go with --saturation: add it, or leave them out\n"


@pytest.mark.slow
def test_the_lesson_models_forget_gates_open_during_training(capsys):
    """The bundled lesson LSTM and its snapshots over the lesson test split (under a minute): at step 0 no forget
    gate is saturated; after training, most units' forget gates are open on most steps (docs/saturation.md)."""
    assert main(["eval", "lesson", "--saturation", "--snapshots", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [(m["model"], m["step"]) for m in body["models"]] == [
        ("lesson-step0", 0), ("lesson-step100", 100), ("lesson-step1000", 1000), ("lesson", 16000)]
    first, last = body["models"][0]["gates"]["f"], body["models"][-1]["gates"]["f"]
    assert first["mostly_right"] == first["mostly_left"] == 0 and last["mostly_right"] > 64 / 2
    assert body["texts"] == 3000 and body["models"][0]["num_steps"] == 127_682
