"""Live training jobs: start, watch (server-sent events), stop, resume, delete. Thin: parse, call jobs.py."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.responses import StreamingResponse

from app.serving.jobs import Job, Jobs
from app.serving.routes.api import BODY_LIMIT, read_body, validate
from app.serving.schemas import ErrorOut, JobRequest, JobsSummary, JobStatus
from app.training.live import LiveConfig

router = APIRouter(tags=["jobs"])
JOB_ERRORS = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
STATE_ERRORS = {404: {"model": ErrorOut}, 409: {"model": ErrorOut}}
KEEP_ALIVE = b": keep-alive\n\n"
JOB_BODY_DOC = {"requestBody": {"required": True, "description": BODY_LIMIT,
                                "content": {"application/json": {"schema": JobRequest.model_json_schema()}}}}
SSE_EVENT = {"type": "object", "description": "One server-sent event: `id` (increasing from 1), `event` (its kind), "
             "`data` (a JSON object)", "properties": {"id": {"type": "string"}, "event": {"type": "string"},
                                                    "data": {"type": "string"}}}
EVENTS_DOC = {200: {"description": "A stream of server-sent events (text/event-stream): `queued`, `started`, "
                                   "`progress`, `snapshot`, `stopped`, then `finished`, `cancelled` or `error` (the "
                                   "stream ends after these); docs/training_live.md describes each event's data.",
                    "content": {"text/event-stream": {"schema": SSE_EVENT}}}, **JOB_ERRORS}


def jobs_of(request: Request) -> Jobs:
    return request.app.state.jobs


JobsDep = Annotated[Jobs, Depends(jobs_of)]


def status_response(jobs: Jobs, job: Job, status_code: int = 200) -> Response:
    return Response(orjson.dumps(jobs.status(job)), status_code=status_code, media_type="application/json")


@router.get("/api/jobs", response_model=JobsSummary)
async def jobs_summary(jobs: JobsDep) -> Response:
    """The worker's training slots and queue: how many run, how many wait, and the limits. Job routes are async:
    app/serving/jobs.py runs on the event loop only."""
    return Response(orjson.dumps(jobs.summary()), media_type="application/json")


@router.post("/api/jobs", status_code=201, openapi_extra=JOB_BODY_DOC,
             responses={201: {"model": JobStatus}, **{c: {"model": ErrorOut} for c in (400, 413, 415, 422, 503)}})
async def create_job(body: Annotated[bytes, Depends(read_body)], jobs: JobsDep) -> Response:
    """Start a training job: {task, cell, hidden_size, distance_min, distance_max, learning_rate, steps, seed, …}.
    It waits for a slot (its `position`), then trains in a process of its own; listen to
    GET /api/jobs/{id}/events within job_listen_grace seconds (default 10) or it is cancelled."""
    req = validate(JobRequest, body)
    job = jobs.create(LiveConfig(**req.model_dump()))
    return status_response(jobs, job, 201)


@router.get("/api/jobs/{job_id}", responses={200: {"model": JobStatus}, **JOB_ERRORS})
async def job_status(job_id: str, jobs: JobsDep) -> Response:
    """A job's status, queue position, step and (when finished) model id."""
    return status_response(jobs, jobs.get(job_id))


@router.get("/api/jobs/{job_id}/events", responses=EVENTS_DOC, response_class=StreamingResponse)
async def job_events(job_id: str, jobs: JobsDep,
                     last_event_id: Annotated[int | None, Header(ge=0)] = None,
                     after: Annotated[int | None, Query(ge=0, description="Send only the events after this id (as "
                                                        "the Last-Event-ID header does).")] = None) -> Response:
    """The job's events as server-sent events, from the first (or after `Last-Event-ID` / `after`) to the end."""
    job = jobs.get(job_id)
    start = max(last_event_id or 0, after or 0)

    async def stream():
        yield b"retry: 2000\n\n"
        async for event in jobs.listen(job, start):
            yield KEEP_ALIVE if event is None else event.sse()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/api/jobs/{job_id}/stop", responses={200: {"model": JobStatus}, **STATE_ERRORS})
async def stop_job(job_id: str, jobs: JobsDep) -> Response:
    """Pause a queued or running job (a running one stops at its next step: its `stopped` event says where)."""
    return status_response(jobs, jobs.stop(job_id))


@router.post("/api/jobs/{job_id}/resume", responses={200: {"model": JobStatus}, **STATE_ERRORS,
                                                     503: {"model": ErrorOut}})
async def resume_job(job_id: str, jobs: JobsDep) -> Response:
    """Queue a stopped job again; it goes on from its step with the batches it would have had."""
    return status_response(jobs, jobs.resume(job_id))


@router.delete("/api/jobs/{job_id}", responses={200: {"model": JobStatus}, **JOB_ERRORS})
async def delete_job(job_id: str, jobs: JobsDep) -> Response:
    """Cancel the job if it is active and forget it and its model."""
    return status_response(jobs, jobs.delete(job_id))
