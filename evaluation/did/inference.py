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


def analytic_se(psi: np.ndarray) -> np.ndarray:
    """sqrt(sum psi^2) / n for each column; NaN where the variance is numerically zero."""
    n = psi.shape[0]
    se = np.sqrt(np.sum(psi**2, axis=0)) / n
    return np.where(se > _TINY, se, np.nan)


def mammen(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Mammen (1993) two-point multipliers with mean 0 and variance 1."""
    return np.where(rng.random(shape) < MAMMEN_P_LOW, MAMMEN_LOW, MAMMEN_HIGH)


def bootstrap_draws(psi: np.ndarray, draws: int, seed: int | None) -> np.ndarray:
    """draws x k matrix of sqrt(n) * mean_i(V_i psi_i), built block by block over units."""
    n, k = psi.shape
    rng = np.random.default_rng(seed)
    total = np.zeros((draws, k))
    for start in range(0, n, _CHUNK):
        block = psi[start : start + _CHUNK]
        total += mammen(rng, (draws, block.shape[0])) @ block
    return total / np.sqrt(n)


@dataclass(frozen=True)
class BootstrapInference:
    """Bootstrap standard errors and the sup-t critical value for a set of estimates."""

    std_error: np.ndarray
    critical_value: float


def iqr_scale(draws: np.ndarray) -> np.ndarray:
    """Robust standard deviation per column: IQR / (z_0.75 - z_0.25)."""
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def multiplier_bootstrap(psi: np.ndarray, draws: int, seed: int | None, alpha: float) -> BootstrapInference:
    """Bootstrap SEs and uniform critical value; columns with no variation get NaN. A seed of None
    draws fresh multipliers (the estimators always pass the seed they keep with the result)."""
    n = psi.shape[0]
    boot = bootstrap_draws(psi, draws, seed)
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
