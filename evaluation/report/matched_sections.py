"""The matched comparison's parts of the reports: participants against matched similar people.

The report family of the "matched_comparison" design (`FAMILY`, found through
`evaluation.impact.DESIGNS`): its headline, who was compared, what the update cannot observe yet,
balance, employment over time, the checks before publication and the method comparison
(`evaluation.report.checks`), net additional outcomes and cost, the evidence checks, methods and
caveats, its record's follow-ups, and its lines in the programme summary. Every count passes
disclosure control; a participants' rate resting on few people in work is hidden with the
counterfactual that would give it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.activity import ActivityImpact, MatchedImpact
from evaluation.counterfactual import NetImpact
from evaluation.disclosure import (
    DEFAULT_POLICY,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    safe_count,
    safe_percent,
    safe_rate,
)
from evaluation.report import charts, checks, how_sure
from evaluation.report.context import ALPHA, HORIZONS, ImpactContext
from evaluation.report.display import bullets, heading, headline, paragraph
from evaluation.report.families import Family, result_of
from evaluation.report.formatting import (
    about_count,
    and_list,
    interval_level,
    long_date,
    money,
    month_year,
    people_interval,
    people_range,
    pp_interval,
    signed,
    signed_people,
    verdict,
    whole_percent,
)
from evaluation.report.record import estimate_pp
from evaluation.report.sentences import (
    NOT_MEASURED,
    evidence_line,
    no_estimate_reason,
    not_estimated_sentence,
)
from evaluation.report.summary import (
    WITHHELD,
    ActivityHeadline,
    by_verdict,
    forest_frame,
    headline_of,
    headlines,
)
from evaluation.results import required

if TYPE_CHECKING:
    from evaluation.report.context import SummaryContext
    from evaluation.report.record import ImpactRecord

__all__ = [
    "FAMILY",
    "counterfactual_text",
    "event_time_frame",
    "followed_at",
    "hide_small_rates",
    "rate_hidden",
    "verdict_sentence",
    "why_no_estimate",
]


def _result(impact: ActivityImpact) -> MatchedImpact:
    """The matched comparison's own result type (`MatchedImpact`): these sections present nothing else."""
    return result_of(impact, MatchedImpact)


def _complete(impact: ActivityImpact) -> bool:
    """An estimate with its matched comparison: every matched section has something to show."""
    impact = _result(impact)
    return impact.estimated and impact.matched is not None


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
            f"cent who were, and the estimate of how many would have been anyway, are hidden {SUPPRESSED}."
        )
    return net.counterfactual_sentence()


def _net_sentence(net: NetImpact, n_participants: int, policy: DisclosurePolicy) -> str:
    """Net additional outcomes as a range of people (participant count rounded, unlike
    `NetImpact.net_sentence`, which prints the exact count)."""
    low, high = net.net_additional_ci_lower, net.net_additional_ci_upper
    if not (np.isfinite(low) and np.isfinite(high)):
        return "The number of additional people in work could not be estimated."
    who = f"of {about_count(n_participants, policy)} participants"
    what = f"were {net.outcome_label} {net.horizon_label} because of the activity"
    span = people_range(low, high)
    text = f"Applied to everyone who took part, this means {span} {who} {what} (central estimate {signed_people(net.net_additional)})."
    if not net.significant:
        text += " The difference is not statistically significant."
    return text


def observed_by(people: pd.DataFrame, last_month: pd.Timestamp, horizon: int) -> tuple[pd.Timestamp, int]:
    """The last referral month followed for `horizon` months by `last_month`, and how many
    participants were referred after it (not yet observable at that horizon)."""
    cutoff = (last_month.to_period("M") - horizon).to_timestamp()
    referral_month = people["referred_date"].dt.to_period("M").dt.to_timestamp()
    return cutoff, int((referral_month > cutoff).sum())


def _last_outcome_month(ctx: ImpactContext) -> pd.Timestamp:
    """The last month of the employment records, as the first of the month."""
    last = required(ctx.programme.last_outcome_month, "last outcome month")
    return pd.Timestamp(last).to_period("M").to_timestamp()


