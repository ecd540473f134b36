"""/docs (Swagger UI) and /redoc (ReDoc) in real Chromium, under the app's Content-Security-Policy and with
nothing but this server to fetch from (app/serving/routes/api_docs.py): every operation of the OpenAPI
document is drawn, the browser reports no CSP violation, and no request leaves the server's origin.
FastAPI's own pages (CDN scripts and an inline <script>, both refused by the CSP) drew nothing here.

The pages need no model: the server here loads none (its OpenAPI document is the same)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.page.pages import watched_page
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

# Records every `securitypolicyviolation` the page sees, before any script of the page runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
# Operations the tests name, whatever else the API grows.
NAMED = {("get", "/api/trace"), ("post", "/api/trace"), ("get", "/api/models"), ("get", "/api/step"),
         ("get", "/api/retention"), ("get", "/healthz")}


@pytest.fixture(scope="module")
def docs_server() -> Iterator[str]:
    from app.serving.app import create_app
    from app.serving.config import Settings

    with serve(create_app(Settings(bundled_models=False))) as base:
        yield base


def operations(server: str) -> dict[tuple[str, str], str]:
    """(method, path) → operationId, for every operation of the server's OpenAPI document."""
    spec = httpx.get(f"{server}/openapi.json", timeout=30).json()
    return {(method, path): op["operationId"] for path, ops in spec["paths"].items() for method, op in ops.items()}


def console_csp(page) -> list[str]:
    messages = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


def assert_clean(page, server: str, csp_messages: list[str]) -> None:
    """No CSP violation (event or console message), and every request to the server itself (or to a blob: URL
    a script of this origin made)."""
    assert page.evaluate("() => window.__cspViolations") == []
    assert csp_messages == []
    elsewhere = [url for url in page.requests if not url.startswith((f"{server}/", f"blob:{server}/"))]
    assert elsewhere == [], elsewhere
    assert any("/vendor/api-docs/" in url for url in page.requests)  # the vendor's files came from here


def assert_nav(page, current: str) -> None:
    """The bar above both pages: back to the visualizer, and across to the other reference."""
    nav = page.locator("nav.api-docs-nav")
    assert nav.locator("a[href='/']").count() == 1
    assert nav.locator("a[href='/docs']").count() == 1 and nav.locator("a[href='/redoc']").count() == 1
    assert nav.locator("a[aria-current=page]").get_attribute("href") == current


def test_swagger_ui_lists_every_operation_offline_under_the_csp(browser, docs_server):
    server = docs_server
    expected = operations(server)
    assert NAMED <= set(expected)
    with watched_page(browser) as page:
        page.add_init_script(RECORD_VIOLATIONS)
        csp_messages = console_csp(page)
        response = page.goto(f"{server}/docs")
        assert "script-src 'self';" in response.headers["content-security-policy"]
        page.locator("#swagger-ui .opblock").first.wait_for()
        page.wait_for_function(f"() => document.querySelectorAll('#swagger-ui .opblock').length >= {len(expected)}")
        drawn = page.eval_on_selector_all(
            "#swagger-ui .opblock",
            "blocks => blocks.map((b) => [b.querySelector('.opblock-summary-method').textContent.toLowerCase(),"
            " b.querySelector('.opblock-summary-path').dataset.path])")
        assert {tuple(op) for op in drawn} == set(expected)
        assert page.title() == "Swagger UI · LSTM Gate Visualizer API"
        assert_nav(page, "/docs")
        # "Try it out" reaches the API from the page (connect-src 'self').
        models = page.locator("#swagger-ui .opblock-get").filter(
            has=page.locator(".opblock-summary-path[data-path='/api/models']")).first
        models.locator(".opblock-summary").click()
        models.locator("button.try-out__btn").click()
        models.locator("button.execute").click()
        status = models.locator(".live-responses-table tr.response .response-col_status").first
        status.wait_for()
        assert status.text_content().strip() == "200"
        assert_clean(page, server, csp_messages)


def test_redoc_lists_every_operation_offline_under_the_csp_and_its_search_works(browser, docs_server):
    server = docs_server
    expected = operations(server)
    with watched_page(browser) as page:
        page.add_init_script(RECORD_VIOLATIONS)
        csp_messages = console_csp(page)
        response = page.goto(f"{server}/redoc")
        page.locator("#redoc [data-section-id^='operation/']").first.wait_for()
        assert response.headers["content-security-policy"].endswith("; worker-src blob:")
        sections = set(page.eval_on_selector_all("#redoc [data-section-id^='operation/']",
                                                 "els => els.map((e) => e.dataset.sectionId)"))
        assert sections == {f"operation/{op_id}" for op_id in expected.values()}
        shown = page.locator("#redoc .api-content").inner_text()
        for _, path in NAMED:
            assert path in shown
        assert page.title() == "ReDoc · LSTM Gate Visualizer API"
        assert_nav(page, "/redoc")
        # The search runs in ReDoc's worker (the one thing /redoc's CSP adds: worker-src blob:).
        page.locator("#redoc input[aria-label=Search]").fill("retention")
        results = page.locator("#redoc [data-role='search:results']")
        results.locator("li").first.wait_for()
        assert "Retention" in results.inner_text()
        assert page.locator("#redoc img[alt='redocly logo']").count() == 0  # no logo from cdn.redoc.ly
        assert_clean(page, server, csp_messages)
