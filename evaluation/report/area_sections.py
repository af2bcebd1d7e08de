"""The area comparison's parts of the reports: areas where an activity ran against areas where it did not.

The report family of the "did" design (`FAMILY`, found through `evaluation.impact.DESIGNS`): its
headline, the areas compared, what the update cannot observe yet, the employment rate over time
with the event-time estimates and what few areas mean for the interval, why net outcomes in people
are not estimated, the evidence checks, methods and caveats, its record, and its lines in the
programme summary. Counts here are of local authorities, not people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.activity import ActivityImpact, AreaImpact
from evaluation.disclosure import DisclosurePolicy, per_person
from evaluation.report import charts, checks, how_sure
from evaluation.report.context import ImpactContext
from evaluation.report.display import bullets, heading, headline, paragraph
from evaluation.report.families import Family, result_of
from evaluation.report.formatting import (
    and_list,
    interval_level,
    money,
    month_year,
    pp_interval,
    signed,
    verdict,
)
from evaluation.report.record import estimate_pp
from evaluation.report.sentences import (
    NO_COMPARISON,
    NOT_MEASURED,
    area_sentence,
    evidence_line,
    no_estimate_reason,
    not_estimated_sentence,
)
from evaluation.report.summary import WITHHELD, forest_frame, headlines
from evaluation.results import required

if TYPE_CHECKING:
    from evaluation.report.context import SummaryContext
    from evaluation.report.record import ImpactRecord

__all__ = ["AREA_PRE_QUARTERS", "FAMILY", "area_trends", "few_areas_text"]

AREA_PRE_QUARTERS = 8
"""Quarters before the start shown in the area event-study chart (earlier ones rest on few areas)."""


def _result(impact: ActivityImpact) -> AreaImpact:
    """The area comparison's own result type (`AreaImpact`): these sections present nothing else."""
    return result_of(impact, AreaImpact)


def _complete(impact: ActivityImpact) -> bool:
    """An estimate with its area comparison: every area section has something to show."""
    impact = _result(impact)
    return impact.estimated and impact.area is not None


def _withheld_sentences(impact: AreaImpact, name: str) -> list[str]:
    """The headline when the areas were already moving apart: no verdict, why, and the estimate
    for the record."""
    effect = required(impact.headline, "headline estimate")
    return [
        f"No verdict on the impact of {name} is published: the comparison areas are not credible for this "
        "activity, because before it started they were already moving apart from the areas where it ran.",
        *checks.failed_check_sentences(required(impact.falsification, "falsification checks")),
        f"For the record only, the comparison gives {effect.estimate:+.2f} percentage points of the employment "
        f"rate ({effect.ci_lower:+.2f} to {effect.ci_upper:+.2f}); it is not a measure of the activity's impact.",
    ]


def _headline(ctx: ImpactContext) -> list:
    """The change in the employment rate of the activity's areas against comparison areas, the
    verdict withheld and why, or why no areas could be compared."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return [
            headline(
                f"No impact estimate is given for {ctx.name} in this update: {no_estimate_reason(impact)}."
            )
        ]
    if not impact.published:
        return checks.withheld_headline(_withheld_sentences(impact, ctx.name), impact)
    effect = required(impact.headline, "headline estimate")
    return [
        headline(
            area_sentence(effect),
            f"Best estimate: {signed(effect.estimate)} percentage points ({interval_level(effect.alpha)} confidence "
            f"interval {signed(effect.ci_lower)} to {signed(effect.ci_upper)}), comparing "
            f"{impact.n_treated_areas} local authorities where the activity ran with {impact.n_control_areas} "
            "where it did not.",
        ),
        bullets(
            [
                f"Only {impact.n_treated_areas} areas ran the activity, so the interval is wide: see "
                "'The estimate and what few areas mean for its interval' below.",
                evidence_line(impact),
            ]
        ),
    ]


def _sentences(impact: ActivityImpact) -> list[str]:
    """The area headline sentence (`area_sentence`)."""
    impact = _result(impact)
    return [area_sentence(required(impact.headline, "headline estimate"))]


def _scope(ctx: ImpactContext) -> list:
    """The areas compared: how many ran the activity, when each started, and the comparison areas."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return [paragraph(f"No area comparison could be made: {no_estimate_reason(impact)}.")]
    panel = ctx.programme.area_panel_of(ctx.activity_id)
    starts = panel.groupby("la_code")["first_treated_period"].first().dropna()
    by_start = starts.value_counts().sort_index()
    table = pd.DataFrame(
        {
            "Quarter the activity started": [f"Quarter starting {month_year(q)}" for q in by_start.index],
            "Local authorities starting": by_start.to_numpy(),
        }
    )
    never: list[str | int] = ["Never (comparison areas)", impact.n_control_areas]
    table.loc[len(table)] = never
    periods = pd.to_datetime(panel["period"])
    return [
        paragraph(
            f"{ctx.name} works at system level, so its effect is looked for in whole areas: the employment rate "
            f"of the {impact.n_treated_areas} local authorities where it ran is compared with that of "
            f"{impact.n_control_areas} comparable local authorities where it did not, quarter by quarter from "
            f"{month_year(periods.min())} to {month_year(periods.max())}.",
            "Local-authority employment rates are survey estimates (Annual Population Survey), so each carries "
            "its own sampling error.",
        ),
        ctx.numbering.table(
            table.set_index("Quarter the activity started"),
            index=True,
            title=f"Local authorities in the comparison by when {ctx.name} started there",
            note="Counts of local authorities (areas), not people.",
        ),
    ]


