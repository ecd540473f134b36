"""Live training jobs over real HTTP (app/serving/jobs.py, routes/jobs.py): the event stream in order and complete to
`finished`, the finished model traced through /api/trace; bad parameters; queueing when the slot is full; stop and
resume to the same weights; cancellation when nobody listens; expiry of the finished model."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve

TINY = {"task": "tense", "hidden_size": 4, "embedding_size": 4, "distance_min": 2, "distance_max": 3, "steps": 30,
        "batch_size": 4, "progress_every": 10, "snapshot_every": 10}
LONG = {**TINY, "steps": 20_000, "progress_every": 100, "snapshot_every": 1000}
MID = {**TINY, "steps": 600, "progress_every": 20, "snapshot_every": 100}  # long enough to be stopped midway


@pytest.fixture(scope="module")
def http():
    # large_answer_mb tiny: every trace takes the large lane, whose process does not hold a job's model, so the
    # traces below check that a job's model is computed in the worker instead (routes/api.py compute)
    settings = Settings(job_slots=1, job_queue=2, job_listen_grace=6.0, job_ttl=3.0, job_max=6,
                        large_answer_mb=0.0001)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def events(client: httpx.Client, job_id: str, until=("finished", "cancelled", "error"), after: int = 0,
           timeout: float = 90) -> list[dict]:
    """The job's server-sent events as {id, event, data}, read until one of `until` (or the stream's end)."""
    out, fields = [], {}
    headers = {"Last-Event-ID": str(after)} if after else {}
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers, timeout=timeout) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":") or line.startswith("retry:"):
                continue
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
                continue
            if fields:
                out.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
                fields = {}
                if out[-1]["event"] in until:
                    break
    return out


def start(client: httpx.Client, **request) -> dict:
    response = client.post("/api/jobs", json={**TINY, **request})
    assert response.status_code == 201, response.text
    return response.json()


def wait_status(client: httpx.Client, job_id: str, wanted: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["status"] == wanted or time.monotonic() > deadline:
            assert status["status"] == wanted, status
            return status
        time.sleep(0.1)


def test_a_job_streams_its_events_in_order_to_finished_and_its_model_traces(http):
    job = start(http)
    assert job["status"] in ("queued", "running") and job["steps"] == 30 and job["config"]["distance_max"] == 3
    got = events(http, job["id"])
    assert [e["id"] for e in got] == list(range(1, len(got) + 1))  # every event, in order, none missed
    kinds = [e["event"] for e in got]
    assert kinds[0] == "queued" and kinds[1] == "started" and kinds[-1] == "finished"
    assert [e["data"]["step"] for e in got if e["event"] == "progress"] == [10, 20, 30]
    assert [e["data"]["step"] for e in got if e["event"] == "snapshot"] == [0, 10, 20, 30]
    progress = next(e["data"] for e in got if e["event"] == "progress")
    assert set(progress["accuracy"]) == {"2", "3"} and progress["chance"] == 0.5 and progress["loss"] > 0
    snapshot = next(e["data"] for e in got if e["event"] == "snapshot")
    assert snapshot["tokens"][:2] == ["Last", "year"] and set(snapshot["layers"][0]) == {"i", "f", "g", "o", "c", "h"}
    assert set(snapshot["answer"]) == {"had", "need"}
    finished = got[-1]["data"]
    model_id = finished["model"]
    assert model_id.startswith("job-") and job["id"] not in model_id and finished["step"] == 30
    status = http.get(f"/api/jobs/{job['id']}").json()
    assert status["status"] == "finished" and status["model"] == model_id and status["expires_in_s"] > 0
    trace = http.post("/api/trace", json={"model": model_id, "text": " ".join(snapshot["tokens"])})
    assert trace.status_code == 200, trace.text
    assert len(trace.json()["layers"][0]["c"]) == len(snapshot["tokens"])
    listed = {m["id"]: m for m in http.get("/api/models").json()["models"]}
    assert "trained live" in listed[model_id]["description"] and listed[model_id]["hidden_size"] == 4
    again = events(http, job["id"], after=got[-3]["id"])  # a reconnect with Last-Event-ID gets what it missed
    assert [e["id"] for e in again] == [got[-2]["id"], got[-1]["id"]]


@pytest.mark.parametrize(("request_body", "says"), [
    ({"steps": 0}, "steps: Input should be greater than or equal to 1"),
    ({"hidden_size": 1000}, "hidden_size: Input should be less than or equal to 64"),
    ({"distance_min": 9, "distance_max": 3}, "make min <= max"),
    ({"cell": "lstm2"}, "cell: Input should be 'lstm'"),
    ({"task": "poetry"}, "task: Input should be 'tense'"),
    ({"steps": 20_000, "progress_every": 10, "snapshot_every": 1000}, "use at least 100"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"speed": 3}, "speed: unknown field; remove it"),
])
def test_bad_parameters_are_refused_with_what_to_change(http, request_body, says):
    response = http.post("/api/jobs", json={**TINY, **request_body})
    assert response.status_code == 422 and says in response.json()["detail"], response.text


def test_unknown_jobs_are_404_and_ended_jobs_cannot_be_stopped(http):
    assert http.get("/api/jobs/0123456789ab").status_code == 404
    assert "unknown job" in http.post("/api/jobs/nope/stop").json()["detail"]
    assert http.get("/api/jobs/nope/events").status_code == 404


def test_queueing_when_the_slot_is_full_then_stop_and_resume_give_the_same_weights(http):
    text = "Today the rent is too high I"
    straight = start(http, **MID)
    events(http, straight["id"])
    a = http.post("/api/trace", json={"model": wait_status(http, straight["id"], "finished")["model"],
                                      "text": text}).json()  # before it expires
    first = start(http, **LONG)  # holds the only slot
    second = start(http, **MID)
    third = start(http)
    assert (second["status"], second["position"]) == ("queued", 1) and third["position"] == 2
    refused = http.post("/api/jobs", json=TINY)
    assert refused.status_code == 503 and "wait" in refused.json()["detail"]
    assert http.get("/api/jobs").json() | {"kept": 0} == {"slots": 1, "running": 1, "waiting": 2, "queue_limit": 2,
                                                          "kept": 0, "kept_limit": 6}
    first_events = events(http, first["id"], until=("progress",))
    assert [e["event"] for e in first_events][:2] == ["queued", "started"]
    assert http.delete(f"/api/jobs/{first['id']}").json()["status"] == "cancelled"
    # the second starts; stop it after its first progress event, then resume: the same weights as `straight`
    got = events(http, second["id"], until=("progress",))
    assert [e["data"]["position"] for e in got if e["event"] == "queued"] == [1]
    assert http.post(f"/api/jobs/{second['id']}/stop").status_code == 200
    stopped = events(http, second["id"], until=("stopped", "finished"), after=got[-1]["id"])
    http.delete(f"/api/jobs/{third['id']}")
    assert stopped[-1]["event"] == "stopped" and 20 <= stopped[-1]["data"]["step"] < 600
    assert wait_status(http, second["id"], "stopped")["step"] == stopped[-1]["data"]["step"]
    assert http.post(f"/api/jobs/{second['id']}/stop").status_code == 200  # already stopped: still stopped
    assert http.post(f"/api/jobs/{second['id']}/resume").json()["status"] in ("queued", "running")
    resumed = events(http, second["id"], after=stopped[-1]["id"])
    assert [e["event"] for e in resumed][:2] == ["queued", "started"] and resumed[-1]["event"] == "finished"
    assert http.post(f"/api/jobs/{second['id']}/resume").status_code == 409
    b = http.post("/api/trace", json={"model": resumed[-1]["data"]["model"], "text": text}).json()
    assert a["layers"] == b["layers"] and a["version"] == b["version"]  # same seed, same weights


def test_a_job_nobody_listens_to_is_cancelled_and_a_finished_model_expires(http):
    job = start(http, **LONG)
    with http.stream("GET", f"/api/jobs/{job['id']}/events") as response:
        next(response.iter_lines())  # listen a moment, then hang up
    status = wait_status(http, job["id"], "cancelled", timeout=20)  # the grace (6 s) and the watchdog's look
    assert "nobody listened" in status["detail"]
    done = start(http)
    model = events(http, done["id"])[-1]["data"]["model"]
    assert model in {m["id"] for m in http.get("/api/models").json()["models"]}
    deadline = time.monotonic() + 15
    while http.get(f"/api/jobs/{done['id']}").status_code != 404:
        assert time.monotonic() < deadline, "the job did not expire"
        time.sleep(0.2)
    assert model not in {m["id"] for m in http.get("/api/models").json()["models"]}
    assert http.post("/api/trace", json={"model": model, "text": "Today I"}).status_code == 404
