"""The one grouped reducer: bit for bit the scalar metrics per group, and the single-series
tables and the collection's per-series scores both come from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.scoring import collection_stats, metrics, reductions


def _forecasts(seed: int = 0, models: tuple[str, ...] = ("naive", "m")) -> pd.DataFrame:
    """One series: models x 3 folds x 7 origins x 5 steps (groups well over 8 rows, where
    numpy's pairwise sum differs from a running one), shuffled; one zero actual in fold 2."""
    rng = np.random.default_rng(seed)
    rows = [{"model": m, "fold": f, "origin": 10 * f + o, "step": h}
            for m in models for f in range(3) for o in range(7) for h in range(1, 6)]
    frame = pd.DataFrame(rows)
    truth = rng.uniform(5, 50, len(frame) // len(models))
    frame["y_true"] = np.tile(truth, len(models))
    frame["y_origin"] = frame["y_true"] + rng.normal(0, 3, len(frame))
    frame["y_pred"] = frame["y_true"] * rng.normal(1, 0.2, len(frame))
    frame.loc[(frame.fold == 2) & (frame.origin == 21) & (frame.step == 3), "y_true"] = 0.0
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


SCALES = {0: 1.5, 1: 2.5, 2: 0.8}


def _scalar(part: pd.DataFrame, scales: dict[int, float]) -> dict[str, float]:
    y, p = part.y_true.to_numpy(), part.y_pred.to_numpy()
    scale = np.array([scales[f] for f in part.fold])
    return {"rmse": metrics.rmse(y, p), "mse": metrics.rmse(y, p) ** 2,
            "mae": metrics.mae(y, p), "mape": metrics.mape(y, p), "smape": metrics.smape(y, p),
            "mase": metrics.mase(y, p, scale),
            "directional_accuracy": metrics.directional_accuracy(part.y_origin, y, p)}


@pytest.mark.parametrize("keys", [["model"], ["model", "fold"], ["model", "step"]])
def test_each_group_is_bit_for_bit_the_scalar_metric(keys: list[str]) -> None:
    frame = _forecasts()
    table = reductions.grouped_scores(frame, reductions.row_scales(frame, SCALES), keys)
    assert len(table) == frame.groupby(keys).ngroups
    for row in table.itertuples(index=False):
        part = frame[np.logical_and.reduce([frame[k] == getattr(row, k) for k in keys])]
        want = _scalar(part, SCALES)
        assert row.n == len(part)
        for metric in ("rmse", "mae", "mape", "smape", "mase", "directional_accuracy"):
            got = getattr(row, metric)
            assert got == want[metric] or (np.isnan(got) and np.isnan(want[metric])), metric
        assert row.mse == pytest.approx(want["mse"], rel=1e-15)
    if keys == ["model", "step"]:  # steps ascend within each model, models first-seen
        assert list(table.step) == [1, 2, 3, 4, 5] * 2
        assert list(table.model) == [m for m in dict.fromkeys(frame.model) for _ in range(5)]


def test_relative_rmse_is_theil_u2_on_shared_forecasts() -> None:
    frame = _forecasts()
    frame = frame.drop(frame[(frame.model == "naive") & (frame.fold == 0)].index)  # unshared
    table = reductions.relative_rmse_by(frame, ["model"], "naive", metrics.KEYS)
    got = dict(zip(table.model, table.theil_u2, strict=True))
    mine = frame[(frame.model == "m") & (frame.fold > 0)].sort_values(metrics.KEYS)
    ref = frame[frame.model == "naive"].sort_values(metrics.KEYS)
    want = metrics.theil_u2(mine.y_true.to_numpy(), mine.y_pred.to_numpy(), ref.y_pred.to_numpy())
    assert got["m"] == pytest.approx(want, rel=1e-14)
    assert got["naive"] == 1.0


def test_a_one_series_collection_scores_as_the_single_series_summary() -> None:
    """The collection's per-series scores and the single-series pooled summary are the same
    reducer's figures: equal to the last bit."""
    frame = _forecasts()
    status = pd.DataFrame([{"model": m, "fold": f, "status": "ok", "fit_seconds": 0.1,
                            "predict_seconds": 0.1} for m in ("naive", "m") for f in range(3)])
    summary = metrics.summarize(frame, status, scales=SCALES).set_index("model")
    scales = pd.DataFrame({"series": "s", "fold": list(SCALES), "scale": list(SCALES.values())})
    per_series = collection_stats.series_scores(frame.assign(series="s"), scales)
    per_series = per_series.set_index("model")
    for metric in ("rmse", "mae", "mape", "smape", "mase"):
        for model in ("naive", "m"):
            left, right = summary.loc[model, metric], per_series.loc[model, metric]
            assert left == right or (np.isnan(left) and np.isnan(right)), (metric, model)
    assert (per_series.loc[["naive", "m"], "n"].to_numpy()
            == summary.loc[["naive", "m"], "n_forecasts"].to_numpy()).all()


def test_tables_keep_their_order_and_columns() -> None:
    frame = _forecasts().sort_values(["fold", "model"], kind="stable")  # fold-major rows
    by_fold = metrics.scores_by_fold(frame, SCALES)
    assert list(by_fold.columns) == ["model", "fold", *metrics.SCORES]
    assert list(zip(by_fold.model, by_fold.fold, strict=True)) == list(
        frame.groupby(["model", "fold"], sort=False).groups)  # first-seen (model, fold)
    by_step = metrics.scores_by_step(frame, SCALES)
    assert list(by_step.columns) == ["model", "step", *metrics.SCORES, "rmse_vs_naive"]
    assert (by_step.loc[by_step.model == "naive", "rmse_vs_naive"] == 1.0).all()
    empty = metrics.scores_by_fold(frame.iloc[:0], SCALES)
    assert empty.empty and list(empty.columns) == ["model", "fold", *metrics.SCORES]


def test_seed_spread_orders_members_as_before() -> None:
    members = pd.concat([_forecasts(seed).assign(member=member)
                         for member, seed in ((2, 5), (0, 6), (1, 7))])
    mine = members[members.model == "m"]
    rmses = [metrics.rmse(p.y_true, p.y_pred) for _, p in mine.groupby("member")]
    assert metrics.seed_spread(members, "m") == (float(np.mean(rmses)),
                                                 float(np.std(rmses, ddof=1)))


def test_horizon_bands_average_each_series_steps() -> None:
    frame = pd.concat([_forecasts(1).assign(series="a"), _forecasts(2).assign(series="b")])
    scales = pd.DataFrame({"series": ["a"] * 3 + ["b"] * 3, "fold": [0, 1, 2] * 2,
                           "scale": [1.0, 2.0, 3.0] * 2})
    steps = collection_stats.series_step_scores(frame, scales)
    bands = collection_stats.by_band(steps, ["a", "b"], {"1-2": (1, 2), "1-5": (1, 5)})
    assert list(bands.columns) == collection_stats.BY_BAND_COLUMNS
    got = bands.set_index(["model", "band"])
    inside = steps[steps.step <= 2]
    want = inside.groupby(["model", "series"]).smape.mean().groupby("model").mean()
    assert got.loc[("m", "1-2"), "smape_mean"] == pytest.approx(want["m"], rel=1e-14)
    overall = collection_stats.by_step(steps, ["a", "b"], "naive")
    assert got.loc[("m", "1-5"), "mase_mean"] == pytest.approx(
        overall[overall.model == "m"].mase_mean.mean(), rel=1e-14)
