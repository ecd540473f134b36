"""HTML pages and the assets they need: the index page, plotly.js from the installed package, favicon."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.resources import resource_dir
from app.service import model_summary

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resource_dir("templates")))
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1)
def plotly_js() -> tuple[str, bytes, bytes]:
    """(digest, raw, gzipped) of the plotly.min.js bundled with the `plotly` package, compressed once:
    level-9 gzip per request costs ~266 ms of CPU. find_spec locates it without importing plotly."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is not installed")
    raw = (Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js").read_bytes()
    return hashlib.sha256(raw).hexdigest()[:12], raw, gzip.compress(raw, 9, mtime=0)


def plotly_url() -> str:
    return f"/vendor/plotly-{plotly_js()[0]}.min.js"


@router.get("/vendor/plotly-{digest}.min.js")
def plotly_bundle(digest: str, request: Request) -> Response:
    """plotly.js from a versioned URL, cached for a year; gzipped when the client accepts it."""
    current, raw, packed = plotly_js()
    if digest != current:
        raise HTTPException(404, f"no plotly.js {digest}; the current one is at {plotly_url()}")
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type="text/javascript", headers=headers)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response((resource_dir("static") / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The visualizer page."""
    models = list(request.app.state.models.values())
    return templates.TemplateResponse(
        request,
        "index.html",
        {"plotly_url": plotly_url(), "models": models, "models_data": [model_summary(m) for m in models]},
    )
