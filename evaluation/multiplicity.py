"""Adjusted p-values for many comparisons at once (statsmodels' `multipletests`).

Reports test several things: the primary outcome of every activity in a programme, and for each
activity its secondary outcomes and subgroups. Holm's step-down method controls the chance of
any false finding among the activities' primary verdicts (family-wise error); Benjamini and
Hochberg's controls the expected share of false findings among exploratory results (false
discovery rate). Missing p-values stay missing and do not count as tests.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from statsmodels.stats.multitest import multipletests

__all__ = ["Adjustment", "adjusted_p_values"]

Adjustment = Literal["holm", "fdr_bh"]


def adjusted_p_values(p_values, method: Adjustment) -> np.ndarray:
    """`p_values` adjusted by `method` ("holm" or "fdr_bh"), NaN where the input is NaN."""
    values = np.asarray(p_values, dtype=float)
    out = np.full(values.shape, np.nan)
    known = np.isfinite(values)
    if known.any():
        out[known] = multipletests(values[known], method=method)[1]
    return out
