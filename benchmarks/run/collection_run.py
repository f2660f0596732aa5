"""A run over a collection of series: split each series, run every model on every series,
write the long tables and the aggregate outputs into results/<run-id>/."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.config import RunConfig, build_models, to_toml
from forecast_bench.benchmarks.data.collection import Collection
from forecast_bench.benchmarks.run import collection_outputs
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
from forecast_bench.evaluation.harness.executors import ExecutorSpec
from forecast_bench.evaluation.harness.splits import fold_rows
from forecast_bench.evaluation.harness.walk_forward import Progress, SeriesPlan, run_plans
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.run_folder.collection_record import CollectionRecord
from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ConfigError, DataError


def plan_series(cfg: RunConfig, collection: Collection, prototypes: dict[str, Forecaster]
                ) -> tuple[list[SeriesPlan], list[tuple[str, str, str]]]:
    """Each series' folds and the models that can run on it (the prototypes, its seasonal
    period filled in), and the skipped rows (series, model, reason): a model too short for a
    series is left out of that series only (model named); a series whose split fails, or that
    cleaning left out, as a whole (model empty). Never fatal for the other series."""
    plans, skipped = [], [(sid, "", reason) for sid, reason in collection.skipped]
    for item in collection.items:
        models = series_models(prototypes, item)
        try:
            folds, horizon, short = split_series(cfg, item, models)
        except (ConfigError, DataError) as exc:  # too short, or its test part mostly filled
            said, named = str(exc), f"series {item.id!r}"
            skipped.append((item.id, "", said if said.startswith(named) else f"{named}: {said}"))
            continue
        if folds[0].train_size <= item.period:  # MASE's scale undefined: no aggregate score
            skipped.append((item.id, "", f"series {item.id!r}: its first fold trains on "
                            f"{folds[0].train_size} values, no more than its seasonal period "
                            f"{item.period}, so MASE's scale (the seasonal naive's in-sample "
                            "error) is undefined; lower --test-size or --horizon, or set "
                            "--period"))
            continue
        skipped += [(item.id, label, f"series {item.id!r}: {reason}")
                    for label, reason in short.items()]
        runnable = {label: model for label, model in models.items() if label not in short}
        plans.append(SeriesPlan(item.id, item.series, folds, horizon, runnable, cfg.levels,
                                cfg.split.one_step, item.filled))
    if not plans:
        first = skipped[0][2] if skipped else "the collection is empty"
        raise DataError(f"no series of {collection.source} can be evaluated "
                        f"({len(skipped)} skipped); the first: {first}")
    return plans, skipped


def run_collection_benchmark(cfg: RunConfig, collection: Collection, out_root: Path,
                             progress: Progress | None, executor: ExecutorSpec,
                             use_cache: bool) -> RunOutcome:
    """Validate and split first (nothing is written when no series can run), then run."""
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
    prototypes = build_models(cfg)
    plans, skipped = plan_series(cfg, collection, prototypes)
    periods = {item.id: item.period for item in collection.items}
    run_dir = results.new_run_dir(out_root, cfg.name)
    config_text = to_toml(cfg, prototypes)
    values = pd.DataFrame({
        "series": np.concatenate([np.full(len(p.series), p.id, dtype=object) for p in plans]),
        "date": np.concatenate([p.series.index.to_numpy() for p in plans]),
        "value": np.concatenate([p.series.to_numpy() for p in plans]),
    })
    folds = pd.DataFrame([{"series": plan.id, **row} for plan in plans
                          for row in fold_rows(list(plan.folds), plan.series, periods[plan.id])])
    info = collection.summary_frame()
    skipped_table = skipped_frame(skipped)
    results.write_text(run_dir / run_files.CONFIG, config_text)
    for name, frame in ((run_files.SERIES, values), (run_files.SERIES_INFO, info),
                        (run_files.SKIPPED, skipped_table), (run_files.FOLDS, folds)):
        results.write_csv(run_dir / name, frame, float_format=None)

    cache = TaskCache(out_root / CACHE_DIR) if use_cache else None
    outcome = run_plans(plans, progress, executor, cache)
    results.write_csv(run_dir / run_files.FORECASTS, outcome.forecasts, float_format=None)
    results.write_csv(run_dir / run_files.STATUS, outcome.status, float_format=None)
    write_extra_forecasts(run_dir, outcome)
    results.write_json(run_dir / run_files.HISTORIES, outcome.histories)
    # n_series and n_skipped as `forecast-bench data` counts them (read, left out by cleaning)
    data = {**collection.describe(), "n_evaluated": len(plans),
            "n_not_evaluated": len(collection) - len(plans), "sha256": collection.sha256()}
    manifest = run_manifest(run_dir, cfg, created, started, executor, cache, outcome.status,
                            data, len(folds))
    manifest["models"] = model_counts(list(prototypes), plans,
                                      [model for _, model, _ in skipped if model])
    record = CollectionRecord(run_dir.name, config_text, values, info, skipped_table, folds,
                              outcome.forecasts, outcome.status, manifest)
    analysis = collection_outputs.write_collection_outputs(record, run_dir)
    manifest["wall_seconds"]["total"] = round(time.perf_counter() - started, 3)
    results.write_json(run_dir / run_files.MANIFEST, manifest)  # last: marks the run complete
    return RunOutcome(run_dir, collection, outcome, analysis)
