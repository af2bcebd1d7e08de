"""Sections of the per-activity impact report, in the order the impact notebook shows them.

The delivery plan's `impact_design` decides the analysis (`evaluation.impact.estimate_activity`)
and, through the design registry (`evaluation.impact.DESIGNS`), the report family that presents
it: `evaluation.report.matched_sections` (participants against matched similar people),
`area_sections` (areas where the activity ran against areas where it did not) or
`descriptive_sections` (no counterfactual, and why). Each section here writes what every design
shares (its heading, the update note, the spend, the disclosure policy) and asks the activity's
family (`ctx.family`, an `evaluation.report.families.Family`) for the rest, so no section asks
which design it presents.

Every section returns a list of display objects (its own heading first) or an empty list when it
does not apply, so the notebook stays a list of `display(*section.x(ctx))` calls. The context is
built by `context` (`evaluation.report.context`); `save_record` writes the disclosure-safe
aggregates the programme summary reads (`evaluation.report.record`).
"""

from __future__ import annotations

import numpy as np

from evaluation.disclosure import PROVISIONAL
from evaluation.report.context import ImpactContext
from evaluation.report.context import impact_context as context
from evaluation.report.display import bullets, escape, heading, paragraph, warning
from evaluation.report.formatting import long_date, money
from evaluation.report.how_sure import how_sure
from evaluation.report.matched_sections import event_time_frame
from evaluation.report.process import title_block, update_note
from evaluation.report.provenance import about
from evaluation.report.record import record, save_record
from evaluation.report.value_for_money import value_for_money

__all__ = [
    "ImpactContext",
    "about",
    "balance",
    "caveats",
    "context",
    "escape",
    "event_time_frame",
    "evidence",
    "falsification_section",
    "headline_section",
    "how_sure",
    "methods",
    "net_outcomes",
    "not_yet_observable",
    "outcomes_over_time",
    "record",
    "save_record",
    "scope",
    "sensitivity_section",
    "title_block",
    "value_for_money",
]

CANNOT_SHOW = (
    "Whether work lasts beyond the follow-up shown, or how many hours and what pay it brings.",
    "Why the activity worked or did not: the process report and qualitative evaluation speak to that.",
    "Effects for particular groups (for example disabled people or carers) beyond the exploratory estimates "
    "under 'How sure can we be': most groups are too small for a separate estimate at this stage.",
)
"""What no impact report can show, after what the design's own caveats add."""


def headline_section(ctx: ImpactContext) -> list:
    """The finding in plain English, Employment Data Lab style, before any evidence."""
    return [heading("Headline"), *ctx.family.headline(ctx)]


def scope(ctx: ImpactContext) -> list:
    """Who took part, who (or which areas) they were compared with, and the follow-up."""
    return [heading("Who took part and who they were compared with"), *ctx.family.scope(ctx)]


def not_yet_observable(ctx: ImpactContext) -> list:
    """Which update this is and what it cannot observe yet."""
    items = [update_note(ctx), *ctx.family.observable(ctx)]
    return [heading("What this update can and cannot show yet"), bullets(items)]


def balance(ctx: ImpactContext) -> list:
    """How similar the comparison group is (a matched comparison's love plot and table)."""
    return ctx.family.balance(ctx)


def outcomes_over_time(ctx: ImpactContext) -> list:
    """Employment over time against the estimate without the activity, as the design measures it."""
    return ctx.family.over_time(ctx)


def falsification_section(ctx: ImpactContext) -> list:
    """The checks before publication (placebo referrals, the months before referral)."""
    return ctx.family.falsification(ctx)


def sensitivity_section(ctx: ImpactContext) -> list:
    """How the estimate depends on the method."""
    return ctx.family.sensitivity(ctx)


def net_outcomes(ctx: ImpactContext) -> list:
    """Net additional outcomes against the do-nothing counterfactual, cost per net additional
    outcome, and the activity's spend."""
    spend = ctx.result.spend_gbp
    if not ctx.programme.has("spend"):
        spend_text = "No spend returns were supplied with the input, so no cost per net additional outcome is calculated."
    elif np.isfinite(spend):
        spend_text = f"Spend on {ctx.name} to {long_date(ctx.as_of)}: {money(spend)}."
    else:
        spend_text = f"No spend is recorded for {ctx.name} to {long_date(ctx.as_of)}."
    return [heading("Net additional outcomes and cost"), *ctx.family.net_outcomes(ctx, spend_text)]


def evidence(ctx: ImpactContext) -> list:
    """Maryland Scientific Methods Scale level, and the checks behind it."""
    strength = ctx.result.evidence
    out = [heading("Strength of evidence"), paragraph(f"{strength.label}.", strength.sentence)]
    found = ctx.family.evidence(ctx)
    if found:
        out.append(bullets(found))
    return out


def methods(ctx: ImpactContext) -> list:
    """The method and its settings, the disclosure policy, and the assumptions it rests on."""
    items, assumptions = ctx.family.methods(ctx)
    out = [heading("Methods and assumptions"), bullets([*items, ctx.policy.describe()])]
    if assumptions:
        out += [heading("Assumptions", level=3, anchor="assumptions"), bullets(assumptions)]
    return out


def caveats(ctx: ImpactContext) -> list:
    """What could bias the estimate, what the data cannot show, and whether figures are provisional."""
    bias, cannot = ctx.family.caveats(ctx)
    out = [heading("Caveats")]
    if bias:
        out += [
            heading("What could bias this estimate", level=3, anchor="what-could-bias-this-estimate"),
            bullets(bias),
        ]
    out += [
        heading("What the data cannot show", level=3, anchor="what-the-data-cannot-show"),
        bullets([*cannot, *CANNOT_SHOW]),
    ]
    if ctx.interim:
        out.append(
            warning(
                f"Interim update: figures are provisional {PROVISIONAL} and will be revised in later updates."
            )
        )
    return out
