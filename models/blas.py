"""One BLAS thread for scikit-learn's small fits and forecasts."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> threadpool_limits:
    """A context with one BLAS thread, for scikit-learn's small fits and forecasts.

    On these tiny matrices OpenBLAS threads only contend (lbfgs fits ran 5-60x slower on a
    busy 2-core machine), and the machine's thread count cannot move a result. The CPU can:
    OpenBLAS picks its kernels by CPU (Haswell, SkylakeX, ...), their sums differ in the last
    bits, and lbfgs on a non-convex loss turns that into another local optimum for some seeds
    (docs/reproducibility.md).
    """
    return threadpool_limits(limits=1, user_api="blas")
