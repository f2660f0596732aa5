"""What per-series networks cost on M3 monthly: batched (`lstm_local`), a loop of Keras fits, and
one global network (`lstm_global`), per epoch and one-off.

Usage: python benchmarks/speed/collection_networks.py [--runs 3] [--epochs 5] [--series N]
       [--loop-series 8] [--shapes default,reference] [--threads 2] [--out DIR] [--quick]

Data: the 1045 M3 monthly series of Makridakis et al. (2018) (total length >= 99; the first
--series N of them), each trained on all but its last 18 values. Three ways to train them:
- batched: `lstm_local` (models/local_nets.py), one small LSTM per series, every series'
  network trained at once as one TensorFlow computation (`fit_collection`);
- loop: one Keras `lstm` fit per series (models/lstm.py: LSTM(units) -> Dense(1), no dropout,
  batch 32), timed on the first --loop-series series and extrapolated per series to all N.
  Its preprocessing differs: min-max scaling of the level only, no deseasonalisation, Box-Cox
  or detrending (the other two use each series' Pipeline: the seasonality test, Box-Cox,
  Cox-Stuart detrending, min-max);
- global: `lstm_global` (models/global_nets.py), ONE LSTM on every series' pooled windows, at
  its default batch of 256 windows (the other two: 32 windows of one series).
Two shapes: lstm_local's defaults (look_back 12, 16 units) and the issue's reference shape
(look_back 36, 50 units). The reference figures, for a PyTorch implementation at that shape on
1045 series: on 16 CPU threads a global network 10 s an epoch, the 1045 per-series networks
trained at once 14 s an epoch; on one data-centre GPU 0.4 s and 0.15 s.

Per-epoch cost = (an E-epoch fit's time - a 1-epoch fit's) / (E - 1), the median over --runs
rounds; the one-off cost is the 1-epoch fit's time (data preprocessing, network construction,
for Keras the tracing of its training step, and one epoch). Each method and shape first gets
a 1-epoch warm-up fit, kept out of the medians (TensorFlow's tracing of lstm_local's step
happens once per process and look-back: the "first fit" column). Rounds are interleaved: each
round fits every method and shape once at 1 and at E epochs. Goals (the per-series networks
issue): per epoch, the batched networks cost about what one global network costs (1.4x in the
reference figures), and far less than a loop of per-series fits. Nothing here asserts a time.
BLAS, OpenMP and TensorFlow's thread pools are pinned to --threads before numpy and TensorFlow
are imported. TensorFlow's kernel caches are cleared before every fit, as every Keras fit
clears them (otherwise lstm_local's 1-epoch fit, run after a Keras fit, would pay the
re-instantiation of its compiled step and its E-epoch fit not). --quick: 20 series, 2 epochs,
1 round, the loop on 2 series (options given explicitly win): a smoke run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import os
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# numpy's BLAS and OpenMP pools are sized when it is imported, TensorFlow's when it starts
PINNED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
          "TF_NUM_INTEROP_THREADS")
HOLDOUT = 18  # M3 monthly's horizon: the test part left out of training
SHAPES = {"default": (12, 16), "reference": (36, 50)}  # look_back, units
METHODS = ("batched", "loop", "global")
LABELS = {"batched": "batched `lstm_local`", "loop": "loop of Keras `lstm` fits",
          "global": "global `lstm_global`"}
REFERENCE = {"global": (10.0, 0.4), "batched": (14.0, 0.15)}  # s/epoch: 16 CPU threads, GPU
FULL_FIT = 100  # epochs of the fit whose cost per series is reported (lstm_local's default)
QUICK = {"runs": 1, "epochs": 2, "series": 20, "loop_series": 2}


@dataclasses.dataclass
class Timings:
    """One method at one shape: seconds of the untimed-warm-up fit and of each round's fits."""

    first: float = float("nan")
    one: list[float] = dataclasses.field(default_factory=list)  # 1-epoch fits
    many: list[float] = dataclasses.field(default_factory=list)  # E-epoch fits

    def per_epoch(self, epochs: int) -> float:
        """Median over rounds of (E-epoch fit - 1-epoch fit) / (E - 1)."""
        return statistics.median((m - o) / (epochs - 1)
                                 for o, m in zip(self.one, self.many, strict=True))


