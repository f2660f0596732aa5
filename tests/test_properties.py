"""Property tests (hypothesis): splits, the same folds for every model, metrics, CSV loading.

Each test is small and fast (settings below); the whole file runs in a few seconds. No example
database is written (database=None) so the working tree stays clean; a failure prints its
minimal example, which can be pinned with @example.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import models
from benchmarks.data import FILLS, TRANSFORMS, Dataset, DataSpec, load
from evaluation import metrics
from evaluation.splits import WalkForward
from evaluation.walk_forward import run_walk_forward
from models.errors import ConfigError, DataError
from tests.conftest import random_walk

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def one_line(exc: BaseException) -> str:
    """The message, checked to be non-empty and on one line."""
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message!r}"
    return message


# --- splits ------------------------------------------------------------------------------------


@st.composite
def valid_splits(draw):
    """(n, min_train, WalkForward) that the code must accept, with every kind of parameter."""
    folds = draw(st.integers(1, 6))
    horizon = draw(st.integers(1, 5))
    step = draw(st.integers(1, 6))
    min_train = draw(st.integers(1, 10))
    window = draw(st.one_of(st.just("expanding"), st.integers(min_train, 60)))
    n_test = draw(st.integers(folds * horizon, 150))
    train = window if isinstance(window, int) else min_train
    n = n_test + train + draw(st.integers(0, 100))
    if draw(st.booleans()):
        test_size = n_test
    else:  # a fraction whose rounding (round(n * f), as WalkForward.n_test) is a valid count
        test_size = draw(st.floats(0.001, 0.999))
        n_test = round(n * test_size)
        assume(folds * horizon <= n_test <= n - train)
    split = WalkForward(test_size=test_size, folds=folds, horizon=horizon, step=step,
                        window=window)
    return n, min_train, split


def check_folds(split: WalkForward, n: int, min_train: int) -> None:
    """Every invariant of a successful split."""
    folds = split.split(n, min_train=min_train)
    n_test = split.n_test(n)
    if isinstance(split.test_size, float):
        assert n_test == round(n * split.test_size) and abs(n_test - n * split.test_size) <= 0.5
    else:
        assert n_test == split.test_size
    assert len(folds) == split.folds
    assert [f.index for f in folds] == list(range(split.folds))
    # every test position in exactly one fold; the test span is the last n_test values
    covered = np.concatenate([np.arange(f.train_end, f.test_end) for f in folds])
    np.testing.assert_array_equal(covered, np.arange(n - n_test, n))
    sizes = [f.test_end - f.train_end for f in folds]
    assert sum(sizes) == n_test and max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # earlier folds larger, as documented
    for fold in folds:
        assert 0 <= fold.train_start < fold.train_end < fold.test_end <= n
        assert fold.train_size >= min_train
        if split.window == "expanding":
            assert fold.train_start == 0
        else:
            assert fold.train_size == split.window
        assert fold.origins, "a fold without origins"
        assert list(fold.origins) == list(range(fold.origins[0], fold.origins[-1] + 1,
                                                split.step))
        for origin in fold.origins:
            assert fold.train_end <= origin  # never forecast from inside the training part
            targets = range(origin, origin + split.horizon)
            assert fold.train_end <= min(targets) and max(targets) < fold.test_end


@FAST
@given(valid_splits())
def test_valid_splits_tile_the_test_span(case):
    n, min_train, split = case
    check_folds(split, n, min_train)


@FAST
@given(valid_splits())
def test_split_depends_only_on_its_parameters(case):
    """Identical folds every time (the runner computes them once and shares them)."""
    n, min_train, split = case
    assert split.split(n, min_train=min_train) == split.split(n, min_train=min_train)


ANY_VALUE = st.one_of(
    st.integers(-5, 400), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.none(), st.sampled_from(["expanding", "rolling", "", "4"]),
)


# REGRESSION EXAMPLES: real bugs hypothesis found in evaluation/splits.py, fixed 2026-11-24;
# the minimal inputs stay pinned so they are checked on every run:
#   - a sliding window shorter than min_train is accepted (train_size 1 < min_train 2);
#   - test_size=nan passes validation, then split() raises ValueError instead of ConfigError.
@example(kwargs={"folds": 1, "window": 1}, n=254, min_train=2)
@example(kwargs={"test_size": float("nan")}, n=100, min_train=2)
@settings(FAST, max_examples=300)
@given(
    kwargs=st.fixed_dictionaries({}, optional={
        "test_size": st.one_of(ANY_VALUE, st.floats(0, 1)),
        "folds": st.one_of(ANY_VALUE, st.integers(1, 8)),
        "horizon": st.one_of(ANY_VALUE, st.integers(1, 6)),
        "step": st.one_of(ANY_VALUE, st.integers(1, 6)),
        "window": st.one_of(ANY_VALUE, st.integers(1, 100)),
    }),
    n=st.integers(0, 400),
    min_train=st.integers(1, 20),
)
def test_any_parameters_split_or_raise_config_error(kwargs, n, min_train):
    """Arbitrary parameters: a split with every invariant, or a one-line ConfigError."""
    try:
        split = WalkForward(**kwargs)
        split.split(n, min_train=min_train)
    except ConfigError as exc:
        one_line(exc)
        return
    check_folds(split, n, min_train)


@pytest.mark.parametrize(
    ("n", "kwargs", "min_train"),
    [(100, {"folds": 30, "test_size": 20}, 2),  # more folds than test values
     (100, {"test_size": 10, "folds": 4, "horizon": 3}, 2),  # folds * horizon > test size
     (100, {"horizon": 0}, 2), (100, {"step": -1}, 2), (100, {"step": 0}, 2),
     (100, {"folds": -2}, 2), (100, {"test_size": -3}, 2), (100, {"test_size": 1.0}, 2),
     (100, {"test_size": 100}, 2), (100, {"test_size": 150}, 2),  # test_size >= n
     (100, {"test_size": 0.999}, 2),  # rounds to all 100 values
     (100, {"test_size": 0.001, "folds": 1}, 2),  # rounds to 0 test values
     (100, {"test_size": 20, "folds": 2, "window": 90}, 2),  # window + test > n
     (100, {"test_size": 96, "folds": 2}, 5),  # 4 training values < min_train
     (100, {"test_size": float("inf")}, 2), (100, {"window": -1}, 2),
     (100, {"window": True}, 2), (100, {"horizon": 1.5}, 2)],
)
def test_invalid_parameters_raise_one_line_config_error(n, kwargs, min_train):
    with pytest.raises(ConfigError) as info:
        WalkForward(**kwargs).split(n, min_train=min_train)
    one_line(info.value)


# REGRESSION (fixed 2026-11-24): a sliding window shorter than min_train
# is accepted, so every fold trains on fewer values than the models need and each model fails
# later, fold by fold, with a ModelError instead of one ConfigError up front.
# Minimal example: WalkForward(test_size=1, folds=1, window=1).split(3, min_train=2)
# -> [Fold(index=0, train_start=1, train_end=2, test_end=3, origins=(2,))].
@settings(FAST, max_examples=100)
@given(min_train=st.integers(2, 20), data=st.data())
def test_window_shorter_than_min_train_is_a_config_error(min_train, data):
    window = data.draw(st.integers(1, min_train - 1))
    n_test = data.draw(st.integers(1, 50))
    n = data.draw(st.integers(n_test + min_train, 300))
    with pytest.raises(ConfigError) as info:
        WalkForward(test_size=n_test, folds=1, window=window).split(n, min_train=min_train)
    one_line(info.value)


# REGRESSION (fixed 2026-11-24): test_size = nan (TOML allows `nan`) passed
# WalkForward's validation (nan <= 0 and nan >= 1 are both False), and split() then raises
# "ValueError: cannot convert float NaN to integer" from n_test's round(n * nan).
def test_nan_test_size_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        WalkForward(test_size=float("nan")).split(1260)
    one_line(info.value)


# --- identical folds for every model -----------------------------------------------------------


@settings(FAST, max_examples=50)
@given(
    n=st.integers(30, 90), seed=st.integers(0, 2**16), n_test=st.integers(4, 24),
    folds=st.integers(1, 4), horizon=st.integers(1, 3), step=st.integers(1, 3),
    window=st.one_of(st.just("expanding"), st.integers(5, 20)), period=st.integers(1, 5),
)
def test_every_model_forecasts_the_same_points(n, seed, n_test, folds, horizon, step, window,
                                               period):
    assume(folds * horizon <= n_test)
    y = random_walk(n, seed=seed)
    runs = {"naive": models.get("naive"), "drift": models.get("drift"),
            "seasonal_naive": models.get("seasonal_naive", period=period)}
    min_train = max(model.min_train_size for model in runs.values())
    split = WalkForward(test_size=n_test, folds=folds, horizon=horizon, step=step, window=window)
    try:
        fold_list = split.split(n, min_train=min_train)
    except ConfigError:
        assume(False)
    result = run_walk_forward(y, fold_list, runs, horizon)
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    dates = y.index
    expected = {(f.index, dates[o - 1], dates[o + s - 1], s)
                for f in fold_list for o in f.origins for s in range(1, horizon + 1)}
    f = result.forecasts
    keys = {model: set(zip(part.fold, part.origin, part.target, part.step, strict=True))
            for model, part in f.groupby("model")}
    assert set(keys) == set(runs)
    for model, got in keys.items():
        assert got == expected, model
        assert len(f[f.model == model]) == len(expected)  # no duplicated forecast
    # and every model saw the same actuals
    truth = f.pivot_table(index=["fold", "origin", "step"], columns="model", values="y_true")
    assert truth.notna().all().all()
    assert (truth.nunique(axis=1) == 1).all()


# --- metrics -----------------------------------------------------------------------------------

VALUE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
SCALE = st.floats(1e-3, 1e3).flatmap(lambda c: st.sampled_from([c, -c]))
POSITIVE = st.floats(1e-3, 1e6)


# no tiny (subnormal-range) values: scaling those by c loses their few significant bits
NORMAL_VALUE = VALUE.filter(lambda v: v == 0 or abs(v) >= 1e-100)


def pairs(min_size: int = 1, max_size: int = 40, values=VALUE):
    """(y_true, y_pred) float arrays of one random length."""
    return st.integers(min_size, max_size).flatmap(lambda n: st.tuples(
        st.lists(values, min_size=n, max_size=n).map(np.array),
        st.lists(values, min_size=n, max_size=n).map(np.array)))


def rounding(*arrays: np.ndarray, factor: float = 1.0) -> float:
    """An absolute tolerance for float rounding at the magnitude of the inputs."""
    return 1e-9 * abs(factor) * max(1.0, *(float(np.max(np.abs(a))) for a in arrays))


@FAST
@given(pairs())
def test_rmse_is_at_least_mae_and_both_non_negative(pair):
    y, p = pair
    r, m = metrics.rmse(y, p), metrics.mae(y, p)
    assert m >= 0 and r >= 0
    # equality when every |error| is the same: allow rounding, and float underflow: rmse squares
    # the errors, so |errors| below ~1e-162 square to 0 (minimal case: y=[0.0],
    # p=[1.09e-210] gives rmse 0.0 < mae 1.09e-210: a float limit, not a bug worth a fix)
    assert r >= m * (1 - 1e-12) - 1e-150
    assert r <= m * math.sqrt(len(y)) * (1 + 1e-12)  # and the other side of the norm bound


@FAST
@given(pairs(), SCALE)
def test_rmse_and_mae_scale_with_the_data(pair, c):
    y, p = pair
    tol = rounding(y, p, factor=c)
    assert metrics.rmse(c * y, c * p) == pytest.approx(abs(c) * metrics.rmse(y, p), rel=1e-9,
                                                      abs=tol)
    assert metrics.mae(c * y, c * p) == pytest.approx(abs(c) * metrics.mae(y, p), rel=1e-9,
                                                     abs=tol)


@FAST
@given(pairs(), SCALE, POSITIVE)
def test_mase_is_scale_free_and_inverse_in_its_scale(pair, c, scale):
    y, p = pair
    base = metrics.mase(y, p, scale)
    assert base >= 0
    assert metrics.mase(c * y, c * p, abs(c) * scale) == pytest.approx(
        base, rel=1e-9, abs=rounding(y, p) / scale)
    assert metrics.mase(y, p, 2 * scale) == pytest.approx(base / 2, rel=1e-12)
    assert metrics.mase(y, p, scale) == pytest.approx(metrics.mae(y, p) / scale, rel=1e-9)


@FAST
@given(pairs(), st.floats(-1e3, 0))
def test_mase_is_nan_for_a_non_positive_scale(pair, scale):
    y, p = pair
    assert math.isnan(metrics.mase(y, p, scale))


@FAST
@given(pairs(), POSITIVE)
def test_perfect_forecasts_score_zero(pair, scale):
    y, _ = pair
    assert metrics.rmse(y, y) == 0.0
    assert metrics.mae(y, y) == 0.0
    assert metrics.smape(y, y) == 0.0
    assert metrics.mase(y, y, scale) == 0.0
    if np.all(y != 0):
        assert metrics.mape(y, y) == 0.0
    else:
        assert math.isnan(metrics.mape(y, y))


@FAST
@given(pairs())
def test_rmse_mae_and_smape_are_symmetric(pair):
    y, p = pair
    assert metrics.rmse(y, p) == metrics.rmse(p, y)
    assert metrics.mae(y, p) == metrics.mae(p, y)
    assert metrics.smape(y, p) == metrics.smape(p, y)
    assert 0 <= metrics.smape(y, p) <= 200 * (1 + 1e-12)


@FAST
@given(pairs(values=NORMAL_VALUE), SCALE)
def test_percentage_errors_do_not_depend_on_the_unit(pair, c):
    y, p = pair
    assert metrics.smape(c * y, c * p) == pytest.approx(metrics.smape(y, p), rel=1e-9, abs=1e-7)
    if np.all(y != 0):
        assert metrics.mape(c * y, c * p) == pytest.approx(metrics.mape(y, p), rel=1e-9,
                                                          abs=1e-7)


# REGRESSION (a real bug in evaluation/metrics.py, fixed 2026-11-24): the module
# promises "NaN, never inf", but mape divided by the actual value, so a tiny non-zero actual
# gave inf: mape([5e-324], [1.0]) == inf. Now NaN.
@example(pair=(np.array([5e-324]), np.array([1.0])), scale=1.0)
@FAST
@given(pairs(), POSITIVE)
def test_metrics_are_finite_or_nan(pair, scale):
    """Finite inputs never give an infinite score (the module docstring: NaN, never inf)."""
    y, p = pair
    scores = {"rmse": metrics.rmse(y, p), "mae": metrics.mae(y, p), "mape": metrics.mape(y, p),
              "smape": metrics.smape(y, p), "mase": metrics.mase(y, p, scale),
              "theil_u2": metrics.theil_u2(y, p, y[::-1]),
              "directional_accuracy": metrics.directional_accuracy(y[::-1], y, p)}
    assert not any(math.isinf(value) for value in scores.values()), scores


@FAST
@given(pairs())
def test_theil_u2_of_the_reference_itself_is_one(pair):
    y, ref = pair
    u2 = metrics.theil_u2(y, ref, ref)
    if metrics.rmse(y, ref) > 0:
        assert u2 == pytest.approx(1.0)
    else:
        assert math.isnan(u2)


@FAST
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    *(st.lists(st.one_of(VALUE, st.sampled_from([0.0, 1.0, -1.0])), min_size=n, max_size=n)
      for _ in range(3)))))
def test_directional_accuracy_is_a_percentage_or_nan(triple):
    origin, y, p = (np.array(values) for values in triple)
    score = metrics.directional_accuracy(origin, y, p)
    assert math.isnan(score) or 0 <= score <= 100
    perfect = metrics.directional_accuracy(origin, y, y)  # the truth itself: always right
    assert math.isnan(perfect) or perfect == 100.0


# --- CSV loading -------------------------------------------------------------------------------

def load_bytes(content: bytes, **spec: object) -> Dataset | None:
    """Load `content` as a CSV file: a clean Dataset, or None after a one-line DataError.

    Any other exception propagates and fails the test. (A temporary directory per example, not
    tmp_path: hypothesis runs every example inside one call of a function-scoped fixture.)
    """
    with tempfile.TemporaryDirectory(prefix="forecast-bench-properties-") as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(content)
        try:
            dataset = load(DataSpec(source=f"csv:{path}", **spec))
        except DataError as exc:
            one_line(exc)
            return None
    series = dataset.series
    assert len(series) >= 1
    assert series.dtype == np.float64
    assert np.isfinite(series.to_numpy()).all(), series[~np.isfinite(series)]
    assert isinstance(series.index, pd.DatetimeIndex)
    assert series.index.is_monotonic_increasing and series.index.is_unique
    return dataset


@settings(FAST, max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_load_or_raise_data_error(content):
    load_bytes(content)


HEADER_NAMES = st.one_of(
    st.sampled_from(["date", "Date", " Date ", "DATE", "timestamp", "Close", "Close ", "value",
                     "Open", "", "Unnamed: 0", "date.1"]),
    st.text(max_size=8),
)
DATES = st.one_of(
    st.dates(min_value=pd.Timestamp.min.date(), max_value=pd.Timestamp.max.date()).flatmap(
        lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y"),
                                   d.strftime("%Y%m%d"), d.strftime("%d %b %Y")])),
    st.datetimes(min_value=pd.Timestamp("1677-09-22").to_pydatetime(),
                 max_value=pd.Timestamp("2262-04-11").to_pydatetime()).map(
        lambda t: t.isoformat()),
    st.sampled_from(["2020-01-01", "2020-01-02", "2020-01-03", "2020-02-30", "1600-01-01",
                     "3000-01-01", "2020-01-01T00:00:00+01:00", "2020-01-01 00:00Z", "0",
                     "1e10", "NaT", "yesterday"]),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "NA", "nan", "null", "N/A", "#N/A", "inf", "-Infinity", "1e400",
                     "-1e400", "1,5", "1_000", "0x10", " 7 ", "1e-400", "+3", "--1", "1.2.3"]),
)
CELLS = st.one_of(DATES, NUMBERS, st.text(max_size=6))


def csv_cell(text: str, quoted: bool) -> str:
    """A cell as written to a CSV file, optionally quoted (then it may hold , \" and newlines)."""
    return '"' + text.replace('"', '""') + '"' if quoted else text


@st.composite
def csv_texts(draw):
    """A CSV-shaped text: a header and rows of dates, numbers, missing markers or any text.

    Half the time the file is nearly right (a date column first with increasing dates, mostly
    numeric cells after it), so the later checks (values, order, gaps, cleaning) are reached.
    """
    width = draw(st.integers(1, 4))
    nearly_right = draw(st.booleans())
    header = draw(st.lists(HEADER_NAMES, min_size=width, max_size=width))
    cells = st.one_of(NUMBERS, CELLS) if nearly_right else CELLS
    rows = draw(st.lists(st.lists(cells, min_size=draw(st.integers(max(0, width - 1), width)),
                                  max_size=width + 1), max_size=12))
    if nearly_right:
        header[0] = draw(st.sampled_from(["date", "Date", " Date ", "timestamp"]))
        start = draw(st.dates(min_value=pd.Timestamp("1700-01-01").date(),
                              max_value=pd.Timestamp("2200-01-01").date()))
        gap = draw(st.integers(-2, 40))
        rows = [[(start + pd.Timedelta(days=i * gap)).isoformat(), *row[1:]]
                for i, row in enumerate(rows)]
    quote = st.booleans() if draw(st.booleans()) else st.just(False)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(csv_cell(cell, draw(quote)) for cell in row) for row in [header, *rows]]
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


