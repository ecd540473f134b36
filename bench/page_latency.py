"""Time from a keystroke's request to the redrawn heatmaps, measured in Chromium, and bytes per keystroke.

    python bench/page_latency.py [--rounds 5] [--models lesson,shakespeare]

Starts `lstm-viz serve` on a loopback port (its own process, as deployed: a server in this process would
share the interpreter with Playwright's client), opens the page in Debian's Chromium and reads the page's
own performance measure "trace-to-heatmaps": from the start of the trace request (after the 250 ms
typing debounce, which is stated apart) to the end of the redraw of the default view (three heatmaps).
Two tables, medians of several rounds:

    new text    for each model and length (50, 200, 2,000 tokens), a whole new text (nothing shared with
                the text before it: the server computes every step, the page receives every column)
    keystroke   on the last model, one character typed at the end of a text of 100 ... 2,000 tokens (the server
                extends its cached trace, the page receives only the new columns); with the bytes of
                the /api/trace answer and of its request (only the text after the tokens the page
                keeps travels), "frame": until the browser has laid out and painted the frame that
                shows it, and the ratio of the longest text's median to the shortest's
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.serving.app import create_app  # noqa: E402
from bench.load import start_server, stop_server, wait_until_ready  # noqa: E402

DEBOUNCE_MS = 250  # static/js/main.js TYPING_DEBOUNCE_MS
LENGTHS = (50, 200, 2000)
KEYSTROKE_LENGTHS = (100, 200, 500, 1000, 2000)
LAST_TRACE = """() => {
  const e = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/trace')).at(-1);
  return [e.encodedBodySize, e.name.length];
}"""
TEXTS = {
    "lesson": "Today , due to my current job situation and family conditions , I need to take a loan .",
    "shakespeare": "HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n",
    "untrained": "Last year , I had to take a loan .",
}


FIRST_WORDS = ("today", "yesterday", "now", "last", "currently", "honestly", "sadly", "frankly", "so")


def text_of(model: str, tokens: int, variant: int = 0) -> str:
    """A text of exactly `tokens` tokens (words for word models, characters for char models) whose first
    token depends on the variant: texts of different variants share no prefix, so neither the server's
    cache nor the page's held columns can serve them."""
    base = TEXTS[model]
    if model == "shakespeare":
        text = (base * (tokens // len(base) + 1))[:tokens]
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[variant % 26] + text[1:]
    words = [base.split()[k % len(base.split())] for k in range(tokens)]
    return " ".join([FIRST_WORDS[variant % len(FIRST_WORDS)]] + words[1:])


def serve(port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def measure(page, model: str, tokens: int, rounds: int) -> list[float]:
    page.select_option("#model", model)
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    times = []
    for r in range(rounds + 1):
        duration = redraw(page, text_of(model, tokens, r))
        if r:  # the first round warms caches
            times.append(duration)
    return times


def redraw(page, text: str, split: bool = False, typed: str | None = None):
    """Put `text` in the box (or type `typed` where the caret is, as a person does) and wait for the page's
    next trace-to-heatmaps measure; its duration in ms (with split: also the part until the answer was
    decoded and spliced in, "trace-fetch", and the time until the browser had laid out and painted the
    frame showing it, "trace-to-frame")."""
    before = page.evaluate("() => performance.getEntriesByName('trace-to-frame').length")
    if typed is None:
        page.fill("#text", text)
    else:
        page.keyboard.type(typed)
    page.wait_for_function(f"() => performance.getEntriesByName('trace-to-frame').length > {before}",
                           timeout=60_000)
    total, fetched, framed = page.evaluate("""() => [
        performance.getEntriesByName('trace-to-heatmaps').at(-1).duration,
        performance.getEntriesByName('trace-fetch').at(-1).duration,
        performance.getEntriesByName('trace-to-frame').at(-1).duration]""")
    return (total, fetched, framed) if split else total


def keystrokes(page, model: str, tokens: int, rounds: int) -> tuple[list[float], list[float], list[float],
                                                                  list[int], int]:
    """Type one character `rounds` times at the end of a text (keys pressed in the text box, caret at
    the end: replacing the whole value instead makes Chromium lay out and re-edit the whole text box on
    each round, work a person's keystroke does not cause), the last making it `tokens` tokens long (a
    longer text would pass max_tokens): times (ms), the times until the answer was held (fetched,
    decoded, spliced; the rest is the redraw), the times until the frame showing it was painted, answer
    bytes, and the longest request URL's length."""
    text = text_of(model, tokens - rounds)
    redraw(page, text)
    page.focus("#text")
    page.keyboard.press("Control+End")
    times, fetches, frames, sizes, longest = [], [], [], [], 0
    for r in range(rounds):
        typed = "ab"[r % 2] if model == "shakespeare" else " a"
        text += typed
        total, fetched, framed = redraw(page, text, split=True, typed=typed)
        times.append(total)
        fetches.append(fetched)
        frames.append(framed)
        size, url_length = page.evaluate(LAST_TRACE)
        sizes.append(size)
        longest = max(longest, url_length)
    return times, fetches, frames, sizes, longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="lesson,shakespeare")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--tables", default="new,keystroke", help="which tables: new, keystroke or both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lstm-viz-latency-") as tmp:
        log = Path(tmp) / "server.log"
        server = start_server(args.port, 1, log)
        try:
            wait_until_ready(f"http://127.0.0.1:{args.port}", server, 1, log)
            run(args)
        finally:
            stop_server(server)


def run(args) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"http://127.0.0.1:{args.port}/")
        page.wait_for_selector(".heatmap-plot[data-drawn]", state="attached")
        print(f"Chromium, 1280x800, default view (3 heatmaps); medians of {args.rounds} rounds; "
              f"typing debounce {DEBOUNCE_MS} ms not included")
        print(f"{'model':<12} {'tokens':>6} {'median ms':>10} {'min':>7} {'max':>7}")
        tables = args.tables.split(",")
        if "new" in tables:
            print("new text (nothing in common with the text before)")
        for model in args.models.split(",") if "new" in tables else []:
            for tokens in LENGTHS:
                times = measure(page, model, tokens, args.rounds)
                print(f"{model:<12} {tokens:>6} {statistics.median(times):>10.0f} {min(times):>7.0f} "
                      f"{max(times):>7.0f}")
        model = args.models.split(",")[-1]
        page.select_option("#model", model)
        page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
        print(f"keystroke: one character appended ({model}; the server's cache holds the text before it)")
        print(f"{'tokens':>6} {'median ms':>10} {'min':>7} {'max':>7} {'held at ms':>11} {'frame ms':>9} "
              f"{'answer bytes':>13} {'request URL':>12}")
        medians = {}
        for tokens in KEYSTROKE_LENGTHS if "keystroke" in tables else []:
            times, fetches, frames, sizes, request = keystrokes(page, model, tokens, args.rounds)
            medians[tokens] = statistics.median(times)
            print(f"{tokens:>6} {medians[tokens]:>10.1f} {min(times):>7.1f} {max(times):>7.1f} "
                  f"{statistics.median(fetches):>11.1f} {statistics.median(frames):>9.1f} "
                  f"{statistics.median(sizes):>13.0f} {request:>12}")
        if len(medians) > 1:
            lo, hi = min(medians), max(medians)
            print(f"{hi:,} tokens / {lo:,} tokens: {medians[hi] / medians[lo]:.2f}x "
                  f"({(medians[hi] - medians[lo]) / (hi - lo) * 1000:+.1f} ms per 1,000 tokens)")
        browser.close()


if __name__ == "__main__":
    main()
