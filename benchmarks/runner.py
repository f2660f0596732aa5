"""One benchmark run: load data, split once, run every model, write results/<run-id>/."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pandas as pd

from benchmarks import results
from benchmarks.config import RunConfig, build_models, to_toml
from benchmarks.data import Dataset, load
from evaluation import formats, metrics, tables
from evaluation import tests as significance
from evaluation.splits import Fold, folds_frame
from evaluation.walk_forward import Progress, WalkForwardResult, run_walk_forward


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    dataset: Dataset
    result: WalkForwardResult
    summary: pd.DataFrame
    text: str  # what the terminal shows: the summary table and its notes


def run(cfg: RunConfig, out_root: Path, progress: Progress | None = None) -> RunOutcome:
    """Validate everything first (nothing is written for bad input), then run and write."""
    started, created = time.perf_counter(), dt.datetime.now().astimezone()
    dataset = load(cfg.data)
    models = build_models(cfg)
    min_train = max(model.min_train_size for model in models.values())
    folds = cfg.split.split(len(dataset.series), min_train=min_train)
    run_dir = results.new_run_dir(out_root, cfg.name)
    results.write_text(run_dir / "config.toml", to_toml(cfg, models))
    results.write_csv(run_dir / "folds.csv", folds_frame(folds, dataset.series))

    outcome = run_walk_forward(dataset.series, folds, models, cfg.split.horizon, progress)
    by_fold = metrics.scores_by_fold(outcome.forecasts)
    summary = metrics.summarize(outcome.forecasts, outcome.status, members=outcome.members)
    horizon = cfg.split.horizon
    versus_naive = significance.dm_vs_reference(outcome.forecasts, horizon=horizon)
    summary = summary.merge(versus_naive[["model", "pvalue"]].rename(
        columns={"pvalue": "dm_pvalue_vs_naive"}), on="model", how="left")
    dm_statistics, dm_pvalues = significance.dm_matrix(outcome.forecasts, horizon=horizon)
    text = tables.summary_table(summary) + "\n\n" + "\n".join(
        f"- {note}" for note in tables.summary_notes(summary, len(folds))
    )
    results.write_csv(run_dir / "forecasts.csv", outcome.forecasts)
    results.write_csv(run_dir / "status.csv", outcome.status)
    results.write_csv(run_dir / "metrics_by_fold.csv", by_fold)
    results.write_csv(run_dir / "summary.csv", summary)
    for fmt in ("latex", "html"):
        results.write_text(run_dir / f"summary.{formats.EXTENSIONS[fmt]}",
                           formats.render(summary, fmt))
    results.write_text(run_dir / "dm_pvalues.csv", dm_pvalues.to_csv(float_format="%.6g"))
    results.write_text(run_dir / "dm_statistics.csv", dm_statistics.to_csv(float_format="%.6g"))
    if len(outcome.members):
        results.write_csv(run_dir / "members.csv", outcome.members)
    _plots(run_dir / "plots", cfg, outcome)
    results.write_text(run_dir / "summary.md",
                       _summary_markdown(run_dir.name, cfg, dataset, folds, text, by_fold,
                                         outcome.status, dm_pvalues))
    seconds = outcome.status.groupby("model", sort=False)[["fit_seconds", "predict_seconds"]]
    results.write_json(run_dir / "manifest.json", {
        "run_id": run_dir.name,
        "status": "complete",
        "created": created.isoformat(timespec="seconds"),
        "config_name": cfg.name,
        "seed": cfg.seed,
        "data": {**dataset.describe(), "sha256": dataset.sha256()},
        "n_folds": len(folds),
        "wall_seconds": {
            "total": round(time.perf_counter() - started, 3),
            "models": {m: round(float(s), 3) for m, s in seconds.sum().sum(axis=1).items()},
        },
        **results.environment(),
    })
    return RunOutcome(run_dir, dataset, outcome, summary, text)


def _plots(folder: Path, cfg: RunConfig, outcome: WalkForwardResult) -> None:
    """Actual vs predicted (the tutorial's plot, every model) and training curves."""
    from evaluation import plots  # matplotlib is imported only when a run writes plots

    if len(outcome.forecasts):
        leaky = set(outcome.status.model[outcome.status.leaky])
        shown = outcome.forecasts.assign(model=tables.marked(outcome.forecasts.model, leaky))
        plots.plot_actual_vs_predicted(shown, folder / "actual_vs_predicted.png",
                                       title=f"{cfg.name}: actual vs predicted, step 1")
    plots.plot_training_curves(outcome.histories, folder / "training_curves.png")


def _summary_markdown(run_id: str, cfg: RunConfig, dataset: Dataset, folds: list[Fold],
                      text: str, by_fold: pd.DataFrame, status: pd.DataFrame,
                      dm_pvalues: pd.DataFrame) -> str:
    series = dataset.series
    split = cfg.split
    window = "expanding" if split.window == "expanding" else f"sliding ({split.window})"
    parts = [
        f"# forecast-bench run `{run_id}`",
        "",
        f"Data: `{dataset.source}` column `{dataset.column}`, {len(series)} values "
        f"{series.index[0].date()} .. {series.index[-1].date()} (sha256 {dataset.sha256()[:12]}).",
        *(f"Data note: {note}" for note in dataset.notes),
        f"Split: {len(folds)} {window} fold(s), {sum(f.test_end - f.train_end for f in folds)} "
        f"test values from {series.index[folds[0].train_end].date()}, horizon {split.horizon}, "
        f"origins every {split.step} step(s); models refitted at each fold start.",
        "",
        "## Summary",
        "",
        text,
        "",
        "## RMSE per fold",
        "",
        tables.fold_table(by_fold, leaky=frozenset(status.model[status.leaky])),
        "",
        f"## Diebold-Mariano p-values, {split.horizon}-step forecasts",
        "",
        "Two-sided, Harvey-Leybourne-Newbold corrected, squared loss, on the forecasts both "
        "models made; below 0.05: the two models' accuracy differs by more than noise.",
        "",
        tables.dm_table(dm_pvalues),
    ]
    for title, table in (("Fitted models", tables.fitted_table(status)),
                         ("Failures", tables.failures_table(status))):
        if table:
            parts += ["", f"## {title}", "", table]
    return "\n".join(parts) + "\n"
