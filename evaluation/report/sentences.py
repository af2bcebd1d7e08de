"""Plain-English sentences the report sections share, built from an `ActivityImpact`'s numbers.

The headline sentences an activity's result leads with (`activity_sentences`: the reason when
nothing was estimated, else its report family's sentences, then the strength of evidence), the
area comparison's headline (`area_sentence`), and the few sentences several report families use.
"""

from __future__ import annotations

from evaluation.activity import ActivityImpact
from evaluation.counterfactual import format_pp
from evaluation.report.families import family_of
from evaluation.report.formatting import clause
from evaluation.results import EstimateResult

__all__ = [
    "NOT_MEASURED",
    "NO_COMPARISON",
    "activity_sentences",
    "area_sentence",
    "evidence_line",
    "no_estimate_reason",
    "not_estimated_sentence",
]

NOT_MEASURED = (
    "Not measured at all: hours, earnings, job quality, health and wellbeing, and whether work lasts beyond "
    "the follow-up shown."
)
"""What no impact report measures, for "What this update can and cannot show yet"."""
NO_COMPARISON = "What difference the activity made: there is no comparison group."
"""What the data cannot show when there is no comparison (for the caveats)."""


def activity_sentences(impact: ActivityImpact) -> list[str]:
    """Plain-English headline sentences about one activity's impact, most important first."""
    if not impact.estimated:
        return [
            f"The impact of this activity was not estimated: {clause(impact.reason)}.",
            impact.evidence.sentence,
        ]
    return [*family_of(impact.design).sentences(impact), impact.evidence.sentence]


def no_estimate_reason(impact: ActivityImpact) -> str:
    """Why there is no estimate, as the end of a sentence."""
    return clause(impact.reason, empty="the data cannot support an estimate yet")


def not_estimated_sentence(impact: ActivityImpact) -> str:
    """ "Not estimated: <why>." for sections with nothing to show."""
    return f"Not estimated: {no_estimate_reason(impact)}."


def evidence_line(impact: ActivityImpact, when: str = "") -> str:
    """ "Strength of evidence: level 3 of 5 on ..." (`when`: " once estimated", say)."""
    return f"Strength of evidence{when}: {clause(impact.evidence.label)}."


def area_sentence(effect: EstimateResult) -> str:
    """Area-level headline; the effect is in percentage points of the employment rate, given to
    one decimal place as in the report's tables (an effect of about a point must not read "1")."""
    lower, upper = effect.ci_lower / 100, effect.ci_upper / 100  # format_pp takes proportions
    tail = "than in comparable areas where it did not run"
    start = "In areas where the activity ran, the employment rate"
    if lower >= 0:
        low, high = format_pp(lower, 1), format_pp(upper, 1)
        text = f"{start} rose by between {low} and {high} {_points(high)} more {tail}."
    elif upper <= 0:
        low, high = format_pp(upper, 1), format_pp(lower, 1)
        text = f"{start} rose by between {low} and {high} {_points(high)} less {tail}."
    else:
        less, more = format_pp(lower, 1), format_pp(upper, 1)
        text = f"{start} changed by between {less} {_points(less)} less and {more} more {tail}."
    if not effect.significant:
        text += " The difference is not statistically significant."
    return text


def _points(number: str) -> str:
    return "percentage point" if number == "1" else "percentage points"
