"""Bad input over real HTTP, against a server with small limits: wrong types, missing fields, odd ids,
odd text, huge and lying bodies, deep JSON, bytes that are not UTF-8, lone surrogates, extreme numbers,
wrong methods and content types, repeated and unknown parameters. Each gets a correct 200 or a 4xx
whose `detail` says what to change; never a 5xx, never a traceback in the server's log; and the server
keeps serving."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve

LIMITS = Settings(max_chars=200, max_tokens=40, max_top_k=7, max_body_bytes=4096)
JSON = {"content-type": "application/json"}
OK = {"model": "untrained", "text": "I need to take a loan"}


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def base():
    with serve(create_app(LIMITS)) as url:
        yield url


@pytest.fixture(scope="module")
def server_errors(base):
    """Errors the server logs from now on (uvicorn logs an unhandled exception in the app with its
    traceback). Attached after the server started: uvicorn's logging set-up replaces handlers."""
    handler = LogRecords()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "uvicorn", "app")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def http(base, server_errors):
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client


def tokens(texts: list[str]) -> Callable[[httpx.Response], None]:
    def check(r: httpx.Response) -> None:
        assert [t["text"] for t in r.json()["tokens"]] == texts

    return check


def step_is(n: int) -> Callable[[httpx.Response], None]:
    return lambda r: r.json()["step"] == n or pytest.fail(f"step {r.json()['step']} != {n}")


def chunks(total: int, size: int = 1000):
    """A body sent with Transfer-Encoding: chunked (httpx streams a generator without a Content-Length)."""
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def chunked_json(payload: bytes):
    yield payload[:10]
    yield payload[10:]


TRACE = "/api/trace"
STEP = "/api/step"
LONG_ID = "m" * 5000

