"""Inference from influence functions: analytic SEs, the multiplier bootstrap, sup-t bands.

Columns of `psi` (n units x k estimates) are influence functions scaled so that
Var(estimate_k) is estimated by sum_i psi_ik^2 / n^2.

The multiplier bootstrap follows Callaway & Sant'Anna (2021, Algorithm 1) as R
`did::mboot` does: Mammen two-point multipliers V_i (mean 0, variance 1) drawn
per unit, bootstrap draws sqrt(n) * mean_i(V_i psi_i), the scale estimated
robustly by the interquartile range divided by the normal IQR, and the uniform
(sup-t) critical value as the (1 - alpha) quantile of max_k |draw_k| / scale_k.
Draws depend only on `seed`, n and the number of draws, so the cells and every
aggregate of one result share the same multipliers.

With a cluster variable (`cluster`: one integer code per unit) the influence functions are
summed within clusters first (Callaway & Sant'Anna 2021, Remark 10; R `did` >= 2.5, where
both the bootstrap and the analytic variance use cluster sums): the analytic SE is
sqrt(sum_c S_c^2) / n, and the bootstrap draws one multiplier per cluster, so its SE
estimates the same quantity. No small-sample factor G / (G - 1) is applied, as in R.
moderndid 0.2.0 still averages within clusters (R `did` before 2.5), which agrees with
cluster sums only when every cluster has the same number of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

_SQRT5 = np.sqrt(5.0)
MAMMEN_LOW = (1 - _SQRT5) / 2
MAMMEN_HIGH = (1 + _SQRT5) / 2
MAMMEN_P_LOW = (_SQRT5 + 1) / (2 * _SQRT5)
_CHUNK = 4096  # units per block of multipliers; fixed so draws are reproducible
_TINY = np.sqrt(np.finfo(float).eps) * 10


def cluster_sums(psi: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Column sums of `psi` within each cluster: (G x k) for codes 0..G-1, one per row of psi."""
    order = np.argsort(cluster, kind="stable")
    sorted_codes = cluster[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_codes[1:] != sorted_codes[:-1]]))
    return np.add.reduceat(psi[order], starts, axis=0)


def analytic_se(psi: np.ndarray, cluster: np.ndarray | None = None) -> np.ndarray:
    """sqrt(sum psi^2) / n for each column (psi summed within clusters first, when given);
    NaN where the variance is numerically zero."""
    n = psi.shape[0]
    rows = psi if cluster is None else cluster_sums(psi, cluster)
    se = np.sqrt(np.sum(rows**2, axis=0)) / n
    return np.where(se > _TINY, se, np.nan)


def covariance(psi: np.ndarray, cluster: np.ndarray | None = None) -> np.ndarray:
    """Analytic covariance of the estimates, psi'psi / n^2 (from cluster sums when clustered)."""
    n = psi.shape[0]
    rows = psi if cluster is None else cluster_sums(psi, cluster)
    return rows.T @ rows / n**2


def mammen(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Mammen (1993) two-point multipliers with mean 0 and variance 1."""
    return np.where(rng.random(shape) < MAMMEN_P_LOW, MAMMEN_LOW, MAMMEN_HIGH)


def bootstrap_draws(psi: np.ndarray, draws: int, seed: int | None, n: int | None = None) -> np.ndarray:
    """draws x k matrix of sum_i V_i psi_i / sqrt(n), built block by block over the rows of psi
    (units, or cluster sums with `n` the number of units)."""
    rows, k = psi.shape
    rng = np.random.default_rng(seed)
    total = np.zeros((draws, k))
    for start in range(0, rows, _CHUNK):
        block = psi[start : start + _CHUNK]
        total += mammen(rng, (draws, block.shape[0])) @ block
    return total / np.sqrt(rows if n is None else n)


@dataclass(frozen=True)
class BootstrapInference:
    """Bootstrap standard errors and the sup-t critical value for a set of estimates."""

    std_error: np.ndarray
    critical_value: float


def iqr_scale(draws: np.ndarray) -> np.ndarray:
    """Robust standard deviation per column: IQR / (z_0.75 - z_0.25)."""
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def multiplier_bootstrap(
    psi: np.ndarray, draws: int, seed: int | None, alpha: float, cluster: np.ndarray | None = None
) -> BootstrapInference:
    """Bootstrap SEs and uniform critical value; columns with no variation get NaN. A seed of None
    draws fresh multipliers (the estimators always pass the seed they keep with the result).
    With `cluster` codes, one multiplier per cluster multiplies that cluster's summed psi."""
    n = psi.shape[0]
    rows = psi if cluster is None else cluster_sums(psi, cluster)
    boot = bootstrap_draws(rows, draws, seed, n)
    scale = iqr_scale(boot)
    valid = np.isfinite(scale) & (scale > _TINY)
    se = np.where(valid, scale / np.sqrt(n), np.nan)
    return BootstrapInference(std_error=se, critical_value=sup_t(boot[:, valid], scale[valid], alpha))


def sup_t(boot: np.ndarray, scale: np.ndarray, alpha: float) -> float:
    """(1 - alpha) quantile of max_k |draw_k| / scale_k, never below the pointwise value."""
    pointwise = stats.norm.ppf(1 - alpha / 2)
    if boot.shape[1] == 0:
        return float(pointwise)
    t_max = np.max(np.abs(boot) / scale, axis=1)
    crit = float(np.quantile(t_max, 1 - alpha, method="inverted_cdf"))
    return max(crit, float(pointwise)) if np.isfinite(crit) else float(pointwise)
