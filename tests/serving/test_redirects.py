"""Redirects name this server by path: a Host header a request made up never reaches a Location."""

from __future__ import annotations

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve


@pytest.fixture(scope="module")
def base():
    with serve(create_app(Settings())) as url:
        yield url


@pytest.mark.parametrize(("path", "location"), [
    ("/api/trace/?model=lesson&text=a", "/api/trace?model=lesson&text=a"),
    ("/api/models/", "/api/models"),
    ("/static", "/static/"),
    ("/docs/", "/docs"),
])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", None])
def test_slash_redirects_are_relative_whatever_the_host_header(base, path, location, host):
    headers = {"Host": host} if host else {}
    r = httpx.get(base + path, headers=headers, follow_redirects=False, timeout=30)
    assert 300 <= r.status_code < 400
    assert r.headers["location"] == location


def test_following_the_redirect_reaches_the_resource(base):
    r = httpx.get(base + "/api/models/", follow_redirects=True, timeout=30)
    assert r.status_code == 200 and r.json()["models"]
