"""Our MSTL against statsforecast's on Taylor's walk-forward (issue 28): the same data, the
same 28 origins, the same 28 x 48 forecasts to produce.

Usage: python benchmarks/speed/mstl_statsforecast.py [--runs 3] [--out DIR]
       [--statsforecast-venv DIR | --no-peer]

Data and protocol: benchmarks/configs/taylor.toml (half-hourly demand, periods 48 and 336;
fitted once on the first 2688 values; forecasts 1-48 ahead from 28 daily origins). Ours is the
config's `mstl` (statsmodels' MSTL, auto ETS on the adjusted series), run by the harness: one
fit, then forecasts from every origin with the fitted parameters and the decomposition of the
training part. statsforecast's MSTL (season_length=[48, 336], AutoETS(model="ZZN"), its
default and the closest to our auto ETS without a season) runs in a throw-away virtual
environment (it pins pandas < 3, which this project cannot) and has no "forecast from a later
origin with fixed parameters", so it is timed three ways: fit once (fit on the 2688 values,
predict 48: one origin only), forward (fit once, then `forward(y[:o], h=48)` at every origin:
the ETS parameters kept, but the decomposition redone on y[:o] each time) and refit
(`forecast(y[:o], h=48)` at every origin: decomposition and ETS refitted). Ours is timed fit
once (fit, forecast from the first origin) and for all 28 origins; both decompositions alone
too. Rounds alternate between ours (this process) and statsforecast (one subprocess per round,
a first fit not timed), one BLAS thread each; medians are reported, with the MAPE of each
protocol's forecasts as a sanity check. Nothing is asserted.
"""

import os

# One BLAS thread, set before numpy is imported (a value already in the environment wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.seasonal import MSTL
from tabulate import tabulate

from forecast_bench.benchmarks.config import build_models, load_config
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
from forecast_bench.evaluation.scoring.metrics import mape
from forecast_bench.models.base import Forecaster
from forecast_bench.models.mstl import MstlConfig

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "taylor.toml"
PERIODS = (48, 336)
PEER_SCRIPT = """
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
import statsforecast
from statsforecast.models import MSTL, AutoETS
from statsforecast.mstl import mstl
task = json.load(open(sys.argv[1]))
y, n, h, origins = np.asarray(task["y"]), task["train"], task["h"], task["origins"]
def model():
    return MSTL(season_length=task["periods"], trend_forecaster=AutoETS(model="ZZN"))
model().fit(y[:n])  # not timed: imports, first calls
seconds, forecasts = {}, {}
start = time.perf_counter()
mstl(y[:n], task["periods"], stl_kwargs={})
seconds["decomposition"] = time.perf_counter() - start
start = time.perf_counter()
fitted = model().fit(y[:n])
forecasts["fit"] = [fitted.predict(h)["mean"].tolist()]
seconds["fit"] = time.perf_counter() - start
start = time.perf_counter()
fitted = model().fit(y[:n])
forecasts["forward"] = [fitted.forward(y[:o], h=h)["mean"].tolist() for o in origins]
seconds["forward"] = time.perf_counter() - start
start = time.perf_counter()
forecasts["refit"] = [model().forecast(y[:o], h=h)["mean"].tolist() for o in origins]
seconds["refit"] = time.perf_counter() - start
print(json.dumps({"version": statsforecast.__version__, "seconds": seconds,
                  "forecasts": forecasts, "trend": fitted.trend_forecaster.model_["method"]}))
"""


def harness(y: pd.Series, folds: list[Fold], model: Forecaster, y_true: np.ndarray) -> np.ndarray:
    """The harness's forecasts (origins x horizon, as `y_true`): one fit, every origin from
    it."""
    horizon = y_true.shape[1]
    result = run_walk_forward(y, folds, {"mstl": model}, horizon)
    failed = result.status[result.status["status"] != "ok"]
    if len(failed):
        raise SystemExit(f"harness failed: {failed['reason'].iloc[0]}")
    frame = result.forecasts.sort_values(["origin", "step"])
    actual = frame["y_true"].to_numpy().reshape(-1, horizon)
    if actual.shape != y_true.shape or not np.array_equal(actual, y_true):
        raise SystemExit("the harness's targets are not the 28 x 48 values this script scores")
    return frame["y_pred"].to_numpy().reshape(-1, horizon)


