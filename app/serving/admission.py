"""Cost-aware admission: long full traces take a lane of their own, so they cannot starve keystrokes.

A keystroke's answer is a few columns (kilobytes); a 2,000-token trace as JSON is 34 MB and a quarter of a
second of CPU. With one pool of compute slots, four clients looping on such traces held every slot and the
typists of a class waited seconds; twenty that never read their answers pinned a gigabyte. So:

- every request is estimated before it is computed (`answer_bytes`: steps × values × bytes per value of its
  encoding, from the request alone, an upper bound);
- above `large_answer_mb` it takes the large lane: one at a time per worker, held from computing until its
  answer is written (or its connection dropped by the write timeout, app/serving/connections.py), and at
  most `large_queue` wait for it; more are answered 503 with Retry-After. Small requests never wait for it.

Memory for answers is then bounded by one large answer per worker plus the small lane's slots.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import TraceRequest

# Bytes per number in an answer, measured on 2,000-token traces of H = 256 with top_k = 5 (JSON: a float32 as
# its shortest decimal, with the separator; f4: base64 of 4 bytes; u1: base64 of 1 byte), rounded up.
BYTES_PER_VALUE = {"json": 12.0, "f4": 5.5, "u1": 1.4}
# Per step and k. JSON: {"token": "...", "prob": 0.123456789}; f4, u1: typed arrays, base64 of an int32 index and
# a float64 probability, plus once per distinct token predicted (at most the vocabulary) its text in the table.
BYTES_PER_PREDICTION = {"json": 48, "f4": 16, "u1": 16}
BYTES_PER_TABLE_TOKEN = 16  # f4, u1: one distinct predicted token, quoted, with its separator
BYTES_PER_TOKEN = 64  # the token's text, offsets and id
PIECE = 256 * 1024  # bytes per write of an answer: the transport buffers one piece, not the whole answer
RETRY_AFTER = 5  # seconds a client turned away from a full large lane is asked to wait


def answer_bytes(model: Model, req: TraceRequest, settings: Settings) -> float:
    """An upper bound of the bytes of a trace's answer, before tokenizing: a text of n code points has at
    most n tokens (and at most max_tokens); a text sent in part (`offset`) answers for its own tokens."""
    steps = min(len(req.text) + (1 if req.offset else 0), settings.max_tokens)
    layers = 1 if req.layer is not None else model.params.num_layers
    units = 1 if req.unit is not None else model.params.hidden_size
    quantities = len(req.quantities.split(",")) if req.quantities else len(model.spec.quantities)
    per_step = layers * units * quantities * BYTES_PER_VALUE[req.encoding]
    table = 0 if req.encoding == "json" else min(model.params.vocab_size, steps * req.top_k) * BYTES_PER_TABLE_TOKEN
    return steps * (per_step + req.top_k * BYTES_PER_PREDICTION[req.encoding] + BYTES_PER_TOKEN) + table


class LaneFull(Exception):
    """The large lane and its queue are full."""


class LargeLane:
    """One large answer at a time; at most `queue` waiting for it."""

    def __init__(self, queue: int) -> None:
        self.slot = asyncio.Semaphore(1)
        self.queue = queue
        self.waiting = 0

    async def acquire(self) -> None:
        if self.slot.locked() and self.waiting >= self.queue:
            raise LaneFull
        self.waiting += 1
        try:
            await self.slot.acquire()
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self.slot.release()


def is_large(request_model: object, models: dict[str, Model], settings: Settings) -> bool:
    """Whether a request takes the large lane: a trace of a known model whose answer may pass large_answer_mb."""
    if not isinstance(request_model, TraceRequest) or request_model.model not in models:
        return False
    return answer_bytes(models[request_model.model], request_model, settings) > settings.large_answer_mb * 2**20


class PiecewiseResponse(Response):
    """An answer written in pieces of PIECE bytes: each write waits until the client has taken the last
    (uvicorn's flow control), so a client that reads nothing holds one piece in the transport, not the whole
    answer; `on_sent` runs once the answer is written or abandoned (it releases the large lane)."""

    def __init__(self, inner: Response, on_sent: Callable[[], None] | None = None) -> None:
        self.body = inner.body
        self.status_code = inner.status_code
        self.media_type = inner.media_type
        self.background = inner.background
        self.raw_headers = inner.raw_headers
        self.on_sent = on_sent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            body = memoryview(self.body)
            for start in range(0, max(len(body), 1), PIECE):
                end = start + PIECE
                await send({"type": "http.response.body", "body": bytes(body[start:end]),
                            "more_body": end < len(body)})
        finally:
            if self.on_sent is not None:
                self.on_sent()
                self.on_sent = None
        if self.background is not None:
            await self.background()
