"""The Train panel (mode=train, static/js/views/train.js) in real Chromium against a real server's training jobs: play
a small race of an LSTM and an RNN, see the loss curves and the probe's heatmaps fill in and the accuracies equal the
event stream's, scrub back through the snapshots, open the link (it shows the same knobs and listens to the same
jobs again, starting none), open the trained model; the first screen at a laptop's and a projector's size; the
tour's last step; the mirrored tasks, cells and bounds equal the server's schema."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.page.pages import watched_page
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

RUNS = "document.querySelectorAll('#train .train-run')"
ALL_ENDED = (f"() => {RUNS}.length > 0"
             f" && [...{RUNS}].every(r => ['finished', 'cancelled', 'failed'].includes(r.dataset.status))")
DRAWN = (f"() => {RUNS}.length === 2 && [...{RUNS}].every(r => Number(r.dataset.points) > 0"
         " && r.querySelector('canvas.train-canvas'))")
SETTLED = ("() => document.querySelector('#heatmaps .heatmap-plot') && document.querySelector('#results')"
           ".getAttribute('aria-busy') === 'false'")


@pytest.fixture(scope="module")
def train_server():
    """The bundled models and two training slots, so a race of two small jobs trains side by side in seconds."""
    from app.serving.app import create_app
    from app.serving.config import Settings

    with serve(create_app(Settings(job_slots=2, job_queue=6))) as base:
        yield base


def set_knob(page, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.locator(selector).dispatch_event("change")


def events(base: str, job_id: str) -> list[dict]:
    """A job's whole event stream, listened to again from the first event over HTTP."""
    out, fields = [], {}
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events?after=0", timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith((":", "retry:")):
                continue
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
            elif fields:
                out.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
                fields = {}
                if out[-1]["event"] in ("finished", "cancelled", "error"):
                    break
    return out


def column(page, cell: str) -> str:
    return f"#train .train-run[data-cell={cell}]"


