"""Do-nothing counterfactual, additionality, net impact and value for money.

An impact estimate (a matched difference-in-differences, say) tells us how much more likely
participants were to be in work than they would have been without the programme. This
module turns it into the quantities a Magenta Book impact and value-for-money section
reports, and into Employment Data Lab style sentences:

* the **counterfactual rate**: observed rate of the participants minus the effect, i.e. the
  share of the same people who would have been in work with no programme;
* **deadweight**: that counterfactual rate. It is *estimated* from the comparison group, so
  no ready-reckoner deadweight is applied on top (CONVENTIONS, "Additionality");
* **net additional outcomes**, by the additionality formula of the HCA Additionality Guide
  as quoted in CONVENTIONS::

      net = gross x (1 - leakage) x (1 - displacement) x (1 - substitution) x multiplier
            - the same for the reference case

  with gross = observed rate x n and the reference case = counterfactual rate x n, so
  net = effect x n x (1 - L)(1 - D)(1 - S) x M. Leakage, displacement and substitution
  default to 0 and the multiplier to 1: they are explicit, recorded choices, never silent
  ready-reckoner defaults;
* **cost per net additional outcome**: spend / net additional, with an interval obtained
  by inverting the bounds of the net additional interval. It is not meaningful when the
  interval of the effect includes zero or the effect is zero or negative, and the result
  says so instead of printing a number.

`evidence_strength` gives the Maryland Scientific Methods Scale level of a design (matched
DiD and area DiD score 3, not 4) with a plain sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evaluation.disclosure import safe_count
from evaluation.errors import OptionError
from evaluation.options import check_option
from evaluation.results import EstimateResult

Design = Literal[
    "matched_did",
    "matched_comparison",
    "comparison_not_credible",
    "area_not_credible",
    "area_too_few",
    "area_did",
    "did",
    "before_after",
    "descriptive",
]

__all__ = [
    "Design",
    "EvidenceStrength",
    "NetImpact",
    "effect_sentence",
    "evidence_strength",
    "format_pp",
    "net_impact",
]


# ---------------------------------------------------------------- wording helpers


def _half_up(value: float, decimals: int = 0) -> float:
    """Round a non-negative number half up (2.5 -> 3), unlike Python's round-half-even."""
    scale = 10**decimals
    return math.floor(value * scale + 0.5) / scale


def format_pp(value: float, decimals: int | None = None) -> str:
    """A proportion as a number of percentage points without sign, for sentences.

    By default whole points, or one decimal place below 0.95 points (which would round to 1):
    0.034 -> "3", 0.004 -> "0.4", 0.0096 -> "1". With `decimals`, always that many places, as
    the tables show them (area effects of about a point: 0.0147 -> "1.5", never "1").
    Below half the last place shown: "less than 0.1" (or 1, 0.01, ...).
    """
    points = abs(100 * float(value))
    if decimals is not None:
        smallest = 10.0**-decimals
        if points < smallest / 2:
            return f"less than {smallest:.{decimals}f}"
        return f"{_half_up(points, decimals):.{decimals}f}"
    if points < 0.05:
        return "less than 0.1"
    if points < 0.95:
        return f"{_half_up(points, 1):.1f}"
    return f"{int(_half_up(points))}"


def _unit(number: str) -> str:
    return "percentage point" if number == "1" else "percentage points"


def _format_percent(rate: float) -> str:
    """A rate as a whole percentage (or one decimal below 1%), e.g. 0.243 -> "24%"."""
    if not np.isfinite(rate):
        return "[x]"
    points = 100 * rate
    if 0 < abs(points) < 0.95:
        return f"{_half_up(abs(points), 1):.1f}%"
    return f"{int(_half_up(points))}%" if points >= 0 else f"-{int(_half_up(-points))}%"


def _format_count(value: float) -> str:
    return f"{int(_half_up(abs(value))):,}"


def _format_money(value: float) -> str:
    return f"£{int(_half_up(value)):,}"


