"""Large traces are computed in the large lane's own process (app/serving/lane_process.py), with the same bits
as in the worker; a lane process that dies costs one 503, not the lane; what takes the lane is estimated from
the request alone (app/serving/admission.py)."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from app.serving.admission import answer_bytes, is_large
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.schemas import TraceRequest
from tests.servers import serve

TEXT = "Last year, I had to take a loan. Today, I need to take a loan. " * 4
BODY = {"model": "lesson", "text": TEXT, "top_k": 5, "encoding": "f4"}


@pytest.fixture(scope="module")
def lane_app():
    """Every trace of more than ~1 KB takes the large lane, so this text goes to the lane process."""
    app = create_app(Settings(large_answer_mb=0.001))
    with serve(app) as base:
        yield app, base


def test_a_large_trace_is_computed_in_the_lane_process_with_the_same_bits(lane_app):
    app, base = lane_app
    with serve(create_app(Settings())) as plain:  # the default threshold: this trace stays in the worker
        expected = httpx.post(f"{plain}/api/trace", json=BODY, timeout=60)
    got = httpx.post(f"{base}/api/trace", json=BODY, timeout=60)
    assert got.status_code == expected.status_code == 200
    assert app.state.lane_process.pool is not None, "the lane process was not used"
    assert got.content == expected.content
    assert int(got.headers["content-length"]) == len(got.content)


def test_errors_from_the_lane_process_are_the_routes_own(lane_app):
    _, base = lane_app
    got = httpx.post(f"{base}/api/trace", json={**BODY, "model": "nope"}, timeout=60)
    assert got.status_code == 404 and "unknown model 'nope'" in got.json()["detail"]
    got = httpx.post(f"{base}/api/trace", json={**BODY, "quantities": "x,y"}, timeout=60)
    assert got.status_code == 422 and "x" in got.json()["detail"]


def test_a_lane_process_that_dies_costs_one_503_then_starts_again(lane_app):
    app, base = lane_app
    assert httpx.post(f"{base}/api/trace", json=BODY, timeout=60).status_code == 200
    (pid,) = app.state.lane_process.pool._processes  # the one process of the lane
    os.kill(pid, signal.SIGKILL)
    got = httpx.post(f"{base}/api/trace", json=BODY, timeout=60)
    assert got.status_code == 503 and got.headers["retry-after"]
    assert "try again" in got.json()["detail"]
    assert httpx.post(f"{base}/api/trace", json=BODY, timeout=60).status_code == 200


def test_the_estimate_bounds_the_answer_and_keystrokes_stay_small():
    app = create_app(Settings())
    models, settings = app.state.models, Settings()
    model = models["shakespeare"]
    text = ("To be, or not to be, that is the question: " * 60)[:2000]
    full = TraceRequest(model="shakespeare", text=text, encoding="json")
    with serve(app) as base:
        size = len(httpx.post(f"{base}/api/trace", json=full.model_dump(exclude_none=True), timeout=60).content)
    assert size <= answer_bytes(model, full, settings) <= 1.5 * size  # an upper bound, and not a loose one
    assert is_large(full, models, settings)
    keystroke = TraceRequest(model="shakespeare", text="e, ", encoding="u1", quantities="kept,forgotten,written",
                             layer=0, since=1990, offset=1997, prefix="0" * 16)
    assert not is_large(keystroke, models, settings)
    page_load = TraceRequest(model="shakespeare", text=text, encoding="u1", quantities="kept,forgotten,written",
                             layer=0)
    assert not is_large(page_load, models, settings), "the page's first trace of a 2,000-token text waits for nobody"
