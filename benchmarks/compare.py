"""`forecast-bench compare RUN_A RUN_B`: what changed between two runs, and whether it matters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from evaluation import tests as significance
from evaluation.analysis import summarize
from evaluation.metrics import KEYS
from evaluation.record import RunRecord


def compare_runs(a: RunRecord, b: RunRecord) -> str:
    """Plain text: data, folds, config and versions that differ, then the scores side by side."""
    lines = [f"A = {a.run_id}", f"B = {b.run_id}", ""]
    lines.append(_same_or_changed("data", _data_key(a), _data_key(b)))
    lines.append(_same_or_changed("folds", _folds_key(a), _folds_key(b)))
    config = _dict_changes(_flat(a.config), _flat(b.config))
    lines += ["config: same" if not config else "config changes (A -> B):",
              *(f"  {change}" for change in config)]
    versions = _dict_changes(_flat(_versions(a)), _flat(_versions(b)))
    lines += ["versions: same" if not versions else "versions changed (A -> B):",
              *(f"  {change}" for change in versions)]
    lines += ["", scores_table(a, b), "",
              "DM p (B vs A): Diebold-Mariano test of the same model's forecasts in the two runs, "
              "on the targets both forecast (needs the same data and folds); below 0.05 the "
              "change in accuracy is more than noise."]
    return "\n".join(lines)


def scores_table(a: RunRecord, b: RunRecord) -> str:
    """One row per model in either run: RMSE and U2 in A and B, the change, DM p of B vs A."""
    sa = summarize(a).set_index("model")
    sb = summarize(b).set_index("model")
    models = list(dict.fromkeys([*sa.index, *sb.index]))
    rows = []
    for model in models:
        ra = sa.rmse.get(model, np.nan)
        rb = sb.rmse.get(model, np.nan)
        rows.append({
            "model": model + ("" if model in sa.index else " (new in B)")
            + ("" if model in sb.index else " (only in A)"),
            "RMSE A": ra, "RMSE B": rb, "change %": 100 * (rb / ra - 1) if ra else np.nan,
            "U2 A": sa.rmse_vs_naive.get(model, np.nan),
            "U2 B": sb.rmse_vs_naive.get(model, np.nan),
            "DM p (B vs A)": _dm_between(a, b, model),
        })
    frame = pd.DataFrame(rows)
    return tabulate(frame, headers="keys", tablefmt="github", showindex=False, floatfmt=".4f",
                    missingval="-")


def _dm_between(a: RunRecord, b: RunRecord, model: str) -> float:
    """p-value of B's errors against A's for one model on shared targets (NaN if too few)."""
    step = a.horizon
    rows = []
    for record in (a, b):
        f = record.forecasts
        mine = f[(f.model == model) & (f.step == step)]
        rows.append(mine[[*KEYS, "target", "y_true"]].assign(err=mine.y_true - mine.y_pred))
    both = rows[0].merge(rows[1], on=[*KEYS, "target", "y_true"], suffixes=("_a", "_b"))
    if len(both) < max(significance.MIN_PAIRS, step + 1) or b.horizon != step:
        return float("nan")
    both = both.sort_values(["fold", "origin"])
    return significance.dm_test(both.err_b.to_numpy(), both.err_a.to_numpy(), step).pvalue


def _data_key(record: RunRecord) -> str:
    data = record.manifest.get("data", {})
    return f"{data.get('source', '?')} sha256 {str(data.get('sha256', '?'))[:12]}"


def _folds_key(record: RunRecord) -> str:
    f = record.folds
    return (f"{len(f)} fold(s), {int(f.n_test.sum())} test values from "
            f"{pd.Timestamp(f.test_start.iloc[0]).date()}, horizon {record.horizon}")


def _versions(record: RunRecord) -> dict[str, Any]:
    return {"packages": record.manifest.get("packages", {}),
            "git_commit": record.manifest.get("git_commit")}


def _same_or_changed(what: str, first: str, second: str) -> str:
    return f"{what}: same ({first})" if first == second else f"{what}: A {first}; B {second}"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: {"models": {"lstm": {"epochs": 30}}} -> models.lstm.epochs."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _dict_changes(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    changes = []
    for key in dict.fromkeys([*first, *second]):
        if key not in second:
            changes.append(f"{key}: {first[key]!r} -> (removed)")
        elif key not in first:
            changes.append(f"{key}: (added) -> {second[key]!r}")
        elif first[key] != second[key]:
            changes.append(f"{key}: {first[key]!r} -> {second[key]!r}")
    return changes
