"""What a training step of N-BEATS, N-BEATS-I and N-HiTS costs: the project's `train` against
a bare Keras loop on the same network, loss and batch (issue 29: within 1.2x).

Usage: python benchmarks/speed/nbeats_step.py [--runs 3] [--steps 10] [--models LIST]
       [--shape stacks=30,width=512,...] [--member-steps N] [--threads 2] [--out DIR] [--quick]

Data: the 1045 M3 monthly series of Makridakis et al. (2018) (total length >= 99), each
trained on all but its last H = 18 values; windows drawn by the project's `WindowSampler`
(models/nbeats_net.py). The networks, built by the models' own `build` (models/nbeats.py):
- generic: `nbeats` at the paper's size, 30 stacks x 1 block of 4 ReLU layers of 512, batch
  1024, look-back 7H; --shape changes stacks, blocks, layers, width, batch or lookback (the
  multiplier of H), e.g. `--shape stacks=4,width=128,batch=256`;
- interpretable: `nbeats_i` at its defaults (trend 3 x 4 x 256, seasonality 3 x 4 x 2048,
  weights shared within a stack, batch 1024), look-back 7H as the generic one;
- hierarchical: `nhits` at its defaults (3 stacks of 2 x 512, batch 256, look-back 5H).
Loss: sMAPE (member 0's) everywhere; Adam, learning rate 0.001.

Four ways to run S = --steps training steps on each network:
- ours: `train` (models/nbeats_net.py), sampling included: a batch drawn and converted to
  tensors, then one compiled step (GradientTape + Adam in a tf.function), per step. `train`
  builds its optimizer and traces its step on every call, so its cost per step is
  (an S-step call - a 1-step call) / (S - 1), and its one-off cost (network build, sampler,
  optimizer, tracing) = build + the 1-step call - one step;
- Keras `train_on_batch`: the same network compiled with Adam and the same masked sMAPE (y and
  its mask packed into y_true), Keras' defaults otherwise, on S batches drawn beforehand;
- bare tf.function: a GradientTape step like ours, on the same S pre-drawn batches (no
  sampling): what ours costs without the sampler;
- sampling alone: S draws and their conversion to tensors.
The bare loops get one warm-up batch (compile, trace) before the rounds, kept out of the
medians (its time is reported as their one-off); ours a warm-up 1-step call. Rounds are
interleaved: each round runs every network and way once; medians over --runs rounds.
Seconds per ensemble member = ours' one-off + member steps x s / step, at each model's
default steps (generic 10,000, interpretable 6,000, hierarchical 1,000) or --member-steps.
BLAS, OpenMP and TensorFlow's thread pools are pinned to --threads before numpy and TensorFlow
are imported (environment variables, then threadpoolctl). Op determinism is on (the project's
Keras import) for every way. Nothing here asserts a time. --quick: small networks, 5 steps, 1
round (options given explicitly win): a smoke run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

HOLDOUT = 18  # M3 monthly's horizon, the networks' output length
NETWORKS = {  # name -> (registered model, look-back multiplier, parameters at full size)
    "generic": ("nbeats", 7, {"stacks": 30, "blocks": 1, "layers": 4, "width": 512,
                              "batch_size": 1024}),
    "interpretable": ("nbeats_i", 7, {}),
    "hierarchical": ("nhits", 5, {}),
}
SHAPE_KEYS = {"stacks": "stacks", "blocks": "blocks", "layers": "layers", "width": "width",
              "batch": "batch_size", "lookback": "lookback"}
QUICK_PARAMS = {
    "generic": {"stacks": 2, "layers": 2, "width": 32, "batch_size": 64},
    "interpretable": {"layers": 2, "trend_width": 16, "seasonality_width": 32,
                      "batch_size": 64},
    "hierarchical": {"width": 32, "batch_size": 64},
}
WAYS = ("ours", "keras", "tape", "sampling")
LABELS = {"ours": "ours: `train` (sampling included)",
          "keras": "bare Keras `train_on_batch`", "tape": "bare tf.function + GradientTape",
          "sampling": "sampling alone (draw + tensors)"}
GOAL = 1.2  # ours / bare Keras, per step


@dataclasses.dataclass
class Timings:
    """One network: the warm-ups' seconds and each round's."""

    first: dict[str, float] = dataclasses.field(default_factory=dict)
    build: list[float] = dataclasses.field(default_factory=list)
    one: list[float] = dataclasses.field(default_factory=list)  # ours, 1 step
    many: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {way: [] for way in WAYS})  # S steps

    def per_step(self, way: str, steps: int) -> float:
        """Median seconds a step: ours by the difference of its two calls, others S steps / S."""
        if way == "ours":
            return statistics.median((m - o) / (steps - 1)
                                     for o, m in zip(self.one, self.many["ours"], strict=True))
        return statistics.median(self.many[way]) / steps

    def one_off(self, steps: int) -> float:
        """Ours: network build + a 1-step call - one step."""
        return (statistics.median(self.build) + statistics.median(self.one)
                - self.per_step("ours", steps))


def seconds(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


class Network:
    """One network to time: its model, sampler and the bare loops' compiled steps."""

    def __init__(self, name: str, params: dict[str, Any], parts: list[Any],
                 periods: list[int]) -> None:
        from forecast_bench import models
        from forecast_bench.models.nbeats_net import WindowSampler

        registered, multiplier, _full = NETWORKS[name]
        params = dict(params)
        multiplier = params.pop("lookback", multiplier)
        self.name, self.registered = name, registered
        # an nbeats, nbeats_i or nhits model: its config's fields differ by model
        self.model = cast(Any, models.get(registered, horizon=HOLDOUT, **params))
        self.batch = self.model.config.batch_size
        self.lookback = multiplier * HOLDOUT
        self.sampler = WindowSampler(parts, periods, self.lookback, HOLDOUT,
                                     self.model.config.history)
        self.batches: list[tuple[Any, ...]] = []

    def build(self) -> Any:
        return self.model.build(self.lookback, HOLDOUT, seed=0)

    def draw(self, rng: Any, n: int) -> list[tuple[Any, ...]]:
        """n batches as tensors (x, x_mask, y, y_mask, scale), as `train` makes them."""
        import tensorflow as tf

        out = []
        for _ in range(n):
            b = self.sampler.draw(rng, self.batch)
            out.append(tuple(tf.constant(b[k]) for k in ("x", "x_mask", "y", "y_mask",
                                                          "scale")))
        return out

    def ours(self, steps: int) -> float:
        """Seconds of `train` on a network built beforehand (untimed)."""
        from forecast_bench.models.nbeats_net import train

        network = self.build()
        return seconds(lambda: train(network, self.sampler, "smape", steps=steps,
                                     batch_size=self.batch, learning_rate=0.001, seed=0))

    def prepare_bare(self, steps: int) -> dict[str, float]:
        """The pre-drawn batches, the two bare loops compiled and run on one batch each
        (seconds of that warm-up, per loop)."""
        import numpy as np
        import tensorflow as tf

        from forecast_bench.models.lstm import keras_module
        from forecast_bench.models.nbeats_net import smape

        keras = keras_module()
        self.batches = self.draw(np.random.default_rng(1), steps)

        def packed_smape(packed: Any, forecast: Any) -> Any:
            y, mask = tf.split(packed, 2, axis=1)
            return smape(y, forecast, mask)

        self.keras_net = self.build()
        self.keras_net.compile(optimizer=keras.optimizers.Adam(0.001), loss=packed_smape)
        self.packed = [tf.concat([b[2], b[3]], axis=1) for b in self.batches]
        network = self.tape_net = self.build()
        optimizer, variables = keras.optimizers.Adam(0.001), network.trainable_variables
        optimizer.build(variables)

        @tf.function
        def step(x: Any, x_mask: Any, y: Any, y_mask: Any, scale: Any) -> Any:
            with tf.GradientTape() as tape:
                value = smape(y, network([x, x_mask], training=True), y_mask)
            optimizer.apply_gradients(zip(tape.gradient(value, variables), variables,
                                          strict=True))
            return value

        self.tape_step, first = step, self.batches[0]
        return {"keras": seconds(lambda: self.keras_net.train_on_batch(
                    [first[0], first[1]], self.packed[0])),
                "tape": seconds(lambda: float(step(*first)))}

    def keras(self) -> float:
        return seconds(lambda: [self.keras_net.train_on_batch([b[0], b[1]], packed)
                                for b, packed in zip(self.batches, self.packed, strict=True)])

    def tape(self) -> float:
        return seconds(lambda: [float(self.tape_step(*b)) for b in self.batches])

    def sampling(self, steps: int) -> float:
        import numpy as np

        rng = np.random.default_rng(2)
        return seconds(lambda: self.draw(rng, steps))

    def describe(self) -> str:
        """The network's settings in words."""
        cfg = self.model.config
        if self.registered == "nbeats":
            shape = (f"{cfg.stacks} stacks x {cfg.blocks} block(s) x {cfg.layers} layers x "
                     f"{cfg.width}")
        elif self.registered == "nbeats_i":
            shape = (f"trend {cfg.trend_blocks} x {cfg.layers} x {cfg.trend_width}, seasonality "
                     f"{cfg.seasonality_blocks} x {cfg.layers} x {cfg.seasonality_width}")
        else:
            shape = (f"{len(cfg.pooling)} stacks x {cfg.blocks} block(s) x {cfg.layers} layers "
                     f"x {cfg.width}, pooling {cfg.pooling}, downsample {cfg.downsample}")
        return (f"`{self.registered}`, {shape}, batch {self.batch}, look-back "
                f"{self.lookback} ({self.lookback // HOLDOUT}H)")


