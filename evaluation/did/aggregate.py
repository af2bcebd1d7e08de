"""Aggregate group-time effects ATT(g,t) as R `did::aggte` defines them.

With p_g the share of all units in cohort g:

- "simple": post-treatment cells (t >= g) averaged with weights p_g.
- "group": theta(g) = plain mean of cohort g's post cells; overall = theta(g)
  averaged with weights p_g.
- "dynamic": theta(e) = cells with t - g = e averaged with weights p_g (pre
  periods included for the event-study plot); overall = plain mean over e >= 0.
- "calendar": theta(t) = post cells in period t averaged with weights p_g;
  overall = plain mean over periods.

Weights estimated from the sample add their own influence term (`_weight_if`),
so the aggregate SEs account for the uncertainty in the cohort shares. With sampling
weights, p_g is the weighted share, mean(w_i 1{G_i = g}) with w rescaled to mean 1, as R
`aggte` computes it. With a cluster variable, SEs and the detail covariance come from
cluster sums of the influence functions (`evaluation.did.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.did.inference import analytic_se, covariance, multiplier_bootstrap
from evaluation.did.results import AggregateResult, AggregationKind
from evaluation.options import check_option
from evaluation.results import normal_interval


@dataclass(frozen=True, eq=False)
class GroupTimeCore:
    """What aggregation needs from `staggered`: cells, influence functions, settings."""

    att: np.ndarray  # (k,) cell estimates
    group: np.ndarray  # (k,) cohort of each cell
    time: np.ndarray  # (k,) period of each cell
    psi: np.ndarray  # (n, k) influence functions
    unit_group: np.ndarray  # (n,) cohort of each unit, 0 = never treated
    alpha: float
    bootstrap: int
    seed: int | None
    control_group: str
    estimation_method: str
    anticipation: int = 0
    unit_weight: np.ndarray | None = None  # (n,) sampling weights with mean 1; None: all 1
    cluster: np.ndarray | None = None  # (n,) cluster codes 0..G-1; None: units are independent

    @property
    def n_units(self) -> int:
        return self.psi.shape[0]

    @property
    def n_clusters(self) -> int | None:
        return None if self.cluster is None else int(self.cluster.max()) + 1

    def share(self, g: float) -> float:
        """(Weighted) share of all units in cohort g."""
        if self.unit_weight is None:
            return float(np.mean(self.unit_group == g))
        return float(np.mean(self.unit_weight * (self.unit_group == g)))

    def group_size(self, g: float) -> int:
        return int(np.sum(self.unit_group == g))


@dataclass(frozen=True)
class _Piece:
    """One aggregated parameter: label, estimate, influence function, treated units."""

    label: float
    estimate: float
    psi: np.ndarray
    n: int


def _weight_if(core: GroupTimeCore, groups: np.ndarray, att: np.ndarray) -> np.ndarray:
    """Influence of estimating w_j = p_{g_j} / sum_l p_{g_l}, applied to `att` (n,).

    Delta method: with S = sum_j p_{g_j} and A = sum_j p_{g_j} att_j, the term is
    sum_j att_j [(1{G_i = g_j} - p_{g_j}) / S - p_{g_j} / S^2 sum_l (1{G_i = g_l} - p_{g_l})],
    computed per unit from the cells of its own cohort (w_i 1{G_i = g} with sampling weights).
    """
    shares = np.array([core.share(g) for g in groups])
    total, weighted = shares.sum(), shares @ att
    labels, position = np.unique(groups, return_inverse=True)
    att_sum = np.bincount(position, weights=att, minlength=len(labels))
    n_cells = np.bincount(position, minlength=len(labels)).astype(float)
    unit_group = pd.Series(core.unit_group)
    own_att = unit_group.map(dict(zip(labels, att_sum, strict=True))).fillna(0.0).to_numpy()
    own_cells = unit_group.map(dict(zip(labels, n_cells, strict=True))).fillna(0.0).to_numpy()
    if core.unit_weight is not None:
        own_att, own_cells = core.unit_weight * own_att, core.unit_weight * own_cells
    return (own_att - weighted) / total - weighted / total**2 * (own_cells - total)


def _share_weighted(core: GroupTimeCore, cells: np.ndarray, label: float) -> _Piece:
    """Cells averaged with cohort-share weights, including the weights' influence."""
    groups = core.group[cells]
    shares = np.array([core.share(g) for g in groups])
    weights = shares / shares.sum()
    att = core.att[cells]
    psi = core.psi[:, cells] @ weights + _weight_if(core, groups, att)
    n = sum(core.group_size(g) for g in np.unique(groups))
    return _Piece(label, float(weights @ att), psi, n)


