"""Interval metrics: coverage, width, Winkler, MSIS, pinball; per group and over series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.scoring import collection_stats as ps
from forecast_bench.evaluation.scoring import interval_metrics as im

NAN = float("nan")

# The worked example: y = [1, 5, 10], lower = [0, 6, 8], upper = [2, 7, 9].
#   point 1: 0 <= 1 <= 2, covered, width 2, no penalty
#   point 2: 5 < lower 6 by 1, width 1
#   point 3: 10 > upper 9 by 1, width 1
# coverage 1/3, mean width (2 + 1 + 1) / 3 = 4/3.
Y, LOWER, UPPER = [1.0, 5.0, 10.0], [0.0, 6.0, 8.0], [2.0, 7.0, 9.0]


def test_the_worked_example_at_80():
    # alpha = 0.2, 2/alpha = 10: Winkler terms 2, 1 + 10*1 = 11, 1 + 10*1 = 11 -> mean 8.
    # pinball, tau 0.1 (lower) and 0.9 (upper); loss(q) = max(tau (y-q), (tau-1)(y-q)):
    #   point 1: lower 0.1*1 = 0.1, upper (-1)(-0.1) = 0.1 -> mean 0.1
    #   point 2: lower (-1)(-0.9) = 0.9, upper (-2)(-0.1) = 0.2 -> mean 0.55
    #   point 3: lower 0.1*2 = 0.2, upper 0.9*1 = 0.9 -> mean 0.55
    #   -> (0.1 + 0.55 + 0.55) / 3 = 0.4
    # msis, scale 2: 8 / 2 = 4; scales [1, 2, 4]: (2/1 + 11/2 + 11/4) / 3 = 10.25/3.
    assert im.coverage(Y, LOWER, UPPER) == pytest.approx(1 / 3)
    assert im.mean_width(LOWER, UPPER) == pytest.approx(4 / 3)
    assert im.winkler(Y, LOWER, UPPER, 80) == pytest.approx(8.0)
    assert im.pinball(Y, LOWER, UPPER, 80) == pytest.approx(0.4)
    assert im.msis(Y, LOWER, UPPER, 80, 2.0) == pytest.approx(4.0)
    assert im.msis(Y, LOWER, UPPER, 80, np.array([1.0, 2.0, 4.0])) == pytest.approx(10.25 / 3)


def test_the_worked_example_at_50():
    # alpha = 0.5, 2/alpha = 4: Winkler terms 2, 1 + 4 = 5, 1 + 4 = 5 -> mean 4.
    # pinball, tau 0.25 and 0.75:
    #   point 1: 0.25*1 = 0.25, (-1)(-0.25) = 0.25 -> 0.25
    #   point 2: (-1)(-0.75) = 0.75, (-2)(-0.25) = 0.5 -> 0.625
    #   point 3: 0.25*2 = 0.5, 0.75*1 = 0.75 -> 0.625
    #   -> 1.5 / 3 = 0.5
    assert im.winkler(Y, LOWER, UPPER, 50) == pytest.approx(4.0)
    assert im.pinball(Y, LOWER, UPPER, 50) == pytest.approx(0.5)
    assert im.msis(Y, LOWER, UPPER, 50, 4.0) == pytest.approx(1.0)


def test_a_point_on_a_bound_is_covered_without_penalty():
    y, lower, upper = [2.0, 3.0], [2.0, 1.0], [4.0, 3.0]
    assert im.coverage(y, lower, upper) == 1.0
    assert im.winkler(y, lower, upper, 95) == pytest.approx(2.0)  # widths 2 and 2
    # pinball at tau 0.025 / 0.975: point 1 lower 0, upper 0.025*2; point 2 lower 0.025*2,
    # upper 0 -> each point (0.05 + 0) / 2 = 0.025
    assert im.pinball(y, lower, upper, 95) == pytest.approx(0.025)


def test_pinball_is_alpha_over_four_times_winkler():
    rng = np.random.default_rng(3)
    y = rng.normal(0, 3, 200)
    centre = rng.normal(0, 1, 200)
    half = rng.uniform(0.1, 4, 200)
    for level in (50, 80, 95, 97.5):
        alpha = 1 - level / 100
        assert im.pinball(y, centre - half, centre + half, level) == pytest.approx(
            alpha / 4 * im.winkler(y, centre - half, centre + half, level), rel=1e-12)


def test_points_with_a_nan_bound_are_left_out():
    y, lower, upper = [*Y, 3.0, 7.0], [*LOWER, NAN, 0.0], [*UPPER, 4.0, NAN]
    assert im.coverage(y, lower, upper) == pytest.approx(1 / 3)
    assert im.mean_width(lower, upper) == pytest.approx(4 / 3)
    assert im.winkler(y, lower, upper, 80) == pytest.approx(8.0)
    assert im.pinball(y, lower, upper, 80) == pytest.approx(0.4)
    # the left-out points' scales do not matter, not even a zero one
    assert im.msis(y, lower, upper, 80, [2.0, 2.0, 2.0, 0.0, NAN]) == pytest.approx(4.0)


def test_nan_when_nothing_is_scored_or_undefined():
    assert np.isnan(im.coverage([1.0], [NAN], [2.0]))
    assert np.isnan(im.mean_width([], []))
    assert np.isnan(im.winkler([], [], [], 80))
    assert np.isnan(im.pinball([1.0, 2.0], [NAN, NAN], [3.0, 3.0], 80))
    # a NaN actual among scored points makes every score but width NaN
    for score in (im.coverage([*Y[:2], NAN], LOWER, UPPER),
                  im.winkler([*Y[:2], NAN], LOWER, UPPER, 80),
                  im.pinball([*Y[:2], NAN], LOWER, UPPER, 80)):
        assert np.isnan(score)
    # MSIS is undefined with a missing, infinite or non-positive scale
    for scale in (0.0, -1.0, NAN, np.inf, [2.0, 0.0, 2.0]):
        assert np.isnan(im.msis(Y, LOWER, UPPER, 80, scale))


@pytest.mark.parametrize("level", [0, 100, -5, 150])
def test_a_level_outside_zero_to_hundred_is_refused(level):
    with pytest.raises(ValueError, match="between 0 and 100"):
        im.winkler(Y, LOWER, UPPER, level)


def test_levels_in_parses_the_lower_columns_as_numbers():
    frame = pd.DataFrame(columns=["series", "y_true", "lower_80", "upper_80", "lower_97.5",
                                  "upper_97.5", "lower_5", "upper_5", "lower_bound"])
    assert im.levels_in(frame) == [5.0, 80.0, 97.5]  # as floats: 5 before 80 before 97.5
    assert im.levels_in(pd.DataFrame(columns=["y_true", "y_pred"])) == []


# ---------------------------------------------------------------- per group

def _hand_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series a (fold 0, scale 2): model m is the worked example at both levels, model n has
    [y-1, y+1] at 80 and [y, y] at 50. Series b (fold 1, scale 0), model m: y = [3, 4],
    80: [NaN, NaN] then [2, 3]; 50: [2.5, 3.5] then [3.5, 4.5]."""
    a = {"series": "a", "fold": 0, "step": [1, 2, 3], "y_true": Y}
    m_a = pd.DataFrame({**a, "model": "m", "lower_80": LOWER, "upper_80": UPPER,
                        "lower_50": LOWER, "upper_50": UPPER})
    y = np.array(Y)
    n_a = pd.DataFrame({**a, "model": "n", "lower_80": y - 1, "upper_80": y + 1,
                        "lower_50": y, "upper_50": y})
    m_b = pd.DataFrame({"series": "b", "fold": 1, "step": [1, 2], "y_true": [3.0, 4.0],
                        "model": "m", "lower_80": [NAN, 2.0], "upper_80": [NAN, 3.0],
                        "lower_50": [2.5, 3.5], "upper_50": [3.5, 4.5]})
    frame = pd.concat([m_a, n_a, m_b], ignore_index=True)
    scales = pd.DataFrame({"series": ["a", "b"], "fold": [0, 1], "scale": [2.0, 0.0]})
    return frame, scales


