"""Settings, read from the environment with the prefix LSTM_VIZ_ (e.g. LSTM_VIZ_MAX_TOKENS=500)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LSTM_VIZ_")

    models_dir: Path | None = Field(None, description="A folder of extra models, loaded after the bundled ones.")
    bundled_models: bool = Field(True, description="Load the models shipped with the package.")
    default_model: str = Field("lesson", description="The model listed first and opened by the page.")
    max_chars: int = Field(10_000, ge=1, description="Longest text accepted, in code points.")
    max_tokens: int = Field(2_000, ge=1, description="Most tokens one trace may have.")
    max_top_k: int = Field(50, ge=0, description="Largest top_k (next-token predictions per step).")
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="Largest request body, in bytes.")
    compute_slots: int = Field(2, ge=1, description="Traces computed at once per worker process; more wait.")
    head_timeout: float = Field(10.0, gt=0, description="Seconds a connection may take to send a request's head "
                                "(line and headers) before it is closed.")
    body_timeout: float = Field(30.0, gt=0, description="Seconds a request may take to send its whole body before "
                                "it is answered 408.")
    write_timeout: float = Field(30.0, gt=0, description="Seconds an answer may stay unread (the client reads "
                                 "nothing) before its connection is dropped.")
    max_connections: int = Field(0, ge=0, description="Open connections per worker process above which the one "
                                 "idle the longest is closed; 0: the open-file limit less 64.")
    large_answer_mb: float = Field(4.0, gt=0, description="Answers estimated above this many MiB (long texts in "
                                   "full, as JSON) take the large lane: one at a time per worker process, so they "
                                   "cannot hold every compute slot or pile up in memory.")
    large_queue: int = Field(8, ge=0, description="Requests that may wait for the large lane per worker process; "
                             "more are answered 503 with Retry-After.")
    lane_at_start: bool = Field(False, description="Start the process that computes large traces with the worker "
                                "(`lstm-viz serve` does), not at the first large trace.")
    data_dir: Path | None = Field(None, description="Where state indexes live (`lstm-viz index`): a model's index is "
                                  "opened when this folder has one for its id and version; default "
                                  "$XDG_DATA_HOME/lstm-viz or ~/.local/share/lstm-viz.")
    trace_cache_mb: int = Field(64, ge=0, description="Memory for recent traces per worker process, in MiB "
                                "(a text that extends a recent one computes only its new steps); 0 turns it off.")
    job_slots: int = Field(2, ge=0, description="Live training jobs (POST /api/jobs) running at once per worker "
                           "process, each in a process of its own (2: a race of two cells side by side); 0 turns "
                           "training off.")
    job_queue: int = Field(4, ge=0, description="Training jobs that may wait for a slot per worker process; more are "
                           "answered 503.")
    job_listen_grace: float = Field(10.0, gt=0, description="Seconds a queued or running job may go without a "
                                    "listener (GET /api/jobs/{id}/events) before it is cancelled.")
    job_max_seconds: float = Field(300.0, gt=0, description="Seconds a training job may run before it is cancelled.")
    job_ttl: float = Field(1800.0, gt=0, description="Seconds a job (and a finished job's model, `job-…`) is kept "
                           "after it ends or stops.")
    job_max: int = Field(16, ge=1, description="Jobs kept per worker process (the oldest ended ones are dropped "
                         "first; when all are active, a new one is answered 503).")


@lru_cache
def get_settings() -> Settings:
    return Settings()
