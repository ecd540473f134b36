"""Cross-site scripting in real Chromium: a corpus of payloads fed through every property a link carries
(state.js's table, unknown keys, the payload as a key, the `#z=` fragment), through the server-rendered
page, through a model card, and typed into the text and compare boxes. For each: no dialog opens, the
canary `window.__pwned` stays 0, no element or event handler is injected anywhere (the document and
each region: heatmaps, hover labels, token strip, tinted text, step and unit detail, model card,
compare view, notice, meta tags), and where the page shows the text it shows it exactly, as text.

The browser context bypasses the page's Content-Security-Policy: the CSP would stop an injected inline
script anyway, and these tests are about the escaping underneath it (the CSP is tested in test_api.py).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import zlib
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest

from app.serving.routes.pages import share_description

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

ROOT = Path(__file__).resolve().parent.parent.parent
TIMEOUT_MS = 20_000
CANARY = "window.__pwned = 0"

# Each would set window.__pwned or open a dialog if the page ever treated it as markup or code.
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "<img src=x onerror=alert`1`>",
    "<svg onload=window.__pwned=1>",
    "<svg/onload=alert(1)//",
    "javascript:window.__pwned=1",
    '"><script>window.__pwned=1</script>',
    "'><svg/onload=window.__pwned=1>",
    "'-alert(1)-'",
    '";alert(1);//',
    "`${window.__pwned=1}`",
    "${alert(1)}",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "</textarea><script>window.__pwned=1</script>",
    "</script><script>window.__pwned=1</script>",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; &#60;img src=x onerror=alert(1)&#62; &quot;",
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<b onmouseover="window.__pwned=1">bold</b>',
    '<div style="background:url(javascript:alert(1));width:expression(alert(1))">styled</div>',
    "<style>@import 'javascript:alert(1)';body{background:url(\"javascript:alert(1)\")}</style>",
    "<scr\x00ipt>window.__pwned=1</scr\x00ipt>",
    "\\u003cscript\\u003ewindow.__pwned=1\\u003c/script\\u003e \\x3cimg src=x onerror=alert(1)\\x3e",
    "%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E",
    "\uff1cscript\uff1ewindow.__pwned=1\uff1c/script\uff1e",
    "\u202e<img src=x onerror=alert(1)>\u202c",
    "<math><mtext></form><form><mglyph><style></math><img src onerror=window.__pwned=1>",
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<input autofocus onfocus=window.__pwned=1><details open ontoggle=alert(1)>",
    "--><script>window.__pwned=1</script><!--",
    "<![CDATA[<script>window.__pwned=1</script>]]>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<sup>2</sup><br><i>it</i><span style="color:red">red</span><em>em</em>',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<body onload=alert(1)>",
]
JOINED = " ".join(PAYLOADS)
# The compare box gets the corpus in the other order, so A and B differ.
JOINED_REVERSED = " ".join(reversed(PAYLOADS))
UNKNOWN_KEYS = ["foo", "__proto__", "constructor", "toString"]

# Elements whose count must not change, in the document and in each region the page fills.
SNAPSHOT_JS = """() => {
  const TAGS = 'script,img,image,svg,iframe,frame,frameset,object,embed,base,form,link,meta,style,a,math,'
    + 'video,audio,source,input,textarea,button,select,details,body,template,noscript,b,i,em,sup,br';
  const REGIONS = {document: 'html', head: 'head', heatmaps: '#heatmaps', hover: '.hoverlayer',
    tokens: '#tokens', tintedText: '.unit-text', unitDetail: '#unit-detail', stepDetail: '#step-detail',
    modelCard: '#model-card', compare: '#compare', notice: '#notice', error: '#error', examples: '#examples',
    description: '#model-description', summary: '#summary', modelSelect: '#model', tour: '#tour'};
  const regions = {};
  for (const [name, selector] of Object.entries(REGIONS)) {
    const counts = {};
    for (const root of document.querySelectorAll(selector)) {
      for (const node of root.querySelectorAll(TAGS)) counts[node.localName] = (counts[node.localName] || 0) + 1;
    }
    regions[name] = counts;
  }
  const URL_ATTRIBUTES = ['href', 'xlink:href', 'src', 'srcset', 'action', 'formaction', 'data', 'poster',
    'background', 'content'];
  const handlers = [];
  const scriptUrls = [];
  for (const node of document.querySelectorAll('*')) {
    for (const attr of node.attributes) {
      if (/^on/i.test(attr.name) || attr.name === 'srcdoc') handlers.push(`${node.localName}[${attr.name}]`);
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (URL_ATTRIBUTES.includes(attr.name) && /^(javascript|vbscript|data:text\\/html)/.test(value)) {
        scriptUrls.push(`${node.localName}[${attr.name}]`);
      }
    }
  }
  // The tinted text holds one span per token and nothing else (spans are counted here, not above).
  const tinted = [...document.querySelectorAll('.unit-text *')].filter((n) => !n.matches('span.unit-token')).length;
  return {regions, handlers, scriptUrls, tinted, pwned: window.__pwned, frames: window.frames.length,
          title: document.title, path: location.pathname};
}"""

DRAWN_JS = ("() => document.querySelectorAll('#heatmaps .heatmap-plot[data-drawn]').length > 0"
            " && document.querySelector('#results').getAttribute('aria-busy') === 'false'")
# The strip's chips: the first one's step and every chip's text (a long text's strip shows a window of
# its tokens, 400 at most: tokens.js STRIP_WINDOW).
TOKENS_JS = ("() => { const chips = [...document.querySelectorAll('#tokens li')];"
             " return [chips.length ? Number(chips[0].dataset.step) : 0, chips.map((li) => li.textContent)]; }")
# The x tick labels of compare mode's B heatmap (plots: A, B, A − B).
B_TICKS_JS = ("() => [...document.querySelectorAll('#compare .js-plotly-plot')[1].querySelectorAll('.xtick text')]"
              ".map((node) => node.textContent)")
DISPLAY_JS = ("async (tokens) => { const m = await import('/static/js/core/tokens.js'); "
              "return tokens.map(m.displayToken); }")


def link_properties() -> list[str]:
    """The query names of state.js's table, read from the file so a new property is not forgotten."""
    source = (ROOT / "static" / "js" / "core" / "state.js").read_text()
    table = source[source.index("export const PROPS") : source.index("]);", source.index("export const PROPS"))]
    return re.findall(r'row\("([a-z_]+)"', table)


