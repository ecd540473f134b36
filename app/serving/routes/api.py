"""The JSON API. Thin: parse, call the service, serialise NumPy with orjson."""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate
from typing import Annotated
from urllib.parse import unquote_to_bytes

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from app.model_store import Model
from app.serving.admission import RETRY_AFTER, LaneFull, LargeLane, PiecewiseResponse, is_large
from app.serving.config import Settings, get_settings
from app.serving.retention import retention
from app.serving.schemas import (
    ErrorOut,
    ModelList,
    RetentionRequest,
    RetentionResponse,
    StepRequest,
    StepResponse,
    TraceRequest,
    TraceResponse,
)
from app.serving.search import index_summary
from app.serving.service import (
    InputError,
    get_model,
    model_summary,
    parse_quantities,
    public_refusal,
    resume_point,
    run_tail,
    run_trace,
    step_payload,
    trace_payload,
)
from app.serving.trace_cache import TraceCache

router = APIRouter(tags=["api"])
ERRORS = {code: {"model": ErrorOut} for code in (404, 413, 422)}
BODY_ERRORS = {code: {"model": ErrorOut} for code in (400, 404, 413, 415, 422)}
# 409: offset given, but this worker no longer holds the kept tokens; 503: the large lane and its queue are full
TRACE_ERRORS = {409: {"model": ErrorOut}, 503: {"model": ErrorOut}}


JSON_EXAMPLE = '{"model": "untrained", "text": "Today, I need to take a loan."}'
JSON_KINDS = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
              type(None): "null"}
MAX_NESTING = 32  # a request is one flat object: a body that fails to parse this deep is told so


async def read_body(request: Request) -> bytes:
    """A POST's body: JSON by its Content-Type (a text/plain or form body is refused before it is read;
    text/plain is also what another site's page may send without asking), read whole (BodyLimit caps it)."""
    content_type = request.headers.get("content-type")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise InputError(f"the request has {sent}: send the body as JSON with Content-Type: application/json", 415)
    try:
        return await request.body()
    except ClientDisconnect as e:  # the client hung up mid-body: an answer nobody reads, not a traceback
        raise InputError("the request body ended before it was complete: send the whole body", 400) from e


JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped; the text need not parse)."""
    brackets = JSON_STRING.sub(b"", body).translate(None, NOT_BRACKETS)
    return max(accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def parse_json_object(body: bytes) -> dict:
    """Parse with orjson, whose messages (and recursion limit) beat a generic "error parsing the body"."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise InputError("the body starts with a byte order mark (BOM): send UTF-8 JSON without it", 400)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"the body is not valid UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start}): "
                         "send the JSON encoded as UTF-8", 400) from e
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        if "surrogate" in str(e):
            raise InputError("the body holds a lone surrogate (a \\ud800-\\udfff escape without its pair), "
                             "which is not valid Unicode: remove it or send the full pair") from e
        depth = nesting_depth(body)
        if depth > MAX_NESTING:
            # orjson says "failed to allocate memory" or "depth limit exceeded": name the real problem.
            raise InputError(f"the body is not valid JSON: it nests arrays or objects {depth} levels deep, where a "
                             f"request is one flat object; send one such as {JSON_EXAMPLE}", 400) from e
        raise InputError(f"the body is not valid JSON ({e}): send a JSON object such as {JSON_EXAMPLE}", 400) from e
    if not isinstance(value, dict):
        raise InputError(f"the body is a JSON {JSON_KINDS[type(value)]}, not an object: send {JSON_EXAMPLE}", 422)
    return value


def validate(schema: type[BaseModel], body: bytes):
    """A JSON body checked against a request model, strictly (JSON has types: `true` or `2.0` is not a
    top_k); problems reported as FastAPI reports them."""
    try:
        return schema.model_validate(parse_json_object(body), strict=True)
    except ValidationError as e:
        raise RequestValidationError(e.errors(include_input=False)) from e


