"""Power and the minimum detectable effect: how big an effect an analysis could have found.

A "not significant" verdict means little without the effect the analysis could have detected;
these functions give that number for each design, and prospectively the number of participants
an activity would need. Numbers only (the sentences are in `evaluation.report.power_words`).
They compose `statsmodels.stats.power` rather than re-deriving power formulas.

* **Matched comparison of a 0/1 outcome** (`minimum_detectable_effect`,
  `participants_needed`): a two-sided test of two independent proportions on the arcsine
  scale (Cohen's h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)), `NormalIndPower`), whose variance
  does not depend on the unknown effect. The h found is turned back into proportions around
  the comparison group's `base_rate`, so the detectable rise and fall differ (the scale
  stretches near 0 and 1). Repeated person-months shrink the information by the design
  effect 1 + (m - 1) rho for m months per person with within-person correlation rho.
  Assumptions: the comparison group is `ratio` times the participants and independent of
  them (matching with replacement reuses comparison people: pass the effective ratio), and
  no gain from regression adjustment is counted, so the figures are slightly conservative.
* **Areas** (`area_minimum_detectable_effect`): a two-sample t-test of an area-level
  outcome (for example each area's change in employment rate) between G1 treated and G0
  comparison areas on G1 + G0 - 2 degrees of freedom (`TTestIndPower`), with `sd_area` the
  standard deviation of that outcome between areas within a group; areas independent, equal
  variances, outcome roughly normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from evaluation.errors import OptionError

__all__ = [
    "AreaMinimumDetectableEffect",
    "MinimumDetectableEffect",
    "ParticipantsNeeded",
    "DetectableFromError",
    "area_minimum_detectable_effect",
    "design_effect",
    "detectable_from_standard_error",
    "minimum_detectable_effect",
    "participants_needed",
]


@dataclass(frozen=True)
class MinimumDetectableEffect:
    """The smallest difference in proportions a matched comparison could detect.

    `difference` is the smallest rise above `base_rate` (a fraction: 0.14 is 14 percentage
    points) detected with probability `power` by a two-sided test at `alpha`;
    `difference_down` the smallest fall. Either is inf when no change within [0, 1] would do.
    `effective_n_treated` is the participants' information after the design effect.
    """

    n_treated: int
    ratio: float
    base_rate: float
    alpha: float
    power: float
    n_periods: int
    within_person_correlation: float
    design_effect: float
    effective_n_treated: float
    cohens_h: float
    difference: float
    difference_down: float


@dataclass(frozen=True)
class ParticipantsNeeded:
    """How many participants (and comparison people) a stated effect needs.

    `participants` is `exact` rounded up; `comparison` is `ratio` times that, rounded up.
    """

    effect: float
    ratio: float
    base_rate: float
    alpha: float
    power: float
    n_periods: int
    within_person_correlation: float
    design_effect: float
    cohens_h: float
    exact: float
    participants: int
    comparison: int


@dataclass(frozen=True)
class AreaMinimumDetectableEffect:
    """The smallest difference in an area-level outcome an area comparison could detect.

    `difference` is in the outcome's units (those of `sd_area`); `standardized` is Cohen's d.
    """

    n_treated_areas: int
    n_control_areas: int
    sd_area: float
    alpha: float
    power: float
    degrees_of_freedom: int
    standardized: float
    difference: float


# ----------------------------------------------------------------------------- checks


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{name}={value!r} must be a finite number")
    return float(value)


def _whole(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OptionError(f"{name}={value!r} must be a whole number of at least {minimum}")
    return value


def _levels(alpha: float, power: float) -> tuple[float, float]:
    a, p = _number(alpha, "alpha"), _number(power, "power")
    if not 0 < a < 1:
        raise OptionError(f"alpha={alpha!r} must be between 0 and 1")
    if not a < p < 1:
        raise OptionError(f"power={power!r} must be above alpha ({alpha!r}) and below 1")
    return a, p


def _proportion(value: float, name: str) -> float:
    rate = _number(value, name)
    if not 0 < rate < 1:
        raise OptionError(f"{name}={value!r} must be a proportion strictly between 0 and 1")
    return rate


def _ratio(value: float) -> float:
    ratio = _number(value, "ratio")
    if ratio <= 0:
        raise OptionError(f"ratio={value!r} must be a positive number of comparison people per participant")
    return ratio


def design_effect(n_periods: int = 1, within_person_correlation: float = 0.0) -> float:
    """1 + (m - 1) rho: how much m correlated months per person inflate a mean's variance."""
    m = _whole(n_periods, "n_periods", 1)
    rho = _number(within_person_correlation, "within_person_correlation")
    if not 0 <= rho <= 1:
        raise OptionError(f"within_person_correlation={within_person_correlation!r} must be between 0 and 1")
    return 1 + (m - 1) * rho


# ----------------------------------------------------------------------------- proportions


def _shift(base_rate: float, h: float) -> float:
    """The proportion whose arcsine-scale distance from `base_rate` is h (inf if none exists)."""
    angle = math.asin(math.sqrt(base_rate)) + h / 2
    if not 0 <= angle <= math.pi / 2:
        return math.inf
    return math.sin(angle) ** 2