def _withheld_sentences(impact: MatchedImpact, name: str) -> list[str]:
    """The headline when the checks fail: no verdict, the reason and the estimate for the record."""
    matched = required(impact.matched, "matched estimate")
    return [
        f"No verdict on the impact of {name} is published: the comparison group is not credible for this "
        "activity. Checks on the months before referral, where the activity cannot yet have made a difference, "
        "found that participants and the people they were compared with already differed.",
        *checks.failed_check_sentences(required(impact.falsification, "falsification checks")),
        f"For the record only, the matched comparison gives {signed(100 * matched.estimate)} percentage points "
        f"({signed(100 * matched.ci_lower)} to {signed(100 * matched.ci_upper)}) {matched.horizon} months after "
        "referral; it is not a measure of the activity's impact, and no net additional outcomes or cost per "
        "outcome are given.",
    ]


def _headline(ctx: ImpactContext) -> list:
    """The finding in plain English, Employment Data Lab style: the net additional people in work
    and the estimate, the verdict withheld and why, or why there is no estimate yet."""
    impact = _result(ctx.result)
    if not _complete(impact):
        why, explanation, when = why_no_estimate(ctx)
        return [
            headline(f"No impact estimate is given for {ctx.name} in this update: {why}.", explanation),
            bullets([when, evidence_line(impact, " once estimated")]),
        ]
    if not impact.published:
        return checks.withheld_headline(_withheld_sentences(impact, ctx.name), impact)
    matched = required(impact.matched, "matched estimate")
    net = impact.net_impacts.get(matched.horizon)
    main = net.sentence() if net is not None else ""
    best = (
        f"Best estimate: {signed(100 * matched.estimate)} percentage points ({interval_level(matched.alpha)} "
        f"confidence interval {signed(100 * matched.ci_lower)} to {signed(100 * matched.ci_upper)}), from "
        f"{about_count(matched.n, ctx.policy)} participants followed for {matched.horizon} months after referral "
        "and compared with matched similar people who did not take part."
    )
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
    items.append(evidence_line(impact))
    later = matched.horizons[
        (matched.horizons["horizon"] > matched.horizon) & ~matched.horizons["reportable"]
    ]
    for horizon in later["horizon"]:
        items.append(
            f"Results {horizon} months after referral are not reported yet: fewer than "
            f"{ctx.policy.min_impact_n} participants have been followed that long."
        )
    return [headline(main, best), bullets(items)]


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
    cutoff, later = observed_by(people, last, horizon)
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
        no_estimate_reason(ctx.result),
        "The data could not support a matched comparison, so no estimate is given rather than an unreliable one.",
        "The methods section says what the data would need.",
    )


def _sentences(impact: ActivityImpact) -> list[str]:
    """The net impact's own sentences at the headline follow-up (none without net impact)."""
    impact = _result(impact)
    found = impact.net_impacts.get(required(impact.matched, "matched estimate").horizon)
    return found.sentences() if found is not None else []


def _scope(ctx: ImpactContext) -> list:
    """Who took part, who they were compared with, and how many of each are in the analysis."""
    people = ctx.people
    if people.empty:
        return [paragraph("No participants are recorded for this activity yet.")]
    months = people["referred_date"]
    out = [
        paragraph(
            f"Participants: {about_count(len(people), ctx.policy)} residents referred to {ctx.name} between "
            f"{month_year(months.min())} and {month_year(months.max())}.",
            "Comparison group: economically inactive residents of the programme's areas who did not take "
            "part. Each participant is matched to the most similar of them, living in the same local authority "
            "and looked at from the same month, on personal characteristics, benefits, time since last work "
            "and employment history over the 12 months before referral.",
        )
    ]
    matched = _result(ctx.result).matched
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


def _observable(ctx: ImpactContext) -> list[str]:
    """How far the employment records run, and who has not yet been followed for each horizon."""
    people = ctx.people
    items = []
    if not people.empty:
        last = _last_outcome_month(ctx)
        items.append(f"Employment records run to {month_year(last)}.")
        for horizon in HORIZONS:
            cutoff, later = observed_by(people, last, horizon)
            if later == 0:
                items.append(f"Everyone has been followed for {horizon} months after referral.")
            else:
                share = safe_percent(later, len(people), ctx.policy)
                share_text = "a few" if share == SUPPRESSED else f"{share}%"
                items.append(
                    f"{horizon}-month outcomes are not yet observable for people referred after {month_year(cutoff)} "
                    f"({share_text} of participants); they will be counted in later updates."
                )
    return [*items, NOT_MEASURED]


