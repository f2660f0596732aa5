"""Run configuration: a TOML file (or CLI options) -> a validated, frozen RunConfig."""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path
from typing import Any

from forecast_bench.benchmarks.data import DataSpec
from forecast_bench.benchmarks.data.csv_input import resolved_source
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.models import registry
from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ConfigError, ModelError
from forecast_bench.models.intervals import check_levels

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "msft_daily.toml"
COMPETITION_CONFIG = DEFAULT_CONFIG.parent / "competition.toml"  # collections' default
REFERENCE = "naive"  # every run includes the random walk: ratios are taken against it
TOP_LEVEL = ("name", "seed", "reference", "levels", "data", "split", "models")


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One row of the comparison: a label, the registered model name and its parameters."""

    label: str
    model: str
    params: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RunConfig:
    name: str
    data: DataSpec
    split: WalkForward
    models: tuple[ModelEntry, ...]
    seed: int = 0
    # the model a collection run's aggregate scores are relative to (OWA, beats-ref %); a label
    # of the run or a registered model name added with its defaults
    reference: str = REFERENCE
    levels: tuple[float, ...] = ()  # prediction-interval levels in percent, e.g. (80, 95)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run configuration."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}; pass an existing .toml file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix the syntax") from None
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("source"), str):  # relative: to the file
        raw = {**raw, "data": {**data, "source": resolved_source(data["source"], path.parent)}}
    return from_dict(raw, default_name=path.stem, where=str(path))


def from_dict(raw: dict[str, Any], default_name: str = "run", where: str = "config") -> RunConfig:
    _check_keys(raw, TOP_LEVEL, where)
    data = _section(raw, "data", where)
    split = _section(raw, "split", where)
    _check_keys(data, [f.name for f in dataclasses.fields(DataSpec)], f"{where} [data]")
    _check_keys(split, [f.name for f in dataclasses.fields(WalkForward)], f"{where} [split]")
    models = tuple(_model_entry(label, params, where)
                   for label, params in _section(raw, "models", where).items())
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"{where}: seed must be a non-negative integer, got {seed!r}")
    name = str(raw.get("name", default_name))
    reference = _checked_reference(raw.get("reference", REFERENCE), models, where)
    levels = checked_levels(raw.get("levels", []), f"{where}: levels")
    return RunConfig(name, DataSpec(**data), WalkForward(**split), models, seed, reference,
                     levels)


def checked_levels(levels: Any, where: str) -> tuple[float, ...]:
    """Interval levels as a sorted tuple; ConfigError naming the problem otherwise."""
    if not isinstance(levels, list | tuple):
        raise ConfigError(f"{where} must be a list of percentages such as [80, 95], "
                          f"got {levels!r}")
    try:
        return check_levels(levels)
    except ModelError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _checked_reference(reference: Any, models: tuple[ModelEntry, ...], where: str) -> str:
    """The reference must be a label of the run or a registered model name."""
    labels = {entry.label for entry in models}
    if not isinstance(reference, str) or (reference not in labels
                                          and reference not in registry.available()):
        raise ConfigError(f"{where}: reference {reference!r} is neither a model of the run "
                          f"({', '.join(sorted(labels))}) nor a registered model; name one")
    return reference


def with_overrides(cfg: RunConfig, data: dict[str, Any], split: dict[str, Any],
                   models: list[str] | None, seed: int | None,
                   reference: str | None = None,
                   levels: tuple[float, ...] | None = None) -> RunConfig:
    """A copy of `cfg` with CLI options applied (None values are ignored)."""
    data = {k: v for k, v in data.items() if v is not None}
    split = {k: v for k, v in split.items() if v is not None}
    entries = cfg.models
    if models is not None:
        by_label = {entry.label: entry for entry in cfg.models}
        entries = tuple(by_label.get(label) or _model_entry(label, {}, "--models")
                        for label in models)
    return dataclasses.replace(
        cfg,
        data=dataclasses.replace(cfg.data, **data),
        split=dataclasses.replace(cfg.split, **split),
        models=entries,
        seed=cfg.seed if seed is None else seed,
        reference=(cfg.reference if reference is None
                   else _checked_reference(reference, entries, "--reference")),
        levels=cfg.levels if levels is None else checked_levels(levels, "--levels"),
    )


def with_model_params(cfg: RunConfig, **params: Any) -> RunConfig:
    """Set `params` on every model that has them (e.g. epochs for all networks)."""
    entries = []
    for entry in cfg.models:
        fields = registry.parameters(entry.model)
        extra = {k: v for k, v in params.items() if k in fields}
        registry.get(entry.model, **{**entry.params, **extra})  # validate now
        entries.append(dataclasses.replace(entry, params={**entry.params, **extra}))
    return dataclasses.replace(cfg, models=tuple(entries))


def build_models(cfg: RunConfig) -> dict[str, Forecaster]:
    """Unfitted models by label, the references first (the random walk, which single-series
    tables compare against, and the run's reference); the run seed fills unset seeds."""
    entries = list(cfg.models)
    for reference in dict.fromkeys([cfg.reference, REFERENCE]):
        if reference not in {entry.label for entry in entries}:
            entries.insert(0, ModelEntry(reference, reference, {}))
    built = {}
    for entry in entries:
        params = dict(entry.params)
        if "seed" in registry.parameters(entry.model) and "seed" not in params:
            params["seed"] = cfg.seed
        built[entry.label] = registry.get(entry.model, **params)
    return built


def to_toml(cfg: RunConfig, models: dict[str, Forecaster]) -> str:
    """The fully resolved configuration (every model parameter spelled out), as TOML.

    A data file's path is written absolute, so the file reruns from any folder. A small
    writer suffices: configs hold only scalars, arrays and (inline) tables."""
    lines = [f"name = {toml_value(cfg.name)}", f"seed = {cfg.seed}",
             f"reference = {toml_value(cfg.reference)}",
             f"levels = {toml_value(list(cfg.levels))}", ""]
    data = {**dataclasses.asdict(cfg.data),
            "source": resolved_source(cfg.data.source, Path.cwd())}
    for section, values in (("data", data), ("split", dataclasses.asdict(cfg.split))):
        lines += [f"[{section}]", *_toml_pairs(values), ""]
    for label, model in models.items():
        lines += [f"[models.{label}]", f"model = {toml_value(model.name)}",
                  *_toml_pairs(model.params()), ""]
    return "\n".join(lines)


def _model_entry(label: str, params: Any, where: str) -> ModelEntry:
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: [models.{label}] must be a table of parameters")
    params = dict(params)
    name = params.pop("model", label)
    registry.get(name, **params)  # validates the name and every parameter now, not mid-run
    return ModelEntry(label, name, params)


def _section(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a table ([{key}]), got {value!r}")
    return value


def _check_keys(table: dict[str, Any], allowed: list[str] | tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(
                f"{where}: unknown key '{key}'; {hint}allowed: {', '.join(allowed)}"
            )


def _toml_pairs(values: dict[str, Any]) -> list[str]:
    return [f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None]


def toml_value(value: Any) -> str:
    """A value as TOML writes it (strings quoted and escaped, inline arrays and tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, e.g. a hybrid's linear_params
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
