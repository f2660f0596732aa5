"""Speed and memory of the LSTM forecaster: fit per epoch, batched against per-origin prediction.

Usage: python benchmarks/speed/lstm_walk_forward.py [--runs 3] [--epochs 5] [--out DIR]

One fold of the default config's data: the preset `lstm` is fitted on all but the last
test_size values, then forecasts those test_size origins one step ahead, once with one batched
network call and once with one call per origin. The two must agree to 1e-6 of the price (a
float32 network's output moves by a few float32 steps with the batch size).
"""

import os

# One BLAS thread, set before numpy is imported (a value already in the environment wins).
# TensorFlow's own intra/inter-op thread pools are left at their defaults.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import datetime as dt
import resource
import statistics
import sys
from pathlib import Path

import numpy as np
from tabulate import tabulate

from forecast_bench.benchmarks.config import DEFAULT_CONFIG, load_config
from forecast_bench.benchmarks.data import load
from forecast_bench.benchmarks.speed.common import machine_lines, timed, write_report
from forecast_bench.models import windows
from forecast_bench.models.lstm import Lstm, keras_module

# Relative to the forecast's size: a float32 network's output moves by a few float32 steps with
# the batch's size (batch-dependent kernels), which is ~1e-5 in price units at $70.
REL_TOLERANCE = 1e-6


def rss_mib() -> float:
    """Current resident set size of this process (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row(label: str, seconds: list[float], per: float, unit: str) -> list[str]:
    """A table row: median/min/max seconds, runs, and the median divided by `per`."""
    med = statistics.median(seconds)
    each = med / per
    per_unit = f"{each:.3f} s/{unit}" if each >= 0.1 else f"{each * 1e3:.2f} ms/{unit}"
    return [label, f"{med:.3f}", f"{min(seconds):.3f}", f"{max(seconds):.3f}", str(len(seconds)),
            per_unit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median kept)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs of each fit")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.epochs < 1:
        parser.error("--runs and --epochs must be >= 1")

    cfg = load_config(DEFAULT_CONFIG)
    y = load(cfg.data).series
    values = y.to_numpy(dtype=float)
    train_end = len(values) - cfg.split.test_size
    origins = np.arange(train_end, len(values))
    train = values[:train_end]
    rss_before_tf = rss_mib()
    keras = keras_module()  # the project's import: quiet logs, op determinism on
    import tensorflow as tf

    rss_after_tf = rss_mib()

    params = {"epochs": args.epochs, "seed": 0}
    net_cfg = Lstm(**params).config
    n_windows = train_end - windows.warmup(net_cfg.features) - net_cfg.look_back
    print(f"one fold: train {train_end}, {len(origins)} origins; lstm {params}, "
          f"{args.runs} runs each", flush=True)
    fit_s, fitted = timed(lambda: Lstm(**params).fit(train), args.runs)
    print(f"fit: median {statistics.median(fit_s):.3f} s", flush=True)
    model = fitted[-1]
    losses = [f.histories_[0]["loss"][-1] for f in fitted]

    model.predict(1, history=train)  # warm-up call, untimed
    batched_s, batched = timed(lambda: model.predict_origins(values, origins, 1), args.runs)
    print(f"batched predict: median {statistics.median(batched_s):.3f} s", flush=True)
    single_s, single = timed(
        lambda: np.vstack([model.predict(1, history=values[:o]) for o in origins]), args.runs)
    print(f"per-origin predict: median {statistics.median(single_s):.3f} s", flush=True)

    diff = float(np.max(np.abs(batched[-1] - single[-1])))
    relative = diff / float(np.max(np.abs(single[-1])))
    passed = relative <= REL_TOLERANCE
    ratio = statistics.median(single_s) / statistics.median(batched_s)
    rmse = float(np.sqrt(np.mean((batched[-1][:, 0] - values[origins]) ** 2)))
    peak = peak_rss_mib()
    n = len(origins)
    table = tabulate([
        row(f"fit, {args.epochs} epochs", fit_s, args.epochs, "epoch"),
        row(f"batched predict, {n} origins", batched_s, n, "origin"),
        row(f"per-origin predict, {n} origins", single_s, n, "origin"),
        ["per-origin / batched", f"{ratio:.1f}x", "", "", "", ""],
    ], headers=["", "median s", "min s", "max s", "runs", "median per unit"],
        tablefmt="github", disable_numparse=True, colalign=("left", *["right"] * 5))
    tf_threads = (f"TF intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
                  f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()} (0 = TF "
                  "default); op determinism on (models.lstm.keras_module enables it)")
    same = "yes" if len(set(losses)) == 1 else "no"
    report = "\n".join([
        f"# LSTM walk-forward speed, {dt.date.today().isoformat()}",
        "",
        f"{cfg.name}: {len(values)} observations ({y.index[0].date()} .. {y.index[-1].date()}); "
        f"one fold: train on the first {train_end}, forecast origins {origins[0]}..{origins[-1]} "
        f"one step ahead. Preset `lstm` ({model.describe_fit()}), look_back "
        f"{net_cfg.look_back}, {n_windows} training windows, batch {net_cfg.batch_size}, seed 0.",
        "",
        table,
        "",
        f"- per-origin predict is {ratio:.1f}x the batched predict (medians): one network call "
        f"on 1 origin takes {statistics.median(single_s) / n * 1e3:.0f} ms, on all {n} "
        f"{statistics.median(batched_s) * 1e3:.0f} ms",
        f"- s/epoch = fit wall time / {args.epochs} epochs, so it includes the one-off graph "
        "tracing of the first epoch and network construction",
        f"- final training loss {losses[-1]:.6g}; identical across the {args.runs} fits: {same}",
        f"- batched vs per-origin: max |diff| {diff:.3g} (relative {relative:.2g}) -> "
        f"{'PASS' if passed else 'FAIL'} (relative tolerance {REL_TOLERANCE:g}); RMSE of the "
        f"batched forecasts {rmse:.4f}",
        f"- memory: RSS {rss_before_tf:.0f} MiB before importing TensorFlow (data loaded), "
        f"{rss_after_tf:.0f} MiB after; peak RSS {peak:.0f} MiB (ru_maxrss, whole run)",
        *machine_lines(f"tensorflow {tf.__version__}, keras {keras.__version__}, "
                       f"numpy {np.__version__}", extra=tf_threads),
        "",
    ])
    write_report(args.out, "lstm-walk-forward", report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
