"""Callaway & Sant'Anna (2021) group-time average treatment effects for (balanced) panels.

Compute step of compute -> aggregate -> present: `staggered` estimates every
ATT(g,t) with its influence function; `GroupTimeResult.aggregate` summarises.

Conventions follow R `did::att_gt` defaults (base_period="varying"):

- A cell (g, t) exists for every cohort g and every period t after the first.
  Post cells (t >= g) compare Y_t with Y at the last period before g - anticipation
  (a long difference); pre cells compare Y_t with Y_{t-1} (a short difference).
- Controls: never-treated units, or under "not_yet_treated" also units with
  g' > t + anticipation (other than cohort g itself).
- Covariates enter at the base period of each comparison.
- Units treated in the first period (g <= first period + anticipation) have no
  untreated base and are dropped; units first treated after the last period count
  as never treated. With "not_yet_treated" and no never-treated units, periods
  from the last cohort's start (less anticipation) are dropped and that cohort
  serves as the control, as R does.
- Unbalanced panels are balanced as R did does by default (allow_unbalanced_panel=FALSE):
  units missing in some period, or with a missing outcome, covariate, weight or cluster
  value, are dropped with a warning that counts them (`unbalanced="raise"` refuses instead).
- Sampling weights (R's `weightsname`), constant within unit, enter each 2x2 estimator
  (`evaluation.did.drdid`) and the cohort shares of the aggregates.
- A cluster column above the unit (R's `clustervars`), constant within unit, makes every
  SE, band, pre-test and covariance cluster-robust: influence functions are summed within
  clusters, analytically and in the multiplier bootstrap, as R did >= 2.5 does
  (`evaluation.did.inference`).

The panel is held wide (units x periods) so each cell is a few vector
operations; 20,000 units x 30 periods x 20 cohorts runs in seconds.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.did._checks import (
    check_alpha,
    check_numeric,
    check_unique_unit_time,
    covariate_list,
    listed,
)
from evaluation.did.aggregate import GroupTimeCore, aggregate
from evaluation.did.drdid import Method, did_panel
from evaluation.did.inference import analytic_se, covariance, multiplier_bootstrap
from evaluation.did.results import GroupTimeResult, WaldTest
from evaluation.errors import DesignError, OptionError
from evaluation.options import check_option, require_columns

ControlGroup = Literal["never_treated", "not_yet_treated"]
BasePeriod = Literal["varying", "universal"]
Unbalanced = Literal["drop", "raise"]


@dataclass(frozen=True, eq=False)
class _Panel:
    """Balanced panel held wide: outcome (n x T), covariates (n x T x k), cohorts (n), and per
    unit its sampling weight and cluster code (None when not given)."""

    units: np.ndarray
    periods: np.ndarray
    y: np.ndarray
    x: np.ndarray
    group: np.ndarray
    n_dropped: int = 0
    weight: np.ndarray | None = None
    cluster: np.ndarray | None = None

    def subset(self, keep_units: np.ndarray, keep_periods: np.ndarray, **changes) -> _Panel:
        """A copy restricted to some units and periods, with fields replaced by `changes`."""
        rows, cols = np.flatnonzero(keep_units), np.flatnonzero(keep_periods)
        fields: dict[str, Any] = {
            "units": self.units[rows],
            "periods": self.periods[cols],
            "y": self.y[np.ix_(rows, cols)],
            "x": self.x[rows][:, cols],
            "group": self.group[rows],
            "n_dropped": self.n_dropped,
            "weight": None if self.weight is None else self.weight[rows],
            "cluster": None if self.cluster is None else self.cluster[rows],
        }
        return _Panel(**(fields | changes))


def _balanced_codes(frame: pd.DataFrame, unit: str, time: str):
    """Integer codes of units and periods; DesignError naming units that break balance."""
    u_codes, units = pd.factorize(frame[unit], sort=True)
    t_codes, periods = pd.factorize(frame[time], sort=True)
    n, n_t = len(units), len(periods)
    counts = np.bincount(u_codes * n_t + t_codes, minlength=n * n_t).reshape(n, n_t)
    broken = np.flatnonzero((counts != 1).any(axis=1))
    if broken.size:
        raise DesignError(
            f"staggered needs a balanced panel (one row per unit and each of {n_t} periods); "
            f"{broken.size} unit(s) break this: {listed(units[broken])}",
            advice="drop or complete those units, or restrict to periods every unit is seen in",
        )
    return u_codes, t_codes, np.asarray(units), np.asarray(periods, dtype=float)


def _wide(values: np.ndarray, u_codes, t_codes, shape) -> np.ndarray:
    """Scatter long rows into a units x periods (x columns) array."""
    out = np.empty(shape + values.shape[1:])
    out[u_codes, t_codes] = values
    return out


def _unit_cohorts(frame, first_treated, u_codes, units) -> np.ndarray:
    """One first-treated period per unit (0 for never), checking it is constant."""
    g = np.nan_to_num(frame[first_treated].to_numpy(dtype=float), nan=0.0)
    per_unit = pd.Series(g).groupby(u_codes).agg(["min", "max"])
    varying = per_unit.index[per_unit["min"] != per_unit["max"]]
    if len(varying):
        raise DesignError(
            f"{first_treated!r} changes within unit(s) {listed(units[varying])}",
            advice="give each unit a single first-treated period (0 or NaN if never treated)",
        )
    return per_unit["min"].to_numpy()


def _missing_units(frame, columns, u_codes, units) -> None:
    """Missing outcome or covariate values make a unit unbalanced: name those units."""
    missing = frame[columns].isna().any(axis=1).to_numpy()
    if missing.any():
        bad = units[np.unique(u_codes[missing])]
        raise DesignError(
            f"missing values in {listed(columns)} for unit(s) {listed(bad)}; "
            "the panel is unbalanced for those units",
            advice="drop or complete those units before estimating",
        )


def _unit_values(values: np.ndarray, u_codes, units, column: str, advice: str) -> np.ndarray:
    """One value per unit of a numeric column that must not change within unit."""
    per_unit = pd.Series(values).groupby(u_codes).agg(["min", "max"])
    spread = per_unit["max"] - per_unit["min"]
    varying = per_unit.index[spread.abs() > 1e-9 * per_unit["max"].abs().clip(lower=1.0)]
    if len(varying):
        raise DesignError(f"{column!r} changes within unit(s) {listed(units[varying])}", advice=advice)
    return per_unit["min"].to_numpy()


def _unit_weights(frame, weights: str, u_codes, units) -> np.ndarray:
    """Sampling weights: finite, non-negative with a positive mean, one per unit."""
    values = frame[weights].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any() or values.mean() <= 0:
        raise DesignError(
            f"staggered: weights column {weights!r} must be finite and non-negative with a positive mean",
            advice="check the sampling weights",
        )
    return _unit_values(values, u_codes, units, weights, "give each unit one sampling weight")


def _unit_clusters(frame, cluster: str, u_codes, units) -> np.ndarray:
    """Cluster codes 0..G-1, one per unit; the cluster must not change within unit."""
    codes = pd.factorize(frame[cluster], sort=True)[0].astype(float)
    advice = "use a cluster that contains whole units (e.g. the area a person was referred in)"
    return _unit_values(codes, u_codes, units, cluster, advice).astype(np.int64)


def _balance(frame: pd.DataFrame, *, unit: str, time: str, used: list[str]) -> tuple[pd.DataFrame, int]:
    """Rows of the units seen, with complete values, in every period; warns naming the others.

    As R did's pre-processing: rows with a missing used value go first (the periods are those
    of the remaining rows), then units not seen in every period (BMisc::makeBalancedPanel).
    """
    check_unique_unit_time(frame, unit, time, where="staggered")
    complete = frame[[unit, time, *used]].notna().all(axis=1)
    if not complete.any():
        raise DesignError("staggered: every row has a missing value", advice="check the columns used")
    n_periods = frame.loc[complete, time].nunique()
    seen = frame.loc[complete].groupby(unit, sort=True)[time].nunique()
    all_units = pd.Index(frame[unit].dropna().unique())
    flawed = frame.loc[~complete, unit].dropna().unique()
    keep = seen.index[seen == n_periods].difference(pd.Index(flawed))
    dropped = all_units.difference(keep)
    if len(keep) == 0:
        raise DesignError(
            f"staggered: no unit is seen with complete values in all {n_periods} periods",
            advice="check the time column and missing values, or restrict to fewer periods",
        )
    if len(dropped):
        warnings.warn(
            f"staggered: {len(dropped)} of {len(all_units)} units are missing in some of the "
            f"{n_periods} periods or have missing values, and were dropped to balance the panel "
            f"(as R did does by default): {listed(dropped.sort_values())}",
            UserWarning,
            stacklevel=4,  # the caller of staggered
        )
    rows = frame[unit].isin(keep).to_numpy() & complete.to_numpy()
    return frame.loc[rows], len(dropped)


def _build_panel(
    frame,
    *,
    outcome,
    unit,
    time,
    first_treated,
    covariates,
    weights=None,
    cluster=None,
    unbalanced: str = "drop",
) -> tuple[_Panel, int]:
    """Validate and pivot the long frame into a `_Panel` (the input is not modified); also the
    number of units dropped to balance it."""
    extra = [c for c in (weights, cluster) if c is not None]
    n_incomplete = 0
    if unbalanced == "drop":
        frame, n_incomplete = _balance(frame, unit=unit, time=time, used=[outcome, *covariates, *extra])
    u_codes, t_codes, units, periods = _balanced_codes(frame, unit, time)
    _missing_units(frame, [outcome, *covariates, *extra], u_codes, units)
    shape = (len(units), len(periods))
    y = _wide(frame[outcome].to_numpy(dtype=float), u_codes, t_codes, shape)
    x = _wide(frame[covariates].to_numpy(dtype=float).reshape(len(frame), -1), u_codes, t_codes, shape)
    group = _unit_cohorts(frame, first_treated, u_codes, units)
    panel = _Panel(
        units=units,
        periods=periods,
        y=y,
        x=x,
        group=group,
        weight=None if weights is None else _unit_weights(frame, weights, u_codes, units),
        cluster=None if cluster is None else _unit_clusters(frame, cluster, u_codes, units),
    )
    return panel, n_incomplete


def _recode_cohorts(panel: _Panel, anticipation: int, control_group: str) -> _Panel:
    """Late cohorts become never treated; always-treated units go; not-yet fallback."""
    group = np.where(panel.group > panel.periods[-1], 0.0, panel.group)
    always = (group > 0) & (group <= panel.periods[0] + anticipation)
    panel = panel.subset(
        ~always,
        np.ones(len(panel.periods), bool),
        group=group[~always],
        n_dropped=panel.n_dropped + int(always.sum()),
    )
    cohorts = np.unique(panel.group[panel.group > 0])
    if cohorts.size == 0:
        raise DesignError(
            "no treated cohort has a pre-treatment period in the data",
            advice="check first_treated against the time column",
        )
    if (panel.group == 0).any():
        return panel
    if control_group == "never_treated":
        raise DesignError(
            "no never-treated units (first_treated 0 or NaN) to serve as controls",
            advice="use control_group='not_yet_treated' to compare with units treated later",
        )
    last = cohorts[-1]
    keep = panel.periods < last - anticipation
    group = np.where(panel.group == last, 0.0, panel.group)
    return _recode_cohorts(
        panel.subset(np.ones(len(group), bool), keep, group=group), anticipation, control_group
    )


@dataclass(frozen=True)
class _Cell:
    """One ATT(g,t): cohort, period, and column indices of the period and its base."""

    group: float
    time: float
    t_index: int
    base_index: int


def _cells(panel: _Panel, anticipation: int, base_period: str = "varying") -> list[_Cell]:
    """Every (g, t) with its base period: g - 1 - anticipation if post; before the start, t - 1
    ("varying", R did's default) or g - 1 - anticipation too ("universal", an event study with one
    reference period, whose own cell is 0)."""
    cells = []
    for g in np.unique(panel.group[panel.group > 0]):
        long_base = int(np.flatnonzero(panel.periods + anticipation < g)[-1])
        first = 1 if base_period == "varying" else 0  # the first period has no period before it
        for j in range(first, len(panel.periods)):
            t = panel.periods[j]
            short = j - 1 if base_period == "varying" else long_base
            cells.append(_Cell(g, t, j, long_base if g <= t else short))
    return cells


def _controls(group: np.ndarray, cell: _Cell, anticipation: int, control_group: str) -> np.ndarray:
    """Comparison units of a cell: never treated, or also not yet treated by t + anticipation."""
    never = group == 0
    if control_group == "never_treated":
        return never
    return never | ((group > cell.time + anticipation) & (group != cell.group))


def _estimate_cell(panel, cell, control_group, anticipation, method, psi_out):
    """ATT(g,t); writes its n-scaled influence function on all units into `psi_out`."""
    treated = panel.group == cell.group
    control = _controls(panel.group, cell, anticipation, control_group)
    idx = np.flatnonzero(treated | control)
    if not control[idx].any():
        raise DesignError(
            f"no control units for ATT({cell.group:g},{cell.time:g})",
            advice="use control_group='never_treated' or add comparison units",
        )
    dy = panel.y[idx, cell.t_index] - panel.y[idx, cell.base_index]
    x = np.column_stack([np.ones(len(idx)), panel.x[idx, cell.base_index]])
    weights = None if panel.weight is None else panel.weight[idx]
    att, inf = did_panel(dy, treated[idx].astype(float), x, method, weights)
    psi_out[idx] = inf * len(panel.group) / len(idx)
    return att, len(idx), int(treated.sum())


def _pretrend(att, psi, pre, cluster=None) -> WaldTest | None:
    """R did's Wald pre-test: n * att' V^-1 att over pre-treatment cells, V = psi'psi / n (from
    cluster sums when clustered, as R did >= 2.5 does with analytic clustered SEs)."""
    keep = pre & np.isfinite(analytic_se(psi, cluster))
    if not keep.any():
        return None
    if cluster is None:
        n = psi.shape[0]
        cov = psi[:, keep].T @ psi[:, keep] / n**2
    else:
        cov = covariance(psi[:, keep], cluster)
    if np.linalg.matrix_rank(cov) < keep.sum():
        return None  # more pre-period cells than the units can inform (R did also declines: singular matrix)
    try:
        stat = float(att[keep] @ np.linalg.solve(cov, att[keep]))
    except np.linalg.LinAlgError:
        return None
    df = int(keep.sum())
    return WaldTest(statistic=stat, df=df, p_value=float(stats.chi2.sf(stat, df)))


def _check_settings(
    control_group, method, anticipation, bootstrap, alpha, base_period="varying", unbalanced="drop"
) -> None:
    """Options against their Literal types; counts must be non-negative integers."""
    check_option("control_group", control_group, ControlGroup)
    check_option("base_period", base_period, BasePeriod)
    check_option("unbalanced", unbalanced, Unbalanced)
    check_option("method", method, Method)
    check_alpha(alpha)
    for name, value in {"anticipation": anticipation, "bootstrap": bootstrap}.items():
        if not isinstance(value, int | np.integer) or value < 0:
            raise OptionError(f"{name}={value!r} must be a non-negative integer")


def staggered(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    control_group: ControlGroup = "never_treated",
    covariates: str | Sequence[str] | None = None,
    method: Method = "dr",
    anticipation: int = 0,
    alpha: float = 0.05,
    bootstrap: int = 999,
    seed: int | None = None,
    base_period: BasePeriod = "varying",
    weights: str | None = None,
    cluster: str | None = None,
    unbalanced: Unbalanced = "drop",
) -> GroupTimeResult:
    """Group-time ATTs (Callaway & Sant'Anna 2021) with influence-function inference.

    `first_treated` holds each unit's first treated period (0 or NaN: never).
    `method` picks the 2x2 estimator ("dr" as R did's default, "reg", "ipw").
    With `bootstrap` > 0, SEs come from that many multiplier-bootstrap draws
    (Mammen weights, seeded by `seed`) and intervals are uniform sup-t bands over
    all cells; `bootstrap=0` gives analytic SEs and pointwise intervals. The
    headline is the "simple" aggregate; see `GroupTimeResult.aggregate`. `base_period` is R
    did's: "varying" compares each period before the start with the one before it;
    "universal" compares every period with the last one before the start (the event study that
    parallel-trends sensitivity analysis, `evaluation.sensitivity.honest`, needs).

    `weights` names a column of sampling weights (R did's `weightsname`; constant within unit):
    they weight each 2x2 comparison and the cohort shares. `cluster` names a column grouping
    units (R did's `clustervars`, e.g. an area; constant within unit): SEs, bands, the pre-test
    and covariances are then cluster-robust, from influence functions summed within clusters
    (analytic and bootstrap alike, as R did >= 2.5). `unbalanced="drop"` (R did's default)
    drops units missing in some period or with missing values, with a warning counting them;
    "raise" refuses such a panel.
    """
    covs = covariate_list(covariates)
    _check_settings(control_group, method, anticipation, bootstrap, alpha, base_period, unbalanced)
    where = "staggered"
    names = {"outcome": outcome, "unit": unit, "time": time, "first_treated": first_treated}
    optional = {"weights": weights, "cluster": cluster}
    names |= {k: v for k, v in optional.items() if v is not None}
    require_columns(frame, names | {f"covariates[{i}]": c for i, c in enumerate(covs)}, where=where)
    check_numeric(frame, [outcome, time, first_treated, *covs, *([weights] if weights else [])], where=where)
    panel, n_incomplete = _build_panel(
        frame,
        outcome=outcome,
        unit=unit,
        time=time,
        first_treated=first_treated,
        covariates=covs,
        weights=weights,
        cluster=cluster,
        unbalanced=unbalanced,
    )
    panel = _recode_cohorts(panel, anticipation, control_group)
    cells = _cells(panel, anticipation, base_period)
    psi = np.zeros((len(panel.group), len(cells)), order="F")  # one column per cell
    fits = [
        _estimate_cell(panel, c, control_group, anticipation, method, psi[:, k]) for k, c in enumerate(cells)
    ]
    if bootstrap and seed is None:
        seed = secrets.randbits(63)  # fresh entropy from the OS, kept with the result
    core = GroupTimeCore(
        att=np.array([f[0] for f in fits]),
        group=np.array([c.group for c in cells]),
        time=np.array([c.time for c in cells]),
        psi=psi,
        unit_group=panel.group,
        alpha=float(alpha),
        bootstrap=int(bootstrap),
        seed=seed,
        control_group=control_group,
        estimation_method=method,
        anticipation=anticipation,
        unit_weight=None if panel.weight is None else panel.weight / panel.weight.mean(),
        cluster=None if panel.cluster is None else np.unique(panel.cluster, return_inverse=True)[1],
    )
    return _result(core, panel, fits, weights=weights, cluster=cluster, n_incomplete=n_incomplete)


def _result(
    core: GroupTimeCore,
    panel: _Panel,
    fits,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    n_incomplete: int = 0,
) -> GroupTimeResult:
    """Cell table with SEs and bands, pre-test and the simple-aggregate headline; the weight and
    cluster columns and the number of units dropped to balance the panel are recorded."""
    if core.bootstrap:
        boot = multiplier_bootstrap(core.psi, core.bootstrap, core.seed, core.alpha, core.cluster)
        se, crit = boot.std_error, boot.critical_value
    else:
        se, crit = analytic_se(core.psi, core.cluster), float(stats.norm.ppf(1 - core.alpha / 2))
    table = pd.DataFrame(
        {
            "group": core.group,
            "time": core.time,
            "estimate": core.att,
            "std_error": se,
            "ci_lower": core.att - crit * se,
            "ci_upper": core.att + crit * se,
            "n": [f[1] for f in fits],
            "n_treated": [f[2] for f in fits],
            "post": core.time >= core.group,
        }
    )
    simple = aggregate(core, "simple")
    return GroupTimeResult(
        term=simple.term,
        estimate=simple.estimate,
        std_error=simple.std_error,
        ci_lower=simple.ci_lower,
        ci_upper=simple.ci_upper,
        n=core.n_units,
        alpha=core.alpha,
        method=f"Callaway & Sant'Anna group-time ATT ({core.estimation_method})",
        att_gt=table,
        pretrend_test=_pretrend(core.att, core.psi, core.time < core.group, core.cluster),
        control_group=core.control_group,
        estimation_method=core.estimation_method,
        anticipation=core.anticipation,
        bootstrap=core.bootstrap,
        seed=core.seed,
        critical_value=crit,
        n_units=core.n_units,
        n_dropped_always_treated=panel.n_dropped,
        n_dropped_incomplete=n_incomplete,
        weights=weights,
        cluster=cluster,
        n_clusters=core.n_clusters,
        groups=tuple(float(g) for g in np.unique(core.group)),
        periods=tuple(float(t) for t in panel.periods),
        _core=core,
    )
