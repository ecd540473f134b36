"""What the server's logs write: no one's text, and no flood.

Rate-limited: a flood of one message (a traceback per failed accept(), a line per dropped connection) cannot
fill the disk or bury the one line that matters.

`RepeatLimit` lets through the first `burst` records of each message template per `window` seconds, counts
the rest, and adds the count to the next record of that template that is let through ("… 512 similar
messages were suppressed"). Tracebacks are kept for the let-through records only.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable

import uvicorn.config

LOGGERS = ("asyncio", "uvicorn.error")  # where accept() failures and connection closes are logged


class RepeatLimit(logging.Filter):
    def __init__(self, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self.clock = clock
        self.seen: dict[tuple[str, str], list] = {}  # (logger, template) -> [window start, let through, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self.clock()
        entry = self.seen.get(key)
        if entry is None or now - entry[0] >= self.window:
            suppressed = entry[2] if entry else 0
            entry = self.seen[key] = [now, 0, 0]
            if suppressed:
                record.msg = f"{record.msg} ({suppressed} similar messages were suppressed)"
        if entry[1] >= self.burst:
            entry[2] += 1
            return False
        entry[1] += 1
        if len(self.seen) > 1024:  # many distinct templates: forget the oldest windows
            for stale in sorted(self.seen, key=lambda k: self.seen[k][0])[:512]:
                del self.seen[stale]
        return True


def limit_repeats(burst: int = 5, window: float = 60.0) -> RepeatLimit:
    """Install one RepeatLimit on the server's loggers (once per process) and return it."""
    for name in LOGGERS:
        for existing in logging.getLogger(name).filters:
            if isinstance(existing, RepeatLimit):
                return existing
    limit = RepeatLimit(burst, window)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(limit)
    return limit


class HideQuery(logging.Filter):
    """uvicorn's access log line without the query string: a GET /api/trace carries a person's text, up to 2,000
    characters, and a log is no place for it ("GET /api/trace?… HTTP/1.1" 200)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


# uvicorn's own logging configuration, with HideQuery on the access log's handler (`lstm-viz serve` uses it).
LOG_CONFIG = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
LOG_CONFIG["filters"] = {"hide_query": {"()": HideQuery}}
LOG_CONFIG["handlers"]["access"]["filters"] = ["hide_query"]
