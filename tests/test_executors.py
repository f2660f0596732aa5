"""Executors: local processes and dask clusters give exactly the serial results; threads are
capped per worker; bad options are one-line errors; the progress bar."""

from __future__ import annotations

import io
import os
import re
import signal
import time

import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.run.progress import ProgressBar, progress_for
from forecast_bench.evaluation.harness.executors import (
    CHUNKS_PER_WORKER,
    CONNECT_SECONDS,
    ExecutorSpec,
    Limited,
    check_reachable,
    chunks,
    run_all,
    starting_workers,
    threads_per_worker,
)
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import Tick, run_walk_forward
from forecast_bench.models.errors import ConfigError
from tests.conftest import random_walk


def square(x: int) -> int:
    return x * x


def thread_env(_: object) -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")}


@pytest.mark.parametrize("spec, message", [
    (dict(kind="spark"), "unknown executor 'spark'"),
    (dict(jobs=0), "--jobs must be at least 1"),
    (dict(scheduler="tcp://127.0.0.1:8786"), "--scheduler needs --executor dask"),
])
def test_bad_specs_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        ExecutorSpec(**spec)


def test_threads_never_oversubscribe():
    cores = os.cpu_count() or 1
    assert threads_per_worker(1) == cores and threads_per_worker(cores) == 1
    assert threads_per_worker(cores * 4) == 1


def test_limited_sets_the_thread_variables(monkeypatch):
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert Limited(thread_env, 1)(7, None) == (7, {"OMP_NUM_THREADS": "1",
                                                   "TF_NUM_INTRAOP_THREADS": "1"})


@pytest.mark.parametrize("n", [0, 1, 7, 39, 40, 41, 9009])
def test_chunks_cover_every_item_once_in_order(n):
    parts = chunks(list(range(n)), workers=2)
    assert [index for part in parts for index, _ in part] == list(range(n))
    assert all(index == item for part in parts for index, item in part)
    if n <= 2 * CHUNKS_PER_WORKER:  # few tasks (networks): one per call, spread evenly
        assert all(len(part) == 1 for part in parts)
    else:
        assert len(parts) <= 2 * CHUNKS_PER_WORKER + 1


def test_long_items_come_first_each_alone():
    """Ensemble members among thousands of quick tasks: in a chunk of quick tasks they all ran
    on one worker, one after another (a 2-worker M3 run used one core for 20 minutes)."""
    items = [*range(30), "member 0", "member 1", *range(30, 600), "member 2"]
    parts = chunks(items, workers=2, alone=lambda item: isinstance(item, str))
    assert parts[:3] == [[(30, "member 0")], [(31, "member 1")], [(602, "member 2")]]
    assert all(not isinstance(item, str) for part in parts[3:] for _, item in part)
    assert sorted(index for part in parts for index, _ in part) == list(range(len(items)))
    assert len(parts) <= 3 + 2 * CHUNKS_PER_WORKER + 1


@pytest.mark.parametrize("spec", [ExecutorSpec(), ExecutorSpec("local", 2)])
def test_run_all_calls_back_once_per_item(spec):
    seen = {}
    run_all(square, list(range(7)), seen.__setitem__, spec)
    assert seen == {i: i * i for i in range(7)}


MODELS = {"naive": {}, "arima": {"order": [1, 1, 0]}, "mlp": {"lags": 4, "max_iter": 50},
          "lstm": {"look_back": 8, "units": [4], "dense": [], "epochs": 2}}


@pytest.fixture(scope="module")
def serial():
    return forecast(ExecutorSpec())


def forecast(spec: ExecutorSpec) -> pd.DataFrame:
    y = random_walk(140, seed=3)
    folds = WalkForward(test_size=24, folds=2).split(len(y), min_train=40)
    built = {name: models.get(name, **params) for name, params in MODELS.items()}
    result = run_walk_forward(y, folds, built, 1, executor=spec, levels=(80.0, 95.0))
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    assert {"lower_80", "upper_95"} <= set(result.forecasts.columns)  # bounds compared too
    return result.forecasts


def test_local_processes_give_the_serial_forecasts(serial):
    with _no_worker_restart():
        pd.testing.assert_frame_equal(forecast(ExecutorSpec("local", 2)), serial, check_exact=True)


def test_dask_local_cluster_gives_the_serial_forecasts(serial):
    pd.testing.assert_frame_equal(forecast(ExecutorSpec("dask", 2)), serial, check_exact=True)


def test_dask_scheduler_address_gives_the_serial_forecasts(serial):
    """An existing cluster whose one worker runs two tasks at a time in threads."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        pd.testing.assert_frame_equal(forecast(ExecutorSpec("dask", 1, address)), serial,
                                      check_exact=True)


def test_unreachable_scheduler_is_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("cannot reach the dask scheduler tcp://127.0.0.1:9")):
        run_all(square, [1], lambda *_: None, ExecutorSpec("dask", 1, "tcp://127.0.0.1:9"))


def test_unreachable_scheduler_fails_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "results"
    started = time.monotonic()
    status = main(["run", "--data", "msft", "--last", "120", "--test-size", "20", "--models",
                   "naive", "--quiet", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1",
                   "--out", str(out)])
    assert status == 2 and time.monotonic() - started < CONNECT_SECONDS + 10
    assert capsys.readouterr().err.splitlines() == [
        f"forecast-bench: error: cannot reach the dask scheduler tcp://127.0.0.1:1 within "
        f"{CONNECT_SECONDS} s; check the address (tcp://HOST:PORT) and that the scheduler runs"]
    assert not out.exists() or not any(out.iterdir())


def test_malformed_scheduler_address_is_a_config_error():
    with pytest.raises(ConfigError, match="bad dask scheduler address 'nonsense'"):
        check_reachable(ExecutorSpec("dask", 1, "nonsense"))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_signals_wait_while_workers_start():
    """SIGINT/SIGTERM in starting_workers() take effect at its end, not half-way; SIGINT is
    blocked meanwhile, so processes started then inherit it blocked."""
    received = []

    def record(number, _frame):
        received.append(number)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        with starting_workers():
            signal.raise_signal(signal.SIGTERM)
            assert received == []
            assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        assert received == [signal.SIGTERM]
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        signal.signal(signal.SIGTERM, previous)


class _no_worker_restart:
    """Fails if loky recycles a worker as leaking (each restart re-imports TensorFlow)."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        restarts = [w for w in self.caught if "worker stopped" in str(w.message)]
        assert not restarts, restarts[0].message
        return False


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_and_ends_it():
    stream = Terminal()
    bar = ProgressBar(stream)
    bar(Tick("msft", "arima", 1, "ok (cached)", 1, 2, 0, 1))
    bar(Tick("msft", "lstm", 1, "failed", 2, 2, 1, 1))
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "[############------------] 1/2 tasks, 0s" in text and "lstm fold 1: failed" in text


def test_progress_bar_counts_series_of_a_collection():
    stream = Terminal()
    bar = ProgressBar(stream)
    bar(Tick("N7", "naive", 0, "ok", 3, 6, 1, 2))
    text = stream.getvalue()
    assert "3/6 tasks, 1/2 series" in text and "N7 naive fold 0: ok" in text


def test_progress_is_silent_when_quiet_or_not_a_terminal():
    assert progress_for(True, Terminal()) is None
    assert progress_for(False, io.StringIO()) is None
    assert isinstance(progress_for(False, Terminal()), ProgressBar)