def params_of(network: Any) -> tuple[int, int]:
    """Trainable and frozen (basis, interpolation) parameter counts."""
    import numpy as np

    trainable = sum(int(np.prod(v.shape)) for v in network.trainable_variables)
    return trainable, network.count_params() - trainable


def measure(nets: list[Network], runs: int, steps: int) -> dict[str, Timings]:
    """Warm-ups, then `runs` interleaved rounds of every way on every network."""
    timings = {net.name: Timings() for net in nets}
    for net in nets:
        t = timings[net.name]
        t.first = net.prepare_bare(steps)
        t.first["ours"] = net.ours(1)
        print(f"warm-up {net.name}: ours 1 step {t.first['ours']:.2f} s, keras first batch "
              f"{t.first['keras']:.2f} s, tape first batch {t.first['tape']:.2f} s", flush=True)
    for run in range(runs):
        for net in nets:
            t = timings[net.name]
            t.build.append(seconds(net.build))
            t.one.append(net.ours(1))
            t.many["ours"].append(net.ours(steps))
            t.many["keras"].append(net.keras())
            t.many["tape"].append(net.tape())
            t.many["sampling"].append(net.sampling(steps))
            print(f"round {run + 1}/{runs}, {net.name}: build {t.build[-1]:.2f} s, ours 1 step "
                  f"{t.one[-1]:.2f} s, " + ", ".join(
                      f"{way} {steps} steps {t.many[way][-1]:.2f} s" for way in WAYS),
                  flush=True)
    return timings


