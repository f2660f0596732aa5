"""The task cache: keys change with every ingredient, entries are atomic, reruns compute only
what changed, and a run killed half-way resumes from what finished."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.evaluation.harness import cache as cache_module
from forecast_bench.evaluation.harness.cache import TaskCache, task_key
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.models.naive import Naive
from tests.conftest import random_walk

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python

BASE = {"name": "arima", "params": {"order": [1, 1, 0]}, "code": "c0",
        "values": np.arange(10.0), "fold_spec": {"train": 8, "end": 10, "origins": [8, 9]},
        "horizon": 1}


class CountingNaive(Naive):
    """The random walk, counting its fits (class-wide, in this process)."""

    name = "counting_naive"
    fits = 0

    def _fit(self, y):
        type(self).fits += 1
        return super()._fit(y)


def test_key_changes_with_every_ingredient_and_only_then():
    key = task_key(**BASE)
    assert task_key(**{**BASE, "values": np.arange(10.0)}) == key  # equal inputs, same key
    changed = {
        "name": "drift", "params": {"order": [2, 1, 0]}, "code": "c1",
        "values": np.r_[np.arange(9.0), 9.5], "horizon": 2,
        "fold_spec": {"train": 8, "end": 10, "origins": [9]},
    }
    keys = {task_key(**{**BASE, field: value}) for field, value in changed.items()}
    assert key not in keys and len(keys) == len(changed)


def test_key_changes_with_library_versions(monkeypatch):
    key = task_key(**BASE)
    versions = {**cache_module.library_versions(), "statsmodels": "0.0.1"}
    monkeypatch.setattr(cache_module, "library_versions", lambda: versions)
    assert task_key(**BASE) != key


def test_code_version_covers_the_models_package_and_the_model_module():
    version = cache_module.code_version(models.get("naive"))
    assert len(version) == 64 and version == cache_module.code_version(models.get("arima"))
    assert cache_module.code_version(CountingNaive()) != version  # this test module too


def test_entries_round_trip_and_bad_ones_are_misses(tmp_path):
    store = TaskCache(tmp_path / "c")
    key = "ab" + "0" * 62
    assert store.get(key) is None
    store.put(key, {"row": {"status": "ok", "seconds": float("nan")}},
              {"forecast": np.arange(3.0)})
    meta, arrays = store.get(key)
    np.testing.assert_array_equal(arrays["forecast"], np.arange(3.0))
    assert meta["row"]["status"] == "ok" and np.isnan(meta["row"]["seconds"])
    other = "ab" + "1" * 62  # an entry copied under another key's name fails its checksum
    (tmp_path / "c" / "ab" / f"{other}.fbc").write_bytes(store._path(key).read_bytes())
    assert store.get(other) is None and store.invalid == {"failed the checksum": 1}
    (tmp_path / "c" / "ab" / f"{other}.fbc").unlink()
    (tmp_path / "c" / "ab" / f"{key}.fbc").write_bytes(b"not an entry")  # a corrupt entry
    assert store.get(key) is None
    (tmp_path / "c" / "ab" / f".{key[:8]}.x.tmp").write_bytes(b"half")  # a killed write
    assert (store.hits, store.misses) == (1, 3)
    assert store.size()[0] == 1 and store.clear() == 1 and store.size() == (0, 0)


def run(y, models_by_label, store, folds=None):
    folds = folds or WalkForward(test_size=30, folds=3).split(len(y))
    return run_walk_forward(y, folds, models_by_label, 1, cache=store)


def test_rerun_computes_only_what_changed(tmp_path):
    y = random_walk(150)
    store = TaskCache(tmp_path / "c")
    CountingNaive.fits = 0
    first = run(y, {"n": CountingNaive(), "ar": models.get("arima", order=[1, 1, 0])}, store)
    assert CountingNaive.fits == 3 and not first.status.cached.any()
    again = run(y, {"n": CountingNaive(), "ar": models.get("arima", order=[1, 1, 0])}, store)
    assert CountingNaive.fits == 3 and again.status.cached.all()  # nothing refitted
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts, check_exact=True)
    store.hits = store.misses = 0
    run(y, {"n": CountingNaive(), "ar": models.get("arima", order=[1, 1, 0]),
            "drift": models.get("drift")}, store)
    assert (store.hits, store.misses) == (6, 3)  # only the added model ran
    changed = y.copy()
    changed.iloc[10] += 1.0  # one training value of every fold
    run(changed, {"n": CountingNaive()}, store)
    assert CountingNaive.fits == 6  # new data, every fold refitted


def test_interval_bounds_come_back_from_the_cache_and_levels_are_in_the_key(tmp_path):
    y = random_walk(150)
    folds = WalkForward(test_size=30, folds=2, horizon=2).split(len(y))
    built = {"ar": models.get("arima", order=[1, 1, 0]), "mlp": models.get("mlp", lags=3,
                                                                           max_iter=50)}
    store = TaskCache(tmp_path / "c")
    first = run_walk_forward(y, folds, built, 2, cache=store, levels=(80.0, 95.0))
    again = run_walk_forward(y, folds, built, 2, cache=store, levels=(80.0, 95.0))
    assert again.status.cached.all() and not first.status.cached.any()
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts, check_exact=True)
    assert {"lower_80", "upper_95"} <= set(again.forecasts.columns)
    other = run_walk_forward(y, folds, built, 2, cache=store, levels=(90.0,))
    assert not other.status.cached.any() and "lower_90" in other.forecasts.columns
    points = run_walk_forward(y, folds, built, 2, cache=store)
    assert not points.status.cached.any()  # no levels: a key of its own
    pd.testing.assert_series_equal(points.forecasts.y_pred, first.forecasts.y_pred)


def test_labels_share_results_of_identical_models(tmp_path):
    """The key is the model, not its label: renaming a model in a config reuses its results."""
    y = random_walk(150)
    store = TaskCache(tmp_path / "c")
    run(y, {"arima": models.get("arima", order=[1, 1, 0])}, store)
    renamed = run(y, {"ar110": models.get("arima", order=[1, 1, 0])}, store)
    assert renamed.status.cached.all() and set(renamed.forecasts.model) == {"ar110"}


SLOW_RUN = """
import sys, time
from forecast_bench.models.naive import Naive
from forecast_bench.models.registry import register
from forecast_bench.benchmarks.cli import main