def _observable(ctx: ImpactContext) -> list[str]:
    """How far the area statistics run, and why longer-run effects cannot be seen yet."""
    if not _complete(ctx.result):
        return [NOT_MEASURED]
    panel = ctx.programme.area_panel_of(ctx.activity_id)
    last = pd.to_datetime(panel["period"]).max()
    return [
        f"Area statistics run to the quarter starting {month_year(last)}. Areas that started recently contribute only "
        "a few quarters after their start, so longer-run effects are not yet observable.",
        NOT_MEASURED,
    ]


# --------------------------------------------------------------------------- over time


def area_trends(panel: pd.DataFrame, outcome: str = "employment_rate") -> pd.DataFrame:
    """Mean outcome by period for areas where the activity ran (ever) and comparison areas (never)."""
    frame = panel.assign(period=pd.to_datetime(panel["period"]))
    frame["group"] = np.where(frame["first_treated_period"].notna(), "treated", "comparison")
    means = frame.groupby(["period", "group"])[outcome].mean().unstack("group").reset_index()
    return means.rename_axis(columns=None)


def _over_time(ctx: ImpactContext) -> list:
    """The employment rate in the activity's areas and comparison areas by quarter, the difference by
    quarter since the start, and the estimates with what few areas mean for their interval."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return []
    level = interval_level(impact.alpha)
    panel = ctx.programme.area_panel_of(ctx.activity_id)
    trends = area_trends(panel)
    first_start = pd.to_datetime(panel["first_treated_period"]).min()
    effect = required(impact.headline, "headline estimate")
    title_a = (
        f"After the activity started, the employment rate in its areas changed by {signed(effect.estimate)} points "
        f"more than in comparison areas ({verdict(effect.ci_lower, effect.ci_upper)})"
    )
    fig_a = charts.monthly_lines(
        trends,
        x="period",
        series={"treated": "Areas where the activity ran", "comparison": "Comparison areas"},
        ylabel="Employment rate (per cent)",
        from_zero=False,
    )
    ax = fig_a.axes[0]
    # matplotlib's stubs take x as a float; a Timestamp converts through its date units.
    ax.axvline(first_start, color=charts.GREY, linestyle="--", linewidth=1.2)  # type: ignore[arg-type]
    ax.annotate(" First areas start", (first_start, ax.get_ylim()[0]), xytext=(3, 3), textcoords="offset points",
                fontsize=9, color=charts.GREY)  # fmt: skip
    data_a = pd.DataFrame(
        {
            "Quarter starting": [month_year(p) for p in trends["period"]],
            "Employment rate where the activity ran (%)": [f"{v:.1f}" for v in trends["treated"]],
            "Employment rate in comparison areas (%)": [f"{v:.1f}" for v in trends["comparison"]],
        }
    )
    area_dynamic = required(impact.area_dynamic, "area event-time estimate")
    dynamic = required(area_dynamic.detail, "area event-time table").copy()
    dynamic = dynamic[dynamic["event_time"] >= -AREA_PRE_QUARTERS].reset_index(drop=True)
    pre = dynamic[dynamic["event_time"] < 0]
    post = dynamic[dynamic["event_time"] >= 0]
    pre_off = int(((pre["ci_lower"] > 0) | (pre["ci_upper"] < 0)).sum())
    post_sig = int(((post["ci_lower"] > 0) | (post["ci_upper"] < 0)).sum())
    title_b = (
        f"{'None' if post_sig == 0 else post_sig} of the {len(post)} quarters from the start "
        f"show{'s' if post_sig == 1 else ''} a statistically significant difference; "
        + (
            "before the start, no quarter differs significantly"
            if pre_off == 0
            else f"before the start, {pre_off} quarter{'s' if pre_off > 1 else ''} already differ{'s' if pre_off == 1 else ''}"
        )
    )
    fig_b = charts.event_study_chart(
        dynamic,
        xlabel="Quarters since the activity started in the area (0 = first quarter)",
        ylabel="Difference in employment rate (percentage points)",
        scale=1.0,
        reference_label="Start",
    )
    table = pd.DataFrame(
        {
            "Quarters since start": dynamic["event_time"].astype(int),
            "Local authorities contributing": dynamic["n"].astype(int),
            f"Difference, percentage points ({level} band)": [
                pp_interval(e, lo, hi, scale=1.0)
                for e, lo, hi in zip(
                    dynamic["estimate"], dynamic["ci_lower"], dynamic["ci_upper"], strict=True
                )
            ],
            "Verdict": [
                verdict(lo, hi) for lo, hi in zip(dynamic["ci_lower"], dynamic["ci_upper"], strict=True)
            ],
        }
    ).set_index("Quarters since start")
    twfe = required(impact.area_twfe, "two-way fixed effects estimate")
    estimates = pd.DataFrame(
        {
            "Estimate": [
                "Average effect after the start (Callaway & Sant'Anna, headline)",
                "Average over quarters since the start (Callaway & Sant'Anna, event-time)",
                "Two-way fixed effects regression (for comparison only)",
            ],
            f"Percentage points ({level} CI)": [
                pp_interval(r.estimate, r.ci_lower, r.ci_upper, scale=1.0)
                for r in (effect, area_dynamic, twfe)
            ],
            "Verdict": [verdict(r.ci_lower, r.ci_upper) for r in (effect, area_dynamic, twfe)],
        }
    ).set_index("Estimate")
    return [
        heading(
            "Employment rate in areas where the activity ran and where it did not", anchor="areas-over-time"
        ),
        ctx.numbering.figure(
            fig_a,
            title=title_a,
            subtitle=f"Average employment rate (per cent, aged 16 to 64) by quarter, local authorities where "
            f"{ctx.name} ran and comparison local authorities, {month_year(trends['period'].min())} to "
            f"{month_year(trends['period'].max())}",
            alt=(
                "Line chart of the average employment rate by quarter in areas where the activity ran (solid line, "
                "circles) and comparison areas (dashed line, squares), with a dashed line where the first areas "
                f"started. {title_a}."
            ),
            data=data_a,
        ),
        ctx.numbering.figure(
            fig_b,
            title=title_b,
            subtitle=f"Difference in employment rate between areas where {ctx.name} ran and comparison areas, "
            f"percentage points with {level} uniform bands, by quarter since the start",
            alt=(
                "Chart of the estimated difference for each quarter before and after the start with bands; hollow "
                f"circles before, filled squares from the start, a line at zero. {title_b}. The numbers are in the "
                "next table."
            ),
        ),
        ctx.numbering.table(
            table,
            index=True,
            title=f"Difference in employment rate by quarter since the start, {ctx.name}",
            note=(
                "Bands hold for all quarters together (uniform bands from a bootstrap over areas), so they are wider "
                f"than one-quarter intervals. Quarters more than {AREA_PRE_QUARTERS} before the start rest on very "
                "few areas and are not shown. Counts are of local authorities, not people."
            ),
        ),
        heading("The estimate and what few areas mean for its interval", anchor="few-areas"),
        ctx.numbering.table(
            estimates,
            index=True,
            title=f"Estimated effect on the employment rate, {ctx.name}",
            note=(
                "The two-way fixed effects regression can be biased when areas start at different times, because it "
                "compares later starters with areas already running the activity; it is shown only as a check."
            ),
        ),
        paragraph(few_areas_text(impact)),
    ]


def few_areas_text(impact: AreaImpact) -> str:
    """What few areas mean for the interval, in words that follow from the interval itself."""
    effect = required(impact.headline, "headline estimate")
    lower, upper = signed(effect.ci_lower), signed(effect.ci_upper)
    width = f"{effect.ci_upper - effect.ci_lower:.1f}"
    nearest = f"{min(abs(effect.ci_lower), abs(effect.ci_upper)):.1f}"
    largest = f"{max(abs(effect.ci_lower), abs(effect.ci_upper)):.1f}"
    if effect.ci_lower <= 0 <= effect.ci_upper:
        reading = f"an effect as large as {largest} points cannot be ruled out, and neither can no effect"
    else:
        direction = "rise" if effect.ci_lower > 0 else "fall"
        reading = (
            f"the interval excludes no effect, and the data are consistent with a {direction} of anywhere "
            f"between {nearest} and {largest} points"
        )
    return (
        f"Only {impact.n_treated_areas} local authorities ran the activity and {impact.n_control_areas} did not. "
        f"With so few areas, chance differences between areas are large next to any plausible effect, so the interval "
        f"is {width} percentage points wide ({lower} to {upper}): {reading}. The interval comes from a bootstrap "
        "over areas; with fewer than about 10 areas on either side even this can be too narrow, so read it as the "
        "least uncertainty there is."
    )


# --------------------------------------------------------------------------- net outcomes, evidence, methods


def _net_outcomes(ctx: ImpactContext, spend_text: str) -> list:
    """Why net outcomes in people are not estimated for a system-level activity, with its spend."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return [paragraph(not_estimated_sentence(impact), spend_text)]
    each = per_person(
        impact.spend_gbp, len(ctx.people), ctx.policy
    )  # rounded people: spend would undo the rounding
    extra = f" Spend per participant recorded: {money(each)}." if not isinstance(each, str) else ""
    return [
        paragraph(
            "Net additional outcomes in people are not estimated for a system-level activity: the area panel "
            "holds employment rates, not the number of residents the activity reached, so an effect on the rate "
            "cannot be turned into a number of people without assumptions the data cannot check.",
            spend_text + extra,
        )
    ]


