"""The API's reference pages, served by this server alone: /docs (Swagger UI) and /redoc (ReDoc).

FastAPI's own pages load their scripts from a CDN and start them with an inline <script>, which a classroom
without internet cannot fetch and the app's CSP (script-src 'self') refuses. Here the scripts and styles
come from the installed `fastapi-offline` package (read at run time, never copied into the repository),
from versioned URLs cached for a year like plotly.js; the few lines that start them are static files
(static/js/api_docs/). /docs runs under the app's CSP unchanged; /redoc adds `worker-src blob:` to its own
response's policy, for the worker ReDoc's search runs in (without it the search box finds nothing).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from app.serving.routes.pages import IMMUTABLE, templates

router = APIRouter(include_in_schema=False)

PREFIX = "/vendor/api-docs/"
# The package's files the pages use, with their media types.
MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
}
# ReDoc's side menu shows Redocly's logo from cdn.redoc.ly, and no option turns it off: pointed at nothing, the
# <img> fails at once and ReDoc drops it, so the page asks nothing of another site (the CSP would refuse it,
# with an error in the console). A newer ReDoc that names the logo otherwise fails tests/page/test_browser_api_docs.py.
PATCHES = {"redoc.standalone.js": [(b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'src:""')]}
# What /redoc adds to its response's CSP: ReDoc builds its search worker from a blob: URL (script-src 'self'
# alone refuses it). The scripts that make such a URL are already this server's own.
REDOC_CSP = "worker-src blob:"


@lru_cache(maxsize=1)
def vendor_dir() -> Path:
    """fastapi-offline's static/ folder (find_spec locates it without importing the package)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package is not installed (pip install fastapi-offline): "
                           "/docs and /redoc need its Swagger UI and ReDoc files")
    return Path(spec.submodule_search_locations[0]) / "static"


@dataclass(frozen=True)
class Asset:
    name: str  # the package's file name, "swagger-ui.css"
    url: str  # its versioned URL on this server, "/vendor/api-docs/swagger-ui-<digest>.css"
    raw: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.name]


@lru_cache(maxsize=len(MEDIA_TYPES))
def asset(name: str) -> Asset:
    raw = (vendor_dir() / name).read_bytes()
    for old, new in PATCHES.get(name, ()):
        raw = raw.replace(old, new)
    stem, ext = name.rsplit(".", 1)
    return Asset(name, f"{PREFIX}{stem}-{hashlib.sha256(raw).hexdigest()[:12]}.{ext}", raw)


@lru_cache(maxsize=len(MEDIA_TYPES))
def packed(name: str) -> bytes:
    """The asset gzipped once, on its first request (the docs are rarely opened: no cost at start-up)."""
    return gzip.compress(asset(name).raw, 9, mtime=0)


@router.get(PREFIX + "{filename}")
def vendor_asset(filename: str, request: Request) -> Response:
    """A Swagger UI or ReDoc file from its versioned URL, cached for a year; gzipped when the client accepts it."""
    current = {asset(name).url: name for name in MEDIA_TYPES}
    name = current.get(PREFIX + filename)
    if name is None:
        raise HTTPException(404, f"no {filename} here; the API pages' files are at {', '.join(sorted(current))}")
    found = asset(name)
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed(name), media_type=found.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(found.raw, media_type=found.media_type, headers=headers)


def docs_page(request: Request, page: str, title: str, stylesheets: list[str], scripts: list[str]) -> HTMLResponse:
    return templates.TemplateResponse(request, "api_docs.html", {
        "page": page,
        "title": f"{title} · {request.app.title} API",
        "openapi_url": request.app.openapi_url,
        "stylesheets": stylesheets,
        "scripts": scripts,
    })


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: every operation, with "Try it out" against this server."""
    return docs_page(request, "docs", "Swagger UI", [asset("swagger-ui.css").url],
                     [asset("swagger-ui-bundle.js").url, "/static/js/api_docs/swagger_init.js"])


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the same OpenAPI document as one readable page, with a search box."""
    request.state.csp_extra = REDOC_CSP
    return docs_page(request, "redoc", "ReDoc", [],
                     [asset("redoc.standalone.js").url, "/static/js/api_docs/redoc_init.js"])
