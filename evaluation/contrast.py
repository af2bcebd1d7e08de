"""The participant-versus-comparison contrast at one month, as a weighted regression.

Every individual-level estimator of the toolkit is, at one month after referral, a weighted
least-squares regression over stacked (person, anchor) rows of an outcome on an intercept,
a participant indicator and, for regression adjustment, the cohort and the matching
covariates. What differs is the weights (match weights, cohort-size weights for an
unmatched comparison, odds-of-participation weights) and the outcome (the level, or the
change from the pre-referral mean for difference-in-differences). The effect is the
coefficient on the participant indicator.

statsmodels fits the regression and its covariance clustered by person (a comparison person
can serve several participants and several cohorts); this module adds what statsmodels
lacks: each person's contribution to the estimate (the influence function, scaled so that
its sum of squares equals statsmodels' clustered variance), so that estimates at several
months can be tested jointly (pre-referral paths, placebos).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.tools import pinv_extended

from evaluation.did.results import WaldTest

__all__ = ["Contrast", "joint_wald", "weighted_contrast", "weighted_contrasts"]


@dataclass(frozen=True)
class Contrast:
    """One month's estimate with the per-person contributions to its variance."""

    estimate: float
    std_error: float
    n_treated: int
    n_comparisons: int
    treated_rate: float
    comparison_rate: float
    contributions: np.ndarray  # per cluster; sum of squares = variance

    @classmethod
    def empty(cls, n_clusters: int) -> Contrast:
        nan = float("nan")
        return cls(nan, nan, 0, 0, nan, nan, np.full(n_clusters, nan))


def weighted_contrast(
    y: np.ndarray,
    *,
    treated: np.ndarray,
    weights: np.ndarray,
    clusters: np.ndarray,
    n_clusters: int,
    adjust: np.ndarray | None = None,
    level: np.ndarray | None = None,
) -> Contrast:
    """Coefficient on `treated` in a WLS of `y` on [1, treated, `adjust`], clustered by person.

    Rows with a missing `y` or zero weight are left out; with a single participant the
    estimate is given and its standard error is NaN. `weights` are 1 for participants
    and the comparison weights for comparison rows (summing, per cohort, to its number of
    participants). `level` is the outcome level used for the reported rates (default `y`).
    The clustered covariance is statsmodels' (`cov_type="cluster"`, with its small-sample
    correction G/(G-1) x (N-1)/(N-K)).
    """
    level = y if level is None else level
    use = np.isfinite(y) & (weights > 0)
    t_use = use & treated
    c_use = use & ~treated
    n_t = int(t_use.sum())
    if n_t < 1 or not c_use.any():
        return Contrast.empty(n_clusters)
    parts = [np.ones(int(use.sum())), treated[use].astype(float)]
    if adjust is not None and adjust.shape[1]:
        parts.append(adjust[use])
    x = np.column_stack(parts)
    groups = clusters[use]
    model = sm.WLS(y[use], x, weights=weights[use])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
            variance = float(fit.cov_params()[1, 1])
        except (ZeroDivisionError, np.linalg.LinAlgError, ValueError):
            # as many regressors as rows, or a single cluster: no spread to estimate from
            fit = model.fit()
            variance = float("nan")
    estimate = float(fit.params[1])
    if n_t < 2:  # one participant gives no spread to estimate the variance from
        variance = float("nan")
    influence = fit.model.pinv_wexog[1] * fit.wresid
    by_person = np.bincount(groups, weights=influence, minlength=n_clusters)
    raw = float(by_person @ by_person)
    if not variance >= 0:  # NaN, or a negative value from a rank-deficient design
        variance = float("nan")
    scale = np.sqrt(variance / raw) if raw > 0 and np.isfinite(variance) else np.nan
    if not np.isfinite(variance):
        variance = float("nan")
    w_c = weights[c_use]
    return Contrast(
        estimate=estimate,
        std_error=float(np.sqrt(variance)) if variance >= 0 else float("nan"),  # NaN stays NaN
        n_treated=n_t,
        n_comparisons=int(np.unique(clusters[c_use]).size),
        treated_rate=float(level[t_use].mean()),
        comparison_rate=float(w_c @ level[c_use] / w_c.sum()),
        contributions=by_person * scale,
    )


