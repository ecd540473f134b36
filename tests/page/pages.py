"""A Chromium page for the browser tests that keeps watch: console errors and uncaught exceptions in
`page.errors`, every request's URL in `page.requests`. Leaving the block asserts that there were no errors
and, given the server's base URL, that no request left the app's origin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# How long a wait on the page may take before it fails: every wait is on an event or a DOM state, so this
# only bounds a failure. Generous, because a shared 2-core machine under load (a training run, the other
# tests) once took over 15 s to draw the retention panel's first Plotly chart.
TIMEOUT_MS = 60_000


@contextmanager
def watched_page(browser, server: str | None = None, **context_options) -> Iterator:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors, page.requests = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", lambda request: page.requests.append(request.url))
    try:
        yield page
        assert page.errors == [], page.errors
        if server is not None:
            assert all(url.startswith(server) for url in page.requests), [u for u in page.requests
                                                                         if not u.startswith(server)]
    finally:
        context.close()


def open_examples(page) -> None:
    """Unfold the examples menu (a <details> under the model row), so its buttons can be clicked."""
    page.locator("#examples-row:not([open]) > summary").click()
    page.locator("#examples button").first.wait_for()


def wait_idle(page) -> None:
    """Until the page has no trace in flight and shows no error."""
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'"
                           " && document.querySelector('#error').textContent === ''")
