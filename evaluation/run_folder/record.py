"""What a run saved, in memory: the input to every table, plot and report.

Every run, of one series or of many, saves the same files (`run_files`) and reads back as one
`RunRecord`: the values with a series column, one row per series in `info`, the folds, the
forecasts and the status with a series column. The runner builds one from what it just
computed; `forecast-bench report`, `table`, `compare` and `explain` read one back from a run
folder, so a report rebuilt later is computed the same way from the same forecasts, without
refitting anything. `RunRecord.one(series_id)` is one series' view (a `SeriesRecord`), the input
of the single-series report (EDA, Diebold-Mariano tests, forecast plots).
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
FORECAST_COLUMNS = tuple(c for c in run_files.FORECAST_COLUMNS if c != "series")
FOLD_SCALE = ("fold", "naive_mae_train")  # MASE's scale
SKIPPED_COLUMNS = run_files.SKIPPED_COLUMNS
_IDS = {"series": str, "id": str}


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
    values: pd.DataFrame  # series, date, value: the data every model saw
    info: pd.DataFrame  # one row per series read: id, frequency, period, horizon, n, ...
    skipped: pd.DataFrame  # series, model, reason: left out before any model ran
    folds: pd.DataFrame  # folds.csv: one row per (series, fold)
    forecasts: pd.DataFrame  # one row per (series, model, fold, origin, step)
    status: pd.DataFrame  # one row per (series, model, fold)
    members: pd.DataFrame  # ensemble members' forecasts (may be empty)
    histories: dict[str, list[dict[str, list[float]]]]  # training curves per model and task
    manifest: dict[str, Any]

    @property
    def evaluated(self) -> list[str]:
        """The series some model ran on, in the run's order."""
        return list(dict.fromkeys(self.folds["series"].astype(str)))

    @property
    def is_single(self) -> bool:
        """One series read, none left out: the single-series report applies."""
        return len(self.info) == 1 and not len(self.skipped_series) and len(self.folds) > 0

    @property
    def reference(self) -> str:
        return str(self.config.get("reference", "naive"))

    @property
    def scales(self) -> pd.DataFrame:
        """series, fold, scale: MASE's scale (seasonal naive MAE of each fold's training part)."""
        return self.folds[["series", "fold", "naive_mae_train"]].rename(
            columns={"naive_mae_train": "scale"})

    @property
    def skipped_series(self) -> pd.DataFrame:
        """Series left out as a whole (by cleaning, or their split failed)."""
        return self.skipped[self.skipped["model"] == ""]

    @property
    def too_short(self) -> pd.DataFrame:
        """(series, model) pairs left out because the series is too short for the model."""
        return self.skipped[self.skipped["model"] != ""]

    @property
    def n_read(self) -> int:
        """Series read and cleaned (`forecast-bench data`'s count): series_info.csv's rows."""
        return len(self.info)

    @property
    def n_evaluated(self) -> int:
        """Series read on which at least one model ran (the others' split failed)."""
        return self.n_read - len(set(self.skipped_series["series"]) & set(self.info["id"]))

    @property
    def categories(self) -> dict[str, str]:
        if "category" not in self.info:
            return {}
        known = self.info.dropna(subset=["category"])
        return dict(zip(known["id"].astype(str), known["category"].astype(str), strict=True))

    def series(self, series_id: str) -> pd.Series:
        """One series' values, indexed by date."""
        rows = self.values[self.values["series"] == series_id]
        return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["date"]),
                         name=series_id)

    def one(self, series_id: str | None = None) -> SeriesRecord:
        """One evaluated series' view (default: the only one); DataError naming the choices."""
        evaluated = self.evaluated
        if series_id is None:
            if len(evaluated) != 1:
                raise DataError(f"run {self.run_id} has {len(evaluated)} evaluated series; name "
                                f"one with --series (for example {evaluated[0]!r})"
                                if evaluated else f"run {self.run_id} evaluated no series")
            series_id = evaluated[0]
        if series_id not in evaluated:
            raise DataError(f"run {self.run_id} has no evaluated series {series_id!r}; it has "
                            f"{', '.join(evaluated[:5])}{' ...' if len(evaluated) > 5 else ''}")
        column = self.manifest.get("data", {}).get("column") if self.is_single else None
        series = self.series(series_id).rename(column or series_id).rename_axis("date")

        def mine(frame: pd.DataFrame) -> pd.DataFrame:
            if "series" not in frame or self.is_single:
                return frame
            return frame[frame["series"].astype(str) == series_id].reset_index(drop=True)

        folds = mine(self.folds).drop(columns="series")
        return SeriesRecord(self.run_id, self.config_text, series, normalize_folds(folds),
                            mine(self.forecasts), mine(self.status), mine(self.members),
                            self.histories if self.is_single else {}, self.manifest)


