"""What a run over a collection of series saved, in memory: the input to its aggregate tables,
plots and report. The runner builds one from what it computed; `forecast-bench report` reads one
back from the run folder, so a report rebuilt later needs no model."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.evaluation.run_folder.record import SavedConfig
from forecast_bench.models.errors import DataError

REQUIRED = (run_files.CONFIG, run_files.SERIES, run_files.SERIES_INFO, run_files.FOLDS,
            run_files.FORECASTS, run_files.STATUS)
SKIPPED_COLUMNS = ["series", "model", "reason"]  # model: empty where the whole series was


@dataclasses.dataclass(frozen=True)
class CollectionRecord(SavedConfig):
    """A collection run's inputs and raw outputs; `manifest` is empty when it did not finish."""

    run_id: str
    config_text: str
    values: pd.DataFrame  # series, date, value: the data every model saw
    info: pd.DataFrame  # one row per series: id, frequency, period, horizon, category, n, ...
    skipped: pd.DataFrame  # series, model, reason: left out before any model ran
    folds: pd.DataFrame  # folds.csv with a series column
    forecasts: pd.DataFrame  # one row per (series, model, fold, origin, step)
    status: pd.DataFrame  # one row per (series, model, fold)
    manifest: dict[str, Any]

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


def is_collection_run(run_dir: Path) -> bool:
    return (Path(run_dir) / run_files.SERIES_INFO).is_file()


def load_collection_run(run_dir: Path) -> CollectionRecord:
    """Read a collection run folder; DataError naming what is missing or unreadable."""
    run_dir = Path(run_dir)
    missing = [name for name in REQUIRED if not (run_dir / name).is_file()]
    if missing:
        raise DataError(f"{run_dir} lacks {', '.join(missing)}: not a complete forecast-bench "
                        "collection run folder; rerun the benchmark")
    try:
        config_text = (run_dir / run_files.CONFIG).read_text(encoding="utf-8")
        tomllib.loads(config_text)
        ids = {"series": str, "id": str}
        values = pd.read_csv(run_dir / run_files.SERIES, dtype=ids, parse_dates=["date"])
        info = pd.read_csv(run_dir / run_files.SERIES_INFO, dtype=ids)
        skipped_path = run_dir / run_files.SKIPPED
        skipped = (pd.read_csv(skipped_path, dtype=str, keep_default_na=False)
                   if skipped_path.is_file() else pd.DataFrame(columns=SKIPPED_COLUMNS))
        if "model" not in skipped:  # written before models were left out one by one
            skipped.insert(1, "model", "")
        folds = pd.read_csv(run_dir / run_files.FOLDS, dtype=ids)
        forecasts = pd.read_csv(run_dir / run_files.FORECASTS, dtype=ids,
                                parse_dates=["origin", "target"])
        status = pd.read_csv(run_dir / run_files.STATUS, dtype=ids, keep_default_na=False,
                             na_values={c: [""] for c in ("fit_seconds", "predict_seconds")})
        manifest_path = run_dir / run_files.MANIFEST
        manifest = (json.loads(manifest_path.read_text(encoding="utf-8"))
                    if manifest_path.is_file() else {})
    except (ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{run_dir}: cannot read the run's files ({exc}); rerun the "
                        "benchmark") from None
    return CollectionRecord(str(manifest.get("run_id", run_dir.name)), config_text, values, info,
                            skipped, folds, forecasts, status, manifest)
