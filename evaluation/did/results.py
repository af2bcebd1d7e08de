"""Frozen result classes of the difference-in-differences family.

Every class inherits `EstimateResult`: the headline estimate with its interval,
plus the method's diagnostics as extra fields. Tables are frames, declared
`compare=False` so that equality and hashing stay on the scalar fields.
Private fields (leading underscore) carry what a later step needs, such as the
influence functions that `GroupTimeResult.aggregate` reuses; they are left out
of `diagnostics()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evaluation.results import FRAME_COLUMNS, EstimateResult

if TYPE_CHECKING:
    from evaluation.did.aggregate import GroupTimeCore

AggregationKind = Literal["simple", "group", "dynamic", "calendar"]


def _frame_field() -> Any:
    """A table-valued field: not in repr, equality or hash."""
    return field(default=None, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class WaldTest:
    """Joint Wald test that a set of coefficients is zero (chi-squared reference)."""

    statistic: float
    df: int
    p_value: float


class _PublicDiagnostics:
    """Mixin: `diagnostics()` without the private fields a later step needs."""

    def diagnostics(self) -> dict:
        found = EstimateResult.diagnostics(self)  # type: ignore[arg-type]
        return {k: v for k, v in found.items() if not k.startswith("_")}


@dataclass(frozen=True, kw_only=True)
class DiDResult(_PublicDiagnostics, EstimateResult):
    """Regression DiD (2x2 or two-way fixed effects): the treatment coefficient.

    `coefficients` holds every regressor's row (term, estimate, std_error,
    ci_lower, ci_upper); `cell_means` is the 2x2 table of outcome means and
    counts (two-by-two only).
    """

    se_type: str
    n_clusters: int | None = None
    n_units: int | None = None
    n_periods: int | None = None
    coefficients: pd.DataFrame = _frame_field()
    cell_means: pd.DataFrame | None = _frame_field()


@dataclass(frozen=True, kw_only=True)
class EventStudyResult(_PublicDiagnostics, EstimateResult):
    """TWFE event study: the headline is the mean of the post-period coefficients.

    `coefficients` has one row per event time (the omitted reference period is
    included with estimate 0 and no standard error, flagged `reference`).
    `to_frame()` gives the same rows with terms like "e=-2".
    """

    coefficients: pd.DataFrame = _frame_field()
    pretrend_test: WaldTest | None = None
    leads: int = 0
    lags: int = 0
    reference: int = -1
    endpoints: str = "binned"
    se_type: str = "cluster"
    n_clusters: int | None = None
    n_units: int | None = None

    def rows(self) -> list[dict]:
        table = self.coefficients.assign(term=[f"e={e}" for e in self.coefficients.event_time])
        return table[FRAME_COLUMNS].to_dict("records")


@dataclass(frozen=True, kw_only=True)
class AggregateResult(_PublicDiagnostics, EstimateResult):
    """One `aggte`-style summary of group-time effects.

    `detail` has one row per group, event time or calendar period (key column
    `group`, `event_time` or `time`) with estimate, std_error, ci_lower, ci_upper
    (a uniform band when bootstrapped) and n (treated units behind the row).
    `to_frame()` gives the overall row first, then the detail rows.
    """

    kind: str
    detail: pd.DataFrame | None = _frame_field()
    critical_value: float = float("nan")
    control_group: str = ""
    estimation_method: str = ""
    bootstrap: int = 0
    seed: int | None = None
    detail_covariance: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Analytic covariance of the detail rows' estimates (from their influence functions, summed
    within clusters when clustered): what a joint test or a parallel-trends sensitivity analysis
    of an event study needs."""
    n_clusters: int | None = None

    def rows(self) -> list[dict]:
        head = super().rows()
        if self.detail is None or self.detail.empty:
            return head
        key = self.detail.columns[0]
        prefix = {"group": "g", "event_time": "e", "time": "t"}[key]
        table = self.detail.assign(term=[f"{prefix}={v:g}" for v in self.detail[key]])
        return head + table[FRAME_COLUMNS].to_dict("records")


@dataclass(frozen=True, kw_only=True)
class GroupTimeResult(_PublicDiagnostics, EstimateResult):
    """Callaway & Sant'Anna group-time effects; the headline is the simple aggregate.

    `att_gt` has one row per (group, time) cell: estimate, std_error, a
    (uniform when bootstrapped) interval, n (units in the comparison), n_treated
    and `post` (time >= group). `pretrend_test` is the joint Wald test that all
    pre-treatment cells are zero. Call `aggregate(kind)` for the other summaries.
    `weights` and `cluster` name the sampling-weight and cluster columns used (None: none;
    `n_clusters` counts the clusters); `n_dropped_incomplete` counts units dropped because
    they were missing in some period or had missing values (R did's balancing).
    """

    att_gt: pd.DataFrame = _frame_field()
    pretrend_test: WaldTest | None = None
    control_group: str = "never_treated"
    estimation_method: str = "dr"
    anticipation: int = 0
    bootstrap: int = 0
    seed: int | None = None
    critical_value: float = float("nan")
    n_units: int = 0
    n_dropped_always_treated: int = 0
    n_dropped_incomplete: int = 0
    weights: str | None = None
    cluster: str | None = None
    n_clusters: int | None = None
    groups: tuple[float, ...] = ()
    periods: tuple[float, ...] = ()
    _core: GroupTimeCore | None = field(default=None, repr=False, compare=False)

    def aggregate(self, kind: AggregationKind = "group") -> AggregateResult:
        """Summarise the cells as R did's `aggte(type=kind)` does (see `aggregate.py`)."""
        from evaluation.did.aggregate import aggregate

        if self._core is None:  # a result built by hand, not by staggered()
            raise ValueError("aggregate() needs the group-time cells that staggered() keeps with its result")
        return aggregate(self._core, kind)

    def rows(self) -> list[dict]:
        head = super().rows()
        cells = self.att_gt.assign(
            term=[f"ATT({g:g},{t:g})" for g, t in zip(self.att_gt.group, self.att_gt.time, strict=True)]
        )
        return head + cells[FRAME_COLUMNS].to_dict("records")


def coefficient_frame(names, estimates, std_errors, crit: float) -> pd.DataFrame:
    """Tidy coefficient table with symmetric intervals at critical value `crit`."""
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    return pd.DataFrame(
        {
            "term": list(names),
            "estimate": est,
            "std_error": se,
            "ci_lower": est - crit * se,
            "ci_upper": est + crit * se,
        }
    )
