"""Inference with few clusters for area designs: wild cluster bootstrap, randomisation inference,
t critical values on G - 1 degrees of freedom, and a rule for when there are too few.

Why: an area comparison has tens of local authorities and a handful of treated ones. Normal
critical values and cluster-robust SEs then claim too much (in our area simulation, 7 treated
and 18 comparison areas with AR(1) shocks, 95% intervals covered about 89-93% of the time).

- `wild_cluster_bootstrap`: the restricted wild cluster bootstrap-t (WCR) for one OLS
  coefficient with the CR1 standard error, Webb six-point or Rademacher weights, full
  enumeration when every weight vector can be listed, a symmetric two-sided p-value and a
  confidence interval by test inversion with the same draws. The bootstrap statistic is computed
  as in Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and wild: bootstrap inference in Stata
  using boottest", Stata Journal 19(1), section 5): per-cluster scores are reduced to a vector C
  and a G x G matrix H, so each draw costs O(G^2) whatever the number of observations; both are
  linear in the null value, so the p-value at any null costs O(B) once five length-B vectors
  are stored.
- `randomisation_inference`: re-assigns the areas' start periods (the vector of first-treated
  periods, 0 = never) across areas, every distinct assignment when there are few enough, else a
  seeded random sample (Fisher's exact test of the sharp null; MacKinnon & Webb 2020,
  "Randomization inference for difference-in-differences with few treated clusters", Journal of
  Econometrics 218(2)).
- `cluster_t_interval`: CR1 interval with t(G - 1) critical values (Bester, Conley & Hansen 2011;
  Cameron & Miller 2015, "A practitioner's guide to cluster-robust inference", section VI).
- `few_cluster_check`: whether the numbers of treated and comparison clusters support any of
  these (MacKinnon & Webb 2017, "Wild bootstrap inference for wildly different cluster sizes",
  Journal of Applied Econometrics 32(2); MacKinnon & Webb 2018, "The wild bootstrap for few
  (treated) clusters", Econometrics Journal 21(2); Webb 2023, "Reworking wild bootstrap-based
  inference for clustered errors", Canadian Journal of Economics 56(3), Queen's working paper
  1315 in 2014). It returns numbers and codes; the report layer words them.
- `twfe_design` and `cs_simple_design`: an area panel (units x periods, first-treated period per
  unit) as the regression whose coefficient is the two-way fixed-effects estimate or the
  Callaway & Sant'Anna simple aggregate (never-treated comparisons), so the methods above apply
  to the area headline.

Conventions: CR1 = CR0 x G/(G-1) x (N-1)/(N-K), as statsmodels and `evaluation.did.regression`
(and boottest's default small-sample factor); bootstrap p-value = share of draws with
|t*| > |t| (ties, such as the all-equal weight vectors under enumeration, do not count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations, product
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import stats

from evaluation.errors import DesignError, OptionError
from evaluation.options import check_option

__all__ = [
    "AreaInference",
    "MIN_CONTROL_CLUSTERS",
    "MIN_TREATED_CLUSTERS",
    "RADEMACHER_MIN_CLUSTERS",
    "RI_MIN_REJECTION_ASSIGNMENTS",
    "RADEMACHER_WEIGHTS",
    "WEBB_WEIGHTS",
    "ClusterTInterval",
    "FewClusterCheck",
    "FewClusterIssue",
    "RandomisationResult",
    "RegressionDesign",
    "WildBootstrapResult",
    "area_inference",
    "cluster_t_interval",
    "count_assignments",
    "cs_simple_design",
    "few_cluster_check",
    "randomisation_inference",
    "twfe_design",
    "wild_cluster_bootstrap",
]

WeightType = Literal["webb", "rademacher"]

WEBB_WEIGHTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
"""Webb's six-point distribution, each point with probability 1/6: mean 0, variance 1, fourth
moment 7/6 (Webb 2023). With few clusters it gives 6^G rather than 2^G distinct draws."""
RADEMACHER_WEIGHTS = np.array([-1.0, 1.0])
_WEIGHTS: dict[str, np.ndarray] = {"webb": WEBB_WEIGHTS, "rademacher": RADEMACHER_WEIGHTS}

MIN_TREATED_CLUSTERS = 4
"""Fewest treated clusters for any interval here (t(G-1), WCR or RI). MacKinnon & Webb (2017,
2018) show WCR under-rejecting severely and CR1-t over-rejecting with very few treated clusters.
In `bench/bench_few_cluster_coverage.py` (Callaway & Sant'Anna area estimate, 18 comparison
areas, AR(1) shocks with autocorrelation 0.8, 500 panels each) the WCR interval never excludes
the truth with 1 or 2 treated areas because it is uninformative (median width 32 and 18 points,
against 1.0 and 1.9 for t(G-1)), covers 96% with 3 but at 2.3 times the t(G-1) width, then 94%
with 4 and 95% with 5 at 1.2 times. t(G-1) alone covers 89% with 4 and 93% with 5 treated areas,
so it is reported beside the bootstrap, not instead of it."""
MIN_CONTROL_CLUSTERS = 4
"""The same bound for comparison clusters: what fails is a treatment dummy that is non-zero (or
zero) in very few clusters, so the failure is symmetric in treated and untreated clusters
(MacKinnon & Webb 2017, 2018); not simulated separately."""
RADEMACHER_MIN_CLUSTERS = 11
"""Fewest clusters for Rademacher weights: with fewer, 2^G draws leave p-values that are not
point-identified (Webb 2014/2023 finds them performing poorly with fewer than 11 clusters); use
Webb weights."""
RI_MIN_REJECTION_ASSIGNMENTS = 20
"""Assignments needed in the rejection region (alpha x number of assignments) for randomisation
inference: with k there, the attainable size floor(k)/n falls short of alpha by less than 1/k
(5% of alpha at 20). Below 1/alpha assignments the test cannot reject at all."""

_TIE = 1e-10  # relative tolerance treating two |t| values as equal (exact ties in exact arithmetic)


# ---------------------------------------------------------------- t critical values on G - 1


@dataclass(frozen=True, kw_only=True)
class ClusterTInterval:
    """CR1 interval and p-value from the t distribution with G - 1 degrees of freedom."""

    estimate: float
    std_error: float
    null: float
    df: int
    critical_value: float
    ci_lower: float
    ci_upper: float
    p_value: float
    alpha: float


def cluster_t_interval(
    estimate: float, std_error: float, n_clusters: int, *, alpha: float = 0.05, null: float = 0.0
) -> ClusterTInterval:
    """The cluster-robust interval with t(G - 1) rather than normal critical values.

    With G clusters the CR1 variance has at most G - 1 degrees of freedom, so t(G - 1) is the
    reference distribution (Bester, Conley & Hansen 2011); statsmodels' `use_t=True` does the same.
    """
    _check_alpha(alpha)
    if n_clusters < 2:
        raise OptionError(f"n_clusters={n_clusters} < 2")
    df = int(n_clusters) - 1
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    t_stat = (estimate - null) / std_error if std_error > 0 else float("nan")
    return ClusterTInterval(
        estimate=float(estimate),
        std_error=float(std_error),
        null=float(null),
        df=df,
        critical_value=crit,
        ci_lower=float(estimate - crit * std_error),
        ci_upper=float(estimate + crit * std_error),
        p_value=float(2 * stats.t.sf(abs(t_stat), df)),
        alpha=float(alpha),
    )


# ---------------------------------------------------------------- wild cluster bootstrap


@dataclass(frozen=True, kw_only=True)
class WildBootstrapResult:
    """WCR (or WCU) bootstrap-t test and interval for one OLS coefficient.

    `p_value` tests `null`; [`ci_lower`, `ci_upper`] is the set of nulls the bootstrap does not
    reject at `alpha` (infinite ends when it rejects none that far out). `cluster_t` is the
    CR1 t(G-1) interval of the same fit, reported beside it.
    """

    term: str
    estimate: float
    std_error: float
    t_stat: float
    null: float
    p_value: float
    ci_lower: float
    ci_upper: float
    alpha: float
    weights: str
    draws: int
    full_enumeration: bool
    impose_null: bool
    n: int
    n_clusters: int
    seed: int | None
    cluster_t: ClusterTInterval


@dataclass(frozen=True, eq=False)
class _BootstrapPaths:
    """The bootstrap t* as a function of the null value r, for fixed weight draws.

    numerator_b(r) = n0_b + r n1_b; squared CR1 SE_b(r) = ssc (d00_b + 2 r d01_b + r^2 d11_b).
    """

    n0: np.ndarray
    n1: np.ndarray
    d00: np.ndarray
    d01: np.ndarray
    d11: np.ndarray
    ssc: float
    estimate: float
    std_error: float

    def p_value(self, r: float) -> float:
        """Share of draws with |t*(r)| > |t(r)|, t(r) = (estimate - r) / SE."""
        numerator = self.n0 + r * self.n1
        variance = self.ssc * (self.d00 + 2 * r * self.d01 + r * r * self.d11)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_boot = np.abs(numerator) / np.sqrt(np.maximum(variance, 0.0))
        t_boot = np.where(np.isnan(t_boot), 0.0, t_boot)  # 0/0: a draw that moves nothing
        t_obs = abs(self.estimate - r) / self.std_error
        return float(np.mean(t_boot > t_obs * (1 + _TIE) + _TIE))


def _weight_draws(kind: str, n_clusters: int, draws: int, seed: int | None) -> tuple[np.ndarray, bool]:
    """G x B weights: every vector when (points)^G <= draws, else `draws` seeded draws."""
    points = _WEIGHTS[kind]
    if len(points) ** n_clusters <= draws:
        every = np.array(list(product(points, repeat=n_clusters)), dtype=float)
        return every.T, True
    rng = np.random.default_rng(seed)
    return points[rng.integers(0, len(points), size=(n_clusters, draws))], False


def _cluster_blocks(X: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int):
    """Per-cluster X_g'X_g (G x k x k) and X_g'y_g (G x k)."""
    k = X.shape[1]
    xx = np.empty((n_clusters, k, k))
    xy = np.empty((n_clusters, k))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_clusters + 1))
    for g in range(n_clusters):
        rows = order[bounds[g] : bounds[g + 1]]
        xg = X[rows]
        xx[g] = xg.T @ xg
        xy[g] = xg.T @ y[rows]
    return xx, xy


def _bootstrap_paths(
    X: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    j: int,
    v: np.ndarray,
    *,
    impose_null: bool,
    estimate: float,
    std_error: float,
) -> _BootstrapPaths:
    """Precompute the "Fast and wild" quantities for coefficient j and weights v (G x B)."""
    n, k = X.shape
    xx, xy = _cluster_blocks(X, y, codes, n_clusters)
    xtx_inv = np.linalg.inv(xx.sum(axis=0))
    beta = xtx_inv @ xy.sum(axis=0)
    a = xtx_inv[:, j]  # R (X'X)^-1 with R selecting coefficient j
    if impose_null:  # restricted beta(r) = b0 + r b1 satisfies beta_j(r) = r
        b1 = a / a[j]
        b0 = beta - b1 * beta[j]
    else:  # unrestricted: the bootstrap is centred on the estimate, whatever the null
        b0, b1 = beta, np.zeros(k)
    scores0 = xy - xx @ b0  # G x k cluster scores X_g'u_g at r = 0 ...
    scores1 = -(xx @ b1)  # ... and their slope in r
    m = np.einsum("ij,gjl,l->gi", xtx_inv, xx, a)  # m_h = (X'X)^-1 X_h'X_h a
    c0, c1 = scores0 @ a, scores1 @ a  # C_g(r) = a' s_g(r)
    h0, h1 = m @ scores0.T, m @ scores1.T  # H_hg(r) = m_h' s_g(r)
    z0 = c0[:, None] * v - h0 @ v  # R (X'X)^-1 X_h'u*_h for every draw, at r = 0 ...
    z1 = c1[:, None] * v - h1 @ v  # ... and its slope in r
    ssc = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return _BootstrapPaths(
        n0=c0 @ v,  # beta*_j - r (WCR) or beta*_j - beta_j (WCU, where every slope is 0)
        n1=c1 @ v,
        d00=np.einsum("gb,gb->b", z0, z0),
        d01=np.einsum("gb,gb->b", z0, z1),
        d11=np.einsum("gb,gb->b", z1, z1),
        ssc=ssc,
        estimate=estimate,
        std_error=std_error,
    )


def _invert(paths: _BootstrapPaths, alpha: float, start: float, side: int) -> float:
    """The null value where the bootstrap starts rejecting, going from the estimate to one side.

    Brackets the crossing by doubling the step, then bisects to 1e-9 standard errors; returns
    +/-inf when no rejection is found within 1e6 standard errors.
    """
    inside = paths.estimate
    step = start
    outside = inside + side * step
    while paths.p_value(outside) > alpha:
        inside, step = outside, 2 * step
        outside = paths.estimate + side * step
        if step > 1e6 * paths.std_error:
            return side * math.inf
    while abs(outside - inside) > 1e-9 * paths.std_error:
        middle = (inside + outside) / 2
        if paths.p_value(middle) > alpha:
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def _design_arrays(y: ArrayLike, X: ArrayLike | pd.DataFrame, param: int | str):
    """y, X as float arrays, the coefficient's column index and name."""
    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    x = np.asarray(X, dtype=float)
    yy = np.asarray(y, dtype=float).ravel()
    if x.ndim != 2 or x.shape[0] != yy.shape[0]:
        raise OptionError(f"X {x.shape} and y {yy.shape} do not conform")
    if isinstance(param, str):
        if names is None or param not in names:
            raise OptionError(f"param={param!r} not among the columns of X")
        j = names.index(param)
    else:
        j = int(param)
        if not 0 <= j < x.shape[1]:
            raise OptionError(f"param={param} outside 0..{x.shape[1] - 1}")
    term = names[j] if names is not None else f"x{j}"
    return yy, x, j, term


