"""Our seasonal adjustment and Theta against statsforecast's on series with zeros and negative
values (issue 26): M3 monthly series with training values set to 0 or shifted below 0, two
intermittent series, and the unchanged M3 series as the baseline of the two Thetas' distance.

Usage: python benchmarks/speed/zeros_statsforecast.py [--out DIR] [--statsforecast-venv DIR]
       [--fixture PATH]

Ours runs in this process; statsforecast (its Theta: the 90% seasonality test, classical
decomposition, multiplicative unless a value is <= 0 or an index < 0.01, then additive) in a
throw-away virtual environment (it pins pandas < 3, which this project cannot). Per series:
whether each found seasonality and which decomposition it used, the largest difference of the
seasonal indices of the 12 positions after the training part, of the adjusted training series
and of the 18 Theta forecasts (absolute, and relative to the mean |y| of the training part).
The two Thetas differ in estimation (ours: a least-squares line and SES on the theta-2 line, as
the M4 benchmarks; statsforecast's: the state-space STM, initial level and alpha optimised
together), so their forecasts differ a little even on the same adjusted series; the unchanged
rows measure that. The seasonality tests differ only where no series here lies: ours needs
three full periods (the M4 benchmarks' rule), statsforecast's two, and its limit is 1.64485
where ours is 1.645. --fixture PATH writes statsforecast's numbers for a few series, with their
inputs, for tests/test_seasonality_zeros.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from forecast_bench.benchmarks.config import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.benchmarks.speed import common
from forecast_bench.benchmarks.speed.common import machine_lines, peer_python, write_report
from forecast_bench.evaluation.run_folder.results import write_text
from forecast_bench.models.seasonality import is_seasonal
from forecast_bench.models.statistical import Theta

HORIZON, PERIOD = 18, 12
ZERO_POSITIONS = (7, 30, 53)  # training values set to 0
FIXTURE_SERIES = ("N1680:unchanged", "N1679:zeros", "N1680:negative", "intermittent:seasonal",
                  "intermittent:random")
PEER_SCRIPT = """
import json, sys, warnings
import numpy as np
warnings.filterwarnings("ignore")
from statsmodels.tsa.seasonal import seasonal_decompose
from statsforecast.models import Theta
from statsforecast.theta import auto_theta
task = json.load(open(sys.argv[1]))
out = {}
for name, y in task["series"].items():
    y = np.asarray(y, dtype=float)
    fit = auto_theta(y, m=task["m"], model="STM", decomposition_type="multiplicative")
    kind = fit.get("decomposition_type") if fit.get("decompose", False) else "none"
    row = {"decomposition": kind, "indices": None, "adjusted": None}
    if kind != "none":
        row["indices"] = np.asarray(fit["seas_forecast"]["mean"], dtype=float).tolist()
        seasonal = seasonal_decompose(y, model=kind, period=task["m"]).seasonal
        row["adjusted"] = (y - seasonal if kind == "additive" else y / seasonal).tolist()
    row["theta"] = Theta(season_length=task["m"]).forecast(y, h=task["h"])["mean"].tolist()
    out[name] = row
import statsforecast
out["version"] = statsforecast.__version__
print(json.dumps(out))
"""


def intermittent(seasonal: bool, n: int = 96, seed: int = 3) -> np.ndarray:
    """Mostly zeros: demand in 1 month of 8 (seasonal: most Novembers and Decembers too)."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.12, rng.poisson(2.0, n) + 1.0, 0.0)
    if seasonal:
        peak = (np.arange(n) % PERIOD >= 10) & (rng.random(n) < 0.8)
        y[peak] += rng.poisson(6.0, peak.sum()) + 2.0
    return y


def collection(count: int = 10) -> dict[str, np.ndarray]:
    """Training parts: `count` seasonal M3 monthly series (in-sample 81-126), each unchanged,
    with ZERO_POSITIONS set to 0 and shifted down by its 20% quantile (the first 4); the
    intermittent series."""
    found = load_collection(DataSpec(source="m3:monthly", min_length=81 + HORIZON,
                                     max_length=126 + HORIZON))
    out: dict[str, np.ndarray] = {}
    taken = 0
    for item in found:
        train = item.series.to_numpy(dtype=float)[:-HORIZON]
        if taken == count or not is_seasonal(train, PERIOD):
            continue
        zeros = train.copy()
        zeros[list(ZERO_POSITIONS)] = 0.0
        out[f"{item.id}:unchanged"], out[f"{item.id}:zeros"] = train, zeros
        if taken < 4:
            out[f"{item.id}:negative"] = train - np.quantile(train, 0.2)
        taken += 1
    out["intermittent:seasonal"] = intermittent(True)
    out["intermittent:random"] = intermittent(False)
    return out


