"""Another CPU's BLAS kernels, measured: a small Zhang-like config rerun under other kernel sets.

Usage: python benchmarks/speed/blas_kernels.py [--kernels Nehalem Haswell SkylakeX]
       [--numpy-off "X86_V4 AVX512_ICL" ...]

Each run is a fresh interpreter, one BLAS thread: AR(4), an MLP, the MLP hybrid with and
without value lags, ETS and Theta on lynx (log10), fit on the first 100 values, forecasts 2
steps from 13 origins. First with this machine's own kernels, then once per kernel set with
OPENBLAS_CORETYPE set (OpenBLAS built with DYNAMIC_ARCH, as numpy's and scipy's wheels are),
and once per --numpy-off value with numpy's SIMD groups switched off. Prints this machine's
kernel set and, per rerun and model, the largest relative difference of a forecast from the
first run ("same kernels" where OpenBLAS ignored the request). The tolerances in
docs/reproducibility.md come from it; tests never change the kernel
(tests/test_reproducibility.py keeps the thread-count check).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MLP = {"lags": 4, "hidden": [3], "n_seeds": 3, "max_iter": 300}
MODELS = ("arima", "mlp", "hybrid", "hybrid_values", "ets", "theta")
CHILD = f"""
import json, sys, warnings
import numpy as np
from forecast_bench.benchmarks.data import DataSpec, load
from forecast_bench.models import registry
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
    "ets": registry.get("ets"),
    "theta": registry.get("theta"),
}}
origins = np.arange(100, 113)
out = {{name: model.fit(y[:100]).forecast(y, origins, 2).point.ravel().tolist()
        for name, model in models.items()}}
out["blas"] = [(i["internal_api"], i.get("architecture")) for i in threadpool_info()
               if i["user_api"] == "blas"]
json.dump(out, sys.stdout)
"""


def rerun(**env: str) -> dict[str, list]:
    """The small config's forecasts (and the BLAS kernel sets in use) from a fresh interpreter
    with one BLAS thread unless `env` says otherwise."""
    threads = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS")}
    settings = {**os.environ, **threads, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", CHILD], env=settings, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout)


def largest_relative_difference(ours: list[float], theirs: list[float]) -> float:
    """max |theirs - ours| / |ours| over the forecasts."""
    a, b = np.asarray(ours), np.asarray(theirs)
    return float(np.max(np.abs(b - a) / np.abs(a)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="+", default=["Nehalem", "Haswell", "SkylakeX"],
                        help="OPENBLAS_CORETYPE values to compare with this machine's own")
    parser.add_argument("--numpy-off", nargs="*", default=[], metavar="GROUPS",
                        help='NPY_DISABLE_CPU_FEATURES values to compare too, e.g. "X86_V4"')
    args = parser.parse_args(argv)
    own = rerun()
    print(f"own kernels: {own['blas']}")
    print("| rerun with | " + " | ".join(MODELS) + " |")
    print("|---" * (len(MODELS) + 1) + "|")
    runs = [(f"OPENBLAS_CORETYPE={k}", {"OPENBLAS_CORETYPE": k}) for k in args.kernels]
    runs += [(f"NPY_DISABLE_CPU_FEATURES={g}", {"NPY_DISABLE_CPU_FEATURES": g})
             for g in args.numpy_off]
    for label, env in runs:
        other = rerun(**env)
        unchanged = "OPENBLAS_CORETYPE" in env and other["blas"] == own["blas"]
        same = " (same kernels)" if unchanged else ""
        cells = [f"{largest_relative_difference(own[name], other[name]):.1e}"
                 for name in MODELS]
        print(f"| {label}{same} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
