"""The runner's parts (benchmarks.run.runner): a series' models and folds, skipped.csv, the
extra forecast files, manifest.json and the finished run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pandas as pd

from forecast_bench.benchmarks.config import RunConfig
from forecast_bench.benchmarks.data import Dataset
from forecast_bench.benchmarks.data.collection import Collection, SeriesData
from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.harness.cache import TaskCache
from forecast_bench.evaluation.harness.executors import ExecutorSpec
from forecast_bench.evaluation.harness.splits import DATASET, Fold
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, WalkForwardResult
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.scoring.analysis import Analysis
from forecast_bench.evaluation.scoring.collection_analysis import CollectionAnalysis
from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ConfigError

CACHE_DIR = ".cache"  # inside the results folder
# split.horizon = "dataset" for a series whose dataset gives none: M4's horizon for its frequency
M4_HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18, "weekly": 13, "daily": 14,
               "business daily": 14}


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """A finished run: one series has its Dataset and an Analysis, a collection run its
    Collection and a CollectionAnalysis."""

    run_dir: Path
    dataset: Dataset | Collection
    result: WalkForwardResult
    analysis: Analysis | CollectionAnalysis  # every derived table (terminal.run_text prints it)
    left_out: tuple[str, ...] = ()  # why a model was left out of a series (too short)

    @property
    def summary(self) -> pd.DataFrame:
        return self.analysis.summary

    @property
    def text(self) -> str:
        return self.analysis.text


def write_extra_forecasts(run_dir: Path, outcome: WalkForwardResult) -> None:
    """members.csv (each seed's forecasts) and one_step.csv (split.one_step), when a run has
    them."""
    for name, frame in ((run_files.MEMBERS, outcome.members),
                        (run_files.ONE_STEP, outcome.one_step)):
        if len(frame):
            results.write_csv(run_dir / name, frame, float_format=None)


def series_models(prototypes: dict[str, Forecaster], item: SeriesData) -> dict[str, Forecaster]:
    """The run's models for one series: a model that takes the seasonal period gets the
    series' primary period, one taking several all its periods, where the config leaves it
    unset (Forecaster.with_periods)."""
    return {label: model.with_periods(item.periods) for label, model in prototypes.items()}


def too_short(models: dict[str, Forecaster], folds: list[Fold]) -> dict[str, str]:
    """label -> reason for each model that needs more training values than the first fold's
    training part (the shortest) holds; those are left out of this series only."""
    available = folds[0].train_size
    return {label: f"model {label!r} needs at least {model.min_train_size} training values, "
                   f"the first training part has {available}"
            for label, model in models.items() if model.min_train_size > available}


def split_series(cfg: RunConfig, item: SeriesData,
                 models: dict[str, Forecaster]) -> tuple[list[Fold], int, dict[str, str]]:
    """The folds of one series, its horizon and the models too short for it (label ->
    reason). The folds do not depend on the models; ConfigError when the split fails or no
    model can run (naming the least demanding model), DataError when most of its test part
    was filled."""
    label = min(models, key=lambda name: models[name].min_train_size)
    min_train = models[label].min_train_size
    horizon = item.horizon or M4_HORIZONS.get(item.frequency)
    if not horizon:
        _no_horizon(cfg, item)  # raises where split.horizon is 'dataset'
    split = cfg.split.resolved(horizon)
    try:
        folds = split.split(len(item.series), min_train=min_train)
    except ConfigError as exc:
        if min_train <= 2 or "to train" not in str(exc):
            raise
        raise ConfigError(f"{exc}; model {label!r} needs at least {min_train} training "
                          "values (for a network: look_back plus warm-up and a batch)") from None
    gaps.check_test_observed(item.id, item.filled, folds)
    return folds, int(split.horizon), too_short(models, folds)


def _no_horizon(cfg: RunConfig, item: SeriesData) -> None:
    """ConfigError naming why split.horizon = 'dataset' finds no horizon for ``item``."""
    if cfg.split.horizon != DATASET:
        return None
    n = len(item.series)
    why = (f"has only {n} value{'s' if n != 1 else ''}, too few to tell its frequency"
           if item.frequency == "unknown" and n < 3 else
           f"has frequency {item.frequency!r}, which has no standard horizon")
    fix = ("add rows (a series needs several values to be forecast and scored), or give the "
           "horizon with --horizon N (split.horizon)" if n < 3 else
           "give it with --horizon N (split.horizon) or the frequency with --frequency "
           "(data.frequency)")
    raise ConfigError(f"series {item.id!r} {why}, so its forecast horizon is unknown; {fix}")


def skipped_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """skipped.csv: (series, model, reason); model empty where the whole series was left out."""
    return pd.DataFrame(rows, columns=run_files.SKIPPED_COLUMNS)


def model_counts(labels: list[str], plans: list[SeriesPlan],
                 short: list[str]) -> dict[str, dict[str, int]]:
    """manifest.json's per-model counts: series the model ran on and series too short for it
    (`short`: the label of each (series, model) left out)."""
    return {label: {"n_series": sum(label in plan.models for plan in plans),
                    "n_too_short": short.count(label)} for label in labels}


def run_manifest(run_dir: Path, cfg: RunConfig, created: dt.datetime, started: float,
                 executor: ExecutorSpec, cache: TaskCache | None, status: pd.DataFrame,
                 data: dict[str, object], n_folds: int) -> dict[str, Any]:
    """manifest.json's content: run facts, data provenance, execution, timings, versions."""
    seconds = status.groupby("model", sort=False)[["fit_seconds", "predict_seconds"]]
    cpu = status.groupby("model", sort=False)[["fit_cpu_seconds", "predict_cpu_seconds"]]
    return {
        "run_id": run_dir.name,
        "status": "complete",
        "created": created.isoformat(timespec="seconds"),
        "config_name": cfg.name,
        "seed": cfg.seed,
        "data": data,
        "n_folds": n_folds,
        "execution": {
            "executor": executor.kind, "jobs": executor.jobs, "scheduler": executor.scheduler,
            "cache": ({"folder": str(cache.root), "hits": cache.hits, "misses": cache.misses}
                      if cache is not None else "off"),
        },
        "wall_seconds": {
            "walk_forward": round(time.perf_counter() - started, 3),
            "models": {m: round(float(s), 3) for m, s in seconds.sum().sum(axis=1).items()},
        },
        "cpu_seconds": {  # fit and predict, per model (process_time; tasks cached by older
            # versions did not record it); GPU seconds are not measured
            "models": {m: round(float(s), 3) for m, s in
                       cpu.sum(min_count=1).sum(axis=1, min_count=1).items() if s == s},
        },
        **results.environment(),
    }
