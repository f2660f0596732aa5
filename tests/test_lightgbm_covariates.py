"""The global LightGBM model with covariates (issue 28): its direct and recursive forecasts by
hand, no look-ahead in covariates for each strategy, a promotion calendar driving a panel picked
up, and a long CSV with known-ahead and past covariates run from the command line."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from forecast_bench import rules
from forecast_bench.benchmarks.cli import main
from forecast_bench.models import get
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ModelError

WEEK = np.array([1.0, 1.2, 0.9, 1.1, 1.5, 2.0, 0.6])
SMALL = {"n_estimators": 20, "lags": 8, "windows": [3], "min_data_in_leaf": 5}


def promoted_panel(n_series: int = 6, length: int = 84, lift: float = 0.8,
                   seed: int = 0) -> tuple[list[np.ndarray], list[Covariates]]:
    """Sales of different levels: a weekly pattern raised by `lift` on promotion days (each
    series its own random calendar), 5% noise; covariates: the promotion (known ahead) and an
    observed driver (past) that the sales do not depend on."""
    rng = np.random.default_rng(seed)
    series, covariates = [], []
    for _ in range(n_series):
        promo = (rng.random(length) < 0.25).astype(float)
        shape = np.tile(WEEK, length // 7 + 1)[:length] + lift * promo
        series.append(rng.uniform(5, 100) * shape * (1 + rng.normal(0, 0.05, length)))
        covariates.append(Covariates(np.column_stack([promo, rng.normal(size=length)]),
                                     ("promo", "driver"), (True, False)))
    return series, covariates


def hand_row(z: np.ndarray, t: int, lags: int, window: int, period: int) -> list[float]:
    """The lag, seasonal-lag and rolling features of the value at t (values before t only)."""
    recent = z[t - window:t]
    return ([float(z[t - k]) for k in range(1, lags + 1)]
            + [float(z[t - period]), float(z[t - 2 * period]), recent.mean(), recent.std()])


def test_direct_forecasts_by_hand_read_the_target_promo_and_the_origin_driver():
    series, covariates = promoted_panel(n_series=3)
    model = get("lightgbm", strategy="direct", horizon=4, **SMALL)
    model.fit_collection([y[:56] for y in series], [7] * 3, covariates)
    assert len(model.boosters_) == 4 and "direct, 4 boosters" in model.describe_fit()
    assert "1 known-ahead and 1 past covariates" in model.describe_fit()
    origin = 63
    found = model.forecast_collection(series, [np.array([origin])] * 3, 4, (), covariates)
    for y, cov, forecast in zip(series, covariates, found, strict=True):
        scale = np.mean(np.abs(y[:56]))
        row = hand_row(y[:origin] / scale, origin, 8, 3, 7)
        promo, driver = cov.values[:, 0], cov.values[:, 1]
        expected = [model.boosters_[h].predict(np.array(
            [[*row, promo[origin + h], driver[origin - 1]]]))[0] * scale for h in range(4)]
        np.testing.assert_allclose(forecast.point[0], expected, rtol=1e-10)


def test_recursive_forecasts_by_hand_read_each_step_s_promo():
    series, covariates = promoted_panel(n_series=3)
    future = [Covariates(c.values[:, :1], ("promo",), (True,)) for c in covariates]
    model = get("lightgbm", **SMALL)  # auto: recursive, as no past covariate is given
    model.fit_collection([y[:56] for y in series], [7] * 3, future)
    assert "recursive" in model.describe_fit()
    origin, horizon = 63, 5
    found = model.forecast_collection(series, [np.array([origin])] * 3, horizon, (), future)
    for y, cov, forecast in zip(series, future, found, strict=True):
        scale = np.mean(np.abs(y[:56]))
        path = list(y[:origin] / scale)
        for _ in range(horizon):
            z = np.array(path)
            row = [*hand_row(z, len(z), 8, 3, 7), cov.values[len(z), 0]]
            path.append(float(model.booster_.predict(np.array([row]))[0]))
        np.testing.assert_allclose(forecast.point[0], np.array(path[origin:]) * scale,
                                   rtol=1e-10)


@pytest.mark.parametrize("strategy", ["auto", "direct", "recursive"])
def test_no_covariate_read_beyond_what_a_forecast_may_see(strategy):
    series, covariates = promoted_panel(n_series=1, length=98)
    y, cov = series[0], covariates[0]
    model = get("lightgbm", strategy=strategy, horizon=3, **SMALL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(y[:70], covariates=cov.rows(0, 70))
    ignored = [str(w.message) for w in caught if "ignores the past covariates" in str(w.message)]
    assert bool(ignored) == (strategy == "recursive")
    assert model.direct_ == (strategy != "recursive")
    for horizon in (1, 3):
        rules.assert_no_covariate_lookahead(model, y, cov, [70, 77, len(y) - horizon], horizon)


def test_a_forecast_needs_the_fit_s_covariates_and_horizon():
    series, covariates = promoted_panel(n_series=2)
    model = get("lightgbm", strategy="direct", horizon=2, **SMALL)
    model.fit_collection([y[:56] for y in series], [7, 7], covariates)
    origins = [np.array([60])] * 2
    with pytest.raises(ModelError, match="fitted with covariates"):
        model.forecast_collection(series, origins, 2)
    with pytest.raises(ModelError, match="trained for 2 steps, not 3; set horizon = 3"):
        model.forecast_collection(series, origins, 3, (), covariates)
    with pytest.raises(ModelError, match="every series or none"):
        get("lightgbm", **SMALL).fit_collection([y[:56] for y in series], [7, 7],
                                                [covariates[0], None])


def test_a_promotion_calendar_driving_a_panel_is_picked_up():
    series, covariates = promoted_panel(n_series=12, length=140, lift=1.0, seed=3)
    train, origins, horizon = 112, np.arange(112, 127), 14
    targets = np.arange(horizon)

    def errors(covs: list[Covariates] | None) -> tuple[float, float]:
        model = get("lightgbm", n_estimators=150, min_data_in_leaf=10)
        model.fit_collection([y[:train] for y in series], [7] * 12, covs)
        found = model.forecast_collection(series, [origins] * 12, horizon, (), covs)
        abs_errors, lifts = [], []
        for y, cov, forecast in zip(series, covariates, found, strict=True):
            rows = origins[:, None] + targets
            abs_errors.append(np.mean(np.abs(forecast.point - y[rows])) / np.mean(y[:train]))
            promo = cov.values[rows, 0] == 1
            lifts.append(forecast.point[promo].mean() / forecast.point[~promo].mean())
        return float(np.mean(abs_errors)), float(np.median(lifts))

    with_promo, lift = errors(covariates)
    without, no_lift = errors(None)
    assert with_promo < 0.5 * without  # the promotions explain most of the variation
    assert lift > 1.4 and abs(no_lift - 1) < 0.15  # promotion days forecast higher, by ~ 1.7x


def test_a_long_csv_with_both_kinds_of_covariates_runs_lightgbm_and_arima(tmp_path, capsys):
    series, covariates = promoted_panel(n_series=3, length=84)
    dates = pd.date_range("2023-01-02", periods=84, freq="D").strftime("%Y-%m-%d")
    frame = pd.concat([pd.DataFrame({"unique_id": f"store{i}", "ds": dates, "y": y.round(3),
                                     "promo": c.values[:, 0].astype(int),
                                     "temp": c.values[:, 1].round(3)})
                       for i, (y, c) in enumerate(zip(series, covariates, strict=True))])
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "results"
    code = main(["run", "--data", f"long:{path}", "--future-covariates", "promo",
                 "--past-covariates", "temp", "--models", "seasonal_naive,arima,lightgbm",
                 "--test-size", "14", "--folds", "2", "--horizon", "7", "--quiet",
                 "--no-cache", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    status = pd.read_csv(folder / "status.csv")
    assert (status.status == "ok").all(), status.reason.tolist()
    fitted = status[status.model == "lightgbm"].fitted.iloc[0]
    assert "direct, 7 boosters" in fitted and "1 known-ahead and 1 past" in fitted
    summary = " ".join((folder / "summary.md").read_text().split())
    assert ("Covariates (known ahead: promo; past: temp): used by arima (past ones: ignored, "
            "the known-ahead ones are its regressors), lightgbm (past ones: read at each "
            "origin's last row, direct strategy); ignored by naive, naive2, seasonal_naive."
            in summary)
