"""Shared fixtures. BLAS runs with one thread in tests, as in the server (set before NumPy loads)."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


# Imports stay below the BLAS settings so nothing can load NumPy before them (the app loads it).
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.servers import serve  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download browsers here: Debian's Chromium, headless, with nothing phoning home.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The real app on a real uvicorn server on a free loopback port; yields its base URL."""
    from app.serving.app import create_app

    with serve(create_app()) as base:
        yield base


@pytest.fixture(scope="session")
def server(live_server: str) -> str:
    """The default app's base URL for the browser suites (a suite that needs other models defines its own)."""
    return live_server


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright, shared by the session's browser tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}, which is missing")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
