"""One BLAS thread per process: two threads per request made a loaded 2-core server 10-700x slower."""

from __future__ import annotations

import os

_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> None:
    """Set the environment (for NumPy loaded later and for worker processes) and limit the BLAS
    already loaded in this process."""
    for var in _VARS:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
