"""One benchmark run, of one series or of many: load the data, split each series once, run
every model on every series, write results/<run-id>/.

The path is the same for any number of series, and so is the run folder (a series column
always). Only the report's sections depend on what the run has: one series (read and
evaluated) gets the EDA, Diebold-Mariano tests and forecast plots; several get aggregate
scores, ranks and the Friedman/Nemenyi tests across series (benchmarks.run.outputs).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.config import RunConfig, build_models, to_toml
from forecast_bench.benchmarks.data.collection import (
    Collection,
    SeriesData,
    load_with_dataset,
    only_series,
)
from forecast_bench.benchmarks.data.periods import periods_words
from forecast_bench.benchmarks.run import outputs
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
from forecast_bench.evaluation.harness.splits import fold_rows
from forecast_bench.evaluation.harness.walk_forward import Progress, SeriesPlan, run_plans
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.run_folder.record import RunRecord, normalize_folds
from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ConfigError, DataError

Skipped = list[tuple[str, str, str]]  # (series, model, reason); model "" for a whole series


def run(cfg: RunConfig, out_root: Path, progress: Progress | None = None,
        executor: ExecutorSpec = SERIAL, use_cache: bool = True) -> RunOutcome:
    """Validate and split first (nothing is written for bad input, or when no series can
    run), then run and write.

    Task results are cached under out_root/.cache (use_cache=False: neither read nor written),
    so a rerun, or a run killed half-way and started again, computes only what is missing.
    """
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
    collection, dataset = load_with_dataset(cfg.data)
    single = len(collection) == 1 and not collection.skipped
    prototypes = build_models(cfg)
    plans, skipped, short = plan_series(cfg, collection, prototypes)
    run_dir = results.new_run_dir(out_root, cfg.name)
    # one series: its config names the models as they ran on it (its seasonal period set)
    shown = series_models(prototypes, collection.items[0]) if single else prototypes
    config_text = to_toml(cfg, shown)
    values, folds = _inputs(plans, {item.id: item for item in collection.items})
    info, skipped_table = collection.summary_frame(), skipped_frame(skipped)
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
    if single:
        dataset = dataset if dataset is not None else only_series(collection)
        data = {**dataset.describe(), "sha256": dataset.sha256()}
    else:  # n_series and n_skipped as `forecast-bench data` counts them
        data = {**collection.describe(), "n_evaluated": len(plans),
                "n_not_evaluated": len(collection) - len(plans), "sha256": collection.sha256()}
    n_folds = sum(len(plan.folds) for plan in plans)
    manifest = run_manifest(run_dir, cfg, created, started, executor, cache, outcome.status,
                            data, n_folds)
    too_short = [model for _, model, _ in skipped if model]
    if too_short or not single:
        manifest["models"] = model_counts(list(prototypes), plans, too_short)
    record = RunRecord(run_dir.name, config_text, values, info, skipped_table,
                       normalize_folds(folds), outcome.forecasts, outcome.status,
                       outcome.members, outcome.histories, manifest)
    analysis = outputs.write_outputs(record, run_dir)
    manifest["wall_seconds"]["total"] = round(time.perf_counter() - started, 3)
    results.write_json(run_dir / run_files.MANIFEST, manifest)  # last: marks the run complete
    return RunOutcome(run_dir, dataset if single and dataset is not None else collection,
                      outcome, analysis, tuple(short[plans[0].id].values()) if single else ())


def plan_series(cfg: RunConfig, collection: Collection, prototypes: dict[str, Forecaster]
                ) -> tuple[list[SeriesPlan], Skipped, dict[str, dict[str, str]]]:
    """Each series' folds and the models that can run on it (the prototypes, its seasonal
    period filled in); the skipped rows (series, model, reason); per series, the models too
    short for it (label -> reason). A model too short for a series is left out of that series
    only; a series whose split fails, or that cleaning left out, as a whole. Never fatal for
    the other series; the only series of a run fails with its own error."""
    alone = len(collection) == 1 and not collection.skipped
    plans, shorts = [], {}
    skipped: Skipped = [(sid, "", reason) for sid, reason in collection.skipped]
    for item in collection.items:
        models = series_models(prototypes, item)
        try:
            folds, horizon, short = split_series(cfg, item, models)
        except (ConfigError, DataError) as exc:  # too short, or its test part mostly filled
            if alone:
                raise
            said, named = str(exc), f"series {item.id!r}"
            skipped.append((item.id, "", said if said.startswith(named) else f"{named}: {said}"))
            continue
        if not alone and folds[0].train_size <= item.mase_period:  # MASE's scale undefined
            skipped.append((item.id, "", f"series {item.id!r}: its first fold trains on "
                            f"{folds[0].train_size} values, no more than MASE's seasonal lag "
                            f"{item.mase_period}, so MASE's scale (the seasonal naive's in-sample "
                            "error) is undefined; lower --test-size or --horizon, or set "
                            "--period"))
            continue
        skipped += [(item.id, label, f"series {item.id!r}: {reason}")
                    for label, reason in short.items()]
        runnable = {label: model for label, model in models.items() if label not in short}
        shorts[item.id] = short
        plans.append(SeriesPlan(item.id, item.series, folds, horizon, runnable, cfg.levels,
                                cfg.split.one_step, item.filled, item.covariates))
    if not plans:
        first = skipped[0][2] if skipped else "the collection is empty"
        raise DataError(f"no series of {collection.source} can be evaluated "
                        f"({len(skipped)} skipped); the first: {first}")
    return plans, skipped, shorts


def _inputs(plans: list[SeriesPlan],
            items: dict[str, SeriesData]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """series.csv (series, date, value: what the models saw) and folds.csv (a row per series
    and fold; MASE's scale with the series' mase_period, and its periods, "24 168")."""
    values = pd.DataFrame({
        "series": np.concatenate([np.full(len(p.series), p.id, dtype=object) for p in plans]),
        "date": np.concatenate([p.series.index.to_numpy() for p in plans]),
        "value": np.concatenate([p.series.to_numpy() for p in plans]),
    })
    folds = pd.DataFrame([{"series": plan.id, **row,
                           "periods": periods_words(items[plan.id].periods)} for plan in plans
                          for row in fold_rows(list(plan.folds), plan.series,
                                               items[plan.id].mase_period)])
    return values, folds