PROPERTIES = link_properties()
TEXT_PROPERTIES = ["text", "compare"]


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.add_init_script(CANARY)
    yield context
    context.close()


@pytest.fixture(scope="module")
def lesson_examples(live_server) -> list[str]:
    models = httpx.get(f"{live_server}/api/models").json()["models"]
    return next(m for m in models if m["id"] == "lesson")["examples"]


def open_page(context, url: str):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs, page.errors, page.requests = [], [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url)
    page.wait_for_function(DRAWN_JS)
    # The views made after the first paint (step and unit detail, model card, compare, share) are in the page:
    # their elements are counted too, the same in every snapshot.
    page.wait_for_function("() => document.body.dataset.views === 'ready'")
    return page


def wait_details(page) -> None:
    """Compare mode and the step detail (fetched after the heatmaps) are drawn."""
    page.locator("#compare .js-plotly-plot").first.wait_for()
    page.locator("#step-detail .step-heading").wait_for()


def snapshot(page) -> dict:
    return page.evaluate(SNAPSHOT_JS)


def assert_clean(page, baseline: dict, where: str) -> dict:
    """Nothing ran, nothing was injected: the element counts of every region equal the baseline's."""
    snap = snapshot(page)
    assert page.dialogs == [], f"{where}: a dialog opened: {page.dialogs}"
    assert snap["pwned"] == 0, f"{where}: the canary was set"
    assert snap["handlers"] == [] and snap["scriptUrls"] == [], where
    assert snap["frames"] == 0 and snap["path"] == "/" and snap["tinted"] == 0, where
    assert snap["title"] == baseline["title"], where
    for region, counts in baseline["regions"].items():
        assert snap["regions"][region] == counts, f"{where}: elements in {region} changed"
    assert page.errors == [], f"{where}: {page.errors}"
    return snap


HTTP = httpx.Client(timeout=30)  # one connection pool for the many small API calls


@pytest.fixture(scope="module", autouse=True)
def close_http():
    yield
    HTTP.close()


def api_tokens(base: str, text: str, model: str = "lesson") -> list[str]:
    r = HTTP.post(f"{base}/api/trace", json={"model": model, "text": text, "top_k": 0, "quantities": "c"})
    assert r.status_code == 200, r.text
    return [t["text"] for t in r.json()["tokens"]]


