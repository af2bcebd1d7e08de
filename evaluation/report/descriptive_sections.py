"""The descriptive design's parts of the reports: no comparison, so no estimate, and why.

The report family of the "descriptive" design (`FAMILY`, found through
`evaluation.impact.DESIGNS`). Each part says what is reported instead of an estimate; the
design-specific sections (balance, over time, checks) show nothing.
"""

from __future__ import annotations

from evaluation.activity import ActivityImpact
from evaluation.disclosure import DisclosurePolicy
from evaluation.report.context import ImpactContext
from evaluation.report.display import headline, paragraph
from evaluation.report.families import Family
from evaluation.report.formatting import about_count
from evaluation.report.sentences import NO_COMPARISON

__all__ = ["FAMILY"]


def _complete(impact: ActivityImpact) -> bool:
    """A descriptive report is always complete: it has no estimate to wait for."""
    return True


def _headline(ctx: ImpactContext) -> list:
    """Why no estimate is made, and what is reported instead."""
    return [
        headline(
            f"No impact estimate is made for {ctx.name}: the delivery plan sets a descriptive design, because "
            "there is no group of comparable people or areas to show what would have happened without it.",
            "What is reported instead: delivery, spend and milestones in the process report, and the "
            "programme summary, which sets this activity beside the others.",
        )
    ]


def _sentences(impact: ActivityImpact) -> list[str]:
    """No headline sentences: a descriptive design makes no estimate."""
    return []


def _scope(ctx: ImpactContext) -> list:
    """Who took part; nobody is compared."""
    people = ctx.people
    if people.empty:
        return [paragraph(f"{ctx.name} records no individual participants, so there is no one to compare.")]
    return [
        paragraph(
            f"Participants: {about_count(len(people), ctx.policy)} residents referred to {ctx.name}. No comparison "
            "group is used, because the design is descriptive."
        )
    ]


def _observable(ctx: ImpactContext) -> list[str]:
    """No follow-up will ever give an estimate."""
    return ["No impact estimate will be made for a descriptive design, however long the follow-up."]


def _net_outcomes(ctx: ImpactContext, spend_text: str) -> list:
    """No net outcomes without a counterfactual; the spend."""
    return [paragraph("Not estimated: there is no counterfactual for a descriptive design.", spend_text)]


def _evidence(ctx: ImpactContext) -> list[str]:
    """No checks: there is no comparison to check."""
    return []


def _methods(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """No counterfactual method, so no assumptions."""
    return ["No counterfactual method is applied: the design is descriptive."], []


def _caveats(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """Nothing to bias; what the activity changed cannot be shown."""
    return [], [NO_COMPARISON]


def _record(impact: ActivityImpact, policy: DisclosurePolicy) -> dict:
    """Nothing beyond the fields every record has."""
    return {}


FAMILY = Family(
    name="descriptive",
    complete=_complete,
    headline=_headline,
    sentences=_sentences,
    scope=_scope,
    observable=_observable,
    net_outcomes=_net_outcomes,
    evidence=_evidence,
    methods=_methods,
    caveats=_caveats,
    record=_record,
)
"""How a descriptive design is presented (`evaluation.report.families.Family`)."""
