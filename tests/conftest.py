"""Shared fixtures. BLAS runs with one thread in tests, as in the server (set before NumPy loads)."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
