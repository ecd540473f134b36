"""Pure ASGI middleware: security headers on every response and a cap on request bodies."""

from __future__ import annotations

import asyncio

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# plotly.js 4.1.1 needs inline style rules ('unsafe-inline' styles; with style-src 'self' the heatmaps
# vanish) and draws heatmaps as data:/blob: images. Scripts: 'self' only, no inline code, no eval.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {frame_ancestors}"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


def security_headers(frame_ancestors: str = "'none'", csp_extra: str = "") -> list[tuple[bytes, bytes]]:
    """The headers of every response. Framing is refused unless a route allows it for its response
    (`request.state.frame_ancestors`, the page in embed mode); a route may add one directive to its response's
    policy (`request.state.csp_extra`: "worker-src blob:" for ReDoc's search at /redoc)."""
    csp = CSP.format(frame_ancestors=frame_ancestors) + (f"; {csp_extra}" if csp_extra else "")
    headers = [(b"content-security-policy", csp.encode()), *HEADERS]
    if frame_ancestors == "'none'":
        headers.append((b"x-frame-options", b"DENY"))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                message["headers"] = list(message.get("headers", [])) + security_headers(
                    state.get("frame_ancestors", "'none'"), state.get("csp_extra", ""))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised inside the app while it reads the body, so FastAPI's handler answers 413."""


class BodyTooSlow(HTTPException):
    """Raised inside the app when the rest of a body does not arrive in time, so FastAPI's handler answers 408."""


class BodyLimit:
    """Answer 413 to a request whose body passes max_bytes, without reading the rest, and 408 (closing the
    connection) to one whose body has not all arrived `timeout` seconds after its head (a body that trickles,
    or a chunk that declares more bytes than ever come, would hold the connection forever)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def _detail(self) -> str:
        return f"request body is larger than max_body_bytes = {self.max_bytes}: send a shorter text"

    async def _reject(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": orjson.dumps({"detail": self._detail()})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(send)
        seen, complete = 0, False
        deadline = asyncio.get_running_loop().time() + self.timeout

        async def counting_receive() -> Message:
            nonlocal seen, complete
            if complete:  # after the body, receive() waits for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:
                raise BodyTooSlow(408, f"the request body did not arrive within body_timeout = {self.timeout} s: "
                                  "send it whole, at once", headers={"Connection": "close"}) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > self.max_bytes:
                    raise BodyTooLarge(413, self._detail())
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)


class CompressText:
    """Gzip the page, never the API: `/api/trace` bodies are base64 numbers that gzip to about half at ~40×
    the CPU of writing them (docs/performance.md), and on a 2-core server that CPU is what a class waits for.
    The page's scripts and styles under /static/ are gzipped once when read (static_files.py), plotly.js
    once by its own route: compressing them again per request cost ~2-4 ms each."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/":
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class RelativeRedirects:
    """Redirects to this server name it by path, not by the Host header: Starlette's slash redirects
    (`/api/trace/` → `/api/trace`, `/static` → `/static/`) build an absolute URL from whatever Host a request
    claims, so `Host: evil.example` got `Location: http://evil.example/…` (a cache or proxy that keeps it hands
    it to others). A Location on another host is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers", [])).get(b"host", b"")

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [(name, relative(value, host) if name.lower() == b"location" else value)
                                      for name, value in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_relative)


def relative(location: bytes, host: bytes) -> bytes:
    """`http://HOST/path?q` → `/path?q` when HOST is the request's own Host; anything else unchanged."""
    for scheme in (b"http://", b"https://"):
        own = scheme + host
        if host and location.lower().startswith(own.lower()) and location[len(own):len(own) + 1] in (b"/", b"?", b""):
            rest = location[len(own):]
            return rest if rest.startswith(b"/") else b"/" + rest
    return location
