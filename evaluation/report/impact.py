"""Sections of the per-activity impact report.

The delivery plan's `impact_design` decides the analysis (`evaluation.impact.estimate_activity`):

* ``matched_comparison``: participants against matched similar non-participants, before and
  after referral (matched difference-in-differences), with balance, employment over time,
  net additional outcomes and cost per net additional outcome;
* ``did``: areas where the activity ran against areas where it did not (Callaway & Sant'Anna);
* ``descriptive``: no counterfactual estimate; the report says why and what is reported instead.

Too few participants: the report says so and why, and prints no estimate. Every section returns a
list of display objects (its own heading first) or an empty list when it does not apply, so the
notebook stays a list of `display(*section.x(ctx))` calls. Every count passes disclosure control;
`record` gives the disclosure-safe aggregates the programme summary reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaluation.counterfactual import NetImpact
from evaluation.designs import design_of
from evaluation.disclosure import (
    DEFAULT_POLICY,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    per_person,
    safe_count,
    safe_percent,
    safe_rate,
)
from evaluation.errors import OptionError
from evaluation.impact import DESIGNS, ActivityImpact, estimate_activity
from evaluation.programme import load_programme
from evaluation.report import charts, checks
from evaluation.report.checks import falsification_section, sensitivity_section
from evaluation.report.display import bullets, escape, heading, headline, paragraph, warning
from evaluation.report.formatting import long_date, money, month_year, people_range
from evaluation.report.how_sure import how_sure
from evaluation.report.process import (
    ActivityContext,
    title_block,  # noqa: F401 - the notebook calls section.title_block
    update_note,
)
from evaluation.report.provenance import provenance
from evaluation.report.record import RECORD_SCHEMA, ImpactRecord, record_path
from evaluation.report.sentences import area_sentence
from evaluation.results import required

ALPHA = 0.05
HORIZONS = (6, 12)
AREA_PRE_QUARTERS = 8
"""Quarters before the start shown in the area event-study chart (earlier ones rest on few areas)."""


@dataclass
class ImpactContext(ActivityContext):
    """An activity's context plus its impact estimate, computed once for the whole report."""

    impact: ActivityImpact | None = None
    seed: int | None = None

    @property
    def result(self) -> ActivityImpact:
        if self.impact is None:
            raise RuntimeError("the impact context has no estimate; build it with impact.context(...)")
        return self.impact

    @property
    def kind(self) -> str:
        """Which report this is: matched, matched_not_estimated, area, area_not_estimated, descriptive."""
        impact = self.result
        family = report_family(impact.design)
        if family == "descriptive":
            return family
        presented = {"matched": impact.matched, "area": impact.area}[family]  # what its sections show
        return family if impact.estimated and presented is not None else f"{family}_not_estimated"


REPORT_SECTIONS = {"matched", "area", "descriptive"}
"""The report families whose sections this module writes (`evaluation.designs.REPORT_FAMILIES`)."""


def report_family(design: str) -> str:
    """The report family presenting an impact design (`DESIGNS`); a design whose family has no
    sections here is an error, never shown in another design's words."""
    family = design_of(DESIGNS, design).report
    if family not in REPORT_SECTIONS:
        raise OptionError(
            f"Impact design {design!r} is presented by report family {family!r}, which has no sections."
        )
    return family