def test_play_a_race_watch_it_fill_in_scrub_back_and_open_the_link_and_the_model(browser, train_server):
    base = train_server
    with watched_page(browser, base) as page:
        page.goto(f"{base}/?mode=train")
        page.locator("#train-play").wait_for()
        assert page.locator("#mode-buttons [data-mode=train]").get_attribute("aria-pressed") == "true"
        page.locator("#train input[data-cell=rnn]").check()
        page.locator("#train input[data-cell=rnn]").dispatch_event("change")
        set_knob(page, "#train-steps", "60")
        set_knob(page, "#train-distance-min", "2")
        set_knob(page, "#train-distance-max", "4")
        set_knob(page, "#train-seed", "3")
        page.locator("#train-play").click()
        page.wait_for_function(DRAWN)  # the loss curves have points and the heatmaps are drawn, while it trains
        page.wait_for_function(ALL_ENDED)
        statuses = page.evaluate(f"() => [...{RUNS}].map(r => [r.dataset.cell, r.dataset.status, r.dataset.job])")
        assert [(c, s) for c, s, _ in statuses] == [("lstm", "finished"), ("rnn", "finished")]
        ids = [j for _, _, j in statuses]

        # What the charts show is what the stream said: every progress event's loss, the last one's accuracies.
        models = {}
        for cell, job_id in zip(("lstm", "rnn"), ids, strict=True):
            stream = events(base, job_id)
            progress = [e["data"] for e in stream if e["event"] == "progress"]
            finished = stream[-1]
            assert finished["event"] == "finished" and finished["data"]["model"].startswith("job-")
            models[cell] = finished["data"]["model"]
            assert httpx.get(f"{base}/api/jobs/{job_id}").json()["model"] == models[cell]
            chart = page.evaluate(f"() => {{ const l = document.querySelector('{column(page, cell)} .train-loss')"
                                  ".data[0];"
                                  f" const a = document.querySelector('{column(page, cell)} .train-accuracy').data[0];"
                                  " return {x: [...l.x], y: [...l.y], d: [...a.x], acc: [...a.y]}; }")
            assert chart["x"] == [p["step"] for p in progress] and chart["y"] == [p["loss"] for p in progress]
            by_distance = sorted(finished["data"]["accuracy"].items(), key=lambda kv: int(kv[0]))
            assert chart["d"] == [d for d, _ in by_distance] == ["2", "3", "4"]
            assert chart["acc"] == [a for _, a in by_distance] == [progress[-1]["accuracy"][d] for d, _ in by_distance]
            shown = page.locator(f"{column(page, cell)} .train-mean").text_content()
            assert shown == f"held-out accuracy {round(progress[-1]['mean_accuracy'] * 100)}\u00a0% (chance 50\u00a0%)"
            snapshots = [e["data"] for e in stream if e["event"] == "snapshot"]
            assert page.evaluate(f"() => document.querySelector('{column(page, cell)}').dataset.snapshot") == \
                str(snapshots[-1]["step"])

        # Scrub the LSTM's probe back to step 0: its forget gate's heatmap changes.
        gate = f"{column(page, 'lstm')} canvas[data-quantity=f]"
        last = page.evaluate(f"() => document.querySelector('{gate}').toDataURL()")
        assert page.locator(gate).get_attribute("data-step") == "60"
        slider = page.locator(f"{column(page, 'lstm')} .train-slider")
        slider.evaluate("s => { s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); }")
        page.wait_for_function(f"() => document.querySelector('{gate}').dataset.step === '0'")
        assert page.evaluate(f"() => document.querySelector('{gate}').toDataURL()") != last
        assert "gates at step 0" in page.locator(f"{column(page, 'lstm')} .train-scrub").text_content()
        tokens = page.locator(f"{column(page, 'lstm')} .train-sentence").text_content()
        assert tokens.startswith("Last") and "4 filler words" in tokens and "I" in tokens

        # The link carries the knobs and the jobs.
        page.wait_for_function("() => location.search.includes('train_jobs=')")
        query = parse_qs(urlsplit(page.url).query)
        assert query["mode"] == ["train"] and query["train_cells"] == ["lstm,rnn"]
        assert query["train_distance"] == ["2-4"] and query["train_steps"] == ["60"] and query["train_seed"] == ["3"]
        assert query["train_jobs"] == [",".join(ids)]
        link = page.url
        kept = httpx.get(f"{base}/api/jobs").json()["kept"]

        # Opened again, the link shows the same knobs and replays the same jobs: no new one is started.
        with watched_page(browser, base) as again:
            again.goto(link)
            again.wait_for_function(ALL_ENDED)
            assert again.locator("#train-steps").input_value() == "60"
            assert again.locator("#train-distance-max").input_value() == "4"
            assert again.locator("#train-seed").input_value() == "3"
            assert again.locator("#train input[data-cell=rnn]").is_checked()
            assert again.evaluate(f"() => [...{RUNS}].map(r => r.dataset.job)") == ids
            again.wait_for_function(f"() => [...{RUNS}].every(r => r.dataset.bars)")
            for cell in ("lstm", "rnn"):
                assert again.evaluate(f"() => document.querySelector('{column(again, cell)}').dataset.bars") == \
                    page.evaluate(f"() => document.querySelector('{column(page, cell)}').dataset.bars")
            assert again.locator("#train-status").text_content().startswith(
                "Finished: LSTM vs RNN on tense, 2–4 words apart, seed 3.")
        assert httpx.get(f"{base}/api/jobs").json()["kept"] == kept

        # "Open this model": the trained LSTM in the main view, over its probe sentence.
        page.locator(f"{column(page, 'lstm')} .train-open").click()
        page.wait_for_function(SETTLED)
        assert page.locator("#model").input_value() == models["lstm"]
        assert page.evaluate("() => document.body.dataset.mode") == "explore"
        assert page.locator("#train").is_hidden()
        assert page.locator("#text").input_value().startswith("Last year")