def wild_cluster_bootstrap(
    y: ArrayLike,
    X: ArrayLike | pd.DataFrame,
    clusters: ArrayLike,
    *,
    param: int | str,
    weights: WeightType = "webb",
    B: int = 9999,
    seed: int | None,
    impose_null: bool = True,
    null: float = 0.0,
    alpha: float = 0.05,
) -> WildBootstrapResult:
    """Wild cluster bootstrap-t for coefficient `param` of the OLS of y on X, clustered by `clusters`.

    Restricted (WCR, `impose_null=True`) by default, as MacKinnon & Webb recommend with few
    treated clusters. All (points)^G weight vectors are used when that is at most B (2^G for
    Rademacher, 6^G for Webb), which makes the p-value deterministic; otherwise B seeded draws.
    The interval inverts the test over the null value with the same draws.
    """
    check_option("weights", weights, WeightType)
    _check_alpha(alpha)
    if B < 1:
        raise OptionError(f"B={B} < 1")
    yy, x, j, term = _design_arrays(y, X, param)
    codes = pd.factorize(pd.Series(np.asarray(clusters)), sort=True)[0]
    if len(codes) != len(yy):
        raise OptionError(f"clusters has {len(codes)} entries for {len(yy)} observations")
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        raise DesignError("wild_cluster_bootstrap: fewer than 2 clusters")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise DesignError("wild_cluster_bootstrap: collinear regressors")
    fit = sm.OLS(yy, x).fit(cov_type="cluster", cov_kwds={"groups": codes})  # CR1
    estimate, std_error = float(fit.params[j]), float(fit.bse[j])
    if np.linalg.norm(fit.resid) <= 1e-10 * np.linalg.norm(yy - yy.mean()) or not std_error > 0:
        raise DesignError("wild_cluster_bootstrap: X fits y exactly (no residual variation)")
    v, enumerated = _weight_draws(weights, n_clusters, B, seed)
    paths = _bootstrap_paths(
        x, yy, codes, n_clusters, j, v, impose_null=impose_null, estimate=estimate, std_error=std_error
    )
    reference = cluster_t_interval(estimate, std_error, n_clusters, alpha=alpha, null=null)
    start = reference.critical_value * std_error
    return WildBootstrapResult(
        term=term,
        estimate=estimate,
        std_error=std_error,
        t_stat=(estimate - null) / std_error,
        null=float(null),
        p_value=paths.p_value(null),
        ci_lower=_invert(paths, alpha, start, -1),
        ci_upper=_invert(paths, alpha, start, +1),
        alpha=float(alpha),
        weights=weights,
        draws=v.shape[1],
        full_enumeration=enumerated,
        impose_null=impose_null,
        n=len(yy),
        n_clusters=n_clusters,
        seed=None if enumerated else seed,
        cluster_t=reference,
    )


