"""GET and POST /api/attribution: why the model predicted a token (app/serving/attribution.py). Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.model_store import Model
from app.serving.attribution import AttributionRequest, AttributionResponse, attribution
from app.serving.config import Settings
from app.serving.routes.api import (
    BODY_ERRORS,
    BODY_LIMIT,
    ERRORS,
    Config,
    ErrorOut,
    Models,
    compute,
    json_response,
    read_body,
    strict_query,
    validate,
)
from app.serving.trace_cache import TraceCache

router = APIRouter(tags=["api"])


@router.get("/api/attribution", responses={200: {"model": AttributionResponse}, 400: {"model": ErrorOut}, **ERRORS},
            dependencies=[Depends(strict_query)])
async def attribution_get(request: Request, req: Annotated[AttributionRequest, Query()], models: Models,
                          settings: Config) -> Response:
    """Why this prediction: one score per token 0…step for how much it pushed the prediction after `step` toward
    `target`, by gradient × input, integrated gradients, occlusion or connectivity."""
    return await compute(request, _attribution, models, settings, request.app.state.trace_cache, req)


BODY_DOC = {"requestBody": {"required": True, "description": BODY_LIMIT, "content": {
    "application/json": {"schema": AttributionRequest.model_json_schema()}}}}


@router.post("/api/attribution", responses={200: {"model": AttributionResponse}, **BODY_ERRORS},
             openapi_extra=BODY_DOC)
async def attribution_post(request: Request, body: Annotated[bytes, Depends(read_body)], models: Models,
                           settings: Config) -> Response:
    """The same as GET /api/attribution, with a JSON body {model, text, step, target, method, m}."""
    return await compute(request, _attribution, models, settings, request.app.state.trace_cache,
                         validate(AttributionRequest, body))


def _attribution(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
                 req: AttributionRequest) -> Response:
    return json_response(attribution(models, settings, cache, req))
