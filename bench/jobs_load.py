"""A class typing while live training jobs train: keystroke latency with and without jobs, and the jobs' times.

    python bench/jobs_load.py [--students 20] [--duration 30] [--jobs 4] [--port 8811] [--seed 0]

Starts `lstm-viz serve` on a loopback port with LSTM_VIZ_JOB_SLOTS = --jobs (each job a process of its own, at a
lower CPU priority), then:
1. one default job alone (POST /api/jobs {"task": "tense"}: H = 16, distances 0-30, 2,000 steps) and how long it
   takes from POST to its `finished` event (the ≤ 30 s target), with its held-out accuracy;
2. the students of bench/load.py typing (keystroke traces of the bundled models over HTTP, the page's requests)
   for --duration seconds without jobs: latency percentiles;
3. the same students for --duration seconds while --jobs default jobs train (LSTM and vanilla RNN alternating,
   each listened to over its event stream as the page would): latency percentiles, and each job's time and
   accuracy at the longest distance.
Prints the figures (docs/performance.md and docs/training_live.md quote them). Exit status 0, or 2 when no run
happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (bench/load.py: the server, the students, percentiles)

DEFAULT_JOB = {"task": "tense"}


async def run_job(client: httpx.AsyncClient, request: dict) -> dict:
    """POST a job, listen to its events until it ends; its time from POST to the end and its last figures."""
    started = time.perf_counter()
    response = await client.post("/api/jobs", json=request)
    if response.status_code != 201:
        return {"error": f"{response.status_code} {response.text[:200]}", "request": request}
    job = response.json()
    last, progress = None, None
    async with client.stream("GET", f"/api/jobs/{job['id']}/events", timeout=None) as stream:
        event = None
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "progress":
                    progress = data
                if event in ("finished", "cancelled", "error"):
                    last = (event, data)
                    break
    return {"id": job["id"], "request": request, "seconds": time.perf_counter() - started, "end": last,
            "progress": progress}


def job_line(result: dict) -> str:
    if "error" in result:
        return f"  job {result['request']}: refused {result['error']}"
    event, data = result["end"]
    acc = result["progress"]["accuracy"] if result["progress"] else {}
    longest = max(acc, key=int) if acc else None
    where = f", accuracy at {longest} words {acc[longest]:.2f} (mean {result['progress']['mean_accuracy']:.2f})" \
        if longest else ""
    return (f"  job {result['request'].get('cell', 'lstm'):<5} {event}: {result['seconds']:.1f} s from POST to "
            f"`{event}`, training {data.get('wall_time_s', float('nan')):.1f} s{where}")


async def typing(args, base: str, mats, seconds: float) -> list[float]:
    loop = asyncio.get_running_loop()
    outcomes: list = []
    start = loop.time() + 0.2
    await asyncio.gather(*(load.student(k, base, args.seed, args.rate, start, start + seconds, mats, outcomes)
                           for k in range(args.students)))
    return [1000 * (o.ended - o.started) for o in outcomes if 200 <= o.status < 300]


def latency_line(name: str, ms: list[float]) -> str:
    if not ms:
        return f"{name}: no request completed"
    p = load.percentile
    return (f"{name}: {len(ms)} keystroke traces, p50 {p(ms, 50):.1f} ms, p95 {p(ms, 95):.1f} ms, "
            f"p99 {p(ms, 99):.1f} ms, max {max(ms):.1f} ms")


async def main_async(args, base: str, mats) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        print(f"machine   {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        if not args.skip_alone:
            alone = await run_job(client, DEFAULT_JOB)
            print("default job alone (tense, LSTM, H = 16, distances 0-30, 2,000 steps):")
            print(job_line(alone))
        quiet = await typing(args, base, mats, args.duration)
        print(latency_line(f"typing without jobs ({args.students} students, {args.duration:g} s)", quiet))
        requests = [{**DEFAULT_JOB, "cell": "lstm" if k % 2 == 0 else "rnn", "seed": k} for k in range(args.jobs)]
        jobs = asyncio.gather(*(run_job(client, r) for r in requests))
        busy = await typing(args, base, mats, args.duration)
        print(latency_line(f"typing while {args.jobs} jobs train", busy))
        for result in await jobs:
            print(job_line(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20, help="students typing at once (1-200)")
    parser.add_argument("--rate", type=float, default=3.0, help="trace requests per second per student")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of typing per phase (5-600)")
    parser.add_argument("--jobs", type=int, default=4, help="jobs training at once in phase 3 (1-8)")
    parser.add_argument("--port", type=int, default=8811, help="loopback port of the server this script starts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the texts and timings")
    parser.add_argument("--skip-alone", action="store_true", help="skip the default job alone")
    args = parser.parse_args(argv)
    if not (1 <= args.students <= 200 and 5 <= args.duration <= 600 and 1 <= args.jobs <= 8):
        parser.error("out of bounds: 1-200 students, 5-600 s, 1-8 jobs")
    os.environ["LSTM_VIZ_JOB_SLOTS"] = str(args.jobs)  # the server this script starts reads them
    os.environ["LSTM_VIZ_JOB_QUEUE"] = str(args.jobs)
    os.environ["LSTM_VIZ_JOB_MAX_SECONDS"] = "600"
    server = None
    with tempfile.TemporaryDirectory(prefix="lstm-viz-jobs-") as tmp:
        log = Path(tmp) / "server.log"
        try:
            base = f"http://127.0.0.1:{args.port}"
            server = load.start_server(args.port, 1, log)
            load.wait_until_ready(base, server, 1, log)
            mats = load.materials(base, ["lesson", "shakespeare"])
            asyncio.run(main_async(args, base, mats))
        except SystemExit as e:
            print(e.code, file=sys.stderr)
            return 2
        finally:
            if server is not None:
                load.stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
