"""The `forecast-bench` command line (also `python -m forecast_bench.benchmarks`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from forecast_bench.benchmarks.data import is_collection_source
from forecast_bench.benchmarks.file_options import file_options, file_spec
from forecast_bench.benchmarks.run import interrupts, table_names
from forecast_bench.benchmarks.run.progress import progress_for
from forecast_bench.models.device import DEVICES, use_device
from forecast_bench.models.errors import ConfigError, ForecastBenchError

SOURCES_HELP = ("msft, sunspots, lynx, taylor, csv:PATH, long:PATH, wide:PATH, m3, m3:yearly, "
                "m3:quarterly, m3:monthly or m3:other")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_or(word: str, message: str) -> Callable[[str], int | str]:
    """An argparse type: `word` itself or an integer; otherwise `message` (got ... added)."""

    def parse(text: str) -> int | str:
        if text == word:
            return text
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{message}, got {text!r}") from None

    return parse


_window = _int_or("expanding", "--window takes 'expanding' or a length")
_horizon = _int_or("dataset", "--horizon takes a number of steps or 'dataset'")


def _levels(text: str) -> tuple[float, ...]:
    """'80,95' -> (80.0, 95.0); 'none' -> ()."""
    if text.strip().lower() == "none":
        return ()
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--levels takes percentages separated by commas, e.g. 80,95, got {text!r}") from None


_last = _int_or("all", "--last takes a count or 'all'")


def _periods(text: str) -> tuple[float, ...] | int:
    """'24,168' -> (24, 168), as data.period takes them ('1': none)."""
    from forecast_bench.benchmarks.data.periods import parse_periods
    try:
        return parse_periods(text, "--period") or 1
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _test_size(text: str) -> int | float:
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--test-size takes a count or a fraction like 0.2, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="forecast-bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a walk-forward benchmark and write its results")
    run.add_argument("config", nargs="?", help="TOML config (default: msft_daily.toml)")
    run.add_argument("--data", dest="source", help=SOURCES_HELP)
    run.add_argument("--column", help="value column of the data (a CSV: A,B for several)")
    file_options(run)
    run.add_argument("--series", help="comma-separated series ids to keep, e.g. N1402,N1403")
    run.add_argument("--category", help="keep one category of a collection (M3: MICRO, ...)")
    run.add_argument("--sample", type=int, help="keep a random sample of N series (--seed)")
    run.add_argument("--min-length", type=int, help="keep series with at least N values")
    run.add_argument("--max-length", type=int, help="keep series with at most N values")
    run.add_argument("--frequency", help="override the inferred frequency (monthly, ...)")
    run.add_argument("--period", type=_periods,
                     help="seasonal periods, primary first, e.g. 24,168 (default: from the data)")
    run.add_argument("--last", type=_last, help="keep the last N observations ('all': keep all)")
    run.add_argument("--start", help="first date to keep (YYYY-MM-DD)")
    run.add_argument("--end", help="last date to keep (YYYY-MM-DD)")
    run.add_argument("--models", help="comma-separated labels or model names, e.g. naive,arima")
    run.add_argument("--test-size", type=_test_size, help="test values (count or fraction)")
    run.add_argument("--folds", type=int, help="number of folds")
    run.add_argument("--horizon", type=_horizon,
                     help="steps ahead forecast from each origin, or 'dataset' (M3's own)")
    run.add_argument("--protocol", choices=("rolling", "fixed"),
                     help="rolling origin (folds) or the competitions' fixed origin")
    run.add_argument("--reference", help="model the aggregate scores are relative to")
    run.add_argument("--levels", type=_levels,
                     help="prediction-interval levels in percent, e.g. 80,95 ('none': no "
                          "intervals)")
    run.add_argument("--step", type=int, help="distance between forecast origins")
    run.add_argument("--window", type=_window, help="'expanding' or a sliding window length")
    run.add_argument("--seed", type=int, help="seed for models that use randomness")
    run.add_argument("--out", default="results", help="results folder (default: results)")
    _execution_options(run)
    run.set_defaults(handler=_cmd_run)

    tutorial = commands.add_parser(
        "tutorial", help="reproduce the reference LSTM tutorial, then correct it")
    tutorial.add_argument("config", nargs="?", help="TOML config (default: tutorial.toml)")
    tutorial.add_argument("--epochs", type=int, help="every network's epochs (the tutorial: 100)")
    tutorial.add_argument("--out", default="results", help="results folder (default: results)")
    _execution_options(tutorial)
    tutorial.set_defaults(handler=_cmd_tutorial)

    table = commands.add_parser("table", help="print one of a run's tables in any format")
    table.add_argument("run_dir", help="a run folder, e.g. results/<run-id>")
    table.add_argument("--format", default="md", choices=("md", "csv", "latex", "html"))
    table.add_argument("--table", default="summary",
                       choices=table_names.CHOICES, help=table_names.HELP)
    table.set_defaults(handler=_cmd_table)

    report = commands.add_parser(
        "report", help="rebuild a run's tables, plots and report.html from its saved forecasts")
    report.add_argument("run_dir", help="a run folder, e.g. results/<run-id>")
    report.add_argument("--series", help="also the single-series report (EDA, DM tests, forecast "
                        "plots) of this series of a collection run, in RUN_DIR/series/SERIES/")
    report.set_defaults(handler=_cmd_report)

    compare = commands.add_parser("compare", help="print what changed between two runs")
    compare.add_argument("run_a", help="the earlier run folder")
    compare.add_argument("run_b", help="the later run folder")
    compare.set_defaults(handler=_cmd_compare)

    explain = commands.add_parser(
        "explain", help="show what a run's LSTM/GRU computes: gates, states, parameters")
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("run_dir", nargs="?", help="a run folder, e.g. results/<run-id>")
    source.add_argument("--config", help="a TOML config instead of a run (a new folder)")
    explain.add_argument("--model", help="label of the recurrent model (default: the first)")
    explain.add_argument("--series", help="the series of a collection run (default: the only "
                         "one); its explanation goes to RUN_DIR/explain/SERIES")
    explain.add_argument("--out", default="results", help="results folder for --config")
    explain.set_defaults(handler=_cmd_explain)

    cache = commands.add_parser("cache", help="show or clear the cache of task results")
    cache.add_argument("action", choices=("info", "clear"))
    cache.add_argument("--out", default="results", help="results folder (default: results)")
    cache.set_defaults(handler=_cmd_cache)

    models = commands.add_parser("models", help="list the models, or one model's parameters")
    models.add_argument("name", nargs="?", help="a model: its parameters, defaults and meaning")
    models.set_defaults(handler=_cmd_models)

    data = commands.add_parser("data", help="summarize a dataset or a collection of series")
    data.add_argument("source", help=SOURCES_HELP)
    data.add_argument("--column", help="value column")
    file_options(data)
    data.add_argument("--last", type=_last, help="keep the last N observations ('all': keep all)")
    data.set_defaults(handler=_cmd_data)

    export = commands.add_parser("export", help="write a real example dataset with covariates "
                                 "as a long CSV (the README's covariate example)")
    export.add_argument("name", help="elecdaily: daily electricity demand, Victoria 2014, with "
                        "WorkDay and Temperature (needs: pip install -e '.[examples]')")
    export.add_argument("path", type=Path, help="the CSV file to write (must not exist)")
    export.set_defaults(handler=_cmd_export)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number >= 1, got {text!r}")
    return value


def _execution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive, default=1,
                        help="run the (series, model, fold) tasks in N processes (default 1)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local processes (default) or a dask.distributed cluster")
    parser.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://HOST:8786 "
                        "(default with --executor dask: a LocalCluster of --jobs workers)")
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute every task (and do not store results)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--device", choices=DEVICES, help="cpu: hide GPUs; gpu: need one")


def _execution(args: argparse.Namespace) -> dict:
    from forecast_bench.evaluation.harness.executors import ExecutorSpec, check_reachable
    use_device(args.device)  # before any network is built or worker started
    executor = ExecutorSpec(args.executor, args.jobs, args.scheduler)
    check_reachable(executor)  # before the run folder is made
    return {"progress": progress_for(args.quiet), "use_cache": not args.no_cache,
            "executor": executor}


def _cmd_run(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks import config, own_data, terminal
    from forecast_bench.benchmarks.run import runner

    data = {"source": args.source, "column": args.column, "last": args.last,
            "start": args.start, "end": args.end, "series": _names(args.series, "--series"),
            "category": args.category, "sample": args.sample, "min_length": args.min_length,
            "max_length": args.max_length, "frequency": args.frequency, "period": args.period,
            **file_spec(args)}
    split = {"test_size": args.test_size, "folds": args.folds, "horizon": args.horizon,
             "step": args.step, "window": args.window, "protocol": args.protocol}
    names = _names(args.models, "--models")
    if own_data.applies(args.config, args.source):
        cfg, chosen = own_data.configure(args.source, data, split, names, args.seed,
                                         args.reference, args.levels)
        print(terminal.wrapped(chosen), flush=True)
    else:
        cfg = config.load_config(args.config or own_data.default_config(args.source))
        if args.config is None and args.source is not None and is_collection_source(args.source):
            cfg = dataclasses.replace(cfg, name=own_data.run_name(args.source))
        cfg = config.with_overrides(cfg, data=data, split=split, models=names, seed=args.seed,
                                    reference=args.reference, levels=args.levels)
    if args.sample is not None and args.seed is not None:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, sample_seed=args.seed))

    outcome = runner.run(cfg, Path(args.out), **_execution(args))
    print(terminal.outcome_text(outcome))
    return 0


def _names(text: str | None, option: str) -> list[str] | None:
    """A comma-separated option as a list (None when not given)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ConfigError(f"{option} is empty; name at least one, e.g. {option} NAME")
    return names


