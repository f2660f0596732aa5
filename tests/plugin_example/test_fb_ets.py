"""fb-ets's own test: its model keeps forecast-bench's model contract."""

from fb_ets import SimpleExpSmoothingForecaster

from forecast_bench.testing import check_forecaster


def test_contract():
    check_forecaster(SimpleExpSmoothingForecaster)
