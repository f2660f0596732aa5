"""Speed of the ARIMA walk-forward: fixed orders against the textbook refit-per-origin loop, and
auto-ARIMA's order search (ours, pmdarima's own, statsforecast's AutoARIMA).

Usage: python benchmarks/speed/arima_walk_forward.py [--runs 3] [--order 1,1,1] [--out DIR]
       [--statsforecast-venv DIR | --no-peer] [--m3 N]

All run on the default config's data and folds. Fixed orders: the harness against a refit per
origin, in the same process; a second check refits once per fold with statsmodels directly and
must reproduce the harness's forecasts to 1e-8. Auto orders: the harness with order="auto"
(search="fast", the default) against search="pmdarima" (pmdarima.auto_arima, the model before
the fast search), and statsforecast's cross_validation(refit=<fold size>) with AutoARIMA on the
same folds in a throw-away virtual environment (statsforecast pins pandas < 3, which this project
cannot; created with pip on first use, skipped with a message when that fails). --m3 N: the
seasonal search (m = 12) on N of the 1045 M3 monthly series, seconds per series.
"""

import os

# One BLAS thread, set before numpy is imported (a value already in the environment wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import datetime as dt
import functools
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.statespace.sarimax import SARIMAX
from tabulate import tabulate

from forecast_bench import models
from forecast_bench.benchmarks.config import DEFAULT_CONFIG, DataSpec, load_config
from forecast_bench.benchmarks.data import load
from forecast_bench.benchmarks.speed.common import (
    machine_lines,
    peer_python,
    run_peer,
    timed,
    write_report,
)
from forecast_bench.evaluation.harness.splits import Fold
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.models.arima import Arima

TOLERANCE = 1e-8
M3_HORIZON, M3_PERIOD = 18, 12
Order = tuple[int, int, int]
PEER_SCRIPT = """
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
import statsforecast
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA
task = json.load(open(sys.argv[1]))
out = {"version": statsforecast.__version__}
if task.get("cv"):
    cv = task["cv"]
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(cv["y"])), "y": cv["y"]})
    runs = []
    for _ in range(task["runs"] + 1):  # the first run (imports, compilation) is not kept
        sf = StatsForecast(models=[AutoARIMA(season_length=cv["period"])], freq=1, n_jobs=1)
        start = time.perf_counter()
        result = sf.cross_validation(df=frame, h=1, n_windows=cv["windows"], step_size=1,
                                     refit=cv["refit"])
        runs.append(time.perf_counter() - start)
    out["cv"] = {"seconds": runs[1:], "forecasts": result["AutoARIMA"].tolist()}
if task.get("m3"):
    AutoARIMA(season_length=12).forecast(np.asarray(task["m3"][0]), h=18)
    seconds, forecasts = [], []
    for y in task["m3"]:
        start = time.perf_counter()
        forecasts.append(AutoARIMA(season_length=12).forecast(np.asarray(y), h=18)["mean"])
        seconds.append(time.perf_counter() - start)
    out["m3"] = {"seconds": seconds, "forecasts": np.asarray(forecasts).tolist()}
print(json.dumps(out))
"""


def parse_order(text: str) -> Order:
    """'1,1,1' -> (1, 1, 1)."""
    try:
        p, d, q = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"order must be p,d,q like 1,1,1; got {text!r}") from None
    if min(p, d, q) < 0:
        raise argparse.ArgumentTypeError(f"order values must be >= 0; got {text!r}")
    return p, d, q


def harness(y: pd.Series, folds: list[Fold], **params: object) -> np.ndarray:
    """The project's walk-forward: one fit per fold, fixed-parameter forecasts from each origin."""
    result = run_walk_forward(y, folds, {"arima": models.get("arima", **params)}, 1)
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