def _balance(ctx: ImpactContext) -> list:
    """How similar the matched comparison group is: love plot and balance table."""
    if not _complete(ctx.result):
        return []
    matched = required(_result(ctx.result).matched, "matched estimate")
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


def _over_time(ctx: ImpactContext) -> list:
    """Employment over time for participants and the estimate without the activity, the difference
    month by month, and the check on the months before referral."""
    if not _complete(ctx.result):
        return []
    matched = required(_result(ctx.result).matched, "matched estimate")
    level = interval_level(matched.alpha)
    frame = hide_small_rates(event_time_frame(matched.event_time, min_n=ctx.policy.min_impact_n), ctx.policy)
    head = frame[frame["event_time"] == matched.horizon].iloc[0]
    title_a = (
        f"{whole_percent(head['observed'])}% of participants were in work {matched.horizon} months after referral, "
        f"against an estimated {whole_percent(head['counterfactual'])}% without the activity"
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
                SUPPRESSED if h else whole_percent(v)
                for v, h in zip(frame["observed"], frame["hidden"], strict=True)
            ],
            f"Per cent estimated without the activity ({level} CI)": [
                SUPPRESSED if h else f"{whole_percent(c)} ({whole_percent(lo)} to {whole_percent(hi)})"
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


# --------------------------------------------------------------------------- net impact


def _net_outcomes(ctx: ImpactContext, spend_text: str) -> list:
    """Net additional people in work against the do-nothing counterfactual at each follow-up, and
    the cost per net additional person; why not, when there are none."""
    impact = _result(ctx.result)
    if not (_complete(impact) and impact.net_impacts):
        return [paragraph(not_estimated_sentence(impact), spend_text)]
    matched = required(impact.matched, "matched estimate")
    level = interval_level(impact.alpha)
    rows = []
    for horizon, net in sorted(impact.net_impacts.items()):
        hidden = rate_hidden(net.observed_rate, followed_at(matched, horizon), ctx.policy)
        rows.append(
            {
                "Months after referral": horizon,
                "Per cent of participants in work": (
                    SUPPRESSED if hidden else whole_percent(net.observed_rate)
                ),
                f"Per cent without the activity ({level} CI)": (
                    SUPPRESSED
                    if hidden
                    else f"{whole_percent(net.counterfactual_rate)} ({whole_percent(net.counterfactual_ci_lower)} "
                    f"to {whole_percent(net.counterfactual_ci_upper)})"
                ),
                f"Effect, percentage points ({level} CI)": pp_interval(
                    net.effect.estimate, net.effect.ci_lower, net.effect.ci_upper
                ),
                f"Net additional people in work ({level} CI)": people_interval(
                    net.net_additional, net.net_additional_ci_lower, net.net_additional_ci_upper
                ),
                f"Cost per net additional person in work ({level} CI)": (
                    f"{money(net.cost_per_net_additional)} ({money(net.cost_ci_lower)} to "
                    f"{money(net.cost_ci_upper)})"
                    if net.cost_meaningful
                    else f"{NOT_APPLICABLE} not meaningful"
                ),
            }
        )
    table = pd.DataFrame(rows).set_index("Months after referral")
    head = impact.net_impacts.get(matched.horizon) or next(iter(impact.net_impacts.values()))
    return [
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


# --------------------------------------------------------------------------- evidence, methods, caveats


def _evidence(ctx: ImpactContext) -> list[str]:
    """The checks behind the strength of evidence: balance, the months before referral, the
    placebo referrals, size and matches found."""
    impact = _result(ctx.result)
    if not _complete(impact):
        return []
    matched = required(impact.matched, "matched estimate")
    data = charts.love_plot_data(matched.balance)
    return [
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
        f"Size: {about_count(matched.n, ctx.policy)} participants followed for {matched.horizon} months (the minimum "
        f"for an estimate is {ctx.policy.min_impact_n}).",
        f"Matches found for {safe_percent(matched.n_matched, max(matched.n_participants, 1), ctx.policy)}% of "
        "participants.",
    ]


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


def pool_sample_sentence(matched, policy: DisclosurePolicy = DEFAULT_POLICY) -> str:
    """The methods line saying that the comparison pool was sampled (`pool_sample`), built from the
    numbers; "" when every comparison person in the participants' areas was used."""
    if matched.pool_sample is None:
        return ""
    return (
        f"Comparison pool sampled: {about_count(matched.n_pool_people, policy)} comparison people live in the "
        f"participants' local authorities, more than the {matched.pool_sample:,} the matching takes at most, so "
        f"a random sample of {matched.pool_sample:,} of them (drawn with seed {matched.pool_seed}) was compared "
        "with the participants: the propensity score was fitted, and the matches found, among the sample."
    )


def _methods(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """The matched comparison's method, settings and design check, and its assumptions."""
    impact = _result(ctx.result)
    matched = impact.matched
    if matched is None:
        return [f"No counterfactual method is applied: {no_estimate_reason(impact)}."], []
    level = interval_level(impact.alpha)
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
        *[line for line in [pool_sample_sentence(matched, ctx.policy)] if line],
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
    return items, assumptions


def _caveats(ctx: ImpactContext) -> tuple[list[str], list[str]]:
    """What could bias a matched comparison, and what it cannot show about recent referrals."""
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
    return bias, ["Outcomes at 12 months for people referred recently (see the update section above)."]


# --------------------------------------------------------------------------- record


def _subgroup_records(matched, policy: DisclosurePolicy) -> list[dict]:
    """Each priority cohort's estimate in percentage points (rounded count followed), or its reason."""
    out = []
    for row in matched.subgroups.to_dict("records"):
        entry: dict = {
            "cohort": row["cohort"],
            "n_followed": safe_count(int(row["n"]), policy),
            "reason": row["reason"],
        }
        if np.isfinite(row["estimate"]):
            entry |= {
                "estimate_pp": 100 * float(row["estimate"]),
                "ci_lower_pp": 100 * float(row["ci_lower"]),
                "ci_upper_pp": 100 * float(row["ci_upper"]),
                "p_value": float(row["p_value"]),
                "difference_p_value": float(row["difference_p_value"]),
            }
        out.append(entry)
    return out


def _record(impact: ActivityImpact, policy: DisclosurePolicy) -> dict:
    """The record's follow-ups (estimate, rounded count followed, net additional outcomes and cost
    at each) and its headline at the headline follow-up, in percentage points. The participants'
    rate and the counterfactual rate are "[c]" where fewer than the threshold were in work."""
    impact = _result(impact)
    matched = impact.matched
    if matched is None:
        return {}
    horizons = []
    for row in matched.horizons.to_dict("records"):
        net = impact.net_impacts.get(int(row["horizon"]))
        entry: dict = {
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
    found: dict = {"horizons": horizons, "subgroups": _subgroup_records(matched, policy)}
    if impact.estimated and impact.headline is not None:
        found["headline"] = {
            "measure": "participants",
            "horizon": int(matched.horizon),
            **estimate_pp(impact.headline, scale=100.0),
        }
    return found


# --------------------------------------------------------------------------- the programme summary


def verdict_sentence(heads: list[ActivityHeadline]) -> str:
    """How many activities raised, lowered or made no significant difference to the chance of
    being in work, each at its own headline follow-up (withheld verdicts are not counted)."""
    up, down, flat = (
        by_verdict(heads, v) for v in ("significant increase", "significant decrease", "not significant")
    )

    def named(group: list[ActivityHeadline]) -> str:
        return and_list([h.named for h in group])

    clauses = [
        f"{len(up)} raised the chance of being in work by a statistically significant amount ({named(up)})"
        if up
        else "none raised the chance of being in work by a statistically significant amount"
    ]
    if down:
        clauses.append(f"{len(down)} lowered it ({named(down)})")
    if flat:
        clauses.append(f"{len(flat)} showed no statistically significant difference ({named(flat)})")
    return and_list(clauses)


def _summary_headline(ctx: SummaryContext, records: list[ImpactRecord]) -> tuple[list[str], list[str]]:
    """How many activities working with individual residents have an estimate and what they
    found; the note naming those without one yet."""
    heads = headlines(records)
    not_estimated = [r.activity_name for r in records if headline_of(r) is None]
    judged = [h for h in heads if h.published]
    if heads:
        text = (
            f"Of {len(records)} {'activity' if len(records) == 1 else 'activities'} working with individual "
            f"residents, {len(heads)} had enough participants for an impact estimate."
            + (
                " Each is judged at its headline follow-up, the longest time after referral at which enough "
                "participants have been followed, as in its own impact report: "
                + verdict_sentence(judged)
                + "."
                if judged
                else ""
            )
        )
    else:
        text = (
            "The one activity working with individual residents does not have enough participants followed for "
            "long enough for an impact estimate yet."
            if len(records) == 1
            else f"None of the {len(records)} activities working with individual residents has enough "
            "participants followed for long enough for an impact estimate yet."
        )
    notes = []
    if not_estimated:
        notes.append(
            f"No impact estimate yet for {and_list(not_estimated)}: too few participants, or too few followed for "
            "long enough (see the table of impact estimates)."
        )
    return [text], notes


def _summary_figures(ctx: SummaryContext, records: list[ImpactRecord]) -> list:
    """The forest plot of every activity's estimate at its headline follow-up, with how to read it."""
    heads = headlines(records)
    if not heads:
        return []
    frame = forest_frame(records)
    data = charts.forest_data(frame)
    up = len(by_verdict(heads, "significant increase"))
    withheld = len(by_verdict(heads, WITHHELD))
    title = (
        f"{'None' if up == 0 else up} of the {len(heads)} activities with an estimate raised the chance of being in "
        "work by a statistically significant amount at their headline follow-up"
        + (f"; the verdict is withheld for {withheld}" if withheld else "")
    )
    if withheld == len(heads):
        title = (
            "No verdict is given for the activity with an estimate"
            if withheld == 1
            else f"No verdict is given for any of the {withheld} activities with an estimate"
        ) + ": the comparison group was not credible"
    months = sorted({h.horizon for h in heads if h.horizon})
    return [
        paragraph(
            "Each activity is shown at its headline follow-up, the longest time after referral at which enough "
            "participants have been followed (in brackets after its name), with the same estimate and verdict as "
            "its own impact report. "
            + (
                f"Follow-ups differ ({and_list([f'{m} months' for m in months])}), so the table below also gives "
                "every activity's estimate at each follow-up."
                if len(months) > 1
                else "The table below also gives the estimates at other follow-ups."
            ),
            "The estimate is the difference in the chance of being in work between participants and matched "
            "similar people who did not take part, in percentage points; the line through each square is its 95% "
            "confidence interval. An interval that crosses zero is not statistically significant."
            + (
                " Where the verdict is withheld, the comparison group was not credible, so the estimate is shown "
                "as evidence only."
                if withheld
                else ""
            ),
        ),
        ctx.numbering.figure(
            charts.forest_plot(
                frame, xlabel="Difference in chance of being in work (percentage points)", scale=1.0
            ),
            title=title,
            subtitle="Effect on the per cent in work at each activity's headline follow-up (months after referral, "
            f"in brackets), percentage points with 95% intervals, by activity, largest first, {ctx.programme.name}",
            alt=(
                "Forest plot of the estimated effect of each activity at its headline follow-up, largest first, "
                "with a line at zero. "
                + "; ".join(
                    f"{r.label}: {r.estimate:+.1f} points ({r.ci_lower:+.1f} to {r.ci_upper:+.1f}), {r.verdict}"
                    for r in data.itertuples()
                )
                + "."
            ),
        ),
    ]


FAMILY = Family(
    name="matched",
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
    balance=_balance,
    over_time=_over_time,
    falsification=checks.falsification_section,
    sensitivity=checks.sensitivity_section,
    how_sure=how_sure.matched_part,
    summary_headline=_summary_headline,
    summary_figures=_summary_figures,
    follow_ups=True,
    costed=True,
)
"""How the matched comparison is presented (`evaluation.report.families.Family`)."""