def strict_query(request: Request) -> None:
    """The query string as sent. Starlette turns bytes that are not UTF-8 into U+FFFD (a text nobody
    typed would be traced) and keeps the last of a repeated parameter; both are refused here."""
    names = []
    for part in request.scope.get("query_string", b"").split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        try:
            names.append(unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8"))
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError("the query string is not valid UTF-8 once percent-decoded: percent-encode the "
                             "text's UTF-8 bytes (é is %C3%A9)", 400) from e
    repeated = sorted(name for name, n in Counter(names).items() if n > 1)
    if repeated:
        raise InputError(f"{', '.join(repeated)} given more than once: send each parameter once")


async def compute(request: Request, work, *args) -> Response:
    """Run CPU-bound work in the thread pool, a few at a time per process (app.state.compute_slots).
    A request whose client went away while it waited (a newer keystroke aborted it) is skipped:
    computing answers nobody reads let one overloaded worker fall ever further behind. A trace whose answer
    may be large takes the large lane instead (app/serving/admission.py), held until its answer is written."""
    if not is_large(args[-1], request.app.state.models, args[1]):
        async with request.app.state.compute_slots:
            if await request.is_disconnected():
                return Response(status_code=499)  # client closed the request: nobody reads this
            return PiecewiseResponse(await run_in_threadpool(work, *args))
    lane: LargeLane = request.app.state.large_lane
    try:
        await lane.acquire()
    except LaneFull:
        raise HTTPException(503, "the server is busy with other long traces: try again in a few seconds, or ask for "
                            "less (encoding=u1, fewer quantities, one layer, a shorter text)",
                            headers={"Retry-After": str(RETRY_AFTER)}) from None
    try:
        if await request.is_disconnected():
            lane.release()
            return Response(status_code=499)
        req = args[-1]
        model = request.app.state.models.get(req.model)
        only_here = model is not None and "expires" in model.card  # a training job's model: this worker holds it
        if work is _trace and not req.offset and not only_here:  # in the lane's own process (a text sent in part
            #                                                     needs this worker's cache)
            response = await request.app.state.lane_process.trace(req)
        else:
            response = await run_in_threadpool(work, *args)
    except BaseException:
        lane.release()
        raise
    return PiecewiseResponse(response, on_sent=lane.release)


def get_models(request: Request) -> dict[str, Model]:
    return request.app.state.models


Models = Annotated[dict[str, Model], Depends(get_models)]
Config = Annotated[Settings, Depends(get_settings)]


def json_response(payload: dict) -> Response:
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


@router.get("/healthz", tags=["health"])
@router.head("/healthz", include_in_schema=False)  # load balancers send HEAD; one operation in the schema
def healthz(request: Request, models: Models) -> Response:
    """200 when at least one model is loaded, 503 otherwise; `refused` names each model file that was not
    loaded and why (the others serve)."""
    status = 200 if models else 503
    refused = [public_refusal(line) for line in request.app.state.refused]
    return Response(orjson.dumps({"status": "ok" if models else "no models", "models": len(models),
                                  "refused": refused}), status_code=status, media_type="application/json")


@router.get("/api/models", response_model=ModelList)
def list_models(request: Request, models: Models) -> Response:
    """Every loaded model with its sizes, version and example texts, and its state index for /api/search if any."""
    indexes = request.app.state.indexes
    return json_response({"models": [{**model_summary(m), "index": index_summary(indexes.get(m.id))}
                                     for m in models.values()]})


@router.get("/api/models/{model_id}", responses=ERRORS)
def model_card(model_id: str, models: Models) -> Response:
    """A model's whole card, vocabulary included, plus its version."""
    model = get_model(models, model_id)
    return json_response({**model.card, "version": model.version})


def _trace(models: dict[str, Model], settings: Settings, cache: TraceCache | None, req: TraceRequest) -> Response:
    if req.top_k > settings.max_top_k:
        raise InputError(f"top_k = {req.top_k} is above the limit max_top_k = {settings.max_top_k}: lower it")
    model = get_model(models, req.model)
    quantities = parse_quantities(req.quantities, model)  # which names exist depends on the model's cell
    # The cache is read and written only under the request's salt; without one, not at all (trace_cache.py).
    if req.offset:  # the text after the tokens the asker holds: the rest comes from this worker's cache
        result = run_tail(model, req.text, req.offset, req.since, req.prefix, settings, cache, req.salt)
        start = req.since
    else:
        result = run_trace(model, req.text, settings, cache=cache, salt=req.salt)
        start = resume_point(result, req.since, req.prefix, req.salt)
    return json_response(trace_payload(result, req.top_k, quantities, req.encoding, start, req.layer, req.unit))


@router.get("/api/trace", responses={200: {"model": TraceResponse}, 400: {"model": ErrorOut}, **ERRORS,
                                     **TRACE_ERRORS},
            dependencies=[Depends(strict_query)])
async def trace_get(request: Request, req: Annotated[TraceRequest, Query()], models: Models,
                    settings: Config) -> Response:
    """Trace text: every gate and state of every layer at every step, and next-token predictions."""
    return await compute(request, _trace, models, settings, request.app.state.trace_cache, req)


BODY_LIMIT = ("A JSON object, Content-Type application/json (415 otherwise), UTF-8 without a byte order mark, "
              "at most the setting max_body_bytes long (default 262,144 bytes; 413 beyond).")
BODY_DOC = {"requestBody": {"required": True, "description": BODY_LIMIT,
                            "content": {"application/json": {"schema": TraceRequest.model_json_schema()}}}}


@router.post("/api/trace", responses={200: {"model": TraceResponse}, **BODY_ERRORS, **TRACE_ERRORS},
             openapi_extra=BODY_DOC)
async def trace_post(request: Request, body: Annotated[bytes, Depends(read_body)], models: Models,
                     settings: Config) -> Response:
    """The same as GET /api/trace, with a JSON body {model, text, top_k, ...}, for long texts."""
    return await compute(request, _trace, models, settings, request.app.state.trace_cache,
                         validate(TraceRequest, body))


@router.get("/api/step", responses={200: {"model": StepResponse}, 400: {"model": ErrorOut}, **ERRORS},
            dependencies=[Depends(strict_query)])
async def step_get(request: Request, req: Annotated[StepRequest, Query()], models: Models,
                   settings: Config) -> Response:
    """Why the numbers at one step are what they are: pre-activations split into input, recurrent, bias."""
    return await compute(request, _step, models, settings, request.app.state.trace_cache, req)


STEP_BODY_DOC = {"requestBody": {"required": True, "description": BODY_LIMIT,
                                 "content": {"application/json": {"schema": StepRequest.model_json_schema()}}}}


@router.post("/api/step", responses={200: {"model": StepResponse}, **BODY_ERRORS},
             openapi_extra=STEP_BODY_DOC)
async def step_post(request: Request, body: Annotated[bytes, Depends(read_body)], models: Models,
                    settings: Config) -> Response:
    """The same as GET /api/step, with a JSON body {model, text, step, layer}, for long texts."""
    return await compute(request, _step, models, settings, request.app.state.trace_cache,
                         validate(StepRequest, body))


def _step(models: dict[str, Model], settings: Settings, cache: TraceCache | None, req: StepRequest) -> Response:
    # Only the steps up to the asked one are computed: the LSTM is causal, so their bits are the same.
    result = run_trace(get_model(models, req.model), req.text, settings, steps=max(req.step, 0) + 1, cache=cache,
                       salt=req.salt)
    return json_response(step_payload(result, req.step, req.layer))


@router.get("/api/retention", responses={200: {"model": RetentionResponse}, 400: {"model": ErrorOut}, **ERRORS},
            dependencies=[Depends(strict_query)])
async def retention_get(request: Request, req: Annotated[RetentionRequest, Query()], models: Models,
                        settings: Config) -> Response:
    """Memory that lasts: from step s on, ‖∂h_t/∂h_s‖ and the memory's ‖∂m_t/∂m_s‖, and what the keep gates pass on
    (∏f for an LSTM, ∏z for a GRU) with what s wrote."""
    return await compute(request, _retention, models, settings, request.app.state.trace_cache, req)


RETENTION_BODY_DOC = {"requestBody": {"required": True, "description": BODY_LIMIT, "content": {
    "application/json": {"schema": RetentionRequest.model_json_schema()}}}}


@router.post("/api/retention", responses={200: {"model": RetentionResponse}, **BODY_ERRORS},
             openapi_extra=RETENTION_BODY_DOC)
async def retention_post(request: Request, body: Annotated[bytes, Depends(read_body)], models: Models,
                         settings: Config) -> Response:
    """The same as GET /api/retention, with a JSON body {model, text, step, layer, window, encoding}."""
    return await compute(request, _retention, models, settings, request.app.state.trace_cache,
                         validate(RetentionRequest, body))


def _retention(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
               req: RetentionRequest) -> Response:
    # Only the steps up to s + window are traced (app/serving/retention.py): the cell is causal.
    return json_response(retention(models, settings, cache, req))