COLUMNS = ["n", "missing", "coverage", "width", "msis", "winkler", "pinball"]


def _check(table: pd.DataFrame, keys: list[str], want: dict[tuple, list[float]]) -> None:
    assert list(table.columns) == [*keys, "level", *COLUMNS]
    assert [tuple(r) for r in table[[*keys, "level"]].itertuples(index=False)] == list(want)
    got = table[COLUMNS].to_numpy(dtype=float)
    np.testing.assert_allclose(got, np.array(list(want.values())), rtol=1e-12, atol=1e-15)


def test_interval_scores_by_series_and_model_by_hand():
    frame, scales = _hand_table()
    table = im.interval_scores(frame, scales, ["series", "model"])
    # b at 80: only [2, 3] vs 4 scored: width 1, Winkler 1 + 10 = 11, pinball 0.05*11; the
    #   other point is missing. b at 50: both covered, width 1, Winkler 1, pinball 0.125*1.
    #   b's scale is 0, so its MSIS is NaN. n at 50: zero width, y on the bounds: all 0.
    _check(table, ["series", "model"], {
        ("a", "m", 50.0): [3, 0, 1 / 3, 4 / 3, 4 / 2, 4.0, 0.5],
        ("a", "m", 80.0): [3, 0, 1 / 3, 4 / 3, 8 / 2, 8.0, 0.4],
        ("a", "n", 50.0): [3, 0, 1.0, 0.0, 0.0, 0.0, 0.0],
        ("a", "n", 80.0): [3, 0, 1.0, 2.0, 1.0, 2.0, 0.1],
        ("b", "m", 50.0): [2, 0, 1.0, 1.0, NAN, 1.0, 0.125],
        ("b", "m", 80.0): [1, 1, 0.0, 1.0, NAN, 11.0, 0.55],
    })
    assert table["n"].dtype.kind == "i" and table["missing"].dtype.kind == "i"