def assert_shows_text(page, text: str, tokens: list[str], shown: list[str], tinted: bool = True) -> None:
    """The text box, the token strip and (with a unit selected) the tinted text show `text` exactly.
    tokens: the text's tokens by the API; shown: the same as the page displays them (whitespace visible)."""
    assert page.locator("#text").input_value() == text
    first, chips = page.evaluate(TOKENS_JS)
    assert chips == shown[first : first + 400] and len(chips) == min(len(shown) - first, 400)
    if tinted:
        assert page.locator(".unit-text").text_content() == text
        assert page.locator(".unit-text span.unit-token").count() == len(tokens)


def expected(page, base: str, text: str) -> tuple[str, list[str], list[str]]:
    """(text, its tokens, the tokens as the page displays them) for assert_shows_text."""
    tokens = api_tokens(base, text)
    return text, tokens, page.evaluate(DISPLAY_JS, tokens)


META_JS = ("() => [...document.querySelectorAll('meta[name=description], meta[property=\"og:description\"],"
           " meta[name=\"twitter:description\"]')].map((m) => m.content)")


def meta_descriptions(page) -> list[str]:
    """The description, og:description and twitter:description the server rendered."""
    return page.evaluate(META_JS)


def hover_label(page, plot_selector: str, t: int) -> str:
    """Move the mouse over column t of a heatmap (its top row) and return its tooltip's text."""
    point = page.evaluate(
        """([selector, t]) => {
             const plot = document.querySelector(selector);
             plot.scrollIntoView({block: 'center'});
             return plot.heatmap.cellCenter(t, 0);
           }""",
        [plot_selector, t],
    )
    page.mouse.move(point["x"], point["y"])
    label = page.locator(plot_selector).first.locator(".heatmap-tooltip")
    label.wait_for()
    return label.text_content()


def neutral(text: str) -> str:
    """The same text with its markup characters swapped for harmless ones that tokenize alike."""
    return text.translate(str.maketrans({"<": "(", ">": ")", "&": "+", '"': "~"}))


@pytest.fixture(scope="module")
def baselines(context, live_server) -> dict:
    """Element counts of the page without any payload, in the states the tests put it in."""
    out = {}
    page = open_page(context, f"{live_server}/")
    out["explore"] = snapshot(page)
    page.close()
    text, compare = neutral(JOINED), neutral(JOINED_REVERSED)
    assert len(api_tokens(live_server, text)) == len(api_tokens(live_server, JOINED))
    page = open_page(context, f"{live_server}/?{urlencode({'unit': 0, 'step': 0, 'text': text, 'compare': compare})}")
    wait_details(page)
    out["joined"] = snapshot(page)
    page.close()
    return out


def test_the_corpus_is_large_and_covers_every_link_property():
    assert len(PAYLOADS) >= 20 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert set(PROPERTIES) >= {"model", "version", "compare_model", "view", "layer", "step", "unit", "units", "order",
                               "top", "span", "mode", "tour", "checkpoint", "speed", "hide", "embed", "text", "compare"}
    assert len(JOINED) <= 10_000  # the page's MAX_TEXT: the joined corpus is accepted as one text


def groups_of_properties(limit: int = 15_000) -> list[list[tuple[str, str]]]:
    """Every non-text property (and unknown keys, and each payload as a key) carrying the whole corpus,
    packed into as few queries as stay under ~15 KB (h11, under uvicorn, refuses a request head it has
    to buffer past 16 KiB)."""
    pairs = [(name, JOINED) for name in PROPERTIES if name not in TEXT_PROPERTIES]
    pairs += [(name, JOINED) for name in UNKNOWN_KEYS]
    pairs += [(payload, "1") for payload in PAYLOADS]
    groups, current = [], []
    for pair in pairs:
        if current and len(urlencode(current + [pair])) > limit:
            groups.append(current)
            current = []
        current.append(pair)
    return groups + [current]


@pytest.mark.parametrize("group", range(len(groups_of_properties())))
def test_payloads_in_every_link_property_are_rejected_as_text(context, live_server, baselines, lesson_examples,
                                                              group):
    pairs = groups_of_properties()[group]
    # The fragment carries a payload too: a foreign fragment is ignored, a corrupt "#z=" reported.
    fragment = "#" + quote(PAYLOADS[group % len(PAYLOADS)]) if group % 2 else "#z=" + quote(JOINED[:300])
    page = open_page(context, f"{live_server}/?{urlencode(pairs)}{fragment}")
    assert_clean(page, baselines["explore"], f"properties {[k for k, _ in pairs][:3]}...")
    # Every payload was refused: the defaults hold.
    assert_shows_text(page, *expected(page, live_server, lesson_examples[0]), tinted=False)
    notice = page.locator("#notice").text_content()
    for key, _ in pairs:
        assert key in notice, key  # each one reported, by name, as text
    if fragment.startswith("#z="):
        assert "#z (corrupt packed text" in notice
    assert meta_descriptions(page) == [share_description(lesson_examples[0])] * 3
    page.close()