@register("slow_naive")
class SlowNaive(Naive):
    name = "slow_naive"
    def _fit(self, y):
        time.sleep(1.0)
        return super()._fit(y)

sys.exit(main(sys.argv[1:]))
"""


def cli(tmp_path: Path, *extra: str) -> subprocess.Popen:
    script = tmp_path / "slow_run.py"
    script.write_text(SLOW_RUN)
    args = [sys.executable, str(script), "run", "--data", "msft", "--last", "300",
            "--test-size", "60", "--folds", "6", "--models", "naive,slow_naive",
            "--out", str(tmp_path / "results"), "--quiet", *extra]
    return subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_a_killed_run_resumes_from_the_cache(tmp_path):
    entries = tmp_path / "results" / ".cache"
    killed = cli(tmp_path)
    deadline = time.monotonic() + 120
    while len(list(entries.glob("*/*.fbc"))) < 9 and time.monotonic() < deadline:
        time.sleep(0.2)  # naive's 6 folds, then slow_naive's first 3
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    done_before = len(list(entries.glob("*/*.fbc")))
    assert 9 <= done_before < 12
    (unfinished,) = (tmp_path / "results").glob("*-msft_daily-*")
    assert not (unfinished / "manifest.json").exists()  # marked incomplete
    resumed = cli(tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    run_dir = Path(out.strip().splitlines()[-1].split("results: ")[1])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["execution"]["cache"] == {
        "folder": str(entries), "hits": done_before, "misses": 12 - done_before}
    fresh = cli(tmp_path, "--no-cache")
    out, err = fresh.communicate(timeout=300)
    assert fresh.returncode == 0, err
    fresh_dir = Path(out.strip().splitlines()[-1].split("results: ")[1])
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "forecasts.csv"),
                                  pd.read_csv(fresh_dir / "forecasts.csv"), check_exact=True)


@pytest.mark.parametrize("action", ["info", "clear"])
def test_cache_command(tmp_path, action):
    store = TaskCache(tmp_path / "results" / ".cache")
    store.put("cd" + "1" * 62, {"row": {}}, {"forecast": np.ones(2)})
    done = subprocess.run([*CLI, "cache", action, "--out",
                           str(tmp_path / "results")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = "1 cached task result(s)" if action == "info" else "removed 1 cached"
    assert expected in done.stdout
    assert store.size()[0] == (1 if action == "info" else 0)


def test_cache_entries_are_plain_data_and_never_unpickle(tmp_path):
    """An entry holds JSON and numeric arrays only: object arrays are refused when written, and
    a file that is not an entry (a pickle, a truncated entry, an object dtype) is a miss."""
    store = TaskCache(tmp_path / "c")
    with pytest.raises(ValueError, match="numeric"):
        store.put("ef" + "0" * 62, {}, {"forecast": np.array([Exploding()], dtype=object)})
    key = "cd" + "0" * 62
    store.put(key, {"row": {}}, {"forecast": np.ones((2, 3)), "members": np.zeros((2, 2, 3))})
    path = tmp_path / "c" / "cd" / f"{key}.fbc"
    good = path.read_bytes()
    meta, arrays = store.get(key)
    assert meta == {"row": {}} and arrays["forecast"].shape == (2, 3)
    assert arrays["members"].shape == (2, 2, 3)
    body = good[len(cache_module.MAGIC) + cache_module.DIGEST_SIZE:]
    for bad in (pickle.dumps(Exploding()), good[:-8], good.replace(b"<f8", b"|O8", 1),
                signed(key, body.replace(b"<f8", b"|O8", 1))):  # passes its checksum
        path.write_bytes(bad)
        assert store.get(key) is None
    assert (store.hits, store.misses) == (1, 4)
    assert set(store.invalid) == {"not an entry", "failed the checksum",
                                  "malformed (ValueError: 'forecast' is object, not numeric)"}


class Exploding:
    def __reduce__(self):
        return (pytest.fail, ("unpickled: code ran",))


def signed(key: str, body: bytes) -> bytes:
    """An entry's bytes with a valid checksum over `body` (what a careful forger would write)."""
    import hashlib
    digest = hashlib.sha256(key.encode() + b"\0" + body).digest()
    return cache_module.MAGIC + digest + body


