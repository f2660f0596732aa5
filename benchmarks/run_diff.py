"""What differs between two saved runs of either kind (benchmarks.compare,
benchmarks.compare_collections): the test windows, then the data, folds, config and versions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data.periods import from_words
from forecast_bench.benchmarks.terminal import wrapped
from forecast_bench.evaluation.run_folder.record import RunRecord, SeriesRecord
from forecast_bench.models import registry
from forecast_bench.models.errors import ForecastBenchError

SavedRun = SeriesRecord | RunRecord

SPANS = ["test_start", "test_end", "n_test", "n_origins"]  # a fold's test window in folds.csv
CHANGE_NOTE = ("change %: (B - A) / A x 100, negative where B's error is lower (more accurate)"
               " than A's.")


def header_lines(a: SavedRun, b: SavedRun, differ: list[str]) -> list[str]:
    """The run ids, the window warning, then whether the data, folds, config and versions are
    the same: the top of either kind of comparison."""
    lines = [f"A = {a.run_id}", f"B = {b.run_id}", ""]
    if differ:
        lines += [wrapped(f"WARNING: A and B were tested on different windows ({'; '.join(differ)})"
                          ": their scores are not comparable, so no change in % is shown."), ""]
    lines.append(wrapped(_same_or_changed("data", _data_key(a), _data_key(b))))
    lines.append(wrapped(_same_or_changed("folds", _folds_key(a), _folds_key(b))))
    config = _config_changes(a, b)
    lines += ["config: same" if not config else "config changes (A -> B):",
              *(f"  {change}" for change in config)]
    versions = _dict_changes(_flat(_versions(a)), _flat(_versions(b)))
    lines += ["versions: same" if not versions else "versions changed (A -> B):",
              *(f"  {change}" for change in versions)]
    return lines


def change_percent(a: float, b: float) -> float:
    """(b - a) / a x 100: B's change from A in % of A (NaN when A is not positive)."""
    return 100 * (b - a) / a if a > 0 else np.nan


def window_differences(a: SavedRun, b: SavedRun) -> list[str]:
    """Why A's and B's scores are not on the same test windows ([] when they are): different
    series (collections), folds (test spans, origins, horizon), test dates or actual values."""
    key = ["series"] if isinstance(a, RunRecord) else []
    reasons = []
    if (isinstance(a, RunRecord) and isinstance(b, RunRecord)
            and set(a.info["id"]) != set(b.info["id"])):
        reasons.append("the series differ")
    fa, fb = (r.folds[[c for c in [*key, "fold", *SPANS] if c in r.folds]].astype(str)
              .sort_values([*key, "fold"]).reset_index(drop=True) for r in (a, b))
    if _horizons(a) != _horizons(b) or not fa.equals(fb):
        reasons.append("the folds differ")
    ta, tb = (r.forecasts.drop_duplicates([*key, "target", "step"])
              .set_index([*key, "target", "step"]).y_true for r in (a, b))
    if set(ta.index) != set(tb.index):
        reasons.append("the test dates differ")
    shared = ta.index.intersection(tb.index)
    if not np.allclose(ta[shared], tb[shared], rtol=1e-12, atol=0, equal_nan=True):
        reasons.append("the actual values differ (another series)")
    return reasons


def _data_key(record: SavedRun) -> str:
    data = record.manifest.get("data", {})
    return f"{data.get('source', '?')} sha256 {str(data.get('sha256', '?'))[:12]}"


def _folds_key(record: SavedRun) -> str:
    """The folds in a few words (a collection's: over all its series)."""
    f = record.folds
    if isinstance(record, RunRecord):
        horizons = ", ".join(str(h) for h in sorted(set(_horizons(record).values())))
        return (f"{f.series.nunique()} series, {len(f)} fold(s), {int(f.n_test.sum())} test"
                f" values, horizon {horizons}")
    return (f"{len(f)} fold(s), {int(f.n_test.sum())} test values from "
            f"{pd.Timestamp(f.test_start.iloc[0]).date()}, horizon {record.horizon}")


