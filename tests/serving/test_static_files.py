"""app/serving/static_files.py over real HTTP: the page's static files served from memory, byte for byte as on
disk (gzipped or not), with their types, validators and the app's error answers and security headers; a folder
edited while the server runs is served as it is now; no path leaves the folder. The folder's own tests use a
temporary folder mounted in a bare Starlette app (errors there are Starlette's plain "Not Found")."""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Mount

from app.resources import resource_dir
from app.serving.middleware import CompressText
from app.serving.static_files import StaticFolder, accepts_gzip, content_type, etag_matches, relative_parts
from tests.servers import serve

STATIC = resource_dir("static")
FILES = sorted(p for p in STATIC.rglob("*") if p.is_file())
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
NOT_FOUND = "nothing is at this address: the page is at /, the API under /api (described at /docs)"
TEXT = b"export const x = 1;\n" * 200  # 4000 bytes of JavaScript: gzipped
SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


def url(path: Path) -> str:
    return "/static/" + path.relative_to(STATIC).as_posix()


def gzip_expected(path: Path) -> bool:
    return path.suffix in (".js", ".css", ".svg", ".json") and path.stat().st_size >= 1024


@pytest.fixture(scope="module")
def http(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def raw(base: str, request: bytes) -> bytes:
    """Send `request` as written on a fresh connection (Connection: close); the whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


# --- the app's own folder, through the real app ---------------------------------------------------------------


def test_the_folder_has_the_files_these_tests_are_about():
    suffixes = {p.suffix for p in FILES}
    assert {".js", ".css", ".svg"} <= suffixes and len(FILES) > 20
    assert any(gzip_expected(p) for p in FILES) and any(not gzip_expected(p) for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(STATIC).as_posix())
def test_every_file_is_served_as_it_is_on_disk_plain_and_gzipped(http, path):
    data = path.read_bytes()
    plain = http.get(url(path), headers=IDENTITY)
    assert plain.status_code == 200 and plain.content == data
    assert plain.headers["content-length"] == str(len(data)) and "content-encoding" not in plain.headers
    packed = http.get(url(path), headers=GZIP)
    assert packed.status_code == 200 and packed.content == data  # httpx undid exactly one gzip
    assert packed.headers.get("content-encoding") == ("gzip" if gzip_expected(path) else None)
    if gzip_expected(path):
        assert int(packed.headers["content-length"]) < len(data)
        assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    for r in (plain, packed):
        assert r.headers["cache-control"] == "no-cache" and r.headers["etag"] and r.headers["last-modified"]
        assert r.headers["content-type"] == FileResponse(path).headers["content-type"]  # as StaticFiles sent it


def test_content_types_of_scripts_styles_and_the_icon(http):
    expected = {"/static/js/main.js": "text/javascript; charset=utf-8",
                "/static/css/app.css": "text/css; charset=utf-8", "/static/favicon.svg": "image/svg+xml"}
    for path, ctype in expected.items():
        assert http.get(path).headers["content-type"] == ctype, path


def test_the_gzipped_copy_decompresses_to_the_file(live_server):
    """On the wire, not through httpx's decoder: one gzip layer, and only one."""
    data = (STATIC / "js" / "main.js").read_bytes()
    with httpx.Client(base_url=live_server, timeout=30) as client, \
            client.stream("GET", "/static/js/main.js", headers=GZIP) as r:
        wire = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip" and len(wire) == int(r.headers["content-length"])
    assert gzip.decompress(wire) == data


def test_gzip_refused_by_q_0_is_not_sent(http):
    """`gzip;q=0` forbids gzip: neither this server nor a gzip middleware around /static/ may send it."""
    for header in ("gzip;q=0", "br", "identity", "gzip;q=0, deflate"):
        r = http.get("/static/js/main.js", headers={"Accept-Encoding": header})
        assert "content-encoding" not in r.headers and r.content == (STATIC / "js" / "main.js").read_bytes(), header


def test_etag_revalidation_answers_304_without_a_body(http):
    for headers in (IDENTITY, GZIP):
        r = http.get("/static/js/core/units.js", headers=headers)
        etag = r.headers["etag"]
        for validator in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
            again = http.get("/static/js/core/units.js", headers={**headers, "If-None-Match": validator})
            assert again.status_code == 304 and again.content == b"", validator
            assert again.headers["etag"] == etag and again.headers["cache-control"] == "no-cache"
            assert "content-length" not in again.headers or again.headers["content-length"] == "0"
        other = http.get("/static/js/core/units.js", headers={**headers, "If-None-Match": '"nope"'})
        assert other.status_code == 200 and other.content == (STATIC / "js" / "core" / "units.js").read_bytes()
    plain = http.get("/static/js/main.js", headers=IDENTITY).headers["etag"]
    packed = http.get("/static/js/main.js", headers=GZIP).headers["etag"]
    assert plain != packed  # strong tags name bytes: the gzip copy is other bytes
    assert http.get("/static/js/core/units.js", headers={"If-None-Match": plain}).status_code == 200  # another file's


def test_if_modified_since(http):
    r = http.get("/static/js/main.js")
    assert http.get("/static/js/main.js", headers={"If-Modified-Since": r.headers["last-modified"]}).status_code == 304
    assert http.get("/static/js/main.js",
                    headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200
    assert http.get("/static/js/main.js", headers={"If-Modified-Since": "garbage"}).status_code == 200


def test_head_has_the_headers_of_get_and_no_body(http, live_server):
    for headers in (IDENTITY, GZIP):
        got, head = http.get("/static/js/main.js", headers=headers), http.head("/static/js/main.js", headers=headers)
        assert head.status_code == 200
        for name in ("content-type", "content-length", "etag", "last-modified", "cache-control", "vary"):
            assert head.headers[name] == got.headers[name], name
        assert head.headers.get("content-encoding") == got.headers.get("content-encoding")
    host = live_server.removeprefix("http://")
    answer = raw(live_server, f"HEAD /static/js/main.js HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_in_the_apps_words(http, method):
    r = http.request(method, "/static/js/main.js")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert r.json() == {"detail": f"method {method} is not allowed here: use GET, HEAD (the API is described at /docs)"}


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/js/nope.js", "/static/", "/static/js", "/static/js/",
                                  "/static/js/main.js/", "/static/js//main.js"])
def test_missing_files_and_folders_are_404_in_the_apps_words(http, path):
    r = http.get(path)
    assert r.status_code == 404 and r.json() == {"detail": NOT_FOUND}, path


def test_static_without_a_slash_still_redirects(http):
    r = http.get("/static", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/static/"


def test_every_static_answer_carries_the_security_headers(http):
    etag = http.get("/static/js/main.js", headers=IDENTITY).headers["etag"]
    answers = [http.get("/static/js/main.js", headers=GZIP), http.get("/static/favicon.svg"),
               http.head("/static/css/app.css"), http.get("/static/js/main.js", headers={"If-None-Match": etag}),
               http.get("/static/nope.js"), http.post("/static/js/main.js")]
    assert [r.status_code for r in answers] == [200, 200, 200, 304, 404, 405]
    for r in answers:
        for name in SECURITY:
            assert name in r.headers, (r.request.url, name)
        assert "script-src 'self';" in r.headers["content-security-policy"]


@pytest.mark.parametrize("target", ["/static/../app/serving/app.py", "/static/js/../../pyproject.toml",
                                    "/static/%2e%2e/app/serving/app.py", "/static/..%2fpyproject.toml",
                                    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/js/main.js%00",
                                    "/static/..%5cpyproject.toml", "/static/js/..%2f..%2fpyproject.toml"])
def test_traversal_is_refused(live_server, target):
    host = live_server.removeprefix("http://")
    answer = raw(live_server, f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    assert answer.split(b" ", 2)[1] in (b"400", b"404"), target
    assert b"[tool.ruff]" not in answer and b"def create_app" not in answer and b"root:" not in answer


# --- pure functions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "parts"), [
    ("/js/main.js", ("js", "main.js")), ("/favicon.svg", ("favicon.svg",)), ("/a b/ü.js", ("a b", "ü.js")),
    ("/.hidden", (".hidden",)), ("/js/..x", ("js", "..x")),
    ("", None), ("/", None), ("js/main.js", None), ("//etc/passwd", None), ("/js//main.js", None), ("/js/", None),
    ("/..", None), ("/../x", None), ("/js/../x", None), ("/./x", None), ("/js/.", None), ("/..\\x", None),
    ("/C:\\Windows\\win.ini", None), ("/js/main.js\x00", None), ("/\x00", None),
])
def test_relative_parts(path, parts):
    assert relative_parts(path) == parts


@pytest.mark.parametrize(("header", "gzip_ok"), [
    ("gzip", True), ("GZIP", True), ("gzip, deflate, br, zstd", True), ("deflate, gzip;q=0.5", True), ("*", True),
    ("x-gzip", True), ("*;q=0, gzip", True), ("gzip ; q=1.0", True),
    ("", False), ("identity", False), ("br", False), ("gzip;q=0", False), ("gzip;q=0.0", False), ("*;q=0", False),
    ("gzip;q=0, *", False), ("gzip;q=x", False), ("gzipped", False),
])
def test_accepts_gzip(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok


def test_etag_matches():
    tags = {b'"abc"', b'"abc-gz"'}
    assert etag_matches('"abc"', tags) and etag_matches('W/"abc-gz"', tags) and etag_matches(' "x" , "abc" ', tags)
    assert etag_matches("*", tags)
    assert not etag_matches('"ab"', tags) and not etag_matches("abc", tags) and not etag_matches("", tags)


@pytest.mark.parametrize("name", ["a.js", "a.mjs", "a.css", "a.svg", "a.json", "a.html", "a.txt", "a.png", "a.woff2",
                                  "a.bin", "noext", "A.JS"])
def test_content_types_are_starlettes(name):
    ours, theirs = content_type(name), FileResponse(name).headers["content-type"]
    if name.lower().endswith(".js") or name.endswith(".mjs"):
        assert ours == "text/javascript; charset=utf-8"  # pinned, whatever /etc/mime.types says
    else:
        assert ours == theirs, name


# --- a temporary folder, edited while served ------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path) -> Iterator[tuple[Path, StaticFolder, httpx.Client]]:
    """tmp_path/static served at /static by a bare Starlette app; (the folder, the app, a client)."""
    root = tmp_path / "static"
    (root / "js").mkdir(parents=True)
    (root / "js" / "a.js").write_bytes(TEXT)
    static = StaticFolder(root)
    with serve(Starlette(routes=[Mount("/static", app=static)])) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield root, static, client


def both(client: httpx.Client, path: str) -> tuple[httpx.Response, httpx.Response]:
    return client.get(path, headers=IDENTITY), client.get(path, headers=GZIP)


def test_an_edited_file_is_served_new(folder):
    root, _, client = folder
    a = root / "js" / "a.js"
    old_plain, old_packed = both(client, "/static/js/a.js")
    assert old_plain.content == old_packed.content == TEXT and old_packed.headers["content-encoding"] == "gzip"

    grown = TEXT + b"export const y = 2;\n"  # another size
    a.write_bytes(grown)
    plain, packed = both(client, "/static/js/a.js")
    assert plain.content == packed.content == grown
    assert plain.headers["content-length"] == str(len(grown)) and packed.headers["content-encoding"] == "gzip"
    assert plain.headers["etag"] != old_plain.headers["etag"] and packed.headers["etag"] != old_packed.headers["etag"]
    stale = client.get("/static/js/a.js", headers={"If-None-Match": old_plain.headers["etag"]})
    assert stale.status_code == 200 and stale.content == grown

    same_size = grown.replace(b"y = 2", b"y = 3")  # the same size, the same mtime as before: still seen
    st = a.stat()
    a.write_bytes(same_size)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert all(r.content == same_size for r in both(client, "/static/js/a.js"))

    renamed = root / "js" / "a.js.tmp"  # an editor's save: a new file renamed over the old
    renamed.write_bytes(b"let z;")
    renamed.replace(a)
    plain, packed = both(client, "/static/js/a.js")
    assert plain.content == packed.content == b"let z;" and "content-encoding" not in packed.headers
    assert "vary" not in packed.headers  # under 1024 bytes: one representation only


def test_added_and_deleted_files(folder):
    root, static, client = folder
    assert client.get("/static/b.css").status_code == 404
    (root / "b.css").write_bytes(b"body { color: red }\n")
    r = client.get("/static/b.css")
    assert r.status_code == 200 and r.content == b"body { color: red }\n"
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    (root / "b.css").unlink()
    assert client.get("/static/b.css").status_code == 404
    assert ("b.css",) not in static.files  # nothing of a deleted file is kept
    (root / "js" / "a.js").unlink()
    assert client.get("/static/js/a.js").status_code == 404


def test_missing_names_are_not_remembered(folder):
    _, static, client = folder
    kept = dict(static.files)
    for i in range(50):
        assert client.get(f"/static/js/nope{i}.js").status_code == 404
    assert static.files == kept


def test_symlinks_out_of_the_folder_and_folders_are_refused(folder, tmp_path):
    root, _, client = folder
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"root:x:0:0")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.js").write_bytes(b"root:x:0:0")
    (root / "link.txt").symlink_to(secret)
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    (root / "inside.js").symlink_to(root / "js" / "a.js")  # a link within the folder is only another name
    (root / "empty").mkdir()
    for path in ("/static/link.txt", "/static/dirlink/x.js", "/static/js", "/static/empty"):
        r = client.get(path)
        assert r.status_code == 404 and b"root:" not in r.content, path
    assert client.get("/static/inside.js").content == TEXT


def test_a_file_that_becomes_a_link_out_is_refused(folder, tmp_path):
    """A cached file replaced by a symlink out of the folder is checked again, not served from memory."""
    root, _, client = folder
    assert client.get("/static/js/a.js").status_code == 200
    secret = tmp_path / "secret.js"
    secret.write_bytes(b"root:x:0:0")
    (root / "js" / "a.js").unlink()
    (root / "js" / "a.js").symlink_to(secret)
    r = client.get("/static/js/a.js")
    assert r.status_code == 404 and b"root:" not in r.content


def test_files_over_the_cap_are_not_served(tmp_path):
    (tmp_path / "small.txt").write_bytes(b"x" * 100)
    (tmp_path / "big.txt").write_bytes(b"x" * 101)
    static = StaticFolder(tmp_path, max_file_bytes=100)
    with serve(Starlette(routes=[Mount("/static", app=static)])) as base:
        assert httpx.get(f"{base}/static/small.txt").content == b"x" * 100
        assert httpx.get(f"{base}/static/big.txt").status_code == 404
    assert ("big.txt",) not in static.files


def test_preload_reads_the_folder_at_creation(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_bytes(TEXT)
    (tmp_path / "b.css").write_bytes(b"p{}")
    assert set(StaticFolder(tmp_path).files) == {("js", "a.js"), ("b.css",)}
    assert StaticFolder(tmp_path, preload=False).files == {}


def test_head_sends_no_body_at_the_asgi_level(tmp_path):
    """uvicorn drops a body sent for HEAD, so over HTTP a body sent anyway would not show: ask the app itself."""
    (tmp_path / "a.js").write_bytes(TEXT)
    messages = []

    async def send(message):
        messages.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "HEAD", "path": "/a.js", "root_path": "",
             "headers": [(b"accept-encoding", b"gzip")]}
    # In a thread of its own: the browser tests' Playwright may hold a running event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, StaticFolder(tmp_path)(scope, receive, send)).result()
    start, body = messages
    headers = dict(start["headers"])
    assert start["status"] == 200 and headers[b"content-encoding"] == b"gzip"
    assert int(headers[b"content-length"]) == len(gzip.compress(TEXT, compresslevel=9, mtime=0))
    assert body == {"type": "http.response.body", "body": b""}


def test_a_missing_folder_is_an_error_at_creation(tmp_path):
    with pytest.raises(RuntimeError, match="not a directory"):
        StaticFolder(tmp_path / "nope")


# --- the gzip middleware leaves /static/ alone ----------------------------------------------------------------


def test_compress_text_gzips_the_page_but_not_static_paths():
    """CompressText wraps a stand-in app answering 4 kB of text at every path: "/" gzipped, /static/ not (the
    folder gzips once itself; a middleware would compress again per request, and ignore `gzip;q=0`)."""
    async def text(scope, receive, send):
        await PlainTextResponse(TEXT.decode())(scope, receive, send)

    with serve(CompressText(text)) as base:
        assert httpx.get(f"{base}/", headers=GZIP).headers.get("content-encoding") == "gzip"
        r = httpx.get(f"{base}/static/js/main.js", headers=GZIP)
        assert "content-encoding" not in r.headers and r.content == TEXT