def test_payloads_in_the_text_and_compare_properties_are_shown_exactly(context, live_server, baselines,
                                                                       lesson_examples):
    query = urlencode({"unit": 0, "step": 0, "text": JOINED, "compare": JOINED_REVERSED})
    page = open_page(context, f"{live_server}/?{query}")
    wait_details(page)
    assert_clean(page, baselines["joined"], "text and compare")
    assert_shows_text(page, *expected(page, live_server, JOINED))
    assert page.locator("#compare-text").input_value() == JOINED_REVERSED
    # The server refuses a text holding NUL (one payload does) and renders the first example instead;
    # the page then restores the link's text on the client.
    assert "\x00" in JOINED
    assert meta_descriptions(page) == [share_description(lesson_examples[0])] * 3
    page.close()


def pack_fragment(text: str, compare: str) -> str:
    """state.js's `#z=` format: base64url (unpadded) of deflate-raw of the UTF-8 JSON {text, compare}."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = json.dumps({"text": text, "compare": compare}, ensure_ascii=False).encode()
    return "z=" + base64.urlsafe_b64encode(packer.compress(raw) + packer.flush()).decode().rstrip("=")


def test_payloads_in_the_fragment_are_restored_exactly_and_never_sent(context, live_server, baselines,
                                                                      lesson_examples):
    page = open_page(context, f"{live_server}/?unit=0&step=0#{pack_fragment(JOINED, JOINED_REVERSED)}")
    wait_details(page)
    assert_clean(page, baselines["joined"], "fragment")
    assert_shows_text(page, *expected(page, live_server, JOINED))
    assert page.locator("#compare-text").input_value() == JOINED_REVERSED
    assert meta_descriptions(page) == [share_description(lesson_examples[0])] * 3  # the server never saw it
    assert not any("onerror" in url or "script" in url for url in page.requests if "/api/" not in url)
    page.close()


def parse_pages_in_browser(page, documents: list[str]) -> list[dict]:
    """Parse server HTML with the browser's own parser (DOMParser runs no script) and report what it holds."""
    return page.evaluate(
        """(documents) => documents.map((html) => {
             const doc = new DOMParser().parseFromString(html, 'text/html');
             const counts = {};
             for (const node of doc.querySelectorAll('*')) counts[node.localName] = (counts[node.localName] || 0) + 1;
             const handlers = [];
             for (const node of doc.querySelectorAll('*')) {
               for (const attr of node.attributes) if (/^on/i.test(attr.name)) handlers.push(node.localName);
             }
             const meta = [...doc.querySelectorAll('meta[name=description], meta[property="og:description"],'
               + ' meta[name="twitter:description"]')].map((m) => m.content);
             return {counts, handlers, meta, text: doc.querySelector('#text').value, title: doc.title,
                     models: JSON.parse(doc.querySelector('#models-data').textContent).length};
           })""",
        documents,
    )


def test_the_server_rendered_page_escapes_every_payload_in_every_property(context, live_server, lesson_examples):
    documents = [httpx.get(f"{live_server}/", params={"text": "hello"}).text]
    for payload in PAYLOADS:
        params = [(name, payload) for name in PROPERTIES] + [(name, payload) for name in UNKNOWN_KEYS]
        documents.append(httpx.get(f"{live_server}/", params=params + [(payload, payload)]).text)
    page = context.new_page()  # about:blank: DOMParser needs no page of ours
    baseline, *parsed = parse_pages_in_browser(page, documents)
    page.close()
    for payload, got in zip(PAYLOADS, parsed, strict=True):
        shown = lesson_examples[0] if "\x00" in payload else payload  # the server refuses NUL
        assert got["counts"] == baseline["counts"], payload
        assert got["handlers"] == [] and got["title"] == baseline["title"], payload
        assert got["text"] == shown, payload
        assert got["meta"] == [share_description(shown)] * 3, payload
        assert got["models"] == baseline["models"], payload


