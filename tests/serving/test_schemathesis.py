"""A bounded schemathesis run: requests generated from the OpenAPI schema a real server publishes (bundled
models), sent to that server, and checked for what a correct server does whatever it is sent:

    not_a_server_error           no 5xx, whatever the input
    status_code_conformance      every status answered is one the schema documents for that operation
    response_schema_conformance  every answer (the 200s and the {"detail"} errors) matches its schema
    negative_data_rejection      every schema-invalid request is refused (4xx): the schema states no limit
                                 the server does not enforce

Not checked: positive_data_acceptance. Limits that are settings (max_chars, max_tokens, max_top_k,
max_body_bytes) or depend on the model or the text (a layer below its num_layers, a step below the text's
tokens, a quantity of its cell) are not in the static schema, so a schema-valid request may still be refused,
with a 4xx that says what to change (docs/api.md "Limits"). Every 4xx here must be one line of `detail`.

It runs schemathesis's own engine (what `schemathesis run` runs: the examples, coverage and fuzzing phases,
positive and negative data) rather than its pytest plugin: the plugin's fixture-loaded schema
(`schemathesis.pytest.from_fixture`) fails on pytest 9.2 (it sets `Function._nodeid`, which pytest removed),
and a module-level schema would start a server while tests are collected.

Deterministic: Hypothesis derandomised (`deterministic`), no example database, a fixed seed: the same
requests every run. Bounded: FUZZ_EXAMPLES fuzzed cases per operation and mode, plus the examples and the
coverage phase's boundary cases: about 650 requests, under 10 s on a 2-core machine.
"""

from __future__ import annotations

import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve

schemathesis = pytest.importorskip("schemathesis", reason="the test extras install schemathesis")

FUZZ_EXAMPLES = 10
CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance", "negative_data_rejection")
CONFIG = {
    "seed": 17,  # issue #17
    "workers": 1,
    "request-timeout": 30,
    "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
}
OPERATIONS = {"GET /healthz", "GET /api/models", "GET /api/models/{model_id}", "GET /api/trace", "POST /api/trace",
              "GET /api/step", "POST /api/step", "GET /api/retention", "POST /api/retention",
              "GET /api/attribution", "POST /api/attribution", "GET /api/saturation", "POST /api/saturation",
              "GET /api/components", "POST /api/components", "GET /api/search", "POST /api/search",
              "GET /api/search/documents",
              # live training jobs: fuzzed POSTs start real jobs (queued, then 503 once the queue is full; each is
              # cancelled job_listen_grace seconds later, nobody listening); the others meet unknown ids (404)
              "GET /api/jobs", "POST /api/jobs", "GET /api/jobs/{job_id}", "GET /api/jobs/{job_id}/events",
              "POST /api/jobs/{job_id}/stop", "POST /api/jobs/{job_id}/resume", "DELETE /api/jobs/{job_id}"}


def run(base: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Run the engine against the server at `base`: (cases per operation, failures, one-line 4xx problems)."""
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=SchemathesisConfig.from_dict(CONFIG))
    cases: dict[str, int] = {}
    failures: list[str] = []
    details: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            cases[recorder.label] = cases.get(recorder.label, 0) + len(recorder.cases)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        curl = recorder.cases[case_id].value.as_curl_command()
                        failures.append(f"{recorder.label} {check.name}: {failure.title}: {failure.message}\n  {curl}")
            for interaction in recorder.interactions.values():
                response = interaction.response
                if response is not None and 400 <= response.status_code < 500 and response.status_code != 405:
                    detail = response.json().get("detail")
                    if not (isinstance(detail, str) and detail and "\n" not in detail):
                        details.append(f"{recorder.label} {response.status_code}: {detail!r}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"{getattr(event, 'label', 'the run')}: {getattr(event, 'info', event)}")
    return cases, failures, details


def test_every_generated_request_is_answered_as_the_schema_says():
    # Room for every fuzzed job (a full queue is a 503, which not_a_server_error counts as a failure); each is
    # cancelled a second after it is made, as nobody listens, so at most one job process runs at a time.
    with serve(create_app(Settings(job_queue=1000, job_max=1000, job_listen_grace=1.0))) as base:
        cases, failures, details = run(base)
    assert not failures, "\n".join(failures[:20])
    assert not details, "\n".join(details[:20])
    assert set(cases) == OPERATIONS  # every operation was run: a new one is added here on purpose
    assert 200 <= sum(cases.values()) <= 2000, cases