def fit_once(train: np.ndarray, model: Forecaster, horizon: int) -> np.ndarray:
    """Fit on the training part, forecast from its end (the first origin)."""
    return model.clone().fit(train).predict(horizon)[None, :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (median kept)")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    parser.add_argument("--statsforecast-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "forecast-bench-statsforecast")
    parser.add_argument("--no-peer", action="store_true", help="skip statsforecast")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    cfg = load_config(CONFIG)
    y = load(cfg.data).series
    values = y.to_numpy(dtype=float)
    folds = cfg.split.split(len(values))
    horizon = int(cfg.split.horizon)
    if len(folds) != 1:
        raise SystemExit(f"expected Taylor's one fold, got {len(folds)}")
    fold = folds[0]
    origins = [int(o) for o in fold.origins]
    train = values[fold.train_start:fold.train_end]
    y_true = np.array([values[o:o + horizon] for o in origins])
    model = build_models(cfg)["mstl"].with_periods(PERIODS)
    config = model.config
    if not isinstance(config, MstlConfig):
        raise SystemExit(f"the config's mstl is {type(model).__name__}, not MSTL")
    python = None if args.no_peer else peer_python(args.statsforecast_venv)
    peer_note = ("skipped (--no-peer)" if args.no_peer else
                 "skipped: statsforecast could not be installed (pip failed)" if python is None
                 else "")
    task = {"y": values.tolist(), "train": len(train), "h": horizon, "origins": origins,
            "periods": list(PERIODS)}
    fit_once(train, model, horizon)  # not timed: first calls

    ours: dict[str, list[float]] = {"decomposition": [], "fit": [], "harness": []}
    peer_s: dict[str, list[float]] = {}
    peer: dict = {}
    for round_ in range(args.runs):
        seconds, _ = timed(lambda: MSTL(train, periods=PERIODS, windows=config.windows,
                                        iterate=config.iterate).fit(), 1)
        ours["decomposition"] += seconds
        seconds, (first,) = timed(lambda: fit_once(train, model, horizon), 1)
        ours["fit"] += seconds
        seconds, (every,) = timed(lambda: harness(y, folds, model, y_true), 1)
        ours["harness"] += seconds
        if python is not None:
            peer = run_peer(python, PEER_SCRIPT, task)
            for key, value in peer["seconds"].items():
                peer_s.setdefault(key, []).append(value)
        print(f"round {round_ + 1}: ours {ours['harness'][-1]:.2f} s"
              + (f", statsforecast forward {peer_s['forward'][-1]:.2f} s" if peer else ""),
              flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        described = model.clone().fit(train).describe_fit()

    def cells(seconds: list[float] | None, forecasts: np.ndarray | None) -> list:
        if seconds is None:
            return [None, None]
        error = mape(y_true[:len(forecasts)], forecasts) if forecasts is not None else None
        return [statistics.median(seconds), error]

    base = statistics.median(ours["harness"])
    theirs = {key: np.asarray(value) for key, value in peer.get("forecasts", {}).items()}
    rows = [
        ["decomposition alone (training part)", *cells(ours["decomposition"], None),
         *cells(peer_s.get("decomposition"), None)],
        ["fit once, forecast from the first origin", *cells(ours["fit"], first),
         *cells(peer_s.get("fit"), theirs.get("fit"))],
        ["28 origins: ours fit once / statsforecast forward()", *cells(ours["harness"], every),
         *cells(peer_s.get("forward"), theirs.get("forward"))],
        ["28 origins: ours fit once / statsforecast refit per origin",
         *cells(ours["harness"], every), *cells(peer_s.get("refit"), theirs.get("refit"))],
    ]
    for row in rows:
        row.append(row[1] / row[3] if row[3] else None)
    table = tabulate(rows, headers=["", "ours median s", "ours MAPE %", "statsforecast median s",
                                    "statsforecast MAPE %", "ours / statsforecast"],
                     tablefmt="github", floatfmt=("", ".3f", ".3f", ".3f", ".3f", ".2f"))
    differences = []
    if theirs:
        peer_note = f"statsforecast {peer['version']}, trend model {peer['trend']}"
        scale = float(np.mean(np.abs(y_true)))
        pairs = (("ours - statsforecast, first origin (both fitted on the 2688 values)", first,
                  theirs["fit"]),
                 ("ours - statsforecast, 28 origins, forward()", every, theirs["forward"]),
                 ("ours - statsforecast, 28 origins, refit", every, theirs["refit"]),
                 ("statsforecast's forward() - its refit", theirs["forward"], theirs["refit"]))
        differences = [
            f"- largest forecast difference, {name}: {np.max(np.abs(mine - other)):.1f}"
            f" ({100 * np.max(np.abs(mine - other)) / scale:.2f}% of mean |y|)"
            for name, mine, other in pairs]
    report = "\n".join([
        "# MSTL on Taylor's walk-forward: ours against statsforecast",
        "",
        f"{cfg.name}: {len(values)} half-hours, fitted on the first {len(train)}, forecasts "
        f"1-{horizon} ahead from {len(origins)} daily origins; periods {PERIODS}; "
        f"{args.runs} rounds alternating ours and statsforecast, medians; ours' harness "
        f"median {base:.3f} s.",
        "",
        table,
        "",
        f"- ours: `mstl` as in the config (statsmodels MSTL, windows 11 and 15, STL's "
        f"seasonal_deg 1), {described}",
        f"- statsforecast: {peer_note or 'not run'}; MSTL(season_length={list(PERIODS)}, "
        "trend_forecaster=AutoETS(model='ZZN')), its own mstl() (statsmodels STL, windows 11 "
        "and 15, seasonal_deg 0); forward() keeps the ETS parameters but redoes the "
        "decomposition on y[:o] at every origin, refit refits both",
        *differences,
        "- MAPE: of the forecasts each row's protocol makes (the fit-once rows: the first "
        "origin's 48 only)",
        *machine_lines(f"numpy {np.__version__}, statsmodels {statsmodels.__version__}"),
        "",
    ])
    write_report(args.out, "mstl", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
