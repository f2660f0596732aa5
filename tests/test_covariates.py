"""Covariates (issue 28): read beside the target, handed to the models that take them, never
read beyond what a forecast may see; ARIMA with regressors against statsmodels' SARIMAX; the
public holiday calendar feature against the holidays package and dates written by hand."""

from __future__ import annotations

import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench import rules
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.data import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.benchmarks.data.covariates import calendar
from forecast_bench.case import N_TRAIN, random_walk
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.task import Task
from forecast_bench.evaluation.harness.walk_forward import _key
from forecast_bench.evaluation.reporting.tables import covariate_notes
from forecast_bench.models.arima import Arima
from forecast_bench.models.base import Forecast
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ConfigError
from forecast_bench.models.naive import Naive


def promoted(n: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sales = 50 + 8 x a promotion flag + AR(1) noise, and the flag."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n) < 0.25).astype(float)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.5 * noise[t - 1] + rng.normal()
    return 50 + 8 * promo + noise, promo


def write_single(path: Path, n: int = 60) -> Path:
    y, promo = promoted(n)
    dates = pd.date_range("2021-01-04", periods=n, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "sales": y.round(4), "promo": promo.astype(int),
                  "temp": np.arange(n) / 10}).to_csv(path, index=False)
    return path


def test_a_single_csv_gives_its_series_the_covariate_columns(tmp_path):
    path = write_single(tmp_path / "one.csv")
    spec = DataSpec(source=f"csv:{path}", future_covariates="promo", past_covariates=["temp"],
                    calendar="dow")
    (item,) = load_collection(spec).items
    cov = item.covariates
    assert item.id == "sales"  # the covariates do not count as value columns
    assert cov.names[:2] == ("promo", "temp") and cov.known_ahead[:2] == (True, False)
    assert cov.names[2:] == ("dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "dow_sun")
    assert all(cov.known_ahead[2:])
    frame = pd.read_csv(path)
    np.testing.assert_array_equal(cov.values[:, 0], frame.promo)
    np.testing.assert_array_equal(cov.values[:, 1], frame.temp)
    days = pd.DatetimeIndex(frame.date).dayofweek.to_numpy()
    np.testing.assert_array_equal(cov.values[:, 2], days == 1)  # 2021-01-05 is a Tuesday
    assert cov.values[:, 2:].sum(axis=1).tolist() == (days != 0).astype(float).tolist()


def test_a_long_csv_aligns_each_series_with_its_own_rows(tmp_path):
    rows = [row for d in range(1, 8)  # the two series' rows interleaved
            for row in (("B", f"2021-01-0{d}", 20 - d, 5 * d), ("A", f"2021-01-0{d}", 10 + d,
                                                                  d % 2))]
    path = tmp_path / "long.csv"
    pd.DataFrame(rows, columns=["unique_id", "ds", "y", "price"]).to_csv(path, index=False)
    found = load_collection(DataSpec(source=f"long:{path}", future_covariates="price"))
    a, b = found.get("A"), found.get("B")
    np.testing.assert_array_equal(a.covariates.values[:, 0], [d % 2 for d in range(1, 8)])
    np.testing.assert_array_equal(b.covariates.values[:, 0], [5 * d for d in range(1, 8)])


@pytest.mark.parametrize(("change", "expected"), [
    ("missing_column", "column 'promotion' not found"),
    ("empty_cell", "missing value in covariate column 'promo'"),
    ("wide", "covariates are not supported for a wide file"),
])
def test_bad_covariates_are_a_one_line_error_with_exit_status_2(tmp_path, capsys, change,
                                                                 expected):
    path = write_single(tmp_path / "one.csv")
    frame = pd.read_csv(path, dtype=str)
    option = "promotion" if change == "missing_column" else "promo"
    if change == "empty_cell":
        frame.loc[9, "promo"] = ""
    if change == "wide":
        frame["other"] = frame["sales"]
    frame.to_csv(path, index=False)
    column = ["--column", "sales,other" if change == "wide" else "sales"]
    code = main(["data", f"csv:{path}", *column, "--future-covariates", option])
    err = capsys.readouterr().err.strip()
    assert code == 2 and expected in err and "\n" not in err
    if change == "empty_cell":
        assert "line 11" in err and str(path) in err


def test_covariate_options_are_checked_when_the_spec_is_built():
    with pytest.raises(ConfigError, match="not from 'msft'"):
        DataSpec(source="msft", future_covariates="promo")
    with pytest.raises(ConfigError, match="listed twice"):
        DataSpec(source="csv:x.csv", future_covariates="a", past_covariates="a")
    with pytest.raises(ConfigError, match="calendar feature 'week'"):
        DataSpec(source="csv:x.csv", calendar="week")


def fitted_with_regressor(order=(1, 0, 0)) -> tuple[Arima, np.ndarray, Covariates]:
    y, promo = promoted()
    cov = Covariates(np.column_stack([promo, np.sin(np.arange(len(y)))]), ("promo", "past"),
                     (True, False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Arima(order=list(order)).fit(y[:N_TRAIN], covariates=cov)
    return model, y, cov


def test_arima_with_a_regressor_is_statsmodels_sarimax_with_exog():
    model, y, cov = fitted_with_regressor()
    assert model.regressors_ == ("promo",)  # the past covariate is not a regressor
    exog = np.column_stack([np.ones(len(y)), cov.values[:, 0]])  # the intercept, the flag
    origins = np.arange(N_TRAIN, len(y) - 3)
    forecast = model.forecast(y, origins, 3, levels=[90], covariates=cov)
    params = model.result_.params
    for row, origin in enumerate(origins[::6]):
        fixed = SARIMAX(y[:origin], exog=exog[:origin], order=(1, 0, 0)).filter(params)
        expected = fixed.get_forecast(3, exog=exog[origin:origin + 3])
        np.testing.assert_allclose(forecast.point[row * 6], expected.predicted_mean, rtol=1e-6)
        low = expected.conf_int(alpha=0.1)[:, 0]
        np.testing.assert_allclose(forecast.lower[0, row * 6], low, rtol=1e-6)
    # and the estimate is SARIMAX's own fit of that model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = SARIMAX(y[:N_TRAIN], exog=exog[:N_TRAIN], order=(1, 0, 0)).fit(
            disp=False, maxiter=50)
    np.testing.assert_allclose(params, direct.params, rtol=1e-6)


def test_a_known_promotion_makes_arima_with_the_regressor_clearly_better():
    y, promo = promoted()
    cov = Covariates(promo[:, None], ("promo",), (True,))
    origins = np.arange(N_TRAIN, len(y) - 2)
    targets = origins[:, None] + np.arange(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Arima(order="auto", max_p=2, max_q=2).fit(y[:N_TRAIN])
        regression = Arima(order="auto", max_p=2, max_q=2).fit(y[:N_TRAIN], covariates=cov)
    rmse_plain = np.sqrt(((plain.predict_origins(y, origins, 3) - y[targets]) ** 2).mean())
    got = regression.forecast(y, origins, 3, covariates=cov).point
    rmse_regression = np.sqrt(((got - y[targets]) ** 2).mean())
    assert rmse_regression < 0.5 * rmse_plain  # measured: about 1.0 against 3.3


def test_the_covariate_rule_holds_for_arima_and_catches_a_peeking_model():
    model, y, cov = fitted_with_regressor()
    for horizon in (1, 3):
        rules.assert_no_covariate_lookahead(model, y, cov, [N_TRAIN, len(y) - horizon],
                                            horizon)

    class Peeking(Naive):
        """The naive forecast plus the known-ahead column one step beyond its last target."""

        takes_covariates = True
        interval_method = "conformal"

        def _fit_covariates(self, y, covariates):
            self._fit(y)

        def _forecast_covariates(self, y, origins, horizon, covariates, sd):
            beyond = covariates.values[np.minimum(origins + horizon, len(covariates) - 1), 0]
            point = y[origins - 1][:, None] + beyond[:, None] + np.zeros(horizon)
            return Forecast.single(point), None

    y_rw = random_walk().to_numpy()
    peek = Peeking().fit(y_rw[:N_TRAIN], covariates=rules.case_covariates(len(y_rw)).rows(
        0, N_TRAIN))
    with pytest.raises(AssertionError, match="known-ahead one beyond its last target"):
        rules.assert_no_covariate_lookahead(peek, y_rw, rules.case_covariates(len(y_rw)),
                                            [N_TRAIN], 2)


def test_the_cache_key_follows_the_covariates_of_a_model_that_takes_them():
    y, promo = promoted(60)
    fold = WalkForward(test_size=10, folds=1, horizon=2).split(len(y))[0]
    cov = Covariates(promo[:, None], ("promo",), (True,))
    moved = Covariates(np.r_[promo[:-1], 1 - promo[-1]][:, None], ("promo",), (True,))

    def key(model, covariates):
        return _key(Task("s", "m", model, fold, y, 2, covariates=covariates))

    assert key(Arima(), cov) != key(Arima(), moved) != key(Arima(), None)
    assert key(Naive(), cov) == key(Naive(), moved) == key(Naive(), None)  # ignored there


def test_the_holiday_column_is_1_exactly_on_the_public_holidays_of_the_country(tmp_path,
                                                                             monkeypatch):
    def refused(*args, **kwargs):
        raise OSError("no network: the holidays package must not need one")

    for name in ("socket", "create_connection"):  # holidays computes, never downloads
        monkeypatch.setattr(socket, name, refused)
    import holidays

    dates = pd.date_range("2000-01-01", "2000-12-31", freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": np.arange(len(dates)) % 7}).to_csv(
        path, index=False)
    (item,) = load_collection(DataSpec(source=f"csv:{path}", calendar="holiday",
                                       country="GB")).items
    assert item.covariates.names == ("holiday",) and item.covariates.known_ahead == (True,)
    flagged = dates[item.covariates.values[:, 0] == 1]
    assert set(flagged.date) == set(holidays.country_holidays("GB", years=2000))
    # the UK-wide bank holidays of 2000 by hand: New Year's Day (a Saturday) and its Monday,
    # Good Friday (Easter was 23 April), the May Day and Spring bank holidays, Christmas
    assert flagged.strftime("%m-%d").tolist() == ["01-01", "01-03", "04-21", "05-01", "05-29",
                                                  "12-25", "12-26"]
    # subdivisions: Scotland keeps 2 January (observed on the 4th) and its summer holiday on
    # the first Monday of August; England has Easter Monday and the last Monday of August
    days = {code: dict(zip(dates.strftime("%m-%d"), calendar(dates, ("holiday",), code)[0][:, 0],
                           strict=True)) for code in ("GB-SCT", "GB-ENG")}
    for day, scotland, england in (("01-04", 1, 0), ("08-07", 1, 0), ("04-24", 0, 1),
                                   ("08-28", 0, 1), ("12-25", 1, 1), ("07-12", 0, 0)):
        assert (days["GB-SCT"][day], days["GB-ENG"][day]) == (scotland, england), day


def test_every_half_hour_of_a_holiday_is_flagged_and_a_holiday_never_met_is_left_out():
    half_hours = pd.date_range("2000-12-24", periods=4 * 48, freq="30min")  # 24th..27th
    values, names = calendar(half_hours, ("dow", "holiday"), "GB-ENG")
    holiday = values[:, names.index("holiday")].reshape(4, 48)
    np.testing.assert_array_equal(holiday, np.repeat([[0], [1], [1], [0]], 48, axis=1))
    # Taylor's summer of 2000 (5 June to 27 August) has no English bank holiday: no column
    summer = pd.date_range("2000-06-05", "2000-08-27 23:30", freq="30min")
    assert calendar(summer, ("dow", "holiday"), "GB-ENG")[1][-1] == "dow_sun"
    assert calendar(summer, ("holiday",), "GB-ENG")[0].shape == (len(summer), 0)
    (note,) = covariate_notes({"data": {"calendar": ["holiday"], "country": "GB-ENG"},
                               "models": {"arima": {}}})
    assert "calendar holiday (GB-ENG)" in note and "a holiday none of them falls on" in note


def test_the_country_is_stored_as_the_holidays_package_names_it():
    spec = DataSpec(source="csv:x.csv", calendar="dow,holiday", country="gb-England")
    assert spec.country == "GB-ENG"
    assert DataSpec(source="csv:x.csv", calendar="holiday", country="AU-vic").country == "AU-VIC"
    assert DataSpec(source="csv:x.csv", calendar="holiday", country="UK").country == "GB"


@pytest.mark.parametrize(("options", "expected"), [
    (["--calendar", "holiday"], "needs a country: add --country GB"),
    (["--calendar", "dow", "--country", "GB"], "add holiday to --calendar"),
    (["--calendar", "holiday", "--country", "XX"], "has no country 'XX'"),
    (["--calendar", "holiday", "--country", "GB-XYZ"],
     "GB has no subdivision 'XYZ' in the holidays package; use one of ENG, NIR, SCT, WLS"),
])
def test_holiday_options_are_a_one_line_error_with_exit_status_2(tmp_path, capsys, options,
                                                                   expected):
    path = write_single(tmp_path / "one.csv")
    code = main(["data", f"csv:{path}", "--column", "sales", *options])
    err = capsys.readouterr().err.strip()
    assert code == 2 and expected in err and "\n" not in err
    if "XX" in options:
        assert "holidays.list_supported_countries()" in err


def test_holidays_is_imported_only_when_the_feature_is_asked_for(tmp_path):
    script = ("import sys\n"
              "from forecast_bench.benchmarks.data import DataSpec\n"
              "from forecast_bench.benchmarks.data.covariates import calendar\n"
              "import forecast_bench.benchmarks.cli\n"
              "DataSpec(source='csv:x.csv', calendar='dow,month')\n"
              "assert 'holidays' not in sys.modules\n"
              "DataSpec(source='csv:x.csv', calendar='holiday', country='GB')\n"
              "assert 'holidays' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)  # not the checkout's folder
    assert done.returncode == 0, done.stderr