# ---------------------------------------------------------------- randomisation inference


@dataclass(frozen=True, kw_only=True)
class RandomisationResult:
    """Randomisation test of the sharp null over re-assignments of start periods to areas.

    `p_value` is the share of assignments whose |statistic| is at least the observed one
    (the observed assignment included). `smallest_p_value` is the least it could be.
    """

    statistic: float
    p_value: float
    n_assignments: int
    n_evaluated: int
    exact: bool
    smallest_p_value: float
    seed: int | None


def count_assignments(first_treated: ArrayLike) -> int:
    """Distinct re-assignments of the start periods to areas: G! / prod(n_s!) over start values s."""
    _, counts = np.unique(np.asarray(first_treated), return_counts=True)
    total, left = 1, int(counts.sum())
    for c in counts:
        total *= math.comb(left, int(c))
        left -= int(c)
    return total


def _distinct_assignments(first_treated: np.ndarray) -> Iterator[np.ndarray]:
    """Every distinct permutation of the start-period vector (multiset permutations)."""
    values, counts = np.unique(first_treated, return_counts=True)

    def fill(assignment: np.ndarray, free: tuple[int, ...], level: int) -> Iterator[np.ndarray]:
        if level == len(values) - 1:
            done = assignment.copy()
            done[list(free)] = values[level]
            yield done
            return
        for chosen in combinations(free, int(counts[level])):
            step = assignment.copy()
            step[list(chosen)] = values[level]
            taken = set(chosen)
            yield from fill(step, tuple(p for p in free if p not in taken), level + 1)

    yield from fill(np.empty_like(first_treated), tuple(range(len(first_treated))), 0)