def effect_sentence(
    effect: EstimateResult,
    *,
    outcome_label: str = "in work",
    horizon_label: str = "12 months after referral",
    subject: str = "Participants",
    comparison_label: str = "similar people who did not take part",
) -> str:
    """Employment Data Lab style headline for an effect on a proportion.

    Significant positive: "Participants were between 3 and 9 percentage points more likely
    to be in work 12 months after referral than similar people who did not take part."
    Significant negative: "... between 2 and 6 percentage points less likely ...".
    Interval spanning zero: "... between 1 percentage point less likely and 3 more likely
    ... . The difference is not statistically significant."
    """
    lower, upper = float(effect.ci_lower), float(effect.ci_upper)
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return (
            f"The difference in the chance of being {outcome_label} {horizon_label} could "
            "not be estimated with an interval."
        )
    tail = f"to be {outcome_label} {horizon_label} than {comparison_label}."
    if lower >= 0:
        low, high = format_pp(lower), format_pp(upper)
        span = f"about {high}" if low == high else f"between {low} and {high}"
        text = f"{subject} were {span} {_unit(high)} more likely {tail}"
    elif upper <= 0:
        low, high = format_pp(upper), format_pp(lower)
        span = f"about {high}" if low == high else f"between {low} and {high}"
        text = f"{subject} were {span} {_unit(high)} less likely {tail}"
    else:
        less, more = format_pp(lower), format_pp(upper)
        text = f"{subject} were between {less} {_unit(less)} less likely and {more} more likely {tail}"
    if not effect.significant:
        text += " The difference is not statistically significant."
    return text


# ---------------------------------------------------------------- net impact


def _check_share(name: str, value: float, *, upper_open: bool = True) -> float:
    value = float(value)
    ok = 0 <= value < 1 if upper_open else 0 <= value <= 1
    if not np.isfinite(value) or not ok:
        limit = "below 1" if upper_open else "at most 1"
        raise OptionError(f"{name}={value!r} must be a proportion from 0 to {limit}")
    return value


