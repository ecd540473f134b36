"""Live training jobs (POST /api/jobs): a FIFO queue, a few training slots per worker, each running job in a
process of its own (app/serving/job_process.py), its events kept for the listeners, its model served until it
expires. No HTTP here: refusals are InputError with a status.

A job's life: queued -> running -> finished | stopped (resumable: queued again by resume) | cancelled | failed.
- Slots: at most `job_slots` run at once per worker; at most `job_queue` wait (more: 503). A job's queue position
  is 1 for the next to start; every change of position is an event.
- Listeners: a queued or running job that nobody has listened to (GET …/events) for `job_listen_grace` seconds is
  cancelled, as is one running longer than `job_max_seconds`. A stopped job waits for resume without a listener.
- Memory: each job's process while it runs (a small network: ~60-80 MB of interpreter and NumPy); per job record
  its events (progress events and at most MAX_SNAPSHOTS snapshots, a few kB each at H = 16); at most `job_max`
  records per worker, the oldest ended one dropped first; a job's record and its model expire `job_ttl` seconds
  after it ended (finished, cancelled, failed) or stopped.
- The model: a finished job's parameters become model `job-<random>` (a card saying what it is; not the job's id,
  which /api/models would otherwise show to everyone), added to the worker's
  models (app.state.models, replaced whole, never changed in place) so /api/trace, /api/step and /api/models use
  it until it expires.
Events carry increasing ids per job; a listener that reconnects with Last-Event-ID gets every event after it (the
record keeps them all while the job exists).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from app.model_store import Model, model_in_memory
from app.serving.config import Settings
from app.serving.service import InputError
from app.training.live import LiveConfig, card

log = logging.getLogger(__name__)

MODEL_PREFIX = "job-"
ENDED = ("finished", "cancelled", "failed")  # a job in one of these states never changes again
TERMINAL_EVENTS = ("finished", "cancelled", "error")  # the stream of a job ends after one of these
MAX_SNAPSHOTS = 20  # snapshots per job (the request's snapshot_every is checked against it)
WATCH_EVERY = 0.5  # seconds between the watchdog's looks at listeners, run times and expiry


@dataclass
class Event:
    id: int
    kind: str
    data: bytes  # JSON

    def sse(self) -> bytes:
        return b"id: %d\nevent: %s\ndata: %s\n\n" % (self.id, self.kind.encode(), self.data)


@dataclass
class Job:
    id: str
    config: LiveConfig
    created: float
    status: str = "queued"  # queued, running, stopped, finished, cancelled, failed
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    listeners: int = 0
    unheard_since: float = 0.0  # when the last listener left (or the job was made)
    step: int = 0
    state: object = None  # the RunState of a stopped job
    process: object = None
    stop: object = None  # the multiprocessing.Event asking the process to stop
    started: float = 0.0  # when it last started running
    ended: float | None = None  # when it ended or stopped (its expiry counts from here)
    model_id: str | None = None
    detail: str = ""  # why it was cancelled or failed

    model_name: str = field(default_factory=lambda: f"{MODEL_PREFIX}{secrets.token_hex(6)}")  # not the job's id:
    #                       /api/models lists the model to everyone, and the job's id is what may stop or delete it


class Jobs:
    """The worker's jobs. All methods run on the event loop (the pipe readers hand their messages to it)."""

    def __init__(self, settings: Settings, models: Callable[[], dict[str, Model]],
                 set_models: Callable[[dict[str, Model]], None]) -> None:
        self.settings = settings
        self.models, self.set_models = models, set_models
        self.jobs: dict[str, Job] = {}
        self.queue: list[Job] = []
        self.running: list[Job] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.watchdog: asyncio.Task | None = None
        self.context = multiprocessing.get_context("spawn")

    # ---- the requests

    def create(self, config: LiveConfig) -> Job:
        self._start_watchdog()
        if self.settings.job_slots == 0:
            raise InputError("training jobs are turned off on this server (LSTM_VIZ_JOB_SLOTS=0)", 503)
        self._make_room()
        self._check_queue()
        job = Job(secrets.token_hex(6), config, time.monotonic(), unheard_since=time.monotonic())
        self.jobs[job.id] = job
        self._enqueue(job)
        return job

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            shown = job_id if len(job_id) <= 32 else job_id[:31] + "…"
            raise InputError(f"unknown job {shown!r}: it expired (jobs are kept {self.settings.job_ttl:g} s after "
                             "they end) or never existed; start one with POST /api/jobs", 404)
        return job

    def stop(self, job_id: str) -> Job:
        """Pause: a running job's process hands back its state and the slot goes to the next; a queued one leaves
        the queue. Resume goes on from the same step, with the same batches."""
        job = self.get(job_id)
        if job.status == "running":
            job.stop.set()  # the process answers ("stopped", state) at its next step
        elif job.status == "queued":
            self.queue.remove(job)
            self._stopped(job, job.state)
            self._positions()
        elif job.status != "stopped":
            raise InputError(f"job {job.id} has {job.status}: only a queued or running job can be stopped", 409)
        return job

    def resume(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status != "stopped":
            raise InputError(f"job {job.id} is {job.status}: only a stopped job can be resumed", 409)
        self._check_queue()
        job.ended = None
        job.unheard_since = time.monotonic()
        self._enqueue(job)
        return job

    def delete(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status not in ENDED and job.status != "stopped":
            self._cancel(job, "deleted")
        self._forget(job)
        return job

    def status(self, job: Job) -> dict:
        position = self.queue.index(job) + 1 if job in self.queue else 0
        expires = None
        if job.ended is not None:
            expires = max(0.0, round(job.ended + self.settings.job_ttl - time.monotonic(), 1))
        return {"id": job.id, "status": job.status, "position": position, "step": job.step,
                "steps": job.config.steps, "model": job.model_id, "expires_in_s": expires,
                "last_event_id": job.events[-1].id if job.events else 0, "detail": job.detail,
                "config": job.config.as_dict()}

    def summary(self) -> dict:
        return {"slots": self.settings.job_slots, "running": len(self.running), "waiting": len(self.queue),
                "queue_limit": self.settings.job_queue, "kept": len(self.jobs), "kept_limit": self.settings.job_max}

    # ---- listening

    async def listen(self, job: Job, after: int):
        """Every event after id `after`, then each new one as it comes, until the job's stream ends (a terminal
        event, or the job forgotten). Counts as a listener while it runs."""
        job.listeners += 1
        try:
            sent = after
            while True:
                new = [e for e in job.events if e.id > sent]
                for event in new:
                    yield event
                    sent = event.id
                if (job.events and job.events[-1].kind in TERMINAL_EVENTS and sent >= job.events[-1].id) \
                        or self.jobs.get(job.id) is not job:
                    return
                if not new:
                    waiter = job.changed
                    try:
                        await asyncio.wait_for(waiter.wait(), timeout=15)
                    except TimeoutError:
                        yield None  # a keep-alive
        finally:
            job.listeners -= 1
            if job.listeners == 0:
                job.unheard_since = time.monotonic()

    # ---- the machinery

    def _start_watchdog(self) -> None:
        if self.watchdog is None or self.watchdog.done():
            self.loop = asyncio.get_running_loop()
            self.watchdog = self.loop.create_task(self._watch())

    def _check_queue(self) -> None:
        if len(self.queue) >= self.settings.job_queue and len(self.running) >= self.settings.job_slots:
            raise InputError(f"all {self.settings.job_slots} training slot(s) are busy and {len(self.queue)} job(s) "
                             "wait, the most this server queues: try again in a minute", 503)

    def _make_room(self) -> None:
        """At most job_max records: drop the oldest ended (or stopped) ones; refuse when every one is active."""
        while len(self.jobs) >= self.settings.job_max:
            idle = [j for j in self.jobs.values() if j.status in ENDED or j.status == "stopped"]
            if not idle:
                raise InputError(f"this server holds {len(self.jobs)} jobs, its limit: try again when one ends", 503)
            self._forget(min(idle, key=lambda j: j.ended or 0.0))

    def _emit(self, job: Job, kind: str, data: dict) -> None:
        if kind == "snapshot" and sum(e.kind == "snapshot" for e in job.events) >= MAX_SNAPSHOTS + 1:
            return  # bounded (snapshot_every is checked against it; this is the backstop)
        job.events.append(Event(len(job.events) + 1, kind, orjson.dumps(data)))
        job.changed.set()
        job.changed = asyncio.Event()

    def _enqueue(self, job: Job) -> None:
        job.status = "queued"
        self.queue.append(job)
        self._emit(job, "queued", {"position": len(self.queue), "step": job.step})
        self._start_next()

    def _positions(self) -> None:
        for k, job in enumerate(self.queue):
            self._emit(job, "queued", {"position": k + 1, "step": job.step})

    def _start_next(self) -> None:
        started = False
        while self.queue and len(self.running) < self.settings.job_slots:
            job = self.queue.pop(0)
            self._launch(job)
            started = True
        if started:
            self._positions()

    def _launch(self, job: Job) -> None:
        from app.serving import job_process

        receive, send = self.context.Pipe(duplex=False)
        job.stop = self.context.Event()
        job.process = self.context.Process(target=job_process.main, name=f"lstm-viz job {job.id}", daemon=True,
                                           args=(job.config.as_dict(), job.state, send, job.stop))
        job.status, job.started, job.state = "running", time.monotonic(), None
        self.running.append(job)
        try:
            job.process.start()
        except OSError as e:
            self.running.remove(job)
            self._end(job, "failed", "error", f"the training process could not start: {e}")
            return
        finally:
            send.close()  # the child holds its own end: EOF here when it exits
        self._emit(job, "started", {"step": job.step, "pid": job.process.pid})
        threading.Thread(target=self._pump, args=(job, job.process, receive), daemon=True,
                         name=f"job {job.id} pipe").start()

    def _pump(self, job: Job, process, receive) -> None:
        """In a thread: hand each message of the job's process to the event loop; at EOF, say so."""
        try:
            while True:
                message = receive.recv()
                self.loop.call_soon_threadsafe(self._on_message, job, process, message)
                if message[0] != "event":
                    break
        except (EOFError, OSError):
            pass
        except RuntimeError:  # the event loop closed: the app stopped (close() ended the process)
            return
        finally:
            receive.close()
            process.join(timeout=5)
        try:
            self.loop.call_soon_threadsafe(self._on_exit, job, process)
        except RuntimeError:
            pass

    def _on_message(self, job: Job, process, message: tuple) -> None:
        if job.process is not process or job.status != "running":
            return  # a cancelled job's last words
        kind = message[0]
        if kind == "event":
            _, event, data = message
            job.step = data.get("step", job.step)
            self._emit(job, event, data)
        elif kind == "stopped":
            self._release(job)
            job.step = message[1].step
            self._stopped(job, message[1])
            self._start_next()
        elif kind == "finished":
            self._release(job)
            self._finish(job, message[1])
            self._start_next()
        else:
            self._release(job)
            self._end(job, "failed", "error", f"training failed: {message[1]}")
            self._start_next()

    def _on_exit(self, job: Job, process) -> None:
        if job.process is process and job.status == "running":  # it died without a word (killed, out of memory)
            self._release(job)
            code = process.exitcode
            self._end(job, "failed", "error", f"the training process stopped unexpectedly (exit code {code})")
            self._start_next()

    def _release(self, job: Job) -> None:
        if job in self.running:
            self.running.remove(job)

    def _stopped(self, job: Job, state) -> None:
        job.status, job.state, job.ended = "stopped", state, time.monotonic()
        self._emit(job, "stopped", {"step": job.step})

    def _finish(self, job: Job, result: dict) -> None:
        command = f"POST /api/jobs {orjson.dumps(job.config.as_dict()).decode()}"
        model_card = card(job.config, job.model_name, result["step"], result["wall_time_s"], result["accuracy"],
                          command=command)
        model_card["expires"] = f"a live training job's model: served for {self.settings.job_ttl:g} s"
        try:
            model = model_in_memory(model_card, result["tensors"])
        except Exception as e:  # noqa: BLE001 - e.g. weights that overflow: the job failed, the worker serves on
            self._end(job, "failed", "error", f"the trained model could not be served: {e}")
            return
        self.set_models({**self.models(), model.id: model})
        job.model_id, job.step = model.id, result["step"]
        self._end(job, "finished", "finished", "", {"model": model.id, "version": model.version,
                                                    "step": result["step"], "accuracy": result["accuracy"],
                                                    "wall_time_s": result["wall_time_s"],
                                                    "expires_in_s": self.settings.job_ttl})

    def _end(self, job: Job, status: str, event: str, detail: str, data: dict | None = None) -> None:
        job.status, job.detail, job.ended, job.state = status, detail, time.monotonic(), None
        self._emit(job, event, data if data is not None else {"detail": detail, "step": job.step})

    def _cancel(self, job: Job, reason: str) -> None:
        if job in self.queue:
            self.queue.remove(job)
            self._positions()
        if job.status == "running":
            self._release(job)
            job.process.terminate()  # the pump sees EOF and joins it
            self._start_next()
        self._end(job, "cancelled", "cancelled", reason)

    def _forget(self, job: Job) -> None:
        self.jobs.pop(job.id, None)
        job.changed.set()  # its listeners end
        if job.model_id is not None and job.model_id in self.models():
            self.set_models({k: m for k, m in self.models().items() if k != job.model_id})

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_EVERY)
            try:
                self.check(time.monotonic())
            except Exception:  # noqa: BLE001 - the watchdog must outlive a bug in one check
                log.exception("the jobs' watchdog failed")

    def check(self, now: float) -> None:
        """Cancel the unheard and the overlong; forget what expired."""
        s = self.settings
        for job in list(self.jobs.values()):
            if job.status in ("queued", "running") and job.listeners == 0 and now - job.unheard_since > \
                    s.job_listen_grace:
                self._cancel(job, f"nobody listened for {s.job_listen_grace:g} s (GET /api/jobs/{job.id}/events)")
            elif job.status == "running" and now - job.started > s.job_max_seconds:
                self._cancel(job, f"it ran longer than job_max_seconds = {s.job_max_seconds:g} s: ask for fewer steps")
            elif job.ended is not None and now - job.ended > s.job_ttl:
                self._forget(job)

    def close(self) -> None:
        """Stop every process (the app is stopping)."""
        if self.watchdog is not None:
            self.watchdog.cancel()
        for job in list(self.running):
            job.process.terminate()
        for job in list(self.running):
            job.process.join(timeout=5)