def network_section(net: Network, t: Timings, steps: int, member_steps: int | None,
                    ) -> list[str]:
    """One network's heading, table and figures."""
    from tabulate import tabulate

    from forecast_bench.benchmarks.speed.collection_networks import cell, ratio

    trainable, frozen = params_of(net.build())
    per = {way: t.per_step(way, steps) for way in WAYS}
    rows = []
    for way in WAYS:
        rows.append([LABELS[way], cell(per[way]), cell(1 / per[way]) if per[way] > 0 else "-",
                     ratio(per["ours"], per[way]) if way in ("keras", "tape") else "-",
                     cell(t.first.get(way, float("nan")))])
    table = tabulate(rows, headers=["way", "s / step", "steps / s", "ours / this",
                                    "warm-up s"],
                     tablefmt="github", disable_numparse=True,
                     colalign=("left", "right", "right", "right", "right"))
    n_steps = member_steps or net.model.config.steps
    one_off = t.one_off(steps)
    member = one_off + n_steps * per["ours"]
    keras_ratio = ratio(per["ours"], per["keras"])  # '-' where a time came out <= 0
    met = "-" if keras_ratio == "-" else ("yes" if float(keras_ratio) <= GOAL else "NO")
    share = ratio(100 * per["sampling"], per["ours"], 0)
    member_text = (f"{cell(member)} s ({member / 60:.1f} min) = {one_off:.2f} + {n_steps:,} x "
                   f"{cell(per['ours'])}" if per["ours"] > 0 and member > 0 else "-")
    return [
        f"## {net.name.capitalize()}: {net.describe()}", "",
        table, "",
        f"- parameters: {trainable:,} trainable" + (f", {frozen:,} frozen (bases)" if frozen
                                                    else ""),
        f"- ours / bare Keras per step: {keras_ratio} (goal at most {GOAL}: {met}); sampling "
        f"is {share}% of ours' step ('-': a time measured <= 0, too few steps for the "
        "timer's noise)",
        f"- one-off (build {statistics.median(t.build):.2f} s, sampler, optimizer, tracing): "
        f"{one_off:.2f} s; ensemble member at {n_steps:,} steps: {member_text}",
        "",
    ]


