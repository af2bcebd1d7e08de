"""Every target in the delivery plan is reported, and programme totals count people, not rows.

Job outcomes (job start, in work 13 and 26 weeks) are reported against `target_job_outcomes` per
activity and against a programme target in programme.json; a participant target counts the stage
the plan names (`target_participants_stage`, default started support); the summary counts each
person once across activities, says how overlaps are handled, and computes the per cent of the
combined activity targets over the same activities. Every sentence is checked against the numbers.
"""

from __future__ import annotations

import html as html_module
import json
import re

import pandas as pd
import pytest

from evaluation import funnel as funnel_module
from evaluation.cli import main
from evaluation.disclosure import safe_count, safe_percent
from evaluation.errors import ContractError
from evaluation.programme import load_programme
from evaluation.report import process, summary
from evaluation.report.formatting import long_date, percent

ACTIVITY = "vcse_small_grants"
OTHER = "placements_young_adults"


def of_target(n: int, target: int) -> int | str:
    """Per cent of a target as published: from the rounded count (so that it cannot give the exact
    count back), halves up; [c] when the count is hidden."""
    shown = safe_count(int(n))
    return "[c]" if shown == "[c]" else (200 * shown + target) // (2 * target)


def text_of(parts) -> str:
    raw = " ".join(p.data for p in parts if hasattr(p, "data"))
    raw = re.sub(r"<img[^>]*>", " ", raw)
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


@pytest.fixture
def folder(small_input_copy):
    """The small synthetic programme with a job target and an 'engaged' participant target for one
    activity, programme targets in programme.json, and 12 people referred to two activities."""
    path = small_input_copy.path
    plan = pd.read_csv(path / "delivery_plan.csv", dtype=str, keep_default_na=False)
    plan["target_participants_stage"] = ""
    plan.loc[plan["activity_id"] == ACTIVITY, ["target_job_outcomes", "target_participants_stage"]] = [
        "40",
        "engaged",
    ]
    plan.to_csv(path / "delivery_plan.csv", index=False)
    people = pd.read_csv(path / "participants.csv", dtype=str, keep_default_na=False)
    twice = people[people["activity_id"] == OTHER].head(12).assign(activity_id=ACTIVITY)
    pd.concat([people, twice]).to_csv(path / "participants.csv", index=False)
    meta = json.loads((path / "programme.json").read_text())
    meta["targets"] = {"engaged": 300, "job_outcomes": 100}
    (path / "programme.json").write_text(json.dumps(meta))
    return path


def _jobs(frame, as_of):
    ctx_stages = [
        ("referred", "referred_date", "Referred"),
        ("engaged", "engaged_date", "Engaged"),
        ("started", "started_date", "Started support"),
        ("job_start", "job_start_date", "Started a job"),
        ("sustained_13w", "sustained_13w_date", "In work 13 weeks"),
        ("sustained_26w", "sustained_26w_date", "In work 26 weeks"),
    ]
    table = funnel_module.funnel(frame, stages=ctx_stages, as_of=as_of).table
    return table[table["group"] == funnel_module.ALL].set_index("stage")


def test_process_report_shows_job_outcomes_against_the_activity_target(folder):
    ctx = process.context(str(folder), ACTIVITY)
    text = text_of(process.reach(ctx))
    jobs = _jobs(ctx.people, ctx.as_of)
    assert "Job outcomes against the delivery-plan target of 40 job outcomes" in text
    n = int(jobs.loc["job_start", "n"])
    shown = safe_count(n)
    share = of_target(n, 40)
    started = f"about {shown} people started a job" if shown != "[c]" else "a few people started a job"
    assert f"Against the target of 40 job outcomes, by {long_date(ctx.as_of)} {started}" in text
    assert (f"({share}% of the target)" if share != "[c]" else "(share of the target hidden)") in text
    row = jobs.loc["job_start"]
    by = long_date(ctx.as_of - pd.Timedelta(days=182))
    if safe_percent(int(row["cohort_reached"]), int(row["cohort_n"])) != "[c]":
        assert (
            f"referred by {by}, who have had at least 26 weeks to reach it, {percent(row['cohort_rate'])} "
            f"({percent(row['cohort_lower'])} to {percent(row['cohort_upper'])}) started a job within 26 weeks"
        ) in text
    assert "who have had at least 52 weeks to reach it" in text or "at least 52 weeks before" in text
    headline = text_of(process.process_headline(ctx))
    assert "Against the target of 40 job outcomes" in headline


def test_participant_target_counts_the_stage_the_plan_names(folder):
    ctx = process.context(str(folder), ACTIVITY)
    target = int(ctx.plan["target_participants"])
    engaged = int(ctx.people["engaged_date"].notna().sum())
    headline = text_of(process.process_headline(ctx))
    assert (
        f"against a target of {target:,} residents engaged ({of_target(engaged, target)}% of the target"
        in (headline)
    )
    assert f"target of {target:,} residents engaged" in text_of(process.reach(ctx))