def weighted_contrasts(
    ys: np.ndarray,
    *,
    treated: np.ndarray,
    weights: np.ndarray,
    clusters: np.ndarray,
    n_clusters: int,
    adjust: np.ndarray | None = None,
    levels: np.ndarray | None = None,
) -> list[Contrast]:
    """`weighted_contrast` of each column of `ys` (one outcome per column, e.g. one per month after
    referral) on the same rows, weights, clusters and regressors, in one pass.

    Columns whose usable rows coincide share one fit: the whitened design's pseudo-inverse
    (statsmodels' `pinv_extended`, as `WLS` computes it) is found once and applied to all their
    outcomes. Each column's estimate is then WLS's, and its clustered variance statsmodels' CRV1
    with the same small-sample correction, computed as the correction times the sum over
    clusters of the squared per-person contributions (the row of the pseudo-inverse times the
    whitened residuals): the same quantity, since (X'WX)^+ X'W = pinv(W^1/2 X) W^1/2
    (tests/unit/test_contrast_batch.py checks every field against `weighted_contrast`). A
    single cluster, or as many regressors as rows, gives NaN as statsmodels' fit fails there.
    `levels` (default `ys`) are the outcome levels behind the reported rates.
    """
    ys = np.asarray(ys, dtype=float)
    levels = ys if levels is None else np.asarray(levels, dtype=float)
    positive = weights > 0
    finite = np.isfinite(ys)
    found: list[Contrast | None] = [None] * ys.shape[1]
    by_rows: dict[bytes, tuple[np.ndarray, list[int]]] = {}
    for j in range(ys.shape[1]):
        use = finite[:, j] & positive
        by_rows.setdefault(np.packbits(use).tobytes(), (use, []))[1].append(j)
    for use, columns in by_rows.values():
        t_use = use & treated
        c_use = use & ~treated
        n_t = int(t_use.sum())
        if n_t < 1 or not c_use.any():
            for j in columns:
                found[j] = Contrast.empty(n_clusters)
            continue
        parts = [np.ones(int(use.sum())), treated[use].astype(float)]
        if adjust is not None and adjust.shape[1]:
            parts.append(adjust[use])
        x = np.column_stack(parts)
        root = np.sqrt(weights[use])
        wexog = root[:, None] * x
        pinv, _ = pinv_extended(wexog)
        wendog = root[:, None] * ys[use][:, columns]
        params = pinv @ wendog
        wresid = wendog - wexog @ params
        groups = clusters[use]
        n_groups = np.unique(groups).size
        n_obs, k_params = x.shape
        correction = (
            n_groups / (n_groups - 1.0) * ((n_obs - 1.0) / float(n_obs - k_params))
            if n_groups > 1 and n_obs != k_params
            else float("nan")
        )
        w_c = weights[c_use]
        n_comparisons = int(np.unique(clusters[c_use]).size)
        for i, j in enumerate(columns):
            by_person = np.bincount(groups, weights=pinv[1] * wresid[:, i], minlength=n_clusters)
            raw = float(by_person @ by_person)
            variance = correction * raw if n_t >= 2 else float("nan")
            if not variance >= 0:
                variance = float("nan")
            scale = np.sqrt(variance / raw) if raw > 0 and np.isfinite(variance) else np.nan
            level = levels[:, j]
            found[j] = Contrast(
                estimate=float(params[1, i]),
                std_error=float(np.sqrt(variance)) if variance >= 0 else float("nan"),
                n_treated=n_t,
                n_comparisons=n_comparisons,
                treated_rate=float(level[t_use].mean()),
                comparison_rate=float(w_c @ level[c_use] / w_c.sum()),
                contributions=by_person * scale,
            )
    return [c for c in found if c is not None]


def joint_wald(contrasts: list[Contrast]) -> WaldTest | None:
    """Joint Wald test that several estimates are all zero (rank-aware), from contributions."""
    usable = [c for c in contrasts if np.isfinite(c.estimate) and np.all(np.isfinite(c.contributions))]
    if not usable:
        return None
    theta = np.array([c.estimate for c in usable])
    psi = np.column_stack([c.contributions for c in usable])
    cov = psi.T @ psi
    values, vectors = np.linalg.eigh(cov)
    keep = values > max(values.max(), 0) * 1e-9
    if not keep.any():
        return None
    projected = vectors[:, keep].T @ theta
    stat = float(projected @ (projected / values[keep]))
    df = int(keep.sum())
    return WaldTest(statistic=stat, df=df, p_value=float(stats.chi2.sf(stat, df)))