def parse_shape(text: str, parser: argparse.ArgumentParser) -> dict[str, int]:
    """`key=value,...` over SHAPE_KEYS, positive integers."""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        if key not in SHAPE_KEYS or not value.isdigit() or int(value) < 1:
            parser.error(f"--shape takes key=value pairs with keys {', '.join(SHAPE_KEYS)} "
                         f"and positive integers, got {item!r}")
        out[SHAPE_KEYS[key]] = int(value)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; --quick's small settings unless an option is given explicitly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="timed rounds, median kept (default 3)")
    parser.add_argument("--steps", type=int, help="steps of the longer call, >= 2 (default 10)")
    parser.add_argument("--models", default=",".join(NETWORKS),
                        help=f"comma-separated, some of {', '.join(NETWORKS)} (default: all)")
    parser.add_argument("--shape", default="",
                        help="the generic network's size, key=value pairs over "
                             f"{', '.join(SHAPE_KEYS)} (default: the paper's)")
    parser.add_argument("--member-steps", type=int,
                        help="steps of an ensemble member (default: each model's own)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS, OpenMP and TensorFlow intra/inter-op threads (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="small networks, 5 steps, 1 round: a smoke run")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    for name, value in ({"runs": 1, "steps": 5} if args.quick else
                        {"runs": 3, "steps": 10}).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.models = [name.strip() for name in args.models.split(",") if name.strip()]
    if not args.models or set(args.models) - set(NETWORKS):
        parser.error(f"--models must be some of {', '.join(NETWORKS)}, got {args.models}")
    args.shape = parse_shape(args.shape, parser)
    if min(args.runs, args.threads, args.member_steps or 1) < 1 or args.steps < 2:
        parser.error("--runs, --threads and --member-steps must be >= 1, --steps >= 2")
    return args


def network_params(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """The parameters a network is built with: full size or --quick's, then --shape."""
    params = dict(QUICK_PARAMS[name] if args.quick else NETWORKS[name][2])
    return {**params, **args.shape} if name == "generic" else params


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # before anything below imports numpy or TensorFlow
    from forecast_bench.benchmarks.speed.collection_networks import pin_threads

    pin_threads(args.threads)
    import numpy  # noqa: F401 (loaded, so that threadpoolctl limits its BLAS)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads)
    from forecast_bench.benchmarks.speed.collection_networks import (
        import_tensorflow,
        load_parts,
        tensorflow_run_lines,
    )
    from forecast_bench.benchmarks.speed.common import write_report

    parts, periods, _ = load_parts(None)
    lengths = f"{min(map(len, parts))}..{max(map(len, parts))}"
    tf, import_s = import_tensorflow(args.threads)
    nets = [Network(name, network_params(name, args), parts, periods) for name in args.models]
    print(f"{len(parts)} series, {lengths} training values; TensorFlow imported in "
          f"{import_s:.1f} s; {args.runs} round(s) of 1 and {args.steps} steps", flush=True)
    timings = measure(nets, args.runs, args.steps)

    sections = []
    for net in nets:
        sections += network_section(net, timings[net.name], args.steps, args.member_steps)

    jit = ", ".join(f"{net.name} {net.keras_net.jit_compile}" for net in nets)
    report = "\n".join([
        f"# N-BEATS training steps against bare Keras, {dt.date.today().isoformat()}",
        "",
        f"The {len(parts)} M3 monthly series with at least 99 values, each trained on all but "
        f"its last {HOLDOUT} ({lengths} values); sMAPE, Adam 0.001. {args.runs} interleaved "
        f"round(s), medians. Ours: s / step = ({args.steps}-step `train` call - 1-step call) / "
        f"{args.steps - 1}, sampling included; the bare loops: {args.steps} pre-drawn batches "
        f"/ {args.steps}, after a warm-up batch (its seconds: warm-up s; ours' warm-up: a "
        "1-step call, kept out of the medians). ours / this: ours' s / step over the row's. "
        "Ensemble member = one-off + steps x ours' s / step.",
        "",
        *sections,
        "## Run",
        "",
        f"- Keras `train_on_batch` jit_compile as resolved by compile(): {jit}",
        *tensorflow_run_lines(tf, import_s),
        "",
    ])
    write_report(args.out, "nbeats-step", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
