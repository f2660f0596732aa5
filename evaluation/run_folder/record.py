"""What a run saved, in memory: the input to every table, plot and report.

The runner builds a RunRecord from what it just computed; `forecast-bench report` and `compare`
read one back from a run folder, so a report rebuilt later is computed the same way from the same
forecasts, without refitting anything.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.evaluation.scoring import metrics
from forecast_bench.models.errors import DataError

REQUIRED = (run_files.CONFIG, run_files.SERIES, run_files.FOLDS, run_files.FORECASTS,
            run_files.STATUS)
FOLD_DATES = ("train_start", "train_end", "test_start", "test_end")
# columns the tables and plots need (a run of one series may lack forecasts.csv's series column)
FORECAST_COLUMNS = ("model", "fold", "origin", "target", "step", "y_origin", "y_true", "y_pred")
FOLD_SCALE = ("fold", "naive_mae_train")  # MASE's scale


class SavedConfig:
    """The resolved configuration of a saved run, read from its config.toml text."""

    run_id: str
    config_text: str

    @property
    def config(self) -> dict[str, Any]:
        return tomllib.loads(self.config_text)

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.run_id))


@dataclasses.dataclass(frozen=True)
class RunRecord(SavedConfig):
    """A run's inputs and raw outputs; `manifest` is empty when the run did not finish."""

    run_id: str
    config_text: str  # config.toml, fully resolved
    series: pd.Series  # the data every model saw, indexed by date
    folds: pd.DataFrame  # folds.csv
    forecasts: pd.DataFrame  # one row per (model, fold, origin, step)
    status: pd.DataFrame  # one row per (model, fold)
    members: pd.DataFrame  # ensemble members' forecasts (may be empty)
    histories: dict[str, list[dict[str, list[float]]]]  # training curves per model and fold
    manifest: dict[str, Any]

    @property
    def horizon(self) -> int:
        horizon = self.config.get("split", {}).get("horizon", 1)
        if horizon == "dataset":  # one series of a collection, run alone: its steps say it
            return int(self.forecasts.step.max()) if len(self.forecasts) else 1
        return int(horizon)

    @property
    def leaky(self) -> frozenset[str]:
        """Models that saw the test period while fitting (the tutorial's scaler on all data)."""
        return frozenset(self.status.model[self.status.leaky.astype(bool)])

    @property
    def scales(self) -> dict[int, float]:
        """MASE's scale per fold: the training part's one-step naive MAE."""
        return metrics.scales_from_folds(self.folds)


def normalize_folds(folds: pd.DataFrame) -> pd.DataFrame:
    """Fold dates as Timestamps, whether they come from folds_frame or from folds.csv."""
    return folds.assign(**{c: pd.to_datetime(folds[c]) for c in FOLD_DATES if c in folds})


def load_run(run_dir: Path) -> RunRecord:
    """Read a run folder written by `forecast-bench run`; DataError naming what is missing."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir} is not a folder; pass a run folder such as results/<run-id>")
    missing = [name for name in REQUIRED if not (run_dir / name).is_file()]
    if missing:
        raise DataError(f"{run_dir} lacks {', '.join(missing)}: not a complete forecast-bench run"
                        " folder (or one written by an older version); rerun the benchmark")
    try:
        config_text = (run_dir / run_files.CONFIG).read_text(encoding="utf-8")
        tomllib.loads(config_text)
        series = pd.read_csv(run_dir / run_files.SERIES, index_col=0, parse_dates=[0]).iloc[:, 0]
        forecasts = _read_forecasts(run_dir / run_files.FORECASTS)
        members_path = run_dir / run_files.MEMBERS
        members = (_read_forecasts(members_path) if members_path.is_file()
                   else pd.DataFrame(columns=[*forecasts.columns, "member"]))
        status = pd.read_csv(run_dir / run_files.STATUS, keep_default_na=False,
                             na_values={c: [""] for c in ("fit_seconds", "predict_seconds")})
        status["leaky"] = status.leaky.astype(str).str.lower() == "true"
        histories = _read_json(run_dir / run_files.HISTORIES)
        manifest = _read_json(run_dir / run_files.MANIFEST)
        folds = normalize_folds(pd.read_csv(run_dir / run_files.FOLDS))
    except (ValueError, KeyError, IndexError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{run_dir}: cannot read the run's files ({exc}); rerun the "
                        "benchmark") from None
    lacking = [f"{file} column {column}" for file, frame, columns in (
        (run_files.FORECASTS, forecasts, FORECAST_COLUMNS), (run_files.FOLDS, folds, FOLD_SCALE))
        for column in columns if column not in frame.columns]
    if lacking:  # checked before a report rewrites anything
        raise DataError(f"{run_dir} lacks {', '.join(lacking)}: it was written by an older "
                        f"version; rerun its config: forecast-bench run {run_dir}/config.toml")
    run_id = str(manifest.get("run_id", run_dir.name))  # results/example keeps its run's id
    return RunRecord(run_id, config_text, series, folds, forecasts, status, members,
                     histories, manifest)


def _read_forecasts(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["origin", "target"], dtype={"series": str})


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