def pin_threads(threads: int) -> None:
    """Every BLAS, OpenMP and TensorFlow pool to `threads` (call before importing numpy)."""
    for name in PINNED:
        os.environ[name] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_tensorflow(threads: int) -> tuple[Any, float]:
    """The project's Keras import (quiet logs, op determinism on), pools set to `threads` also
    through tf.config (the environment variables are read when TensorFlow starts); seconds."""
    from forecast_bench.models.lstm import keras_module

    start = time.perf_counter()
    keras_module()
    import tensorflow as tf

    for setter in (tf.config.threading.set_intra_op_parallelism_threads,
                   tf.config.threading.set_inter_op_parallelism_threads):
        # RuntimeError: TensorFlow already started, the environment's values hold
        with contextlib.suppress(RuntimeError):
            setter(threads)
    return tf, time.perf_counter() - start


def load_parts(n_series: int | None) -> tuple[list[np.ndarray], list[int], int]:
    """The training parts and periods of the first n_series M3 monthly series (length >= 99),
    and how many the collection holds."""
    from forecast_bench.benchmarks.data import DataSpec
    from forecast_bench.benchmarks.data.collection import load_collection

    items = load_collection(DataSpec(source="m3:monthly", min_length=99)).items
    chosen = items[:n_series] if n_series else items
    parts = [item.series.to_numpy(dtype=float)[:-HOLDOUT] for item in chosen]
    return parts, [int(item.period) for item in chosen], len(items)


def fitters(shape: tuple[int, int], parts: list[np.ndarray], periods: list[int],
            loop_series: int) -> dict[str, Callable[[int], Any]]:
    """Each method at `shape`: a function fitting it for a number of epochs (seed 0)."""
    from forecast_bench import models
    from forecast_bench.models.global_nets import LstmGlobal
    from forecast_bench.models.local_nets import LstmLocal

    look_back, units = shape

    def batched(epochs: int) -> Any:
        return LstmLocal(look_back=look_back, units=units, epochs=epochs,
                         seed=0).fit_collection(parts, periods)

    def loop(epochs: int) -> Any:
        return [models.get("lstm", look_back=look_back, units=[units], dense=[], dropout=0.0,
                           epochs=epochs, batch_size=32, seed=0).fit(part)
                for part in parts[:loop_series]]

    def pooled(epochs: int) -> Any:
        return LstmGlobal(look_back=look_back, units=[units], epochs=epochs,
                          seed=0).fit_collection(parts, periods)

    return {"batched": batched, "loop": loop, "global": pooled}


def seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall-clock seconds of one call (warnings silenced) and its result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result


def measure(fits: dict[tuple[str, str], Callable[[int], Any]], runs: int, epochs: int,
            clear: Callable[[], None],
            ) -> tuple[dict[tuple[str, str], Timings], dict[tuple[str, str], Any]]:
    """A warm-up fit of each (kept out of the medians), then `runs` interleaved rounds of a
    1-epoch and an E-epoch fit of each, `clear` called before every fit; the timings and each
    one's last E-epoch fit."""
    timings = {key: Timings() for key in fits}
    fitted: dict[tuple[str, str], Any] = {}
    for key, fit in fits.items():
        clear()
        timings[key].first, _ = seconds(functools.partial(fit, 1))
        print(f"warm-up {key[0]} shape, {key[1]}: {timings[key].first:.2f} s", flush=True)
    for run in range(runs):
        for key, fit in fits.items():
            clear()
            one, _ = seconds(functools.partial(fit, 1))
            clear()
            many, fitted[key] = seconds(functools.partial(fit, epochs))
            timings[key].one.append(one)
            timings[key].many.append(many)
            print(f"round {run + 1}/{runs}, {key[0]} shape, {key[1]}: 1 epoch {one:.2f} s, "
                  f"{epochs} epochs {many:.2f} s", flush=True)
    return timings, fitted


def cell(value: float) -> str:
    """Seconds to 3 significant figures, or '-' when not a positive number."""
    return f"{value:.3g}" if value > 0 else "-"


def ratio(numerator: float, denominator: float, digits: int = 2) -> str:
    """numerator / denominator, or '-' unless both are positive (a per-epoch time measured
    as <= 0: too few epochs or series for the timer's noise)."""
    return f"{numerator / denominator:.{digits}f}" if numerator > 0 and denominator > 0 else "-"