def test_interval_scores_by_model_and_step_by_hand():
    frame, scales = _hand_table()
    table = im.interval_scores(frame.iloc[::-1], scales, ["model", "step"], levels=[80])
    # models in first-seen order (the table is reversed: m from b first, then n, then m from
    # a is already seen), steps ascending.
    # m step 1: a's [0, 2] vs 1 (width 2, Winkler 2, msis 2/2); b's point is missing.
    # m step 2: a's 11 and b's 11, width 1 each, none covered; b's scale 0 -> msis NaN.
    # m step 3: a's 11 only, msis 11/2.
    _check(table, ["model", "step"], {
        ("m", 1, 80.0): [1, 1, 1.0, 2.0, 1.0, 2.0, 0.1],
        ("m", 2, 80.0): [2, 0, 0.0, 1.0, NAN, 11.0, 0.55],
        ("m", 3, 80.0): [1, 0, 0.0, 1.0, 5.5, 11.0, 0.55],
        ("n", 1, 80.0): [1, 0, 1.0, 2.0, 1.0, 2.0, 0.1],
        ("n", 2, 80.0): [1, 0, 1.0, 2.0, 1.0, 2.0, 0.1],
        ("n", 3, 80.0): [1, 0, 1.0, 2.0, 1.0, 2.0, 0.1],
    })


def test_interval_scores_by_model_and_fold_with_other_scales():
    frame, _ = _hand_table()
    # a fold -> scale mapping (one series' folds.csv); fold 1 has none -> b's msis NaN
    table = im.interval_scores(frame, {0: 4.0}, ["model", "fold"], levels=[50])
    _check(table, ["model", "fold"], {
        ("m", 0, 50.0): [3, 0, 1 / 3, 4 / 3, 1.0, 4.0, 0.5],
        ("m", 1, 50.0): [2, 0, 1.0, 1.0, NAN, 1.0, 0.125],
        ("n", 0, 50.0): [3, 0, 1.0, 0.0, 0.0, 0.0, 0.0],
    })
    no_scales = im.interval_scores(frame, None, ["model"])
    assert no_scales["msis"].isna().all() and no_scales["winkler"].notna().all()


def test_interval_scores_refuses_duplicate_scales_and_absent_levels():
    frame, scales = _hand_table()
    with pytest.raises(ValueError, match="several rows"):
        im.interval_scores(frame, pd.concat([scales, scales]), ["model"])
    with pytest.raises(ValueError, match="lower_95"):
        im.interval_scores(frame, scales, ["model"], levels=[95])


