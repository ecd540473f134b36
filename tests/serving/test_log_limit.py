"""RepeatLimit (app/serving/log_limit.py): a flood of one message lets `burst` records through per `window`,
then reports how many it held back; with a fake clock, so nothing here waits."""

from __future__ import annotations

import logging

import pytest

from app.serving.log_limit import LOGGERS, RepeatLimit, limit_repeats


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args, name: str = "uvicorn.error") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


ACCEPT_FAILED = "socket.accept() out of system resource"
CLOSING = "closing connection from %s: %s"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_flood_of_one_message_lets_burst_through_then_reports_the_rest(clock: FakeClock):
    limit = RepeatLimit(burst=5, window=60.0, clock=clock)
    passed = []
    for k in range(100):
        r = record(CLOSING, f"10.0.0.{k}", "idle")
        if limit.filter(r):
            passed.append(r)
        clock.now += 0.1  # 100 records in 10 s: all within one window
    assert len(passed) == 5
    assert all(r.getMessage().startswith("closing connection from 10.0.0.") for r in passed)
    assert all("suppressed" not in r.getMessage() for r in passed)

    clock.now += 60.0  # the window is over
    after = record(CLOSING, "10.0.0.200", "idle")
    assert limit.filter(after)
    assert after.getMessage() == "closing connection from 10.0.0.200: idle (95 similar messages were suppressed)"

    # A new window: burst again, the first of them the one just reported.
    assert sum(limit.filter(record(CLOSING, "10.0.0.1", "idle")) for _ in range(10)) == 4
    clock.now += 60.0
    again = record(CLOSING, "10.0.0.2", "idle")
    assert limit.filter(again) and "(6 similar messages were suppressed)" in again.getMessage()


def test_nothing_suppressed_nothing_reported(clock: FakeClock):
    limit = RepeatLimit(burst=5, window=60.0, clock=clock)
    for _ in range(3):
        assert limit.filter(record(ACCEPT_FAILED))
    clock.now += 61.0
    r = record(ACCEPT_FAILED)
    assert limit.filter(r) and r.getMessage() == ACCEPT_FAILED


def test_within_the_window_the_count_waits(clock: FakeClock):
    limit = RepeatLimit(burst=2, window=60.0, clock=clock)
    results = [limit.filter(record(ACCEPT_FAILED)) for _ in range(10)]
    assert results == [True, True] + [False] * 8
    clock.now += 59.9  # not yet: still held back, nothing reported
    assert not limit.filter(record(ACCEPT_FAILED))
    clock.now += 0.1
    r = record(ACCEPT_FAILED)
    assert limit.filter(r) and r.getMessage().endswith("(9 similar messages were suppressed)")


def test_distinct_templates_are_independent(clock: FakeClock):
    limit = RepeatLimit(burst=3, window=60.0, clock=clock)
    assert sum(limit.filter(record(ACCEPT_FAILED)) for _ in range(50)) == 3
    # Another template, and the same template on another logger, each get their own burst.
    assert sum(limit.filter(record(CLOSING, "10.0.0.1", "idle")) for _ in range(50)) == 3
    assert sum(limit.filter(record(ACCEPT_FAILED, name="asyncio")) for _ in range(50)) == 3
    clock.now += 60.0
    a, b = record(ACCEPT_FAILED), record(CLOSING, "10.0.0.1", "idle")
    assert limit.filter(a) and limit.filter(b)
    assert a.getMessage().endswith("(47 similar messages were suppressed)")
    assert b.getMessage().endswith("(47 similar messages were suppressed)")


def test_the_arguments_are_not_the_template(clock: FakeClock):
    """Records differing only in their arguments (client addresses) are one message, as a flood's are."""
    limit = RepeatLimit(burst=1, window=60.0, clock=clock)
    assert limit.filter(record(CLOSING, "10.0.0.1", "idle"))
    assert not limit.filter(record(CLOSING, "10.0.0.2", "slow"))


def test_installed_once_on_the_server_loggers():
    loggers = [logging.getLogger(name) for name in LOGGERS]
    before = {logger.name: list(logger.filters) for logger in loggers}
    try:
        first = limit_repeats()
        assert limit_repeats() is first
        for logger in loggers:
            assert sum(isinstance(f, RepeatLimit) for f in logger.filters) == 1
    finally:
        for logger in loggers:
            logger.filters[:] = before[logger.name]


def test_hide_query_keeps_the_path_and_drops_the_query_string():
    from app.serving.log_limit import HideQuery

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/trace?model=lesson&text=secret", "1.1", 200), None)
    assert HideQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/trace?… HTTP/1.1" 200'
    plain = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                              ("127.0.0.1:5", "GET", "/healthz", "1.1", 200), None)
    assert HideQuery().filter(plain) and plain.getMessage() == '127.0.0.1:5 - "GET /healthz HTTP/1.1" 200'
