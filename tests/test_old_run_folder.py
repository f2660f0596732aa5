"""`forecast-bench report` on a run folder written by an older version: a one-line error
naming the missing column and the fix, exit status 2, and no file rewritten."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecast_bench.benchmarks import cli

EXAMPLE = Path(__file__).resolve().parent.parent / "results" / "example"


def older(tmp_path: Path, file: str, column: str) -> Path:
    """A copy of results/example whose `file` lacks `column`, as an older version wrote it."""
    folder = tmp_path / "old-run"
    shutil.copytree(EXAMPLE, folder)
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(folder / file, index=False)
    return folder


@pytest.mark.parametrize("file, column", [("folds.csv", "naive_mae_train"),
                                          ("forecasts.csv", "y_origin")])
def test_report_on_an_older_folder_says_what_is_missing_and_writes_nothing(tmp_path, capsys,
                                                                           file, column):
    """naive_mae_train missing ended in a ValueError traceback from evaluation/scoring/metrics.py;
    y_origin missing failed only after the tables had been rewritten."""
    folder = older(tmp_path, file, column)
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert cli.main(["report", str(folder)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"lacks {file} column {column}" in line and "older version" in line
    assert f"forecast-bench run {folder}/config.toml" in line
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before

