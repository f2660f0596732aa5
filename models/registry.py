"""Model registry: `@register("name")` on a Forecaster class, then `get("name", **params)`.

Other packages add models through the entry-point group `forecast_bench.models` (see
docs/adding_a_model.md); they are imported once, the first time the registry is read.
"""

from __future__ import annotations

import dataclasses
import difflib
import warnings
from collections.abc import Callable
from importlib import metadata
from types import ModuleType
from typing import Any

from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ConfigError

ENTRY_POINT_GROUP = "forecast_bench.models"

_REGISTRY: dict[str, type[Forecaster]] = {}
_plugins_loaded = False


def register(name: str) -> Callable[[type[Forecaster]], type[Forecaster]]:
    """Class decorator: add a Forecaster subclass to the registry under `name`."""

    def decorate(cls: type[Forecaster]) -> type[Forecaster]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered by {_REGISTRY[name]}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def get(name: str, **params: Any) -> Forecaster:
    """A new, unfitted model; ConfigError (with the closest name) for an unknown one."""
    return _model_class(name)(**params)


def parameters(name: str) -> tuple[str, ...]:
    """A registered model's parameter names, read from its config class (nothing is built)."""
    return tuple(field.name for field in dataclasses.fields(_model_class(name).config_class))


def _model_class(name: str) -> type[Forecaster]:
    load_plugins()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"unknown model '{name}'; {hint}available: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def available() -> dict[str, str]:
    """Registered model names with the first paragraph of each class docstring, on one line."""
    load_plugins()
    return {name: " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
            for name, cls in sorted(_REGISTRY.items())}


def load_plugins() -> None:
    """Import the models other packages declare under ENTRY_POINT_GROUP; only the first call
    does anything. A plugin that fails is skipped with a warning: it must not break the tool."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True  # set first: a plugin may read the registry while it is imported
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            _add_plugin(entry.name, entry.load())
        except Exception as exc:
            reason = (str(exc).splitlines() or [""])[0]
            warnings.warn(f"skipped model plugin {entry.name!r} ({entry.value}): "
                          f"{type(exc).__name__}: {reason}", stacklevel=2)


def _add_plugin(name: str, loaded: object) -> None:
    """An entry point names a module whose import ran @register, or a Forecaster subclass."""
    if isinstance(loaded, ModuleType):
        return
    if not (isinstance(loaded, type) and issubclass(loaded, Forecaster)):
        raise TypeError(f"expected a Forecaster subclass or a module, got {loaded!r}")
    if loaded in _REGISTRY.values() and _REGISTRY.get(name) is not loaded:
        raise ValueError(f"{loaded.__name__} is registered as {loaded.name!r}, not {name!r}")
    register(name)(loaded)
