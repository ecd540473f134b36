"""create_app(): load models, add middleware, error handlers, static files and routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.resources import resource_dir
from app.serving.admission import LargeLane
from app.serving.config import Settings, get_settings
from app.serving.jobs import Jobs
from app.serving.lane_process import LaneProcess
from app.serving.log_limit import limit_repeats
from app.serving.middleware import BodyLimit, CompressText, RelativeRedirects, SecurityHeaders
from app.serving.routes import api, api_docs, attribution, components, jobs, pages, saturation, search
from app.serving.search import open_indexes
from app.serving.service import InputError, load_models
from app.serving.static_files import StaticFolder
from app.serving.threads import limit_blas_threads, limit_malloc_arenas
from app.serving.trace_cache import TraceCache

log = logging.getLogger(__name__)


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query")]
    return ".".join(parts) or "request body"


def validation_message(exc: RequestValidationError) -> str:
    """One readable line per problem, never echoing the input (a lone surrogate in it would make the
    error response itself unserialisable)."""
    problems = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            problems.append("the body is not valid JSON: send a JSON object such as "
                            '{"model": "untrained", "text": "Today, I need to take a loan."}')
        elif err.get("type") == "extra_forbidden":
            problems.append(f"{_where(err['loc'])}: unknown field; remove it")
        else:
            problems.append(f"{_where(err['loc'])}: {err.get('msg', 'invalid value')}")
    return "; ".join(problems)


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path ("GET, POST" for /api/trace: Starlette's own 405 names
    only the first route it tried)."""
    def routes(candidates):
        for route in candidates:
            inner = getattr(route, "original_router", None)  # FastAPI 0.16x wraps an included router
            yield from routes(inner.routes) if inner is not None else (route,)

    methods: set[str] = set()
    for route in routes(request.app.router.routes):
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


@asynccontextmanager
async def lane_process_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the large lane's process (app/serving/lane_process.py) with the app if settings say so; stop it
    with the app."""
    if app.state.settings.lane_at_start:
        app.state.lane_process.start()
    yield
    app.state.jobs.close()  # the training jobs' processes (app/serving/jobs.py)
    app.state.lane_process.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Models load once here; a bad model file is logged and skipped."""
    settings = settings or get_settings()
    limit_blas_threads()
    limit_malloc_arenas()
    limit_repeats()
    app = FastAPI(
        title="LSTM Gate Visualizer",
        summary="Every gate (i, f, g, o) and state (c, h) of an LSTM at every token.",
        version="0.1.0",
        lifespan=lane_process_lifespan,
        docs_url=None,  # /docs and /redoc are served from local files instead (routes/api_docs.py)
        redoc_url=None,
    )
    app.state.refused = []
    app.state.models = load_models(settings, app.state.refused)
    app.state.indexes = open_indexes(app.state.models, settings.data_dir)  # memory-mapped, not read
    app.state.compute_slots = asyncio.Semaphore(settings.compute_slots)
    app.state.large_lane = LargeLane(settings.large_queue)
    app.state.lane_process = LaneProcess(settings)
    app.state.settings = settings
    app.state.jobs = Jobs(settings, lambda: app.state.models, lambda models: setattr(app.state, "models", models))
    app.state.trace_cache = TraceCache(settings.trace_cache_mb * 2**20) if settings.trace_cache_mb else None
    log.info("loaded models: %s", ", ".join(app.state.models) or "none")
    if app.state.indexes:
        log.info("state indexes for /api/search: %s", ", ".join(f"{m} ({i.num_tokens:,} tokens)"
                                                                   for m, i in app.state.indexes.items()))
    app.dependency_overrides[get_settings] = lambda: settings

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's bare "Not Found" and "Method Not Allowed" made to say what to do instead."""
        if exc.status_code == 405:
            allowed = allowed_methods(request) or (exc.headers or {}).get("Allow") or "GET"
            detail = f"method {request.method} is not allowed here: use {allowed} (the API is described at /docs)"
            return JSONResponse({"detail": detail}, status_code=405, headers={"Allow": allowed})
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = "nothing is at this address: the page is at /, the API under /api (described at /docs)"
            return JSONResponse({"detail": detail}, status_code=404, headers=exc.headers)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    app.add_middleware(CompressText)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RelativeRedirects)
    # The page's own JS and CSS, from memory, gzipped once (static_files.py): unversioned URLs, so browsers
    # revalidate (ETag) and an upgrade is picked up at once. plotly.js, versioned, is cached a year by its route.
    app.mount("/static", StaticFolder(resource_dir("static")), name="static")
    pages.plotly_js()  # compress the 4.8 MB bundle once now, not during the first visitor's request
    app.include_router(api.router)
    app.include_router(jobs.router)
    for analysis in (attribution, saturation, components, search):
        app.include_router(analysis.router)
    app.include_router(pages.router)
    app.include_router(api_docs.router)
    return app