def randomisation_inference(
    statistic: Callable[[np.ndarray], float],
    first_treated: ArrayLike,
    *,
    enumerate_up_to: int = 10_000,
    draws: int = 1_999,
    seed: int | None,
) -> RandomisationResult:
    """Randomisation p-value of `statistic` over re-assignments of start periods to areas.

    `first_treated` holds each area's first treated period (0 = never), in the order `statistic`
    expects; `statistic(assignment)` re-estimates with that vector in place of the observed one
    (an estimate or its t statistic; for a sharp null other than no effect, subtract that effect
    from the treated outcomes before wrapping). Every distinct assignment is evaluated when
    there are at most `enumerate_up_to`; otherwise `draws` seeded random permutations, with the
    observed assignment counted once more ((1 + hits) / (1 + draws)).
    """
    observed_assignment = np.asarray(first_treated).copy()
    n_assignments = count_assignments(observed_assignment)
    observed = float(statistic(observed_assignment.copy()))
    bound = abs(observed) * (1 - _TIE) - _TIE  # ties count as at least as extreme
    if n_assignments <= enumerate_up_to:
        values = np.array([statistic(a) for a in _distinct_assignments(observed_assignment)], dtype=float)
        hits, total, exact, smallest = (
            int(np.sum(np.abs(values) >= bound)),
            len(values),
            True,
            1 / len(values),
        )
    else:
        if draws < 1:
            raise OptionError(f"draws={draws} < 1")
        rng = np.random.default_rng(seed)
        values = np.array(
            [statistic(rng.permutation(observed_assignment)) for _ in range(draws)], dtype=float
        )
        hits, total, exact = int(np.sum(np.abs(values) >= bound)) + 1, draws + 1, False
        smallest = 1 / total
    return RandomisationResult(
        statistic=observed,
        p_value=hits / total,
        n_assignments=n_assignments,
        n_evaluated=len(values),
        exact=exact,
        smallest_p_value=smallest,
        seed=None if exact else seed,
    )


