"""Parallel-trends sensitivity of an event study (Rambachan & Roth 2023, "A More Credible
Approach to Parallel Trends", Review of Economic Studies 90(5), 2555-2591).

The post-start coefficients of an event study are effects plus the post-start difference in
trends delta_post; the pre-start coefficients estimate delta_pre. Instead of assuming
delta_post = 0, a restriction bounds delta_post by what delta_pre shows, and a robust interval
covers the target theta = l' tau_post under every trend the restriction allows:

- relative magnitudes, Delta^RM(Mbar): no post-start period-to-period change in the trend
  difference exceeds Mbar times the largest such change before the start. Interval: the
  hybrid (least-favourable first stage, kappa = alpha / 10) conditional test of Andrews, Roth &
  Pakes (2023) on each polyhedron of the union (which pre-start change is the largest, and its
  sign), inverted over a grid of 1,000 theta values, as HonestDiD's method "C-LF" does.
- smoothness, Delta^SD(M): the slope of the trend difference changes by at most M from one
  period to the next (M = 0: the pre-start trend extended in a straight line). Interval: the
  optimal fixed-length confidence interval (FLCI), the affine estimator whose
  worst-case-bias-aware half-length is smallest.

The breakdown value of a restriction is the largest Mbar (or M) whose interval excludes zero.

Why no library. moderndid (0.2.0 and 0.4.1, `didhonest`) gets the HonestDiD README's Medicaid
DeltaRM table wrong: at Mbar = 0.5 its upper end is 0.0669 against the published 0.0673 (it
leaves s = 0, a largest change into the reference period, out of the union; dropping it here
gives its 0.066888 exactly), and at Mbar = 2 it gives -0.00067 to 0.0879 against -0.00107 to
0.0883. It also takes about 45 s for that table and needs cvxpy and polars (0.4.1 needs Python
3.12). honestdid 0.1.1 raises a TypeError on the DeltaRM case and needs torch. This module
needs numpy and scipy only and reproduces both published tables (tests/reference/test_honest_did.py).

How. The ARP statistic is eta(y) = min over the nuisance (the other effects, with l' tau fixed)
of the largest standardised moment, a linear programme. For Delta^RM its dual polytope has
only n_post + 2 vertices (see `_rm_vertices`), so eta is a maximum over them, the optimal
vertex is known, and the conditioning interval of the test has a closed form: every grid point
and simulation draw is vectorised, with no LP solver. The least-favourable critical value is
simulated with R's generator and seed (`_r_normals`), as HonestDiD does, so the intervals are
HonestDiD's to the digit; the grid is HonestDiD's current one (centred on the estimate,
half-width Mbar * sum_t t |l_t| * the largest pre-start change + 20 standard errors). With one
post-start period HonestDiD's own no-nuisance routine does not truncate the conditional test
at the first stage's critical value; this module does, as ARP's hybrid test does. For the
FLCI the half-length is convex in the pre-start weights, so it is minimised directly (SLSQP)
with the exact folded-normal quantile, where HonestDiD simulates it with 10^6 draws (its
intervals differ from these by about 2e-5 on the README example for that reason).

Numbers only: `evaluation.report.sensitivity_words` words a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from evaluation.errors import OptionError

DEFAULT_MBAR = (0.0, 0.5, 1.0, 1.5, 2.0)
GRID_POINTS = 1000  # HonestDiD's gridPoints for Delta^RM
GRID_HALF_WIDTH = 20.0  # standard errors of the target the theta grid adds on each side (HonestDiD)
LF_DRAWS = 1000  # simulations of the least-favourable critical value (HonestDiD's `sims`)
_BREAKDOWN_TOL = 1e-3  # breakdown values are found to this share of their bracket's start
_BREAKDOWN_CAP = 1e3  # beyond this many times the starting bound, the conclusion is called unbreakable


@dataclass(frozen=True)
class RobustInterval:
    """The robust interval for one value of the restriction's bound (Mbar or M); NaN ends when
    no value of the target is accepted (the data reject the restriction), which counts as not
    excluding zero."""

    bound: float
    lower: float
    upper: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.lower > 0 or self.upper < 0)


@dataclass(frozen=True, kw_only=True)
class HonestResult:
    """Sensitivity of one event-study target to violations of parallel trends.

    `estimate`, `std_error` and `original` are l' beta_post and its usual interval under exact
    parallel trends; `relative_magnitudes` holds one interval per Mbar and `smoothness` one per M
    (in the order asked). `breakdown_rm` and `breakdown_sd` are the largest Mbar and M whose
    interval still excludes zero (to 0.1% of the search's first step): None when the original
    interval already includes zero (no conclusion to break), 0.0 when the restriction's tightest
    interval already includes it, inf when no bound tried breaks it. `largest_pre_change` is
    the largest change between consecutive pre-start coefficients (the reference period at 0),
    the yardstick Mbar multiplies. `to_frame()` lays the intervals out as a table.
    """

    l_vec: tuple[float, ...]
    n_pre: int
    n_post: int
    alpha: float
    estimate: float
    std_error: float
    original: tuple[float, float]
    relative_magnitudes: tuple[RobustInterval, ...]
    smoothness: tuple[RobustInterval, ...]
    breakdown_rm: float | None
    breakdown_sd: float | None
    largest_pre_change: float

    @property
    def original_excludes_zero(self) -> bool:
        return bool(self.original[0] > 0 or self.original[1] < 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per interval: restriction ("original", "relative magnitudes", "smoothness"),
        bound (Mbar or M; NaN for the original), lower, upper."""
        rows = [("original", math.nan, *self.original)]
        rows += [("relative magnitudes", r.bound, r.lower, r.upper) for r in self.relative_magnitudes]
        rows += [("smoothness", r.bound, r.lower, r.upper) for r in self.smoothness]
        return pd.DataFrame(rows, columns=["restriction", "bound", "lower", "upper"])


# ---------------------------------------------------------------------------------------------
# Inputs


def _inputs(betahat, sigma, n_pre: int, n_post: int, l_vec, alpha: float):
    beta = np.asarray(betahat, dtype=float).ravel()
    cov = np.asarray(sigma, dtype=float)
    if n_pre < 1 or n_post < 1:
        raise OptionError(f"need n_pre >= 1 and n_post >= 1 (got n_pre={n_pre}, n_post={n_post})")
    n = n_pre + n_post
    if beta.size != n or cov.shape != (n, n):
        raise OptionError(
            f"betahat has {beta.size} values and sigma shape {cov.shape}; both must match "
            f"n_pre + n_post = {n} (the reference period omitted)"
        )
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(cov))):
        raise OptionError("betahat and sigma must be finite")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * np.abs(cov).max()):
        raise OptionError("sigma must be symmetric")
    lv = np.zeros(n_post) if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec is None:
        lv[0] = 1.0
    if lv.size != n_post or not np.any(lv != 0):
        raise OptionError(f"l_vec needs {n_post} weights, not all zero (got {lv.tolist()})")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if float(lv @ cov[n_pre:, n_pre:] @ lv) <= 0:
        raise OptionError("the target l' beta_post has zero variance")
    return beta, (cov + cov.T) / 2, lv


