"""An M3 monthly run (benchmarks/configs/m3_nbeats.toml) beside the published figures of
N-BEATS: Oreshkin, Carpov, Chapados & Bengio (2020), ICLR, Table 14 (M3 monthly, 1428 series,
h = 18, M3's sMAPE, ensembles of 180 networks, 360 for I+G), and the reruns of the authors'
repository (180 networks, and 18: their Appendix B.2). The figures are transcribed, never ours.

`paper_table`: per model, its ensemble size and training steps, our sMAPE over the 18 steps
(each series' mean, then the mean over the series every model forecast), the published
figures, the one-sided Wilcoxon signed-rank test of its per-series sMAPE against Theta's
(Holm-corrected over the rows), and its CPU seconds per series. Where the run has both
`nbeats` and `nbeats_i`, an "I+G" row is the median of all their members, as the paper's.
`ensemble_curve`: sMAPE of the median of each ensemble's first k members, for k = 1 .. all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import collection_stats, pairwise

PAPER_NAMES = {"theta": "Theta", "nbeats": "N-BEATS-G", "nbeats_i": "N-BEATS-I",
               "nbeats_ig": "N-BEATS-I+G"}
COMBINED = "nbeats_ig"  # the median of nbeats' and nbeats_i's members
# name -> (paper Table 14, repository rerun with 180 networks, with 18)
PUBLISHED = {"Theta": (13.85, np.nan, np.nan), "N-BEATS-G": (13.19, 13.35, 13.45),
             "N-BEATS-I": (13.15, 13.29, 13.37), "N-BEATS-I+G": (13.11, 13.24, 13.27)}
REFERENCE = "theta"


def _members_frame(record: RunRecord, model: str) -> pd.DataFrame:
    """members.csv's rows of `model` (nbeats_ig: nbeats' and nbeats_i's, renumbered)."""
    members = record.members
    if not len(members):
        return members
    if model != COMBINED:
        return members[members["model"] == model]
    parts = [members[members["model"] == m] for m in ("nbeats", "nbeats_i")]
    if any(part.empty for part in parts):
        return members.iloc[:0]
    parts[1] = parts[1].assign(member=parts[1]["member"] + parts[0]["member"].max() + 1)
    return pd.concat(parts).assign(model=COMBINED)


def median_forecasts(members: pd.DataFrame, first: int | None = None) -> pd.DataFrame:
    """The forecasts that are the median of the (first `first`) members of each model."""
    if first is not None:
        members = members[members["member"] < first]
    keys = [c for c in members.columns if c not in ("member", "y_pred")]
    return members.groupby(keys, sort=False, dropna=False)["y_pred"].median().reset_index()


def _smape_by_series(forecasts: pd.DataFrame, record: RunRecord,
                     common: list[str]) -> pd.Series:
    part = forecasts[forecasts["series"].isin(common)]
    scores = collection_stats.series_scores(part, record.scales)
    return scores.set_index("series")["smape"]


def paper_table(record: RunRecord, series_scores: pd.DataFrame, common: list[str],
                cost: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model of the run (and I+G when both N-BEATS kinds ran): ours beside the
    published figures; NaN where the paper has none."""
    wide = series_scores[series_scores["series"].isin(common)].pivot(
        index="series", columns="model", values="smape")
    combined = _members_frame(record, COMBINED)
    if len(combined):
        wide[COMBINED] = _smape_by_series(median_forecasts(combined), record, common)
    params = record.config.get("models", {})
    rows = []
    for model in wide.columns:
        members = _members_frame(record, model)
        n_members = int(members["member"].nunique()) if len(members) else 1
        steps = (params.get(model, {}).get("steps") if model != COMBINED else None)
        published = PUBLISHED.get(PAPER_NAMES.get(model, ""), (np.nan,) * 3)
        row = {"model": model, "paper name": PAPER_NAMES.get(model, ""),
               "members": n_members, "steps": steps, "sMAPE": wide[model].mean(),
               "paper (180)": published[0], "rerun (180)": published[1],
               "rerun (18)": published[2]}
        if REFERENCE in wide and model != REFERENCE:
            diff = (wide[model] - wide[REFERENCE]).dropna()
            row["vs Theta"] = diff.mean()
            row["p below Theta"] = (stats.wilcoxon(diff, alternative="less").pvalue
                                    if (diff != 0).any() else 1.0)
        if cost is not None and model in cost.index:
            row["CPU s/series"] = cost.loc[model, "cpu_per_series"]
        rows.append(row)
    table = pd.DataFrame(rows)
    if "p below Theta" in table:
        tested = table["p below Theta"].notna()
        table.loc[tested, "p below Theta"] = pairwise.holm(
            table.loc[tested, "p below Theta"].to_numpy())
    return table.sort_values("sMAPE").reset_index(drop=True)


def ensemble_curve(record: RunRecord, common: list[str]) -> pd.DataFrame:
    """sMAPE of the median of the first k members of each ensemble in the run (and I+G), for
    k = 1, 2, 3, 6, 9, ... up to all of them; one row per (model, k)."""
    rows = []
    models = list(dict.fromkeys(record.members["model"])) if len(record.members) else []
    for model in [*models, COMBINED]:
        members = _members_frame(record, model)
        if members.empty:
            continue
        size = int(members["member"].nunique())
        for k in sorted({1, 2, *range(3, size + 1, 3), size}):
            smape = _smape_by_series(median_forecasts(members, k), record, common)
            rows.append({"model": model, "members": k, "sMAPE": smape.mean(),
                         "series": len(smape)})
    return pd.DataFrame(rows, columns=["model", "members", "sMAPE", "series"])
