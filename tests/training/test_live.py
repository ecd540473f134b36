"""The live trainer's tasks (app/training/tasks.py), its determinism (same seed, same weights; stopped and resumed,
the same weights) and `lstm-viz train --task`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from app.engine.cells import CELLS
from app.model_store import load_model
from app.training import tasks
from app.training.live import LiveConfig, Trainer, initial_state, problems, run

TINY = dict(hidden_size=4, embedding_size=4, distance_min=2, distance_max=4, steps=12, batch_size=4,
            progress_every=4, snapshot_every=6, held_out_per_distance=4)


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_generators_are_deterministic_and_keep_their_distances(name):
    t = tasks.task(name)
    first = tasks.examples(t, np.random.default_rng([3, 1]), 20, 2, 5)
    again = tasks.examples(t, np.random.default_rng([3, 1]), 20, 2, 5)
    assert first == again
    assert {ex.distance for ex in first} <= set(range(2, 6)) and len({ex.distance for ex in first}) > 1
    tok = t.tokenizer()
    for ex in first:
        assert ex.targets and len(ex.targets) == len(ex.options)
        assert all(0 < k < len(ex.words) for k in ex.targets)
        assert all(ex.words[k].lower() not in opts for k, opts in zip(ex.targets, ex.options, strict=True))
        if name != "lesson":  # the slice's rarer filler words read as <unk>; the small tasks know every word
            assert all(w.lower() in tok.index for w in ex.words)
    ids, targets, mask = tasks.batch(tok, first)
    assert ids.shape == targets.shape == mask.shape and mask.sum() == sum(len(ex.targets) for ex in first)


def test_tense_answer_is_decided_by_the_first_word_and_the_filler_has_distance_words():
    t = tasks.task("tense")
    for ex in tasks.examples(t, np.random.default_rng(0), 50, 7, 7):
        cue = " ".join(ex.words[: len(ex.words) - 9])
        assert ex.words[-2:-1] == ("I",) and len(ex.words) - len(cue.split()) - 2 == 7
        assert ex.words[-1] == ("had" if cue in tasks.PAST_CUES else "need") and cue in tasks.PAST_CUES + \
            tasks.PRESENT_CUES
        assert ex.options == ((("need",) if ex.words[-1] == "had" else ("had",)),)
    probe = t.probe(30)
    assert probe.words[:2] == ("Last", "year") and probe.words[-2:] == ("I", "had") and len(probe.words) == 34
    assert t.probe(30) == probe  # fixed


def test_brackets_close_as_many_as_opened_and_count_after_the_first_close():
    for ex in tasks.examples(tasks.task("brackets"), np.random.default_rng(1), 40, 0, 6):
        depth = ex.words.count("(")
        assert ex.words.count(")") == depth and ex.words[-1] == "." and 1 <= depth <= tasks.MAX_DEPTH
        assert len(ex.targets) == depth and ex.targets[-1] == len(ex.words) - 1


def test_lesson_probe_is_the_lecture_sentence():
    from app.corpora.lecture import TENSE_PAST

    probe = tasks.task("lesson").probe(20)
    assert probe.text.replace(" ,", ",").replace(" .", ".") == TENSE_PAST
    assert probe.words[probe.targets[0]] == "had"


def test_held_out_distances_span_the_range():
    assert tasks.held_out_distances(0, 30) == (0, 6, 12, 18, 24, 30)
    assert tasks.held_out_distances(30, 30) == (30,)
    with pytest.raises(ValueError):
        tasks.check_distances(5, 4)


def _train(config: LiveConfig, stop_at: int | None = None):
    events = []
    trainer = Trainer(config)
    state = initial_state(config)
    done = run(config, state, lambda kind, data: events.append((kind, data)),
               (lambda: state.step >= stop_at) if stop_at else (lambda: False), trainer)
    return state, events, done, trainer


@pytest.mark.parametrize("name", list(CELLS))
def test_same_seed_same_weights_and_a_stopped_run_resumes_to_the_same_weights(name):
    config = LiveConfig(cell=name, **TINY)
    a, events, done, trainer = _train(config)
    b, _, _, _ = _train(config)
    assert done and a.step == 12
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    c, first, done, _ = _train(config, stop_at=5)
    assert not done and c.step == 5
    assert run(config, c, lambda kind, data: first.append((kind, data)), trainer=trainer)
    assert all(np.array_equal(a.params[k], c.params[k]) for k in a.params)
    other, _, _, _ = _train(LiveConfig(cell=name, **{**TINY, "seed": 1}))
    assert not all(np.array_equal(a.params[k], other.params[k]) for k in a.params)
    kinds = [k for k, _ in events]
    assert kinds == ["snapshot", "progress", "snapshot", "progress", "progress", "snapshot"]  # 0, 4, 6, 8, 12, 12
    snapshot = events[0][1]
    assert set(snapshot["layers"][0]) == set(CELLS[name].quantities)
    assert np.array(snapshot["layers"][0]["h"]).shape == (len(snapshot["tokens"]), 4)
    progress = events[-2][1]
    assert progress["step"] == 12 and set(progress["accuracy"]) == {"2", "3", "4"} and progress["chance"] == 0.5


def test_problems_name_what_to_change():
    assert problems(LiveConfig()) == []
    found = problems(LiveConfig(hidden_size=1000, distance_min=9, distance_max=3, steps=20_000, progress_every=1))
    text = "; ".join(found)
    assert "hidden_size = 1000 is outside 2-64" in text and "make min <= max" in text and "use at least 100" in text


def test_train_task_prints_progress_and_writes_a_model(tmp_path, capsys):
    argv = ["train", "--task", "tense", "--cell", "gru", "--distance", "2-3", "--steps", "8", "--hidden", "4",
            "--embedding", "4", "--batch", "4", "--progress-every", "4", "--snapshot-every", "4", "--id", "live-gru",
            "--out", str(tmp_path), "--events", str(tmp_path / "events.jsonl")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "step 4/8  loss" in out and "accuracy 2:" in out and "chance 0.50" in out and "finished: step 8" in out
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in lines] == ["snapshot", "progress", "snapshot", "progress", "snapshot", "finished"]
    model = load_model(tmp_path / "live-gru.safetensors")
    assert model.cell == "gru" and model.card["provenance"]["corpus_name"] == "task:tense"
    assert model.card["provenance"]["command"].startswith("lstm-viz train --task tense")


def test_train_task_refuses_bad_values(capsys):
    assert main(["train", "--task", "tense", "--distance", "5-x"]) == 2
    assert "give N or MIN-MAX" in capsys.readouterr().err
    assert main(["train", "--task", "brackets", "--hidden", "500", "--steps", "3"]) == 2
    assert "hidden_size = 500 is outside 2-64" in capsys.readouterr().err


@pytest.mark.slow
def test_the_default_tense_job_teaches_an_lstm_30_words_apart_and_leaves_an_rnn_at_chance():
    """The headline (docs/training_live.md): the default job, distances 0-30, seed 0. About a minute."""
    accuracy = {}
    for name in ("lstm", "rnn"):
        state, events, done, trainer = _train(LiveConfig(cell=name, progress_every=500, snapshot_every=1000))
        accuracy[name] = trainer.accuracy(state.params)
    assert accuracy["lstm"][30] >= 0.95 and min(accuracy["lstm"].values()) >= 0.95, accuracy
    assert accuracy["rnn"][30] <= 0.65 and np.mean(list(accuracy["rnn"].values())) <= 0.6, accuracy
