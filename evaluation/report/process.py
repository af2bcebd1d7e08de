"""Sections of the per-activity process report: reach, who was reached, referral routes, funnel,
time to stages, drop-out, spend and milestones. Each function computes through the package's
estimators, applies disclosure control and returns display objects for the notebook to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation import funnel as funnel_module
from evaluation.disclosure import (
    DEFAULT_POLICY,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    protect_table,
    safe_count,
    safe_percent,
)
from evaluation.programme import Programme, load_programme
from evaluation.report import charts
from IPython.display import HTML

from evaluation.report.display import Numbering, bullets, escape, headline, paragraph, warning

COHORT_WEEKS = 26
PRIORITY_COHORTS = {
    "Long-term health condition": lambda f: f["health_condition"] != "none",
    "Disabled": lambda f: f["disabled"] == 1,
    "Carers": lambda f: f["carer"] == 1,
    "Parents with childcare needs": lambda f: f["parent"] == 1,
    "Young people (16 to 24)": lambda f: f["age"] < 25,
    "Aged 50 and over": lambda f: f["age"] >= 50,
    "Neurodivergent": lambda f: f["neurodivergent"] == 1,
    "Women": lambda f: f["sex"] == "female",
    "Social housing tenants": lambda f: f["social_housing"] == 1,
    "Veterans": lambda f: f["veteran"] == 1,
    "Ethnic minority groups": lambda f: ~f["ethnic_group"].isin(["white", "not_stated"]),
}


@dataclass
class ActivityContext:
    """Everything a report about one activity needs, as known at the report's as-of date."""

    programme: Programme
    activity_id: str
    policy: DisclosurePolicy = DEFAULT_POLICY
    numbering: Numbering = field(default_factory=Numbering)

    @property
    def plan(self) -> pd.Series:
        return self.programme.plan(self.activity_id)

    @property
    def name(self) -> str:
        return str(self.plan["activity_name"])

    @property
    def people(self) -> pd.DataFrame:
        return self.programme.participants_of(self.activity_id)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.programme.as_of

    @property
    def stages(self) -> list[tuple[str, str, str]]:
        return [(s.name, s.column, s.label) for s in self.programme.stages]


def context(programme_path: str, activity_id: str, as_of: str | None = None) -> ActivityContext:
    """Load the programme (cut at `as_of` for an interim update) and focus on one activity."""
    programme = load_programme(programme_path, as_of=as_of or None)
    programme.plan(activity_id)
    return ActivityContext(programme, activity_id)


def _date(value) -> str:
    return f"{pd.Timestamp(value):%d %B %Y}".lstrip("0")


def _percent(value: float) -> str:
    return "[x]" if not np.isfinite(value) else f"{100 * value:.0f}%"


# --- headline -------------------------------------------------------------------------------


def title_block(ctx: ActivityContext, kind: str = "Process") -> list:
    plan = ctx.plan
    update = "Interim update" if ctx.as_of < ctx.programme.tables["outcomes_monthly"]["month"].max() else "Update"
    return [
        HTML(f"<h1>{escape(kind)} evaluation: {escape(ctx.name)}</h1>"),
        paragraph(f"{plan['priority']} · {update} with data as of {_date(ctx.as_of)} · {ctx.programme.name}",
                  css_class="note"),
    ]


