"""/api/search over real HTTP (app/serving/search.py): a small index of the bundled lesson model, matches by units and
from a span of a text, a unit's top values, /api/models naming the index, and clear 4xx for bad queries."""

from __future__ import annotations

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.index_helpers import bundled, small_index
from tests.servers import serve

LECTURE = "Last year, due to my current job situation and family conditions, I had to take a loan."


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    small_index(data_dir, bundled("lesson"))
    with serve(create_app(Settings(data_dir=data_dir, max_tokens=50))) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        yield client


def test_models_say_which_have_an_index(http) -> None:
    models = {m["id"]: m for m in http.get("/api/models").json()["models"]}
    assert models["lesson"]["index"]["tokens"] > 100 and models["lesson"]["index"]["quantity"] == "c"
    assert models["python"]["index"] is None


def test_match_by_units(http) -> None:
    r = http.get("/api/search", params={"model": "lesson", "units": "47,25", "threshold": 0.5, "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["units"] == [47, 25] and body["quantity"] == "c" and 1 <= len(body["results"]) <= 5
    overlaps = [(x["overlap"], x["length"]) for x in body["results"]]
    assert overlaps == sorted(overlaps, reverse=True)
    first = body["results"][0]
    assert first["window"]["start"] <= first["start"] < first["end"] <= first["window"]["end"]
    assert len(first["window"]["values"]) == 2
    assert all(len(row) == len(first["window"]["tokens"]) for row in first["window"]["values"])
    assert first["text"].split()[0] in " ".join(first["window"]["tokens"])


def test_match_from_a_span_of_a_text_get_and_post(http) -> None:
    query = {"model": "lesson", "text": LECTURE, "start": 0, "end": 2, "limit": 10}
    got = http.get("/api/search", params=query)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["derived"]["text"] == "Last year" and body["units"] == [u["unit"] for u in body["derived"]["units"]]
    posted = http.post("/api/search", json=query)
    assert posted.status_code == 200 and posted.json()["results"] == body["results"]


def test_top(http) -> None:
    body = http.get("/api/search", params={"model": "lesson", "mode": "top", "unit": 47, "limit": 3}).json()
    values = [x["value"] for x in body["results"]]
    assert len(values) == 3 and values == sorted(values, reverse=True)
    lowest = http.get("/api/search", params={"model": "lesson", "mode": "top", "unit": 47, "lowest": True}).json()
    assert lowest["results"][0]["value"] < values[-1]


@pytest.mark.parametrize("params, status, words", [
    ({"model": "python", "units": "1"}, 404, "lstm-viz index python"),
    ({"model": "nope", "units": "1"}, 404, "unknown model"),
    ({"model": "lesson", "units": "64"}, 422, "out of range"),
    ({"model": "lesson", "units": ",".join(map(str, range(17)))}, 422, "at most 16"),
    ({"model": "lesson", "units": "3,3"}, 422, "twice"),
    ({"model": "lesson", "units": "1;2"}, 422, "units"),
    ({"model": "lesson", "units": "1", "threshold": "nan"}, 422, "threshold"),
    ({"model": "lesson", "units": "1", "min_length": 9, "max_length": 3}, 422, "min_length"),
    ({"model": "lesson", "units": "1,2", "min_on": 3}, 422, "min_on"),
    ({"model": "lesson", "units": "1", "layer": 1}, 422, "layer 1"),
    ({"model": "lesson"}, 422, "needs `units`"),
    ({"model": "lesson", "text": LECTURE, "start": 3, "end": 99}, 422, "not inside"),
    ({"model": "lesson", "text": LECTURE, "start": 3, "end": 3}, 422, "not inside"),
    ({"model": "lesson", "text": LECTURE, "start": 0, "end": 2, "threshold": 50}, 422, "lower the threshold"),
    ({"model": "lesson", "text": LECTURE * 3, "start": 0, "end": 2}, 413, "max_tokens"),
    ({"model": "lesson", "mode": "top"}, 422, "one `unit`"),
    ({"model": "lesson", "mode": "top", "unit": 70}, 422, "out of range"),
    ({"model": "lesson", "unit": 3}, 422, "mode top"),
    ({"model": "lesson", "units": "1", "limit": 51}, 422, "limit"),
    ({"model": "lesson", "units": "1", "colour": "red"}, 422, "unknown field"),
])
def test_bad_queries_are_told_what_to_change(http, params, status, words) -> None:
    r = http.get("/api/search", params=params)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert words in detail and "\n" not in detail
