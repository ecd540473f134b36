"""The GET and POST routes of one analysis endpoint (/api/attribution, /api/saturation, /api/components): a request
model read from the query (GET) or a JSON body (POST), the same answer either way, computed in the thread pool
(api.py `compute`) and serialised with orjson. Thin: each endpoint's own module only names its parts."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations, which name the request model
# passed in, so they must be objects, not strings to resolve in this module.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from app.serving.routes.api import (
    BODY_ERRORS,
    BODY_LIMIT,
    ERRORS,
    Config,
    Models,
    compute,
    json_response,
    read_body,
    strict_query,
    validate,
)
from app.serving.schemas import ErrorOut


def analysis_router(path: str, request_model: type[BaseModel], response_model: type[BaseModel], answer: Callable,
                    get_doc: str, post_doc: str, context: Callable[[Request], object] | None = None) -> APIRouter:
    """A router with GET and POST `path`: answer(models, settings, trace_cache, request) is the response body
    (a dict, NumPy arrays allowed); get_doc and post_doc the operations' descriptions. `context`, if given, makes
    answer's third argument context(request) in place of the app's trace cache."""
    router = APIRouter(tags=["api"])
    third = context or (lambda request: request.app.state.trace_cache)
    name = path.rsplit("/", 1)[-1]

    def work(models, settings, cache, req) -> Response:
        return json_response(answer(models, settings, cache, req))

    async def get(request: Request, req: Annotated[request_model, Query()], models: Models,
                  settings: Config) -> Response:
        return await compute(request, work, models, settings, third(request), req)

    async def post(request: Request, body: Annotated[bytes, Depends(read_body)], models: Models,
                   settings: Config) -> Response:
        return await compute(request, work, models, settings, third(request), validate(request_model, body))

    get.__doc__, post.__doc__ = get_doc, post_doc
    router.add_api_route(path, get, methods=["GET"], name=f"{name}_get", dependencies=[Depends(strict_query)],
                         responses={200: {"model": response_model}, 400: {"model": ErrorOut}, **ERRORS})
    body_doc = {"requestBody": {"required": True, "description": BODY_LIMIT, "content": {
        "application/json": {"schema": request_model.model_json_schema()}}}}
    router.add_api_route(path, post, methods=["POST"], name=f"{name}_post", openapi_extra=body_doc,
                         responses={200: {"model": response_model}, **BODY_ERRORS})
    return router