def _evidence(ctx: ImpactContext) -> list[str]:
    """The checks behind the strength of evidence: how many areas, and the quarters before the start."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return []
    dynamic = required(
        required(impact.area_dynamic, "area event-time estimate").detail, "area event-time table"
    )
    pre = dynamic[(dynamic["event_time"] < 0) & (dynamic["event_time"] >= -AREA_PRE_QUARTERS)]
    off = int(((pre["ci_lower"] > 0) | (pre["ci_upper"] < 0)).sum())
    return [
        f"Areas: {impact.n_treated_areas} where the activity ran, {impact.n_control_areas} comparison areas. "
        "Few areas mean wide intervals and an interval that may still understate the uncertainty.",
        f"Trends before the start: {off} of {len(pre)} quarters before the start differ significantly "
        + ("(no sign that the areas were already moving apart)." if off == 0 else "(treat with caution)."),
    ]


def _methods(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """The staggered difference-in-differences, its intervals, and its assumptions."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return [f"No counterfactual method is applied: {no_estimate_reason(impact)}."], []
    area = required(impact.area, "area estimate")
    level = interval_level(impact.alpha)
    items = [
        f"Method: {area.method}; outcome the local-authority employment rate (per cent), quarterly.",
        "Comparison: local authorities where the activity never ran (never-treated); each group of areas that "
        "started in the same quarter is compared with them, and the group effects are averaged "
        "(Callaway & Sant'Anna 2021).",
        f"Intervals: multiplier bootstrap over areas ({area.bootstrap} draws, seed {area.seed}); the event-time "
        f"chart uses uniform bands that hold for all quarters together. {level} level.",
        f"No anticipation assumed ({area.anticipation} quarters).",
    ]
    assumptions = [
        "Parallel trends: without the activity, employment in its areas would have moved as in comparison areas.",
        "No other change hit the same areas at the same time (for example another programme or a large employer "
        "opening or closing).",
        "No spill-over into comparison areas.",
    ]
    return items, assumptions


