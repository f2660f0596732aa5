"""N-BEATS and N-HiTS (models.nbeats): the sampler reads training values only, the losses and
bases against numpy written out here, the ensemble's median point and member recipe, the
horizon hook, determinism, and a run on M3 monthly series through the harness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.run import runner
from forecast_bench.models.nbeats import NBeatsGeneric, NBeatsInterpretable
from forecast_bench.models.nbeats_net import (
    LOSS_FUNCTIONS,
    WindowSampler,
    interpolation_matrix,
    mase_scale,
    origin_windows,
)

TINY = {"steps": 8, "batch_size": 32, "horizon": 4, "lookbacks": [2], "history": 3}
GENERIC = {**TINY, "stacks": 2, "layers": 2, "width": 8}
SERIES = [100 + np.cumsum(np.random.default_rng(seed).normal(0.2, 1, n))
          for seed, n in ((1, 30), (2, 45), (3, 7))]


def test_the_sampler_never_reads_past_a_training_end():
    # each value is its own time + 1000 x (series + 1): a sampled value names where it came from
    lengths, lookback, horizon, history = (30, 45, 7, 2), 8, 4, 3
    series = [1000.0 * (i + 1) + np.arange(n) for i, n in enumerate(lengths)]
    sampler = WindowSampler(series, [1] * len(series), lookback, horizon, history)
    batch = sampler.draw(np.random.default_rng(0), 5000)
    owner, cut = batch["owner"], batch["cut"]
    n = np.array(lengths)[owner]
    assert set(owner) == set(range(len(lengths)))
    assert (cut >= np.maximum(1, n - history * horizon)).all() and (cut < n).all()
    times = cut[:, None] + np.arange(-lookback, horizon)  # the times each sample covers
    values = np.concatenate([batch["x"], batch["y"]], axis=1)
    observed = np.concatenate([batch["x_mask"], batch["y_mask"]], axis=1) == 1
    assert np.array_equal(observed, (times >= 0) & (times < n[:, None]))
    expected = 1000.0 * (owner[:, None] + 1) + times
    assert np.array_equal(values[observed], expected[observed])
    assert (values[~observed] == 0).all()
    assert (batch["y_mask"][:, 0] == 1).all()  # every sample has a target


def test_forecast_windows_hold_the_values_before_each_origin():
    y = np.arange(1.0, 11.0)
    x, mask = origin_windows([y], [np.array([2, 10])], 4)
    np.testing.assert_array_equal(x, [[0, 0, 1, 2], [7, 8, 9, 10]])
    np.testing.assert_array_equal(mask, [[0, 0, 1, 1], [1, 1, 1, 1]])


def test_losses_equal_the_numpy_formulas():
    rng = np.random.default_rng(4)
    y, f = rng.normal(5, 3, (6, 5)), rng.normal(5, 3, (6, 5))
    y[0, 0] = f[0, 0] = 0.0  # 0/0: counts as 0
    y[1, 1] = 0.0  # MAPE with y = 0: counts as 0
    mask = (rng.random((6, 5)) < 0.7).astype(float)
    scale = rng.uniform(0.5, 2, (6, 1))
    on = mask == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.nan_to_num(200 * np.abs(y - f) / (np.abs(y) + np.abs(f)))
        m = np.where(y == 0, 0, 100 * np.abs(y - f) / np.abs(y))
    expected = {"smape": s[on].mean(), "mape": m[on].mean(),
                "mase": (np.abs(y - f) / scale)[on].mean()}
    for name, value in expected.items():
        got = float(LOSS_FUNCTIONS[name](*(a.astype("float32") for a in (y, f, mask, scale))))
        assert got == pytest.approx(value, rel=1e-5), name


def test_mase_scale_is_the_in_sample_seasonal_naive_mae():
    y = np.array([1.0, 4, 2, 8, 3, 5])
    assert mase_scale(y, 2) == pytest.approx(np.mean([1, 4, 1, 3]))
    assert mase_scale(y, 9) == pytest.approx(np.mean(np.abs(np.diff(y))))  # too short: lag 1
    assert mase_scale(np.full(5, 3.0), 1) == 1.0


def _least_squares_residual(basis: np.ndarray, values: np.ndarray) -> float:
    coef = np.linalg.lstsq(basis, values.T, rcond=None)[0]
    return float(np.abs(basis @ coef - values.T).max() / max(np.abs(values).max(), 1e-12))


def test_interpretable_stacks_lie_in_the_polynomial_and_fourier_spans():
    horizon, harmonics = 8, 3
    model = models.get("nbeats_i", horizon=horizon, harmonics=harmonics, layers=1, trend_width=8,
                       seasonality_width=8)
    parts = model.build(3 * horizon, horizon, seed=0, parts=True)
    x = np.random.default_rng(0).normal(10, 3, (16, 3 * horizon)).astype("float32")
    trend, season = (np.asarray(p, dtype=float) for p in parts([x, np.ones_like(x)]))
    t = np.arange(horizon) / horizon
    polynomials = np.vander(t, 3)  # t^2, t, 1
    fourier = np.column_stack([np.ones(horizon)]
                              + [f(2 * np.pi * k * t) for k in range(1, harmonics + 1)
                                 for f in (np.cos, np.sin)])
    assert _least_squares_residual(polynomials, trend) < 1e-5
    assert _least_squares_residual(fourier, season) < 1e-5
    # a check that can fail: the trend is not a straight line, the season not one harmonic
    assert _least_squares_residual(polynomials[:, 1:], trend) > 1e-3
    assert _least_squares_residual(fourier[:, :3], season) > 1e-3


def test_nhits_interpolation_is_numpy_interp_of_the_knots():
    knots = np.array([3.0, -1.0, 4.0, 2.0])
    where = np.linspace(0, 3, 10)
    np.testing.assert_allclose(knots @ interpolation_matrix(4, 10),
                               np.interp(where, np.arange(4), knots))
    np.testing.assert_allclose(interpolation_matrix(1, 5), np.ones((1, 5)))


def test_ensemble_members_follow_the_recipe_and_the_point_is_their_median():
    model = models.get("nbeats", **{**GENERIC, "lookbacks": [2, 3]}, ensemble=5,
                       losses=["smape", "mase"], seed=7)
    assert [model.config.recipe(i) for i in range(5)] == [
        ("smape", 2, 7), ("mase", 2, 8), ("smape", 3, 9), ("mase", 3, 10), ("smape", 2, 11)]
    model.fit_collection(SERIES, [1, 1, 1])
    assert model.lookbacks_ == [8, 8, 12, 12, 8]
    forecasts = model.forecast_collection(SERIES, [np.array([5, len(y)]) for y in SERIES], 4)
    for fc in forecasts:
        assert fc.members.shape == (5, 2, 4)
        np.testing.assert_array_equal(fc.point, np.median(fc.members, axis=0))
        assert not np.allclose(fc.point, fc.members.mean(axis=0))


def test_the_same_seed_gives_the_same_forecasts_and_another_seed_others():
    origins = [np.array([len(y)]) for y in SERIES]

    def forecasts(seed: int) -> np.ndarray:
        model = models.get("nhits", **TINY, layers=1, width=8, pooling=[2, 1],
                           downsample=[2, 1], seed=seed).fit_collection(SERIES, [1, 1, 1])
        return np.concatenate([f.point for f in model.forecast_collection(SERIES, origins, 4)])

    first = forecasts(3)
    np.testing.assert_allclose(forecasts(3), first, rtol=1e-6)
    assert not np.allclose(forecasts(4), first, rtol=1e-3)


def test_the_horizon_is_fixed_at_fit_time():
    model = models.get("nbeats_i", **TINY, layers=1, trend_width=4, seasonality_width=4)
    assert model.with_horizon(9).config.horizon == 4  # an explicit horizon wins
    unset = NBeatsGeneric(**{**GENERIC, "horizon": None})
    assert unset.with_horizon(9).config.horizon == 9 and unset.config.horizon is None
    assert models.get("naive").with_horizon(9).params() == {}
    model.fit(SERIES[0])
    full = model.forecast(SERIES[0], [20, 30], 4).point
    np.testing.assert_array_equal(model.forecast(SERIES[0], [20, 30], 2).point, full[:, :2])
    with pytest.raises(models.ModelError, match="trained for 4 steps and cannot forecast 5"):
        model.forecast(SERIES[0], [20], 5)


def test_bad_parameters_are_config_errors():
    for params, field in (({"losses": ["mse"]}, "losses"), ({"lookbacks": [0]}, "lookbacks"),
                          ({"history": 0}, "history"), ({"ensemble": 0}, "ensemble")):
        with pytest.raises(models.ConfigError, match=field):
            models.get("nbeats", **params)
    with pytest.raises(models.ConfigError, match="one entry per stack"):
        models.get("nhits", pooling=[2, 1], downsample=[1])
    assert NBeatsInterpretable().config.steps == 6000


def test_an_ensemble_runs_on_m3_monthly_through_the_harness(tmp_path: Path):
    ids = ["N1402", "N1403", "N1500", "N1600"]
    params = {"steps": 30, "ensemble": 2, "batch_size": 64, "lookbacks": [2], "stacks": 2,
              "layers": 2, "width": 16}
    cfg = config.from_dict({"name": "nbeats", "data": {"source": "m3:monthly", "series": ids},
                            "split": {"protocol": "fixed", "horizon": "dataset"},
                            "models": {"nbeats": {"model": "nbeats", **params},
                                       "naive": {}}})
    outcome = runner.run(cfg, tmp_path, use_cache=False)
    status = outcome.result.status
    assert (status.status == "ok").all(), status.reason.tolist()
    forecasts = outcome.result.forecasts
    mine = forecasts[forecasts.model == "nbeats"]
    assert set(mine.series) == set(ids) and np.isfinite(mine.y_pred).all()
    assert mine.groupby("series").size().eq(18).all()  # one origin, horizon 18 (M3 monthly)
    members = outcome.result.members
    assert set(members.model) == {"nbeats"}
    wide = members.pivot_table(index=["series", "step"], columns="member", values="y_pred")
    point = mine.set_index(["series", "step"]).y_pred.loc[wide.index]
    np.testing.assert_allclose(point, np.median(wide.to_numpy(), axis=1), rtol=1e-9)
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(pd.read_csv(folder / "members.csv")) == 2 * len(mine)
    # each member ran as its own job (member(i)): the same networks as the whole ensemble's
    assert status[status.model == "nbeats"].fitted.str.startswith("2 members combined").all()
    data = pd.read_csv(folder / "series.csv")
    values = [data[data.series == sid].value.to_numpy() for sid in ids]
    whole = models.get("nbeats", **params, horizon=18).fit_collection(
        [y[:-18] for y in values], [12] * len(ids))
    expected = whole.forecast_collection(values, [[len(y) - 18] for y in values], 18)
    for sid, forecast in zip(ids, expected, strict=True):
        for m in range(2):
            got = members[(members.series == sid) & (members.member == m)].sort_values("step")
            np.testing.assert_allclose(got.y_pred, forecast.members[m][0], rtol=1e-4)
