"""/api/attribution's method "auto" over real HTTP with the bundled models: it answers with the most telling method
whose cost fits at the step (occlusion, then integrated gradients, then gradient × input), says which and why, and
its scores are that method's own answer's."""

from __future__ import annotations

import pytest

from app.corpora.lecture import TENSE_PAST
from app.serving.attribution import largest_step, network_of
from app.serving.config import Settings


@pytest.fixture(scope="module")
def app():
    from app.serving.app import create_app

    return create_app(Settings())


def limits(app, model_id: str) -> dict[str, int]:
    """The largest step each method fits at, by the server's own cost model (m = 32, the default)."""
    net = network_of(app.state.models[model_id])
    return {method: largest_step(net, method, 32) for method in ("occlusion", "integrated_gradients", "grad_input")}


def ask(http, **params) -> dict:
    answer = http.get("/api/attribution", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def same_as(http, auto: dict, **params) -> None:
    """auto's scores are the named method's own answer's."""
    own = ask(http, **params, method=auto["method"])
    assert auto["scores"] == own["scores"] and auto["target"] == own["target"] and "auto" not in own


def test_a_sentence_on_the_lesson_model_is_explained_by_occlusion(http):
    step = TENSE_PAST.split().index("I") + 2  # tokens: "Last", "year", ",", …: "I" is one further for each comma
    body = ask(http, model="lesson", text=TENSE_PAST, step=step, target="had", method="auto")
    assert [t["text"] for t in body["tokens"]][-1] == "I"
    assert body["method"] == "occlusion" and body["auto"].startswith("occlusion")
    same_as(http, body, model="lesson", text=TENSE_PAST, step=step, target="had")


def test_past_occlusions_budget_it_takes_integrated_gradients_then_gradient_times_input(app, http):
    fits = limits(app, "lesson")
    assert fits["occlusion"] < fits["integrated_gradients"] < fits["grad_input"]
    text = " ".join([TENSE_PAST] * 40)  # about 800 tokens
    for step, method in ((fits["occlusion"], "occlusion"), (fits["occlusion"] + 1, "integrated_gradients"),
                         (fits["integrated_gradients"] + 1, "grad_input")):
        body = ask(http, model="lesson", text=text, step=step, method="auto")
        assert body["method"] == method, (step, body["auto"])
        if method != "occlusion":
            assert "over the budget" in body["auto"]
        same_as(http, body, model="lesson", text=text, step=step)


def test_a_char_model_falls_back_in_the_same_order(app, http):
    fits = limits(app, "shakespeare")
    text = "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer"
    step = len(text) - 1
    expected = next(m for m in ("occlusion", "integrated_gradients", "grad_input") if step <= fits[m])
    body = ask(http, model="shakespeare", text=text, method="auto")
    assert body["method"] == expected
    same_as(http, body, model="shakespeare", text=text)


def test_on_the_python_char_model_a_closing_bracket_is_pushed_most_by_its_opening_one(http):
    """The char models' own "Last year": after "return g(a" the ")" comes from the "(" (by auto's occlusion)."""
    text = "def f(a, b):\n    return g(a"
    body = ask(http, model="python", text=text, target=")", method="auto")
    assert body["method"] == "occlusion"
    strongest = max(range(len(body["scores"])), key=body["scores"].__getitem__)
    assert strongest == text.rindex("("), [(t["text"], s) for t, s in zip(body["tokens"], body["scores"], strict=True)]
