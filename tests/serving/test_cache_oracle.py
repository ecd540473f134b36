"""The trace cache is no oracle: anyone can compute the digest of a guessed text, but whether someone else
traced it must not show in any answer, nor in the work the server does (a cache hit is faster).

Client A traces a text under its salt; client B, with another salt or none, then asks every way it could
for that text by its digest. Each of B's answers must equal, status and bytes, the answer of a fresh server
that never saw A, and none of B's requests may take a step from the cache (hits, the time a hit saves).
A meanwhile still gets its incremental answers (200, only the new steps computed)."""

from __future__ import annotations

import httpx
import pytest

from app.model_store import Model, load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.digest import ids_digest
from tests.servers import serve

TEXT = "To be, or not to be, that is the question"
SALT_A = "a3f1c9e07b2d4e6f8a0b1c2d3e4f5a6b"
SALT_B = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"


@pytest.fixture(scope="module")
def shakespeare() -> Model:
    return load_model(resource_dir("models") / "shakespeare.safetensors")


@pytest.fixture
def servers():
    """(the app A uses, a fresh app that never sees A, a client of each)."""
    app, fresh_app = create_app(Settings()), create_app(Settings())
    with serve(app) as base, serve(fresh_app) as fresh_base, \
            httpx.Client(base_url=base, timeout=30) as used, httpx.Client(base_url=fresh_base, timeout=30) as fresh:
        yield app, fresh_app, used, fresh


def guesses(model: Model, salt: str | None) -> list[tuple[str, dict]]:
    """Every request B could send about TEXT by its digest: the text in part (the cache's own question) with
    B's digest or the unsalted one, the whole text with since and prefix, and /api/step and /api/retention."""
    ids = [t.id for t in model.tokenizer.tokenize(TEXT)]
    with_salt = {"salt": salt} if salt is not None else {}
    found = []
    for n in (5, 20, len(ids) - 1):
        for digest_salt in ([salt, ""] if salt else [""]):
            prefix = ids_digest(model.version, ids[:n], digest_salt)
            part = {"model": "shakespeare", "text": TEXT[n:], "offset": n, "since": n, "prefix": prefix,
                    "encoding": "f4", **with_salt}
            found.append(("/api/trace", part))
            found.append(("/api/trace", {**part, "text": TEXT, "offset": 0}))
    found.append(("/api/step", {"model": "shakespeare", "text": TEXT, "step": len(ids) - 1, **with_salt}))
    found.append(("/api/retention", {"model": "shakespeare", "text": TEXT, "step": 3, "window": 5, **with_salt}))
    return found


@pytest.mark.parametrize("salt_b", [SALT_B, None], ids=["another salt", "no salt"])
def test_another_client_learns_nothing_from_the_cache(servers, shakespeare, salt_b):
    app, fresh_app, used, fresh = servers
    cache, fresh_cache = app.state.trace_cache, fresh_app.state.trace_cache
    a = used.post("/api/trace", json={"model": "shakespeare", "text": TEXT, "salt": SALT_A, "encoding": "f4"})
    assert a.status_code == 200 and cache.computed == len(TEXT)
    held = len(cache)
    statuses = []
    for path, params in guesses(shakespeare, salt_b):
        for method in ("GET", "POST"):
            sent = {"params": params} if method == "GET" else {"json": params}
            got, expected = used.request(method, path, **sent), fresh.request(method, path, **sent)
            assert (got.status_code, got.content) == (expected.status_code, expected.content), (path, params)
            # The same work as on the fresh server (B's own salt may hit B's own entries there too): not one
            # step of A's is taken, so no answer comes sooner for A having traced the text.
            assert (cache.hits, cache.computed - len(TEXT)) == (fresh_cache.hits, fresh_cache.computed)
            statuses.append(got.status_code)
    # B's first guess, the text in part by its digest, is told to send the whole text, as by the fresh server
    # (later parts by B's own digest may be answered from B's own entries, there as here).
    assert statuses[:2] == [409, 409] and statuses.count(409) >= 6 and set(statuses) == {200, 409}
    if salt_b is None:
        assert len(cache) == held and len(fresh_cache) == 0  # a request without a salt writes nothing either


def test_the_client_that_traced_still_gets_only_new_steps(servers, shakespeare):
    app, _, used, fresh = servers
    cache = app.state.trace_cache
    ids = [t.id for t in shakespeare.tokenizer.tokenize(TEXT + ": whether")]
    base = {"model": "shakespeare", "encoding": "f4", "salt": SALT_A}
    assert used.post("/api/trace", json={**base, "text": TEXT}).status_code == 200
    for path, params in guesses(shakespeare, SALT_B):  # B probing in between changes nothing for A
        used.get(path, params=params)
    since = len(TEXT) - 1
    prefix = ids_digest(shakespeare.version, ids[:since], SALT_A)
    computed, hits = cache.computed, cache.hits
    part = used.get("/api/trace", params={**base, "text": (TEXT + ": whether")[since:], "offset": since,
                                          "since": since, "prefix": prefix})
    assert part.status_code == 200 and part.json()["start"] == since
    # Only the steps after A's cached text are computed (the cache holds all of TEXT, more than `since`).
    assert cache.computed - computed == len(ids) - len(TEXT) and cache.hits - hits == len(TEXT)
    whole = fresh.get("/api/trace", params={**base, "text": TEXT + ": whether", "since": since, "prefix": prefix})
    assert part.content == whole.content  # the same bytes as the whole text's answer
    step = used.get("/api/step", params={"model": "shakespeare", "salt": SALT_A, "text": TEXT + ": whether",
                                         "step": len(ids) - 1})
    assert step.status_code == 200 and cache.hits - hits == len(TEXT) + len(ids)  # A's step: from A's cache