def _horizons(record: SavedRun) -> dict[str, int]:
    """The horizon of each series (a single-series run's under ""): the config's, or with
    split.horizon = "dataset" each series' own, from its folds (the last origin's targets end
    the fold; forecasts.csv's steps can stop short where the last targets were filled)."""
    if not isinstance(record, RunRecord):
        return {"": record.horizon}
    split = record.config.get("split", {})
    folds = record.folds
    if split.get("horizon", 1) != "dataset":
        return dict.fromkeys(map(str, folds.series.unique()), int(split.get("horizon", 1)))
    if split.get("protocol") == "fixed" or split.get("step", 1) == 1:
        ends = folds.first_origin + folds.n_test - folds.last_origin
        return {str(k): int(v) for k, v in ends.groupby(folds.series).max().items()}
    return {str(k): int(v) for k, v in record.forecasts.groupby("series").step.max().items()}


def _versions(record: SavedRun) -> dict[str, Any]:
    return {"packages": record.manifest.get("packages", {}),
            "git_commit": record.manifest.get("git_commit")}


def _same_or_changed(what: str, first: str, second: str) -> str:
    return f"{what}: same ({first})" if first == second else f"{what}: A {first}; B {second}"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: {"models": {"lstm": {"epochs": 30}}} -> models.lstm.epochs."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _dict_changes(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    changes = []
    for key in dict.fromkeys([*first, *second]):
        if key not in second:
            changes.append(f"{key}: {first[key]!r} -> (removed)")
        elif key not in first:
            changes.append(f"{key}: (added) -> {second[key]!r}")
        elif first[key] != second[key]:
            changes.append(f"{key}: {first[key]!r} -> {second[key]!r}")
    return changes


def _config_changes(a: SavedRun, b: SavedRun) -> list[str]:
    """Config keys that differ; a model label new in B as one line with the parameters that
    differ from its model's defaults (for the run's seasonal period), a removed one as one."""
    models_a, models_b = a.config.get("models", {}), b.config.get("models", {})
    changes = _dict_changes(*(_flat({k: v for k, v in r.config.items() if k != "models"})
                              for r in (a, b)))
    for label in dict.fromkeys([*models_a, *models_b]):
        if label not in models_b:
            changes.append(f"models.{label}: removed")
        elif label not in models_a:
            entry = models_b[label]
            own = _non_default(entry, _periods(b))
            shown = ", ".join(f"{k} = {v!r}" for k, v in own.items()) or "default parameters"
            changes.append(f"models.{label}: added ({entry.get('model', label)}; {shown})")
        else:
            changes += _dict_changes(_flat(models_a[label], f"models.{label}"),
                                     _flat(models_b[label], f"models.{label}"))
    return changes


def _non_default(entry: dict[str, Any], periods: tuple[float, ...] | None) -> dict[str, Any]:
    """The parameters of a config entry that differ from its registered model's defaults (all
    of them when the model is not registered here)."""
    params = {k: v for k, v in entry.items() if k != "model"}
    try:
        default = registry.get(str(entry.get("model", "")))
        if periods is not None:
            default = default.with_periods(periods)
    except ForecastBenchError:
        return params
    defaults = _plain(default.params())
    return {k: v for k, v in params.items() if _plain(v) != defaults.get(k)}


def _periods(record: SavedRun) -> tuple[float, ...] | None:
    """The seasonal periods the run gave its models (folds.csv periods; a run written before
    they were recorded: mase_period, then the models' period too), if it says and every series
    has the same."""
    folds = record.folds
    if "periods" in folds:
        words = {"" if pd.isna(cell) else str(cell) for cell in folds.periods}
        return from_words(words.pop()) if len(words) == 1 else None
    periods = set(folds.mase_period.dropna()) if "mase_period" in folds else set()
    return (int(periods.pop()),) if len(periods) == 1 else None


def _plain(value: Any) -> Any:
    """Tuples as lists, at any depth, as a config read back from TOML holds them."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
