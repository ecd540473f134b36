"""uvicorn's HTTP/1.1 protocol with the timeouts and the connection cap it lacks.

uvicorn closes a connection idle *between* requests (`timeout_keep_alive`), but waits forever for the head
of a first request, and for a client that reads nothing of its answer; and it accepts connections until the
process runs out of file descriptors, after which asyncio logs a traceback per failed `accept()` and even
`/healthz` cannot get in. `GuardedH11Protocol` adds, per connection:

- a head timeout: a connection whose request head has not arrived `head_timeout` seconds after it opened
  (or after its last answer, when bytes of a next head trickle in) is closed;
- a write timeout: a connection whose answer has not drained for `write_timeout` seconds (the client reads
  nothing) is aborted, which frees what the transport buffered for it;
- a connection cap: above `max_connections` open connections, the one idle the longest is closed to make room
  (a client that sends a request right away is served; sockets that only sit there are not kept).

A request body that trickles is bounded by the app itself (app/serving/middleware.py, `BodyLimit`).
Settings come from the LSTM_VIZ_* environment like every other (app/serving/config.py); `lstm-viz serve`
uses this class through uvicorn's `http=` option, by its import path, so each worker process builds its own.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time

from uvicorn.protocols.http.h11_impl import H11Protocol

from app.serving.config import get_settings

log = logging.getLogger("uvicorn.error")
IMPORT_PATH = "app.serving.connections:GuardedH11Protocol"
RESERVED_FILES = 64  # descriptors kept for everything else a worker opens (models, logs, pipes, the listener)
# The listen queue `lstm-viz serve` asks for (uvicorn's default is 2,048). asyncio accepts up to this many
# connections in one go before any of them reaches the protocol (where the cap is applied), and a closed
# connection's descriptor is freed a loop iteration later: the cap leaves room for three such batches. A burst
# of more simultaneous connects than this waits for the kernel's SYN retry (1 s), a flood more.
BACKLOG = 100


def connection_cap(configured: int = 0) -> int:
    """The most connections a worker keeps open: `configured`, or when 0 the soft limit on open files less
    RESERVED_FILES and three accept batches (660 at the common limit of 1,024), so accept() does not fail
    for want of a descriptor."""
    if configured > 0:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 10_000
    return max(16, soft - RESERVED_FILES - 3 * BACKLOG)


class GuardedH11Protocol(H11Protocol):
    """H11Protocol plus a head timeout, a write timeout and a connection cap (see the module's docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.head_timeout = settings.head_timeout
        self.write_timeout = settings.write_timeout
        self.max_connections = connection_cap(settings.max_connections)
        self.head_timer: asyncio.TimerHandle | None = None
        self.write_timer: asyncio.TimerHandle | None = None
        self.idle_since = time.monotonic()

    # Between requests: no cycle yet, or the last one answered.
    def waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle_since = time.monotonic()
        self.head_timer = self.loop.call_later(self.head_timeout, self.on_head_timeout)
        if len(self.connections) > self.max_connections:
            self.make_room()

    def make_room(self) -> None:
        """Close the connection idle the longest (this new one if every other is busy)."""
        idle = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c.waiting_for_head()
                and c is not self and not c.transport.is_closing()]
        victim = min(idle, key=lambda c: c.idle_since) if idle else self
        log.info("closing the connection idle the longest (from %s): %d connections are open, above "
                 "max_connections = %d", victim.client and victim.client[0], len(self.connections),
                 self.max_connections)
        victim.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.waiting_for_head():
            if self.head_timer is None and not self.transport.is_closing():  # bytes of a next head trickle in
                self.head_timer = self.loop.call_later(self.head_timeout, self.on_head_timeout)
        else:
            self.cancel_head_timer()

    def on_head_timeout(self) -> None:
        self.head_timer = None
        if self.waiting_for_head() and not self.transport.is_closing():
            log.info("closing connection from %s: no complete request head within head_timeout = %s s",
                     self.client and self.client[0], self.head_timeout)
            self.transport.close()

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def on_response_complete(self) -> None:
        self.idle_since = time.monotonic()
        super().on_response_complete()  # arms uvicorn's keep-alive timeout for the idle time that follows

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.write_timer is None:
            self.write_timer = self.loop.call_later(self.write_timeout, self.on_write_timeout)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.write_timer is not None:
            self.write_timer.cancel()
            self.write_timer = None

    def on_write_timeout(self) -> None:
        self.write_timer = None
        if not self.transport.is_closing() or self.transport.get_write_buffer_size():
            log.info("aborting connection from %s: its answer did not drain for write_timeout = %s s",
                     self.client and self.client[0], self.write_timeout)
            self.transport.abort()  # drops the unsent bytes; close() would wait for them forever

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_head_timer()
        if self.write_timer is not None:
            self.write_timer.cancel()
            self.write_timer = None
        super().connection_lost(exc)