@dataclasses.dataclass(frozen=True)
class SeriesRecord(SavedConfig):
    """One series of a run: its data, folds, forecasts and status (`RunRecord.one`)."""

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
    """Read a run folder written by `forecast-bench run` (of one series or many, including
    the single-series layout of earlier versions); DataError naming what is missing."""
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
        forecasts = _read_forecasts(run_dir / run_files.FORECASTS)
        members_path = run_dir / run_files.MEMBERS
        members = (_read_forecasts(members_path) if members_path.is_file()
                   else pd.DataFrame(columns=[*forecasts.columns, "member"]))
        status = pd.read_csv(run_dir / run_files.STATUS, dtype=_IDS, keep_default_na=False,
                             na_values={c: [""] for c in run_files.TIMING_COLUMNS})
        for column in run_files.TIMING_COLUMNS:  # CPU seconds: not measured before 2026-12
            if column not in status:
                status[column] = float("nan")
        if "leaky" in status:
            status["leaky"] = status.leaky.astype(str).str.lower() == "true"
        histories = _read_json(run_dir / run_files.HISTORIES)
        manifest = _read_json(run_dir / run_files.MANIFEST)
        folds = normalize_folds(pd.read_csv(run_dir / run_files.FOLDS, dtype=_IDS))
        values = pd.read_csv(run_dir / run_files.SERIES, dtype=_IDS)
        skipped = (pd.read_csv(run_dir / run_files.SKIPPED, dtype=str, keep_default_na=False)
                   if (run_dir / run_files.SKIPPED).is_file()
                   else pd.DataFrame(columns=SKIPPED_COLUMNS))
        info_path = run_dir / run_files.SERIES_INFO
        info = pd.read_csv(info_path, dtype=_IDS) if info_path.is_file() else None
    except (ValueError, KeyError, IndexError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{run_dir}: cannot read the run's files ({exc}); rerun the "
                        "benchmark") from None
    lacking = [f"{file} column {column}" for file, frame, columns in (
        (run_files.FORECASTS, forecasts, FORECAST_COLUMNS), (run_files.FOLDS, folds, FOLD_SCALE))
        for column in columns if column not in frame.columns]
    if lacking:  # checked before a report rewrites anything
        raise DataError(f"{run_dir} lacks {', '.join(lacking)}: it was written by an older "
                        f"version; rerun its config: forecast-bench run {run_dir}/config.toml")
    if "model" not in skipped:  # written before models were left out one by one
        skipped.insert(1, "model", "")
    if "series" not in values:  # one series, as written before 2026-12-07: date, <column>
        sid = str(forecasts["series"].iloc[0]) if "series" in forecasts and len(forecasts) \
            else str(manifest.get("data", {}).get("source", "series"))
        values = pd.DataFrame({"series": sid, "date": values.iloc[:, 0],
                               "value": values.iloc[:, 1]})
        folds.insert(0, "series", sid)
        info = pd.DataFrame({"id": [sid], "n": [len(values)]})
    if info is None:
        info = pd.DataFrame({"id": values["series"].unique()})
    values["date"] = pd.to_datetime(values["date"])
    run_id = str(manifest.get("run_id", run_dir.name))  # results/example keeps its run's id
    return RunRecord(run_id, config_text, values, info, skipped, folds, forecasts, status,
                     members, histories, manifest)


def _read_forecasts(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["origin", "target"], dtype={"series": str})


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