# (name, method, url, request kwargs, expected status, phrase the detail must hold | check of a 200)
CASES = [
    # --- GET /api/trace: missing fields, unknown and odd model ids
    ("missing text", "GET", TRACE, {"params": {"model": "untrained"}}, 422, "text: Field required"),
    ("missing everything", "GET", TRACE, {}, 422, "model: Field required; text: Field required"),
    ("unknown model", "GET", TRACE, {"params": {"model": "nope", "text": "x"}}, 404, "choose one of: lesson"),
    ("empty model id", "GET", TRACE, {"params": {"model": "", "text": "x"}}, 404, "unknown model ''; choose one of"),
    ("model id .", "GET", TRACE, {"params": {"model": ".", "text": "x"}}, 404, "unknown model '.'; choose one of"),
    ("model id ..", "GET", TRACE, {"params": {"model": "..", "text": "x"}}, 404, "unknown model '..'; choose one"),
    ("model id ../", "GET", TRACE, {"params": {"model": "../lesson", "text": "x"}}, 404, "choose one of"),
    ("very long model id", "GET", TRACE, {"params": {"model": LONG_ID, "text": "x"}}, 404, "mmm…'; choose one of"),
    ("unicode model id", "GET", TRACE, {"params": {"model": "lęsson✓", "text": "x"}}, 404, "'lęsson✓'; choose one"),
    ("model id in upper case", "GET", TRACE, {"params": {"model": "LESSON", "text": "x"}}, 404, "choose one of"),
    # --- text: empty, whitespace, too long, odd characters
    ("empty text", "GET", TRACE, {"params": {"model": "untrained", "text": ""}}, 200, tokens([])),
    ("whitespace text", "GET", TRACE, {"params": {"model": "untrained", "text": " \t\n\u3000 "}}, 200, tokens([])),
    ("text past max_chars", "GET", TRACE, {"params": {"model": "untrained", "text": "x" * 201}}, 413,
     "text has 201 characters; the limit is max_chars = 200: shorten it"),
    ("text past max_tokens", "GET", TRACE, {"params": {"model": "untrained", "text": "a " * 41}}, 413,
     "the limit is max_tokens = 40: shorten it"),
    ("NUL character", "GET", TRACE, {"params": {"model": "untrained", "text": "a\x00b"}}, 200,
     tokens(["a", "\x00", "b"])),
    ("control characters", "GET", TRACE, {"params": {"model": "untrained", "text": "a\x01\x1b\x7fb"}}, 200,
     tokens(["a", "\x01", "\x1b", "\x7f", "b"])),
    ("emoji with joiners", "GET", TRACE, {"params": {"model": "lesson", "text": "need 👨‍👩‍👧!"}}, 200,
     tokens(["need", "👨", "\u200d", "👩", "\u200d", "👧", "!"])),
    ("right-to-left text", "GET", TRACE, {"params": {"model": "lesson", "text": "עברית مرحبا \u202eloan"}}, 200,
     tokens(["עברית", "مرحبا", "\u202e", "loan"])),
    ("combining characters", "GET", TRACE, {"params": {"model": "lesson", "text": "cafe\u0301 e\u0301"}}, 200,
     tokens(["cafe\u0301", "e\u0301"])),
    ("emoji at max_chars", "GET", TRACE, {"params": {"model": "untrained", "text": "👍" * 40}}, 200, None),
    # --- bytes that are not UTF-8 in the query string (Starlette would trace U+FFFD instead)
    ("query byte %ff", "GET", f"{TRACE}?model=untrained&text=%ff", {}, 400, "not valid UTF-8 once percent-decoded"),
    ("query lone surrogate %ed%a0%80", "GET", f"{TRACE}?model=untrained&text=a%ED%A0%80", {}, 400,
     "percent-encode the text's UTF-8 bytes"),
    ("query overlong %c0%ae", "GET", f"{TRACE}?model=untrained&text=%C0%AE%C0%AE", {}, 400, "not valid UTF-8"),
    ("query name %ff", "GET", f"{TRACE}?model=untrained&text=x&%ff=1", {}, 400, "not valid UTF-8"),
    ("step query %ff", "GET", f"{STEP}?model=untrained&text=%ff&step=0", {}, 400, "not valid UTF-8"),
    ("query escaped UTF-8 is fine", "GET", f"{TRACE}?model=lesson&text=caf%C3%A9+%F0%9F%91%8D", {}, 200,
     tokens(["café", "👍"])),
    # --- top_k: negative, huge, fractional, not a number
    ("top_k negative", "GET", TRACE, {"params": {**OK, "top_k": -1}}, 422, "top_k: Input should be greater than or"),
    ("top_k 10^9", "GET", TRACE, {"params": {**OK, "top_k": 10**9}}, 422,
     "top_k = 1000000000 is above the limit max_top_k = 7: lower it"),
    ("top_k 10^30", "GET", TRACE, {"params": {**OK, "top_k": 10**30}}, 422, "max_top_k = 7: lower it"),
    ("top_k float", "GET", TRACE, {"params": {**OK, "top_k": "1.5"}}, 422, "top_k: Input should be a valid integer"),
    ("top_k word", "GET", TRACE, {"params": {**OK, "top_k": "five"}}, 422, "top_k: Input should be a valid integer"),
    ("top_k empty", "GET", TRACE, {"params": {**OK, "top_k": ""}}, 422, "top_k: Input should be a valid integer"),
    ("top_k at the limit", "GET", TRACE, {"params": {**OK, "top_k": 7}}, 200,
     lambda r: all(len(p) == 7 for p in r.json()["predictions"]) or pytest.fail("not 7 predictions")),
    # --- repeated, unknown and malformed parameters
    ("repeated model", "GET", f"{TRACE}?model=untrained&model=lesson&text=x", {}, 422,
     "model given more than once: send each parameter once"),
    ("repeated text", "GET", f"{TRACE}?model=untrained&text=a&text=b", {}, 422, "text given more than once"),
    ("repeated step", "GET", f"{STEP}?model=untrained&text=a+b&step=0&step=1", {}, 422, "step given more than once"),
    ("unknown parameter", "GET", TRACE, {"params": {**OK, "colour": "red"}}, 422, "colour: unknown field; remove it"),
    ("unknown step parameter", "GET", STEP, {"params": {**OK, "step": 0, "unit": 3}}, 422, "unit: unknown field"),
    ("empty quantities", "GET", TRACE, {"params": {**OK, "quantities": ""}}, 422,
     "quantities is empty: choose from i, f, g, o"),
    ("unknown quantity", "GET", TRACE, {"params": {**OK, "quantities": "c,zz"}}, 422, "unknown quantities ['zz']"),
    ("unknown encoding", "GET", TRACE, {"params": {**OK, "encoding": "f16"}}, 422,
     "encoding: Input should be 'json', 'f4' or 'u1'"),
    ("only commas for quantities", "GET", TRACE, {"params": {**OK, "quantities": " , ,"}}, 422, "quantities is empty"),
    # --- the salt (static/js/core/digest.js TAB_SALT): 32 lowercase hex digits, or none
    ("salt too short", "GET", TRACE, {"params": {**OK, "salt": "abc"}}, 422,
     "salt: String should match pattern '^[0-9a-f]{32}$'"),
    ("salt in upper case", "POST", STEP, {"json": {**OK, "step": 0, "salt": "A" * 32}}, 422, "salt: String should"),
    ("salt a number", "POST", "/api/retention", {"json": {**OK, "step": 0, "salt": 5}}, 422,
     "salt: Input should be a valid string"),
    ("a part without a salt", "GET", TRACE, {"params": {**OK, "text": "loan", "offset": 17, "since": 4,
                                                        "prefix": "0123456789abcdef"}}, 409,
     "offset needs a salt: without one this server keeps no tokens for you"),
    ("a salted part never traced", "GET", TRACE, {"params": {**OK, "text": "loan", "offset": 17, "since": 4,
                                                             "prefix": "0123456789abcdef", "salt": "0" * 32}}, 409,
     "send the whole text with offset=0"),
    ("a salted step", "GET", STEP, {"params": {**OK, "step": 1, "salt": "0" * 32}}, 200, step_is(1)),
    # --- /api/retention's window: 1 to 400 in the schema, to max_window and the later steps by the handler
    ("window 0", "GET", "/api/retention", {"params": {**OK, "step": 0, "window": 0}}, 422, "window 0 is out of range"),
    ("window 401", "GET", "/api/retention", {"params": {**OK, "step": 0, "window": 401}}, 422,
     "window 401 is out of range"),
    # --- GET /api/step: extreme step and layer
    ("step past the text", "GET", STEP, {"params": {**OK, "step": 99}}, 422,
     "step 99 is out of range: the text has 6 tokens, so use 0 to 5"),
    ("step negative", "GET", STEP, {"params": {**OK, "step": -1}}, 422, "step -1 is out of range"),
    ("step 10^9", "GET", STEP, {"params": {**OK, "step": 10**9}}, 422, "so use 0 to 5"),
    ("step 10^30", "GET", STEP, {"params": {**OK, "step": 10**30}}, 422, "so use 0 to 5"),
    ("step word", "GET", STEP, {"params": {**OK, "step": "x"}}, 422, "step: Input should be a valid integer"),
    ("step missing", "GET", STEP, {"params": OK}, 422, "step: Field required"),
    ("step written 1.0", "GET", STEP, {"params": {**OK, "step": "1.0"}}, 200, step_is(1)),
    ("step of an empty text", "GET", STEP, {"params": {"model": "untrained", "text": "", "step": 0}}, 422,
     "the text has no tokens; send a text with some"),
    ("layer negative", "GET", STEP, {"params": {**OK, "step": 0, "layer": -1}}, 422,
     "layer -1 is out of range: model 'untrained' has layers 0 to 0"),
    ("layer 10^9", "GET", STEP, {"params": {**OK, "step": 0, "layer": 10**9}}, 422, "has layers 0 to 0"),
    # --- GET /api/models/{id}
    ("unknown card", "GET", "/api/models/nope", {}, 404, "unknown model 'nope'; choose one of"),
    ("unicode card id", "GET", "/api/models/%C3%BC", {}, 404, "unknown model 'ü'; choose one of"),
    ("very long card id", "GET", f"/api/models/{LONG_ID}", {}, 404, "…'; choose one of"),
    ("card id with NUL", "GET", "/api/models/a%00b", {}, 404, "choose one of"),
    # --- POST bodies: wrong types (checked strictly: JSON has types) and missing fields
    ("text a number", "POST", TRACE, {"json": {"model": "untrained", "text": 5}}, 422,
     "text: Input should be a valid string"),
    ("text null", "POST", TRACE, {"json": {"model": "untrained", "text": None}}, 422, "text: Input should be a valid"),
    ("text a list", "POST", TRACE, {"json": {"model": "untrained", "text": ["a"]}}, 422, "text: Input should be"),
    ("model a list", "POST", TRACE, {"json": {"model": ["untrained"], "text": "x"}}, 422,
     "model: Input should be a valid string"),
    ("top_k true", "POST", TRACE, {"json": {**OK, "top_k": True}}, 422, "top_k: Input should be a valid integer"),
    ("top_k 2.0", "POST", TRACE, {"json": {**OK, "top_k": 2.0}}, 422, "top_k: Input should be a valid integer"),
    ("top_k 1.5", "POST", TRACE, {"json": {**OK, "top_k": 1.5}}, 422, "top_k: Input should be a valid integer"),
    ("top_k a string", "POST", TRACE, {"json": {**OK, "top_k": "3"}}, 422, "top_k: Input should be a valid integer"),
    ("top_k 10^30 in body", "POST", TRACE,
     {"content": b'{"model": "untrained", "text": "x", "top_k": 1' + b"0" * 30 + b"}", "headers": JSON}, 422,
     "top_k: Input should be a valid integer"),
    ("top_k infinite", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x", "top_k": 1e999}',
                                       "headers": JSON}, 400, "not valid JSON (number is infinity"),
    ("top_k NaN", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x", "top_k": NaN}', "headers": JSON},
     400, "not valid JSON"),
    ("top_k above the limit", "POST", TRACE, {"json": {**OK, "top_k": 8}}, 422, "max_top_k = 7: lower it"),
    ("missing text in body", "POST", TRACE, {"json": {"model": "untrained"}}, 422, "text: Field required"),
    ("unknown field in body", "POST", TRACE, {"json": {**OK, "colour": "red"}}, 422, "colour: unknown field; remove"),
    ("unknown model in body", "POST", TRACE, {"json": {"model": "nope", "text": "x"}}, 404, "choose one of"),
    ("step a string in body", "POST", STEP, {"json": {**OK, "step": "3"}}, 422, "step: Input should be a valid int"),
    ("step past the text in body", "POST", STEP, {"json": {**OK, "step": 6}}, 422, "so use 0 to 5"),
    ("layer huge in body", "POST", STEP, {"json": {**OK, "step": 0, "layer": 2**40}}, 422, "has layers 0 to 0"),
    # --- POST bodies: not an object, not JSON, not UTF-8, deep, surrogates
    ("body an array", "POST", TRACE, {"content": b'["untrained", "x"]', "headers": JSON}, 422,
     "the body is a JSON array, not an object"),
    ("body a string", "POST", TRACE, {"content": b'"untrained"', "headers": JSON}, 422, "a JSON string, not an object"),
    ("body null", "POST", TRACE, {"content": b"null", "headers": JSON}, 422, "the body is a JSON null, not an object"),
    ("empty body", "POST", TRACE, {"content": b"", "headers": JSON}, 400, "not valid JSON"),
    ("truncated JSON", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x"', "headers": JSON}, 400,
     "the body is not valid JSON"),
    ("single quotes", "POST", TRACE, {"content": b"{'model': 'untrained', 'text': 'x'}", "headers": JSON}, 400,
     'send a JSON object such as {"model"'),
    ("deeply nested, unclosed", "POST", TRACE, {"content": b"[" * 3000, "headers": JSON}, 400,
     "nests arrays or objects 3000 levels deep, where a request is one flat object"),
    ("deeply nested, closed", "POST", TRACE, {"content": b'{"model": "untrained", "text": ' + b"[" * 1500 + b"]" * 1500
                                              + b"}", "headers": JSON}, 400, "1501 levels deep"),
    ("nested within the limit", "POST", TRACE, {"content": b'{"model": "untrained", "text": ' + b"[" * 100 + b"]" * 100
                                                + b"}", "headers": JSON}, 422, "text: Input should be a valid string"),
    ("invalid UTF-8 in the body", "POST", TRACE, {"content": b'{"model": "untrained", "text": "\xff\xfe"}',
                                                  "headers": JSON}, 400,
     "the body is not valid UTF-8 (byte 0xff at offset 32): send the JSON encoded as UTF-8"),
    ("UTF-16 body", "POST", TRACE, {"content": '{"model": "untrained", "text": "x"}'.encode("utf-16"), "headers": JSON},
     400, "not valid UTF-8"),
    ("byte order mark", "POST", TRACE, {"content": b'\xef\xbb\xbf{"model": "untrained", "text": "x"}', "headers": JSON},
     400, "byte order mark"),
    ("lone surrogate escape", "POST", TRACE, {"content": b'{"model": "untrained", "text": "a\\ud800b"}',
                                              "headers": JSON}, 422, "lone surrogate"),
    ("lone low surrogate in the model", "POST", TRACE, {"content": b'{"model": "\\udfff", "text": "a"}',
                                                        "headers": JSON}, 422, "remove it or send the full pair"),
    ("surrogate pair escape", "POST", TRACE, {"content": b'{"model": "lesson", "text": "need \\ud83d\\udc4d"}',
                                              "headers": JSON}, 200, tokens(["need", "👍"])),
    ("NUL escape", "POST", TRACE, {"content": b'{"model": "untrained", "text": "a\\u0000b"}', "headers": JSON}, 200,
     tokens(["a", "\x00", "b"])),
    # --- huge bodies: declared, and chunked without a length
    ("body past max_body_bytes", "POST", TRACE, {"json": {"model": "untrained", "text": "x" * 5000}}, 413,
     "request body is larger than max_body_bytes = 4096: send a shorter text"),
    ("chunked body past max_body_bytes", "POST", TRACE, {"content": chunks(100_000), "headers": JSON}, 413,
     "max_body_bytes = 4096"),
    ("chunked body within the limit", "POST", TRACE, {"content": chunked_json(b'{"model": "untrained", "text": "x"}'),
                                                      "headers": JSON}, 200, tokens(["x"])),
    # --- content types
    ("text/plain body", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x"}',
                                        "headers": {"content-type": "text/plain"}}, 415,
     "the request has Content-Type 'text/plain': send the body as JSON with Content-Type: application/json"),
    ("form body", "POST", TRACE, {"data": {"model": "untrained", "text": "x"}}, 415,
     "Content-Type 'application/x-www-form-urlencoded'"),
    ("multipart body", "POST", STEP, {"files": {"text": b"x"}}, 415, "send the body as JSON"),
    ("no content type", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x"}'}, 415,
     "the request has no Content-Type: send the body as JSON"),
    ("JSON with a charset", "POST", TRACE, {"content": b'{"model": "untrained", "text": "x"}',
                                            "headers": {"content-type": "application/json; charset=utf-8"}}, 200, None),
    # --- wrong methods
    ("PUT trace", "PUT", TRACE, {"json": OK}, 405, "method PUT is not allowed here: use GET, POST"),
    ("DELETE models", "DELETE", "/api/models", {}, 405, "method DELETE is not allowed here: use GET"),
    ("PATCH step", "PATCH", STEP, {"json": OK}, 405, "use GET, POST"),
    ("POST a model card", "POST", "/api/models/lesson", {"json": {}}, 405, "use GET"),
    ("POST the page", "POST", "/", {"data": {"text": "x"}}, 405, "method POST is not allowed here: use GET"),
    ("PUT a static file", "PUT", "/static/js/core/state.js", {"content": b"x"}, 405, "use GET, HEAD"),
    ("OPTIONS trace", "OPTIONS", TRACE, {}, 405, "use GET, POST"),
    # --- unknown addresses
    ("unknown API route", "GET", "/api/nope", {}, 404, "the API under /api (described at /docs)"),
    ("unknown page", "GET", "/admin", {}, 404, "the page is at /"),
    ("missing static file", "GET", "/static/js/nope.js", {}, 404, "the page is at /"),
    # --- the page route reads its query leniently (the page reports what it rejected): always 200
    ("page: unknown model", "GET", "/", {"params": {"model": "nope"}}, 200, None),
    ("page: model ..", "GET", "/", {"params": {"model": "..", "text": "x"}}, 200, None),
    ("page: text past max_chars", "GET", "/", {"params": {"text": "x" * 5000}}, 200, None),
    ("page: NUL in text", "GET", "/", {"params": {"text": "a\x00b"}}, 200, None),
    ("page: byte %ff", "GET", "/?text=%ff&model=%ff", {}, 200, None),
    ("page: lone surrogate bytes", "GET", "/?text=%ED%A0%80", {}, 200, None),
    ("page: repeated and unknown", "GET", "/?embed=1&embed=0&text=a&text=b&colour=red", {}, 200, None),
]


