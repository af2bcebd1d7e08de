"""How strong would hidden bias have to be to change a matched comparison's verdict?

Two measures, both numbers only (report wording lives in `evaluation.report`):

* **Rosenbaum bounds** for a binary outcome (Rosenbaum 2002, *Observational Studies*, 2nd
  ed., ch. 4). Matching removes differences in what was recorded; an unrecorded difference
  could still make one person in a matched set more likely to take part. Rosenbaum's model
  lets two matched people's odds of taking part differ by a factor of at most Γ (gamma). For
  each Γ the one-sided p-value of the test of no effect is bounded above and below; the
  *critical Γ* is where the upper bound reaches alpha: hidden bias that strong could explain
  the finding away, weaker bias could not. Γ = 1 is the usual randomisation test.

  - Matched pairs (`mcnemar_bounds`, §4.3): only discordant pairs (one of the two had the
    outcome) carry information. Of D of them, the number T in which the participant had the
    outcome is, under the null and bias at most Γ, stochastically no larger than
    Binomial(D, Γ/(1+Γ)), so the upper bound is that binomial's upper tail at T (exact).
  - Matched sets with one participant and k >= 1 comparisons, k varying between sets
    (`matched_set_bounds`, §4.4 on sign-score statistics; Gastwirth, Krieger & Rosenbaum
    2000). The statistic is the Mantel-Haenszel count of participants with the outcome. In a set of n people of whom m
    had the outcome the participant had it with probability at most Γm / (Γm + n - m); the
    sets are independent, so the bound is a sum of independent Bernoullis, computed exactly
    or (the textbook's large-sample form) from its exact mean and variance by the normal
    approximation.

* The **E-value** (VanderWeele & Ding 2017, Annals of Internal Medicine 167(4):268-274): the
  risk ratio an unmeasured confounder would need with both taking part and the outcome to
  explain an observed risk ratio away, RR + sqrt(RR (RR - 1)), for the estimate and for the
  confidence limit nearer the null; a difference in proportions is converted on its base rate.

Assumptions a caller must respect: the matched sets are disjoint (matching with replacement,
as `evaluation.matched` does, reuses comparison people, so the sets are not independent and
the bounds are then approximate), and the outcome is 0/1 and measured once per person.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, signal, stats

from evaluation.errors import InputError, OptionError
from evaluation.options import check_option

__all__ = [
    "DEFAULT_GAMMAS",
    "EValue",
    "RosenbaumBounds",
    "e_value",
    "e_value_from_difference",
    "matched_set_bounds",
    "mcnemar_bounds",
    "risk_ratio_from_difference",
    "score_bounds",
]

Alternative = Literal["greater", "less"]
"""'greater': the activity raised the outcome (the participant had it more often); 'less': lowered it."""
Method = Literal["normal", "exact"]

DEFAULT_GAMMAS: tuple[float, ...] = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0)
_GAMMA_CEILING = 1e8  # the search for the critical gamma stops here (returned as inf)


@dataclass(frozen=True)
class RosenbaumBounds:
    """Bounds on the one-sided p-value of the test of no effect at each Γ, and the critical Γ.

    `statistic` is the number of informative sets (discordant pairs) in which the participant
    had the outcome (for alternative 'less': did not have it), out of `n_informative`;
    `expected` is its expectation without hidden bias (Γ = 1). `critical_gamma` is the Γ at
    which `p_upper` reaches `alpha` (inf if it never does below 1e8), or None when the
    finding is not significant even at Γ = 1, so there is no verdict for bias to change.
    """

    design: Literal["pairs", "matched sets", "matched sets, scores"]
    method: Method
    alternative: Alternative
    statistic: float
    n_informative: int
    expected: float
    gammas: tuple[float, ...]
    p_upper: tuple[float, ...]
    p_lower: tuple[float, ...]
    alpha: float
    critical_gamma: float | None

    @property
    def significant(self) -> bool:
        """True when the test rejects at `alpha` with no hidden bias (Γ = 1)."""
        return self.critical_gamma is not None


@dataclass(frozen=True)
class EValue:
    """E-values for a risk ratio, its confidence interval, and the ratio it is moved towards.

    `e_value` is for the estimate; `e_value_limit` for the confidence limit nearer `true`
    (1.0 when the interval includes `true`; None when no limits were given).
    """

    risk_ratio: float
    lower: float | None
    upper: float | None
    true: float
    e_value: float
    e_value_limit: float | None


# ----------------------------------------------------------------------------- checks


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must be a number between 0 and 1")
    return float(alpha)


def _check_gammas(gammas: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(g) for g in gammas)
    if not values or any(not math.isfinite(g) or g < 1 for g in values):
        raise OptionError(f"gammas={gammas!r} must be finite numbers of at least 1")
    return values


def _check_count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(f"{name}={value!r} must be a whole, non-negative count")
    return int(value)


def _whole_array(values: Sequence[int] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional (one value per matched set)")
    if array.dtype == bool:
        array = array.astype(int)
    if array.size and (not np.all(np.isfinite(array)) or not np.all(array == np.round(array))):
        raise InputError(f"{name} must hold whole numbers")
    return array.astype(np.int64)


# ----------------------------------------------------------------------------- bounds


def _critical_gamma(p_upper, alpha: float) -> float | None:
    """The Γ at which the upper-bound p-value reaches alpha (brentq on log Γ)."""
    if p_upper(1.0) >= alpha:
        return None
    high = math.log(2.0)
    while p_upper(math.exp(high)) < alpha:
        high *= 2
        if math.exp(high) > _GAMMA_CEILING:
            return math.inf
    return float(math.exp(optimize.brentq(lambda t: p_upper(math.exp(t)) - alpha, 0.0, high, xtol=1e-10)))


def _result(design, method, alternative, statistic, n_informative, expected, gammas, alpha, upper, lower):
    return RosenbaumBounds(
        design=design,
        method=method,
        alternative=alternative,
        statistic=float(statistic),
        n_informative=int(n_informative),
        expected=float(expected),
        gammas=gammas,
        p_upper=tuple(float(upper(g)) for g in gammas),
        p_lower=tuple(float(lower(g)) for g in gammas),
        alpha=alpha,
        critical_gamma=_critical_gamma(upper, alpha),
    )


def mcnemar_bounds(
    treated_only: int,
    control_only: int,
    *,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
    alternative: Alternative = "greater",
) -> RosenbaumBounds:
    """Rosenbaum bounds for McNemar's test in matched pairs (Rosenbaum 2002, §4.3); exact.

    `treated_only`: discordant pairs in which only the participant had the outcome;
    `control_only`: those in which only the comparison person had it (concordant pairs carry
    no information). At Γ = 1 the upper bound is the exact one-sided McNemar (sign) test.
    """
    alternative = check_option("alternative", alternative, Alternative)
    alpha, grid = _check_alpha(alpha), _check_gammas(gammas)
    up, down = _check_count(treated_only, "treated_only"), _check_count(control_only, "control_only")
    statistic = up if alternative == "greater" else down
    total = up + down

    def upper(gamma: float) -> float:
        return float(stats.binom.sf(statistic - 1, total, gamma / (1 + gamma)))

    def lower(gamma: float) -> float:
        return float(stats.binom.sf(statistic - 1, total, 1 / (1 + gamma)))

    return _result("pairs", "exact", alternative, statistic, total, total / 2, grid, alpha, upper, lower)


def _poisson_binomial_sf(statistic: int, groups: list[tuple[int, float]]) -> float:
    """P(sum >= statistic) for independent Bernoullis given as (count, probability) groups."""
    pmf = np.ones(1)
    for count, prob in groups:
        pmf = signal.fftconvolve(pmf, stats.binom.pmf(np.arange(count + 1), count, prob))
    pmf = np.clip(pmf, 0.0, None)
    return float(min(1.0, pmf[statistic:].sum()))


def matched_set_bounds(
    treated_outcome: Sequence[int] | np.ndarray,
    control_positives: Sequence[int] | np.ndarray,
    n_controls: Sequence[int] | np.ndarray,
    *,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
    alternative: Alternative = "greater",
    method: Method = "normal",
    continuity_correction: bool = False,
) -> RosenbaumBounds:
    """Rosenbaum bounds for the Mantel-Haenszel count in 1:k matched sets (Rosenbaum 2002, §4.4).

    One entry per matched set: the participant's outcome (0/1), how many of its comparison
    people had the outcome, and how many comparison people it has (k >= 1, may vary). Sets in
    which everybody or nobody had the outcome carry no information. `method='normal'` is
    the textbook's large-sample form (exact mean and variance of the bounding distribution;
    `continuity_correction` subtracts 1/2 from the count); `'exact'` sums the bounding
    distribution exactly. At Γ = 1 the normal form is the one-sided Mantel-Haenszel test.
    """
    alternative = check_option("alternative", alternative, Alternative)
    method = check_option("method", method, Method)
    alpha, grid = _check_alpha(alpha), _check_gammas(gammas)
    treated = _whole_array(treated_outcome, "treated_outcome")
    positives = _whole_array(control_positives, "control_positives")
    controls = _whole_array(n_controls, "n_controls")
    if not treated.size == positives.size == controls.size:
        raise InputError(
            "treated_outcome, control_positives and n_controls must have one value per matched set"
        )
    if np.any((treated != 0) & (treated != 1)):
        raise InputError("treated_outcome must be 0 or 1 for every matched set")
    if np.any(controls < 1) or np.any(positives < 0) or np.any(positives > controls):
        raise InputError("each set needs n_controls >= 1 and 0 <= control_positives <= n_controls")
    if alternative == "less":  # count the participant not having the outcome instead
        treated, positives = 1 - treated, controls - positives
    size = controls + 1
    with_outcome = treated + positives
    informative = (with_outcome > 0) & (with_outcome < size)
    statistic = int(treated[informative].sum())
    # Sets sharing (people with the outcome, set size) share the bounding probability.
    kinds, counts = np.unique(
        np.column_stack([with_outcome[informative], size[informative]]), axis=0, return_counts=True
    )
    m, n = kinds[:, 0].astype(float), kinds[:, 1].astype(float)
    shift = 0.5 if continuity_correction else 0.0

    def tail(probs: np.ndarray) -> float:
        if method == "exact":
            return _poisson_binomial_sf(statistic, list(zip(counts.tolist(), probs.tolist(), strict=True)))
        mean = float(np.sum(counts * probs))
        var = float(np.sum(counts * probs * (1 - probs)))
        if var == 0:
            return 1.0 if statistic <= mean else 0.0
        return float(stats.norm.sf((statistic - shift - mean) / math.sqrt(var)))

    def upper(gamma: float) -> float:
        return tail(gamma * m / (gamma * m + n - m))

    def lower(gamma: float) -> float:
        return tail(m / (m + gamma * (n - m)))

    expected = float(np.sum(counts * m / n))
    return _result(
        "matched sets", method, alternative, statistic, counts.sum(), expected, grid, alpha, upper, lower
    )


def score_bounds(
    sets: Sequence[int] | np.ndarray,
    treated: Sequence[bool] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    *,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
    alternative: Alternative = "greater",
) -> RosenbaumBounds:
    """Rosenbaum bounds for the sum of participants' scores in 1:k matched sets, any scores.

    One row per person: their matched set, whether they are its participant (one per set) and
    their score (for a difference-in-differences, each person's change in the outcome). The
    statistic is the participants' total score over the sets whose members' scores differ. Under bias at most Γ, each set's contribution
    is bounded by the separable approximation of Gastwirth, Krieger & Rosenbaum (2000; Rosenbaum
    2002, §4.6): with the set's scores sorted, the hidden covariate is 1 for the a highest and 0
    for the rest, a chosen to maximise the expectation (then the variance); the bound is normal
    with the summed means and variances. With 0/1 scores it is `matched_set_bounds`' normal form.
    """
    alternative = check_option("alternative", alternative, Alternative)
    alpha, grid = _check_alpha(alpha), _check_gammas(gammas)
    frame = pd.DataFrame(
        {
            "set": np.asarray(sets),
            "treated": np.asarray(treated, dtype=bool),
            "score": np.asarray(scores, float),
        }
    )
    if not np.all(np.isfinite(frame["score"])):
        raise InputError("every score must be a finite number")
    per_set = frame.groupby("set")["treated"].agg(["sum", "size"])
    if not (per_set["sum"] == 1).all() or not (per_set["size"] >= 2).all():
        raise InputError("each matched set needs exactly one participant and at least one comparison")
    if alternative == "less":
        frame["score"] = -frame["score"]
    spread = frame.groupby("set")["score"].transform(lambda q: q.max() > q.min())
    frame = frame[spread.astype(bool)]  # a set whose members all scored alike carries no information
    statistic = float(frame.loc[frame["treated"], "score"].sum())
    informative = [np.sort(group.to_numpy()) for _, group in frame.groupby("set")["score"]]

    def moments(gamma: float) -> tuple[float, float]:
        mean = variance = 0.0
        for q in informative:
            n = len(q)
            weights = np.array([[1.0] * a + [gamma] * (n - a) for a in range(1, n)])
            total = weights.sum(axis=1)
            means = weights @ q / total
            variances = weights @ (q * q) / total - means**2
            best = np.lexsort((-variances, -means))[0]
            mean += float(means[best])
            variance += float(variances[best])
        return mean, variance

    def tail(gamma: float) -> float:
        mean, variance = moments(gamma)
        if variance <= 0:
            return 1.0 if statistic <= mean else 0.0
        return float(stats.norm.sf((statistic - mean) / math.sqrt(variance)))

    def lower(gamma: float) -> float:
        mean = variance = 0.0
        for q in informative:
            n = len(q)
            weights = np.array([[gamma] * a + [1.0] * (n - a) for a in range(1, n)])
            total = weights.sum(axis=1)
            means = weights @ q / total
            variances = weights @ (q * q) / total - means**2
            best = np.lexsort((-variances, means))[0]
            mean += float(means[best])
            variance += float(variances[best])
        if variance <= 0:
            return 1.0 if statistic <= mean else 0.0
        return float(stats.norm.sf((statistic - mean) / math.sqrt(variance)))

    expected = moments(1.0)[0]
    return _result(
        "matched sets, scores",
        "normal",
        alternative,
        statistic,
        len(informative),
        expected,
        grid,
        alpha,
        tail,
        lower,
    )


# ----------------------------------------------------------------------------- E-value


def _e(ratio: float) -> float:
    """The E-value of a risk ratio of at least 1: RR + sqrt(RR (RR - 1))."""
    return ratio + math.sqrt(ratio * (ratio - 1))


def _positive(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise OptionError(f"{name}={value!r} must be a positive finite risk ratio")
    return float(value)


def e_value(
    risk_ratio: float, lower: float | None = None, upper: float | None = None, *, true: float = 1.0
) -> EValue:
    """E-values of a risk ratio and of its confidence limit nearer `true` (VanderWeele & Ding 2017).

    A ratio below `true` is inverted first (the E-value is symmetric); moving the estimate to
    a `true` other than 1 uses RR / true. Give both limits or neither.
    """
    rr = _positive(risk_ratio, "risk_ratio")
    lo, hi, target = _positive(lower, "lower"), _positive(upper, "upper"), _positive(true, "true")
    assert rr is not None and target is not None
    if (lo is None) != (hi is None):
        raise OptionError("give both confidence limits (lower and upper) or neither")
    if lo is not None and hi is not None and not lo <= rr <= hi:
        raise OptionError(f"the interval ({lower}, {upper}) must contain the estimate {risk_ratio}")
    ratio = rr / target
    point = _e(max(ratio, 1 / ratio))
    limit: float | None = None
    if lo is not None and hi is not None:
        if lo <= target <= hi:
            limit = 1.0
        else:
            nearer = lo / target if ratio > 1 else target / hi
            limit = _e(nearer)
    return EValue(rr, lo, hi, target, point, limit)


def risk_ratio_from_difference(difference: float, base_rate: float) -> float:
    """The risk ratio (base_rate + difference) / base_rate of a difference in proportions.

    `base_rate` is the comparison group's proportion with the outcome (0 < base_rate < 1)
    and `difference` the participants' proportion minus it, as fractions.
    """
    if not isinstance(base_rate, int | float) or not 0 < base_rate < 1:
        raise OptionError(f"base_rate={base_rate!r} must be a proportion between 0 and 1")
    treated = base_rate + difference
    if not 0 < treated <= 1:
        raise OptionError(f"base_rate + difference = {treated!r} must be a proportion above 0 and at most 1")
    return treated / base_rate


def e_value_from_difference(
    difference: float,
    base_rate: float,
    lower: float | None = None,
    upper: float | None = None,
) -> EValue:
    """E-values of a difference in proportions (and its interval) on the base rate's risk ratio scale.

    Each of the estimate and the limits is converted with `risk_ratio_from_difference`,
    holding the base rate fixed: its own sampling error is ignored, so the limits' E-values
    are approximate.
    """
    rr = risk_ratio_from_difference(difference, base_rate)
    lo = None if lower is None else risk_ratio_from_difference(lower, base_rate)
    hi = None if upper is None else risk_ratio_from_difference(upper, base_rate)
    return e_value(rr, lo, hi)
