"""The page's own scripts, styles and icon (static/), served from memory by a pure ASGI app.

Starlette's StaticFiles stats and reads every file through a worker thread on every request, and the gzip
middleware compressed each answer again: ~50 modules at 6-8 ms each held the page's first paint. Here each
file is read once, gzipped once, hashed once; a request costs one `os.stat` (a cheap syscall, no thread hop)
to see whether a developer has edited the file since, and is answered from the bytes kept.

Contracts:
- URL → file: the route path (the URL path under the mount, already percent-decoded by the server) is split
  on "/"; every segment must be non-empty and not "." or "..", without "\\" or NUL (`relative_parts`).
  The file it names is served only if its real path (symlinks resolved) lies inside the folder's real path
  and it is a regular file of at most `max_file_bytes`. Anything else, a directory included, is 404.
- A file is re-read when its (mtime_ns, ctime_ns, size, inode) differ from when it was read; a file gone is
  dropped from memory and answered 404. Missing names are never cached, so memory holds at most the folder.
- GET and HEAD only; other methods 405 with `Allow: GET, HEAD`. Errors are raised as Starlette's
  HTTPException, as StaticFiles raises them, so the app's exception handler words them (app.py).
- Answers: `Cache-Control: no-cache` (unversioned URLs: browsers revalidate), a strong ETag (BLAKE2b of the
  content; the gzip copy's tag ends in "-gz", being other bytes), Last-Modified, Content-Type as Starlette
  would send it (.js, .css pinned to text/javascript, text/css with charset=utf-8; .map to application/json).
  A gzip copy exists for text types (js, css, svg, json, html, txt, map) of at least 1024 bytes when it is
  smaller; such a file answers with `Vary: Accept-Encoding`, gzipped when the request accepts gzip.
  If-None-Match (weak comparison, as RFC 9110 asks for it) or, without it, If-Modified-Since → 304 without
  a body. No Range support (none advertised).
- Memory: the folder's files and their gzip copies (static/ today: 65 files, ~700 KiB, read in ~50 ms at
  creation with `preload`).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate, mktime_tz, parsedate_tz
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

MAX_FILE_BYTES = 8 * 2**20
GZIP_MIN_BYTES = 1024
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".svg", ".json", ".html", ".htm", ".txt", ".map"})
# Pinned: /etc/mime.types on some systems says application/javascript, which module scripts tolerate but
# the answers would differ between machines.
PINNED_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".map": "application/json"}
ALLOW = "GET, HEAD"

Key = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Representation:
    """One answerable body of a file: its bytes and the headers of a 200 (without Content-Length) and a 304."""

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    not_modified_headers: tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class StaticFile:
    """A file as read: `key` the stat it was read under, `identity` its bytes, `gzipped` its gzip copy or None,
    `tags` the ETag values (quoted) that name this content, `mtime` seconds since the epoch."""

    key: Key
    identity: Representation
    gzipped: Representation | None
    tags: frozenset[bytes]
    mtime: float


def relative_parts(route_path: str) -> tuple[str, ...] | None:
    """`/js/core/units.js` → ("js", "core", "units.js"); None for a path that is not plainly inside the folder:
    empty, not starting with "/", an empty, "." or ".." segment (so no `//`, no trailing "/", no absolute
    path), a backslash or a NUL anywhere."""
    if not route_path.startswith("/") or "\\" in route_path or "\x00" in route_path:
        return None
    parts = tuple(route_path[1:].split("/"))
    if any(part in ("", ".", "..") for part in parts):
        return None
    return parts


def route_path(scope: Scope) -> str:
    """The path under the mount: scope["path"] less scope["root_path"] (Starlette's Mount keeps the full path
    and extends root_path), as starlette._utils.get_route_path does."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("/", ""):
        return path[len(root):]
    return path


def content_type(name: str) -> str:
    """The Content-Type Starlette's FileResponse would send for `name`: mimetypes' guess (or
    application/octet-stream), text/* with "; charset=utf-8"; .js and .css pinned to text/javascript, text/css."""
    suffix = os.path.splitext(name)[1].lower()
    media = PINNED_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media.startswith("text/") and "charset=" not in media.lower():
        media += "; charset=utf-8"
    return media


def gzip_copy(name: str, data: bytes) -> bytes | None:
    """`data` gzipped (level 9, mtime 0: the same bytes every time) if `name` is a text type, `data` has at
    least GZIP_MIN_BYTES and the copy is smaller; else None."""
    if os.path.splitext(name)[1].lower() not in COMPRESSIBLE or len(data) < GZIP_MIN_BYTES:
        return None
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    return packed if len(packed) < len(data) else None


