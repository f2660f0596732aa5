"""One benchmark run: load data, split once, run every model, write results/<run-id>/.

A dataset is a collection of series. A collection of one is today's single-series run (its
report has EDA, Diebold-Mariano tests and forecast plots); several series make a panel run
(benchmarks.panel_run: aggregate scores, ranks and the Friedman/Nemenyi tests across series).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pandas as pd

from benchmarks import outputs, results
from benchmarks.collection import Collection, SeriesData, load_collection
from benchmarks.config import RunConfig, build_models, to_toml
from benchmarks.data import Dataset, load
from evaluation import gaps, run_files
from evaluation.analysis import Analysis
from evaluation.cache import TaskCache
from evaluation.executors import SERIAL, ExecutorSpec
from evaluation.panel_analysis import PanelAnalysis
from evaluation.panel_record import SKIPPED_COLUMNS
from evaluation.record import RunRecord, normalize_folds
from evaluation.splits import DATASET, Fold, folds_frame
from evaluation.walk_forward import Progress, SeriesPlan, WalkForwardResult, run_panel
from models.base import Forecaster
from models.errors import ConfigError

CACHE_DIR = ".cache"  # inside the results folder
# split.horizon = "dataset" for a series whose dataset gives none: M4's horizon for its frequency
M4_HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18, "weekly": 13, "daily": 14,
               "business daily": 14}


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """A finished run; a collection run has a Collection and a PanelAnalysis."""

    run_dir: Path
    dataset: Dataset | Collection
    result: WalkForwardResult
    analysis: Analysis | PanelAnalysis  # every derived table (terminal.run_text prints it)
    left_out: tuple[str, ...] = ()  # why a model was left out of a series (too short)

    @property
    def summary(self) -> pd.DataFrame:
        return self.analysis.summary

    @property
    def text(self) -> str:
        return self.analysis.text


def run(cfg: RunConfig, out_root: Path, progress: Progress | None = None,
        executor: ExecutorSpec = SERIAL, use_cache: bool = True) -> RunOutcome:
    """Validate everything first (nothing is written for bad input), then run and write.

    Task results are cached under out_root/.cache (use_cache=False: neither read nor written),
    so a rerun, or a run killed half-way and started again, computes only what is missing.
    """
    collection = load_collection(cfg.data)
    if len(collection) > 1 or collection.skipped:
        from benchmarks import panel_run

        return panel_run.run_panel_benchmark(cfg, collection, out_root, progress, executor,
                                             use_cache)
    return _run_single(cfg, collection.items[0], out_root, progress, executor, use_cache)


def write_extra_forecasts(run_dir: Path, outcome: WalkForwardResult) -> None:
    """members.csv (each seed's forecasts) and one_step.csv (split.one_step), when a run has
    them."""
    for name, frame in ((run_files.MEMBERS, outcome.members),
                        (run_files.ONE_STEP, outcome.one_step)):
        if len(frame):
            results.write_csv(run_dir / name, frame, float_format=None)


def series_models(prototypes: dict[str, Forecaster], item: SeriesData) -> dict[str, Forecaster]:
    """The run's models for one series: a model that takes the seasonal period gets the
    series' period where the config leaves it unset."""
    return {label: model.with_period(item.period) for label, model in prototypes.items()}


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
    split = cfg.split.resolved(item.horizon or M4_HORIZONS.get(item.frequency)
                               or _no_horizon(cfg, item))
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


def _run_single(cfg: RunConfig, item: SeriesData, out_root: Path, progress: Progress | None,
                executor: ExecutorSpec, use_cache: bool) -> RunOutcome:
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
    dataset = load(cfg.data)  # the same series as `item`, with its provenance
    models = series_models(build_models(cfg), item)
    folds, horizon, short = split_series(cfg, item, models)
    run_dir = results.new_run_dir(out_root, cfg.name)
    config_text = to_toml(cfg, models)
    if short:
        results.write_csv(run_dir / run_files.SKIPPED, skipped_frame(
            [(item.id, label, reason) for label, reason in short.items()]), float_format=None)
    runnable = {label: model for label, model in models.items() if label not in short}
    fold_table = folds_frame(folds, dataset.series, item.period)
    results.write_text(run_dir / run_files.CONFIG, config_text)
    results.write_csv(run_dir / run_files.FOLDS, fold_table, float_format=None)
    results.write_csv(run_dir / run_files.SERIES, dataset.series.rename_axis("date").reset_index(),
                      float_format=None)

    cache = TaskCache(out_root / CACHE_DIR) if use_cache else None
    plan = SeriesPlan(item.id, dataset.series, folds, horizon, runnable, cfg.levels,
                      cfg.split.one_step, dataset.filled)
    outcome = run_panel([plan], progress, executor, cache)
    results.write_csv(run_dir / run_files.FORECASTS, outcome.forecasts, float_format=None)
    results.write_csv(run_dir / run_files.STATUS, outcome.status, float_format=None)
    write_extra_forecasts(run_dir, outcome)
    results.write_json(run_dir / run_files.HISTORIES, outcome.histories)
    manifest = run_manifest(run_dir, cfg, created, started, executor, cache, outcome.status,
                            {**dataset.describe(), "sha256": dataset.sha256()}, len(folds))
    if short:
        manifest["models"] = model_counts(list(models), [plan], list(short))
    record = RunRecord(run_dir.name, config_text, dataset.series, normalize_folds(fold_table),
                       outcome.forecasts, outcome.status, outcome.members, outcome.histories,
                       manifest)
    analysis = outputs.write_outputs(record, run_dir)
    manifest["wall_seconds"]["total"] = round(time.perf_counter() - started, 3)
    results.write_json(run_dir / run_files.MANIFEST, manifest)  # last: marks the run complete
    return RunOutcome(run_dir, dataset, outcome, analysis, tuple(short.values()))


def skipped_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """skipped.csv: (series, model, reason); model empty where the whole series was left out."""
    return pd.DataFrame(rows, columns=SKIPPED_COLUMNS)


def model_counts(labels: list[str], plans: list[SeriesPlan],
                 short: list[str]) -> dict[str, dict[str, int]]:
    """manifest.json's per-model counts: series the model ran on and series too short for it
    (`short`: the label of each (series, model) left out)."""
    return {label: {"n_series": sum(label in plan.models for plan in plans),
                    "n_too_short": short.count(label)} for label in labels}


def run_manifest(run_dir: Path, cfg: RunConfig, created: dt.datetime, started: float,
                 executor: ExecutorSpec, cache: TaskCache | None, status: pd.DataFrame,
                 data: dict[str, object], n_folds: int) -> dict[str, object]:
    """manifest.json's content: run facts, data provenance, execution, timings, versions."""
    seconds = status.groupby("model", sort=False)[["fit_seconds", "predict_seconds"]]
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
        **results.environment(),
    }