def _check_bounds(name: str, values: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if not out or any(not math.isfinite(v) or v < 0 for v in out):
        raise OptionError(f"{name} must be a non-empty sequence of finite values >= 0 (got {list(values)})")
    return out


def original_interval(beta, sigma, n_pre: int, l_vec, alpha: float) -> tuple[float, float, float, float]:
    """Estimate, standard error and Wald interval of l' beta_post under exact parallel trends."""
    est = float(l_vec @ beta[n_pre:])
    se = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return est, se, est - z * se, est + z * se


# ---------------------------------------------------------------------------------------------
# Relative magnitudes, Delta^RM(Mbar): the ARP hybrid test on each polyhedron


def _r_normals(n: int, seed: int) -> np.ndarray:
    """The n numbers R's `set.seed(seed); rnorm(n)` gives: Mersenne-Twister seeded by R's
    linear-congruential scrambling, normals by inversion from two uniforms each. HonestDiD draws
    its least-favourable critical value this way; using the same draws makes its intervals
    reproducible here to the digit (that critical value is a simulated 99.5% quantile, noisy
    enough to move an interval's end by a grid step)."""
    state = seed & 0xFFFFFFFF
    for _ in range(50):
        state = (69069 * state + 1) & 0xFFFFFFFF
    key = []
    for _ in range(625):
        state = (69069 * state + 1) & 0xFFFFFFFF
        key.append(state)
    generator = np.random.MT19937()
    generator.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(key[1:], dtype=np.uint32), "pos": 624},
    }
    uniform = generator.random_raw(2 * n).astype(float) * 2.3283064365386963e-10
    scale = 134217728.0  # 2^27
    return np.asarray(special.ndtri((np.floor(scale * uniform[0::2]) + uniform[1::2]) / scale), dtype=float)


