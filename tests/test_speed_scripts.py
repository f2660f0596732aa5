"""The end-to-end speed script runs (--quick) and writes a complete, parseable report.

No wall-clock limits are asserted: the speed scripts measure, tests only check they work.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME_ROWS = ("cold, `--jobs 1 --no-cache`", "cold, `--jobs 2 --no-cache`",
             "cold, `--executor dask --jobs 2 --no-cache`", "cold cached run, empty folder",
             "warm rerun, same folder (all cached)",
             "cached run without arima", "add arima to that cached run")


def table_rows(text: str, header: str) -> dict[str, list[str]]:
    """The cells of the markdown table whose header row starts with `header`, by row label."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        label, *cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[label] = cells
    return rows


def report_of(script: str, args: list[str], tmp_path: Path, slug: str) -> str:
    """Run benchmarks/speed/<script> with `args` (and --out tmp_path); the text of the one
    report it wrote, <date>-<slug>.md."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "speed" / script), *args,
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [report] = tmp_path.glob(f"*-{slug}.md")
    return report.read_text(encoding="utf-8")


def test_default_benchmark_quick_writes_a_complete_report(tmp_path: Path) -> None:
    text = report_of("default_benchmark.py", ["--quick", "--runs", "1"], tmp_path,
                     "default-benchmark")

    times = table_rows(text, "|  ")
    assert set(times) == set(TIME_ROWS)
    for label, (median, low, high, runs, ratio, _meaning, _cache) in times.items():
        assert float(low) <= float(median) <= float(high), label
        assert int(runs) == 1 and float(ratio) > 0, label
    assert times[TIME_ROWS[0]][4] == "1.00"
    assert times[TIME_ROWS[4]][6] == "6/0"  # 3 models x 2 folds, all from the cache
    assert times[TIME_ROWS[6]][6] == "4/2"  # only arima's 2 tasks computed

    memory = table_rows(text[text.index("## Peak resident memory"):], "|  ")
    assert set(memory) == set(TIME_ROWS)
    for label, cells in memory.items():
        assert float(cells[0]) > 0 and float(cells[3]) > 0 and float(cells[4]) > 0, label
    assert memory[TIME_ROWS[0]][1:3] == ["-", "0"]  # jobs 1: no worker processes
    for parallel in TIME_ROWS[1:3]:  # loky and dask: two worker processes each
        assert float(memory[parallel][1]) > 0 and int(memory[parallel][2]) == 2, parallel

    assert "RMSE identity, jobs 1 vs jobs 2: summary.csv RMSEs identical in every round: yes" \
        in text
    assert "over 120 forecasts -> PASS" in text
    assert "max |forecast difference| 0 -> PASS" in text  # dask
    assert "FAIL" not in text


def test_m3_panel_quick_writes_a_complete_report(tmp_path: Path) -> None:
    text = report_of("m3_panel.py", ["--quick"], tmp_path, "m3-panel")
    rows = table_rows(text, "| run ")
    assert set(rows) == {"cold, m3:other, `--jobs 1`", "warm rerun, same folder",
                         "cold, m3:other, `--jobs 2`", "cold, m3:yearly, `--jobs 1`",
                         "cold, m3:other, naive + auto-ARIMA", "warm rerun of naive + auto-ARIMA"}
    assert rows["cold, m3:other, `--jobs 1`"][0] == "174"
    # 174 series x (3 models + Naive2, the competition config's reference), all cached
    assert rows["warm rerun, same folder"][1] == "696 (696)"
    assert rows["cold, m3:yearly, `--jobs 1`"][0] == "645"
    assert rows["warm rerun of naive + auto-ARIMA"][1] == "36 (36)"  # 12 series x 3 (+ Naive2)
    for label, cells in rows.items():
        assert float(cells[2]) > 0 and float(cells[8]) > 0, label
    assert "forecasts identical, cold vs warm vs jobs 2: yes" in text


def test_statistical_speed_script_smoke_run(tmp_path: Path) -> None:
    """Ours only (the statsforecast side needs the package index): a row per model."""
    text = report_of("statistical.py", ["--no-peer", "--limit", "6", "--runs", "1", "--models",
                                        "naive2,theta,comb"], tmp_path, "statistical")
    rows = table_rows(text, "| model")
    assert set(rows) == {"naive2", "theta", "comb", "seasonal adjustment alone"}
    for cells in rows.values():
        assert cells[0] == "6" and float(cells[1]) > 0 and cells[2] == "-"


def test_intervals_speed_script_smoke_run(tmp_path: Path) -> None:
    """The M3 pair (3 series) with and without intervals: the report, the same points."""
    text = report_of("intervals.py", ["--quick", "--runs", "1"], tmp_path, "intervals")
    rows = table_rows(text, "| run ")
    assert set(rows) == {"M3 monthly, 3 series, `--levels none`",
                         "M3 monthly, 3 series, `--levels 80,95`"}
    for label, (median, low, high, runs, ratio, goal, met) in rows.items():
        assert float(low) <= float(median) <= float(high) and runs == "1", label
        if "none" in label:
            assert (ratio, goal, met) == ("-", "-", "-"), label
        else:
            assert float(ratio) > 0 and goal in ("1.30", "1.50") and met in ("yes", "NO"), label
    assert "point forecasts identical with and without intervals: yes" in text
    assert "interval columns (lower_*/upper_*) in every run with levels, none without: yes" \
        in text


def test_collection_networks_speed_script_smoke_run(tmp_path: Path) -> None:
    """8 M3 monthly series, the default shape, the loop on 1 series: a row per method."""
    text = report_of("collection_networks.py", ["--quick", "--series", "8", "--loop-series",
                                                "1", "--shapes", "default"], tmp_path,
                     "panel-networks")
    rows = table_rows(text, "| method")
    assert set(rows) == {"batched `lstm_local`", "loop of Keras `lstm` fits",
                         "global `lstm_global`"}
    assert rows["loop of Keras `lstm` fits"][0] == "8 (extrapolated from 1)"
    for label, (series, first, one, many, *_rest) in rows.items():
        assert series.startswith("8") and min(float(first), float(one), float(many)) > 0, label
    assert rows["batched `lstm_local`"][5] in ("1.00", "-")  # x batched / epoch
    assert "## Default shape: look_back 12, 16 units" in text
    assert "the reference shape was not run" in text


def test_nbeats_step_speed_script_smoke_run(tmp_path: Path) -> None:
    """The small generic network, 3 steps, 1 round: a row per way and the parameter count."""
    text = report_of("nbeats_step.py", ["--quick", "--models", "generic", "--steps", "3"],
                     tmp_path, "nbeats-step")
    rows = table_rows(text, "| way")
    assert set(rows) == {"ours: `train` (sampling included)", "bare Keras `train_on_batch`",
                         "bare tf.function + GradientTape", "sampling alone (draw + tensors)"}
    for label in ("bare Keras `train_on_batch`", "bare tf.function + GradientTape"):
        assert float(rows[label][0]) > 0 and float(rows[label][3]) > 0, label
    # --quick's generic network: 2 stacks of 2 ReLU layers of 32 on 126 inputs, 18 outputs;
    # the last block's backcast projection reaches no output, so Keras leaves it out
    block = (126 * 32 + 32) + (32 * 32 + 32) + (32 * 126 + 126) + (32 * 18 + 18)
    assert f"- parameters: {2 * block - (32 * 126 + 126):,} trainable" in text
    assert "## Generic: `nbeats`, 2 stacks x 1 block(s) x 2 layers x 32, batch 64" in text
    assert "ensemble member at 10,000 steps" in text


def test_lightgbm_panel_speed_script_smoke_run(tmp_path: Path) -> None:
    """6 series, 1 round: a row per way, and jobs 2 and dask give the serial forecasts."""
    text = report_of("lightgbm_panel.py", ["--series", "6", "--runs", "1"], tmp_path,
                     "lightgbm_panel")
    rows = table_rows(text, "|  ")
    assert set(rows) == {"model alone", "CLI `--jobs 1`", "CLI `--jobs 1 --levels none`",
                         "CLI `--jobs 2`", "CLI `--executor dask --jobs 2`"}
    for label, (runs, fit, points, intervals, wall, *_rest) in rows.items():
        predict = intervals if label != "CLI `--jobs 1 --levels none`" else points
        assert runs == "1" and min(float(fit), float(predict), float(wall)) > 0, label
    assert rows["model alone"][-2] == "-" and float(rows["CLI `--jobs 2`"][-2]) > 0
    assert "4212 training values" in text  # 6 series x 702 days
    for check in ("model alone vs CLI `--jobs 1` (round 1)",
                  "CLI `--jobs 1 --levels none` vs `--jobs 1`", "CLI `--jobs 2` vs `--jobs 1`",
                  "CLI `--executor dask --jobs 2` vs `--jobs 1`"):
        assert f"forecasts, {check}: max |difference| 0 over 168 forecasts -> equal" in text
