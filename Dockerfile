# LSTM Gate Visualizer: the app with its bundled models, served on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    MALLOC_ARENA_MAX=2

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
COPY static ./static
COPY templates ./templates
COPY models ./models
# The runtime dependencies only: the test tools are the optional extra [test], not installed here.
RUN pip install . && rm -rf /src

RUN useradd --create-home --uid 10001 viz
USER viz
WORKDIR /home/viz
# lesson's state index for "Find more like this" (a few seconds), in the image: ~/.local/share/lstm-viz.
RUN lstm-viz index lesson
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

# One worker per core: on more cores run `lstm-viz serve --host 0.0.0.0 --port 8000 --workers N`. Extra models:
# mount a folder and set LSTM_VIZ_MODELS_DIR; limits: LSTM_VIZ_MAX_CHARS etc. (docs/deploy.md). The server writes
# no files, so a read-only root filesystem works. uvicorn stops gracefully on Docker's SIGTERM.
CMD ["lstm-viz", "serve", "--host", "0.0.0.0", "--port", "8000"]
