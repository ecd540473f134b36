"""A shared link gives the same numbers, bit for bit, from any worker of a deployment and after a restart."""

import hashlib

import httpx

from tests.servers import children, lstm_viz_serve

REQUESTS = [
    {"model": "lesson", "text": "Last year, due to my current job situation, I had to take a loan."},
    {"model": "shakespeare", "text": "HAMLET. To be, or not to be, that is the question:\n"},
    {"model": "python", "text": "def f(x):\n    return [x, (x + 1)]\n"},
]


def digests(base: str, rounds: int = 6) -> set[tuple[int, str]]:
    """Digest of every answer, asked `rounds` times on fresh connections (so different workers answer)."""
    seen = set()
    for _ in range(rounds):
        for k, params in enumerate(REQUESTS):
            with httpx.Client(base_url=base) as client:  # a new connection each time
                for encoding in ("json", "f4"):
                    r = client.get("/api/trace", params={**params, "encoding": encoding, "top_k": 5})
                    assert r.status_code == 200
                    seen.add((k, encoding, hashlib.sha256(r.content).hexdigest()))
    return seen


def test_the_same_request_gives_the_same_bytes_across_workers_and_restarts():
    with lstm_viz_serve("--workers", "2") as (base, server):
        assert len(children(server.pid)) >= 2  # the supervisor runs two workers (and a tracker)
        first = digests(base)
    assert len(first) == len(REQUESTS) * 2  # one answer per request and encoding, whoever answered
    with lstm_viz_serve() as (base, _):
        assert digests(base, rounds=2) == first  # the same bits after a restart, with one worker
