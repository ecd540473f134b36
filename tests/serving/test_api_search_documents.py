"""/api/search/documents over real HTTP (app/serving/search.py): the whole text of the documents search results are in,
which the page traces to open a result in the main view. Traced from the zero state, a document's text gives the
index's own tokens, so a result's token p is the text's token p − start."""

from __future__ import annotations

import httpx
import pytest

from app.analysis.state_index import find_index
from app.serving.app import create_app
from app.serving.config import Settings
from tests.index_helpers import bundled, small_index
from tests.servers import serve

LECTURE = "Last year, due to my current job situation and family conditions, I had to take a loan."


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    model = bundled("lesson")
    small_index(data_dir, model)  # pieces of at most 20 tokens: most sources are cut into several documents
    with serve(create_app(Settings(data_dir=data_dir))) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client, find_index(data_dir, model.id, model.version), model


def test_each_document_text_traces_to_the_index_tokens(served) -> None:
    http, index, model = served
    D = len(index.documents)
    asked = list(range(min(D, 50)))
    r = http.get("/api/search/documents", params={"model": "lesson", "documents": ",".join(map(str, asked))})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "lesson" and body["version"] == model.version
    assert [d["document"] for d in body["documents"]] == asked
    for d in body["documents"]:
        start, end, source = (int(x) for x in index.documents[d["document"]])
        assert (d["start"], d["end"]) == (start, end)
        assert d["source"] == index.meta["sources"][source]["name"]
        tokens = [d["text"][a:b] for a, b in model.tokenizer.spans(d["text"])]
        assert tokens == index.token_texts(start, end), d


def test_a_result_opens_at_its_own_tokens(served) -> None:
    http, _, model = served
    found = http.get("/api/search", params={"model": "lesson", "text": LECTURE, "start": 0, "end": 2}).json()
    results = found["results"]
    assert results
    ids = ",".join(str(x["document"]) for x in results)
    texts = {d["document"]: d for d in http.get("/api/search/documents",
                                                 params={"model": "lesson", "documents": ids}).json()["documents"]}
    for x in results:
        doc = texts[x["document"]]
        spans = model.tokenizer.spans(doc["text"])
        a, b = spans[x["start"] - doc["start"]][0], spans[x["end"] - 1 - doc["start"]][1]
        assert doc["text"][a:b] == x["text"]


@pytest.mark.parametrize("params, status, words", [
    ({"model": "python", "documents": "0"}, 404, "lstm-viz index python"),
    ({"model": "nope", "documents": "0"}, 404, "unknown model"),
    ({"model": "lesson", "documents": "999999"}, 422, "out of range"),
    ({"model": "lesson", "documents": "1;2"}, 422, "documents"),
    ({"model": "lesson", "documents": ",".join(["0"] * 51)}, 422, "documents"),
    ({"model": "lesson"}, 422, "documents"),
    ({"model": "lesson", "documents": "0", "salt": "x"}, 422, "unknown field"),
])
def test_bad_queries_are_told_what_to_change(served, params, status, words) -> None:
    r = served[0].get("/api/search/documents", params=params)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert words in detail and "\n" not in detail