def test_payloads_typed_into_the_text_and_compare_boxes(context, live_server):
    page = open_page(context, f"{live_server}/?mode=compare&unit=0&step=0&view=states")  # 2 heatmaps, not 3
    wait_details(page)
    hover_label(page, "#heatmaps .heatmap-plot", 0)
    baseline = snapshot(page)
    for payload in PAYLOADS:
        page.locator("#text").fill(payload)
        page.locator("#compare-text").fill(payload)  # the same text in B keeps the A − B heatmap on screen
        # Trace now rather than after the typing pause: a change of B's model traces at once (and cancels
        # the pending one), which saves a quarter of a second per payload.
        page.locator("#compare-model").dispatch_event("change")
        page.wait_for_function(
            "(text) => document.querySelector('.unit-text')?.textContent === text"
            " && document.querySelector('#compare-text').value === text"
            " && document.querySelector('#results').getAttribute('aria-busy') === 'false'",
            arg=payload,
        )
        tokens = api_tokens(live_server, payload)
        shown = page.evaluate(DISPLAY_JS, tokens)
        # Hover the token richest in markup characters: its label shows it as text.
        t = max(range(len(tokens)), key=lambda k: sum(ch in "<>&\"'`$" for ch in tokens[k]))
        label = hover_label(page, "#heatmaps .heatmap-plot", t)  # tokens counted from 1
        assert label.startswith(f"token {t + 1} of {len(tokens)}: {shown[t]}\nunit"), label
        page.locator(".step-heading", has_text=f"· “{shown[0]}” ·").wait_for()
        assert_clean(page, baseline, f"typed {payload!r}")
        assert_shows_text(page, payload, tokens, shown)
        ticks = page.evaluate(B_TICKS_JS)
        assert ticks and set(ticks) <= set(shown), payload  # B's token labels, literally
        page.mouse.move(0, 0)
    page.close()


def write_card_model(folder: Path, model_id: str, texts: list[str]) -> None:
    """A copy of the untrained model whose card's free text (title, description, examples, notes,
    provenance, vocabulary) is made of `texts`."""
    source = ROOT / "models"
    shutil.copy(source / "untrained.safetensors", folder / f"{model_id}.safetensors")
    card = json.loads((source / "untrained.json").read_text())
    vocab = card["tokenizer"]["vocab"]
    replaceable = [n for n, word in enumerate(vocab) if word != card["tokenizer"]["unk"]][-len(texts) :]
    for n, text in zip(replaceable, texts, strict=False):
        vocab[n] = text
    card.update({
        "id": model_id,
        "title": texts[0] + " " + texts[1],
        "description": " ".join(texts)[:1000],
        "examples": texts[2:8],
        "notable_units": [{"layer": 0, "unit": 1, "carries": texts[8], "note": texts[9]}],
        "provenance": {key: texts[10 + n] for n, key in enumerate(card["provenance"])},
    })
    (folder / f"{model_id}.json").write_text(json.dumps(card))


def test_a_model_card_made_of_payloads_is_shown_as_text(context, tmp_path):
    from app.serving.app import create_app
    from app.serving.config import Settings
    from tests.servers import serve

    write_card_model(tmp_path, "plain", [f"{neutral(p)} {n}" for n, p in enumerate(PAYLOADS)])
    write_card_model(tmp_path, "xss", PAYLOADS)
    with serve(create_app(Settings(models_dir=tmp_path))) as base:
        pages = {}
        for model in ("plain", "xss"):
            page = open_page(context, f"{base}/?model={model}&unit=0&step=0&text=I+need+to")
            page.locator("#card-button").click()
            page.locator("#model-card[open]").wait_for()
            page.locator("#step-detail .step-heading").wait_for()
            page.wait_for_function(  # the unit chart drawn (a canvas: its traces are its `data`)
                "() => document.querySelector('#unit-detail .unit-chart')?.data?.length > 0")
            pages[model] = page
        page = pages["xss"]
        assert_clean(page, snapshot(pages["plain"]), "a model card made of payloads")
        assert page.locator("#model option:checked").text_content() == PAYLOADS[0] + " " + PAYLOADS[1]
        card_text = page.locator("#model-card").text_content()
        assert all(p in card_text for p in (PAYLOADS[0], PAYLOADS[8], PAYLOADS[9], PAYLOADS[10]))
        assert page.locator("#model-description").text_content() == JOINED[:1000]
        assert [b.get_attribute("data-text") for b in page.locator("#examples button").all()] == PAYLOADS[2:8]
        for p in pages.values():
            p.close()