def _caveats(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """What could bias an area comparison, and that it counts no residents."""
    if not _complete(ctx.result):
        return [], [NO_COMPARISON]
    bias = [
        "Other changes in the same areas at the same time (other programmes, local economic shocks) would be "
        "mixed into the estimate.",
        "Survey sampling error in local-authority rates is large next to the effect a small programme can make.",
        "Areas were not chosen at random: if they were chosen because employment was falling or rising, that "
        "trend could be mistaken for an effect.",
    ]
    return bias, ["How many residents are in work because of the activity: the estimate is on a rate."]


def _record(impact: ActivityImpact, policy: DisclosurePolicy) -> dict:
    """The areas compared, and the headline in percentage points of the area employment rate."""
    impact = _result(impact)
    found: dict = {
        "n_treated_areas": int(impact.n_treated_areas),
        "n_control_areas": int(impact.n_control_areas),
    }
    if impact.estimated and impact.headline is not None:
        found["headline"] = {
            "measure": "area employment rate",
            "horizon": None,
            **estimate_pp(impact.headline, scale=1.0),
        }
    return found


# --------------------------------------------------------------------------- the programme summary


def _summary_headline(ctx: SummaryContext, records: list[ImpactRecord]) -> tuple[list[str], list[str]]:
    """How many system-level activities were judged by comparing areas, and which changed the rate."""
    judged = [h for h in headlines(records) if h.published]
    if not judged:
        return [], []
    significant = [h.activity_name for h in judged if h.verdict.startswith("significant")]
    n_judged = len(judged)
    return [
        f"{n_judged} system-level {'activity was' if n_judged == 1 else 'activities were'} assessed by comparing "
        "areas: "
        + (
            f"{and_list(significant)} showed a statistically significant change in the area employment rate."
            if significant
            else "none showed a statistically significant change in the area employment rate, but with few areas "
            "only large changes could be detected."
        )
    ], []


def _summary_figures(ctx: SummaryContext, records: list[ImpactRecord]) -> list:
    """The forest plot of each system-level activity's effect on the area employment rate."""
    areas = forest_frame(records)
    if areas.empty:
        return []
    data = charts.forest_data(areas)
    sig = int(data["verdict"].str.startswith("significant").sum())
    withheld = int((data["verdict"] == WITHHELD).sum())
    title = (
        f"{'Neither' if len(data) == 2 and sig == 0 else ('None' if sig == 0 else sig)} of the {len(data)} "
        "system-level activities changed the area employment rate by a statistically significant amount"
        + (f"; the verdict is withheld for {withheld}" if withheld else "")
    )
    if withheld == len(data):
        title = "No verdict is given for the system-level activities: the comparison areas were not credible"
    return [
        ctx.numbering.figure(
            charts.forest_plot(
                areas, xlabel="Difference in area employment rate (percentage points)", scale=1.0
            ),
            title=title,
            subtitle="Effect on the local-authority employment rate after the start, percentage points with 95% "
            f"intervals, system-level activities, {ctx.programme.name}",
            alt=(
                "Forest plot of the estimated effect of each system-level activity on the area employment rate, "
                "with a line at zero. "
                + "; ".join(
                    f"{r.label}: {r.estimate:+.1f} points ({r.ci_lower:+.1f} to {r.ci_upper:+.1f}), {r.verdict}"
                    for r in data.itertuples()
                )
                + ". These are effects on a rate for whole areas, not on participants, so they are not on the "
                "same scale as the chart above."
            ),
        )
    ]


def _no_participants(name: str) -> str:
    """The process report's headline for a system-level activity, which records no participants."""
    return (
        f"{name} works at system level: no individual participants are recorded, so this report covers spend and "
        "milestones only. Its effect is assessed in the impact report by comparing areas."
    )


FAMILY = Family(
    name="area",
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
    over_time=_over_time,
    how_sure=how_sure.area_part,
    summary_headline=_summary_headline,
    summary_figures=_summary_figures,
    no_participants=_no_participants,
)
"""How the area comparison is presented (`evaluation.report.families.Family`)."""