def _normal_draws(cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n draws of N(0, cov) as R's mvtnorm::rmvnorm makes them: the symmetric square root of cov
    (unique, so independent of how an eigen-solver signs its vectors) applied row by row."""
    values, vectors = np.linalg.eigh(cov)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    return _r_normals(n * cov.shape[0], seed).reshape(n, cov.shape[0]) @ root


def _rm_rows(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Moments of Delta^RM_{s,sign}(Mbar) that involve a post-start period, on the coefficient
    vector: +-(delta_t - delta_{t-1}) - Mbar * sign * (delta_s - delta_{s-1}) <= 0 for t >= 1,
    where period s <= 0 carries the largest pre-start change (delta_0 = 0 is left out). Rows:
    the + moments for t = 1..n_post, then the - moments."""
    full = n_pre + n_post + 1  # periods -n_pre..n_post, with 0 at position n_pre
    top = np.zeros(full)
    top[n_pre + s - 1], top[n_pre + s] = -1.0, 1.0
    if not positive:
        top = -top
    rows = []
    for sign in (1.0, -1.0):
        for t in range(1, n_post + 1):
            row = -mbar * top
            row[n_pre + t - 1] -= sign
            row[n_pre + t] += sign
            rows.append(row)
    return np.delete(np.array(rows), n_pre, axis=1)


def _rm_vertices(sd: np.ndarray, cum_l: np.ndarray) -> np.ndarray:
    """Vertices of the dual polytope {lam >= 0, sd' lam = 1, X' lam = 0} of the ARP programme.

    The nuisance (effects with l' tau fixed) enters moment (t, +-) as +-u_t, u_t = tau_t -
    tau_{t-1}, with sum_t L_t u_t fixed (L_t = l_t + ... + l_T), so X' lam = 0 says lam_t+ -
    lam_t- is proportional to L. Every such lam mixes equal weights on one pair (t+, t-) and the
    two sign patterns of L; these T + 2 points span the polytope, so the programme's optimum
    eta(y) = max lam' y is a maximum over them (no LP solver needed)."""
    n_post = cum_l.size
    plus, minus = sd[:n_post], sd[n_post:]
    points = []
    for t in range(n_post):
        pair = np.zeros(2 * n_post)
        pair[t] = pair[n_post + t] = 1 / (plus[t] + minus[t])
        points.append(pair)
    for direction in (1.0, -1.0):
        w = direction * cum_l
        lam = np.concatenate([np.clip(w, 0, None), np.clip(-w, 0, None)])
        points.append(lam / float(sd @ lam))
    return np.array(points)


def _arp_accepts(
    ys: np.ndarray, sigma: np.ndarray, vertices: np.ndarray, lf_cv: float, size: float
) -> np.ndarray:
    """Whether the hybrid ARP test accepts, at each row of ys (the moments at one theta each).

    eta = max over vertices of lam' y. The first stage rejects when eta exceeds the
    least-favourable critical value. Otherwise, given the optimal vertex gamma and the part of y
    independent of gamma' y, gamma' y = eta is normal truncated to [vlo, vup] (where gamma stays
    optimal) and, as in ARP's hybrid, below the first stage's critical value; the test rejects
    above that truncated normal's 1 - size quantile."""
    values = ys @ vertices.T
    best = values.argmax(axis=1)
    eta = values[np.arange(ys.shape[0]), best]
    accept = eta <= lf_cv  # the first stage rejects the rest outright
    for g in np.unique(best[accept]):
        idx = np.flatnonzero(accept & (best == g))
        gamma = vertices[g]
        var = float(gamma @ sigma @ gamma)
        if var <= 1e-300:  # gamma' y is not random: reject any positive eta (as HonestDiD)
            accept[idx] = eta[idx] <= 0
            continue
        b = sigma @ gamma / var
        s = ys[idx] - np.outer(eta[idx], b)
        slope = vertices @ b - 1.0  # vertex j stays below gamma while lam_j's + slope_j c <= 0
        level = s @ vertices.T
        slope[g] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = -level / slope
        vlo = np.where(slope < -1e-12, cut, -np.inf).max(axis=1)
        vup = np.where(slope > 1e-12, cut, np.inf).min(axis=1)
        sd_g = math.sqrt(var)
        stat, zlo, zup = eta[idx] / sd_g, vlo / sd_g, np.minimum(vup, lf_cv) / sd_g
        inside = (zlo <= stat) & (stat <= zup)
        cval = np.zeros(idx.size)
        if inside.any():
            cval[inside] = np.maximum(0.0, stats.truncnorm.ppf(1 - size, zlo[inside], zup[inside]))
        accept[idx] = ~inside | (stat <= cval)
    return accept


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix whose first row is l', completed with unit vectors in order."""
    rows = [l_vec]
    for unit in np.eye(l_vec.size):
        if len(rows) == l_vec.size:
            break
        if np.linalg.matrix_rank(np.vstack([*rows, unit])) > len(rows):
            rows.append(unit)
    return np.vstack(rows)


def _rm_grid(beta, sigma, n_pre, l_vec, mbar, points) -> np.ndarray:
    """HonestDiD's theta grid (as revised to match its Stata version): centred on the estimate,
    half-width Mbar * sum_t t |l_t| * (largest pre-start change) + 20 standard errors."""
    est, se, _, _ = original_interval(beta, sigma, n_pre, l_vec, 0.05)
    t = np.arange(1, l_vec.size + 1)
    half = mbar * float(t @ np.abs(l_vec)) * _largest_pre_change(beta, n_pre) + GRID_HALF_WIDTH * se
    return np.linspace(est - half, est + half, points)


def _rm_interval(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, points, seed) -> tuple[float, float]:
    """[min, max] of the grid points accepted on any polyhedron of the union over (s, sign),
    by the hybrid test with first-stage size kappa = alpha / 10 (HonestDiD's method "C-LF")."""
    thetas = _rm_grid(beta, sigma, n_pre, l_vec, mbar, points)
    gamma_inv = np.linalg.inv(_gamma(l_vec))
    cum_l = np.cumsum(l_vec[::-1])[::-1]
    kappa = alpha / 10
    size = (alpha - kappa) / (1 - kappa)
    accepted = np.zeros(thetas.size, dtype=bool)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            rows = _rm_rows(n_pre, n_post, mbar, s, positive)
            cov = rows @ sigma @ rows.T
            sd = np.sqrt(np.diag(cov))
            if np.any(sd <= 0):
                raise OptionError(
                    "sigma gives a post-start moment zero variance; check the covariance matrix"
                )
            vertices = _rm_vertices(sd, cum_l)
            lf_cv = float(
                np.quantile((_normal_draws(cov, LF_DRAWS, seed) @ vertices.T).max(axis=1), 1 - kappa)
            )
            ys = (rows @ beta)[None, :] - np.outer(thetas, (rows[:, n_pre:] @ gamma_inv)[:, 0])
            accepted |= _arp_accepts(ys, cov, vertices, lf_cv, size)
    if not accepted.any():
        return math.nan, math.nan
    return float(thetas[accepted].min()), float(thetas[accepted].max())


# ---------------------------------------------------------------------------------------------
# Smoothness, Delta^SD(M): the optimal fixed-length confidence interval


def _folded_cv(t: float, alpha: float) -> float:
    """cv_alpha(t): the 1 - alpha quantile of |N(t, 1)|, exactly (HonestDiD simulates it)."""
    t = abs(t)
    lo, hi = t + stats.norm.ppf(1 - alpha), t + stats.norm.ppf(1 - alpha / 2)

    def excess(c: float) -> float:
        return float(stats.norm.cdf(c - t) - stats.norm.cdf(-c - t) - (1 - alpha))

    if excess(lo) >= 0:  # the lower tail has vanished below machine precision
        return float(lo)
    return float(optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=1e-15))


