"""One benchmark run: load data, split once, run every model, write results/<run-id>/."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pandas as pd

from benchmarks import outputs, results
from benchmarks.config import RunConfig, build_models, to_toml
from benchmarks.data import Dataset, load
from evaluation.analysis import Analysis
from evaluation.cache import TaskCache
from evaluation.executors import SERIAL, ExecutorSpec
from evaluation.record import RunRecord, normalize_folds
from evaluation.splits import folds_frame
from evaluation.walk_forward import Progress, WalkForwardResult, run_walk_forward
from models.errors import ConfigError

CACHE_DIR = ".cache"  # inside the results folder


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    dataset: Dataset
    result: WalkForwardResult
    analysis: Analysis  # every derived table; analysis.text is what the terminal shows

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
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
    dataset = load(cfg.data)
    models = build_models(cfg)
    neediest = max(models, key=lambda label: models[label].min_train_size)
    min_train = models[neediest].min_train_size
    try:
        folds = cfg.split.split(len(dataset.series), min_train=min_train)
    except ConfigError as exc:
        if min_train <= 2 or "to train" not in str(exc):
            raise
        raise ConfigError(f"{exc}; model {neediest!r} needs at least {min_train} training "
                          "values (for a network: look_back plus warm-up and a batch)") from None
    run_dir = results.new_run_dir(out_root, cfg.name)
    config_text = to_toml(cfg, models)
    fold_table = folds_frame(folds, dataset.series)
    results.write_text(run_dir / "config.toml", config_text)
    results.write_csv(run_dir / "folds.csv", fold_table, float_format=None)
    results.write_csv(run_dir / "series.csv", dataset.series.rename_axis("date").reset_index(),
                      float_format=None)

    cache = TaskCache(out_root / CACHE_DIR) if use_cache else None
    outcome = run_walk_forward(dataset.series, folds, models, cfg.split.horizon, progress,
                               executor, cache)
    results.write_csv(run_dir / "forecasts.csv", outcome.forecasts, float_format=None)
    results.write_csv(run_dir / "status.csv", outcome.status, float_format=None)
    if len(outcome.members):
        results.write_csv(run_dir / "members.csv", outcome.members, float_format=None)
    results.write_json(run_dir / "histories.json", outcome.histories)
    seconds = outcome.status.groupby("model", sort=False)[["fit_seconds", "predict_seconds"]]
    manifest = {
        "run_id": run_dir.name,
        "status": "complete",
        "created": created.isoformat(timespec="seconds"),
        "config_name": cfg.name,
        "seed": cfg.seed,
        "data": {**dataset.describe(), "sha256": dataset.sha256()},
        "n_folds": len(folds),
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
    record = RunRecord(run_dir.name, config_text, dataset.series, normalize_folds(fold_table),
                       outcome.forecasts, outcome.status, outcome.members, outcome.histories,
                       manifest)
    analysis = outputs.write_outputs(record, run_dir)
    manifest["wall_seconds"]["total"] = round(time.perf_counter() - started, 3)
    results.write_json(run_dir / "manifest.json", manifest)  # last: marks the run complete
    return RunOutcome(run_dir, dataset, outcome, analysis)