def test_interval_scores_of_nothing_is_an_empty_table():
    frame, scales = _hand_table()
    empty = im.interval_scores(frame.iloc[:0], scales, ["series", "model"])
    assert empty.empty and list(empty.columns) == ["series", "model", "level", *COLUMNS]
    plain = frame.drop(columns=[c for c in frame.columns if c[:6] in ("lower_", "upper_")])
    assert im.interval_scores(plain, scales, ["model"]).empty


def _random_table(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """4 series x 3 models x 2 folds x 3 origins x 4 steps, shuffled, levels 80 and 95, with
    NaN bounds here and there (all of model z's on series s1 at 95), a zero scale and a
    missing one."""
    rng = np.random.default_rng(seed)
    rows = [{"series": s, "model": m, "fold": f, "origin": 10 * f + o, "step": h}
            for s in ("s2", "s0", "s1", "s3") for m in ("z", "x", "y") for f in (0, 1)
            for o in range(3) for h in range(1, 5)]
    frame = pd.DataFrame(rows)
    size = len(frame)
    frame["y_true"] = rng.normal(10, 3, size)
    frame["y_pred"] = frame["y_true"] + rng.normal(0, 2, size)
    for level, z in ((80, 1.28), (95, 1.96)):
        half = z * rng.uniform(0.5, 3, size)
        lower, upper = frame["y_pred"] - half, frame["y_pred"] + half
        lower[rng.random(size) < 0.15] = NAN
        upper[rng.random(size) < 0.05] = NAN
        frame[f"lower_{level}"], frame[f"upper_{level}"] = lower, upper
    frame.loc[(frame.series == "s1") & (frame.model == "z"), ["lower_95", "upper_95"]] = NAN
    frame = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    scales = pd.DataFrame({"series": ["s0", "s0", "s1", "s1", "s2", "s3", "s3"],
                           "fold": [0, 1, 0, 1, 0, 0, 1],  # (s2, 1) has none
                           "scale": [1.5, 2.0, 0.7, 0.0, 3.0, 1.1, 0.9]})
    return frame, scales


@pytest.mark.parametrize("keys", [["series", "model"], ["model", "step"],
                                  ["series", "model", "fold"], ["model"]])
def test_interval_scores_equal_the_array_functions_group_by_group(keys):
    frame, scales = _random_table()
    table = im.interval_scores(frame, scales, keys)
    with_scale = frame.merge(scales, on=["series", "fold"], how="left")
    expected = []
    for key, part in with_scale.groupby(keys, sort=False):
        for level in (80.0, 95.0):
            lower, upper = part[f"lower_{level:g}"], part[f"upper_{level:g}"]
            y, scale = part["y_true"], part["scale"].to_numpy()
            kept = lower.notna() & upper.notna()
            expected.append({**dict(zip(keys, key, strict=True)), "level": level,
                             "n": int(kept.sum()), "missing": int((~kept).sum()),
                             "coverage": im.coverage(y, lower, upper),
                             "width": im.mean_width(lower, upper),
                             "msis": im.msis(y, lower, upper, level, scale),
                             "winkler": im.winkler(y, lower, upper, level),
                             "pinball": im.pinball(y, lower, upper, level)})
    want = pd.DataFrame(expected).sort_values([*keys, "level"]).reset_index(drop=True)
    got = table.sort_values([*keys, "level"]).reset_index(drop=True)
    assert len(got) == len(want) == len(frame.groupby(keys)) * 2
    pd.testing.assert_frame_equal(got[[*keys, "level", "n", "missing"]],
                                  want[[*keys, "level", "n", "missing"]], check_dtype=False)
    for metric in im.METRICS:
        np.testing.assert_allclose(got[metric], want[metric], rtol=1e-10, err_msg=metric)
    # the random table does exercise the NaN rules
    assert table["missing"].sum() > 0 and table["msis"].isna().any()
    if "series" in keys:  # pooled over series, every group meets the zero or missing scale
        assert table["msis"].notna().any()


def test_interval_scores_order_groups_as_collection_stats():
    frame, scales = _random_table()
    table = im.interval_scores(frame, scales, ["series", "model"])
    pairs = list(dict.fromkeys(zip(table.series, table.model, strict=True)))
    point = ps.series_scores(frame, scales)
    assert pairs == list(zip(point.series, point.model, strict=True))
    assert (table.groupby(["series", "model"], sort=False)["level"].apply(list)
            == pd.Series([[80.0, 95.0]] * 12).to_numpy()).all()


# ---------------------------------------------------------------- over series

def test_aggregate_intervals_by_hand():
    frame, scales = _hand_table()
    table = im.aggregate_intervals(im.interval_scores(frame, scales, ["series", "model"]))
    assert list(table.columns) == ["model", "level", "series", "n", "missing", *im.METRICS]
    # m at 50: a (1/3, 4/3, 2, 4, 0.5) and b (1, 1, NaN, 1, 0.125): means (2/3, 7/6, 2 (b's
    #   NaN left out), 2.5, 0.3125). m at 80: a (1/3, 4/3, 4, 8, 0.4), b (0, 1, NaN, 11,
    #   0.55): means (1/6, 7/6, 4, 9.5, 0.475). n: series a alone, passed through.
    want = {("m", 50.0): [2, 5, 0, 2 / 3, 7 / 6, 2.0, 2.5, 0.3125],
            ("m", 80.0): [2, 4, 1, 1 / 6, 7 / 6, 4.0, 9.5, 0.475],
            ("n", 50.0): [1, 3, 0, 1.0, 0.0, 0.0, 0.0, 0.0],
            ("n", 80.0): [1, 3, 0, 1.0, 2.0, 1.0, 2.0, 0.1]}
    assert list(zip(table.model, table.level, strict=True)) == list(want)
    np.testing.assert_allclose(table[im.AGGREGATE_METRICS].to_numpy(dtype=float),
                               np.array(list(want.values())), rtol=1e-12, atol=1e-15)


def test_aggregate_intervals_passes_one_series_through():
    frame, scales = _hand_table()
    scores = im.interval_scores(frame[frame.series == "a"], scales, ["series", "model"])
    table = im.aggregate_intervals(scores)
    assert (table["series"] == 1).all()
    pd.testing.assert_frame_equal(table[["model", "level", "n", "missing", *im.METRICS]],
                                  scores[["model", "level", "n", "missing", *im.METRICS]])


def test_aggregate_intervals_keeps_other_keys_and_counts_unscored_models():
    frame, scales = _random_table()
    scores = im.interval_scores(frame, scales, ["series", "model", "step"])
    table = im.aggregate_intervals(scores)
    assert list(table.columns[:3]) == ["model", "step", "level"]
    assert len(table) == 3 * 4 * 2
    for row in table.itertuples():
        part = scores[(scores.model == row.model) & (scores.step == row.step)
                      & (scores.level == row.level) & (scores.n > 0)]
        assert row.series == len(part)
        assert row.winkler == pytest.approx(part.winkler.mean())
        assert row.msis == pytest.approx(part.msis.mean())  # skips NaN
    # model z has no 95% bound on s1: it counts 3 series there, s1's rows all missing
    z95 = table[(table.model == "z") & (table.level == 95.0)]
    assert (z95.series == 3).all() and (z95.missing >= 6).all()
    # a model with no bound at all: 0 series, NaN means, every row missing
    none = frame.assign(lower_80=NAN)
    table = im.aggregate_intervals(im.interval_scores(none, scales, ["series", "model"],
                                                      levels=[80]))
    assert (table.series == 0).all() and (table.n == 0).all()
    assert (table.missing == 4 * 2 * 3 * 4).all() and table[im.METRICS].isna().all().all()


def test_aggregate_intervals_needs_series_scores():
    frame, scales = _hand_table()
    with pytest.raises(ValueError, match="series"):
        im.aggregate_intervals(im.interval_scores(frame, scales, ["model"]))
    empty = im.aggregate_intervals(im.interval_scores(frame.iloc[:0], scales,
                                                      ["series", "model"]))
    assert empty.empty and list(empty.columns) == ["model", "level", *im.AGGREGATE_METRICS]


def test_every_column_has_a_note():
    frame, scales = _hand_table()
    scores = im.interval_scores(frame, scales, ["series", "model"])
    shown = set(scores.columns) | set(im.aggregate_intervals(scores).columns)
    assert shown - {"model"} <= set(im.INTERVAL_NOTES)
    assert all(note.endswith(".") for note in im.INTERVAL_NOTES.values())
