"""Where a run's (model, fold) tasks execute: this process, N local processes (joblib/loky), or
a dask.distributed cluster. Results come back to the caller's callback as each task finishes (in
any order, tagged with the task's index), so the caller can cache them at once and a run killed
half-way keeps what finished.

Worker processes never outlive the run: they ignore Ctrl-C (the terminal sends it to the whole
process group; this process shuts them down), and a loky worker ends itself when this process
dies, even by SIGKILL (dask's own worker processes already do)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import resource_tracker
from typing import Any

from forecast_bench.models.errors import ConfigError

EXECUTORS = ("local", "dask")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "TF_NUM_INTRAOP_THREADS")
OnResult = Callable[[int, Any], None]
CHUNKS_PER_WORKER = 20
CONNECT_SECONDS = 3  # how long to try to reach a dask scheduler
PARENT_POLL_SECONDS = 0.5  # how often a loky worker checks that its parent lives


@dataclasses.dataclass(frozen=True)
class ExecutorSpec:
    """kind: local or dask; jobs: worker processes (local) or LocalCluster workers (dask);
    scheduler: address of an existing dask scheduler, e.g. tcp://10.0.0.5:8786."""

    kind: str = "local"
    jobs: int = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ConfigError(f"unknown executor {self.kind!r}; use one of {', '.join(EXECUTORS)}")
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, got {self.jobs}")
        if self.scheduler and self.kind != "dask":
            raise ConfigError("--scheduler needs --executor dask")


SERIAL = ExecutorSpec()


