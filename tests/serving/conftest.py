"""Fixtures the API suites share: a module's `app` served over real HTTP (`http`), and the bundled models behind
small limits (`small`: max_chars 200, max_tokens 20) for the refusals."""

from __future__ import annotations

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve


@pytest.fixture(scope="module")
def http(app):
    """An HTTP client of the module's own `app` fixture, served by uvicorn on a loopback port."""
    with serve(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def small():
    with serve(create_app(Settings(max_chars=200, max_tokens=20))) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client