def process_headline(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return [headline(
            f"{ctx.name} works at system level: no individual participants are recorded, so this report "
            "covers spend and milestones only."
        )]
    result = _funnel(ctx)
    referred = safe_count(len(people), ctx.policy)
    target = ctx.plan["target_participants"]
    reach = (f" against a target of {int(target):,} residents supported ({safe_percent(_started(ctx), int(target), ctx.policy)}% "
             "of the target have started support)" if pd.notna(target) and target > 0 else "")
    job = result.table[(result.table["group"] == funnel_module.ALL) & (result.table["stage"] == "job_start")]
    job_sentence = ""
    if not job.empty and job["cohort_n"].iloc[0] >= ctx.policy.threshold:
        row = job.iloc[0]
        job_sentence = (
            f" Of people referred at least {COHORT_WEEKS} weeks ago, between {_percent(row['cohort_lower'])} and "
            f"{_percent(row['cohort_upper'])} started a job within {COHORT_WEEKS} weeks of referral "
            f"(best estimate {_percent(row['cohort_rate'])})."
        )
    return [headline(f"{referred} residents had been referred to {ctx.name} by {_date(ctx.as_of)}{reach}."
                     + job_sentence)]


def _started(ctx: ActivityContext) -> int:
    return int(ctx.people["started_date"].notna().sum())


def _funnel(ctx: ActivityContext, by: str | None = None):
    return funnel_module.funnel(ctx.people, stages=ctx.stages, as_of=ctx.as_of, by=by)


# --- reach ------------------------------------------------------------------------------------


def reach(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return [paragraph("No participants are recorded for this activity.")]
    target = ctx.plan["target_participants"]
    rows = [("Referred", len(people)), ("Engaged", int(people["engaged_date"].notna().sum())),
            ("Started support", _started(ctx))]
    table = pd.DataFrame(rows, columns=["Measure", "People"]).set_index("Measure")
    published, _ = protect_table(table, count_columns=["People"], policy=ctx.policy, secondary=False)
    if pd.notna(target):
        published["Per cent of target"] = [safe_percent(n, int(target), ctx.policy) for _, n in rows]
    out = [ctx.numbering.table(published, title=f"Reach against the delivery-plan target of "
                               f"{int(target):,} residents" if pd.notna(target) else "Reach", index=True,
                               note="Counts rounded to the nearest 5; " + SHORTHAND_NOTE)]
    monthly = _cumulative_referrals(people, ctx.as_of)
    if len(monthly) >= 2:
        fig = charts.monthly_lines(monthly, x="month", series={"referred": "Referred (cumulative)",
                                                               "started": "Started support (cumulative)"},
                                   ylabel="People (rounded to nearest 5)")
        if pd.notna(target):
            fig.axes[0].axhline(int(target), color="#3D3D3D", linestyle=":", linewidth=1.2)
            fig.axes[0].annotate(f"Target: {int(target):,}", (monthly["month"].iloc[0], int(target)),
                                 textcoords="offset points", xytext=(0, 4), fontsize=9)
        last = monthly.iloc[-1]
        out.append(ctx.numbering.figure(
            fig, title=f"Referrals reached about {int(last['referred']):,} by {_date(ctx.as_of)}",
            subtitle=f"Cumulative people referred and starting support, {ctx.name}, by month",
            alt=(f"Line chart of cumulative referrals and support starts by month. Referrals reached about "
                 f"{int(last['referred']):,} and support starts about {int(last['started']):,} by {_date(ctx.as_of)}"
                 + (f", against a target of {int(target):,}." if pd.notna(target) else ".")),
        ))
    return out


def _cumulative_referrals(people: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    months = pd.date_range(people["referred_date"].min().replace(day=1), as_of, freq="MS")
    ends = months + pd.offsets.MonthEnd(0)
    referred = [int((people["referred_date"] <= e).sum()) for e in ends]
    started = [int((people["started_date"] <= e).sum()) for e in ends]
    frame = pd.DataFrame({"month": months, "referred": referred, "started": started})
    for column in ("referred", "started"):  # charts show rounded counts and hide small ones
        frame[column] = [np.nan if isinstance(v := safe_count(n, DEFAULT_POLICY), str) else v for n in frame[column]]
    return frame


# --- who was reached --------------------------------------------------------------------------


def priority_cohorts(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    pool = ctx.programme.comparison_pool
    rows = []
    for label, rule in PRIORITY_COHORTS.items():
        n = int(rule(people).sum())
        rows.append({"Group": label, "Participants": n, "Per cent of participants": safe_percent(n, len(people), ctx.policy),
                     "Per cent of eligible non-participants": safe_percent(int(rule(pool).sum()), len(pool), ctx.policy)})
    table = pd.DataFrame(rows).set_index("Group")
    published, _ = protect_table(table[["Participants"]], count_columns=["Participants"], policy=ctx.policy,
                                 secondary=False)
    published = published.join(table.drop(columns="Participants"))
    return [ctx.numbering.table(
        published, index=True,
        title="Who was reached: priority cohorts among participants and among eligible residents who did not take part",
        note="A person can be in several groups. 'Eligible non-participants' is the comparison pool: "
             "economically inactive residents of the programme's areas who were not referred.",
    )]


# --- referral routes --------------------------------------------------------------------------


def referral_sources(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    counts = people["referral_source"].str.replace("_", " ").str.capitalize().value_counts().sort_index()
    table = counts.rename("People").to_frame()
    table.index.name = "Referral route"
    published, _ = protect_table(table, count_columns=["People"], policy=ctx.policy, total_row="Total")
    published["Per cent"] = [safe_percent(n, len(people), ctx.policy) if not isinstance(p, str) else SUPPRESSED
                             for n, p in zip(list(counts) + [len(people)], published["People"], strict=True)]
    return [ctx.numbering.table(published, index=True, title="Referral routes",
                                note="Percentages are of all people referred, computed before rounding.")]


# --- funnel -----------------------------------------------------------------------------------


def funnel_section(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    result = _funnel(ctx)
    table = result.table[result.table["group"] == funnel_module.ALL].reset_index(drop=True)
    counts = table.set_index("label")[["n"]].rename(columns={"n": "People"})
    published, log = protect_table(counts, count_columns=["People"], policy=ctx.policy, secondary=False)
    published["Per cent of previous stage"] = _rates(table, "n", "conv_prev", ctx, previous=True)
    published["Cohort rate (95% CI)"] = [
        _rate_with_interval(r["cohort_reached"], r["cohort_n"], r["cohort_rate"], r["cohort_lower"], r["cohort_upper"], ctx)
        for _, r in table.iterrows()
    ]
    published["Cohort size"] = [safe_count(int(n), ctx.policy) for n in table["cohort_n"]]
    chart_frame = pd.DataFrame({"label": table["label"],
                                "count_value": [np.nan if isinstance(v, str) else v for v in published["People"]]})
    fig = charts.funnel_chart(chart_frame)
    first, job = table.iloc[0], table[table["stage"] == "job_start"]
    job_n = int(job["n"].iloc[0]) if not job.empty else 0
    return [
        ctx.numbering.table(
            published, index=True, title="Retention funnel: people reaching each stage",
            note=("'Cohort rate' counts only people referred long enough ago to have had the full window to reach "
                  "the stage (26 weeks, plus the sustainment period for in-work stages), so recent referrals do not "
                  "drag it down. " + SHORTHAND_NOTE),
        ),
        ctx.numbering.figure(
            fig, title=f"About {safe_percent(job_n, int(first['n']), ctx.policy)}% of people referred have started a job so far",
            subtitle=f"People reaching each stage of support, {ctx.name}, to {_date(ctx.as_of)}",
            alt=("Bar chart of people reaching each stage: "
                 + "; ".join(f"{lab} {val}" for lab, val in zip(table["label"], published["People"], strict=True)) + "."),
        ),
    ]


def _rates(table, count_column, rate_column, ctx, previous=False) -> list:
    out = []
    for i, row in table.iterrows():
        if previous and i == 0:
            out.append("[z]")
            continue
        denominator = int(table.loc[i - 1, count_column]) if previous else int(table.loc[0, count_column])
        out.append(safe_percent(int(row[count_column]), denominator, ctx.policy))
    return out


def _rate_with_interval(reached, n, rate, lower, upper, ctx) -> str:
    if not np.isfinite(rate) or n == 0:
        return "[x]"
    if safe_percent(int(reached), int(n), ctx.policy) == SUPPRESSED:
        return SUPPRESSED
    return f"{_percent(rate)} ({_percent(lower)} to {_percent(upper)})"


# --- time to stages -------------------------------------------------------------------------


def time_to_stages(ctx: ActivityContext) -> list:
    people = ctx.people
    if len(people) < ctx.policy.threshold:
        return []
    survival = funnel_module.stage_survival(people, stages=ctx.stages, as_of=ctx.as_of, horizon_weeks=52)
    curves = survival.curves[survival.curves["order"] > 0].copy() if "order" in survival.curves else survival.curves
    labels = {s[0]: s[2] for s in ctx.stages}
    curves["label"] = curves["stage"].map(labels).fillna(curves["stage"])
    curves = curves[curves["stage"] != ctx.stages[0][0]]
    at = survival.at([13, 26, 52])
    at = at[at["stage"] != ctx.stages[0][0]]
    job26 = at[(at["stage"] == "job_start") & (at["week"] == 26)]
    message = ""
    if not job26.empty and np.isfinite(job26["probability"].iloc[0]):
        message = f"An estimated {_percent(job26['probability'].iloc[0])} of people start a job within 26 weeks of referral"
    fig = charts.cumulative_curves(curves)
    table = at.assign(label=at["stage"].map(labels))
    shown = table.pivot_table(index="label", columns="week", values="probability", sort=False)
    lower = table.pivot_table(index="label", columns="week", values="ci_lower", sort=False)
    upper = table.pivot_table(index="label", columns="week", values="ci_upper", sort=False)
    formatted = pd.DataFrame(index=shown.index)
    for week in shown.columns:
        formatted[f"By week {int(week)}"] = [
            f"{_percent(p)} ({_percent(lo)} to {_percent(hi)})" if np.isfinite(p) else "[x]"
            for p, lo, hi in zip(shown[week], lower[week], upper[week], strict=True)
        ]
    formatted.index.name = "Stage"
    timing = funnel_module.time_to_stage(people, stages=ctx.stages, as_of=ctx.as_of).table
    timing = timing[(timing["order"] > 0) & (timing["n"] >= ctx.policy.threshold)]
    days = pd.DataFrame({
        "Stage": timing["label"],
        "Median days from referral": timing["from_referral_median"].round(0),
        "Middle half (days)": [f"{a:.0f} to {b:.0f}" for a, b in zip(timing["from_referral_q1"], timing["from_referral_q3"], strict=True)],
        "Median days from previous stage": timing["from_previous_median"].round(0),
    })
    return [
        ctx.numbering.figure(
            fig, title=message or "Cumulative chance of reaching each stage by weeks since referral",
            subtitle=f"Kaplan-Meier estimate with 95% intervals, {ctx.name}, people referred to {_date(ctx.as_of)}",
            alt=("Step chart of the estimated per cent of people reaching each stage by weeks since referral. "
                 + (message + "." if message else "")),
        ),
        ctx.numbering.table(formatted, index=True,
                            title="Estimated per cent reaching each stage by 13, 26 and 52 weeks after referral",
                            note=("Kaplan-Meier estimates: people referred recently count for as long as they have "
                                  "been followed, so these are not held down by recent referrals. Withdrawn people "
                                  "stay in the denominator. [x]: not enough follow-up yet.")),
        ctx.numbering.table(days, title="Time to each stage among people who reached it",
                            note="Only stages reached by at least 10 people are shown. These times describe people "
                                 "who got there; people still waiting are not included."),
    ]


# --- drop-out -------------------------------------------------------------------------------


def dropout(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    result = funnel_module.dropout_reasons(people, as_of=ctx.as_of)
    table = result.table.copy()
    table["reason"] = table["reason"].astype(str).str.replace("_", " ").str.capitalize()
    counts = table.set_index("reason")[["n"]].rename(columns={"n": "People"})
    counts.index.name = "Reason for leaving early"
    if counts.empty:
        return [paragraph("Nobody has left support early so far.")]
    published, _ = protect_table(counts, count_columns=["People"], policy=ctx.policy, total_row="Total")
    return [ctx.numbering.table(published, index=True, title="Why people left support early",
                                note="Reasons recorded by providers. " + SHORTHAND_NOTE)]


# --- spend and milestones -------------------------------------------------------------------


def spend(ctx: ActivityContext) -> list:
    plan = ctx.plan
    spend = ctx.programme.spend_of(ctx.activity_id)
    budget = float(plan["budget_gbp"])
    total = float(spend["spend_gbp"].sum())
    people = ctx.people
    rows = {"Budget (2025/26)": f"£{budget:,.0f}", "Spent to date": f"£{total:,.0f}",
            "Per cent of budget spent": f"{100 * total / budget:.0f}%"}
    started = _started(ctx)
    if started >= ctx.policy.threshold:
        rows["Spend per person starting support"] = f"£{total / started:,.0f}"
    table = pd.DataFrame({"Measure": list(rows), "Value": list(rows.values())}).set_index("Measure")
    out = [ctx.numbering.table(table, index=True, title="Spend against budget",
                               note="Spend per person is spend to date divided by people who started support.")]
    if len(spend) >= 2:
        monthly = spend.assign(cumulative=spend["spend_gbp"].cumsum() / 1000)
        fig = charts.monthly_lines(monthly, x="month", series={"cumulative": "Cumulative spend (£ thousand)"},
                                   ylabel="£ thousand")
        fig.axes[0].axhline(budget / 1000, color="#3D3D3D", linestyle=":", linewidth=1.2)
        fig.axes[0].annotate(f"Budget £{budget / 1000:,.0f}k", (monthly["month"].iloc[0], budget / 1000),
                             textcoords="offset points", xytext=(0, 4), fontsize=9)
        out.append(ctx.numbering.figure(
            fig, title=f"{100 * total / budget:.0f}% of the budget had been spent by {_date(spend['month'].max())}",
            subtitle=f"Cumulative actual spend by month against the 2025/26 budget, {ctx.name}",
            alt=f"Line chart of cumulative spend rising to £{total / 1000:,.0f} thousand against a budget of "
                f"£{budget / 1000:,.0f} thousand.",
        ))
    return out


def milestones(ctx: ActivityContext) -> list:
    plan = ctx.plan
    planned = pd.Timestamp(plan["planned_start"])
    actual = plan.get("actual_start")
    if actual is None or pd.isna(actual):
        return [paragraph(f"Planned start: {_date(planned)}. The actual start date has not been recorded.")]
    delay = (pd.Timestamp(actual) - planned).days
    verdict = "on time" if delay <= 0 else f"{delay} days later than planned"
    return [paragraph(f"Planned start: {_date(planned)}. Actual start: {_date(actual)} ({verdict}).")]


def process_method(ctx: ActivityContext) -> list:
    return [bullets([
        f"Data as known on {_date(ctx.as_of)}: referrals and stage dates after that date are not counted.",
        "Stages follow the order declared in the participants data contract; a person who reached a later stage "
        "without a recorded date for an earlier one is counted as having passed through it.",
        "Conversion rates use Wilson 95% intervals. Cohort rates count only people referred long enough ago to have "
        "had the full window; Kaplan-Meier estimates use everyone, censored at the as-of date.",
        ctx.policy.describe(),
    ])]


def limitations(ctx: ActivityContext) -> list:
    return [bullets([
        "This is a process evaluation: it describes delivery and progression, not the difference the activity made. "
        "The impact report compares participants with similar people who did not take part.",
        "Stage dates come from provider management information and may be recorded late or incompletely; "
        "job starts not reported to providers are missing here.",
        "Counts are rounded and small numbers hidden, so figures may not add up exactly.",
    ])]


def no_participants_warning(ctx: ActivityContext) -> list:
    if ctx.people.empty:
        return [warning(f"{ctx.name} works at system level and records no individual participants, so reach, "
                        "funnel and time-to-stage sections do not apply.")]
    return []