def fitted_orders(values: np.ndarray, folds: list[Fold], **params: object) -> list[str]:
    """describe_fit of each fold's model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [models.get("arima", **params).fit(values[f.train_start:f.train_end])
                .describe_fit() for f in folds]


def m3_lines(n: int, python: Path | None) -> list[str]:
    """Seconds per M3 monthly series (fit on the training part, forecast 18): the fast search,
    pmdarima's, statsforecast's; how often the first two choose the same orders."""
    from forecast_bench.benchmarks.data.collection import load_collection

    found = load_collection(DataSpec(source="m3:monthly", min_length=81 + M3_HORIZON,
                                     max_length=126 + M3_HORIZON))
    picked = [found.items[i] for i in np.linspace(0, len(found) - 1, n).round().astype(int)]
    train = [item.series.to_numpy(dtype=float)[:-M3_HORIZON] for item in picked]
    runs: dict[str, list] = {}
    for search in ("fast", "pmdarima"):
        seconds, fits = [], []
        for y in train:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                model = Arima(search=search).with_period(M3_PERIOD).fit(y)
                forecast = model.predict(M3_HORIZON)
                seconds.append(time.perf_counter() - start)
            fits.append((model.order_, model.seasonal_order_, model.trend_, forecast))
        runs[search] = [seconds, fits]
    task = {"m3": [y.tolist() for y in train]}
    peer = run_peer(python, PEER_SCRIPT, task)["m3"] if python else None
    fast, slow = runs["fast"][1], runs["pmdarima"][1]
    same = [a[:3] == b[:3] for a, b in zip(fast, slow, strict=True)]
    change = [np.max(np.abs(a[3] - b[3])) / np.mean(np.abs(b[3]))
              for a, b, s in zip(fast, slow, same, strict=True) if s]
    rows = [[name, statistics.median(s), min(s), max(s)]
            for name, s in (("ours, search=fast", runs["fast"][0]),
                            ("ours, search=pmdarima", runs["pmdarima"][0]),
                            ("statsforecast AutoARIMA", peer["seconds"] if peer else None))
            if s is not None]
    table = tabulate(rows, headers=["", "median s/series", "min", "max"], tablefmt="github",
                     floatfmt=("", ".3f", ".3f", ".3f"))
    differ = [item.id for item, s in zip(picked, same, strict=True) if not s]
    return [f"## Seasonal auto-ARIMA (m = 12) on {n} M3 monthly series", "",
            f"Series {', '.join(item.id for item in picked)}: fit on the training part, "
            f"forecast {M3_HORIZON}.", "", table, "",
            f"- same orders and trend as search=pmdarima: {sum(same)} of {n}"
            + (f" (differ: {', '.join(differ)})" if differ else ""),
            f"- where the same, largest forecast change relative to the series' mean forecast: "
            f"{max(change, default=0):.3g}"
            + ("" if peer else "\n- statsforecast: not run (see above)"), ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median kept)")
    parser.add_argument("--order", type=parse_order, default=(1, 1, 1), help="ARIMA p,d,q")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    parser.add_argument("--statsforecast-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "forecast-bench-statsforecast")
    parser.add_argument("--no-peer", action="store_true", help="skip statsforecast")
    parser.add_argument("--m3", type=int, default=0, help="M3 monthly series to time (0: none)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.m3 < 0:
        parser.error("--runs must be >= 1 and --m3 >= 0")

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
        trend = Arima(order=list(args.order)).fit(
            values[first.train_start:first.train_end]).trend_
    order = tuple(args.order)

    print(f"{len(folds)} folds, {n_origins} origins, ARIMA{order} trend={trend}, "
          f"{args.runs} runs each", flush=True)
    fast_s, (*_, fast) = timed(lambda: harness(y, folds, order=list(order)), args.runs)
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

    import pmdarima  # noqa: F401  (imported before timing, as statsforecast's first run is not timed)

    auto = {}
    for search in ("fast", "pmdarima"):
        seconds, (*_, pred) = timed(
            functools.partial(harness, y, folds, order="auto", search=search), args.runs)
        auto[search] = (seconds, pred, fitted_orders(values, folds, order="auto", search=search))
        print(f"auto-ARIMA, search={search}: median {statistics.median(seconds):.3f} s",
              flush=True)
    python = None if args.no_peer else peer_python(args.statsforecast_venv)
    sizes = {len(f.origins) for f in folds}
    peer, peer_note = None, "skipped (--no-peer)"
    if not args.no_peer and python is None:
        peer_note = "skipped: statsforecast could not be installed (pip failed)"
    elif python is not None and len(sizes) > 1:
        peer_note = f"skipped: folds of unequal size {sorted(sizes)} (refit needs one size)"
    elif python is not None:
        task = {"runs": args.runs, "cv": {"y": values.tolist(), "period": 1,
                                          "windows": n_origins, "refit": sizes.pop()}}
        found = run_peer(python, PEER_SCRIPT, task)
        peer, peer_note = found["cv"], f"statsforecast {found['version']}"
        print(f"statsforecast: median {statistics.median(peer['seconds']):.3f} s", flush=True)
    reference = statistics.median(peer["seconds"]) if peer else None
    auto_rows = [[name, statistics.median(s), min(s), max(s),
                  statistics.median(s) / reference if reference else None, rmse(y_true, pred)]
                 for name, s, pred in (
                     ("search=fast (default)", auto["fast"][0], auto["fast"][1]),
                     ("search=pmdarima", auto["pmdarima"][0], auto["pmdarima"][1]),
                     *([("statsforecast cross_validation", peer["seconds"],
                         np.asarray(peer["forecasts"]))] if peer else []))]
    auto_table = tabulate(auto_rows, headers=["", "median s", "min s", "max s",
                                              "ratio to statsforecast", "RMSE"],
                          tablefmt="github", floatfmt=("", ".3f", ".3f", ".3f", ".2f", ".4f"))
    changes = np.abs(auto["fast"][1] - auto["pmdarima"][1])
    ends = np.cumsum([len(f.origins) for f in folds])
    per_fold = [float(changes[end - len(f.origins):end].max()) for f, end in zip(folds, ends,
                                                                                 strict=True)]
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
        "",
        "## Auto-ARIMA (the default config's model) on the same folds",
        "",
        auto_table,
        "",
        f"- statsforecast: {peer_note}; AutoARIMA(season_length=1), cross_validation(h=1, "
        f"n_windows={n_origins}, refit={len(folds[0].origins)}), first run not timed",
        *(f"- fold {f.index}: fast {a}; pmdarima {b}; largest forecast change {c:.4g}"
          for f, a, b, c in zip(folds, auto["fast"][2], auto["pmdarima"][2], per_fold,
                                strict=True)),
        "",
        *(m3_lines(args.m3, python) if args.m3 else []),
        *machine_lines(f"numpy {np.__version__}, statsmodels {statsmodels.__version__}"),
        "",
    ])
    write_report(args.out, "arima-walk-forward", report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