def threads_per_worker(jobs: int) -> int:
    """BLAS/TensorFlow threads each of `jobs` workers may use, so they never oversubscribe."""
    return max(1, (os.cpu_count() or 1) // jobs)


@dataclasses.dataclass(frozen=True)
class Limited:
    """fn with at most `threads` BLAS and TensorFlow threads in the process that calls it.

    Environment variables are set before TensorFlow is first imported in a worker (it reads
    TF_NUM_INTRAOP_THREADS once); threadpoolctl caps BLAS pools already loaded.
    """

    fn: Callable[[Any], Any]
    threads: int

    def __call__(self, index: int, item: Any) -> tuple[int, Any]:
        from threadpoolctl import threadpool_limits

        for name in THREAD_VARS:
            os.environ[name] = str(self.threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        _keep_loky_worker()
        with threadpool_limits(self.threads):
            return index, self.fn(item)


def _keep_loky_worker() -> None:
    """Stop loky from recycling this worker as 'leaking': importing TensorFlow adds ~440 MB
    after loky's first-task reference measurement, so every worker that trains a network would
    be killed and restarted, importing TensorFlow again (5 s each). No effect outside loky."""
    process_executor: Any = sys.modules.get("joblib.externals.loky.process_executor")
    if process_executor is not None and hasattr(process_executor, "_USE_PSUTIL"):
        process_executor._USE_PSUTIL = False


@dataclasses.dataclass(frozen=True)
class Chunked:
    """fn over a chunk of (index, item) pairs in one worker call: a collection run has
    thousands of tasks of a millisecond each, and one call per task cost ~18 ms of dispatch."""

    fn: Callable[[Any], Any]

    def __call__(self, pairs: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        return [(index, self.fn(item)) for index, item in pairs]


def chunks(items: Sequence[Any], workers: int,
           alone: Callable[[Any], bool] | None = None) -> list[list[tuple[int, Any]]]:
    """(index, item) pairs in about CHUNKS_PER_WORKER chunks per worker; one task per chunk
    when there are few (slow tasks, such as networks, then spread evenly). Items `alone` says
    are long (a global network's job, an ensemble member) come first, each its own chunk: in a
    chunk of quick tasks they would all land on one worker and run one after another."""
    pairs = list(enumerate(items))
    single = [[pair] for pair in pairs if alone is not None and alone(pair[1])]
    rest = [pair for pair in pairs if alone is None or not alone(pair[1])]
    size = max(1, len(rest) // (workers * CHUNKS_PER_WORKER))
    return single + [rest[start:start + size] for start in range(0, len(rest), size)]


def run_all(fn: Callable[[Any], Any], items: Sequence[Any], on_result: OnResult,
            spec: ExecutorSpec | None = None,
            alone: Callable[[Any], bool] | None = None) -> None:
    """Call fn(item) for every item where `spec` says; on_result(index, result) as each ends
    (in a worker pool, as each chunk of tasks ends; the long items `alone` picks first, each
    its own chunk)."""
    spec = spec or ExecutorSpec()
    if not items:
        return
    if spec.kind == "dask":
        _run_dask(fn, items, on_result, spec, alone)
    elif spec.jobs == 1:
        from threadpoolctl import threadpool_limits

        # One BLAS thread: statsmodels' and scikit-learn's matrices here are tiny, and extra
        # BLAS threads only contend (TensorFlow's own thread pool is not affected).
        with threadpool_limits(1, user_api="blas"):
            for index, item in enumerate(items):
                on_result(index, fn(item))
    else:
        _run_joblib(fn, items, on_result, spec.jobs, alone)


@contextlib.contextmanager
def starting_workers() -> Iterator[None]:
    """The block that starts worker processes (and the threads that start them).

    SIGINT is blocked in this thread meanwhile: what it starts inherits the mask (through
    fork and exec, for good), so a Ctrl-C, which the terminal sends to the whole process
    group, reaches only this process, which shuts the workers down; no worker, even one still
    importing, prints a KeyboardInterrupt traceback. multiprocessing's resource tracker is
    started first: starting, it unblocks SIGINT whatever the mask was before.

    In the main thread, a SIGINT or SIGTERM that comes meanwhile takes effect at the end: one
    raised half-way through starting a dask LocalCluster left it unclosable (a traceback at
    exit)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    resource_tracker.ensure_running()
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    received: list[int] = []
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {number: signal.signal(number, lambda got, _frame: received.append(got))
                    for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        if received:
            signal.raise_signal(received[0])


def exit_with_parent(parent: int) -> None:
    """A loky worker's initializer: end this worker as soon as `parent` (the process that runs
    the benchmark) is gone, however it died. Without it a SIGKILLed run left its workers
    (and, through the pipes they hold, loky's resource trackers) alive for good.

    A daemon thread polls os.getppid(): when the parent dies the worker is re-parented (to
    init or a subreaper), on every platform, whichever thread spawned the worker (Linux's
    PR_SET_PDEATHSIG fires when that *thread* ends, and loky also spawns from a helper
    thread). The poll sleeps without the GIL; it costs nothing measurable."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run_joblib(fn: Callable[[Any], Any], items: Sequence[Any], on_result: OnResult,
                jobs: int, alone: Callable[[Any], bool] | None = None) -> None:
    from joblib import Parallel, delayed, parallel_config

    task = Limited(Chunked(fn), threads_per_worker(jobs))
    parts, results = enumerate(chunks(items, jobs, alone)), None
    with parallel_config(backend="loky", inner_max_num_threads=task.threads,
                         initializer=exit_with_parent, initargs=(os.getpid(),)):
        try:
            with starting_workers():  # the workers start here, in the first dispatch
                results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
                    delayed(task)(number, chunk) for number, chunk in parts)
            for _number, pairs in results:
                for index, result in pairs:
                    on_result(index, result)
        finally:  # interrupted: stop the workers now, without joblib's warning that the
            if results is not None:  # tasks in flight were cancelled (they were meant to be)
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", module="joblib")
                    results.close()


def _run_dask(fn: Callable[[Any], Any], items: Sequence[Any], on_result: OnResult,
              spec: ExecutorSpec, alone: Callable[[Any], bool] | None = None) -> None:
    distributed = _distributed()
    client = cluster = None
    try:
        with starting_workers():  # the LocalCluster's thread and worker processes start here
            if spec.scheduler:
                client = connect(spec.scheduler)
            else:  # its ERROR logs too are silenced: a task's own error comes back here, but
                # an interrupted run's workers logged tracebacks (heartbeat to a closed scheduler)
                cluster = distributed.LocalCluster(
                    n_workers=spec.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.CRITICAL)
                client = distributed.Client(cluster)
        workers = len(client.scheduler_info().get("workers", {})) or spec.jobs
        task = Limited(Chunked(fn), 1 if spec.scheduler else threads_per_worker(workers))
        parts = chunks(items, workers, alone)
        futures = client.map(task, range(len(parts)), parts, pure=False)
        for _future, (_number, pairs) in distributed.as_completed(futures, with_results=True):
            for index, result in pairs:
                on_result(index, result)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _distributed() -> Any:
    try:
        import dask.distributed
    except ImportError:
        raise ConfigError("--executor dask needs dask.distributed; install it with "
                          "pip install -e '.[dask]'") from None
    return dask.distributed


def connect(address: str) -> Any:
    """A dask Client of the scheduler at `address`; ConfigError when the address is malformed
    or the scheduler does not answer within CONNECT_SECONDS."""
    try:
        return _distributed().Client(address, timeout=f"{CONNECT_SECONDS}s")
    except ValueError as exc:
        raise ConfigError(f"bad dask scheduler address {address!r}: {exc}; use "
                          "--scheduler tcp://HOST:PORT") from None
    except OSError:
        raise ConfigError(f"cannot reach the dask scheduler {address} within {CONNECT_SECONDS} "
                          "s; check the address (tcp://HOST:PORT) and that the scheduler "
                          "runs") from None


def check_reachable(spec: ExecutorSpec) -> None:
    """ConfigError now, before a run writes anything, when spec's dask scheduler does not
    answer."""
    if spec.scheduler:
        connect(spec.scheduler).close()
