"""Speed of the ARIMA walk-forward harness against the textbook refit-per-origin loop.

Usage: python benchmarks/speed/arima_walk_forward.py [--runs 3] [--order 1,1,1] [--out DIR]

Both run in the same process on the default config's data and folds. A second check refits
once per fold with statsmodels directly and must reproduce the harness's forecasts to 1e-8.
"""

import os

# One BLAS thread, set before numpy is imported (a value already in the environment wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import datetime as dt
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.statespace.sarimax import SARIMAX
from tabulate import tabulate

import models
from benchmarks.config import DEFAULT_CONFIG, load_config
from benchmarks.data import load
from benchmarks.speed.common import machine_lines, timed, write_report
from evaluation.splits import Fold
from evaluation.walk_forward import run_walk_forward

TOLERANCE = 1e-8
Order = tuple[int, int, int]


def parse_order(text: str) -> Order:
    """'1,1,1' -> (1, 1, 1)."""
    try:
        p, d, q = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"order must be p,d,q like 1,1,1; got {text!r}") from None
    if min(p, d, q) < 0:
        raise argparse.ArgumentTypeError(f"order values must be >= 0; got {text!r}")
    return p, d, q


def harness(y: pd.Series, folds: list[Fold], order: Order) -> np.ndarray:
    """The project's walk-forward: one fit per fold, fixed-parameter forecasts from each origin."""
    result = run_walk_forward(y, folds, {"arima": models.get("arima", order=list(order))}, 1)
    failed = result.status[result.status["status"] != "ok"]
    if len(failed):
        reason = failed["reason"].iloc[0]
        raise SystemExit(f"harness failed on folds {list(failed['fold'])}: {reason}")
    return result.forecasts["y_pred"].to_numpy()


def refit_per_origin(values: np.ndarray, folds: list[Fold], order: Order, trend: str) -> np.ndarray:
    """The textbook loop: refit SARIMAX on y[train_start:o] for every origin, forecast 1 step."""
    return np.array([
        SARIMAX(values[f.train_start:o], order=order, trend=trend).fit(disp=False).forecast(1)[0]
        for f in folds for o in f.origins
    ])


def fixed_per_fold(values: np.ndarray, folds: list[Fold], order: Order, trend: str) -> np.ndarray:
    """One statsmodels fit per fold, then filter(params) on y[train_start:o] for every origin."""
    out = []
    for f in folds:
        params = SARIMAX(values[f.train_start:f.train_end], order=order, trend=trend).fit(
            disp=False).params
        out += [SARIMAX(values[f.train_start:o], order=order, trend=trend).filter(params)
                .forecast(1)[0] for o in f.origins]
    return np.array(out)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median kept)")
    parser.add_argument("--order", type=parse_order, default=(1, 1, 1), help="ARIMA p,d,q")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    cfg = load_config(DEFAULT_CONFIG)
    if cfg.split.horizon != 1:
        raise SystemExit(f"this benchmark times one-step forecasts; horizon is {cfg.split.horizon}")
    y = load(cfg.data).series
    values = y.to_numpy(dtype=float)
    folds = cfg.split.split(len(values))
    n_origins = sum(len(f.origins) for f in folds)
    y_true = np.array([values[o] for f in folds for o in f.origins])
    with warnings.catch_warnings():  # the trend the harness's model uses for this order
        warnings.simplefilter("ignore")
        first = folds[0]
        trend = models.get("arima", order=list(args.order)).fit(
            values[first.train_start:first.train_end]).trend_
    order = tuple(args.order)

    print(f"{len(folds)} folds, {n_origins} origins, ARIMA{order} trend={trend}, "
          f"{args.runs} runs each", flush=True)
    fast_s, (*_, fast) = timed(lambda: harness(y, folds, order), args.runs)
    print(f"harness: median {statistics.median(fast_s):.3f} s", flush=True)
    slow_s, (*_, slow) = timed(lambda: refit_per_origin(values, folds, order, trend), args.runs)
    print(f"refit per origin: median {statistics.median(slow_s):.3f} s", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = fixed_per_fold(values, folds, order, trend)
    if not (len(fast) == len(slow) == len(check) == n_origins):
        raise SystemExit(f"forecast counts differ: {len(fast)}, {len(slow)}, {len(check)}")

    base = statistics.median(fast_s)
    rows = [[name, statistics.median(s), min(s), max(s), len(s),
             statistics.median(s) / base, rmse(y_true, pred)]
            for name, s, pred in (("harness", fast_s, fast), ("refit-per-origin", slow_s, slow))]
    table = tabulate(rows, headers=["", "median s", "min s", "max s", "runs",
                                    "ratio to harness", "RMSE"],
                     tablefmt="github", floatfmt=("", ".3f", ".3f", ".3f", "", ".1f", ".4f"))
    check_diff = float(np.max(np.abs(check - fast)))
    passed = check_diff <= TOLERANCE
    report = "\n".join([
        f"# ARIMA walk-forward speed, {dt.date.today().isoformat()}",
        "",
        f"{cfg.name}: {len(values)} observations ({y.index[0].date()} .. {y.index[-1].date()}), "
        f"{len(folds)} expanding folds, {n_origins} one-step origins; ARIMA{order} trend={trend}.",
        "",
        table,
        "",
        f"- refit-per-origin is {statistics.median(slow_s) / base:.1f}x the harness (median)",
        f"- max |harness - refit-per-origin| forecast: {np.max(np.abs(fast - slow)):.6g}",
        f"- fixed-parameter check (one statsmodels fit per fold, filter per origin): max diff "
        f"{check_diff:.3g} -> {'PASS' if passed else 'FAIL'} (tolerance {TOLERANCE:g})",
        *machine_lines(f"numpy {np.__version__}, statsmodels {statsmodels.__version__}"),
        "",
    ])
    write_report(args.out, "arima-walk-forward", report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
