"""Who an activity worked for: the headline's matched comparison within each priority cohort.

Each cohort's estimate uses the headline's own matched sets, restricted to the participants in
the cohort and, of the comparison people matched to them, those in the cohort too (exact
matching on the cohort within the sets: otherwise disabled participants would be compared with
matches who are not disabled); a participant left with no such match drops out. The estimator,
weights and regression adjustment are the headline's, at its horizon. It is given only where both the cohort and the
rest of the participants reach the minimum for an impact estimate, and where matching balances
the cohort (largest standardised difference in a matching covariate below `MAX_SUBGROUP_SMD`);
otherwise the reason. Whether the effect differs between the cohort and the rest is tested from
the two estimates' per-person contributions (people matched into both count in both). Every
subgroup result is exploratory; the report adjusts their p-values for their number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.cohorts import cohort_members
from evaluation.contrast import Contrast, weighted_contrast
from evaluation.matching import encoded_covariates
from evaluation.stacking import match_weights

__all__ = ["MAX_SUBGROUP_SMD", "subgroup_effects"]

MAX_SUBGROUP_SMD = 0.25
"""Largest standardised mean difference, after matching, at which a cohort counts as balanced:
regression adjustment, as the headline uses, removes smaller differences reliably (Rubin 2001;
Stuart 2010, "Matching methods for causal inference", Statistical Science 25(1))."""

_COLUMNS = [
    "cohort",
    "n",
    "n_rest",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
    "difference",
    "difference_p_value",
    "max_abs_smd",
    "reason",
]


def _max_smd(encoded: np.ndarray, treated: np.ndarray, weights: np.ndarray, sd: np.ndarray) -> float:
    t_rows, c_rows = treated & (weights > 0), ~treated & (weights > 0)
    if not t_rows.any() or not c_rows.any():
        return float("nan")
    diff = encoded[t_rows].mean(axis=0) - np.average(encoded[c_rows], axis=0, weights=weights[c_rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        smd = np.where(sd > 0, diff / sd, 0.0)
    return float(np.nanmax(np.abs(smd))) if smd.size else 0.0


def subgroup_effects(
    sample,
    participants: pd.DataFrame,
    comparison_pool: pd.DataFrame,
    *,
    y: np.ndarray,
    level: np.ndarray,
    adjust: np.ndarray | None,
    alpha: float,
    min_n: int,
    person: str,
) -> pd.DataFrame:
    """One row per priority cohort: its estimate and interval, the test of a difference from the
    other participants, the balance within it, or the reason it is not estimated. `y` and
    `level` are the headline's compared outcome and level per stacked row at its horizon."""
    stacked, matched = sample.stacked, sample.matched
    index = stacked.frame.index
    t_pos = index.get_indexer(pd.Index(matched.pairs["treated_index"]))
    c_pos = index.get_indexer(pd.Index(matched.pairs["control_index"]))
    people = pd.concat([participants, comparison_pool[~comparison_pool[person].isin(participants[person])]])
    members = cohort_members(people).set_axis(people[person].astype(str).to_numpy())
    row_members = members.reindex(stacked.person.astype(str)).fillna(False).to_numpy(dtype=bool)
    followed = np.isfinite(y)
    n_clusters = int(stacked.person_code.max()) + 1
    covariates = [c for c in matched.covariates if c in stacked.frame.columns]
    encoded = encoded_covariates(stacked.frame, covariates, drop_first=False).to_numpy(dtype=float)
    all_weights = match_weights(len(index), t_pos, c_pos)
    pooled_sd = np.sqrt(
        (encoded[stacked.treated].var(axis=0) + encoded[~stacked.treated & (all_weights > 0)].var(axis=0)) / 2
    )
    z = stats.norm.ppf(1 - alpha / 2)

    def contrast(in_group: np.ndarray) -> tuple[Contrast, np.ndarray]:
        weights = match_weights(len(index), t_pos[in_group], c_pos[in_group])
        cell = weighted_contrast(
            y, treated=stacked.treated, weights=weights, clusters=stacked.person_code,
            n_clusters=n_clusters, adjust=adjust, level=level,
        )  # fmt: skip
        return cell, weights

    rows = []
    for j, cohort in enumerate(members.columns):
        in_pairs = row_members[t_pos, j] & row_members[c_pos, j]  # both sides of the pair in the cohort
        out_pairs = ~row_members[t_pos, j]
        in_people = np.unique(t_pos[in_pairs])
        out_people = np.unique(t_pos[out_pairs])
        n_in = int(followed[in_people].sum())
        n_out = int(followed[out_people].sum())
        row = dict.fromkeys(_COLUMNS, np.nan) | {"cohort": cohort, "n": n_in, "n_rest": n_out, "reason": ""}
        if min(n_in, n_out) < min_n:
            smaller = "the cohort has" if n_in < n_out else "the other participants have"
            row["reason"] = f"too few people: {smaller} fewer than {min_n} followed to the horizon"
            rows.append(row)
            continue
        cell, weights = contrast(in_pairs)
        rest, _ = contrast(out_pairs)
        smd = _max_smd(encoded, stacked.treated, weights, pooled_sd)
        row["max_abs_smd"] = smd
        if not smd < MAX_SUBGROUP_SMD:
            row["reason"] = (
                f"matching does not balance the cohort (largest difference {smd:.2f} standard deviations)"
            )
            rows.append(row)
            continue
        difference = cell.estimate - rest.estimate
        spread = float(np.sqrt(np.sum((cell.contributions - rest.contributions) ** 2)))
        row |= {
            "estimate": cell.estimate,
            "std_error": cell.std_error,
            "ci_lower": cell.estimate - z * cell.std_error,
            "ci_upper": cell.estimate + z * cell.std_error,
            "p_value": float(2 * stats.norm.sf(abs(cell.estimate / cell.std_error))),
            "difference": difference,
            "difference_p_value": float(2 * stats.norm.sf(abs(difference / spread)))
            if spread > 0
            else np.nan,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=_COLUMNS)
