"""Reruns of a small Zhang-like config in fresh processes under other BLAS thread counts.

The contract (docs/reproducibility.md): the BLAS thread count moves no forecast by a single bit.
Another CPU's BLAS kernels are measured by benchmarks/speed/blas_kernels.py, not here: a test
never changes the kernel (OPENBLAS_CORETYPE), since some machines set it to compute right.
"""

from __future__ import annotations

from forecast_bench.benchmarks.speed.blas_kernels import MODELS, rerun


def test_blas_thread_count_moves_no_forecast_by_a_bit():
    one = rerun()
    two = rerun(OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    for name in MODELS:
        assert two[name] == one[name], name
