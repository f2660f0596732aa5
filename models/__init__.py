"""Forecasters behind one interface; importing this package registers the built-in models."""

from forecast_bench.models import (  # noqa: F401  (registers)
    arima,
    boosting,
    dhr,
    ets,
    global_linear,
    global_nets,
    hybrid,
    learners,
    local_nets,
    lstm,
    mlp,
    mstl,
    naive,
    nbeats,
    statistical,
)
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.errors import (
    ConfigError,
    DataError,
    ForecastBenchError,
    ModelError,
    NotFittedError,
)
from forecast_bench.models.registry import available, get, register

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
