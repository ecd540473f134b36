"""Shared fixtures and markers. BLAS runs with one thread in tests, as in the server (set before NumPy loads).

Markers (pyproject.toml): `browser` is set here on every test under tests/page/, in a test_browser*.py file, or
using the `browser` fixture (headless Chromium); `slow` by the modules that retrain. The fast loop is

    pytest -m "not browser and not slow"

and plain `pytest` (CI) runs everything.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


# Imports stay below the BLAS settings so nothing can load NumPy before them (the app loads it).
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.helpers import cell_variants, variant_id, write_cell_model  # noqa: E402
from tests.servers import serve  # noqa: E402

TESTS = Path(__file__).resolve().parent

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


def is_browser_test(item: pytest.Item) -> bool:
    """A test that drives Chromium: under tests/page/, in a test_browser*.py file, or using `browser`."""
    path = Path(str(item.fspath)).resolve()
    return ((TESTS / "page") in path.parents or path.name.startswith("test_browser")
            or "browser" in getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_browser_test(item):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def cell_models(tmp_path_factory) -> Path:
    """A models folder with one small random char-level model (2 layers of 8 units, decoder) per registered cell
    and card option (tests.helpers.cell_variants): ids "lstm", "lstm-hard_sigmoid", "rnn", "gru",
    "gru-reset_after-false", ... (tests.helpers.variant_id). Their vocabulary is tests.helpers.VOCAB."""
    folder = tmp_path_factory.mktemp("cell_models")
    for n, (cell, options) in enumerate(cell_variants()):
        write_cell_model(folder, variant_id(cell, options), cell, seed=100 + n, **options)
    return folder
