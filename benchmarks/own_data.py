"""Defaults that follow the data: `forecast-bench run --data SOURCE` without a config.

Precedence, lowest first:

1. the shipped default config (``msft_daily.toml``; ``competition.toml`` for a collection):
   models, seed, levels, folds, horizon and protocol; never its ``[data]`` section, which
   describes the MSFT benchmark's data;
2. the data: all its rows, its value column (Close, or the only one), its name (a file's stem)
   as the run name and, for one series, a test size from its length and seasonal period
   (``test_size_for``), with no more folds than test values;
3. the command line's options.

A config of one's own replaces 1 and 2: its values are used as written.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.data import M3_SOURCES, Dataset, DataSpec, is_collection_source
from forecast_bench.benchmarks.data.collection import Collection, load_with_dataset
from forecast_bench.benchmarks.data.periods import periods_words
from forecast_bench.evaluation.scoring.collection_analysis import periods_text

FRACTION = 0.2  # the tutorial's 80/20 split; the MSFT benchmark's 252 of 1260 values
ROW_OPTIONS = ("last", "start", "end")


# shipped datasets with a published protocol: `run --data NAME` runs it
PROTOCOLS = {"taylor": "taylor.toml"}  # Taylor (2003): 8 weeks to fit, 4 to test, 1-48 ahead


def applies(config_path: str | None, source: str | None) -> bool:
    """Whether a run's defaults come from its data: no config given, and a source other than
    the default benchmark's (msft), M3 (whose protocol is the competitions') or one with a
    published protocol (PROTOCOLS)."""
    return (config_path is None and source is not None and source not in M3_SOURCES
            and source not in PROTOCOLS
            and source != config.load_config(config.DEFAULT_CONFIG).data.source)


def default_config(source: str | None) -> Path:
    """The competitions' protocol for collections, a shipped dataset's published one, the
    default benchmark's config otherwise."""
    if source is not None and is_collection_source(source):
        return config.COMPETITION_CONFIG
    if source in PROTOCOLS:
        return config.DEFAULT_CONFIG.with_name(PROTOCOLS[source])
    return config.DEFAULT_CONFIG


# split options that only a rolling origin uses: given for a collection, they select it
ROLLING_OPTIONS = ("test_size", "folds", "step")


def run_name(source: str) -> str:
    """csv:data/sales.csv, long:... and wide:... -> sales; m3:monthly -> m3_monthly."""
    kind, _, rest = source.partition(":")
    return Path(rest).stem if kind in ("csv", "long", "wide") else source.replace(":", "_")


def test_size_for(n: int, period: int, min_train: int) -> tuple[int, str]:
    """The test size of a series of n values, and why: 20% of n, rounded down to whole seasons
    when the seasonal period m > 1 and 20% holds at least one; at least 1, and never more than
    leaves ``min_train`` values to train on."""
    size = max(1, round(FRACTION * n))
    why = f"20% of {n}"
    if period > 1 and size >= period:
        size -= size % period
        why += f" in whole seasons of {period}"
    if size > n - min_train:
        size = max(1, n - min_train)
        why = f"all but the {min_train} training values the neediest model needs"
    return size, why


def configure(source: str, data: dict[str, Any], split: dict[str, Any],
              models: list[str] | None, seed: int | None, reference: str | None,
              levels: tuple[float, ...] | None) -> tuple[config.RunConfig, str]:
    """The run's config from the defaults above and the options (None: not given), and the
    one line that says what the data chose."""
    options = {key: value for key, value in data.items() if value is not None}
    spec = DataSpec(**{**options, "source": source})
    collection, dataset = load_with_dataset(spec)
    many = dataset is None or is_collection_source(source)
    base = config.load_config(config.COMPETITION_CONFIG if many else config.DEFAULT_CONFIG)
    cfg = dataclasses.replace(base, name=run_name(source), data=spec)
    rolling = (many and split.get("protocol") is None and base.split.protocol == "fixed"
               and any(split.get(key) is not None for key in ROLLING_OPTIONS))
    if rolling:  # a test size, folds or a step given: the fixed origin would ignore them
        split = {**split, "protocol": "rolling"}
    cfg = config.with_overrides(cfg, {}, split, models, seed, reference, levels)
    rows = "" if any(key in options for key in ROW_OPTIONS) else "all "
    if many or dataset is None:  # many includes dataset is None
        chose = f"{rows}rows of {len(collection)} series, {_collection_split(cfg, collection)}"
        if rolling:
            chose += " (a rolling origin, as a test size, folds or step was given)"
        notes = [note for item in collection for note in item.notes]
    else:
        cfg, chose = _single_split(cfg, dataset, collection, split)
        chose = f"{rows}{len(dataset.series)} rows, column {dataset.column!r}, {chose}"
        notes = list(dataset.notes)
    dates = "".join(f"; {note}" for note in dict.fromkeys(notes)
                    if note.startswith(("dates in column", "values from column")))
    return cfg, (f"defaults from the data of {source}: {chose}, {period_text(collection)}, run"
                 f" name {cfg.name!r}{dates} (options or a config of your own override these)")


def period_text(collection: Collection) -> str:
    """The seasonal periods the models get and MASE's lag, in words: "seasonal period 12
    (monthly)", "seasonal periods 24 168 (hourly)", "no seasonal period (1) (MASE's scale: lag
    24) (hourly)"; a collection's as collection_analysis.periods_text says it."""
    frequencies = sorted({item.frequency for item in collection})
    if len(collection) > 1:
        text = periods_text(collection.summary_frame())
    else:
        item = collection.items[0]
        words = periods_words(item.periods)
        text = (f"seasonal period{'s' if ' ' in words else ''} {words}" if words
                else "no seasonal period (1)")
        if item.mase_period != item.period:
            text += f" (MASE's scale: lag {item.mase_period})"
    return text + (f" ({frequencies[0]})" if len(frequencies) == 1 else "")


def _single_split(cfg: config.RunConfig, dataset: Dataset, collection: Collection,
                  split: dict[str, Any]) -> tuple[config.RunConfig, str]:
    """The split of one series sized to it unless the options size it, and its words."""
    given = {key for key, value in split.items() if value is not None}
    walk = cfg.split
    if walk.protocol != "rolling":
        return cfg, "a fixed origin"
    if "test_size" not in given:
        item = collection.items[0]
        needs = max(model.with_periods(item.periods).min_train_size
                    for model in config.build_models(cfg).values())
        size, why = test_size_for(len(dataset.series), item.period, needs)
        walk = dataclasses.replace(walk, test_size=size)
        if "folds" not in given and isinstance(walk.horizon, int):
            walk = dataclasses.replace(walk, folds=max(1, min(walk.folds, size // walk.horizon)))
        words = f"test size {size} ({why})"
    else:
        words = f"test size {walk.test_size}"
    return dataclasses.replace(cfg, split=walk), f"{words}, {walk.folds} folds"


def _collection_split(cfg: config.RunConfig, collection: Collection) -> str:
    """What a collection's split tests, in words."""
    walk = cfg.split
    if walk.protocol != "fixed":
        return f"test size {walk.test_size}, {walk.folds} folds"
    if walk.horizon != "dataset":
        return f"a fixed origin: the last {walk.horizon} values of each series"
    from forecast_bench.benchmarks.run.steps import M4_HORIZONS

    horizons = {f"{item.horizon or M4_HORIZONS.get(item.frequency)} ({item.frequency})"
                for item in collection}
    return ("a fixed origin: the last h values of each series, h = "
            + ", ".join(sorted(horizons)) + " (M4's horizon for the frequency)")