def _folded_cv_slope(t: float, c: float) -> float:
    """d cv_alpha / dt at cv_alpha(t) = c (implicit function theorem)."""
    up, down = stats.norm.pdf(c - t), stats.norm.pdf(c + t)
    return float((up - down) / (up + down))


class _Flci:
    """The half-length of v' beta, v = (v_pre, l), over the pre-start weights.

    With delta_0 = 0, any delta is c * t plus a sum of its second differences D_s, each free
    in [-M, M] under Delta^SD(M). A finite worst-case bias needs sum_t t v_t = 0 (the linear
    trend cancels); then v' delta = sum_s g_s D_s and the worst case is M * sum_s |g_s|. The
    post-start g_s are fixed by l, and so is g_0 = sum_t t l_t; the free coordinates are the
    pre-start g_{-1}, ..., g_{-(n_pre-1)}, a triangular transform of v_pre. The half-length
    sd(v) * cv_alpha(bias(v) / sd(v)) is convex in them (a perspective of the convex,
    increasing cv_alpha, composed with a norm and a sum of absolute values)."""

    def __init__(self, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, alpha: float):
        self.alpha, self.free = alpha, n_pre - 1
        t = np.arange(1, l_vec.size + 1)
        slope = float(t @ l_vec)
        post = sum(abs(float(l_vec[s:] @ (t[s:] - s))) for s in range(1, l_vec.size))
        self.fixed_bias = post + abs(slope)
        # g_s = sum_{k >= 1 - s} (k + s) v_{-k} for s = 0, -1, ..., 1 - n_pre
        to_g = np.array([[max(k + s, 0) for k in range(1, n_pre + 1)] for s in range(0, -n_pre, -1)])
        from_g = np.linalg.inv(to_g.astype(float))  # (v_{-1}, ..., v_{-n_pre}) from g
        # v = base + basis @ g_free, with v ordered as beta (earliest pre-start period first)
        self.base = np.concatenate([(from_g[:, 0] * slope)[::-1], l_vec])
        self.basis = np.vstack([from_g[::-1, 1:], np.zeros((l_vec.size, self.free))])
        self.quad = self.basis.T @ sigma @ self.basis
        self.lin = self.basis.T @ sigma @ self.base
        self.const = float(self.base @ sigma @ self.base)

    def sd(self, g: np.ndarray) -> float:
        return math.sqrt(max(float(g @ self.quad @ g + 2 * self.lin @ g + self.const), 1e-300))

    def solve(self, m: float) -> tuple[np.ndarray, float, float]:
        """The optimal weights v for the bound m, with v's standard deviation and worst-case bias
        (the half-length is sd * cv_alpha(bias / sd))."""
        free = self.free
        if free == 0 or m == 0:
            g = np.zeros(free) if free == 0 else -np.linalg.solve(self.quad, self.lin)
            return self.base + self.basis @ g, self.sd(g), m * (self.fixed_bias + float(np.abs(g).sum()))
        scale = math.sqrt(self.const)  # keeps the objective near 1 for the solver's tolerance

        def length(x: np.ndarray) -> float:
            sd = self.sd(x[:free])
            return sd * _folded_cv(m * (self.fixed_bias + x[free:].sum()) / sd, self.alpha) / scale

        def gradient(x: np.ndarray) -> np.ndarray:
            g = x[:free]
            sd = self.sd(g)
            t = m * (self.fixed_bias + x[free:].sum()) / sd
            cv = _folded_cv(t, self.alpha)
            slope = _folded_cv_slope(t, cv)
            d_sd = (self.quad @ g + self.lin) / sd
            return np.concatenate([(cv - t * slope) * d_sd, np.full(free, m * slope)]) / scale

        eye = np.eye(free)
        epigraph = optimize.LinearConstraint(np.block([[-eye, eye], [eye, eye]]), 0.0, np.inf)  # u >= |g|
        best_x, best_value = None, math.inf
        for start in (np.zeros(free), -np.linalg.solve(self.quad, self.lin)):
            res = optimize.minimize(
                length,
                np.concatenate([start, np.abs(start)]),
                jac=gradient,
                constraints=[epigraph],
                method="SLSQP",
                options={"ftol": 1e-15, "maxiter": 1000},
            )
            if float(res.fun) < best_value:
                best_x, best_value = np.asarray(res.x, dtype=float), float(res.fun)
        if best_x is None:
            raise RuntimeError("the fixed-length confidence interval could not be optimised")
        g = best_x[:free]
        return self.base + self.basis @ g, self.sd(g), m * (self.fixed_bias + float(np.abs(g).sum()))