def _cmd_tutorial(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks import config, tutorial

    cfg = config.load_config(args.config or tutorial.TUTORIAL_CONFIG)
    if args.epochs is not None:
        cfg = config.with_model_params(cfg, epochs=args.epochs)
    outcome = tutorial.run_tutorial(cfg, Path(args.out), **_execution(args))
    print(tutorial.terminal_text(outcome))
    print(f"results, with tutorial.md: {outcome.run_dir}")
    return 0


def _cmd_cache(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.run.runner import CACHE_DIR
    from forecast_bench.evaluation.harness.cache import TaskCache

    cache = TaskCache(Path(args.out) / CACHE_DIR)
    if args.action == "clear":
        print(f"removed {cache.clear()} cached task result(s) from {cache.root}")
    else:
        entries, size = cache.size()
        print(f"{cache.root}: {entries} cached task result(s), {size / 2**20:.1f} MiB")
    return 0


def _cmd_table(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.run.collection_outputs import table_of_run
    from forecast_bench.benchmarks.run.outputs import render_table
    from forecast_bench.evaluation.run_folder.record import load_run
    from forecast_bench.evaluation.scoring.analysis import analyse

    run = load_run(Path(args.run_dir))
    if not run.is_single:
        text = table_of_run(run, Path(args.run_dir), args.table, args.format)
    else:
        record = run.one()
        if args.table in ("steps", "steps_mape") and record.horizon == 1:
            raise ConfigError(f"{args.run_dir} forecasts 1 step ahead: it has no per-step "
                              "table; use --table summary, folds, ranks or dm")
        analysis = analyse(record)
        if args.table == "intervals" and not len(analysis.intervals):
            raise ConfigError(f"{args.run_dir} has no prediction intervals; rerun it with "
                              "--levels 80,95 (or levels = [80, 95] in its config)")
        if args.table == "mcs" and analysis.mcs.why:  # too few forecast origins
            raise ConfigError(f"{args.run_dir}: {analysis.mcs.why}")
        text = render_table(analysis, args.table, args.format, record.leaky)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.run.outputs import rebuild

    print(f"report: {rebuild(Path(args.run_dir), args.series)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.compare import compare_folders

    print(compare_folders(Path(args.run_a), Path(args.run_b)))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks import config, explain
    from forecast_bench.benchmarks.data import load
    from forecast_bench.benchmarks.run import outputs
    from forecast_bench.evaluation.run_folder import results
    from forecast_bench.evaluation.run_folder.record import load_run

    run = load_run(Path(args.run_dir)) if args.run_dir else None
    if run is not None:
        record, run_dir = run.one(args.series), Path(args.run_dir)
        folder = run_dir / "explain" if run.is_single else run_dir / "explain" / record.series.name
        cfg = config.from_dict(record.config, where=str(run_dir / "config.toml"))
        models, series = config.build_models(cfg), record.series
        last = record.folds.iloc[-1]
        start, end, test_end = int(last.first_origin) - int(last.n_train), \
            int(last.first_origin), int(last.first_origin) + int(last.n_test)
    else:
        cfg = config.load_config(args.config)
        models, series = config.build_models(cfg), load(cfg.data).series
        fold = cfg.split.split(len(series), min_train=max(m.min_train_size
                                                          for m in models.values()))[-1]
        start, end, test_end = fold.train_start, fold.train_end, fold.test_end
        run_dir = results.new_run_dir(Path(args.out), f"{cfg.name}-explain")
        folder = run_dir / "explain"
    label, model = explain.recurrent_model(models, args.model)
    values = series.to_numpy(dtype=float)
    model.fit(values[start:end], leak=values[start:test_end] if model.leaky else None)
    path = explain.write_explanation(model, values[start:end], folder)
    if run is not None and run.is_single:
        outputs.write_outputs(run, run_dir)  # the report now links explain.md
    print(f"{label}: {path}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.model_help import describe, listing

    print(describe(args.name) if args.name is not None else listing())
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.data import DataSpec
    from forecast_bench.benchmarks.data.collection import load_with_dataset, only_series
    from forecast_bench.benchmarks.run.collection_outputs import collection_summary, dataset_summary

    spec = DataSpec(source=args.source, column=args.column, last=args.last, **file_spec(args))
    collection, dataset = load_with_dataset(spec)
    if dataset is None and len(collection) == 1 and not collection.skipped and (
            not is_collection_source(spec.source)):
        dataset = only_series(collection)  # a csv: file with one series id
    print(collection_summary(collection) if dataset is None
          else dataset_summary(dataset, collection.items[0] if len(collection) == 1 else None))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from forecast_bench.benchmarks.data.example_data import write_example

    print(write_example(args.name, args.path))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return interrupts.run_handler(args)
    except ForecastBenchError as exc:
        print(f"forecast-bench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