def _plain_mean(pieces: list[_Piece], label: float = np.nan) -> _Piece:
    """Equal-weight mean of already aggregated pieces."""
    estimate = float(np.mean([p.estimate for p in pieces]))
    psi = np.mean([p.psi for p in pieces], axis=0)
    return _Piece(label, estimate, psi, max(p.n for p in pieces))


def _by_group(core: GroupTimeCore) -> tuple[list[_Piece], _Piece]:
    pieces = []
    for g in np.unique(core.group):
        cells = np.flatnonzero((core.group == g) & (core.time >= g))
        if cells.size:
            psi = core.psi[:, cells].mean(axis=1)
            pieces.append(_Piece(g, float(core.att[cells].mean()), psi, core.group_size(g)))
    groups = np.array([p.label for p in pieces])
    shares = np.array([core.share(g) for g in groups])
    weights = shares / shares.sum()
    att = np.array([p.estimate for p in pieces])
    psi = np.column_stack([p.psi for p in pieces]) @ weights + _weight_if(core, groups, att)
    overall = _Piece(np.nan, float(weights @ att), psi, sum(p.n for p in pieces))
    return pieces, overall


def _by_event_time(core: GroupTimeCore) -> tuple[list[_Piece], _Piece]:
    event = core.time - core.group
    pieces = [_share_weighted(core, np.flatnonzero(event == e), e) for e in np.unique(event)]
    return pieces, _plain_mean([p for p in pieces if p.label >= 0])


def _by_calendar(core: GroupTimeCore) -> tuple[list[_Piece], _Piece]:
    post = core.time >= core.group
    periods = np.unique(core.time[post])
    pieces = [_share_weighted(core, np.flatnonzero(post & (core.time == t)), t) for t in periods]
    return pieces, _plain_mean(pieces)


def _simple(core: GroupTimeCore) -> tuple[list[_Piece], _Piece]:
    overall = _share_weighted(core, np.flatnonzero(core.time >= core.group), np.nan)
    return [], overall


_AGGREGATORS = {
    "simple": _simple,
    "group": _by_group,
    "dynamic": _by_event_time,
    "calendar": _by_calendar,
}
_KEY = {"group": "group", "dynamic": "event_time", "calendar": "time"}
_TERM = {
    "simple": "ATT (simple)",
    "group": "ATT (group)",
    "dynamic": "ATT (dynamic, e>=0)",
    "calendar": "ATT (calendar)",
}


def _inference(core: GroupTimeCore, psi: np.ndarray) -> tuple[np.ndarray, float]:
    """SEs of each column and the critical value for a band over all columns.

    Bootstrap draws are regenerated from the result's seed, so every aggregate
    uses the same multipliers as the cells.
    """
    if core.bootstrap == 0:
        return analytic_se(psi, core.cluster), float(stats.norm.ppf(1 - core.alpha / 2))
    boot = multiplier_bootstrap(psi, core.bootstrap, core.seed, core.alpha, core.cluster)
    return boot.std_error, boot.critical_value


def _detail_frame(kind: str, pieces: list[_Piece], core: GroupTimeCore):
    """Per-row table with (uniform when bootstrapped) bands, and the critical value used."""
    if not pieces:
        return None, float("nan")
    se, crit = _inference(core, np.column_stack([p.psi for p in pieces]))
    est = np.array([p.estimate for p in pieces])
    frame = pd.DataFrame(
        {
            _KEY[kind]: [p.label for p in pieces],
            "estimate": est,
            "std_error": se,
            "ci_lower": est - crit * se,
            "ci_upper": est + crit * se,
            "n": [p.n for p in pieces],
        }
    )
    return frame, crit


def aggregate(core: GroupTimeCore, kind: AggregationKind) -> AggregateResult:
    """Overall summary and per-row detail for one aggregation type."""
    check_option("kind", kind, AggregationKind)
    pieces, overall = _AGGREGATORS[kind](core)
    detail, crit = _detail_frame(kind, pieces, core)
    se = float(_inference(core, overall.psi[:, None])[0][0])
    lower, upper = normal_interval(overall.estimate, se, core.alpha)
    psi = np.column_stack([p.psi for p in pieces]) if pieces else np.empty((core.n_units, 0))
    return AggregateResult(
        term=_TERM[kind],
        estimate=overall.estimate,
        std_error=se,
        ci_lower=lower,
        ci_upper=upper,
        n=core.n_units,
        alpha=core.alpha,
        method=f"Callaway & Sant'Anna aggregation ({kind})",
        kind=kind,
        detail=detail,
        critical_value=crit,
        control_group=core.control_group,
        estimation_method=core.estimation_method,
        bootstrap=core.bootstrap,
        seed=core.seed,
        detail_covariance=covariance(psi, core.cluster),
        n_clusters=core.n_clusters,
    )