def _sd_interval(beta: np.ndarray, flci: _Flci, m: float) -> tuple[float, float]:
    v, sd, bias = flci.solve(m)
    half = sd * _folded_cv(bias / sd, flci.alpha)
    centre = float(v @ beta)
    return centre - half, centre + half


# ---------------------------------------------------------------------------------------------
# Breakdown values


def _breakdown(excludes, start: float, grid: Sequence[float]) -> float:
    """Largest bound at which `excludes(bound)` still holds, by bisection from the grid's answers.

    `start` is a positive scale (the first step when no grid value breaks the conclusion)."""
    holds = [b for b in grid if excludes(b)]
    fails = [b for b in grid if not excludes(b)]
    lo = max(holds, default=0.0)
    above = [b for b in fails if b > lo]
    if not holds and not excludes(0.0):
        return 0.0
    hi = min(above) if above else None
    step = max(lo, start)
    while hi is None:
        candidate = lo + step
        if candidate > _BREAKDOWN_CAP * start:
            return math.inf
        if excludes(candidate):
            lo, step = candidate, 2 * step
        else:
            hi = candidate
    while hi - lo > _BREAKDOWN_TOL * start:
        mid = (lo + hi) / 2
        if excludes(mid):
            lo = mid
        else:
            hi = mid
    return lo


