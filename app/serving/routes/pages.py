"""HTML pages and the assets they need: the index page, plotly.js from the installed package, favicon."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.model_store import ID_PATTERN, Model
from app.resources import resource_dir
from app.serving.config import Settings, get_settings
from app.serving.search import index_summary
from app.serving.service import model_summary

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


@dataclass(frozen=True)
class LinkState:
    """The part of a shared link the server renders (the page's static/js/core/state.js reads the rest):
    the model, the text, and whether the page is embedded in another site's frame."""

    model: Model
    text: str
    embed: bool


def link_state(query: dict[str, str], models: dict[str, Model], settings: Settings) -> LinkState:
    """Read the query leniently: an unknown model or an unusable text falls back to the defaults (the
    page reports what it rejected); the text is never interpreted, only escaped by the template."""
    model = models.get(query.get("model", "")) or next(iter(models.values()))
    text = query.get("text")
    if text is None or len(text) > settings.max_chars or "\x00" in text:
        text = next(iter(model.card.get("examples", [])), "")
    else:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = ""
    return LinkState(model=model, text=text, embed=query.get("embed") == "1")


def share_description(text: str, limit: int = 200) -> str:
    """The text of a link, shortened for a chat app's preview."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)  # HEAD: uptime checks
def index(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> HTMLResponse:
    """The visualizer page, rendered with a shared link's model and text (no empty flash)."""
    models = request.app.state.models
    if not models:
        return templates.TemplateResponse(request, "index.html", {"plotly_url": plotly_url(), "models": []})
    link = link_state(dict(request.query_params), models, settings)
    if link.embed:  # embed mode: slides and course pages may frame the page (and only this page)
        request.state.frame_ancestors = "*"
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "plotly_url": plotly_url(),
            "models": list(models.values()),
            "model": link.model,
            "text": link.text,
            "embed": link.embed,
            "share_title": f"LSTM Gate Visualizer · {link.model.title}",
            "share_description": share_description(link.text) or link.model.card.get("description", ""),
            # As /api/models: each model's state index for "Find more like this" (null when it has none).
            "models_data": [{**model_summary(m), "index": index_summary(request.app.state.indexes.get(m.id))}
                            for m in models.values()],
            # What the page shares with the server (static/js/main.js): its limits on a text, its model ids.
            "config": {"max_chars": settings.max_chars, "max_tokens": settings.max_tokens,
                       "model_id_pattern": ID_PATTERN.pattern},
        },
    )
