"""The JSON API. Thin: parse, call the service, serialise NumPy with orjson."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.config import Settings, get_settings
from app.model_store import Model
from app.schemas import ErrorOut, ModelList, StepRequest, StepResponse, TraceRequest, TraceResponse
from app.service import (
    InputError,
    get_model,
    model_summary,
    parse_quantities,
    run_trace,
    step_payload,
    trace_payload,
)

router = APIRouter(tags=["api"])
ERRORS = {code: {"model": ErrorOut} for code in (404, 413, 422)}


async def read_body(request: Request) -> bytes:
    return await request.body()


def parse_json_object(body: bytes) -> dict:
    """Parse with orjson, whose messages (and recursion limit) beat a generic "error parsing the body"."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        if "surrogate" in str(e):
            raise InputError("the text holds a lone surrogate (a \\ud800-\\udfff escape without its pair), "
                             "which is not valid Unicode: remove it or send the full pair") from e
        raise InputError(f"the body is not valid JSON ({e}): send a JSON object such as "
                         '{"model": "untrained", "text": "Today, I need to take a loan."}', 400) from e
    if not isinstance(value, dict):
        raise InputError(f"the body is a JSON {type(value).__name__}, not an object: send "
                         '{"model": ..., "text": ...}', 422)
    return value


def validate(schema: type[BaseModel], body: bytes):
    """A JSON body checked against a request model; problems reported as FastAPI reports them."""
    try:
        return schema.model_validate(parse_json_object(body))
    except ValidationError as e:
        raise RequestValidationError(e.errors(include_input=False)) from e


def get_models(request: Request) -> dict[str, Model]:
    return request.app.state.models


Models = Annotated[dict[str, Model], Depends(get_models)]
Config = Annotated[Settings, Depends(get_settings)]


def json_response(payload: dict) -> Response:
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


@router.get("/healthz", tags=["health"])
def healthz(models: Models) -> Response:
    """200 when at least one model is loaded, 503 otherwise."""
    status = 200 if models else 503
    return Response(orjson.dumps({"status": "ok" if models else "no models", "models": len(models)}),
                    status_code=status, media_type="application/json")


@router.get("/api/models", response_model=ModelList)
def list_models(models: Models) -> Response:
    """Every loaded model with its sizes, version and example texts."""
    return json_response({"models": [model_summary(m) for m in models.values()]})


@router.get("/api/models/{model_id}", responses=ERRORS)
def model_card(model_id: str, models: Models) -> Response:
    """A model's whole card, vocabulary included, plus its version."""
    model = get_model(models, model_id)
    return json_response({**model.card, "version": model.version})


def _trace(models: dict[str, Model], settings: Settings, req: TraceRequest) -> Response:
    if req.top_k > settings.max_top_k:
        raise InputError(f"top_k = {req.top_k} is above the limit max_top_k = {settings.max_top_k}: lower it")
    quantities = parse_quantities(req.quantities)
    result = run_trace(get_model(models, req.model), req.text, settings)
    return json_response(trace_payload(result, req.top_k, quantities, req.encoding))


@router.get("/api/trace", responses={200: {"model": TraceResponse}, **ERRORS})
def trace_get(req: Annotated[TraceRequest, Query()], models: Models, settings: Config) -> Response:
    """Trace text: every gate and state of every layer at every step, and next-token predictions."""
    return _trace(models, settings, req)


BODY_DOC = {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": TraceRequest.model_json_schema()}}}}


@router.post("/api/trace", responses={200: {"model": TraceResponse}, 400: {"model": ErrorOut}, **ERRORS},
             openapi_extra=BODY_DOC)
def trace_post(body: Annotated[bytes, Depends(read_body)], models: Models, settings: Config) -> Response:
    """The same as GET /api/trace, with a JSON body {model, text, top_k, ...}, for long texts."""
    return _trace(models, settings, validate(TraceRequest, body))


@router.get("/api/step", responses={200: {"model": StepResponse}, **ERRORS})
def step_get(req: Annotated[StepRequest, Query()], models: Models, settings: Config) -> Response:
    """Why the numbers at one step are what they are: pre-activations split into input, recurrent, bias."""
    return _step(models, settings, req)


STEP_BODY_DOC = {"requestBody": {"required": True,
                                 "content": {"application/json": {"schema": StepRequest.model_json_schema()}}}}


@router.post("/api/step", responses={200: {"model": StepResponse}, 400: {"model": ErrorOut}, **ERRORS},
             openapi_extra=STEP_BODY_DOC)
def step_post(body: Annotated[bytes, Depends(read_body)], models: Models, settings: Config) -> Response:
    """The same as GET /api/step, with a JSON body {model, text, step, layer}, for long texts."""
    return _step(models, settings, validate(StepRequest, body))


def _step(models: dict[str, Model], settings: Settings, req: StepRequest) -> Response:
    # Only the steps up to the asked one are computed: the LSTM is causal, so their bits are the same.
    result = run_trace(get_model(models, req.model), req.text, settings, steps=max(req.step, 0) + 1)
    return json_response(step_payload(result, req.step, req.layer))
