"""Under load the server computes only answers someone still waits for: a request whose client has
gone while it waited for a compute slot is skipped, not traced."""

import threading
import time

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.routes import api
from tests.servers import serve


def test_requests_abandoned_while_waiting_are_not_computed(monkeypatch):
    computed = []
    real_trace = api._trace

    def counting_trace(models, settings, cache, req):
        computed.append(req.text)
        if req.text == "slow":
            time.sleep(0.8)  # holds the only compute slot
        return real_trace(models, settings, cache, req)

    monkeypatch.setattr(api, "_trace", counting_trace)
    with serve(create_app(Settings(compute_slots=1))) as base:
        slow = threading.Thread(target=httpx.get, args=(f"{base}/api/trace",),
                                kwargs={"params": {"model": "lesson", "text": "slow"}, "timeout": 10})
        slow.start()
        time.sleep(0.2)
        for k in range(4):  # each gives up after 0.1 s, while the slow one holds the slot
            with pytest.raises(httpx.TimeoutException):
                httpx.get(f"{base}/api/trace", params={"model": "lesson", "text": f"abandoned {k}"}, timeout=0.1)
        slow.join()
        time.sleep(0.3)
        answer = httpx.get(f"{base}/api/trace", params={"model": "lesson", "text": "I need to"}, timeout=10)
    assert answer.status_code == 200
    assert computed == ["slow", "I need to"]