def test_there_are_many_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "expect"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_gets_a_200_or_a_4xx_that_says_what_to_change(http, method, url, kwargs, status, expect):
    r = http.request(method, url, **kwargs)
    assert r.status_code == status, r.text[:500]
    if status == 200:
        if callable(expect):
            expect(r)
        return
    assert r.headers["content-type"] == "application/json"
    detail = r.json()["detail"]
    assert isinstance(detail, str) and expect in detail, detail
    assert len(detail) < 400  # a sentence, not an echo of the input


def test_the_page_route_renders_the_defaults_for_unusable_links(http):
    r = http.get("/?model=%ff&text=%ED%A0%80")
    assert r.status_code == 200 and 'value="lesson" selected' in r.text
    r = http.get("/", params={"text": "a\x00b"})
    assert "a\x00b" not in r.text and "Today, due to my current job" in r.text


# ---- Requests httpx will not send: the exact bytes go through a socket.


def raw(base: str, request: bytes, hang_up: bool = False) -> bytes:
    """Send `request` as is and read the answer until the server closes (or 5 s pass). hang_up: close
    our sending side at once, as a client that dies mid-upload."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(request)
        if hang_up:
            s.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def post(headers: str, body: bytes) -> bytes:
    return (f"POST /api/trace HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"{headers}\r\n").encode() + body


BODY = b'{"model": "untrained", "text": "I need to take a loan"}'


@pytest.mark.parametrize(("request_bytes", "status", "phrase"), [
    (post("Content-Length: 1000000\r\n", BODY), 413, b"max_body_bytes = 4096"),  # a lying length, refused unread
    (post("Content-Length: 99999999999999999999\r\n", BODY), 413, b"max_body_bytes = 4096"),
    (post(f"Content-Length: {len(BODY) - 5}\r\n", BODY), 400, b"not valid JSON"),  # shorter than the body
    (post("Content-Length: -1\r\n", BODY), 400, None),
    (post("Transfer-Encoding: chunked\r\n", (b"1000\r\n" + b" " * 4096 + b"\r\n") * 3 + b"0\r\n\r\n"), 413,
     b"max_body_bytes = 4096"),
    (post("Transfer-Encoding: chunked\r\n", b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n"), 200, b'"tokens"'),
    (post("Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"), 400, None),  # not chunked encoding
    ("GET /api/trace?model=untrained&text=\xe9 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode("latin-1"),
     400, None),  # a raw byte that is not percent-encoded: refused by the HTTP server
], ids=["lying length past the limit", "absurd length", "length shorter than the body", "negative length",
        "chunked past the limit", "chunked", "malformed chunks", "raw byte in the query"])
def test_raw_requests(base, request_bytes, status, phrase):
    answer = raw(base, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    if phrase is not None:
        assert phrase in answer.partition(b"\r\n\r\n")[2]


def test_a_client_that_hangs_up_mid_body_leaves_no_traceback(base, http, server_errors):
    before = len(server_errors)
    raw(base, post("Content-Length: 1000\r\n", BODY), hang_up=True)  # promised 1,000 bytes, sent 56
    time.sleep(0.5)  # the server notices the hang-up on its own time
    assert http.get("/healthz").status_code == 200
    assert [r.getMessage() for r in server_errors[before:]] == []


def test_the_server_still_serves_after_all_of_them(http, server_errors):
    assert http.get("/healthz").status_code == 200
    assert http.get(TRACE, params=OK).status_code == 200
    assert [r.getMessage() for r in server_errors] == []  # no "Exception in ASGI application"