def shape_table(timings: dict[str, Timings], epochs: int, n_series: int, loop_series: int,
                ) -> tuple[str, dict[str, float]]:
    """The markdown table of one shape (every row scaled to the whole panel of n_series) and
    each method's panel seconds per epoch."""
    from tabulate import tabulate

    rows, per_epoch = [], {}
    for method in METHODS:
        t = timings[method]
        scale = n_series / loop_series if method == "loop" else 1.0
        per_epoch[method] = t.per_epoch(epochs) * scale
        one = statistics.median(t.one) * scale
        full = (one + (FULL_FIT - 1) * per_epoch[method]) / n_series
        series = (f"{n_series} (extrapolated from {loop_series})" if method == "loop"
                  else str(n_series))
        rows.append([LABELS[method], series, cell(t.first * scale), cell(one),
                     cell(statistics.median(t.many) * scale), cell(per_epoch[method]),
                     ratio(per_epoch[method], per_epoch["batched"]), cell(full)])
    table = tabulate(rows, headers=[
        "method", "series", "first fit s", "1-epoch fit s", f"{epochs}-epoch fit s",
        "s / epoch", "x batched / epoch", f"{FULL_FIT}-epoch fit, s / series"],
        tablefmt="github", disable_numparse=True, colalign=("left", *["right"] * 7))
    return table, per_epoch


def shape_section(name: str, shape: tuple[int, int], timings: dict[tuple[str, str], Timings],
                  fitted: dict[tuple[str, str], Any], epochs: int, n_series: int,
                  loop_series: int) -> tuple[list[str], dict[str, float]]:
    """One shape's heading, table and notes; each method's panel seconds per epoch."""
    table, per_epoch = shape_table({m: timings[name, m] for m in METHODS}, epochs, n_series,
                                   loop_series)
    batched = per_epoch["batched"]
    ratios = (f"- per epoch: loop / batched {ratio(per_epoch['loop'], batched, 1)}, global / "
              f"batched {ratio(per_epoch['global'], batched)} ('-': a per-epoch time measured "
              "<= 0, too few epochs or series for the timer's noise)")
    return [
        f"## {name.capitalize()} shape: look_back {shape[0]}, {shape[1]} units", "",
        table, "",
        ratios,
        f"- fitted: {fitted[name, 'batched'].describe_fit()}; loop, last series: "
        f"{fitted[name, 'loop'][-1].describe_fit()}; {fitted[name, 'global'].describe_fit()}",
        "",
    ], per_epoch