def minimum_detectable_effect(
    n_treated: int,
    *,
    ratio: float,
    base_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    n_periods: int = 1,
    within_person_correlation: float = 0.0,
) -> MinimumDetectableEffect:
    """The smallest difference in proportions `n_treated` participants could detect (two-sided).

    `ratio` comparison people per participant, `base_rate` the comparison group's proportion
    with the outcome, `n_periods` months per person with `within_person_correlation`.
    """
    n = _whole(n_treated, "n_treated", 2)
    ratio, p0 = _ratio(ratio), _proportion(base_rate, "base_rate")
    alpha, power = _levels(alpha, power)
    deff = design_effect(n_periods, within_person_correlation)
    effective = n * n_periods / deff
    h = float(
        NormalIndPower().solve_power(
            effect_size=None, nobs1=effective, alpha=alpha, power=power, ratio=ratio, alternative="two-sided"
        )
    )
    up, down = _shift(p0, h), _shift(p0, -h)
    return MinimumDetectableEffect(
        n_treated=n,
        ratio=ratio,
        base_rate=p0,
        alpha=alpha,
        power=power,
        n_periods=n_periods,
        within_person_correlation=float(within_person_correlation),
        design_effect=deff,
        effective_n_treated=effective,
        cohens_h=h,
        difference=up - p0,
        difference_down=p0 - down if math.isfinite(down) else math.inf,
    )


def participants_needed(
    effect: float,
    *,
    ratio: float,
    base_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    n_periods: int = 1,
    within_person_correlation: float = 0.0,
) -> ParticipantsNeeded:
    """How many participants detect a change of `effect` in the proportion (two-sided test).

    `effect` is a fraction (0.05 = 5 percentage points; negative for a fall) added to
    `base_rate`; the other arguments are as for `minimum_detectable_effect`.
    """
    change = _number(effect, "effect")
    ratio, p0 = _ratio(ratio), _proportion(base_rate, "base_rate")
    alpha, power = _levels(alpha, power)
    p1 = base_rate + change
    if change == 0 or not 0 <= p1 <= 1:
        raise OptionError(f"effect={effect!r} must be non-zero and keep base_rate + effect within 0 and 1")
    deff = design_effect(n_periods, within_person_correlation)
    h = abs(float(proportion_effectsize(p1, p0)))
    effective = float(
        NormalIndPower().solve_power(
            effect_size=h, nobs1=None, alpha=alpha, power=power, ratio=ratio, alternative="two-sided"
        )
    )
    exact = effective * deff / n_periods
    participants = math.ceil(exact - 1e-9)
    return ParticipantsNeeded(
        effect=change,
        ratio=ratio,
        base_rate=p0,
        alpha=alpha,
        power=power,
        n_periods=n_periods,
        within_person_correlation=float(within_person_correlation),
        design_effect=deff,
        cohens_h=h,
        exact=exact,
        participants=participants,
        comparison=math.ceil(participants * ratio - 1e-9),
    )


# ----------------------------------------------------------------------------- areas


def area_minimum_detectable_effect(
    n_treated_areas: int,
    n_control_areas: int,
    *,
    sd_area: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> AreaMinimumDetectableEffect:
    """The smallest difference in an area-level outcome a treated-versus-comparison test could detect.

    Two-sided two-sample t-test on n_treated_areas + n_control_areas - 2 degrees of freedom
    (see the module docstring for the assumptions); `sd_area` > 0 in the outcome's units.
    """
    treated = _whole(n_treated_areas, "n_treated_areas", 1)
    control = _whole(n_control_areas, "n_control_areas", 1)
    if treated + control < 3:
        raise OptionError("an area comparison needs at least 3 areas in all (1 degree of freedom)")
    sd = _number(sd_area, "sd_area")
    if sd <= 0:
        raise OptionError(f"sd_area={sd_area!r} must be positive")
    alpha, power = _levels(alpha, power)
    d = float(
        TTestIndPower().solve_power(
            effect_size=None,
            nobs1=treated,
            alpha=alpha,
            power=power,
            ratio=control / treated,
            alternative="two-sided",
        )
    )
    return AreaMinimumDetectableEffect(
        n_treated_areas=treated,
        n_control_areas=control,
        sd_area=sd,
        alpha=alpha,
        power=power,
        degrees_of_freedom=treated + control - 2,
        standardized=d,
        difference=d * sd,
    )


@dataclass(frozen=True)
class DetectableFromError:
    """What a completed analysis could detect, from its own standard error (Bloom 1995).

    `difference` = (z(1 - alpha/2) + z(power)) x `standard_error` (2.80 standard errors at 5%
    and 80%): the true effect the analysis would have found significant with probability
    `power`. `participants_needed` is the number of participants for `stated_effect` to be
    detectable the same way, the standard error shrinking as one over the square root of the
    participants (comparisons in the same proportion)."""

    standard_error: float
    n_participants: int
    alpha: float
    power: float
    multiplier: float
    difference: float
    stated_effect: float
    participants_needed: int | None


def detectable_from_standard_error(
    standard_error: float,
    n_participants: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    stated_effect: float = 0.05,
) -> DetectableFromError:
    """The minimum detectable effect of an estimate with this standard error (two-sided), and
    the participants an analysis of the same design would need to detect `stated_effect`.

    This is the figure for a finished analysis: it carries every feature of the design (match
    weights, repeated comparison people, the baseline difference, clustering) through the
    standard error, where `minimum_detectable_effect` assumes two independent samples."""
    se = _number(standard_error, "standard_error")
    n = _whole(n_participants, "n_participants", 1)
    alpha, power = _levels(alpha, power)
    effect = _number(stated_effect, "stated_effect")
    if not se > 0 or not effect > 0:
        raise OptionError("standard_error and stated_effect must be positive")
    multiplier = float(
        NormalIndPower().solve_power(effect_size=None, nobs1=2.0, alpha=alpha, power=power, ratio=1.0)
    )
    difference = multiplier * se
    needed = math.ceil(n * (difference / effect) ** 2)
    return DetectableFromError(
        standard_error=se,
        n_participants=n,
        alpha=alpha,
        power=power,
        multiplier=multiplier,
        difference=difference,
        stated_effect=effect,
        participants_needed=needed,
    )