def ours(y: np.ndarray) -> dict:
    """Our Theta's decomposition, indices of the next PERIOD positions, adjusted series and
    forecasts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Theta(period=PERIOD).fit(y)
    season = model.season_
    kind = "none" if not season.seasonal else "additive" if season.additive else (
        "multiplicative")
    return {"decomposition": kind, "indices": season.factors(len(y) + np.arange(PERIOD)),
            "adjusted": season.adjust(y), "theta": model.predict(HORIZON),
            "sd_scales": season.sd_scales(len(y) + np.arange(HORIZON))}


def beyond_a_line(ours_theta: np.ndarray, peer_theta: list, sd_scales: np.ndarray) -> float:
    """The largest difference of the two Thetas' forecasts left after removing a straight line
    in h (on the adjusted scale: divided by the multiplicative indices). Both forecast a line on
    the adjusted series, so the line is their estimation's difference and the rest the
    seasonal part's."""
    difference = (ours_theta - np.asarray(peer_theta)) / sd_scales
    steps = np.arange(len(difference))
    return float(np.max(np.abs(difference - np.polyval(np.polyfit(steps, difference, 1),
                                                       steps))))


def largest(a: np.ndarray | None, b: list | None) -> float | None:
    if a is None or b is None:
        return None
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def row(name: str, y: np.ndarray, mine: dict, peer: dict) -> tuple[str, float]:
    """A report row and the Theta forecasts' largest difference relative to mean |y|."""
    both = mine["decomposition"] == peer["decomposition"] != "none"
    indices = largest(mine["indices"], peer["indices"]) if both else None
    adjusted = largest(mine["adjusted"], peer["adjusted"]) if both else None
    theta = largest(mine["theta"], peer["theta"])
    line = beyond_a_line(mine["theta"], peer["theta"], mine["sd_scales"])
    scale = float(np.mean(np.abs(y)))
    cells = [f"{v:.2e}" if v is not None else "-" for v in (indices, adjusted, theta, line)]
    if theta is None:
        raise ValueError(f"{name}: no Theta forecasts to compare")
    return (f"| {name} | {int(np.sum(y == 0))} | {int(np.sum(y < 0))} | "
            f"{mine['decomposition']} | {peer['decomposition']} | {' | '.join(cells)} | "
            f"{100 * theta / scale:.3f} |"), theta / scale


def write_fixture(path: Path, series: dict[str, np.ndarray], peer: dict, version: str) -> None:
    """statsforecast's decomposition, indices and Theta forecasts for FIXTURE_SERIES, with the
    training values they came from (long CSV: series, decomposition, kind, position, value)."""
    lines = [f"# written by benchmarks/speed/zeros_statsforecast.py --fixture {path}, "
             f"statsforecast {version}",
             "# kind y: training value; index: statsforecast's seasonal index of the position "
             "(after the training part); theta: its Theta forecast of the position",
             "series,decomposition,kind,position,value"]
    for name in FIXTURE_SERIES:
        y, theirs = series[name], peer[name]
        n, kind = len(y), theirs["decomposition"]
        lines += [f"{name},{kind},y,{t},{v!r}" for t, v in enumerate(y.tolist())]
        for t, v in enumerate(theirs["indices"] or []):
            lines.append(f"{name},{kind},index,{n + t},{v!r}")
        lines += [f"{name},{kind},theta,{n + t},{v!r}" for t, v in enumerate(theirs["theta"])]
    write_text(path, "\n".join(lines) + "\n")
    print(f"fixture written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    parser.add_argument("--statsforecast-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "forecast-bench-statsforecast")
    parser.add_argument("--fixture", type=Path, help="write statsforecast's numbers there")
    args = parser.parse_args(argv)
    python = peer_python(args.statsforecast_venv)
    if python is None:
        raise SystemExit("statsforecast could not be installed; nothing to compare with")
    series = collection()
    peer = common.run_peer(python, PEER_SCRIPT, {"m": PERIOD, "h": HORIZON, "series": {
        name: y.tolist() for name, y in series.items()}})
    version = peer.pop("version")
    rows = ["| series | zeros | negatives | ours | statsforecast | indices max abs diff "
            "| adjusted max abs diff | Theta max abs diff | Theta diff beyond a line in h "
            "| Theta max diff % of mean abs y |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    worst: dict[str, float] = {}
    for name, y in series.items():
        text, relative = row(name, y, ours(y), peer[name])
        rows.append(text)
        variant = name.split(":")[1] if not name.startswith("intermittent") else "intermittent"
        worst[variant] = max(worst.get(variant, 0.0), relative)
    summary = [f"- {variant}: the Thetas' largest difference {100 * value:.3f}% of mean |y|"
               for variant, value in worst.items()]
    report = "\n".join([
        "# Zeros and negative values: our seasonal adjustment and Theta against statsforecast",
        "", *machine_lines(f"numpy {np.__version__}, statsforecast {version}"),
        f"- series: training parts of seasonal M3 monthly series (in-sample 81-126): unchanged, "
        f"with positions {', '.join(map(str, ZERO_POSITIONS))} set to 0, and shifted down by "
        "their 20% quantile; two intermittent series (mostly zeros, one seasonal); h = "
        f"{HORIZON}, m = {PERIOD}", "", *rows, "", *summary, "",
        "ours / statsforecast: the decomposition each used (none: not seasonal by its test). "
        "Indices: of the 12 positions after the training part (factors or offsets). The two "
        "Thetas estimate differently (see the script's docstring); the unchanged rows are "
        "that difference on all-positive series. Both forecast a straight line on the adjusted "
        "series, so their difference less a line in h (on the adjusted scale) is what the "
        "seasonal part and the decomposition contribute.",
    ]) + "\n"
    write_report(args.out, "zeros-statsforecast", report)
    if args.fixture:
        write_fixture(args.fixture, series, peer, version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