def reference_lines(per_epoch: dict[str, float], n_series: int, full: int) -> list[str]:
    """Our reference-shape figures beside the issue's PyTorch ones."""
    ours = ", ".join(f"{m} {cell(per_epoch[m])} s" for m in ("global", "batched"))
    cpu, gpu = REFERENCE["global"], REFERENCE["batched"]
    lines = [
        f"- reference shape, s/epoch here: {ours}; global / batched "
        f"{ratio(per_epoch['global'], per_epoch['batched'])}",
        f"- the issue's PyTorch figures (1045 series, same shape): 16 CPU threads global "
        f"{cpu[0]:g} s, batched {gpu[0]:g} s (global / batched {cpu[0] / gpu[0]:.2f}); one "
        f"data-centre GPU global {cpu[1]:g} s, batched {gpu[1]:g} s",
    ]
    if n_series != full:
        lines.append(f"- this run used {n_series} of the {full} series: the reference figures "
                     "are not comparable as they stand")
    return lines


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tensorflow_run_lines(tf: Any, import_s: float) -> list[str]:
    """A report's facts about the run: TensorFlow's import time and threads, the devices, peak
    memory, the versions, the machine and the pinned thread variables."""
    import numpy as np

    from forecast_bench.benchmarks.speed.common import machine_lines

    devices = [d.name for d in tf.config.list_physical_devices()]
    tf_threads = (f"TF intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
                  f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}; devices "
                  f"{', '.join(devices)}; op determinism on (models.lstm.keras_module)")
    keras = sys.modules["keras"]
    return [f"- TensorFlow import {import_s:.1f} s; peak RSS {peak_rss_mib():.0f} MiB "
            "(ru_maxrss, whole run)",
            *machine_lines(f"tensorflow {tf.__version__}, keras {keras.__version__}, "
                           f"numpy {np.__version__}", extra=tf_threads,
                           threads=", ".join(f"{v}={os.environ[v]}" for v in PINNED))]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; --quick's small settings unless an option is given explicitly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="timed rounds, median kept (default 3)")
    parser.add_argument("--epochs", type=int, help="epochs of the longer fit, >= 2 (default 5)")
    parser.add_argument("--series", type=int, help="the first N series (default: all 1045)")
    parser.add_argument("--loop-series", type=int,
                        help="series fitted one by one for the loop, extrapolated (default 8)")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated, some of {', '.join(SHAPES)} (default: both)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS, OpenMP and TensorFlow intra/inter-op threads (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="20 series, 2 epochs, 1 run, the loop on 2 series: a smoke run")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else {"runs": 3, "epochs": 5, "series": None,
                                         "loop_series": 8}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.shapes = [name.strip() for name in args.shapes.split(",") if name.strip()]
    if not args.shapes or set(args.shapes) - set(SHAPES):
        parser.error(f"--shapes must be some of {', '.join(SHAPES)}, got {args.shapes}")
    if min(args.runs, args.loop_series, args.threads, args.series or 1) < 1 or args.epochs < 2:
        parser.error("--runs, --loop-series, --threads and --series must be >= 1, "
                     "--epochs >= 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_threads(args.threads)  # before anything below imports numpy or TensorFlow

    from forecast_bench.benchmarks.speed.common import write_report

    parts, periods, available = load_parts(args.series)
    n, loop_series = len(parts), min(args.loop_series, len(parts))
    lengths = f"{min(map(len, parts))}..{max(map(len, parts))}"
    tf, import_s = import_tensorflow(args.threads)
    print(f"{n} series, {lengths} training values; TensorFlow imported in {import_s:.1f} s; "
          f"{args.runs} round(s) of 1 and {args.epochs} epochs", flush=True)
    fits = {(name, method): fit for name in args.shapes
            for method, fit in fitters(SHAPES[name], parts, periods, loop_series).items()}
    # tf.random.set_seed clears TensorFlow's kernel caches, as every Keras fit does (it sets
    # the seed): lstm_local's compiled step is then instantiated again on its next call.
    # Cleared before every fit, both fits of a pair pay that once, and the difference not.
    timings, fitted = measure(fits, args.runs, args.epochs, lambda: tf.random.set_seed(0))

    sections, per_epoch = [], {}
    for name in args.shapes:
        lines, per_epoch[name] = shape_section(name, SHAPES[name], timings, fitted,
                                               args.epochs, n, loop_series)
        sections += lines
    report = "\n".join([
        f"# Per-series networks on M3 monthly, {dt.date.today().isoformat()}",
        "",
        f"The first {n} of the {available} M3 monthly series with at least 99 values, each "
        f"trained on all but its last {HOLDOUT} ({lengths} values). {args.runs} interleaved "
        f"round(s) of a 1-epoch and a {args.epochs}-epoch fit of each; medians. s / epoch = "
        "(E-epoch fit - 1-epoch fit) / (E - 1); the 1-epoch fit is the one-off cost plus one "
        "epoch; first fit: the warm-up, kept out of the medians (it includes TensorFlow's "
        f"tracing of lstm_local's step, once per process and look_back). {FULL_FIT}-epoch "
        f"fit, s / series = (1-epoch fit + {FULL_FIT - 1} x s / epoch) / series. The loop's "
        f"rows are {loop_series} per-series Keras fits scaled by {n}/{loop_series}; its "
        "preprocessing differs (min-max on the level, no deseasonalisation, Box-Cox or "
        "detrending; the others: each series' Pipeline). Batch: 32 windows of one series "
        "(batched, loop), 256 pooled windows (global). Seed 0. TensorFlow's kernel caches "
        "are cleared before every fit (as a Keras fit clears them).",
        "",
        *sections,
        "## Against the reference figures",
        "",
        *(reference_lines(per_epoch["reference"], n, available) if "reference" in per_epoch
          else ["- the reference shape was not run (--shapes)"]),
        *tensorflow_run_lines(tf, import_s),
        "",
    ])
    write_report(args.out, "panel-networks", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