def entry_paths(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.fbc"))


def naive_run(y, store):
    return run(y, {"n": models.get("naive")}, store)


def test_a_flipped_bit_is_a_miss_and_the_rerun_recomputes(tmp_path, capsys):
    """One bit of an entry's array data changed (here the last forecast's exponent): without a
    checksum the cache served a forecast off by orders of magnitude as a hit."""
    y = random_walk(150)
    fresh = naive_run(y, None)
    store = TaskCache(tmp_path / "c")
    naive_run(y, store)
    for path in entry_paths(tmp_path / "c"):
        data = bytearray(path.read_bytes())
        data[-1] ^= 0x08  # the sign-and-exponent byte of the last float64 (little-endian)
        path.write_bytes(bytes(data))
    capsys.readouterr()
    store = TaskCache(tmp_path / "c")
    again = naive_run(y, store)
    assert (store.hits, store.misses) == (0, 3) and not again.status.cached.any()
    pd.testing.assert_frame_equal(again.forecasts, fresh.forecasts, check_exact=True)
    (line,) = capsys.readouterr().err.splitlines()  # one line for all three entries
    assert "3 cache entries" in line and "3 failed the checksum" in line
    third = naive_run(y, TaskCache(tmp_path / "c"))  # the bad entries were overwritten
    assert third.status.cached.all()
    pd.testing.assert_frame_equal(third.forecasts, fresh.forecasts, check_exact=True)


def rewrite_entries(root: Path, change) -> None:
    """Each entry's document and arrays changed by `change`, stored with a valid checksum."""
    for path in entry_paths(root):
        key = path.stem
        meta, arrays = cache_module.decode(path.read_bytes(), key)
        path.write_bytes(cache_module.encode(*change(dict(meta), dict(arrays)), key))


@pytest.mark.parametrize("change, reason", [
    (lambda meta, arrays: ({k: v for k, v in meta.items() if k != "row"}, arrays), "KeyError"),
    (lambda meta, arrays: (meta, {**arrays, "forecast": arrays["forecast"][:, :1]}),
     "forecast has shape (9, 1), not (9, 2)"),  # 9 origins in each fold
    (lambda meta, arrays: ({**meta, "row": {**meta["row"], "status": "failed"}}, arrays),
     "does not match its arrays"),
])
def test_well_formed_entries_that_do_not_fit_their_task_are_misses(tmp_path, capsys, change,
                                                                   reason):
    """An entry with a valid checksum but no `row`, or an array of another shape, used to end
    every rerun with a traceback."""
    y = random_walk(150)
    folds = WalkForward(test_size=30, folds=3, horizon=2).split(len(y))
    fresh = run_walk_forward(y, folds, {"n": models.get("naive")}, 2)
    store = TaskCache(tmp_path / "c")
    run_walk_forward(y, folds, {"n": models.get("naive")}, 2, cache=store)
    assert {len(fold.origins) for fold in folds} == {9}
    rewrite_entries(tmp_path / "c", change)
    capsys.readouterr()
    store = TaskCache(tmp_path / "c")
    again = run_walk_forward(y, folds, {"n": models.get("naive")}, 2, cache=store)
    assert (store.hits, store.misses) == (0, 3)
    pd.testing.assert_frame_equal(again.forecasts, fresh.forecasts, check_exact=True)
    (line,) = capsys.readouterr().err.splitlines()
    assert "not a result of its task" in line and reason in line


def test_entries_of_the_older_format_are_misses_and_are_replaced(tmp_path, capsys):
    y = random_walk(150)
    store = TaskCache(tmp_path / "c")
    naive_run(y, store)
    for path in entry_paths(tmp_path / "c"):  # the format before checksums: no digest
        data = path.read_bytes()[len(cache_module.MAGIC) + cache_module.DIGEST_SIZE:]
        path.write_bytes(b"forecast-bench cache 2\n" + data)
    capsys.readouterr()
    assert not naive_run(y, TaskCache(tmp_path / "c")).status.cached.any()
    assert "3 from an older version (no checksum)" in capsys.readouterr().err
    assert naive_run(y, TaskCache(tmp_path / "c")).status.cached.all()


def test_a_directory_at_an_entry_path_never_ends_the_run(tmp_path, capsys):
    y = random_walk(150)
    fresh = naive_run(y, None)
    naive_run(y, TaskCache(tmp_path / "c"))
    for path in entry_paths(tmp_path / "c"):
        path.unlink()
        (path / "inside").mkdir(parents=True)
    capsys.readouterr()
    store = TaskCache(tmp_path / "c")
    again = naive_run(y, store)
    pd.testing.assert_frame_equal(again.forecasts, fresh.forecasts, check_exact=True)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "3 unreadable (IsADirectoryError)" in err[0]
    assert "cannot write to the cache (IsADirectoryError" in err[1]
    assert store.write_failures == 3


def test_a_read_only_cache_never_ends_the_run(tmp_path, capsys, monkeypatch):
    """The writes fail as on a read-only folder (permissions alone would not stop root)."""
    def refuse(path, write):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cache_module, "write_atomic", refuse)
    y = random_walk(150)
    store = TaskCache(tmp_path / "c")
    result = naive_run(y, store)
    assert (result.status.status == "ok").all() and store.write_failures == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert "cannot write to the cache (PermissionError" in line and "--no-cache" in line


def test_a_file_at_the_cache_folder_never_ends_a_cli_run(tmp_path):
    """results/.cache is a file: nothing can be cached, and the run still finishes."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / ".cache").write_text("not a folder")
    done = subprocess.run(
        [*CLI, "run", "--data", "msft", "--last", "120",
         "--test-size", "20", "--folds", "2", "--models", "naive", "--out",
         str(tmp_path / "results"), "--quiet"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "warning" in line]
    assert "cannot write to the cache" in line and "Traceback" not in done.stderr


def test_the_invalid_entry_warning_stays_one_line_with_many_reasons(tmp_path, capsys):
    store = TaskCache(tmp_path / "c")
    for shape in range(5):  # five distinct reasons, 1 to 5 entries each
        store.invalid[f"not a result of its task (shape {shape})"] = shape + 1
    store.first_invalid = tmp_path / "c" / "ab" / "x.fbc"
    store.warn_invalid()
    store.warn_invalid()  # nothing new: nothing printed
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("forecast-bench: warning: 15 cache entries")
    assert "5 not a result of its task (shape 4)" in line and "(shape 1)" not in line
    assert "3 for other reasons" in line