# ---------------------------------------------------------------- when there are too few


class FewClusterIssue(StrEnum):
    """Why a method is not used; the report layer words each code."""

    TOO_FEW_TREATED = "too_few_treated_clusters"
    TOO_FEW_CONTROL = "too_few_control_clusters"
    RADEMACHER_TOO_FEW_CLUSTERS = "rademacher_too_few_clusters"
    TOO_FEW_ASSIGNMENTS = "too_few_assignments"


@dataclass(frozen=True, kw_only=True)
class FewClusterCheck:
    """Which few-cluster methods the numbers of clusters support, and why not the others."""

    n_treated: int
    n_control: int
    alpha: float
    weights: str
    n_assignments: int
    smallest_ri_p_value: float
    cluster_t: bool
    wild_bootstrap: bool
    randomisation: bool
    issues: tuple[FewClusterIssue, ...]

    @property
    def verdict(self) -> bool:
        """True when at least one method is usable; False: publish no verdict."""
        return self.cluster_t or self.wild_bootstrap or self.randomisation


def few_cluster_check(
    n_treated: int,
    n_control: int,
    *,
    alpha: float = 0.05,
    weights: WeightType = "webb",
    n_assignments: int | None = None,
) -> FewClusterCheck:
    """Whether t(G-1), the wild cluster bootstrap and randomisation inference can be used.

    All three need `MIN_TREATED_CLUSTERS` treated and `MIN_CONTROL_CLUSTERS` comparison clusters;
    Rademacher weights also need `RADEMACHER_MIN_CLUSTERS` clusters; randomisation inference needs
    alpha x assignments >= `RI_MIN_REJECTION_ASSIGNMENTS`. `n_assignments` defaults to one start
    period for all treated clusters, C(G, n_treated); pass `count_assignments(first_treated)`
    for staggered starts.
    """
    check_option("weights", weights, WeightType)
    _check_alpha(alpha)
    if n_treated < 0 or n_control < 0:
        raise OptionError("cluster counts must be non-negative")
    n_clusters = n_treated + n_control
    if n_assignments is None:
        n_assignments = math.comb(n_clusters, n_treated)
    issues: list[FewClusterIssue] = []
    if n_treated < MIN_TREATED_CLUSTERS:
        issues.append(FewClusterIssue.TOO_FEW_TREATED)
    if n_control < MIN_CONTROL_CLUSTERS:
        issues.append(FewClusterIssue.TOO_FEW_CONTROL)
    enough = not issues
    wild = enough
    if weights == "rademacher" and n_clusters < RADEMACHER_MIN_CLUSTERS:
        issues.append(FewClusterIssue.RADEMACHER_TOO_FEW_CLUSTERS)
        wild = False
    randomisation = enough
    if alpha * n_assignments < RI_MIN_REJECTION_ASSIGNMENTS:
        issues.append(FewClusterIssue.TOO_FEW_ASSIGNMENTS)
        randomisation = False
    return FewClusterCheck(
        n_treated=int(n_treated),
        n_control=int(n_control),
        alpha=float(alpha),
        weights=weights,
        n_assignments=int(n_assignments),
        smallest_ri_p_value=1 / n_assignments if n_assignments else 1.0,
        cluster_t=enough,
        wild_bootstrap=wild,
        randomisation=randomisation,
        issues=tuple(issues),
    )