# ---------------------------------------------------------------------------------------------
# Public entry point


def honest_did(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    *,
    l_vec: Sequence[float] | np.ndarray | None = None,
    mbar: Sequence[float] = DEFAULT_MBAR,
    m: Sequence[float] | None = None,
    alpha: float = 0.05,
    grid_points: int = GRID_POINTS,
    seed: int = 0,
    breakdown: bool = True,
) -> HonestResult:
    """Robust intervals and breakdown values for l' tau_post under both restrictions.

    `betahat` and `sigma` are the event-study coefficients and their full covariance (not just
    standard errors), ordered from the earliest pre-start period to the last post-start one with
    the reference period (the one just before the start) left out, as HonestDiD takes them;
    `n_pre` and `n_post` count each side. The periods must be consecutive. The target is the
    first post-start effect unless `l_vec` gives weights (e.g. [1 / n_post] * n_post for the
    average). `mbar` and `m` are the grids of relative-magnitude and smoothness bounds (`m` in
    the outcome's units; by default ten values from 0 to HonestDiD's upper bound from the
    pre-start second differences). `grid_points` and `seed` are HonestDiD's gridPoints and seed
    for Delta^RM. `breakdown=False` skips the breakdown search (about ten more intervals each).
    """
    beta, cov, lv = _inputs(betahat, sigma, n_pre, n_post, l_vec, alpha)
    mbars = _check_bounds("mbar", mbar)
    ms = _check_bounds("m", _default_m(beta, cov, n_pre, alpha) if m is None else m)
    if grid_points < 10:
        raise OptionError(f"grid_points={grid_points} is too coarse (use at least 10)")
    est, se, lower, upper = original_interval(beta, cov, n_pre, lv, alpha)

    def rm(bound: float) -> tuple[float, float]:
        return _rm_interval(beta, cov, n_pre, n_post, lv, bound, alpha, grid_points, seed)

    flci = _Flci(cov, n_pre, lv, alpha)

    def sd(bound: float) -> tuple[float, float]:
        return _sd_interval(beta, flci, bound)

    rm_rows = tuple(RobustInterval(b, *rm(b)) for b in mbars)
    sd_rows = tuple(RobustInterval(b, *sd(b)) for b in ms)
    breakdown_rm = breakdown_sd = None
    if breakdown and (lower > 0 or upper < 0):
        known_rm = {r.bound: r.excludes_zero for r in rm_rows}
        known_sd = {r.bound: r.excludes_zero for r in sd_rows}

        def rm_excludes(b: float) -> bool:
            if b not in known_rm:
                known_rm[b] = RobustInterval(b, *rm(b)).excludes_zero
            return known_rm[b]

        def sd_excludes(b: float) -> bool:
            if b not in known_sd:
                known_sd[b] = RobustInterval(b, *sd(b)).excludes_zero
            return known_sd[b]

        breakdown_rm = _breakdown(rm_excludes, 0.5, mbars)
        breakdown_sd = _breakdown(sd_excludes, max(ms) / 10 if max(ms) > 0 else se, ms)
    return HonestResult(
        l_vec=tuple(float(x) for x in lv),
        n_pre=n_pre,
        n_post=n_post,
        alpha=alpha,
        estimate=est,
        std_error=se,
        original=(lower, upper),
        relative_magnitudes=rm_rows,
        smoothness=sd_rows,
        breakdown_rm=breakdown_rm,
        breakdown_sd=breakdown_sd,
        largest_pre_change=_largest_pre_change(beta, n_pre),
    )