def context(
    programme_path: str,
    activity_id: str,
    as_of: str | None = None,
    *,
    seed: int | None = 2025,
    output_dir: str | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> ImpactContext:
    """Load the programme (cut at `as_of` for an interim update) and estimate one activity's impact."""
    programme = load_programme(programme_path, as_of=as_of or None)
    programme.plan(activity_id)
    impact = estimate_activity(
        programme, activity_id, policy=policy, seed=seed, alpha=ALPHA, horizons=HORIZONS
    )
    parameters = {
        "programme_path": programme_path,
        "activity_id": activity_id,
        "as_of": as_of or "",
        "seed": seed,
    }
    return ImpactContext(
        programme,
        activity_id,
        policy=policy,
        interim=bool(as_of),
        parameters=parameters,
        output_dir=output_dir,
        impact=impact,
        seed=seed,
    )


# --------------------------------------------------------------------------- formatting


def _level(alpha: float) -> str:
    return f"{round(100 * (1 - alpha))}%"


def signed(value: float, decimals: int = 1) -> str:
    """A signed number for tables: +3.2, -1.0; [x] when missing."""
    if value is None or not np.isfinite(value):
        return "[x]"
    text = f"{value:+.{decimals}f}"
    return text.replace("+0.0", "0.0").replace("-0.0", "0.0") if decimals == 1 else text


def pp_interval(estimate: float, lower: float, upper: float, scale: float = 100.0) -> str:
    """Percentage points with interval, from proportions: "+3.2 (-1.0 to +7.4)"."""
    return f"{signed(scale * estimate)} ({signed(scale * lower)} to {signed(scale * upper)})"


def verdict(lower: float, upper: float) -> str:
    """Significance in words (an interval that excludes zero is significant at the report's level)."""
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return "not estimated"
    if lower > 0:
        return "significant increase"
    if upper < 0:
        return "significant decrease"
    return "not significant"


def _whole_percent(rate: float) -> str:
    return "[x]" if not np.isfinite(rate) else f"{100 * rate:.0f}"


def _count_text(n: int, policy: DisclosurePolicy) -> str:
    """A count for running text: "about 220", or "fewer than 10"."""
    shown = safe_count(int(n), policy)
    if shown == SUPPRESSED:
        return f"fewer than {policy.threshold}"
    return f"about {shown:,}" if shown else "no"


def followed_at(matched, horizon: int) -> int:
    """Participants followed for `horizon` months: the group the participants' employment rate at
    that follow-up is a share of."""
    rows = matched.horizons[matched.horizons["horizon"] == horizon]
    return int(rows["n"].iloc[0]) if not rows.empty else 0


def rate_hidden(rate: float, n: int, policy: DisclosurePolicy) -> bool:
    """True when a participants' employment rate among `n` people rests on fewer than
    `policy.threshold` people in work (or out of a hidden group), so it may not be published."""
    return safe_rate(rate, int(n), policy) == SUPPRESSED


def counterfactual_text(net: NetImpact, n_followed: int, policy: DisclosurePolicy) -> str:
    """`NetImpact.counterfactual_sentence`, or why it is hidden: the per cent of participants in
    work is hidden when few people are behind it, and the estimate without the activity goes with
    it, because that estimate plus the published difference gives the per cent back."""
    if rate_hidden(net.observed_rate, n_followed, policy):
        return (
            f"Fewer than {policy.threshold} participants were {net.outcome_label} {net.horizon_label}, so the per "
            "cent who were, and the estimate of how many would have been anyway, are hidden [c]."
        )
    return net.counterfactual_sentence()


def _net_sentence(net: NetImpact, n_participants: int, policy: DisclosurePolicy) -> str:
    """Net additional outcomes as a range of people (participant count rounded, unlike
    `NetImpact.net_sentence`, which prints the exact count)."""
    low, high = net.net_additional_ci_lower, net.net_additional_ci_upper
    if not (np.isfinite(low) and np.isfinite(high)):
        return "The number of additional people in work could not be estimated."
    who = f"of {_count_text(n_participants, policy)} participants"
    what = f"were {net.outcome_label} {net.horizon_label} because of the activity"
    span = people_range(low, high)
    text = f"Applied to everyone who took part, this means {span} {who} {what} (central estimate {net.net_additional:+,.0f})."
    if not net.significant:
        text += " The difference is not statistically significant."
    return text


def _observed_by(people: pd.DataFrame, last_month: pd.Timestamp, horizon: int) -> tuple[pd.Timestamp, int]:
    """The last referral month followed for `horizon` months by `last_month`, and how many
    participants were referred after it (not yet observable at that horizon)."""
    cutoff = (last_month.to_period("M") - horizon).to_timestamp()
    referral_month = people["referred_date"].dt.to_period("M").dt.to_timestamp()
    return cutoff, int((referral_month > cutoff).sum())


def _last_outcome_month(ctx: ImpactContext) -> pd.Timestamp:
    return pd.Timestamp(ctx.programme.outcomes_monthly["month"].max()).to_period("M").to_timestamp()


# --------------------------------------------------------------------------- headline


def headline_section(ctx: ImpactContext) -> list:
    """The finding in plain English, Employment Data Lab style, before any evidence."""
    impact, kind = ctx.result, ctx.kind
    out = [heading("Headline")]
    if kind == "matched" and not impact.published:
        first, *rest = checks.withheld_sentences(impact, ctx.name)
        out.append(headline(first))
        out.append(bullets([*rest, f"Strength of evidence: {_lower_first(impact.evidence.label)}."]))
    elif kind == "matched":
        matched = required(impact.matched, "matched estimate")
        net = impact.net_impacts.get(matched.horizon)
        main = net.sentence() if net is not None else ""
        best = (
            f"Best estimate: {signed(100 * matched.estimate)} percentage points ({_level(matched.alpha)} confidence "
            f"interval {signed(100 * matched.ci_lower)} to {signed(100 * matched.ci_upper)}), from "
            f"{_count_text(matched.n, ctx.policy)} participants followed for {matched.horizon} months after referral "
            "and compared with matched similar people who did not take part."
        )
        out.append(headline(main, best))
        items = []
        if net is not None:
            items += [counterfactual_text(net, followed_at(matched, matched.horizon), ctx.policy),
                      _net_sentence(net, impact.n_participants, ctx.policy),
                      net.cost_sentence()]  # fmt: skip
        if not matched.significant:
            items.append(
                "Not statistically significant does not mean the activity made no difference: effects anywhere in "
                "the interval are consistent with the data."
            )
        items.append(f"Strength of evidence: {_lower_first(impact.evidence.label)}.")
        later = matched.horizons[
            (matched.horizons["horizon"] > matched.horizon) & ~matched.horizons["reportable"]
        ]
        for horizon in later["horizon"]:
            items.append(
                f"Results {horizon} months after referral are not reported yet: fewer than "
                f"{ctx.policy.min_impact_n} participants have been followed that long."
            )
        out.append(bullets(items))
    elif kind == "area" and not impact.published:
        first, *rest = checks.withheld_sentences(impact, ctx.name)
        out.append(headline(first))
        out.append(bullets([*rest, f"Strength of evidence: {_lower_first(impact.evidence.label)}."]))
    elif kind == "area":
        effect = required(impact.headline, "headline estimate")
        out.append(
            headline(
                area_sentence(effect),
                f"Best estimate: {signed(effect.estimate)} percentage points ({_level(effect.alpha)} confidence "
                f"interval {signed(effect.ci_lower)} to {signed(effect.ci_upper)}), comparing "
                f"{impact.n_treated_areas} local authorities where the activity ran with {impact.n_control_areas} "
                "where it did not.",
            )
        )
        out.append(
            bullets(
                [
                    f"Only {impact.n_treated_areas} areas ran the activity, so the interval is wide: see "
                    "'The estimate and what few areas mean for its interval' below.",
                    f"Strength of evidence: {_lower_first(impact.evidence.label)}.",
                ]
            )
        )
    elif kind == "matched_not_estimated":
        why, explanation, when = why_no_estimate(ctx)
        out.append(
            headline(f"No impact estimate is given for {ctx.name} in this update: {why}.", explanation)
        )
        out.append(
            bullets([when, f"Strength of evidence once estimated: {_lower_first(impact.evidence.label)}."])
        )
    elif kind == "area_not_estimated":
        out.append(headline(f"No impact estimate is given for {ctx.name} in this update: {_reason(impact)}."))
    else:
        out.append(
            headline(
                f"No impact estimate is made for {ctx.name}: the delivery plan sets a descriptive design, because "
                "there is no group of comparable people or areas to show what would have happened without it.",
                "What is reported instead: delivery, spend and milestones in the process report, and the "
                "programme summary, which sets this activity beside the others.",
            )
        )
    return out


def why_no_estimate(ctx: ImpactContext) -> tuple[str, str, str]:
    """Why a matched comparison gives no estimate yet, what that means, and when it can be made:
    (reason, explanation, when), in words that can be published (no exact small counts)."""
    people, minimum = ctx.people, ctx.policy.min_impact_n
    horizon = min(HORIZONS)
    if len(people) < minimum:
        return (
            f"fewer than {minimum} people have taken part so far",
            f"With fewer than {minimum} people an estimate would be too uncertain to tell a real effect from chance, "
            f"and small groups risk identifying the people in them ({minimum} is the Justice Data Lab minimum).",
            f"An estimate will be made once at least {minimum} people have taken part and been followed for "
            f"{horizon} months after referral.",
        )
    last = _last_outcome_month(ctx)
    cutoff, later = _observed_by(people, last, horizon)
    followed = len(people) - later
    if followed < minimum:
        months = people["referred_date"].dt.to_period("M").sort_values().reset_index(drop=True)
        ready = (months.iloc[minimum - 1] + horizon).to_timestamp()
        return (
            f"fewer than {minimum} participants have been followed for {horizon} months after referral so far",
            f"Employment {horizon} months after referral can be seen only for people referred by the end of "
            f"{month_year(cutoff)}; an estimate from fewer than {minimum} of them would be too uncertain to tell a real "
            "effect from chance.",
            f"On referrals so far, enough participants will have been followed for {horizon} months once employment "
            f"records to {month_year(ready)} are available.",
        )
    return (
        _reason(ctx.result),
        "The data could not support a matched comparison, so no estimate is given rather than an unreliable one.",
        "The methods section says what the data would need.",
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _reason(impact: ActivityImpact) -> str:
    reason = impact.reason.rstrip(".")
    return reason[0].lower() + reason[1:] if reason else "the data cannot support an estimate yet"


# --------------------------------------------------------------------------- scope


def scope(ctx: ImpactContext) -> list:
    """Who took part, who they were compared with, and the follow-up."""
    impact, kind = ctx.result, ctx.kind
    out = [heading("Who took part and who they were compared with")]
    people = ctx.people
    if kind in ("matched", "matched_not_estimated"):
        if people.empty:
            return [*out, paragraph("No participants are recorded for this activity yet.")]
        months = people["referred_date"]
        out.append(
            paragraph(
                f"Participants: {_count_text(len(people), ctx.policy)} residents referred to {ctx.name} between "
                f"{month_year(months.min())} and {month_year(months.max())}.",
                "Comparison group: economically inactive residents of the programme's areas who did not take "
                "part. Each participant is matched to the most similar of them, living in the same local authority "
                "and looked at from the same month, on personal characteristics, benefits, time since last work "
                "and employment history over the 12 months before referral.",
            )
        )
        matched = impact.matched
        if matched is None:
            why, _, when = why_no_estimate(ctx)
            out.append(paragraph(f"No comparison group was built: {why}. {when}"))
            return out
        rows = [
            ("Participants referred", matched.n_participants),
            (
                "Left out: a characteristic or the employment history before referral is missing",
                matched.n_excluded,
            ),
            ("Matched to a similar comparison person", matched.n_matched),
            ("Not matched: no similar enough comparison person", matched.n_discarded),
            ("Comparison people used", matched.n_comparisons_used),
            ("Comparison people available", matched.n_pool),
        ]
        rows += [
            (f"Participants followed for {row['horizon']} months after referral", int(row["n"]))
            for row in matched.horizons.to_dict("records")
        ]
        table = pd.DataFrame(
            {"Group": [r[0] for r in rows], "People": [safe_count(int(r[1]), ctx.policy) for r in rows]}
        ).set_index("Group")
        out.append(
            ctx.numbering.table(
                table,
                index=True,
                title=f"Who is in the analysis, {ctx.name}, referrals to {long_date(ctx.as_of)}",
                note="People rounded to the nearest 5. A comparison person can be matched to participants from "
                "different months. " + SHORTHAND_NOTE,
            )
        )
        return out
    if kind == "area":
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
        out.append(
            paragraph(
                f"{ctx.name} works at system level, so its effect is looked for in whole areas: the employment rate "
                f"of the {impact.n_treated_areas} local authorities where it ran is compared with that of "
                f"{impact.n_control_areas} comparable local authorities where it did not, quarter by quarter from "
                f"{month_year(periods.min())} to {month_year(periods.max())}.",
                "Local-authority employment rates are survey estimates (Annual Population Survey), so each carries "
                "its own sampling error.",
            )
        )
        out.append(
            ctx.numbering.table(
                table.set_index("Quarter the activity started"),
                index=True,
                title=f"Local authorities in the comparison by when {ctx.name} started there",
                note="Counts of local authorities (areas), not people.",
            )
        )
        return out
    if kind == "area_not_estimated":
        return [*out, paragraph(f"No area comparison could be made: {_reason(impact)}.")]
    if people.empty:
        return [
            *out,
            paragraph(f"{ctx.name} records no individual participants, so there is no one to compare."),
        ]
    return [
        *out,
        paragraph(
            f"Participants: {_count_text(len(people), ctx.policy)} residents referred to {ctx.name}. No comparison "
            "group is used, because the design is descriptive."
        ),
    ]


def not_yet_observable(ctx: ImpactContext) -> list:
    """Which update this is and what it cannot observe yet."""
    impact, kind = ctx.result, ctx.kind
    items = [update_note(ctx)]
    people = ctx.people
    if kind in ("matched", "matched_not_estimated") and not people.empty:
        last = _last_outcome_month(ctx)
        items.append(f"Employment records run to {month_year(last)}.")
        for horizon in HORIZONS:
            cutoff, later = _observed_by(people, last, horizon)
            if later == 0:
                items.append(f"Everyone has been followed for {horizon} months after referral.")
            else:
                share = safe_percent(later, len(people), ctx.policy)
                share_text = "a few" if share == SUPPRESSED else f"{share}%"
                items.append(
                    f"{horizon}-month outcomes are not yet observable for people referred after {month_year(cutoff)} "
                    f"({share_text} of participants); they will be counted in later updates."
                )
    elif kind == "area":
        panel = ctx.programme.area_panel_of(ctx.activity_id)
        last = pd.to_datetime(panel["period"]).max()
        items.append(
            f"Area statistics run to the quarter starting {month_year(last)}. Areas that started recently contribute only "
            "a few quarters after their start, so longer-run effects are not yet observable."
        )
    items.append(
        "Not measured at all: hours, earnings, job quality, health and wellbeing, and whether work lasts beyond "
        "the follow-up shown."
    )
    if impact.design == "descriptive":
        items = items[:1] + [
            "No impact estimate will be made for a descriptive design, however long the follow-up."
        ]
    return [heading("What this update can and cannot show yet"), bullets(items)]


# --------------------------------------------------------------------------- balance


def balance(ctx: ImpactContext) -> list:
    """How similar the matched comparison group is: love plot and balance table."""
    if ctx.kind != "matched":
        return []
    matched = required(ctx.result.matched, "matched estimate")
    table = matched.balance
    data = charts.love_plot_data(table)
    threshold = charts.SMD_THRESHOLD
    off = data[~data["balanced_after"]]
    worst = data.iloc[0]
    if off.empty:
        title = f"After matching, every characteristic differs by less than {threshold:g} standard deviations"
    else:
        title = (
            f"After matching, {len(off)} of {len(data)} characteristics still differ by more than {threshold:g} "
            "standard deviations"
        )
    alt = (
        f"Dot plot of the absolute standardised difference between participants and the comparison group for "
        f"{len(data)} characteristics, before matching (hollow circles) and after (filled squares), with a dashed "
        f"line at {threshold:g}. Before matching the largest difference was {worst['before']:.2f} "
        f"({worst['label']}). {title}"
        + (": " + ", ".join(f"{r.label} ({r.after:.2f})" for r in off.itertuples()) if not off.empty else "")
        + ". The values are in the next table."
    )
    fig = charts.love_plot(table, threshold=threshold)
    shown = pd.DataFrame(
        {
            "Characteristic": data["label"],
            "Difference before matching (SMD)": [
                f"{v:+.2f}" for v in table.set_index("covariate").loc[data["covariate"], "smd_before"]
            ],
            "Difference after matching (SMD)": [
                f"{v:+.2f}" for v in table.set_index("covariate").loc[data["covariate"], "smd_after"]
            ],
            "Variance ratio after matching": [
                f"{v:.2f}" if np.isfinite(v) else NOT_APPLICABLE
                for v in table.set_index("covariate").loc[data["covariate"], "variance_ratio_after"]
            ],
            f"Within {threshold:g} after matching": np.where(data["balanced_after"], "Yes", "No"),
        }
    ).set_index("Characteristic")
    out = [
        heading("How similar the comparison group is"),
        paragraph(
            "Matching picks, for each participant, a non-participant who looked similar at referral. The standardised "
            "mean difference (SMD) measures how far apart the two groups are on each characteristic, in standard "
            f"deviations; below {threshold:g} is the usual test of good balance."
        ),
        ctx.numbering.figure(
            fig,
            title=title,
            subtitle=(
                f"Absolute standardised mean difference, participants against the comparison group, before and after "
                f"matching, {ctx.name}, referrals to {long_date(ctx.as_of)}"
            ),
            alt=alt,
        ),
        ctx.numbering.table(
            shown,
            index=True,
            title=f"Balance of each characteristic before and after matching, {ctx.name}",
            note="SMD: difference in means divided by the pooled standard deviation; positive means participants "
            "had more of the characteristic. A variance ratio near 1 means similar spread; [z]: not applicable, "
            "because everyone has the same value.",
        ),
    ]
    naive = matched.naive
    if np.isfinite(naive.estimate):
        out.append(
            paragraph(
                f"Without matching, comparing participants with everyone in the comparison pool at the same months, "
                f"the difference in the chance of being in work {matched.horizon} months after referral would be "
                f"{pp_interval(naive.estimate, naive.ci_lower, naive.ci_upper)} percentage points, against "
                f"{pp_interval(matched.estimate, matched.ci_lower, matched.ci_upper)} with matching: the gap shows "
                "how much the people who take part differ from those who do not."
            )
        )
    return out


# --------------------------------------------------------------------------- over time


def event_time_frame(event_time: pd.DataFrame, *, min_n: int) -> pd.DataFrame:
    """Rows of a matched DiD's event-time table with at least `min_n` participants, plus the
    counterfactual: observed rate minus the effect, with the interval from the effect's interval
    (clipped to 0..1)."""
    rows = event_time[event_time["n"] >= min_n].sort_values("event_time").copy()
    rows["observed"] = rows["participants_rate"]
    rows["counterfactual"] = rows["participants_rate"] - rows["estimate"]
    rows["counterfactual_lower"] = (rows["participants_rate"] - rows["ci_upper"]).clip(0, 1)
    rows["counterfactual_upper"] = (rows["participants_rate"] - rows["ci_lower"]).clip(0, 1)
    return rows.reset_index(drop=True)


def hide_small_rates(frame: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY) -> pd.DataFrame:
    """`event_time_frame` rows with the participants' rate hidden where it rests on fewer than
    `policy.threshold` people in work ("8% of 75" publishes 6 people): a `hidden` column, and the
    observed rate, the counterfactual and its interval set to NaN. The counterfactual goes too,
    because it is the observed rate minus the published difference; the difference itself is an
    estimate, governed by `policy.min_impact_n`, and stays."""
    out = frame.copy()
    out["hidden"] = [rate_hidden(r, int(n), policy) for r, n in zip(out["observed"], out["n"], strict=True)]
    out.loc[out["hidden"], ["observed", "counterfactual", "counterfactual_lower", "counterfactual_upper"]] = (
        np.nan
    )
    return out


def outcomes_over_time(ctx: ImpactContext) -> list:
    """Employment over time for participants and the counterfactual (matched), or for treated and
    comparison areas (area-level)."""
    if ctx.kind == "matched":
        return _matched_over_time(ctx)
    if ctx.kind == "area":
        return _area_over_time(ctx)
    return []


def _matched_over_time(ctx: ImpactContext) -> list:
    matched = required(ctx.result.matched, "matched estimate")
    level = _level(matched.alpha)
    frame = hide_small_rates(event_time_frame(matched.event_time, min_n=ctx.policy.min_impact_n), ctx.policy)
    head = frame[frame["event_time"] == matched.horizon].iloc[0]
    title_a = (
        f"{_whole_percent(head['observed'])}% of participants were in work {matched.horizon} months after referral, "
        f"against an estimated {_whole_percent(head['counterfactual'])}% without the activity"
        if not head["hidden"]
        else f"Fewer than {ctx.policy.threshold} participants were in work {matched.horizon} months after referral, "
        "so the per cent in work and the estimate without the activity are hidden"
    )
    pre_p = matched.pretrend_p_value
    moved_together = np.isfinite(pre_p) and pre_p >= ALPHA
    tested = matched.pretrend_test.df if matched.pretrend_test is not None else 0
    pre_text = (
        f"before referral the two groups moved together (joint test of the {tested} monthly differences between "
        f"the baseline and the last six months before referral: p = {pre_p:.2f})"
        if moved_together
        else (
            f"before referral the groups' employment already moved differently (joint test p = {pre_p:.3f}), so "
            "no verdict is published"
            if np.isfinite(pre_p)
            else "the months before referral could not be tested jointly"
        )
    )
    title_b = (
        f"{matched.horizon} months after referral the difference was {signed(100 * matched.estimate)} percentage "
        f"points ({verdict(matched.ci_lower, matched.ci_upper)}); {pre_text.split(' (')[0]}"
    )
    fig_b = charts.event_study_chart(
        frame,
        xlabel="Months since referral (0 = month of referral)",
        ylabel="Difference in per cent in work (percentage points)",
    )
    table = pd.DataFrame(
        {
            "Months since referral": frame["event_time"].astype(int),
            "People followed this long": [safe_count(int(n), ctx.policy) for n in frame["n"]],
            "Per cent of participants in work": [
                SUPPRESSED if h else _whole_percent(v)
                for v, h in zip(frame["observed"], frame["hidden"], strict=True)
            ],
            f"Per cent estimated without the activity ({level} CI)": [
                SUPPRESSED if h else f"{_whole_percent(c)} ({_whole_percent(lo)} to {_whole_percent(hi)})"
                for c, lo, hi, h in zip(
                    frame["counterfactual"],
                    frame["counterfactual_lower"],
                    frame["counterfactual_upper"],
                    frame["hidden"],
                    strict=True,
                )
            ],
            f"Difference, percentage points ({level} CI)": [
                pp_interval(e, lo, hi)
                for e, lo, hi in zip(frame["estimate"], frame["ci_lower"], frame["ci_upper"], strict=True)
            ],
        }
    )
    hidden = matched.event_time[
        (matched.event_time["n"] < ctx.policy.min_impact_n) & (matched.event_time["event_time"] >= 0)
    ]
    note = (
        "Before referral (negative months) the difference is a placebo check: it should be close to zero if the "
        "comparison group is a fair stand-in. "
        + (
            f"Months from {int(hidden['event_time'].min())} onwards are not shown: fewer than "
            f"{ctx.policy.min_impact_n} participants have been followed that long."
            if not hidden.empty
            else ""
        )
        + (
            f" [c]: fewer than {ctx.policy.threshold} participants were in work that month, so the per cent in work "
            "is hidden, and so is the estimate without the activity, which would give it back."
            if frame["hidden"].any()
            else ""
        )
    )
    figure_a = (
        paragraph(
            f"Fewer than {ctx.policy.threshold} participants were in work in every month shown, so the per cent in "
            "work and the estimate without the activity are hidden and not charted; the differences are in the "
            "chart and table below."
        )
        if frame["hidden"].all()
        else ctx.numbering.figure(
            charts.outcome_paths(frame),
            title=title_a,
            subtitle=f"Per cent in work by month since referral, participants and the estimate without the activity, "
            f"{ctx.name}, referrals to {long_date(ctx.as_of)}",
            alt=(
                f"Line chart of the per cent in work by month from {int(frame['event_time'].min())} to "
                f"{int(frame['event_time'].max())} months since referral, with a dashed line at referral. {title_a}. "
                "Before referral the two lines are close; the numbers are in the table below the next chart."
                + (
                    " Months where few were in work are left out of the lines."
                    if frame["hidden"].any()
                    else ""
                )
            ),
        )
    )
    return [
        heading(
            "Employment over time: participants and the estimate without the activity",
            anchor="employment-over-time",
        ),
        paragraph(
            "The estimate without the activity (the counterfactual) is the participants' own employment rate minus "
            "the estimated effect: the matched comparison group's change since before referral, applied to the "
            f"participants' starting point. The shaded band and the bars are {level} confidence intervals."
        ),
        figure_a,
        ctx.numbering.figure(
            fig_b,
            title=title_b,
            subtitle=f"Difference in per cent in work between participants and matched comparison people, percentage "
            f"points with {level} intervals, by month since referral, {ctx.name}",
            alt=(
                "Chart of the estimated difference in each month since referral with intervals; hollow circles before "
                f"referral, filled squares from referral, a line at zero. {title_b}. The numbers are in the next table."
            ),
        ),
        ctx.numbering.table(
            table.set_index("Months since referral"),
            index=True,
            title=f"Per cent in work by month since referral, participants and the estimate without the activity, {ctx.name}",
            note=note + " People rounded to the nearest 5.",
        ),
        paragraph(f"Check on the comparison: {pre_text}."),
    ]


def area_trends(panel: pd.DataFrame, outcome: str = "employment_rate") -> pd.DataFrame:
    """Mean outcome by period for areas where the activity ran (ever) and comparison areas (never)."""
    frame = panel.assign(period=pd.to_datetime(panel["period"]))
    frame["group"] = np.where(frame["first_treated_period"].notna(), "treated", "comparison")
    means = frame.groupby(["period", "group"])[outcome].mean().unstack("group").reset_index()
    return means.rename_axis(columns=None)


def _area_over_time(ctx: ImpactContext) -> list:
    impact = ctx.result
    level = _level(impact.alpha)
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
                f"{signed(e)} ({signed(lo)} to {signed(hi)})"
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
                f"{signed(r.estimate)} ({signed(r.ci_lower)} to {signed(r.ci_upper)})"
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


def few_areas_text(impact: ActivityImpact) -> str:
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


# --------------------------------------------------------------------------- net impact


def net_outcomes(ctx: ImpactContext) -> list:
    """Net additional outcomes against the do-nothing counterfactual, and cost per net additional outcome."""
    impact, kind = ctx.result, ctx.kind
    out = [heading("Net additional outcomes and cost")]
    spend = impact.spend_gbp
    if not ctx.programme.has("spend"):
        spend_text = "No spend returns were supplied with the input, so no cost per net additional outcome is calculated."
    elif np.isfinite(spend):
        spend_text = f"Spend on {ctx.name} to {long_date(ctx.as_of)}: {money(spend)}."
    else:
        spend_text = f"No spend is recorded for {ctx.name} to {long_date(ctx.as_of)}."

    if kind == "matched" and impact.net_impacts:
        level = _level(impact.alpha)
        rows = []
        for horizon, net in sorted(impact.net_impacts.items()):
            hidden = rate_hidden(net.observed_rate, followed_at(impact.matched, horizon), ctx.policy)
            rows.append(
                {
                    "Months after referral": horizon,
                    "Per cent of participants in work": (
                        SUPPRESSED if hidden else _whole_percent(net.observed_rate)
                    ),
                    f"Per cent without the activity ({level} CI)": (
                        SUPPRESSED
                        if hidden
                        else f"{_whole_percent(net.counterfactual_rate)} ({_whole_percent(net.counterfactual_ci_lower)} "
                        f"to {_whole_percent(net.counterfactual_ci_upper)})"
                    ),
                    f"Effect, percentage points ({level} CI)": pp_interval(
                        net.effect.estimate, net.effect.ci_lower, net.effect.ci_upper
                    ),
                    f"Net additional people in work ({level} CI)": (
                        f"{net.net_additional:+,.0f} ({net.net_additional_ci_lower:+,.0f} to "
                        f"{net.net_additional_ci_upper:+,.0f})"
                    ),
                    f"Cost per net additional person in work ({level} CI)": (
                        f"{money(net.cost_per_net_additional)} ({money(net.cost_ci_lower)} to "
                        f"{money(net.cost_ci_upper)})"
                        if net.cost_meaningful
                        else "[z] not meaningful"
                    ),
                }
            )
        table = pd.DataFrame(rows).set_index("Months after referral")
        matched = required(impact.matched, "matched estimate")
        head = impact.net_impacts.get(matched.horizon) or next(iter(impact.net_impacts.values()))
        out += [
            paragraph(
                "Net additional outcomes are the people in work because of the activity: those in work minus those who "
                "would have been in work anyway (deadweight, estimated from the comparison group). They apply the "
                "effect measured on participants followed long enough to everyone who took part."
            ),
            bullets(
                [
                    counterfactual_text(head, followed_at(matched, matched.horizon), ctx.policy),
                    _net_sentence(head, impact.n_participants, ctx.policy),
                    head.cost_sentence(),
                    spend_text,
                ]
            ),  # fmt: skip
            ctx.numbering.table(
                table,
                index=True,
                title=f"Net additional people in work and cost per net additional person, {ctx.name}",
                note=(
                    "Net additional outcomes are model estimates, not counts of people, and are not rounded to 5. "
                    "Cost uses all spend to date. [z]: not meaningful, because the interval of the effect includes "
                    "zero or the effect is not positive, so the cost could be anything up to infinite. Deadweight is "
                    "estimated by the comparison group, so no ready-reckoner deadweight is applied; leakage, "
                    "displacement and substitution are taken as zero and the multiplier as one."
                ),
            ),
        ]
        return out
    if kind == "area":
        people = ctx.people
        each = per_person(spend, len(people), ctx.policy)  # rounded people: spend would undo the rounding
        extra = f" Spend per participant recorded: {money(each)}." if not isinstance(each, str) else ""
        return [
            *out,
            paragraph(
                "Net additional outcomes in people are not estimated for a system-level activity: the area panel "
                "holds employment rates, not the number of residents the activity reached, so an effect on the rate "
                "cannot be turned into a number of people without assumptions the data cannot check.",
                spend_text + extra,
            ),
        ]
    if kind == "descriptive":
        return [
            *out,
            paragraph("Not estimated: there is no counterfactual for a descriptive design.", spend_text),
        ]
    return [*out, paragraph(f"Not estimated: {_reason(impact)}.", spend_text)]


# --------------------------------------------------------------------------- evidence


def evidence(ctx: ImpactContext) -> list:
    """Maryland Scientific Methods Scale level, and the checks behind it."""
    impact, kind = ctx.result, ctx.kind
    strength = impact.evidence
    out = [heading("Strength of evidence"), paragraph(f"{strength.label}.", strength.sentence)]
    checks = []
    if kind == "matched":
        matched = required(impact.matched, "matched estimate")
        data = charts.love_plot_data(matched.balance)
        checks += [
            f"Balance: after matching {int(data['balanced_after'].sum())} of {len(data)} characteristics differ by "
            f"less than {charts.SMD_THRESHOLD:g} standard deviations (largest {matched.max_abs_smd_after:.2f}).",
            (
                f"Months before referral: joint test p = {matched.pretrend_p_value:.2f} "
                + (
                    "(no sign that the groups already differed)."
                    if matched.pretrend_p_value >= ALPHA
                    else "(the groups already differed: the verdict is withheld)."
                )  # fmt: skip
            )
            if np.isfinite(matched.pretrend_p_value)
            else "Months before referral could not be tested jointly.",
            *_placebo_lines(impact),
            f"Size: {_count_text(matched.n, ctx.policy)} participants followed for {matched.horizon} months (the minimum "
            f"for an estimate is {ctx.policy.min_impact_n}).",
            f"Matches found for {safe_percent(matched.n_matched, max(matched.n_participants, 1), ctx.policy)}% of "
            "participants.",
        ]
    elif kind == "area":
        dynamic = required(
            required(impact.area_dynamic, "area event-time estimate").detail, "area event-time table"
        )
        pre = dynamic[(dynamic["event_time"] < 0) & (dynamic["event_time"] >= -AREA_PRE_QUARTERS)]
        off = int(((pre["ci_lower"] > 0) | (pre["ci_upper"] < 0)).sum())
        checks += [
            f"Areas: {impact.n_treated_areas} where the activity ran, {impact.n_control_areas} comparison areas. "
            "Few areas mean wide intervals and an interval that may still understate the uncertainty.",
            f"Trends before the start: {off} of {len(pre)} quarters before the start differ significantly "
            + (
                "(no sign that the areas were already moving apart)." if off == 0 else "(treat with caution)."
            ),
        ]
    if checks:
        out.append(bullets(checks))
    return out


# --------------------------------------------------------------------------- methods and caveats


def _outcome_method(matched) -> str:
    """How the effect at each month is measured, for the methods list."""
    history = (
        f"History available before referral: {matched.history_months} months (the contracts ask for up to 24, "
        "12 at least)."
    )
    if matched.estimator == "baseline_did" and matched.baseline is not None:
        start, end = matched.baseline
        return (
            "Outcome: in work in a calendar month (linked monthly records). The effect at each month is the change "
            f"in participants' chance of being in work since their baseline ({start} to {end} months before "
            "referral, before any fall in employment that led to referral) minus the same change for their matched "
            "comparison group, adjusted by regression for the matching characteristics and the referral month "
            f"(doubly robust). {history}"
        )
    if matched.estimator == "adjusted_post":
        return (
            "Outcome: in work in a calendar month (linked monthly records). The effect at each month is the "
            "participants' rate minus the matched comparison group's, adjusted by regression for the matching "
            f"characteristics and the referral month (doubly robust). {history}"
        )
    return (
        f"Outcome: in work in a calendar month (linked monthly records), measured from {matched.pre_months} months "
        "before referral; the effect at each month is the participants' change from their own pre-referral average "
        "minus the matched comparison group's change."
    )


def _placebo_lines(impact: ActivityImpact) -> list[str]:
    """One line per placebo referral for the evidence checks."""
    found = impact.falsification
    if found is None:
        return []
    lines = []
    for placebo in found.placebos:
        if not placebo.run:
            lines.append(
                f"Placebo referral {placebo.months_before} months early: not run ({placebo.reason_not_run})."
            )
        else:
            verdict_text = (
                ("passed" if placebo.passed else "failed")
                if placebo.deciding
                else (
                    "no difference"
                    if placebo.passed
                    else "a fall in employment before referral, reported only"
                )
            )
            lines.append(
                f"Placebo referral {placebo.months_before} months early: "
                + verdict_text
                + f" (joint test p = {placebo.p_value:.3f}; largest difference "
                f"{signed(100 * placebo.largest)} percentage points)."
            )
    return lines


def methods(ctx: ImpactContext) -> list:
    impact, kind = ctx.result, ctx.kind
    out = [heading("Methods and assumptions")]
    level = _level(impact.alpha)
    if kind in ("matched", "matched_not_estimated") and impact.matched is not None:
        matched = impact.matched
        covariates = ", ".join(charts.covariate_label(c).lower() for c in matched.covariates)
        items = [
            f"Method: {matched.method}.",
            f"Matched on: {covariates}; exactly on the local authority and the referral month.",
            "Why this method: people often join after a fall in employment, so each of the last six months is "
            "matched; matching on the level of employment further back and then comparing invites regression to the "
            "mean when people differ in ways the data do not record, so that level is differenced out instead. "
            "Simulations on data built independently of the toolkit chose this method over four others (the table "
            "'How the estimate depends on the method' shows them all).",
            f"Propensity score: {matched.propensity_method}; nearest neighbour 1:{matched.ratio} with replacement"
            + (f", caliper {matched.caliper:g} standard deviations of the score" if matched.caliper else "")
            + f"; ties broken with seed {matched.seed}.",
            _outcome_method(matched),
            f"Inference: {matched.variance_method}; {level} intervals from the normal distribution.",
            f"Headline horizon: the longest follow-up with at least {matched.min_n} participants "
            f"({matched.horizon} months); the programme summary and its forest plot lead with the same horizon.",
            "Design check: `evaluation check-design <input folder> --activity "
            f"{ctx.activity_id}` simulates this activity on the real comparison pool (pseudo-participants like "
            "these participants, a known effect and none) and reports the method's bias, the coverage of its "
            "intervals and how often it would publish a false verdict, with Monte Carlo errors.",
        ]
        assumptions = [
            "Parallel changes: given the same characteristics and the same last six months of employment and benefit, "
            "participants' chance of being in work would have changed from their baseline as the matched comparison "
            "group's did without the activity. A placebo referral 12 months early and the months between the "
            "baseline and the last six test this where the true effect is zero; a failed check withholds the "
            "verdict. A placebo referral 6 months early measures the fall in employment before referral, which the "
            "matching accounts for.",
            "No effect on the comparison group: taking part does not change the chances of people who did not.",
            "Outcomes are recorded in the same way for participants and comparison people.",
        ]
    elif kind == "area":
        area = required(impact.area, "area estimate")
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
    else:
        items = [
            "No counterfactual method is applied: "
            + (_reason(impact) if kind != "descriptive" else "the design is descriptive")
            + ".",
        ]
        assumptions = []
    items.append(ctx.policy.describe())
    out.append(bullets(items))
    if assumptions:
        out += [heading("Assumptions", level=3, anchor="assumptions"), bullets(assumptions)]
    return out


def caveats(ctx: ImpactContext) -> list:
    kind = ctx.kind
    bias = []
    cannot = [
        "Whether work lasts beyond the follow-up shown, or how many hours and what pay it brings.",
        "Why the activity worked or did not: the process report and qualitative evaluation speak to that.",
        "Effects for particular groups (for example disabled people or carers): groups are too small for separate "
        "estimates at this stage.",
    ]
    if kind in ("matched", "matched_not_estimated"):
        bias = [
            "Selection on things the data do not record: people who choose to take part, or whom staff refer, may "
            "be more motivated or closer to work than similar-looking people who do not.",
            "People in the comparison group may get other employment support, so the estimate is against usual "
            "support, not against no support at all.",
            "Displacement: participants may take jobs others would have got, so the net effect on the area can be "
            "smaller than the effect on participants.",
            "Recording: employment comes from linked records; late or missing records would affect both groups but "
            "not necessarily equally.",
        ]
        cannot.insert(0, "Outcomes at 12 months for people referred recently (see the update section above).")
    elif kind == "area":
        bias = [
            "Other changes in the same areas at the same time (other programmes, local economic shocks) would be "
            "mixed into the estimate.",
            "Survey sampling error in local-authority rates is large next to the effect a small programme can make.",
            "Areas were not chosen at random: if they were chosen because employment was falling or rising, that "
            "trend could be mistaken for an effect.",
        ]
        cannot.insert(0, "How many residents are in work because of the activity: the estimate is on a rate.")
    else:
        cannot.insert(0, "What difference the activity made: there is no comparison group.")
    out = [heading("Caveats")]
    if bias:
        out += [
            heading("What could bias this estimate", level=3, anchor="what-could-bias-this-estimate"),
            bullets(bias),
        ]
    out += [
        heading("What the data cannot show", level=3, anchor="what-the-data-cannot-show"),
        bullets(cannot),
    ]
    if ctx.interim:
        out.append(
            warning("Interim update: figures are provisional [p] and will be revised in later updates.")
        )
    return out


# --------------------------------------------------------------------------- aggregates for the summary


def record(impact: ActivityImpact, programme, *, seed: int | None, as_of: str | None,
           policy: DisclosurePolicy = DEFAULT_POLICY) -> ImpactRecord:  # fmt: skip
    """The disclosure-safe aggregates of one activity's impact (`ImpactRecord`), for the programme
    summary and for anyone loading the run's results (`read_results`).

    Estimates and intervals (percentage points), rounded counts, spend, evidence level, and what the
    record was computed from (input hashes, as-of date, seed), so a stale record is never used.
    No person-level data and no exact small counts: the participants' rate and the counterfactual
    rate are "[c]" where fewer than the threshold were in work (`safe_rate`), like a hidden count.
    """
    horizons = []
    if impact.matched is not None:
        for row in impact.matched.horizons.to_dict("records"):
            net = impact.net_impacts.get(int(row["horizon"]))
            entry: dict[str, Any] = {
                "horizon": int(row["horizon"]),
                "reportable": bool(row["reportable"]),
                "n_followed": safe_count(int(row["n"]), policy),
            }
            rate = safe_rate(float(row["participants_rate"]), int(row["n"]), policy)  # [c] when few in work
            rate = float("nan") if rate == NOT_AVAILABLE else rate  # written as null, as before
            if row["reportable"]:
                entry |= {
                    "estimate_pp": 100 * float(row["estimate"]),
                    "ci_lower_pp": 100 * float(row["ci_lower"]),
                    "ci_upper_pp": 100 * float(row["ci_upper"]),
                    "participants_rate": rate,
                }
            if net is not None:
                entry |= {
                    "counterfactual_rate": SUPPRESSED if rate == SUPPRESSED else net.counterfactual_rate,
                    "net_additional": net.net_additional,
                    "net_additional_ci_lower": net.net_additional_ci_lower,
                    "net_additional_ci_upper": net.net_additional_ci_upper,
                    "cost_meaningful": net.cost_meaningful,
                    "cost_per_net_additional": net.cost_per_net_additional if net.cost_meaningful else None,
                    "cost_ci_lower": net.cost_ci_lower if net.cost_meaningful else None,
                    "cost_ci_upper": net.cost_ci_upper if net.cost_meaningful else None,
                    "cost_note": net.cost_note,
                }
            horizons.append(entry)
    head = None
    if impact.estimated and impact.headline is not None:
        scale = 100.0 if impact.design == "matched_comparison" else 1.0
        head = {
            "measure": "participants" if impact.design == "matched_comparison" else "area employment rate",
            "term": str(impact.headline.term),
            "horizon": int(impact.matched.horizon) if impact.matched is not None else None,
            "estimate_pp": scale * float(impact.headline.estimate),
            "ci_lower_pp": scale * float(impact.headline.ci_lower),
            "ci_upper_pp": scale * float(impact.headline.ci_upper),
            "significant": bool(impact.headline.significant),
            "published": bool(impact.published),
            "withheld_reason": checks.withheld_reason(impact),
        }
    clean = {
        "schema": RECORD_SCHEMA,
        "activity_id": impact.activity_id,
        "activity_name": impact.activity_name,
        "design": impact.design,
        "status": impact.status,
        "reason": impact.reason,
        "evidence_level": impact.evidence.level,
        "evidence_label": impact.evidence.label,
        "alpha": impact.alpha,
        "n_participants": safe_count(int(impact.n_participants), policy),
        "spend_gbp": float(impact.spend_gbp) if np.isfinite(impact.spend_gbp) else None,
        "n_treated_areas": int(impact.n_treated_areas),
        "n_control_areas": int(impact.n_control_areas),
        "headline": head,
        "horizons": horizons,
        "falsification": _falsification_record(impact),
        "computed_from": {
            "input_hashes": dict(programme.input_hashes),
            "as_of": programme.as_of.date().isoformat(),
            "interim_as_of": as_of or "",
            "seed": seed,
        },
    }
    return ImpactRecord.from_dict(_finite(json.loads(json.dumps(clean, default=_plain))))  # plain types only


def _falsification_record(impact: ActivityImpact) -> dict | None:
    """The placebo and pre-period checks as plain numbers (percentage points, p-values)."""
    found = impact.falsification
    if found is None:
        return None
    return {
        "credible": bool(found.credible),
        "failed": list(found.failed),
        "pre_path_p_value": found.pre_path.p_value if found.pre_path is not None else None,
        "placebos": [
            {
                "months_before": p.months_before,
                "run": p.run,
                "passed": p.passed,
                "p_value": p.test.p_value if p.test is not None else None,
                "largest_difference_pp": 100 * p.largest if p.run else None,
            }
            for p in found.placebos
        ],
    }


def _finite(value):
    """NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def save_record(ctx: ImpactContext) -> None:
    """Save the activity's impact record in the output folder's `_aggregates/` (atomically), for the
    programme summary and `read_results`: the impact report's last, explicit step. Nothing is
    saved without an output folder."""
    if not ctx.output_dir:
        return
    found = record(
        ctx.result, ctx.programme, seed=ctx.seed, as_of=ctx.parameters.get("as_of"), policy=ctx.policy
    )
    found.save(record_path(ctx.output_dir, ctx.activity_id))


def about(ctx: ImpactContext) -> list:
    """Provenance footer."""
    return [heading("About this report"), provenance(ctx.programme, parameters=dict(ctx.parameters))]


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
    "scope",
    "sensitivity_section",
    "title_block",
    "save_record",
]