# ---------------------------------------------------------------- area designs as regressions


@dataclass(frozen=True, eq=False)
class RegressionDesign:
    """An OLS whose coefficient `param` is an area estimate: y, X, clusters (one per area)."""

    y: np.ndarray
    X: np.ndarray
    clusters: np.ndarray
    param: int

    @property
    def estimate(self) -> float:
        """The OLS coefficient (least squares, no covariance)."""
        return float(np.linalg.lstsq(self.X, self.y, rcond=None)[0][self.param])


def _wide_inputs(outcome: ArrayLike, first_treated: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(outcome, dtype=float)
    g = np.asarray(first_treated, dtype=float)
    if y.ndim != 2 or g.shape != (y.shape[0],):
        raise OptionError(
            f"outcome must be units x periods and first_treated one per unit ({y.shape}, {g.shape})"
        )
    if not np.isfinite(y).all():
        raise DesignError("the area panel has missing outcomes")
    return y, np.where(g > y.shape[1], 0.0, g)  # starting after the last period: never, as CS


def twfe_design(outcome: ArrayLike, first_treated: ArrayLike) -> RegressionDesign:
    """Two-way fixed effects as a dummy-variable OLS: y_it on area and period dummies and D_it.

    `outcome` is areas x periods (periods 1..T in order), `first_treated` the period each area
    started (0 = never). The coefficient equals `evaluation.did.twfe` on the same panel.
    """
    y, g = _wide_inputs(outcome, first_treated)
    n, n_t = y.shape
    time = np.arange(1, n_t + 1)
    treated = ((g[:, None] > 0) & (time[None, :] >= g[:, None])).astype(float)
    units = np.repeat(np.arange(n), n_t)
    periods = np.tile(np.arange(n_t), n)
    x = np.column_stack(
        [
            np.ones(n * n_t),
            (units[:, None] == np.arange(1, n)[None, :]).astype(float),
            (periods[:, None] == np.arange(1, n_t)[None, :]).astype(float),
            treated.ravel(),
        ]
    )
    return RegressionDesign(y=y.ravel(), X=x, clusters=units, param=x.shape[1] - 1)


def cs_simple_design(outcome: ArrayLike, first_treated: ArrayLike) -> RegressionDesign:
    """Callaway & Sant'Anna's simple aggregate (never-treated comparisons) as a one-row-per-area OLS.

    With L_i^g = mean over t >= g of Y_it minus Y_i,g-1 (the long differences of the post cells,
    base period g - 1) and W = sum_g n_g (T - g + 1), the simple aggregate is the difference of
    means of Z between treated and never-treated areas, where Z_i = n_treated (T - g + 1) L_i^g / W
    for an area of cohort g and Z_i = sum_g n_g (T - g + 1) L_i^g / W for a never-treated area.
    So it is the coefficient on D in Z_i = a + theta D_i + e_i, and with one row per area the
    wild cluster bootstrap is the wild bootstrap of that regression. Areas treated from the first
    period have no base period and are left out, as `evaluation.did.staggered` does.
    """
    y, g = _wide_inputs(outcome, first_treated)
    n_t = y.shape[1]
    keep = (g == 0) | (g >= 2)
    y, g = y[keep], g[keep]
    cohorts, sizes = np.unique(g[g > 0], return_counts=True)
    if cohorts.size == 0 or not (g == 0).any():
        raise DesignError("cs_simple_design needs treated and never-treated areas")
    lengths = n_t - cohorts + 1
    total = float(np.sum(sizes * lengths))
    n_treated = int(sizes.sum())
    z = np.zeros(len(g))
    never = g == 0
    for cohort, size, length in zip(cohorts.astype(int), sizes, lengths, strict=True):
        long_difference = y[:, cohort - 1 :].mean(axis=1) - y[:, cohort - 2]
        mine = g == cohort
        z[mine] = n_treated * length * long_difference[mine] / total
        z[never] += size * length * long_difference[never] / total
    x = np.column_stack([np.ones(len(g)), (g > 0).astype(float)])
    return RegressionDesign(y=z, X=x, clusters=np.flatnonzero(keep), param=1)


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} outside (0, 1)")


