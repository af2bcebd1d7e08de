"""Secondary outcomes of a matched comparison, estimated on the headline's own matched sample.

Employment is the primary outcome; a reader also asks whether participants left out-of-work
benefits, earned more, stayed in work, or became economically active (in work or looking for
work: the Health and Growth Accelerator beside the North East CA programme counts people made
economically active). Each secondary outcome is compared on the same participants, the same
matches and the same weights as the headline, at the headline's horizon and by the same
estimator (the change from the baseline window, with the same regression adjustment), so the
numbers differ only in what is measured. They are exploratory: the report adjusts their
p-values for multiple comparisons (`evaluation.multiplicity`).

Outcomes come from the outcome table's optional columns where present (`on_out_of_work_benefit`,
`earnings_gbp`, `economically_active`) and one derived from employment: in work in at least
`SUSTAINED_MONTHS` of the `SUSTAINED_WINDOW` months up to the month measured.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from evaluation.contrast import weighted_contrast
from evaluation.histories import Outcomes, outcome_matrix, window_share

__all__ = ["SECONDARY_OUTCOMES", "SUSTAINED_MONTHS", "SUSTAINED_WINDOW", "secondary_outcomes", "sustained"]

SUSTAINED_MONTHS = 4
SUSTAINED_WINDOW = 6
SUSTAINED = "sustained_employment"

SECONDARY_OUTCOMES = MappingProxyType(
    {
        "on_out_of_work_benefit": "Receiving an out-of-work benefit",
        SUSTAINED: f"In work in at least {SUSTAINED_MONTHS} of the last {SUSTAINED_WINDOW} months",
        "earnings_gbp": "Earnings in the month (£)",
        "economically_active": "Economically active (in work or looking for work)",
    }
)
"""Secondary outcomes by name, with their labels, in the order reports show them."""

PROPORTIONS = frozenset({"on_out_of_work_benefit", SUSTAINED, "economically_active"})
"""Secondary outcomes that are shares of people (shown in percentage points); the rest are amounts."""


def _from_wide(wide: np.ndarray, row_of: pd.Index, first: int) -> Outcomes:
    observed = np.isfinite(wide)
    zero = np.zeros((len(wide), 1))
    csum = np.hstack([zero, np.cumsum(np.where(observed, wide, 0.0), axis=1)])
    ccount = np.hstack([zero, np.cumsum(observed, axis=1)])
    return Outcomes(wide, row_of, first, csum, ccount)


def sustained(employed: Outcomes) -> Outcomes:
    """1 in a month where the person was in work in at least `SUSTAINED_MONTHS` of the
    `SUSTAINED_WINDOW` months ending then, 0 if not; unknown unless all those months are known."""
    window = SUSTAINED_WINDOW
    hi = np.arange(window, employed.n_months + 1)
    total = employed.csum[:, hi] - employed.csum[:, hi - window]
    known = (employed.ccount[:, hi] - employed.ccount[:, hi - window]) == window
    wide = np.full(employed.wide.shape, np.nan)
    wide[:, window - 1 :] = np.where(known, (total >= SUSTAINED_MONTHS).astype(float), np.nan)
    return _from_wide(wide, employed.row_of, employed.first)


def secondary_outcomes(
    sample,
    outcomes: pd.DataFrame,
    *,
    horizon: int,
    estimator: str,
    alpha: float,
    pre_months: int,
    person: str,
    month: str,
    weights: np.ndarray,
    adjust: np.ndarray | None,
) -> pd.DataFrame:
    """One row per secondary outcome available: estimate, standard error, interval, p-value,
    participants compared and both groups' levels, at `horizon` months on `sample`'s rows."""
    from scipy import stats

    stacked, data = sample.stacked, sample.data
    last_code = data.first + data.n_months - 1
    n_clusters = int(stacked.person_code.max()) + 1
    rows = []
    for name, label in SECONDARY_OUTCOMES.items():
        if name == SUSTAINED:
            values = sustained(data)
        elif name in outcomes.columns:
            values = outcome_matrix(
                outcomes,
                data.row_of,
                person=person,
                month=month,
                outcome=name,
                last_code=last_code,
                first_code=data.first,
            )
        else:
            continue
        level = values.relative(stacked.outcome_row, stacked.anchor_col, np.array([horizon]))[:, 0]
        if estimator == "adjusted_post":
            y = level
        else:
            start, end = stacked.baseline or (1, pre_months)
            y = level - window_share(values, stacked.outcome_row, stacked.anchor_col, start, end)
        cell = weighted_contrast(
            y,
            treated=stacked.treated,
            weights=weights,
            clusters=stacked.person_code,
            n_clusters=n_clusters,
            adjust=adjust,
            level=level,
        )
        if cell.n_treated == 0:
            continue
        z = stats.norm.ppf(1 - alpha / 2)
        p_value = (
            float(2 * stats.norm.sf(abs(cell.estimate / cell.std_error))) if cell.std_error > 0 else np.nan
        )
        rows.append(
            {
                "outcome": name,
                "label": label,
                "proportion": name in PROPORTIONS,
                "horizon": int(horizon),
                "estimate": cell.estimate,
                "std_error": cell.std_error,
                "ci_lower": cell.estimate - z * cell.std_error,
                "ci_upper": cell.estimate + z * cell.std_error,
                "p_value": p_value,
                "n": cell.n_treated,
                "participants_level": cell.treated_rate,
                "comparison_level": cell.comparison_rate,
            }
        )
    columns = [
        "outcome",
        "label",
        "proportion",
        "horizon",
        "estimate",
        "std_error",
        "ci_lower",
        "ci_upper",
        "p_value",
        "n",
        "participants_level",
        "comparison_level",
    ]
    return pd.DataFrame(rows, columns=columns)