def _largest_pre_change(beta: np.ndarray, n_pre: int) -> float:
    """Largest absolute change between consecutive pre-start coefficients (reference = 0)."""
    pre = np.concatenate([beta[:n_pre], [0.0]])
    return float(np.abs(np.diff(pre)).max())


def _default_m(beta: np.ndarray, sigma: np.ndarray, n_pre: int, alpha: float) -> tuple[float, ...]:
    """Ten M values from 0 to HonestDiD's upper bound: the largest one-sided (1 - alpha) upper
    confidence limit of a pre-start second difference (with one pre-period: its standard error)."""
    if n_pre == 1:
        top = math.sqrt(sigma[0, 0])
    else:
        diff = np.zeros((n_pre - 1, n_pre))
        for r in range(n_pre - 2):
            diff[r, r : r + 3] = (1.0, -2.0, 1.0)
        diff[n_pre - 2, n_pre - 2 : n_pre] = (1.0, -2.0)  # the last uses the reference period's 0
        both = np.vstack([diff, -diff])
        se = np.sqrt(np.diag(both @ sigma[:n_pre, :n_pre] @ both.T))
        top = float(np.max(both @ beta[:n_pre] + stats.norm.ppf(1 - alpha) * se))
    return tuple(float(x) for x in np.linspace(0.0, max(top, 0.0), 10))
