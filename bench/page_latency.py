"""Time from a keystroke's request to the redrawn heatmaps, measured in Chromium.

    python bench/page_latency.py [--rounds 5] [--models lesson,shakespeare]

Serves the app on a loopback port, opens the page in Debian's Chromium (Playwright), and for each model
and text length (50, 200, 2,000 tokens) types a text and reads the page's own performance measure
"trace-to-heatmaps": from the start of the trace request (after the 250 ms typing debounce, which is
stated apart) to the end of the redraw of the default view. Prints medians of several rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.main import create_app  # noqa: E402

DEBOUNCE_MS = 250  # static/js/main.js TYPING_DEBOUNCE_MS
LENGTHS = (50, 200, 2000)
TEXTS = {
    "lesson": "Today , due to my current job situation and family conditions , I need to take a loan .",
    "shakespeare": "HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n",
    "untrained": "Last year , I had to take a loan .",
}


def text_of(model: str, tokens: int, variant: int = 0) -> str:
    """A text of exactly `tokens` tokens (words for word models, characters for char models); an odd
    variant changes the last token, so consecutive rounds never send the same text."""
    base = TEXTS[model]
    if model == "shakespeare":
        text = (base * (tokens // len(base) + 1))[:tokens]
        return text[:-1] + "e" if variant % 2 else text
    words = [base.split()[k % len(base.split())] for k in range(tokens)]
    return " ".join(words[:-1] + ["a"]) if variant % 2 else " ".join(words)


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
        text = text_of(model, tokens, r)
        before = page.evaluate("() => performance.getEntriesByName('trace-to-heatmaps').length")
        page.fill("#text", text)
        page.wait_for_function(f"() => performance.getEntriesByName('trace-to-heatmaps').length > {before}",
                               timeout=60_000)
        duration = page.evaluate("() => performance.getEntriesByName('trace-to-heatmaps').at(-1).duration")
        if r:  # the first round warms caches
            times.append(duration)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="lesson,shakespeare")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = serve(args.port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{args.port}/")
            page.wait_for_selector(".heatmap-plot[data-drawn]", state="attached")
            print(f"Chromium, 1280x800, default view (3 heatmaps); medians of {args.rounds} rounds; "
                  f"typing debounce {DEBOUNCE_MS} ms not included")
            print(f"{'model':<12} {'tokens':>6} {'median ms':>10} {'min':>7} {'max':>7}")
            for model in args.models.split(","):
                for tokens in LENGTHS:
                    times = measure(page, model, tokens, args.rounds)
                    print(f"{model:<12} {tokens:>6} {statistics.median(times):>10.0f} {min(times):>7.0f} "
                          f"{max(times):>7.0f}")
            browser.close()
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
