"""/docs and /redoc over real HTTP (app/serving/routes/api_docs.py): HTML under the app's CSP, no inline script,
nothing referenced off this server, and the Swagger UI and ReDoc files from fastapi-offline served at versioned
URLs. The browser half (do the pages draw, does the CSP hold) is tests/page/test_browser_api_docs.py."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.middleware import CSP
from tests.servers import serve

BASE_CSP = CSP.format(frame_ancestors="'none'")
PAGES = {"/docs": BASE_CSP, "/redoc": BASE_CSP + "; worker-src blob:"}  # the page's whole policy


class Links(HTMLParser):
    """A page's <script> tags (their attributes, and whether any has code inline) and every URL it names."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self.urls: list[str] = []
        self.inline_code: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href", "action", "data-openapi-url") and v]
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = True
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_code.append(data)


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings(bundled_models=False))) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def read(http, path: str) -> Links:
    r = http.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    links = Links()
    links.feed(r.text)
    return links


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_are_html_under_the_csp_without_inline_script_or_other_sites(http, path):
    r = http.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == PAGES[path]  # /docs: the app's policy, unchanged
    assert r.headers["x-frame-options"] == "DENY"
    links = read(http, path)
    assert links.scripts and all(s.get("src") for s in links.scripts), links.scripts
    assert links.inline_code == [] and "cdn" not in r.text.lower()
    for url in links.urls:  # the server's own paths only: no scheme, no host, no protocol-relative //
        assert url.startswith("/") and not url.startswith("//"), url
    assert {"/", "/docs", "/redoc", "/openapi.json"} <= set(links.urls)  # the bar: back, across, the raw document


@pytest.mark.parametrize("path", PAGES)
def test_what_the_pages_load_is_served_here_as_javascript_and_css(http, path):
    links = read(http, path)
    assets = [s["src"] for s in links.scripts] + links.stylesheets
    assert any(url.startswith("/vendor/api-docs/") for url in assets)
    assert any(url.startswith("/static/js/api_docs/") for url in assets)
    for url in assets:
        r = http.get(url)
        assert r.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert r.headers["content-type"].split(";")[0] == kind, url


def test_the_vendor_files_are_versioned_cached_for_a_year_and_gzipped(http):
    links = read(http, "/docs")
    (bundle,) = [s["src"] for s in links.scripts if s["src"].startswith("/vendor/api-docs/swagger-ui-bundle-")]
    r = http.get(bundle, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and "max-age=31536000" in r.headers["cache-control"]
    assert b"SwaggerUIBundle" in r.content and len(r.content) > 500_000  # httpx decoded the gzip
    plain = http.get(bundle, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content
    assert "immutable" in plain.headers["cache-control"] and plain.headers["content-security-policy"]
    missing = http.get("/vendor/api-docs/swagger-ui-bundle-000000000000.js")
    assert missing.status_code == 404 and bundle in missing.json()["detail"]  # says where the current one is


def test_redoc_asks_nothing_of_redocly_s_cdn(http):
    links = read(http, "/redoc")
    (bundle,) = [s["src"] for s in links.scripts if s["src"].startswith("/vendor/api-docs/redoc.standalone-")]
    body = http.get(bundle).content
    assert b"Redoc" in body and b"cdn.redoc.ly" not in body  # its side menu's logo, pointed at nothing


def test_only_redoc_widens_the_csp_and_the_pages_stay_out_of_the_openapi_document(http):
    for path in ("/", "/openapi.json", "/static/js/api_docs/redoc_init.js", "/api/models"):
        assert "worker-src" not in http.get(path).headers["content-security-policy"], path
    documented = set(http.get("/openapi.json").json()["paths"])
    assert not {p for p in documented if p in PAGES or p.startswith("/vendor")}
