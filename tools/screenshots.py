"""Take the README's screenshots of the page in Chromium.

    python tools/screenshots.py [--out docs]

Serves the app with its bundled models on a loopback port and writes the first screen as a person sees it
(no scrolling) at three sizes: docs/screenshot.png (a laptop's 1280×900, the default view of the lecture's
tense sentence), docs/screenshot-projector.png (a projector's 1024×768, presenter mode at the tour's step
"One unit remembers the tense") and docs/screenshot-phone.png (a phone's 390×844); then
docs/screenshot-step.png (a step's "why this number?") and
docs/screenshot-unit.png (the tense unit over the text), docs/screenshot-retention.png ("Memory that
lasts": the lecture's sentence through lesson and lesson-rnn from step 0) and docs/screenshot-gru-step.png
(the same step of lesson-gru: its gates, equations and cell diagram). The tense units are the cards'.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.serving.app import create_app  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.heatmap_hooks import DRAWN, click_cell  # noqa: E402
from tests.servers import serve  # noqa: E402


def tense_unit(model_id: str) -> int:
    """The unit the bundled model's card names first for the tense."""
    card = json.loads((ROOT / "models" / f"{model_id}.json").read_text(encoding="utf-8"))
    return next(u["unit"] for u in card["notable_units"] if u["carries"] == "tense")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with serve(create_app()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        settled = (f"() => {DRAWN} > 0 && document.querySelector('#results').getAttribute('aria-busy') === 'false'"
                   " && document.querySelector('#heatmaps').style.getPropertyValue('--plot-height') !== ''")
        for name, (width, height), query in (("screenshot-projector", (1024, 768), "?mode=presenter&tour=2"),
                                             ("screenshot-phone", (390, 844), "")):
            first = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            first.goto(f"{base}/{query}")
            first.wait_for_function(settled)
            first.wait_for_timeout(500)
            first.screenshot(path=args.out / f"{name}.png")
            first.close()
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(f"{base}/")
        page.wait_for_function(settled)
        page.wait_for_timeout(500)
        page.screenshot(path=args.out / "screenshot.png")
        t = 14  # "need"
        unit = tense_unit("lesson")
        click_cell(page, "kept", t, unit)
        page.mouse.move(0, 0)  # no hover highlight in the pictures
        page.locator(f'.step-heading[data-step="{t}"]').wait_for()
        page.wait_for_timeout(500)
        page.locator(".details .detail-panel").first.screenshot(path=args.out / "screenshot-step.png")
        page.locator(".details .detail-panel").nth(1).screenshot(path=args.out / "screenshot-unit.png")
        text = quote("Today, due to my current job situation and family conditions, I need to take a loan.")
        page.goto(f"{base}/?model=lesson&compare_model=lesson-rnn&step=0&text={text}&compare={text}")
        page.wait_for_function(f"() => {DRAWN} > 0 && document.querySelector('#results').getAttribute('aria-busy')"
                               " === 'false'")
        page.click("#retention > summary")
        page.wait_for_function("() => { const d = document.querySelector('#retention'); return d.open"
                               " && d.dataset.models === 'lesson,lesson-rnn'"
                               " && d.getAttribute('aria-busy') !== 'true'; }")
        page.wait_for_timeout(800)
        page.locator("#retention").screenshot(path=args.out / "screenshot-retention.png")
        page.goto(f"{base}/?model=lesson-gru")
        page.wait_for_function(settled)
        click_cell(page, "kept", t, tense_unit("lesson-gru"))
        page.mouse.move(0, 0)
        page.locator(f'.step-heading[data-step="{t}"]').wait_for()
        page.wait_for_timeout(500)
        page.locator(".details .detail-panel").first.screenshot(path=args.out / "screenshot-gru-step.png")
        browser.close()
    print(f"wrote screenshots to {args.out}")


if __name__ == "__main__":
    main()