@dataclass(frozen=True, kw_only=True)
class NetImpact:
    """An effect turned into counterfactual, deadweight, net additional outcomes and cost.

    Rates are proportions (0.25 = 25%). Intervals come from the effect's interval: the
    observed rate of the participants is a fact about them, so the counterfactual interval
    is observed - [effect upper, effect lower] (bounds clipped to 0..1). Cost per net
    additional outcome is spend / net additional with the interval from the inverted bounds,
    and NaN (with `cost_note` saying why) when it is not meaningful.
    """

    effect: EstimateResult = field(repr=False, compare=False)
    observed_rate: float
    n_participants: int
    counterfactual_rate: float
    counterfactual_ci_lower: float
    counterfactual_ci_upper: float
    deadweight_rate: float
    deadweight_share: float
    gross_outcomes: float
    counterfactual_outcomes: float
    leakage: float
    displacement: float
    substitution: float
    multiplier: float
    additionality_factor: float
    net_additional: float
    net_additional_ci_lower: float
    net_additional_ci_upper: float
    spend_gbp: float | None
    cost_per_net_additional: float
    cost_ci_lower: float
    cost_ci_upper: float
    cost_meaningful: bool
    cost_note: str
    outcome_label: str
    horizon_label: str
    comparison_label: str
    deadweight_method: str = (
        "estimated from the comparison group (counterfactual rate); no ready-reckoner deadweight applied"
    )

    @property
    def significant(self) -> bool:
        return self.effect.significant

    @property
    def alpha(self) -> float:
        return self.effect.alpha

    def sentence(self) -> str:
        """The headline effect, Employment Data Lab style."""
        return effect_sentence(
            self.effect,
            outcome_label=self.outcome_label,
            horizon_label=self.horizon_label,
            comparison_label=self.comparison_label,
        )

    def counterfactual_sentence(self) -> str:
        """What the same people would have achieved with no programme (deadweight)."""
        low = _format_percent(self.counterfactual_ci_lower)
        high = _format_percent(self.counterfactual_ci_upper)
        span = f"about {low}" if low == high else f"between {low} and {high}"
        return (
            f"Without the programme, we estimate that {span} of participants would have "
            f"been {self.outcome_label} {self.horizon_label} anyway, compared with "
            f"{_format_percent(self.observed_rate)} who were."
        )

    def net_sentence(self) -> str:
        """Net additional outcomes as a range of people."""
        low, high = self.net_additional_ci_lower, self.net_additional_ci_upper
        if not (np.isfinite(low) and np.isfinite(high)):
            return "The number of additional outcomes could not be estimated."
        what = f"{self.outcome_label} {self.horizon_label} because of the programme"
        people = f"about {safe_count(self.n_participants)}"  # published counts are rounded (disclosure)
        if low >= 0:
            text = f"This means between {_format_count(low)} and {_format_count(high)} more "
            text += f"of {people} participants were {what}"
        elif high <= 0:
            text = f"This means between {_format_count(high)} and {_format_count(low)} fewer "
            text += f"of {people} participants were {what}"
        else:
            text = (
                f"This means between {_format_count(low)} fewer and {_format_count(high)} "
                f"more of {people} participants were {what}"
            )
        text += f" (central estimate {_format_count(self.net_additional)})."
        if not self.significant:
            text += " The difference is not statistically significant."
        return text

    def cost_sentence(self) -> str:
        """Cost per net additional outcome, or why it is not meaningful."""
        if self.spend_gbp is None:
            return "No spend was given, so a cost per additional outcome was not calculated."
        if not self.cost_meaningful:
            return f"A cost per additional outcome is not meaningful: {self.cost_note}."
        low, high = _format_money(self.cost_ci_lower), _format_money(self.cost_ci_upper)
        return (
            f"Each additional person {self.outcome_label} {self.horizon_label} cost between "
            f"{low} and {high} (central estimate "
            f"{_format_money(self.cost_per_net_additional)})."
        )

    def sentences(self) -> list[str]:
        return [
            self.sentence(),
            self.counterfactual_sentence(),
            self.net_sentence(),
            self.cost_sentence(),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: measure, estimate, ci_lower, ci_upper."""
        rows = [
            ("effect (proportion)", self.effect.estimate, self.effect.ci_lower,
             self.effect.ci_upper),
            ("observed rate", self.observed_rate, np.nan, np.nan),
            ("counterfactual rate (deadweight)", self.counterfactual_rate,
             self.counterfactual_ci_lower, self.counterfactual_ci_upper),
            ("net additional outcomes", self.net_additional, self.net_additional_ci_lower,
             self.net_additional_ci_upper),
            ("cost per net additional outcome (GBP)", self.cost_per_net_additional,
             self.cost_ci_lower, self.cost_ci_upper),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=["measure", "estimate", "ci_lower", "ci_upper"])


def _cost(spend, net, low, high, effect: EstimateResult) -> tuple[float, float, float, bool, str]:
    nan = float("nan")
    if spend is None:
        return nan, nan, nan, False, "no spend was given"
    if not np.isfinite(net) or not np.isfinite(low):
        return nan, nan, nan, False, "the effect could not be estimated"
    if effect.estimate <= 0:
        return (
            nan,
            nan,
            nan,
            False,
            "the estimated effect is zero or negative, so the programme produced no "
            "additional outcomes to divide the spend between",
        )
    if low <= 0:
        return (
            nan,
            nan,
            nan,
            False,
            "the interval of the effect includes zero (the effect is not statistically "
            "significant), so the cost per additional outcome could be anything up to "
            "infinite",
        )
    if spend == 0:
        return 0.0, 0.0, 0.0, True, "no money was spent"
    return spend / net, spend / high, spend / low, True, ""


def net_impact(
    effect: EstimateResult,
    *,
    observed_rate: float,
    n_participants: int,
    spend_gbp: float | None = None,
    outcome_label: str = "in work",
    horizon_label: str = "12 months after referral",
    comparison_label: str = "similar people who did not take part",
    leakage: float = 0.0,
    displacement: float = 0.0,
    substitution: float = 0.0,
    multiplier: float = 1.0,
) -> NetImpact:
    """Counterfactual, deadweight, net additional outcomes and cost of an effect on a rate.

    `effect` is an effect on a proportion (for example a `MatchedDiDResult`) for people whose
    observed outcome rate is `observed_rate`; `n_participants` is how many people the effect
    is applied to. Leakage, displacement and substitution (proportions below 1) and the
    multiplier (positive) apply the HCA Additionality Guide formula to both the programme
    and the reference case; with a matched or DiD comparison deadweight is already
    estimated, so none of these is a deadweight ready-reckoner.
    """
    if not isinstance(effect, EstimateResult):
        raise TypeError(f"effect must be an EstimateResult, got {type(effect).__name__}")
    observed = _check_share("observed_rate", observed_rate, upper_open=False)
    if isinstance(n_participants, bool) or int(n_participants) != n_participants:
        raise OptionError(f"n_participants={n_participants!r} must be a whole number")
    n = int(n_participants)
    if n < 0:
        raise OptionError(f"n_participants={n_participants!r} must not be negative")
    leakage = _check_share("leakage", leakage)
    displacement = _check_share("displacement", displacement)
    substitution = _check_share("substitution", substitution)
    multiplier = float(multiplier)
    if not np.isfinite(multiplier) or multiplier <= 0:
        raise OptionError(f"multiplier={multiplier!r} must be a positive number")
    if spend_gbp is not None:
        spend_gbp = float(spend_gbp)
        if not np.isfinite(spend_gbp) or spend_gbp < 0:
            raise OptionError(f"spend_gbp={spend_gbp!r} must be a non-negative amount or None")

    counterfactual = observed - effect.estimate
    cf_low = float(np.clip(observed - effect.ci_upper, 0.0, 1.0))
    cf_high = float(np.clip(observed - effect.ci_lower, 0.0, 1.0))
    factor = (1 - leakage) * (1 - displacement) * (1 - substitution) * multiplier
    gross = observed * n
    reference = counterfactual * n
    net = gross * factor - reference * factor
    net_low, net_high = effect.ci_lower * n * factor, effect.ci_upper * n * factor
    cost, cost_low, cost_high, meaningful, note = _cost(spend_gbp, net, net_low, net_high, effect)
    return NetImpact(
        effect=effect,
        observed_rate=observed,
        n_participants=n,
        counterfactual_rate=float(counterfactual),
        counterfactual_ci_lower=cf_low,
        counterfactual_ci_upper=cf_high,
        deadweight_rate=float(counterfactual),
        deadweight_share=float(counterfactual / observed) if observed > 0 else float("nan"),
        gross_outcomes=float(gross),
        counterfactual_outcomes=float(reference),
        leakage=leakage,
        displacement=displacement,
        substitution=substitution,
        multiplier=multiplier,
        additionality_factor=float(factor),
        net_additional=float(net),
        net_additional_ci_lower=float(net_low),
        net_additional_ci_upper=float(net_high),
        spend_gbp=spend_gbp,
        cost_per_net_additional=float(cost),
        cost_ci_lower=float(cost_low),
        cost_ci_upper=float(cost_high),
        cost_meaningful=meaningful,
        cost_note=note,
        outcome_label=outcome_label,
        horizon_label=horizon_label,
        comparison_label=comparison_label,
    )


# ---------------------------------------------------------------- evidence strength


@dataclass(frozen=True)
class EvidenceStrength:
    """Maryland Scientific Methods Scale level (None: no impact estimate) and why."""

    design: str
    level: int | None
    label: str
    sentence: str


_SMS = {
    "matched_did": (
        3,
        "Level 3 of 5 on the Maryland Scientific Methods Scale",
        "The estimate compares participants with a matched group of similar non-participants "
        "who had the same employment and benefit history before referral, and passed checks "
        "on the months before referral where the true effect is zero. This is level 3 of 5 "
        "on the Maryland Scientific Methods Scale: a justified comparison group with "
        "before-and-after data. It is not higher because who took part was not decided at "
        "random, so differences that the matching does not capture could remain.",
    ),
    "comparison_not_credible": (
        2,
        "Level 2 of 5 on the Maryland Scientific Methods Scale",
        "A comparison group was built, but it failed the checks on the months before "
        "referral, where the true effect is zero: the people compared already differed in "
        "ways the matching does not capture. The comparison is therefore no better than "
        "level 2 of 5 on the Maryland Scientific Methods Scale, and no verdict on the "
        "activity's impact is published.",
    ),
    "area_not_credible": (
        2,
        "Level 2 of 5 on the Maryland Scientific Methods Scale",
        "Comparison areas were used, but before the activity started they were already moving apart from the "
        "areas where it ran, so the difference after the start cannot be put down to the activity. The "
        "comparison is therefore no better than level 2 of 5 on the Maryland Scientific Methods Scale, and no "
        "verdict on the activity's impact is published.",
    ),
    "area_too_few": (
        None,
        "No impact estimate",
        "Comparison areas exist, but too few areas ran the activity for a comparison of areas to "
        "tell its effect apart from the chance differences between areas, so no verdict on the "
        "activity's impact is published. Outcomes shown are what happened, not what the activity "
        "caused.",
    ),
    "area_did": (
        3,
        "Level 3 of 5 on the Maryland Scientific Methods Scale",
        "The estimate compares the change in areas where the activity ran with the change in "
        "comparable areas where it did not (area-level difference-in-differences). This is "
        "level 3 of 5 on the Maryland Scientific Methods Scale: a comparison group with "
        "before-and-after data. It is not higher because the areas were not chosen at "
        "random, and other changes in the same areas at the same time could be mixed in.",
    ),
    "before_after": (
        1,
        "Level 1 of 5 on the Maryland Scientific Methods Scale",
        "The figures compare outcomes before and after without a comparison group. This is "
        "level 1 of 5 on the Maryland Scientific Methods Scale and cannot show what "
        "difference the activity made.",
    ),
    "descriptive": (
        None,
        "No impact estimate",
        "This activity is described but its impact is not estimated: there is no comparison "
        "group, so the report cannot say what difference it made. Outcomes shown are what "
        "happened, not what the activity caused.",
    ),
}
_ALIASES = {"matched_comparison": "matched_did", "did": "area_did"}


def evidence_strength(design: Design) -> EvidenceStrength:
    """Maryland SMS level and a plain sentence for a design.

    matched_did / matched_comparison -> 3; area_did / did -> 3; before_after -> 1;
    descriptive -> no impact estimate (level None). Scores follow the What Works Centre
    for Local Economic Growth scoring guide as summarised in CONVENTIONS.
    """
    check_option("design", design, Design)
    key = _ALIASES.get(design, design)
    level, label, sentence = _SMS[key]
    return EvidenceStrength(design=design, level=level, label=label, sentence=sentence)
