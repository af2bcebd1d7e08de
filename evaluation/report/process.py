"""Sections of the per-activity process report: reach, who was reached, referral routes, funnel,
time to stages, drop-out, spend and milestones. Each function computes through the package's
estimators, applies disclosure control and returns display objects for the notebook to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import HTML

from evaluation import funnel as funnel_module
from evaluation.cohorts import PRIORITY_COHORTS
from evaluation.disclosure import (
    DEFAULT_POLICY,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    per_person,
    percent_of_target,
    protect_table,
    rate_marker,
    safe_count,
    safe_percent,
    safe_rate,
)
from evaluation.programme import Programme
from evaluation.report import charts
from evaluation.report.context import ActivityContext, activity_context
from evaluation.report.display import bullets, escape, heading, headline, paragraph
from evaluation.report.families import family_of
from evaluation.report.formatting import about_count, long_date, month_year, percent
from evaluation.report.provenance import about  # noqa: F401 - the notebook calls section.about

COHORT_WEEKS = 26
REFERRAL_ROUTES = {
    "jobcentre": "Jobcentre",
    "gp_or_health": "GP or health service",
    "self": "Self-referral",
    "local_authority": "Local authority",
    "vcse": "Voluntary and community sector",
    "employer": "Employer",
    "other": "Other",
}


def context(
    programme_path: str,
    activity_id: str,
    as_of: str | None = None,
    *,
    seed: int | None = None,
    output_dir: str | None = None,
) -> ActivityContext:
    """Load the programme (cut at `as_of` for an interim update) and focus on one activity."""
    return activity_context(programme_path, activity_id, as_of, seed=seed, output_dir=output_dir)


# --- which update this is ---------------------------------------------------------------------


def programme_start(programme: Programme) -> pd.Timestamp:
    """The programme's start: the earliest planned start in the delivery plan."""
    return pd.Timestamp(pd.to_datetime(programme.delivery_plan["planned_start"]).min())


def months_since_start(programme: Programme) -> int:
    """Whole months from the programme's start to the as-of date (June 1 to September 30 is 4)."""
    start = programme_start(programme)
    end = programme.as_of + pd.Timedelta(days=1)
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return int(months)


def update_label(programme: Programme, interim: bool) -> str:
    """Which update a report is: "Interim 4-month update with data to 30 September 2025"."""
    months = months_since_start(programme)
    data_to = f"with data to {long_date(programme.as_of)}"
    if months < 1:
        return (
            f"{'Interim update' if interim else 'Update'} before the programme's first full month, {data_to}"
        )
    return f"{'Interim ' if interim else ''}{months}-month update {data_to}"


def title_block(ctx: ActivityContext, kind: str = "Process") -> list:
    plan = ctx.plan
    return [
        HTML(f"<h1>{escape(kind)} evaluation: {escape(ctx.name)}</h1>"),
        paragraph(
            f"{plan['priority']} · {update_label(ctx.programme, ctx.interim)} · {ctx.programme.name}",
            css_class="note",
        ),
    ]


def update_note(ctx: ActivityContext) -> str:
    """One sentence on what an interim update is, for the scope sections."""
    start = long_date(programme_start(ctx.programme))
    text = (
        f"This report counts {months_since_start(ctx.programme)} months from the programme's start on {start} "
        f"and uses data known on {long_date(ctx.as_of)}."
    )
    if ctx.interim:
        text += (
            " It is an interim update: figures are provisional and will change as more people are referred "
            "and followed for longer."
        )
    return text


def update_scope(ctx: ActivityContext) -> list:
    """What this update can show and what it cannot yet observe."""
    people = ctx.people
    items = [update_note(ctx)]
    if not people.empty:
        window = ctx.as_of - pd.Timedelta(weeks=COHORT_WEEKS)
        recent = int((people["referred_date"] > window).sum())
        share = safe_percent(recent, len(people), ctx.policy)
        if recent == len(people):
            text = (
                f"Nobody was referred at least {COHORT_WEEKS} weeks before {long_date(ctx.as_of)}, so rates that follow "
                f"people for {COHORT_WEEKS} weeks (cohort rates) are not available yet."
            )
        elif recent:
            text = (
                f"Rates that follow people for {COHORT_WEEKS} weeks (cohort rates) count only people referred on or "
                f"before {long_date(window)}; the {share}% of people referred since then have not yet had "
                f"{COHORT_WEEKS} weeks and are left out of those rates."
            )
        else:
            text = (
                f"Everyone was referred at least {COHORT_WEEKS} weeks before {long_date(ctx.as_of)}, so all count in "
                "cohort rates."
            )
        items.append(text)
        items.append(
            f"Staying in work for 26 weeks can be seen only for jobs that started on or before {long_date(window)}; "
            "later job starts may still go on to be sustained."
        )
    spend = ctx.programme.spend_of(ctx.activity_id)
    if not ctx.programme.has("spend"):
        items.append(NO_SPEND_RETURNS)
    elif not spend.empty:
        items.append(f"Spend is recorded to the end of {month_year(spend['month'].max())}.")
    return [heading("What this update can and cannot show yet"), bullets(items)]