def build(name: str, data: bytes, key: Key, mtime: float) -> StaticFile:
    """The StaticFile for `data`, the content of a file called `name` read under stat `key`."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    etag, gz_etag = f'"{digest}"'.encode(), f'"{digest}-gz"'.encode()
    packed = gzip_copy(name, data)
    common = [(b"content-type", content_type(name).encode()),
              (b"last-modified", formatdate(mtime, usegmt=True).encode()), (b"cache-control", b"no-cache")]
    vary = [(b"vary", b"Accept-Encoding")] if packed is not None else []

    def representation(body: bytes, tag: bytes, extra: list[tuple[bytes, bytes]]) -> Representation:
        not_modified = ((b"etag", tag), (b"cache-control", b"no-cache"), *vary)
        return Representation(body, (*common, (b"etag", tag), *vary, *extra), not_modified)

    return StaticFile(
        key=key,
        identity=representation(data, etag, []),
        gzipped=None if packed is None else representation(packed, gz_etag, [(b"content-encoding", b"gzip")]),
        tags=frozenset({etag, gz_etag} if packed is not None else {etag}),
        mtime=mtime,
    )


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip: "gzip" (or "x-gzip"), else "*", with a q above 0."""
    quality: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[coding.strip()] = q
    for coding in ("gzip", "x-gzip", "*"):
        if coding in quality:
            return quality[coding] > 0
    return False


def etag_matches(if_none_match: str, tags: Iterable[bytes]) -> bool:
    """If-None-Match's weak comparison: "*" or any listed tag (W/ prefix ignored) equal to one of `tags`."""
    listed = {tag.strip().removeprefix("W/").encode("latin-1", "replace") for tag in if_none_match.split(",")}
    return b"*" in listed or not listed.isdisjoint(tags)


def not_modified(if_none_match: str | None, if_modified_since: str | None, file: StaticFile) -> bool:
    """Whether a GET or HEAD with these validators gets a 304. If-None-Match wins when present (RFC 9110 §13.2.2);
    If-Modified-Since: the file's whole-second mtime is not after it."""
    if if_none_match is not None:
        return etag_matches(if_none_match, file.tags)
    if if_modified_since is not None:
        parsed = parsedate_tz(if_modified_since)
        try:
            return parsed is not None and int(file.mtime) <= mktime_tz(parsed)
        except (OverflowError, ValueError):
            return False
    return False


def request_validators(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None, str | None]:
    """(Accept-Encoding, If-None-Match, If-Modified-Since) from ASGI headers (lower-case names); a list header
    sent more than once is joined with ",", as RFC 9110 allows. None for one not sent."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in (b"accept-encoding", b"if-none-match", b"if-modified-since"):
            text = value.decode("latin-1")
            found[name] = f"{found[name]},{text}" if name in found and name != b"if-modified-since" else text
    return found.get(b"accept-encoding"), found.get(b"if-none-match"), found.get(b"if-modified-since")


def stat_key(st: os.stat_result) -> Key:
    """What tells an edited file from the one read: mtime and ctime (ns), size, inode (an editor that saves by
    rename makes a new inode; ctime changes on every write even when mtime is set back)."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


class StaticFolder:
    """ASGI app serving the files under `directory` (see the module docstring for the contract). `preload`
    reads the whole folder at creation so the first visitor does not pay the reads and gzips."""

    def __init__(self, directory: str | os.PathLike[str], *, max_file_bytes: int = MAX_FILE_BYTES,
                 preload: bool = True) -> None:
        self.root = os.path.realpath(directory)
        if not os.path.isdir(self.root):
            raise RuntimeError(f"static folder {directory} is not a directory")
        self.max_file_bytes = max_file_bytes
        self.files: dict[tuple[str, ...], StaticFile] = {}
        if preload:
            for folder, _, names in os.walk(self.root):  # symlinked folders are not entered
                prefix = Path(folder).relative_to(self.root).parts
                for name in names:
                    self.lookup((*prefix, name))

    def lookup(self, parts: tuple[str, ...]) -> StaticFile | None:
        """The file at `parts` (from relative_parts) as it is now on disk, read again if it changed; None if it
        is missing, not a regular file inside the folder, or over the size cap."""
        path = os.path.join(self.root, *parts)
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.files.pop(parts, None)
            return None
        cached = self.files.get(parts)
        if cached is not None and cached.key == stat_key(st):
            return cached
        loaded = self._read(path, parts[-1])
        if loaded is None:
            self.files.pop(parts, None)
        else:
            self.files[parts] = loaded
        return loaded

    def _read(self, path: str, name: str) -> StaticFile | None:
        real = os.path.realpath(path)
        if not real.startswith(self.root + os.sep):
            return None
        try:
            with open(real, "rb") as f:
                st = os.fstat(f.fileno())  # before reading: an edit during the read changes it, so re-read later
                if not stat.S_ISREG(st.st_mode) or st.st_size > self.max_file_bytes:
                    return None
                data = f.read(self.max_file_bytes + 1)
        except (OSError, ValueError):
            return None
        if len(data) > self.max_file_bytes:
            return None
        return build(name, data, stat_key(st), st.st_mtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": ALLOW})
        parts = relative_parts(route_path(scope))
        file = self.lookup(parts) if parts is not None else None
        if file is None:
            raise HTTPException(404)
        accept, if_none_match, if_modified_since = request_validators(scope["headers"])
        chosen = file.gzipped if file.gzipped is not None and accept and accepts_gzip(accept) else file.identity
        if not_modified(if_none_match, if_modified_since, file):
            await send({"type": "http.response.start", "status": 304, "headers": list(chosen.not_modified_headers)})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [*chosen.headers, (b"content-length", str(len(chosen.body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else chosen.body})