# REGRESSION EXAMPLES: real bugs hypothesis found in benchmarks/csv_input.py and data.py, fixed
# 2026-11-24; the minimal inputs stay pinned:
#   - header names are stripped after pandas de-duplicated them, so "Date" and " Date " (or
#     "Close" and "Close ") become two columns with one name; frame[name] is then a DataFrame
#     and parse_dates/parse_values crash with AttributeError: 'DataFrame' object has no
#     attribute 'str' (not a DataError);
#   - a quoted header name holding a newline or CR is joined raw into the DataError message
#     ("(columns: ...)" in date_column, value_column and not_found): a multi-line message;
#   - the date cell "-1" parses (format="ISO8601") as the year -1; the out-of-order DataError
#     then formats it with data._iso -> Timestamp.date(), which raises NotImplementedError
#     ("date not yet supported on Timestamps which are outside the range of Python's standard
#     library") instead of the DataError (found as "date,date\n2000-01-01\n-1").
@example(text="Date,date, Date \n2020-01-01,2000-01-01", spec={})
@example(text='"0\r0"\n2000-01-01,2000-01-01', spec={})
@example(text="date,Close\n2000-01-01,1\n-1,2\n", spec={})
@settings(FAST, max_examples=300)
@given(
    text=csv_texts(),
    spec=st.fixed_dictionaries({}, optional={
        "fill": st.sampled_from(FILLS), "max_gap": st.integers(0, 3),
        "transform": st.sampled_from(TRANSFORMS), "last": st.integers(1, 5),
        "column": HEADER_NAMES, "date_column": HEADER_NAMES,
        "start": st.sampled_from(["1800-01-01", "2020-01-02"]),
    }),
)
def test_csv_text_loads_or_raises_data_error(text, spec):
    dataset = load_bytes(text.encode("utf-8"), **spec)
    if dataset is not None and spec.get("last") is not None:
        assert len(dataset.series) <= spec["last"]


EXTREMES = [1.7e308, -1.7e308, 1e308, -1e308, 5e-324, -5e-324, 0.0]


# REGRESSION (a real bug in benchmarks/data.py _clean, fixed 2026-11-24): fill =
# "interpolate" between two huge values of opposite sign overflows, so the loaded series holds
# inf (a Dataset that is not finite, although parse_values rejects inf cells).
@example(values=["-1.7e+308", "", "1.7e+308"], fill="interpolate")
@settings(FAST, max_examples=100)
@given(values=st.lists(st.one_of(st.floats(-1e308, 1e308), st.sampled_from(EXTREMES)).map(repr)
                       | st.just(""), min_size=1, max_size=10),
       fill=st.sampled_from(FILLS))
def test_well_formed_csv_with_missing_values(values, fill):
    """A valid date column and numeric cells with gaps: the cleaning must keep values finite."""
    dates = pd.date_range("2020-01-01", periods=len(values), freq="D")
    text = "date,Close\n" + "".join(f"{d.date()},{v}\n" for d, v in zip(dates, values,
                                                                         strict=True))
    dataset = load_bytes(text.encode(), fill=fill, max_gap=len(values))
    if dataset is not None:
        assert set(dataset.series.index) <= set(dates)
