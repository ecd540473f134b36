"""What a person feels on the page's main thread (issue #18): long tasks on opening a link, selecting a step
and typing, measured in Debian's Chromium at 1280×900.

    python bench/page_interactions.py [--models lesson,python,shakespeare] [--lengths 100,1000,2000]
                                      [--rounds 3] [--settle-ms 500] [--port 8797] [--warm] [--profile]

Starts `lstm-viz serve` on a loopback port in its own process (as bench/page_latency.py does: a server in this
process would share the interpreter with Playwright's client) and stops it at the end. For each model and
length, --rounds fresh page loads (a new browser context each: no HTTP or code cache, as a person opening a
shared link the first time; --warm: one context for the whole run, as a returning visitor), each a text the
server has not seen (texts differ from round to round; one load per model before them is not measured). A
PerformanceObserver installed before the page's own scripts records every 'longtask' entry (a main-thread
task over 50 ms); each figure is the median over the rounds. Three moments:

    load    the link (model in the query; the text in the query, or in the "#z=" fragment when the query would
            pass 1,500 characters, as the page's own share links do) → the default view's heatmaps drawn: the
            first moment `#results` has aria-busy="false" with every `#heatmaps .heatmap-plot` carrying its
            data-drawn counter, plus one animation frame and a task (the frame that shows them). "first
            paint" is that time from navigation start; "longest"/"> 200" are the long tasks that started
            before it; "/api/trace" when the first trace request was sent and answered (resource timing);
            "after paint" the longest task from the first paint until the page settled.
    click   a real mouse click on the first heatmap at the step 50, 300 and 600 (or the last step of a
            shorter text), in its middle row, at the point the heatmap's own hook `cellCenter(t, row)`
            names: the way to select a step that works at every length (the token strip shows a window of
            at most 400 chips, so step 50 of 2,000 tokens has no chip to click). Done when the step detail's
            heading says the step (`.step-heading[data-step]`, within a cell or so: at 2,000 tokens a cell
            is about half a pixel wide). Long tasks from just before the click to the settle below.
    type    three characters typed at the end of the text (caret at the end, keys pressed 100 ms apart:
            "the" for a character model, " to" for a word model, one word), then the page's own redraw:
            `#results` aria-busy written "true" and back to "false" after the 250 ms typing debounce, and
            the heatmaps' hook `tokens` showing the new length. The text is loaded 3 (1) tokens short, so
            that after typing it has the row's length (the server refuses more than max_tokens, 2,000).

After each moment's hooks the script waits for the page to settle, to catch late long tasks (the step
detail's and the unit detail's fetches, a library loaded lazily by a <script>, the link update 300 ms
after a change): two animation frames, then until no fetch and no added <script> is in flight, and neither a
long task nor a fetch has ended for --settle-ms (and at least --settle-ms after the hooks were met), checked
in requestIdleCallback; bounded by 10 s (a moment that did not settle is counted and said).

Targets (issue #18): first paint ≤ 1.0 s with no task > 200 ms before it; no long task > 100 ms on a click;
none > 50 ms while typing (a 'longtask' entry is over 50 ms by definition, so "< 50" means none). Exit status:
0 when every target is met in every row, 1 when one is missed, 2 when the run failed (a hook not met in time,
an error on the page, the server not starting). A note under the table says when the page's files (static/,
templates/) changed during the run: others may be editing them.

--profile records a CDP CPU profile (Profiler.start/stop, 200 µs sampling) around every click and prints,
for the click with the longest task, the functions with the most self time. The profiler slows the page:
the table's figures of a --profile run are not comparable with those of a plain run.
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.tokenizer import Tokenizer  # noqa: E402
from app.serving.config import Settings  # noqa: E402
from bench.load import Material, materials, start_server, stop_server, wait_until_ready  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# As tests/conftest.py CHROMIUM_ARGS: Debian's Chromium, headless, nothing phoning home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
CLICKS = (50, 300, 600)
TYPED = {"char": "the", "word": " to"}  # three characters; what each adds in tokens:
ADDED = {"char": 3, "word": 1}
TYPE_DELAY_MS = 100  # between keys, a brisk typist (all within the page's 250 ms debounce)
MAX_QUERY_LENGTH = 1500  # static/js/core/state.js: a longer query moves the text into the fragment
PAINT_MS, PAINT_TASK_MS, CLICK_TASK_MS, TYPE_TASK_MS = 1000.0, 200.0, 100.0, 50.0
WAIT_MS = 30_000  # a hook not met within this fails the round (every wait is on an event or a DOM state)
SETTLE_MAX_MS = 10_000
# Python source for the `python` model (a character model of Python code): the standard library's.
PYTHON_SOURCES = ("json/decoder.py", "json/encoder.py", "textwrap.py", "string.py", "fnmatch.py", "shlex.py",
                  "bisect.py", "heapq.py", "statistics.py")
TEXT_SOURCES = {"python": "stdlib"}  # char models whose texts are Python source; others use their examples

# Installed before any of the page's scripts: long tasks, the first paint of the default view, writes of
# #results' aria-busy, fetches and added scripts in flight, and when the network last went quiet.
INSTRUMENT = r"""
(() => {
  const b = window.__bench = { tasks: [], painted: null, drawnAt: null, plots: 0, busyWrites: 0,
    fetching: 0, scripts: 0, lastNet: 0, longtask: true };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.tasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { b.longtask = false; }
  const realFetch = window.fetch;
  window.fetch = function (...args) {
    b.fetching++;
    const done = () => { b.fetching--; b.lastNet = performance.now(); };
    const p = realFetch.apply(this, args);
    p.then(done, done);
    return p;
  };
  const drawnState = () => {
    const results = document.querySelector("#results");
    const plots = document.querySelectorAll("#heatmaps .heatmap-plot").length;
    const drawn = document.querySelectorAll("#heatmaps .heatmap-plot[data-drawn]").length;
    return results && results.getAttribute("aria-busy") === "false" && plots > 0 && drawn === plots ? plots : 0;
  };
  // Scripts added to the page (a lazily loaded library): in flight until their load or error. The whole
  // document is watched while it is parsed, then only <head>'s and <body>'s children (not the page's
  // thousands of chips, which would make this observer part of what is measured).
  const added = (records) => {
    for (const r of records) for (const node of r.addedNodes) {
      if (node.nodeName === "SCRIPT" && node.src) {
        b.scripts++;
        const done = () => { b.scripts--; b.lastNet = performance.now(); };
        node.addEventListener("load", done, { once: true });
        node.addEventListener("error", done, { once: true });
      }
    }
  };
  const scripts = new MutationObserver(added);
  scripts.observe(document, { subtree: true, childList: true });
  document.addEventListener("DOMContentLoaded", () => {
    added(scripts.takeRecords());
    scripts.disconnect();
    for (const node of [document.head, document.body]) if (node) scripts.observe(node, { childList: true });
  }, { once: true });
  new MutationObserver((records) => {
    for (const r of records) if (r.attributeName === "aria-busy" && r.target.id === "results") b.busyWrites++;
    if (b.drawnAt === null) {
      const plots = drawnState();
      if (plots) {
        b.drawnAt = performance.now();
        b.plots = plots;
        requestAnimationFrame(() => setTimeout(() => { b.painted = performance.now(); }));
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-busy", "data-drawn"] });
})();
"""

SETTLE = r"""
async ([quietMs, maxMs]) => {
  const b = window.__bench;
  const t0 = performance.now();
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  await frame();
  await frame();
  for (;;) {
    await new Promise((r) => requestIdleCallback(r, { timeout: 250 }));
    const now = performance.now();
    const lastTask = b.tasks.reduce((m, [s, d]) => Math.max(m, s + d), 0);
    const quietSince = Math.max(t0, lastTask, b.lastNet);
    if (b.fetching === 0 && b.scripts === 0 && now - quietSince >= quietMs) return { settled: true, at: now };
    if (now - t0 > maxMs) return { settled: false, at: now };
    await new Promise((r) => setTimeout(r, 50));
  }
}
"""
ERROR = "(document.querySelector('#error')?.textContent ?? '')"
FIRST_PLOT = "document.querySelector('#heatmaps .heatmap-plot')"
# What the page shows, to say why a wait failed.
STATE = f"""() => ({{
  busy: document.querySelector('#results')?.getAttribute('aria-busy'), error: {ERROR},
  drawnAt: window.__bench?.drawnAt, fetching: window.__bench?.fetching,
  stepHeading: document.querySelector('.step-heading')?.dataset.step ?? null,
  stepDetail: (document.querySelector('#step-detail')?.innerText ?? '').slice(0, 160),
  selectedChip: document.querySelector('#tokens li.token-selected')?.dataset.step ?? null,
}})"""
DRAWN_SUM = ("[...document.querySelectorAll('#heatmaps .heatmap-plot[data-drawn]')]"
             ".reduce((n, p) => n + Number(p.dataset.drawn), 0)")


class RunFailed(Exception):
    """A hook not met in time, or an error the page showed: this row's figures cannot be trusted."""


# ---- Texts ----

def python_source() -> str:
    stdlib = Path(os.__file__).parent
    parts = [(stdlib / name).read_text(encoding="utf-8") for name in PYTHON_SOURCES if (stdlib / name).exists()]
    if not parts:
        raise RunFailed(f"no Python source found under {stdlib}")
    return "\n".join(parts)


def build_text(material: Material, tokens: int, seed: int) -> str:
    """A text of exactly `tokens` tokens of the model's tokenizer, different for each seed: Python source
    for a model of Python code, example lines for another character model, example sentences with runs of
    short vocabulary words between them (as bench/load.py's students) for a word model."""
    rng = random.Random(f"{material.id}-{tokens}-{seed}")
    if material.kind == "char":
        if TEXT_SOURCES.get(material.id) == "stdlib":
            source = python_source()
            starts = [k + 1 for k, ch in enumerate(source[: max(1, len(source) - tokens)]) if ch == "\n"]
            start = rng.choice(starts) if starts else 0
            text = source[start:start + tokens]
            while len(text) < tokens:
                text += source[: tokens - len(text)]
            return text
        lines = [line for text in material.examples for line in text.splitlines() if line.strip()] or ["a"]
        out = ""
        while len(out) < tokens:
            out += rng.choice(lines) + "\n"
        return out[:tokens]
    spans = Tokenizer("word", ("<unk>",), "<unk>").spans
    short = [w for w in material.vocab if w.isalpha() and len(w) <= 5]
    parts, n = [], 0
    while n <= tokens:
        sentence = rng.choice(material.examples)
        parts.append(sentence)
        n += len(spans(sentence))
        if short and rng.random() < 0.3:
            run = " ".join(rng.choice(short) for _ in range(rng.randint(3, 8))) + "."
            parts.append(run)
            n += len(spans(run))
    text = " ".join(parts)
    return text[: spans(text)[tokens - 1][1]]


def link(base: str, model: str, text: str) -> str:
    """The page's link for a model and a text, as its share box builds it (static/js/core/state.js buildLink):
    the text in the query while the query stays within 1,500 characters, else packed in the fragment
    ("z=" + base64url of deflate-raw of the JSON {"text", "compare"})."""
    query = urlencode({"model": model, "text": text})
    if len(query) <= MAX_QUERY_LENGTH:
        return f"{base}/?{query}"
    payload = json.dumps({"text": text, "compare": ""}, ensure_ascii=False, separators=(",", ":")).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = base64.urlsafe_b64encode(packer.compress(payload) + packer.flush()).rstrip(b"=").decode()
    return f"{base}/?{urlencode({'model': model})}#z={packed}"


# ---- One page load ----

@dataclass
class Round:
    paint: float = 0.0
    trace_sent: float = 0.0  # the first /api/trace request: sent and answered (resource timing), from navigation
    trace_answered: float = 0.0
    load_longest: float = 0.0
    load_over: int = 0
    after_paint: float = 0.0  # the longest task from the paint until the page settled
    plots: int = 0
    clicks: list[tuple[float, int, int]] = field(default_factory=list)  # (longest, over 100 ms, step selected)
    type_longest: float = 0.0
    type_over: int = 0
    unsettled: int = 0
    worst_click: tuple[float, str, dict | None] = (0.0, "", None)  # (longest, label, CPU profile)


def wait(page, condition: str, what: str, arg=None) -> None:
    """Until `condition` (a JS function of arg) holds; fails at once when the page shows an error."""
    try:
        page.wait_for_function(f"(arg) => ({condition})(arg) || {ERROR} !== ''", arg=arg, timeout=WAIT_MS)
    except Exception as e:  # playwright's TimeoutError, or the page gone
        try:
            state = page.evaluate(STATE)
        except Exception:  # noqa: BLE001 - the page itself is gone: say the first failure
            state = "page gone"
        errors = getattr(page, "bench_errors", [])
        raise RunFailed(f"{what}: not within {WAIT_MS / 1000:.0f} s ({type(e).__name__}); the page: {state}"
                        + (f"; its errors: {'; '.join(errors[:3])}" if errors else "")) from None
    error = page.evaluate(f"() => {ERROR}")
    if error:
        raise RunFailed(f"{what}: the page shows an error: {error}")


def settle(page, quiet_ms: int) -> tuple[float, bool]:
    done = page.evaluate(SETTLE, [quiet_ms, SETTLE_MAX_MS])
    return done["at"], done["settled"]


def tasks_between(page, start: float, end: float) -> list[float]:
    return [d for s, d in page.evaluate("() => window.__bench.tasks") if start <= s < end]


def self_times(profile: dict) -> collections.Counter:
    """Self time (ms) per function of a CDP CPU profile: each sample's time delta to its leaf frame."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    out: collections.Counter = collections.Counter()
    for sample, delta in zip(profile.get("samples", []), profile.get("timeDeltas", []), strict=False):
        frame = nodes[sample]["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        where = f"{frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber'] + 1}" if frame["url"] else ""
        out[(name, where)] += delta / 1000
    return out


def one_round(browser, shared, base: str, material: Material, tokens: int, seed: int, args) -> Round:
    """One page load in a new browser context (or, with --warm, a new page in the shared one) and its three
    moments."""
    kind = material.kind
    loaded = tokens - ADDED[kind]
    text = build_text(material, loaded, seed)
    out = Round()
    context = shared or browser.new_context(viewport=VIEWPORT)
    page = None
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.bench_errors = errors
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.add_init_script(INSTRUMENT)
        page.goto(link(base, material.id, text))

        # Load: navigation start (performance.now() 0) -> the default view's heatmaps drawn and painted.
        wait(page, "() => window.__bench.painted !== null", f"{material.id} {tokens}: first paint")
        if not page.evaluate("() => window.__bench.longtask"):
            raise RunFailed("this Chromium has no 'longtask' PerformanceObserver entries")
        painted, out.plots = page.evaluate("() => [window.__bench.painted, window.__bench.plots]")
        shown = page.evaluate(f"() => {FIRST_PLOT}.heatmap.tokens")
        if shown != loaded:
            raise RunFailed(f"{material.id}: the heatmaps show {shown} tokens, the text has {loaded}")
        end, ok = settle(page, args.settle_ms)
        out.unsettled += not ok
        before = tasks_between(page, 0.0, painted)
        out.paint = painted
        out.load_longest = max(before, default=0.0)
        out.load_over = sum(d > PAINT_TASK_MS for d in before)
        out.after_paint = max(tasks_between(page, painted, end), default=0.0)
        sent = page.evaluate("() => performance.getEntriesByType('resource')"
                             ".filter((e) => new URL(e.name).pathname === '/api/trace')"
                             ".map((e) => [e.startTime, e.responseEnd])[0] ?? null")
        if sent:
            out.trace_sent, out.trace_answered = sent

        # Clicks: a real click on the first heatmap's cell of step t (middle row), as a person selects a step.
        cdp = None
        if args.profile:
            cdp = context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        plot = page.locator("#heatmaps .heatmap-plot").first
        for target in CLICKS:
            t = min(target, loaded - 1)
            plot.scroll_into_view_if_needed()
            where = page.evaluate(f"""t => {{
                const h = {FIRST_PLOT}.heatmap;
                const row = Math.floor(h.units.length / 2);
                const p = h.cellCenter(t, row);
                const q = h.cellCenter(t > 0 ? t - 1 : t + 1, row);
                return p && q ? {{x: p.x, y: p.y, cell: Math.abs(p.x - q.x)}} : null;
            }}""", t)
            if where is None:
                raise RunFailed(f"{material.id} {tokens}: step {t}'s cell is not on screen (cellCenter null)")
            tolerance = max(1, int(2 / max(where["cell"], 1e-3)) + 1)
            start = page.evaluate("() => performance.now()")
            if cdp:
                cdp.send("Profiler.start")
            page.mouse.click(where["x"], where["y"])
            wait(page, "([t, tol]) => { const h = document.querySelector('.step-heading[data-step]');"
                       " return h !== null && Math.abs(Number(h.dataset.step) - t) <= tol; }",
                 f"{material.id} {tokens}: click at step {t}", [t, tolerance])
            end, ok = settle(page, args.settle_ms)
            profile = cdp.send("Profiler.stop")["profile"] if cdp else None
            out.unsettled += not ok
            step = int(page.evaluate("() => document.querySelector('.step-heading[data-step]').dataset.step"))
            mine = tasks_between(page, start, end)
            longest = max(mine, default=0.0)
            out.clicks.append((longest, sum(d > CLICK_TASK_MS for d in mine), step))
            if cdp and longest >= out.worst_click[0]:
                out.worst_click = (longest, f"{material.id}, {tokens} tokens, click at step {step}", profile)

        # Typing: three characters at the end of the text, then the page's redraw after its debounce.
        page.focus("#text")
        page.keyboard.press("Control+End")
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        writes, drawn = page.evaluate(f"() => [window.__bench.busyWrites, {DRAWN_SUM}]")
        start = page.evaluate("() => performance.now()")
        page.keyboard.type(TYPED[kind], delay=TYPE_DELAY_MS)
        wait(page, f"""([writes, drawn, T]) => window.__bench.busyWrites >= writes + 2
                   && document.querySelector('#results').getAttribute('aria-busy') === 'false'
                   && {DRAWN_SUM} > drawn && {FIRST_PLOT}.heatmap.tokens === T""",
             f"{material.id} {tokens}: typing {TYPED[kind]!r}", [writes, drawn, tokens])
        end, ok = settle(page, args.settle_ms)
        out.unsettled += not ok
        mine = tasks_between(page, start, end)
        out.type_longest = max(mine, default=0.0)
        out.type_over = sum(d > TYPE_TASK_MS for d in mine)
        if errors:
            raise RunFailed(f"{material.id} {tokens}: the page reported errors: {'; '.join(errors[:3])}")
        return out
    finally:
        if shared is None:
            context.close()
        elif page is not None:
            page.close()


# ---- The run ----

def page_digest() -> str:
    """A digest of the page's files (static/, templates/): other people edit them while a run may last."""
    digest = hashlib.sha1()
    root = Path(__file__).resolve().parent.parent
    for path in sorted([*root.glob("static/**/*"), *root.glob("templates/**/*")]):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def med(values) -> float:
    return statistics.median(values)


def fmt(ms: float) -> str:
    return "< 50" if ms < 50 else f"{ms:.0f}"


def run(args, base: str) -> int:
    from playwright.sync_api import sync_playwright

    listed = {m["id"] for m in httpx.get(f"{base}/api/models", timeout=30).json()["models"]}
    missing = [m for m in args.models if m not in listed]
    if missing:
        raise RunFailed(f"not served here: {', '.join(missing)} (served: {', '.join(sorted(listed))})")
    mats = {m.id: m for m in materials(base, args.models)}
    limits = Settings()
    rows, failures, unsettled = [], [], 0
    versions = [page_digest()]  # the page's files at the start, then each time they were seen to change
    worst: tuple[float, str, dict | None] = (-1.0, "", None)
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # --warm: one context for the whole run, its HTTP cache (and V8's code cache in it) warm.
        shared = browser.new_context(viewport=VIEWPORT) if args.warm else None
        try:
            print(f"Chromium {browser.version}, {VIEWPORT['width']}×{VIEWPORT['height']}, {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.2f} at the start; medians of {args.rounds} page loads "
                  f"({'a warm cache: one browser context' if args.warm else 'cold: a new browser context each'}); "
                  f"settle: 2 frames + {args.settle_ms} ms with no long task and no fetch, in requestIdleCallback")
            print("long tasks in ms ('< 50': none; a 'longtask' entry is over 50 ms); '/api/trace': the first trace "
                  "request sent–answered, ms from navigation; 'after paint': the longest task from the first paint "
                  "until settled; clicks on the first heatmap at the step named (the step selected in brackets "
                  "when it differs)")
            print()
            header = ("| model | tokens | first paint ms | /api/trace ms | longest before | > 200 | after paint | "
                      + " | ".join(f"click {c} | > 100" for c in CLICKS) + " | type 3 | > 50 |")
            print(header)
            print("| :--- |" + " ---: |" * (header.count("|") - 2))
            for model in args.models:
                material = mats[model]
                # One load not measured: the server loads the model and warms its code paths.
                try:
                    one_round(browser, shared, base, material, min(args.lengths), 10_000, args)
                except Exception as e:  # noqa: BLE001 - a failed round is reported, the run goes on
                    failures.append(f"{model} warm-up: {type(e).__name__}: {e}")
                for tokens in args.lengths:
                    if ADDED[material.kind] >= tokens or tokens > limits.max_tokens:
                        failures.append(f"{model} {tokens}: length out of range")
                        continue
                    text = build_text(material, tokens, 0)
                    if len(text) > limits.max_chars:
                        failures.append(f"{model} {tokens}: a text of {len(text)} characters passes max_chars "
                                        f"{limits.max_chars}")
                        continue
                    rounds: list[Round] = []
                    now = page_digest()
                    changed = now != versions[-1]
                    if changed:
                        versions.append(now)
                    mark = "*" * (len(versions) - 1)
                    try:
                        for r in range(args.rounds):
                            rounds.append(one_round(browser, shared, base, material, tokens, r, args))
                    except Exception as e:  # noqa: BLE001 - a failed row is reported, the run goes on
                        message = str(e) if isinstance(e, RunFailed) else f"{type(e).__name__}: {e}"
                        failures.append(message)
                        print(f"| {model}{mark} | {tokens} | failed: {message.splitlines()[0]} |")
                        continue
                    unsettled += sum(x.unsettled for x in rounds)
                    for x in rounds:
                        if x.worst_click[0] > worst[0]:
                            worst = x.worst_click
                    row = {
                        "model": model, "tokens": tokens, "plots": int(med(x.plots for x in rounds)),
                        "paint": med(x.paint for x in rounds),
                        "trace": (med(x.trace_sent for x in rounds), med(x.trace_answered for x in rounds)),
                        "load_longest": med(x.load_longest for x in rounds),
                        "load_over": med(x.load_over for x in rounds),
                        "after_paint": med(x.after_paint for x in rounds),
                        "clicks": [(med(x.clicks[k][0] for x in rounds), med(x.clicks[k][1] for x in rounds),
                                    rounds[0].clicks[k][2]) for k in range(len(CLICKS))],
                        "type_longest": med(x.type_longest for x in rounds),
                        "type_over": med(x.type_over for x in rounds),
                    }
                    rows.append(row)
                    clicks = " | ".join(
                        f"{fmt(longest)}{'' if step == target else f' [{step}]'} | {over:g}"
                        for (longest, over, step), target in zip(row["clicks"], CLICKS, strict=True))
                    print(f"| {model}{mark} | {tokens:,} | {row['paint']:.0f} | "
                          f"{row['trace'][0]:.0f}–{row['trace'][1]:.0f} | {fmt(row['load_longest'])} | "
                          f"{row['load_over']:g} | {fmt(row['after_paint'])} | {clicks} | "
                          f"{fmt(row['type_longest'])} | {row['type_over']:g} |", flush=True)
        finally:
            browser.close()

    print()
    print(f"{len(rows)} rows in {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at the "
          f"end; heatmaps per view: {sorted({r['plots'] for r in rows})}"
          + (f"; {unsettled} moments did not settle within {SETTLE_MAX_MS / 1000:.0f} s" if unsettled else ""))
    if page_digest() != versions[-1]:
        versions.append(page_digest())
    if len(versions) > 1:
        print(f"note: the page's files (static/, templates/) changed {len(versions) - 1} time(s) during this run: "
              "each added * marks the first row measured after a change (the row before it may have seen both)")
    targets = {
        f"navigation → heatmaps painted ≤ {PAINT_MS / 1000:.1f} s":
            [f"{r['model']} {r['tokens']}: {r['paint']:.0f} ms" for r in rows if r["paint"] > PAINT_MS],
        f"no task > {PAINT_TASK_MS:.0f} ms before first paint":
            [f"{r['model']} {r['tokens']}: {r['load_longest']:.0f} ms" for r in rows
             if r["load_longest"] > PAINT_TASK_MS],
        f"click a token (steps {', '.join(map(str, CLICKS))}): no long task > {CLICK_TASK_MS:.0f} ms":
            [f"{r['model']} {r['tokens']} @{target}: {c[0]:.0f} ms" for r in rows
             for c, target in zip(r["clicks"], CLICKS, strict=True) if c[0] > CLICK_TASK_MS],
        f"typing 3 characters at the end: no long task > {TYPE_TASK_MS:.0f} ms":
            [f"{r['model']} {r['tokens']}: {r['type_longest']:.0f} ms" for r in rows
             if r["type_longest"] > TYPE_TASK_MS],
    }
    for name, missed in targets.items():
        print(f"target  {'MISSED' if missed or not rows else 'met   '}  {name}"
              + (f"  ({'; '.join(missed)})" if missed else ""))
    if args.profile and worst[2] is not None:
        longest, label, profile = worst
        print()
        print(f"CPU profile of the slowest click ({label}; longest task {longest:.0f} ms), self time:")
        times = self_times(profile)
        times.pop(("(idle)", ""), None)
        total = sum(times.values())
        print(f"  {'ms':>8} {'share':>6}  function (file:line)")
        for (name, where), ms in times.most_common(args.top):
            print(f"  {ms:>8.1f} {ms / total:>6.1%}  {name}" + (f" ({where})" if where else ""))
    for failure in failures:
        print(f"run failed: {failure}")
    if failures or not rows:
        return 2
    return 0 if not any(targets.values()) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", default="lesson,python,shakespeare", help="served models, comma-separated")
    parser.add_argument("--lengths", default="100,1000,2000",
                        help="texts' lengths in tokens after typing (10 up to the server's max_tokens)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh page loads per model and length (1-15)")
    parser.add_argument("--settle-ms", type=int, default=500,
                        help="quiet time (no long task, no fetch) that ends a moment (200-5000)")
    parser.add_argument("--port", type=int, default=8797, help="loopback port of the server this script starts")
    parser.add_argument("--warm", action="store_true", help="a returning visitor: one browser context for the "
                        "whole run, its HTTP and code caches warm (default: a new context, cold, per page load)")
    parser.add_argument("--profile", action="store_true", help="CPU-profile the clicks; print the slowest's functions")
    parser.add_argument("--top", type=int, default=15, help="with --profile: functions printed (1-100)")
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    try:
        args.lengths = [int(n) for n in args.lengths.split(",") if n]
    except ValueError:
        parser.error("--lengths: whole numbers, comma-separated")
    max_tokens = Settings().max_tokens
    if not (args.models and len(args.models) <= 10 and args.lengths and len(args.lengths) <= 10
            and all(10 <= n <= max_tokens for n in args.lengths) and 1 <= args.rounds <= 15
            and 200 <= args.settle_ms <= 5000 and 1024 <= args.port <= 65535 and 1 <= args.top <= 100):
        parser.error(f"out of bounds: 1-10 models, 1-10 lengths of 10-{max_tokens} tokens, 1-15 rounds, "
                     "settle 200-5000 ms, port 1024-65535, top 1-100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lstm-viz-interactions-") as tmp:
        log = Path(tmp) / "server.log"
        server = None
        try:
            server = start_server(args.port, 1, log)
            base = f"http://127.0.0.1:{args.port}"
            wait_until_ready(base, server, 1, log)
            return run(args, base)
        except RunFailed as e:
            print(f"run failed: {e}", file=sys.stderr)
            return 2
        except SystemExit as e:  # bench/load.py's start/wait say what went wrong this way
            print(e.code, file=sys.stderr)
            return 2
        except Exception:  # noqa: BLE001 - exit 2, not Python's 1 (which means a target missed)
            traceback.print_exc()
            return 2
        finally:
            if server is not None:
                stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
