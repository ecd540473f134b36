"""The large lane's own process: long full traces are computed beside the worker, not inside it.

Inside one worker every request shares one interpreter lock. A 2,000-token JSON trace holds it for a quarter of
a second at a time (orjson writing 34 MB does not let go of it), so four clients looping on such traces took
the typists' median from 13 ms to 100 ms even with a lane of their own. In a process of their own they take
another core instead, at a lower CPU priority (LANE_NICENESS). The process is started with the worker when
`lane_at_start` is set (`lstm-viz serve` sets it: its memory, about 145 MB, is then there from the start, not a
surprise under load), else at the first large trace (`spawn`: a fresh interpreter, no threads or locks copied
from the worker); it loads the same models with the same settings, has no trace cache, and is stopped with the
app. Numbers are the same bits: the same engine on one BLAS thread.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import orjson
from starlette.responses import Response

from app.serving.config import Settings
from app.serving.schemas import TraceRequest

_state: tuple | None = None  # in the lane process: (models, settings)
# The lane process's CPU priority below the worker's: when the cores are busy, the kernel runs the worker (the
# keystrokes) first and the long traces in the time left, which is what a class needs.
LANE_NICENESS = 10


def _start(settings_json: str) -> None:
    """The lane process's initializer: one BLAS thread, the worker's settings and models."""
    global _state
    from app.serving.service import load_models
    from app.serving.threads import limit_blas_threads

    limit_blas_threads()
    os.nice(LANE_NICENESS)
    settings = Settings.model_validate_json(settings_json)
    _state = (load_models(settings), settings)


def _trace(request_json: bytes) -> tuple[int, bytes]:
    """In the lane process: the answer to a trace request as (status, JSON body), as the route would give it."""
    from app.serving.routes.api import _trace as trace
    from app.serving.service import InputError

    models, settings = _state
    try:
        response = trace(models, settings, None, TraceRequest.model_validate_json(request_json))
    except InputError as e:
        return e.status, orjson.dumps({"detail": str(e)})
    return response.status_code, bytes(response.body)


class LaneProcess:
    """One process computing large traces, started on first use and restarted if it dies."""

    def __init__(self, settings: Settings) -> None:
        self.settings_json = settings.model_dump_json()
        self.pool: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start, initargs=(self.settings_json,))
        return self.pool

    def start(self) -> None:
        """Start the process now (it loads the models in the background) rather than at the first large trace."""
        self._pool().submit(int)

    async def trace(self, req: TraceRequest) -> Response:
        """The trace's answer, computed in the lane process. If that process died (killed, out of memory), it is
        started again for the next request and this one is answered 503."""
        pool = self._pool()
        try:
            status, body = await asyncio.get_running_loop().run_in_executor(pool, _trace, req.model_dump_json())
        except BrokenProcessPool:
            self.pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            detail = "the process for long traces stopped; it is starting again: try again in a few seconds"
            return Response(orjson.dumps({"detail": detail}), status_code=503, media_type="application/json",
                            headers={"Retry-After": "5"})
        return Response(body, status_code=status, media_type="application/json")

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