def test_participant_target_counts_support_starts_by_default(folder):
    ctx = process.context(str(folder), OTHER)
    target = int(ctx.plan["target_participants"])
    started = int(ctx.people["started_date"].notna().sum())
    assert f"residents started support ({of_target(started, target)}% of the target" in text_of(
        process.process_headline(ctx)
    )
    text = text_of(process.reach(ctx))
    assert "Job outcomes (the delivery plan sets no job outcome target)" in text


def test_summary_counts_people_once_and_states_the_overlap(folder):
    ctx = summary.context(str(folder), seed=1)
    people = ctx.programme.participants
    text = text_of(summary.headline_section(ctx))
    distinct = people["person_id"].nunique()
    assert distinct == len(people) - 12
    assert f"Reach: about {safe_count(distinct)} people had been referred" in text
    assert (
        f"{safe_count(12)} people were referred to more than one activity and are counted once here" in text
    )
    assert f"the {safe_count(len(people))} referrals to activities add up to more" in text
    engaged = people.groupby("person_id")["engaged_date"].min().notna().sum()
    assert (
        f"Programme target of 300 residents engaged: about {safe_count(int(engaged))} people had engaged"
        f" by {long_date(ctx.as_of)} ({of_target(int(engaged), 300)}% of the target)"
    ) in text


def test_summary_reports_the_programme_job_target_counting_people_once(folder):
    ctx = summary.context(str(folder), seed=1)
    people = ctx.programme.participants
    once = people.groupby("person_id")[
        [c for c in people if c.endswith("_date") and c != "withdrawn_date"]
    ].min()
    jobs = _jobs(once.reset_index(), ctx.as_of)
    n = int(jobs.loc["job_start", "n"])
    text = text_of(summary.headline_section(ctx))
    assert (
        f"Against the programme target of 100 job outcomes, by {long_date(ctx.as_of)} about {safe_count(n)}"
        in text
    )
    assert f"({of_target(n, 100)}% of the target)" in text


def test_summary_per_cent_of_combined_target_is_over_the_same_activities(folder):
    ctx = summary.context(str(folder), seed=1)
    delivery = ctx.delivery
    with_target = delivery[delivery["target"].notna() & (delivery["target"] > 0)]
    target = int(with_target["target"].sum())
    programme = ctx.programme
    reached = sum(
        int(programme.participants_of(a)["engaged_date" if a == ACTIVITY else "started_date"].notna().sum())
        for a in with_target["activity_id"]
    )
    text = text_of(summary.headline_section(ctx))
    assert (
        f"The targets of the {len(with_target)} activities with one add up to {target:,} residents at the stage "
        f"each plan names; in those activities about {safe_count(reached)} had reached the stage their plan names "
        f"({of_target(reached, target)}% of the target)"
    ) in text
    assert "counts a person in two of those activities once for each" in text


def test_summary_table_shows_job_outcomes_against_each_activity_target(folder):
    ctx = summary.context(str(folder), seed=1)
    row = ctx.delivery.set_index("activity_id").loc[ACTIVITY]
    text = text_of(summary.reach_and_conversion(ctx))
    n = int(row["job_start"])
    share = of_target(n, 40)
    assert f"{safe_count(n)} ({share}%)" in text or f"{safe_count(n)} ([c])" in text
    assert "Job outcome target" in text


def test_invalid_programme_targets_are_refused_with_a_plain_message(folder):
    meta = json.loads((folder / "programme.json").read_text())
    meta["targets"] = {"into_work": 400}
    (folder / "programme.json").write_text(json.dumps(meta))
    with pytest.raises(ContractError) as caught:
        load_programme(folder)  # refused with the input folder, not only when the summary is built
    assert "job_outcomes" in str(caught.value.findings[0].advice)
    assert main(["validate", str(folder)]) == 2


def test_the_month_a_target_was_reached_counts_its_stage_as_published(small_input_copy):
    """The chart's text said when referrals passed the target, from the exact count, even when the
    target counts people engaged: now the stage the target counts, rounded as published."""
    path = small_input_copy.path
    plan = pd.read_csv(path / "delivery_plan.csv", dtype=str, keep_default_na=False)
    plan["target_participants_stage"] = ""
    plan.loc[plan["activity_id"] == ACTIVITY, ["target_participants", "target_participants_stage"]] = [
        "20",
        "engaged",
    ]
    plan.to_csv(path / "delivery_plan.csv", index=False)
    ctx = process.context(str(path), ACTIVITY)
    engaged = pd.to_datetime(ctx.people["engaged_date"]).dropna().sort_values()
    months = pd.date_range(ctx.people["referred_date"].min().replace(day=1), ctx.as_of, freq="MS")
    shown = [safe_count(int((engaged <= m + pd.offsets.MonthEnd(0)).sum())) for m in months]
    first = next(m for m, n in zip(months, shown, strict=True) if not isinstance(n, str) and n >= 20)
    raw = html_module.unescape(" ".join(p.data for p in process.reach(ctx) if hasattr(p, "data")))
    assert f"The target of 20 residents engaged was reached in {first:%B %Y}" in raw  # the chart's text
    assert "Referrals passed the target" not in raw