@dataclass(frozen=True)
class AreaInference:
    """The few-cluster inference of an area headline: which methods the numbers of areas
    support (`check`), the wild cluster restricted bootstrap that gives the headline interval,
    randomisation inference over start periods, and the CR1 t(G-1) interval (`wild.cluster_t`)."""

    check: FewClusterCheck
    wild: WildBootstrapResult | None
    randomisation: RandomisationResult | None


def area_inference(
    outcome_wide: ArrayLike, first_treated: ArrayLike, *, alpha: float = 0.05, seed: int | None = None
) -> AreaInference:
    """Few-cluster inference for the Callaway & Sant'Anna simple aggregate of an area panel.

    `outcome_wide` is areas x periods, `first_treated` each area's first treated period (0 never),
    in the same area order. The bootstrap and randomisation run only where `few_cluster_check`
    says the numbers of areas support them."""
    first = np.asarray(first_treated)
    n_treated, n_control = int((first > 0).sum()), int((first == 0).sum())
    check = few_cluster_check(n_treated, n_control, alpha=alpha, n_assignments=count_assignments(first))
    design = cs_simple_design(outcome_wide, first)
    wild = (
        wild_cluster_bootstrap(
            design.y, design.X, design.clusters, param=design.param, seed=seed, alpha=alpha
        )
        if check.wild_bootstrap
        else None
    )
    randomisation = (
        randomisation_inference(lambda g: cs_simple_design(outcome_wide, g).estimate, first, seed=seed)
        if check.randomisation
        else None
    )
    return AreaInference(check=check, wild=wild, randomisation=randomisation)
