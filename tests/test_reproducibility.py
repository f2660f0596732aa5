"""Reruns of a small Zhang-like config in fresh processes under other BLAS settings.

The contract (README, "Which figures are bit-identical across machines, and which within a
tolerance"): the BLAS thread count moves no forecast by a single bit; another CPU's BLAS
kernels (simulated with OpenBLAS's OPENBLAS_CORETYPE) move ARIMA by less than ARIMA_RTOL, and
may send an lbfgs network to another local optimum, so the MLP rows are compared over seeds,
not bit by bit.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARIMA_RTOL = 1e-5  # another CPU's kernels; the thread count: bit-identical
MLP = {"lags": 4, "hidden": [3], "n_seeds": 3, "max_iter": 300}
CHILD = f"""
import json, sys, warnings
import numpy as np
from benchmarks.data import DataSpec, load
from models import registry
from threadpoolctl import threadpool_info

warnings.simplefilter("ignore")
y = load(DataSpec(source="lynx", transform="log10")).series.to_numpy()
mlp = {MLP!r}
models = {{
    "arima": registry.get("arima", order=[4, 0, 0]),
    "mlp": registry.get("mlp", **mlp),
    "hybrid": registry.get("hybrid", linear="arima", linear_params={{"order": [4, 0, 0]}},
                           residual="mlp", residual_params=mlp),
    "hybrid_values": registry.get("hybrid", linear="arima", linear_params={{"order": [4, 0, 0]}},
                                  residual="mlp", residual_params=mlp, value_lags=2),
}}
origins = np.arange(100, 113)
out = {{name: model.fit(y[:100]).forecast(y, origins, 2).point.ravel().tolist()
        for name, model in models.items()}}
out["blas"] = [(i["internal_api"], i.get("architecture")) for i in threadpool_info()
               if i["user_api"] == "blas"]
json.dump(out, sys.stdout)
"""


def rerun(**env: str) -> dict[str, list]:
    """The small config's forecasts from a fresh interpreter with `env` set."""
    threads = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS")}
    settings = {**os.environ, **threads, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", CHILD], env=settings, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def one_thread() -> dict[str, list]:
    return rerun()


def test_blas_thread_count_moves_no_forecast_by_a_bit(one_thread):
    two = rerun(OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    for name in ("arima", "mlp", "hybrid", "hybrid_values"):
        assert two[name] == one_thread[name], name


def test_another_cpus_kernels_move_arima_within_tolerance(one_thread):
    """Nehalem's SSE kernels instead of the AVX2/AVX-512 ones this CPU would get."""
    if platform.machine() not in ("x86_64", "AMD64") or not any(
            api == "openblas" for api, _ in one_thread["blas"]):
        pytest.skip("needs OpenBLAS on x86-64 to choose another CPU's kernels")
    other = rerun(OPENBLAS_CORETYPE="Nehalem")
    if other["blas"] == one_thread["blas"]:
        pytest.skip("this OpenBLAS has one kernel set (not built with DYNAMIC_ARCH)")
    np.testing.assert_allclose(other["arima"], one_thread["arima"], rtol=ARIMA_RTOL, atol=0)