# --- headline -------------------------------------------------------------------------------


def process_headline(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return [
            heading("Headline"),
            headline(family_of(str(ctx.plan["impact_design"])).no_participants(ctx.name)),
        ]
    result = _funnel(ctx)
    referred = safe_count(len(people), ctx.policy)
    target = whole_target(ctx.plan["target_participants"])
    stage = target_stage(ctx.plan)
    reach = (
        f" against a target of {target:,} residents {TARGET_STAGES[stage]} "
        f"({share_of_target(stage_count(people, ctx.stages, stage), target, ctx.policy)} "
        f"had {TARGET_STAGES[stage]})"
        if target is not None
        else ""
    )
    job = result.table[(result.table["group"] == funnel_module.ALL) & (result.table["stage"] == "job_start")]
    job_sentence = ""
    if not job.empty and (
        rate_marker(int(job["cohort_reached"].iloc[0]), int(job["cohort_n"].iloc[0]), ctx.policy) is None
    ):
        row = job.iloc[0]
        job_sentence = (
            f" Of people referred at least {COHORT_WEEKS} weeks ago, between {percent(row['cohort_lower'])} and "
            f"{percent(row['cohort_upper'])} started a job within {COHORT_WEEKS} weeks of referral "
            f"(best estimate {percent(row['cohort_rate'])})."
        )
    job_target = whole_target(ctx.plan.get("target_job_outcomes"))
    if job_target is not None:
        job_sentence += " " + job_target_sentence(
            job_outcome_rows(result.table), job_target, ctx.as_of, ctx.policy
        )
    return [
        heading("Headline"),
        headline(
            f"About {referred} residents had been referred to {ctx.name} by {long_date(ctx.as_of)}{reach}."
            + job_sentence
        ),
    ]


def _started(ctx: ActivityContext) -> int:
    return int(ctx.people["started_date"].notna().sum())


def _funnel(ctx: ActivityContext, by: str | None = None):
    return funnel_module.funnel(ctx.people, stages=ctx.stages, as_of=ctx.as_of, by=by)


# --- reach ------------------------------------------------------------------------------------


def reach(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    target = whole_target(ctx.plan["target_participants"])
    stage = target_stage(ctx.plan)
    rows = [
        ("Referred", len(people)),
        ("Engaged", int(people["engaged_date"].notna().sum())),
        ("Started support", _started(ctx)),
    ]
    table = pd.DataFrame(rows, columns=["Measure", "People"]).set_index("Measure")
    published, _ = protect_table(table, count_columns=["People"], policy=ctx.policy, secondary=False)
    if target is not None:
        published["Per cent of target"] = [percent_of_target(n, target, ctx.policy) for _, n in rows]
    out = [
        heading("Reach against target"),
        ctx.numbering.table(
            published,
            title=f"Reach against the delivery-plan target of {target:,} residents {TARGET_STAGES[stage]}, "
            f"to {long_date(ctx.as_of)}"
            if target is not None
            else f"Reach to {long_date(ctx.as_of)}",
            index=True,
            note="Counts rounded to the nearest 5. " + SHORTHAND_NOTE,
        ),
    ]
    monthly = _cumulative_referrals(people, ctx.as_of, ctx.policy)
    if len(monthly) >= 2:
        fig = charts.monthly_lines(
            monthly,
            x="month",
            series={"referred": "Referred (cumulative)", "started": "Started support (cumulative)"},
            ylabel="People (rounded to nearest 5)",
        )
        if target is not None:
            fig.axes[0].axhline(target, color="#3D3D3D", linestyle=":", linewidth=1.2)
            fig.axes[0].annotate(
                f"Target: {target:,}",
                (monthly["month"].iloc[0], target),
                textcoords="offset points",
                xytext=(0, 4),
                fontsize=9,
            )
        started = _started(ctx)
        if target is not None:
            share = percent_of_target(stage_count(people, ctx.stages, stage), target, ctx.policy)
            title = (
                f"By {long_date(ctx.as_of)}, {share}% of the target of {target:,} residents had "
                f"{TARGET_STAGES[stage]}"
                if share != SUPPRESSED
                else f"Few residents had {TARGET_STAGES[stage]} by {long_date(ctx.as_of)}"
            )
        else:
            title = f"About {safe_count(len(people), ctx.policy)} residents had been referred by {long_date(ctx.as_of)}"
        when = ""
        # The stage the target counts, as published (rounded): the exact count stays hidden.
        if target is not None:
            counts = monthly[f"{stage}_shown"]
            reached = monthly[[not isinstance(n, str) and n >= target for n in counts]]
            if not reached.empty:
                when = (
                    f" The target of {target:,} residents {TARGET_STAGES[stage]} was reached in "
                    f"{month_year(reached['month'].iloc[0])} (counting people rounded to the nearest 5)."
                )
        shown = pd.DataFrame(
            {
                "Month": [month_year(m) for m in monthly["month"]],
                "Referred (cumulative)": monthly["referred_shown"],
                "Started support (cumulative)": monthly["started_shown"],
            }
        )
        out.append(
            ctx.numbering.figure(
                fig,
                title=title,
                subtitle=f"Cumulative people referred and starting support by month, {ctx.name}, "
                f"{month_year(monthly['month'].iloc[0])} to {month_year(monthly['month'].iloc[-1])}",
                alt=(
                    f"Line chart of cumulative referrals and support starts by month. {title}."
                    f" Referrals reached about {safe_count(len(people), ctx.policy)} and support starts about "
                    f"{safe_count(started, ctx.policy)}"
                    + (f", against a target of {target:,}." if target is not None else ".")
                    + when
                ),
                data=shown,
                data_note="Counts rounded to the nearest 5; [c] a small number, hidden.",
            )
        )
    return out + job_outcomes(ctx)


def job_outcomes(ctx: ActivityContext) -> list:
    """Job starts and 13- and 26-week job outcomes against the plan's job outcome target, with
    cohort rates that count only people referred long enough ago to have reached each one."""
    people = ctx.people
    if people.empty:
        return []
    rows = job_outcome_rows(_funnel(ctx).table)
    if rows.empty:
        return []
    target = whole_target(ctx.plan.get("target_job_outcomes"))
    said = [job_target_sentence(rows, target, ctx.as_of, ctx.policy)] if target is not None else []
    said += [cohort_sentence(r, ctx.as_of, ctx.policy) for _, r in rows.iterrows()]
    return [
        heading("Job outcomes against target" if target is not None else "Job outcomes", level=3),
        bullets(said),
        ctx.numbering.table(
            job_outcomes_table(rows, target, ctx.as_of, ctx.policy),
            index=True,
            title=(
                f"Job outcomes against the delivery-plan target of {target:,} job outcomes"
                if target is not None
                else "Job outcomes (the delivery plan sets no job outcome target)"
            )
            + f", {ctx.name}, to {long_date(ctx.as_of)}",
            note=JOB_OUTCOMES_NOTE + SHORTHAND_NOTE,
        ),
    ]


def _cumulative_referrals(
    people: pd.DataFrame, as_of: pd.Timestamp, policy: DisclosurePolicy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Cumulative referrals and support starts at each month end: exact (for dates only), shown
    (rounded or [c]) and for the chart (rounded, NaN where hidden)."""
    months = pd.date_range(people["referred_date"].min().replace(day=1), as_of, freq="MS")
    ends = months + pd.offsets.MonthEnd(0)
    frame = pd.DataFrame({"month": months})
    for column in ("referred", "engaged", "started"):
        frame[f"{column}_exact"] = [int((people[f"{column}_date"] <= e).sum()) for e in ends]
    for column in ("referred", "engaged", "started"):  # charts show rounded counts and hide small ones
        frame[f"{column}_shown"] = [safe_count(n, policy) for n in frame[f"{column}_exact"]]
        frame[column] = [np.nan if isinstance(v, str) else v for v in frame[f"{column}_shown"]]
    return frame


# --- targets ----------------------------------------------------------------------------------

TARGET_STAGES = {"referred": "referred", "engaged": "engaged", "started": "started support"}
"""What a participant target can count (the plan's `target_participants_stage`), in words."""
DEFAULT_TARGET_STAGE = "started"
JOB_OUTCOME_STAGES = ("job_start", "sustained_13w", "sustained_26w")
JOB_OUTCOME_VERBS = {
    "job_start": "started a job",
    "sustained_13w": "had been in work for 13 weeks",
    "sustained_26w": "had been in work for 26 weeks",
}


def whole_target(value) -> int | None:
    """A target as a whole number, or None when the plan sets none (blank or zero)."""
    if value is None or pd.isna(value) or float(value) <= 0:
        return None
    return int(value)


def target_stage(plan) -> str:
    """The stage an activity's participant target counts: the plan's `target_participants_stage`,
    or "started" (started support) when the column is absent or blank."""
    value = plan.get("target_participants_stage") if hasattr(plan, "get") else None
    if value is None or pd.isna(value) or not str(value).strip():
        return DEFAULT_TARGET_STAGE
    return str(value).strip()


def stage_count(people: pd.DataFrame, stages, stage: str) -> int:
    """People with their own date recorded for `stage` (everyone for the first stage), as the
    reach table counts them."""
    columns = {name: column for name, column, *_ in stages}
    if stage == next(iter(columns)):
        return len(people)
    return int(people[columns[stage]].notna().sum())


def share_of_target(n: int, target: int, policy: DisclosurePolicy = DEFAULT_POLICY) -> str:
    """ "45% of the target", or "share of the target hidden" when the count is small; worked out
    from the rounded count, so it gives away no more than "about 45" does (`percent_of_target`)."""
    share = percent_of_target(int(n), int(target), policy)
    return "share of the target hidden" if share == SUPPRESSED else f"{share}% of the target"


def job_outcome_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The funnel's whole-group rows for the job outcomes (job start, in work 13 and 26 weeks)."""
    rows = table[(table["group"] == funnel_module.ALL) & table["stage"].isin(JOB_OUTCOME_STAGES)]
    return rows.reset_index(drop=True)


def cohort_sentence(row, as_of: pd.Timestamp, policy: DisclosurePolicy = DEFAULT_POLICY, who="people") -> str:
    """A job outcome's cohort rate in words: only people referred long enough ago to have had the
    stage's full window count ("Of about 120 people referred by 1 June 2025, who have had at least
    26 weeks to reach it, 30% (22% to 39%) started a job within 26 weeks of referral.")."""
    days = int(row["cohort_window_days"])
    weeks = days // 7
    by = long_date(as_of - pd.Timedelta(days=days))
    verb = JOB_OUTCOME_VERBS.get(str(row["stage"]), f"reached '{row['label']}'")
    if int(row["cohort_n"]) == 0:
        return (
            f"Nobody was referred by {by}, at least {weeks} weeks before {long_date(as_of)}, so the share who "
            f"{verb} within {weeks} weeks of referral cannot be measured yet."
        )
    if safe_percent(int(row["cohort_reached"]), int(row["cohort_n"]), policy) == SUPPRESSED:
        return (
            f"Of {about_count(int(row['cohort_n']), policy)} {who} referred by {by}, who have had at least {weeks} weeks "
            f"to reach it, the share who {verb} within {weeks} weeks of referral is hidden because few are counted."
        )
    return (
        f"Of {about_count(int(row['cohort_n']), policy)} {who} referred by {by}, who have had at least {weeks} weeks to "
        f"reach it, {percent(row['cohort_rate'])} ({percent(row['cohort_lower'])} to {percent(row['cohort_upper'])}) "
        f"{verb} within {weeks} weeks of referral."
    )


def job_target_sentence(
    rows: pd.DataFrame,
    target: int,
    as_of: pd.Timestamp,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    who="people",
    target_name="target",
) -> str:
    """Job outcomes so far against a target of job outcomes, each outcome counted by `as_of`."""
    counts = dict(zip(rows["stage"], rows["n"], strict=True))
    parts = [
        f"{about_count(counts[stage], policy)}{f' {who}' if not i else ''} {JOB_OUTCOME_VERBS[stage]} "
        f"({share_of_target(counts[stage], target, policy)})"
        for i, stage in enumerate(s for s in JOB_OUTCOME_STAGES if s in counts)
    ]
    joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
    return f"Against the {target_name} of {target:,} job outcomes, by {long_date(as_of)} {joined}."


def job_outcomes_table(
    rows: pd.DataFrame, target: int | None, as_of: pd.Timestamp, policy: DisclosurePolicy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Job outcomes reached so far (rounded), per cent of the target, and the cohort rate with the
    referral date that defines its cohort."""
    counts = rows.set_index("label")[["n"]].rename(columns={"n": "People"})
    counts.index.name = "Job outcome"
    published, _ = protect_table(counts, count_columns=["People"], policy=policy, secondary=False)
    if target is not None:
        published["Per cent of job outcome target"] = [
            percent_of_target(int(n), target, policy) for n in rows["n"]
        ]
    published["Cohort: people referred by"] = [
        long_date(as_of - pd.Timedelta(days=int(d))) for d in rows["cohort_window_days"]
    ]
    published["Cohort size"] = [safe_count(int(n), policy) for n in rows["cohort_n"]]
    published["Cohort rate (95% CI)"] = [_cohort_cell(r, policy) for _, r in rows.iterrows()]
    return published


def _cohort_cell(row, policy: DisclosurePolicy) -> str:
    if int(row["cohort_n"]) == 0 or not np.isfinite(row["cohort_rate"]):
        return "[x]"
    if safe_percent(int(row["cohort_reached"]), int(row["cohort_n"]), policy) == SUPPRESSED:
        return SUPPRESSED
    return f"{percent(row['cohort_rate'])} ({percent(row['cohort_lower'])} to {percent(row['cohort_upper'])})"


JOB_OUTCOMES_NOTE = (
    "People: everyone who had reached the outcome by the report's date, rounded to the nearest 5. "
    "A job that started less than 13 (or 26) weeks before that date cannot yet show 13 (or 26) weeks in work, "
    "so these counts can still rise for people already in work. The cohort rate counts only people referred by "
    "the date shown, who have had at least 26 weeks to start a job plus the weeks in work, so recent referrals "
    "do not pull it down. A job outcome target does not say which outcome it counts, so each is shown against it. "
)


# --- who was reached --------------------------------------------------------------------------


def priority_cohorts(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    pool = ctx.programme.comparison_pool
    rows = []
    for label, rule in PRIORITY_COHORTS.items():
        n = int(rule(people).sum())
        rows.append(
            {
                "Group": label,
                "Participants": n,
                "Per cent of participants": safe_percent(n, len(people), ctx.policy),
                "Per cent of eligible non-participants": safe_percent(
                    int(rule(pool).sum()), len(pool), ctx.policy
                ),
            }
        )
    table = pd.DataFrame(rows).set_index("Group")
    published, _ = protect_table(
        table[["Participants"]], count_columns=["Participants"], policy=ctx.policy, secondary=False
    )
    published = published.join(table.drop(columns="Participants"))
    return [
        heading("Who was reached"),
        ctx.numbering.table(
            published,
            index=True,
            title="Priority cohorts among participants and among eligible residents who did not take part, "
            f"to {long_date(ctx.as_of)}",
            note="A person can be in several groups. 'Eligible non-participants' is the comparison pool: "
            "economically inactive residents of the programme's areas who were not referred.",
        ),
    ]


# --- referral routes --------------------------------------------------------------------------


def referral_sources(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    routes = people["referral_source"].astype(str)
    counts = routes.map(REFERRAL_ROUTES).fillna(routes.str.replace("_", " ").str.capitalize()).value_counts()
    counts = counts.sort_index()
    table = counts.rename("People").to_frame()
    table.index.name = "Referral route"
    published, _ = protect_table(table, count_columns=["People"], policy=ctx.policy, total_row="Total")
    published["Per cent"] = [
        safe_percent(n, len(people), ctx.policy) if not isinstance(p, str) else SUPPRESSED
        for n, p in zip(list(counts) + [len(people)], published["People"], strict=True)
    ]
    top = counts.idxmax()
    return [
        heading("Referral routes"),
        ctx.numbering.table(
            published,
            index=True,
            title=f"Who referred people: {top} referred the most, to {long_date(ctx.as_of)}",
            note="Percentages are of all people referred, computed before rounding. " + SHORTHAND_NOTE,
        ),
    ]


# --- funnel -----------------------------------------------------------------------------------


def funnel_section(ctx: ActivityContext) -> list:
    people = ctx.people
    if people.empty:
        return []
    result = _funnel(ctx)
    table = result.table[result.table["group"] == funnel_module.ALL].reset_index(drop=True)
    counts = table.set_index("label")[["n"]].rename(columns={"n": "People"})
    counts.index.name = "Stage"
    published, log = protect_table(counts, count_columns=["People"], policy=ctx.policy, secondary=False)
    published["Per cent of previous stage"] = _rates(table, "n", "conv_prev", ctx, previous=True)
    published["Cohort rate (95% CI)"] = [
        _rate_with_interval(
            r["cohort_reached"], r["cohort_n"], r["cohort_rate"], r["cohort_lower"], r["cohort_upper"], ctx
        )
        for _, r in table.iterrows()
    ]
    published["Cohort size"] = [safe_count(int(n), ctx.policy) for n in table["cohort_n"]]
    chart_frame = pd.DataFrame(
        {
            "label": table["label"],
            "count_value": [np.nan if isinstance(v, str) else v for v in published["People"]],
        }
    )
    fig = charts.funnel_chart(chart_frame)
    first, job = table.iloc[0], table[table["stage"] == "job_start"]
    job_n = int(job["n"].iloc[0]) if not job.empty else 0
    job_shown = safe_count(job_n, ctx.policy)
    title = (
        f"Of {about_count(int(first['n']), ctx.policy)} people referred, {about_count(job_n, ctx.policy)} had "
        "started a job "
        f"by {long_date(ctx.as_of)}"
        if job_shown != SUPPRESSED
        else f"Fewer than {ctx.policy.threshold} people referred had started a job by {long_date(ctx.as_of)}"
    )
    return [
        heading("Retention funnel"),
        ctx.numbering.table(
            published,
            index=True,
            title=f"People reaching each stage of support, {ctx.name}, to {long_date(ctx.as_of)}",
            note=(
                "'Cohort rate' counts only people referred long enough ago to have had the full window to reach "
                "the stage (26 weeks, plus the sustainment period for in-work stages), so recent referrals do not "
                "drag it down. " + SHORTHAND_NOTE
            ),
        ),
        ctx.numbering.figure(
            fig,
            title=title,
            subtitle=f"People reaching each stage of support (rounded to the nearest 5), {ctx.name}, to {long_date(ctx.as_of)}",
            alt=(
                f"Bar chart of people reaching each stage. {title}. "
                + "; ".join(
                    f"{lab}: {val}" for lab, val in zip(table["label"], published["People"], strict=True)
                )
                + ". [c] means a small number, hidden. The numbers are in the table above."
            ),
        ),
    ]


def _rates(table, count_column, rate_column, ctx, previous=False) -> list:
    out: list[int | float | str] = []
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
    return f"{percent(rate)} ({percent(lower)} to {percent(upper)})"


# --- time to stages -------------------------------------------------------------------------


def time_to_stages(ctx: ActivityContext) -> list:
    people = ctx.people
    if len(people) < ctx.policy.threshold:
        return []
    survival = funnel_module.stage_survival(people, stages=ctx.stages, as_of=ctx.as_of, horizon_weeks=52)
    curves = (
        survival.curves[survival.curves["order"] > 0].copy()
        if "order" in survival.curves
        else survival.curves
    )
    labels = {s[0]: s[2] for s in ctx.stages}
    curves["label"] = curves["stage"].map(labels).fillna(curves["stage"])
    curves = curves[curves["stage"] != ctx.stages[0][0]]
    curves = hide_small_estimates(curves, survival.steps, ctx.policy)
    at = hide_small_estimates(survival.at([13, 26, 52]), survival.steps, ctx.policy)
    at = at[at["stage"] != ctx.stages[0][0]]
    job26 = at[(at["stage"] == "job_start") & (at["week"] == 26)]
    message = ""
    if not job26.empty and np.isfinite(job26["probability"].iloc[0]):
        message = f"An estimated {percent(job26['probability'].iloc[0])} of people start a job within 26 weeks of referral"
    fig = charts.cumulative_curves(curves)
    table = at.assign(label=at["stage"].map(labels))

    def pivot(values: str) -> pd.DataFrame:
        """One column of the table by stage and week, keeping hidden (NaN) rows."""
        return table.pivot_table(values=values, index="label", columns="week", sort=False, dropna=False)

    shown = pivot("probability")
    lower = pivot("ci_lower")
    upper = pivot("ci_upper")
    formatted = pd.DataFrame(index=shown.index)
    for week in shown.columns:
        hidden = pivot("hidden")
        formatted[f"By week {int(week)}"] = [
            SUPPRESSED
            if h
            else (f"{percent(p)} ({percent(lo)} to {percent(hi)})" if np.isfinite(p) else "[x]")
            for p, lo, hi, h in zip(shown[week], lower[week], upper[week], hidden[week], strict=True)
        ]
    formatted.index.name = "Stage"
    timing = funnel_module.time_to_stage(people, stages=ctx.stages, as_of=ctx.as_of).table
    timing = timing[(timing["order"] > 0) & (timing["n"] >= ctx.policy.threshold)]
    days = pd.DataFrame(
        {
            "Stage": timing["label"],
            "Median days from referral": [f"{v:.0f}" for v in timing["from_referral_median"]],
            "Middle half (days)": [
                f"{a:.0f} to {b:.0f}"
                for a, b in zip(timing["from_referral_q1"], timing["from_referral_q3"], strict=True)
            ],
            "Median days from previous stage": [f"{v:.0f}" for v in timing["from_previous_median"]],
        }
    )
    return [
        heading("Time to each stage"),
        ctx.numbering.figure(
            fig,
            title=message or "Cumulative chance of reaching each stage by weeks since referral",
            subtitle=f"Kaplan-Meier estimate with 95% intervals, {ctx.name}, people referred to {long_date(ctx.as_of)}",
            alt=(
                "Step chart of the estimated per cent of people reaching each stage by weeks since referral, "
                "one line per stage with its 95% interval shaded. "
                + (message + ". " if message else "")
                + "The estimates at 13, 26 and 52 weeks are in the next table."
            ),
        ),
        ctx.numbering.table(
            formatted,
            index=True,
            title="Estimated per cent reaching each stage by 13, 26 and 52 weeks after referral",
            note=(
                "Kaplan-Meier estimates: people referred recently count for as long as they have "
                "been followed, so these are not held down by recent referrals. Withdrawn people "
                "stay in the denominator. [x]: not enough follow-up yet. "
                f"[c]: fewer than {ctx.policy.threshold} people had reached the stage by then, so the "
                "estimate is hidden (in the chart too)."
            ),
        ),
        ctx.numbering.table(
            days,
            title=f"Time to each stage among people who reached it, {ctx.name}",
            note="Only stages reached by at least 10 people are shown. These times describe people "
            "who got there; people still waiting are not included.",
        ),
    ]


def reached_by(steps: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """People who had reached each row's stage by its week: the count behind each Kaplan-Meier
    estimate in `frame` (rows with stage, group and week), read from the life table `steps`."""
    out = np.zeros(len(frame), dtype=np.int64)
    for (stage, group), rows in frame.groupby(["stage", "group"], sort=False):
        life = steps[(steps["stage"] == stage) & (steps["group"] == group)].sort_values("time_days")
        cumulative = np.concatenate([[0], life["events"].cumsum().to_numpy()])
        weeks = 7.0 * rows["week"].to_numpy(float)
        where = np.searchsorted(life["time_days"].to_numpy(), weeks, side="right")
        out[frame.index.get_indexer(rows.index)] = cumulative[where]
    return out


def hide_small_estimates(
    frame: pd.DataFrame, steps: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Kaplan-Meier estimates (`frame` from `SurvivalResult.at` or `.curves`) with those that
    rest on fewer than `policy.threshold` people set to NaN and flagged in a `hidden` column.

    A cumulative per cent times the people referred is about the number who reached the stage,
    so an estimate is published only when that number passes the threshold (`safe_rate`, with
    the people who reached the stage by that week as the numerator)."""
    out = frame.reset_index(drop=True).copy()
    reached = reached_by(steps, out)
    out["hidden"] = [
        safe_rate(p, int(n), policy, numerator=int(k)) == SUPPRESSED if np.isfinite(p) else False
        for p, n, k in zip(out["probability"], out["n"], reached, strict=True)
    ]
    out.loc[out["hidden"], ["probability", "ci_lower", "ci_upper"]] = np.nan
    return out


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
        return [heading("Leaving support early"), paragraph("Nobody has left support early so far.")]
    published, _ = protect_table(counts, count_columns=["People"], policy=ctx.policy, total_row="Total")
    return [
        heading("Leaving support early"),
        ctx.numbering.table(
            published,
            index=True,
            title=f"Why people left support early, {ctx.name}, to {long_date(ctx.as_of)}",
            note="Reasons recorded by providers. " + SHORTHAND_NOTE,
        ),
    ]


# --- spend and milestones -------------------------------------------------------------------


NO_SPEND_RETURNS = (
    "Spend is not reported: the input holds no spend returns (the optional spend table was not supplied)."
)


def spend(ctx: ActivityContext) -> list:
    plan = ctx.plan
    spend = ctx.programme.spend_of(ctx.activity_id)
    budget = float(plan["budget_gbp"])
    if not ctx.programme.has("spend"):
        return [
            heading("Spend against budget"),
            paragraph(f"{NO_SPEND_RETURNS} The budget for 2025/26 is £{budget:,.0f}."),
        ]
    total = float(spend["spend_gbp"].sum())
    share = f"{100 * total / budget:.0f}%" if budget > 0 else "[z]"
    rows = {
        "Budget (2025/26)": f"£{budget:,.0f}",
        "Spent to date": f"£{total:,.0f}",
        "Per cent of budget spent": share,
    }
    started = _started(ctx)
    each = per_person(total, started, ctx.policy)
    if not isinstance(each, str):
        rows["Spend per person starting support"] = f"£{each:,.0f}"
    table = pd.DataFrame({"Measure": list(rows), "Value": list(rows.values())}).set_index("Measure")
    until = (
        f"to the end of {month_year(spend['month'].max())}"
        if not spend.empty
        else f"to {long_date(ctx.as_of)}"
    )
    out = [
        heading("Spend against budget"),
        ctx.numbering.table(
            table,
            index=True,
            title=f"Spend against budget, {ctx.name}, {until}",
            note="Spend per person is spend to date divided by the number of people who started support, "
            "rounded to the nearest 5 as in the reach table (so that it does not give the exact number away)."
            if not isinstance(each, str)
            else "",
        ),
    ]
    if len(spend) >= 2 and budget > 0:
        monthly = spend.assign(cumulative=spend["spend_gbp"].cumsum() / 1000)
        fig = charts.monthly_lines(
            monthly, x="month", series={"cumulative": "Cumulative spend (£ thousand)"}, ylabel="£ thousand"
        )
        fig.axes[0].axhline(budget / 1000, color="#3D3D3D", linestyle=":", linewidth=1.2)
        fig.axes[0].annotate(
            f"Budget £{budget / 1000:,.0f}k",
            (monthly["month"].iloc[0], budget / 1000),
            textcoords="offset points",
            xytext=(0, 4),
            fontsize=9,
        )
        title = f"{share} of the budget had been spent by the end of {month_year(spend['month'].max())}"
        data = pd.DataFrame(
            {
                "Month": [month_year(m) for m in monthly["month"]],
                "Spend in month (£)": [f"{v:,.0f}" for v in monthly["spend_gbp"]],
                "Cumulative spend (£)": [f"{1000 * v:,.0f}" for v in monthly["cumulative"]],
            }
        )
        out.append(
            ctx.numbering.figure(
                fig,
                title=title,
                subtitle=f"Cumulative actual spend by month against the 2025/26 budget, {ctx.name}, "
                f"{month_year(spend['month'].min())} to {month_year(spend['month'].max())}",
                alt=f"Line chart of cumulative spend by month. {title}: spend rose to £{total / 1000:,.0f} thousand "
                f"against a budget of £{budget / 1000:,.0f} thousand.",
                data=data,
            )
        )
    return out


def milestones(ctx: ActivityContext) -> list:
    plan = ctx.plan
    planned = pd.Timestamp(plan["planned_start"])
    actual = plan.get("actual_start")
    if actual is None or pd.isna(actual):
        return [
            heading("Milestones"),
            paragraph(f"Planned start: {long_date(planned)}. The actual start date has not been recorded."),
        ]
    delay = (pd.Timestamp(actual) - planned).days
    verdict = "on time" if delay <= 0 else f"{delay} days later than planned"
    return [
        heading("Milestones"),
        paragraph(f"Planned start: {long_date(planned)}. Actual start: {long_date(actual)} ({verdict})."),
    ]


def process_method(ctx: ActivityContext) -> list:
    return [
        heading("Method"),
        bullets(
            [
                f"Data as known on {long_date(ctx.as_of)}: referrals and stage dates after that date are not counted.",
                "Stages follow the order declared in the participants data contract; a person who reached a later stage "
                "without a recorded date for an earlier one is counted as having passed through it.",
                "Conversion rates use Wilson 95% intervals. Cohort rates count only people referred long enough ago to have "
                "had the full window; Kaplan-Meier estimates use everyone, censored at the as-of date.",
                ctx.policy.describe(),
            ]
        ),
    ]


def limitations(ctx: ActivityContext) -> list:
    return [
        heading("Limitations"),
        bullets(
            [
                "This is a process evaluation: it describes delivery and progression, not the difference the activity made. "
                "The impact report compares participants with similar people who did not take part.",
                "Stage dates come from provider management information and may be recorded late or incompletely; "
                "job starts not reported to providers are missing here.",
                "Counts are rounded and small numbers hidden, so figures may not add up exactly.",
            ]
        ),
    ]
