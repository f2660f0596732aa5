"""One benchmark run: load data, split once, run every model, write results/<run-id>/.

A dataset is a collection of series. A collection of one is today's single-series run (its
report has EDA, Diebold-Mariano tests and forecast plots); several series make a panel run
(benchmarks.run.collection_run: aggregate scores, ranks and the Friedman/Nemenyi tests across
series).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from forecast_bench.benchmarks.config import RunConfig, build_models, to_toml
from forecast_bench.benchmarks.data import Dataset
from forecast_bench.benchmarks.data.collection import SeriesData, load_with_dataset, only_series
from forecast_bench.benchmarks.run import collection_run, outputs
from forecast_bench.benchmarks.run.steps import (
    CACHE_DIR,
    RunOutcome,
    model_counts,
    run_manifest,
    series_models,
    skipped_frame,
    split_series,
    write_extra_forecasts,
)
from forecast_bench.evaluation.harness.cache import TaskCache
from forecast_bench.evaluation.harness.executors import SERIAL, ExecutorSpec
from forecast_bench.evaluation.harness.splits import folds_frame
from forecast_bench.evaluation.harness.walk_forward import Progress, SeriesPlan, run_plans
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.run_folder.record import RunRecord, normalize_folds


def run(cfg: RunConfig, out_root: Path, progress: Progress | None = None,
        executor: ExecutorSpec = SERIAL, use_cache: bool = True) -> RunOutcome:
    """Validate everything first (nothing is written for bad input), then run and write.

    Task results are cached under out_root/.cache (use_cache=False: neither read nor written),
    so a rerun, or a run killed half-way and started again, computes only what is missing.
    """
    collection, dataset = load_with_dataset(cfg.data)
    if len(collection) > 1 or collection.skipped:
        return collection_run.run_collection_benchmark(cfg, collection, out_root, progress,
                                                       executor,
                                                       use_cache)
    if dataset is None:  # a collection source left with one series
        dataset = only_series(collection)
    return _run_single(cfg, collection.items[0], dataset, out_root, progress, executor,
                       use_cache)


def _run_single(cfg: RunConfig, item: SeriesData, dataset: Dataset, out_root: Path,
                progress: Progress | None, executor: ExecutorSpec,
                use_cache: bool) -> RunOutcome:
    """A collection of one series, ``item``; ``dataset`` is the same series with its
    provenance."""
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
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
    outcome = run_plans([plan], progress, executor, cache)
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