@pytest.mark.parametrize("size", [(1280, 900), (1024, 768)], ids=["1280x900", "1024x768"])
def test_the_knobs_play_and_the_race_s_charts_are_the_first_screen(browser, train_server, size):
    base = train_server
    width, height = size
    with watched_page(browser, base, viewport={"width": width, "height": height}) as page:
        page.goto(f"{base}/?mode=train")
        page.locator(".train-preset").click()
        assert page.locator("#train input[data-cell=rnn]").is_checked()
        assert page.locator("#train input[data-cell=lstm]").is_checked()
        assert page.locator("#train-distance-max").input_value() == "30"
        set_knob(page, "#train-steps", "40")
        page.locator("#train-play").click()
        page.wait_for_function(DRAWN)
        page.wait_for_function(ALL_ENDED)
        assert page.evaluate("() => scrollY") == 0
        for selector in ("#train-task", "#train-play", "#train-stop", ".train-preset"):
            box = page.locator(selector).bounding_box()
            assert box["y"] + box["height"] <= height
        bottoms = page.evaluate(f"() => [...{RUNS}].map(r => [...r.querySelectorAll('.train-charts, .train-maps')]"
                                ".map(e => e.getBoundingClientRect().bottom))")
        assert all(b <= height for column_bottoms in bottoms for b in column_bottoms), bottoms
        titles = page.evaluate(f"() => [...{RUNS}].map(r => r.querySelector('.train-run-title').textContent)")
        assert titles == ["RNN", "LSTM"]


def test_presenter_mode_and_a_phone_keep_the_panel_readable(browser, train_server):
    base = train_server
    with watched_page(browser, base, viewport={"width": 1024, "height": 768}) as page:
        page.goto(f"{base}/?mode=train&presenter=1")
        page.locator("#train-play").wait_for()
        size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.train-title')).fontSize)")
        assert size >= 20
    with watched_page(browser, base, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True) as page:
        page.goto(f"{base}/?mode=train&train_cells=rnn,lstm&train_steps=20&train_distance=1-2")
        page.locator("#train-play").tap()
        page.wait_for_function(DRAWN)
        page.wait_for_function(ALL_ENDED)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_tours_last_step_opens_the_race_in_the_train_panel(browser, train_server):
    base = train_server
    with watched_page(browser, base) as page:
        page.goto(f"{base}/?mode=tour&tour=12")
        page.locator("#tour").get_by_text("Train it live: RNN vs LSTM").wait_for()
        page.locator("#train-play").wait_for()
        assert page.locator("#train").is_visible()
        page.wait_for_function("() => document.querySelector('#train input[data-cell=rnn]').checked")
        assert page.locator("#train-distance-max").input_value() == "30"
        assert page.locator("#train-play").text_content() == "▶ Play: race"
        page.locator("#tour .tour-next").click()  # "Finish ✓": the tour and the panel close
        page.wait_for_function("() => document.body.dataset.mode === 'explore'")
        assert page.locator("#train").is_hidden()


def test_the_pages_tasks_cells_and_bounds_are_the_servers(browser, train_server):
    """core/state.js and core/train_plan.js mirror POST /api/jobs's schema and app/training's tasks: kept equal here."""
    from app.training.live import BOUNDS
    from app.training.tasks import TASKS

    base = train_server
    schema = httpx.get(f"{base}/openapi.json").json()
    body = schema["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    with watched_page(browser, base) as page:
        page.goto(f"{base}/")
        page_side = page.evaluate("""async () => {
            const state = await import('/static/js/core/state.js');
            const plan = await import('/static/js/core/train_plan.js');
            return {tasks: [...state.TRAIN_TASKS], cells: [...state.TRAIN_CELLS], defaults: plan.DEFAULTS,
                    bounds: plan.BOUNDS, distances: Object.fromEntries(Object.entries(plan.TASKS)
                      .map(([k, t]) => [k, t.distance]))};
        }""")
    assert page_side["tasks"] == body["task"]["enum"] and page_side["tasks"][0] == body["task"]["default"]
    assert sorted(page_side["cells"]) == sorted(body["cell"]["enum"])
    assert page_side["cells"][0] == body["cell"]["default"]
    defaults = page_side["defaults"]
    assert (defaults["hidden"], defaults["lr"], defaults["steps"], defaults["seed"]) == (
        body["hidden_size"]["default"], body["learning_rate"]["default"], body["steps"]["default"],
        body["seed"]["default"])
    bounds = page_side["bounds"]
    assert bounds["hidden"] == list(BOUNDS["hidden_size"]) and bounds["steps"] == list(BOUNDS["steps"])
    assert bounds["lr"] == list(BOUNDS["learning_rate"]) and bounds["distance"] == list(BOUNDS["distance_max"])
    assert bounds["seed"][0] == BOUNDS["seed"][0] and bounds["seed"][1] <= BOUNDS["seed"][1]
    for name, task in TASKS.items():
        assert tuple(page_side["distances"][name]) == task.default_distance, name
