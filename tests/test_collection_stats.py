"""Collection statistics: per-series scores, OWA, ranks, coverage, Friedman / Nemenyi, CD
diagram."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast_bench.evaluation.reporting.cd_diagram import cd_figure, plot_cd_diagram
from forecast_bench.evaluation.reporting.plots import plt
from forecast_bench.evaluation.scoring import collection_stats as ps
from forecast_bench.evaluation.scoring import metrics

# ---------------------------------------------------------------- per-series scores


def _forecasts(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """3 series x 2 models x 2 folds x 2 origins x 3 steps, shuffled; series 'b' has a zero
    actual (and one 0-vs-0 forecast), series 'c' a zero scale on fold 1."""
    rng = np.random.default_rng(seed)
    rows = [{"series": s, "model": m, "fold": f, "origin": o, "target": o + h, "step": h}
            for s in ("b", "a", "c") for m in ("z", "y") for f in (0, 1)
            for o in (10 * f, 10 * f + 1) for h in (1, 2, 3)]
    frame = pd.DataFrame(rows)
    frame["y_true"] = rng.uniform(5, 50, len(frame))
    frame["y_origin"] = frame["y_true"] + rng.normal(0, 1, len(frame))
    frame["y_pred"] = frame["y_true"] * rng.normal(1, 0.2, len(frame))
    zero = (frame.series == "b") & (frame.fold == 1) & (frame.origin == 11) & (frame.step == 2)
    frame.loc[zero, "y_true"] = 0.0
    frame.loc[zero & (frame.model == "z"), "y_pred"] = 0.0
    # shuffle, but keep series b / model z first so first-seen order is b, a, c and z, y
    frame = pd.concat([frame.iloc[:1], frame.iloc[1:].sample(frac=1, random_state=seed)])
    scales = pd.DataFrame({"series": ["a", "a", "b", "b", "c", "c"], "fold": [0, 1] * 3,
                           "scale": [1.5, 2.0, 0.7, 3.1, 4.0, 0.0]})
    return frame.reset_index(drop=True), scales


def _by_hand(part: pd.DataFrame, scales: pd.DataFrame) -> dict[str, float]:
    scale = part.merge(scales, on=["series", "fold"], how="left")["scale"].to_numpy()
    y, p = part.y_true.to_numpy(), part.y_pred.to_numpy()
    return {"n": len(part), "rmse": metrics.rmse(y, p), "mae": metrics.mae(y, p),
            "mape": metrics.mape(y, p), "smape": metrics.smape(y, p),
            "mase": metrics.mase(y, p, scale)}


def test_series_scores_equal_the_metrics_functions():
    frame, scales = _forecasts()
    got = ps.series_scores(frame, scales)
    assert list(got.columns) == ["series", "model", "n", "rmse", "mae", "mape", "smape", "mase"]
    assert list(zip(got.series, got.model, strict=True)) == [
        ("b", "z"), ("b", "y"), ("a", "z"), ("a", "y"), ("c", "z"), ("c", "y")]
    for row in got.itertuples():
        part = frame[(frame.series == row.series) & (frame.model == row.model)]
        want = _by_hand(part, scales)
        assert row.n == want["n"] == 12
        for metric in ("rmse", "mae", "mape", "smape", "mase"):
            np.testing.assert_allclose(getattr(row, metric), want[metric], rtol=1e-12,
                                       equal_nan=True, err_msg=f"{row.series} {metric}")
    assert got.loc[got.series == "b", "mape"].isna().all()  # a zero actual
    assert got.loc[got.series != "b", "mape"].notna().all()
    assert got.loc[got.series == "c", "mase"].isna().all()  # fold 1's scale is 0
    assert got.loc[got.series != "c", "mase"].notna().all()
    assert got[["rmse", "mae", "smape"]].notna().all().all()


def test_series_step_scores_equal_the_metrics_functions():
    frame, scales = _forecasts(seed=3)
    got = ps.series_step_scores(frame, scales)
    assert list(got.columns) == ["series", "model", "step", "n", "smape", "mase"]
    assert len(got) == 3 * 2 * 3
    assert list(got.step[:3]) == [1, 2, 3] and list(got.series[:6]) == ["b"] * 6
    for row in got.itertuples():
        part = frame[(frame.series == row.series) & (frame.model == row.model)
                     & (frame.step == row.step)]
        want = _by_hand(part, scales)
        assert row.n == want["n"] == 4
        np.testing.assert_allclose(row.smape, want["smape"], rtol=1e-12)
        np.testing.assert_allclose(row.mase, want["mase"], rtol=1e-12, equal_nan=True)


def test_series_scores_is_vectorised(monkeypatch):
    """~160k rows (3003 series x 3 models x 18 steps) without calling the per-forecast metric
    functions once per group; a few groups checked against them."""
    rng = np.random.default_rng(7)
    n_series, models, h = 3003, ["naive", "theta", "arima"], 18
    ids = [f"N{i}" for i in range(n_series)]
    frame = pd.DataFrame({"series": np.repeat(ids, len(models) * h),
                          "model": np.tile(np.repeat(models, h), n_series),
                          "fold": 0, "step": np.tile(np.arange(1, h + 1), n_series * 3)})
    frame["y_true"] = rng.uniform(10, 100, len(frame))
    frame["y_pred"] = frame.y_true * rng.normal(1, 0.1, len(frame))
    scales = pd.DataFrame({"series": ids, "fold": 0, "scale": rng.uniform(1, 5, n_series)})
    sample = frame[frame.series.isin(["N0", "N1500", "N3002"])]
    want = {(s, m): _by_hand(part, scales) for (s, m), part in sample.groupby(["series", "model"])}
    for name in ("rmse", "mae", "mape", "smape", "mase"):
        monkeypatch.setattr(metrics, name, lambda *a, **k: pytest.fail("called per group"))
    got = ps.series_scores(frame, scales)
    assert len(got) == n_series * 3 and (got.n == h).all()
    for (s, m), expected in want.items():
        row = got[(got.series == s) & (got.model == m)].iloc[0]
        for metric in ("rmse", "mae", "mape", "smape", "mase"):
            assert row[metric] == pytest.approx(expected[metric], rel=1e-12)


# ---------------------------------------------------------------- aggregates, by hand

# (series, model, smape, mase); series D is not common: "bad" has no MASE there
HAND = [("A", "naive", 10, 1.0), ("A", "good", 8, 0.5), ("A", "bad", 12, 2.0),
        ("B", "naive", 20, 2.0), ("B", "good", 12, 2.5), ("B", "bad", 30, 2.0),
        ("C", "naive", 30, 3.0), ("C", "good", 25, 1.5), ("C", "bad", 24, 3.5),
        ("D", "naive", 1, 0.1), ("D", "good", 900, 90.0), ("D", "bad", 1, np.nan)]


def _hand_scores() -> pd.DataFrame:
    return pd.DataFrame(HAND, columns=["series", "model", "smape", "mase"])


def test_aggregate_by_hand():
    table = ps.aggregate(_hand_scores(), "naive").set_index("model")
    assert list(table.reset_index().columns) == ps.AGGREGATE_COLUMNS
    assert list(table.index) == ["good", "naive", "bad"]  # by OWA
    assert (table.n_series == 3).all()  # D is left out
    # means / medians over A, B, C
    assert table.loc["good", ["smape_mean", "smape_median"]].tolist() == [15, 12]
    assert table.loc["bad", ["mase_mean", "mase_median"]].tolist() == [2.5, 2.0]
    # OWA: good 0.5 (15/20 + 1.5/2) = 0.75; bad 0.5 (22/20 + 2.5/2) = 1.175
    assert table.owa.tolist() == pytest.approx([0.75, 1.0, 1.175])
    # MASE lower than naive's: good on A and C (2 of 3); bad never (B ties: not strictly)
    assert table.loc["good", "beats_ref_pct"] == pytest.approx(200 / 3)
    assert table.loc["bad", "beats_ref_pct"] == 0
    assert math.isnan(table.loc["naive", "beats_ref_pct"])
    # MASE ranks: A good 1 naive 2 bad 3; B naive 1.5 bad 1.5 good 3; C good 1 naive 2 bad 3
    assert table.mean_rank.tolist() == pytest.approx([5 / 3, 5.5 / 3, 7.5 / 3])


def test_aggregate_on_smape_ranks_and_missing_reference():
    table = ps.aggregate(_hand_scores(), "naive", rank_metric="smape").set_index("model")
    assert table.loc["good", "beats_ref_pct"] == 100  # 8<10, 12<20, 25<30
    assert table.loc["bad", "beats_ref_pct"] == pytest.approx(100 / 3)  # only C: 24<30
    # sMAPE ranks: A good naive bad; B good naive bad; C bad good naive
    assert table.mean_rank.tolist() == pytest.approx([4 / 3, 7 / 3, 7 / 3])
    with pytest.raises(ValueError, match=r"'snaive'.*naive, good, bad"):
        ps.aggregate(_hand_scores(), "snaive")


def test_by_category_by_hand():
    table = ps.by_category(_hand_scores(), {"A": "X", "B": "X", "C": "Y", "D": "Y"}, "naive")
    assert list(table.columns) == ["category", "model", "n_series", "smape_mean", "mase_mean",
                                   "owa"]
    assert list(zip(table.category, table.model, table.n_series, strict=True)) == [
        ("X", "good", 2), ("X", "naive", 2), ("X", "bad", 2),
        ("Y", "good", 1), ("Y", "bad", 1), ("Y", "naive", 1)]
    # X: naive 15 / 1.5, good 10 / 1.5, bad 21 / 2.0; Y (C only): naive 30 / 3, good 25 / 1.5
    # and bad 24 / 3.5
    assert table.owa.tolist() == pytest.approx([
        0.5 * (10 / 15 + 1), 1, 0.5 * (21 / 15 + 2 / 1.5),
        0.5 * (25 / 30 + 0.5), 0.5 * (24 / 30 + 3.5 / 3), 1])
    plain = ps.by_category(_hand_scores(), {}, "naive")
    assert set(plain.category) == {ps.UNCATEGORISED} and (plain.n_series == 3).all()
    overall = ps.aggregate(_hand_scores(), "naive")
    assert plain.owa.tolist() == pytest.approx(overall.owa.tolist())


def test_by_step_means_over_the_common_series():
    steps = pd.DataFrame([(s, m, h, 1, 10 * h + v, h + v / 10)
                          for s, v in (("A", 1), ("B", 3), ("X", 100))
                          for m in ("naive", "good") for h in (2, 1)],
                         columns=["series", "model", "step", "n", "smape", "mase"])
    table = ps.by_step(steps, ["A", "B"], "naive")
    assert list(table.columns) == ["model", "step", "smape_mean", "mase_mean"]
    assert list(zip(table.model, table.step, strict=True)) == [
        ("naive", 1), ("naive", 2), ("good", 1), ("good", 2)]
    assert table.smape_mean.tolist() == [12, 22, 12, 22]  # (10h+1 + 10h+3) / 2; X left out
    assert table.mase_mean.tolist() == pytest.approx([1.2, 2.2, 1.2, 2.2])
    with pytest.raises(ValueError, match="theta"):
        ps.by_step(steps, ["A"], "theta")


# ---------------------------------------------------------------- coverage


def test_coverage_drops_missing_and_nan_series():
    scores = _hand_scores()
    scores = scores[~((scores.series == "B") & (scores.model == "good"))]  # good lacks B
    common, table = ps.coverage(scores, ["naive", "good", "bad"], {"good": 1})
    assert common == ["A", "C"]
    assert list(table.columns) == ["model", "n_series", "n_common", "n_too_short", "left_out"]
    rows = table.set_index("model")
    assert rows.n_series.to_dict() == {"naive": 4, "good": 3, "bad": 3}
    assert rows.n_too_short.to_dict() == {"naive": 0, "good": 1, "bad": 0}
    assert (rows.n_common == 2).all()
    assert rows.left_out.to_dict() == {"naive": "", "good": "B", "bad": "D"}
    aggregated = ps.aggregate(scores, "naive").set_index("model")
    assert (aggregated.n_series == 2).all()
    assert aggregated.loc["good", "smape_mean"] == (8 + 25) / 2  # over A and C only
    assert ps.coverage(scores, ["naive"])[0] == ["A", "B", "C", "D"]


def test_own_scores_are_each_models_means_over_its_own_series():
    own = ps.own_scores(_hand_scores(), ["naive", "good", "bad"]).set_index("model")
    assert list(own.reset_index().columns) == ps.OWN_COLUMNS
    assert own.own_series.to_dict() == {"naive": 4, "good": 4, "bad": 3}  # bad: no MASE on D
    assert own.loc["good", "own_smape_mean"] == (8 + 12 + 25 + 900) / 4
    assert own.loc["bad", ["own_smape_mean", "own_mase_mean"]].tolist() == [22, 2.5]
    assert ps.own_scores(_hand_scores(), ["absent"]).own_mase_mean.isna().all()


def test_coverage_truncates_long_left_out_lists():
    ids = [f"s{i:02d}" for i in range(15)]
    scores = pd.DataFrame({"series": ids * 2, "model": ["m"] * 15 + ["r"] * 15,
                           "smape": [1.0] * 30, "mase": [1.0] * 2 + [np.nan] * 13 + [1.0] * 15})
    common, table = ps.coverage(scores, ["m", "r"])
    assert common == ["s00", "s01"]
    left = table.set_index("model").left_out
    assert left["m"] == ", ".join(ids[2:12]) + ", ... (+3 more)"
    assert left["r"] == ""


# ---------------------------------------------------------------- Friedman / Nemenyi


def _panel(values: np.ndarray) -> pd.DataFrame:
    n, k = values.shape
    return pd.DataFrame({"series": np.repeat([f"s{i}" for i in range(n)], k),
                         "model": np.tile([f"m{j}" for j in range(k)], n),
                         "smape": values.ravel(), "mase": values.ravel()})


@pytest.mark.parametrize("k", [3, 4])
@pytest.mark.parametrize("ties", [False, True])
def test_friedman_equals_scipy(k, ties):
    rng = np.random.default_rng(k + 10 * ties)
    n = 25
    values = (rng.integers(0, 3, (n, k)).astype(float) if ties
              else rng.normal(size=(n, k)) + np.arange(k) * 0.3)
    result = ps.friedman_nemenyi(_panel(values))
    want = stats.friedmanchisquare(*values.T)
    assert (result.n_series, result.k, result.metric) == (n, k, "mase")
    assert result.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(want.pvalue, rel=1e-10)
    chi2 = result.statistic
    f_stat = (n - 1) * chi2 / (n * (k - 1) - chi2)
    assert result.iman_davenport_f == pytest.approx(f_stat, rel=1e-12)
    assert result.iman_davenport_pvalue == pytest.approx(
        stats.f.sf(f_stat, k - 1, (k - 1) * (n - 1)), rel=1e-10)
    ranks = stats.rankdata(values, axis=1).mean(axis=0)
    assert result.mean_ranks.to_dict() == pytest.approx(
        {f"m{j}": r for j, r in enumerate(ranks)})
    assert list(result.mean_ranks) == sorted(result.mean_ranks)


def test_friedman_two_models_by_hand():
    # a wins 4 of 5: rank sums 6 and 9, chi2 = 12/(2*5*3) (36 + 81) - 3*5*3 = 1.8
    a = np.array([1, 1, 1, 1, 2.0])
    result = ps.friedman_nemenyi(_panel(np.column_stack([a, 3 - a])))
    assert result.statistic == pytest.approx(1.8)
    assert result.pvalue == pytest.approx(0.179712, abs=1e-6)  # chi2(1).sf(1.8)
    # a wins 3, loses 1, ties 1: rank sums 6.5, 8.5: (0.4 * 114.5 - 45) / (1 - 6/30) = 1.0
    b = np.array([2, 2, 2, 1, 1.0])
    result = ps.friedman_nemenyi(_panel(np.column_stack([np.array([1, 1, 1, 2, 1.0]), b])))
    assert result.statistic == pytest.approx(1.0)
    assert result.pvalue == pytest.approx(stats.chi2.sf(1.0, 1))


def test_nemenyi_critical_difference_matches_demsar():
    for k, q in zip((2, 3, 4, 5), (1.960, 2.343, 2.569, 2.728), strict=True):
        assert abs(ps.nemenyi_q(k, 0.05) - q) < 1e-3  # Demsar (2006), table 5(a)
    values = np.random.default_rng(1).normal(size=(14, 4))
    result = ps.friedman_nemenyi(_panel(values), alpha=0.05)
    assert abs(result.critical_difference - 2.569 * math.sqrt(4 * 5 / (6 * 14))) < 1e-3
    assert result.alpha == 0.05


def _result(ranks: dict[str, float], cd: float) -> ps.FriedmanResult:
    return ps.FriedmanResult("mase", 10, len(ranks), pd.Series(ranks), 5.0, 0.01, 3.0, 0.02,
                             cd, 0.05)


def test_nemenyi_groups():
    ranks = {"a": 1.0, "b": 1.5, "c": 2.6, "d": 3.9}
    assert ps.nemenyi_groups(_result(ranks, 1.2)) == [["a", "b"], ["b", "c"]]
    assert _result(ranks, 1.2).nemenyi_groups() == [["a", "b"], ["b", "c"]]
    assert ps.nemenyi_groups(_result(ranks, 3.0)) == [["a", "b", "c", "d"]]
    assert ps.nemenyi_groups(_result(ranks, 0.4)) == []
    assert ps.nemenyi_groups(_result(ranks, float("nan"))) == []
    # ranks that differ by exactly the CD differ significantly (Demsar: "by at least")
    assert ps.nemenyi_groups(_result({"a": 1.0, "b": 2.0, "c": 2.5}, 1.0)) == [["b", "c"]]


@pytest.mark.parametrize("shape", [(1, 3), (6, 1), (0, 3)])
def test_friedman_degenerate_cases_are_nan(shape):
    result = ps.friedman_nemenyi(_panel(np.arange(np.prod(shape), dtype=float).reshape(shape)))
    assert math.isnan(result.statistic) and math.isnan(result.pvalue)
    assert result.n_series == shape[0]
    assert math.isnan(result.iman_davenport_f)
    assert isinstance(result.nemenyi_groups(), list)


def test_notes_cover_every_table_column():
    columns = {*ps.AGGREGATE_COLUMNS, *ps.CATEGORY_COLUMNS, *ps.BY_STEP_COLUMNS,
               "metric", "k", "statistic", "pvalue", "iman_davenport_f",
               "iman_davenport_pvalue", "critical_difference", "alpha"}
    assert columns <= set(ps.NOTES)
    assert all(note.endswith(".") and len(note) > 20 for note in ps.NOTES.values())


# ---------------------------------------------------------------- CD diagram


def test_cd_diagram_writes_a_png(tmp_path):
    values = np.random.default_rng(2).normal(size=(20, 5)) + np.arange(5) * 0.4
    result = ps.friedman_nemenyi(_panel(values))
    path = plot_cd_diagram(result, tmp_path / "figs" / "cd.png", "five models")
    assert path == tmp_path / "figs" / "cd.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    fig = cd_figure(result, "five models")
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        title = fig.texts[0].get_text()
    finally:
        plt.close(fig)
    assert f"CD = {result.critical_difference:.3f}" in texts
    assert sum(t.endswith(f"({r:.2f})") for t in texts for r in result.mean_ranks) >= 5
    assert "Friedman p" in title and not plt.get_fignums()


def test_cd_diagram_of_one_model_does_not_fail(tmp_path):
    result = ps.friedman_nemenyi(_panel(np.ones((4, 1))))
    assert plot_cd_diagram(result, tmp_path / "one.png", "one").stat().st_size > 0
