"""Model registry: `@register("name")` on a Forecaster class, then `get("name", **params)`."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from typing import Any

from models.base import Forecaster
from models.errors import ConfigError

_REGISTRY: dict[str, type[Forecaster]] = {}


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
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"unknown model '{name}'; {hint}available: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def available() -> dict[str, str]:
    """Registered model names with the first line of each class docstring."""
    return {
        name: (cls.__doc__ or "").strip().splitlines()[0] for name, cls in sorted(_REGISTRY.items())
    }
