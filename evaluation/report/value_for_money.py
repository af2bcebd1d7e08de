"""The impact report's "Value for money" section: the social cost-benefit analysis of the
activity (`evaluation.vfm`) in words, with the values it used and who pays and who saves.

Ranges and switching values come first and a ratio only where the effect is significant
(`evaluation.report.vfm_words`); an activity without a net impact estimate gets the reason.
"""

from __future__ import annotations

from evaluation.report.display import heading, paragraph
from evaluation.vfm import appraise_activity, load_values

__all__ = ["value_for_money"]

TITLE = "Value for money"


def _why_not(impact) -> str:
    if not impact.estimated:
        return "there is no impact estimate to value"
    checks = getattr(impact, "falsification", None)
    if checks is not None and not checks.credible:
        return "the verdict is withheld (a falsification check failed), so no benefit is claimed for it"
    return (
        "the estimate is of an area's employment rate, not a number of people in work, so it cannot be "
        "valued without assumptions the data cannot check"
        if getattr(impact, "n_treated_areas", 0)
        else "there is no estimate of net additional people in work to value"
    )


def value_for_money(ctx, values=None) -> list:
    """The section for an impact report's context; `values` a `ValuesTable` (default: shipped)."""
    from evaluation.report import vfm_words

    impact = ctx.result
    out = [heading(TITLE)]
    appraisal = appraise_activity(impact, values=values or load_values()) if impact.estimated else None
    if appraisal is None:
        return [*out, paragraph(f"Value for money is not assessed: {_why_not(impact)}.")]
    out.append(paragraph(*vfm_words.sentences(appraisal)))
    out.append(paragraph(*vfm_words.assumption_sentences(appraisal)))
    out.append(
        ctx.numbering.table(
            vfm_words.agency_table(appraisal.central),
            title="Who pays and who saves (central case, present values)",
            note="DWP pays for the activity and saves on benefits; HM Treasury gains taxes; participants gain "
            "earnings net of tax and benefit withdrawn; society gains wellbeing.",
        )
    )
    out.append(
        ctx.numbering.table(
            vfm_words.values_table(appraisal),
            title="Values used",
            note="Supply your own values file to change any of these (evaluation.vfm.load_values).",
        )
    )
    return out
