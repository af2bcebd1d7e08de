"""The impact headline in plain English: the sentences an activity's result leads with.

Built from the numbers of an `ActivityImpact` (`evaluation.activity`): the net impact's own
sentences for a matched comparison, `area_sentence` for an area comparison, the reason when
nothing was estimated, and the strength of evidence after each.
"""

from __future__ import annotations

from evaluation.activity import ActivityImpact, reason_clause
from evaluation.counterfactual import format_pp
from evaluation.results import EstimateResult, required

__all__ = ["activity_sentences", "area_sentence"]


def activity_sentences(impact: ActivityImpact) -> list[str]:
    """Plain-English headline sentences about one activity's impact, most important first."""
    if not impact.estimated:
        return [
            f"The impact of this activity was not estimated: {reason_clause(impact.reason)}.",
            impact.evidence.sentence,
        ]
    if impact.matched is not None:
        found = impact.net_impacts.get(impact.matched.horizon)
        text = found.sentences() if found is not None else []
        return [*text, impact.evidence.sentence]
    return [area_sentence(required(impact.headline, "headline estimate")), impact.evidence.sentence]


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
