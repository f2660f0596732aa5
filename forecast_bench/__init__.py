"""forecast-bench's public API, the import path for plugin authors.

    from forecast_bench import Forecaster, ModelConfig

A model subclasses `Forecaster` (see docs/adding_a_model.md). The names here are the same
objects as in the `models` package, which this package re-exports and which registers the
built-in models when imported. A plugin tests its model with
`forecast_bench.testing.check_forecaster(Model)`, the contract every built-in model keeps.
"""

from forecast_bench.models import (
    ConfigError,
    DataError,
    Forecast,
    ForecastBenchError,
    Forecaster,
    ModelConfig,
    ModelError,
    NotFittedError,
    available,
    get,
    register,
)

__all__ = [
    "ConfigError",
    "DataError",
    "Forecast",
    "ForecastBenchError",
    "Forecaster",
    "ModelConfig",
    "ModelError",
    "NotFittedError",
    "available",
    "get",
    "register",
]
