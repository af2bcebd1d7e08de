"""Rates, per cent of target and spend per person give away no more than the counts they rest on.

Issue 9, item 12. Two holes, each worked by hand:

* A rate among a small group publishes its numerator: "8% of 75 participants in work" tells the
  reader that 6 people were in work, a count the threshold of 10 hides everywhere else. The GSS/ONS
  "Disclosure control guidance for tables produced from administrative sources" treats a
  percentage as disclosive when the count it is based on is, so every published rate (employment
  rate by month, cohort rate, Kaplan-Meier estimate, rates in the machine-readable record) is
  hidden when fewer than 10 people are behind it, that is rate x group size.
* A per cent of a published target, or spend per person, worked out from the exact count undoes
  the rounding: 75 people shown and "77% of a target of 100" reveals 77; £77,000 spent at £1,000
  per person reveals 77 too. The same guidance rounds counts so that small differences cannot be
  recovered, so both are worked out from the rounded count (75% of the target, £1,027 per person).

The tests of the report sections use only functions that existed before the fix, so each fails on
the old code by its assertion; the tests of the new helpers fail there on import.
"""

from __future__ import annotations

import dataclasses
import doctest
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from evaluation import disclosure
from evaluation.counterfactual import net_impact
from evaluation.disclosure import DEFAULT_POLICY, SUPPRESSED, safe_count, safe_percent
from evaluation.programme import load_programme
from evaluation.report import impact, process, summary
from evaluation.report.record import ImpactRecord

C = SUPPRESSED


class _Cells(HTMLParser):
    """Rows of every table in a piece of HTML, as {header: text} (the row label under its header)."""

    def __init__(self):
        super().__init__()
        self.rows, self._header, self._row, self._text = [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._header = []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._text = ""

    def handle_data(self, data):
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._text is not None:
            self._row.append(self._text.strip())
            self._text = None
        elif tag == "tr":
            if not self._header:
                self._header = self._row
            else:
                self.rows.append(dict(zip(self._header, self._row, strict=False)))


def rows_of(parts) -> list[dict[str, str]]:
    parser = _Cells()
    for part in parts:
        parser.feed(getattr(part, "data", ""))
    return parser.rows


def text_of(parts) -> str:
    raw = " ".join(getattr(p, "data", "") for p in parts)
    raw = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r" \1 ", raw)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)).replace("&#x27;", "'").replace("&amp;", "&")


def of_target(n: int, target: int) -> int | str:
    """Per cent of a target from the rounded count, halves up, worked by hand; [c] when hidden."""
    shown = safe_count(int(n))
    return C if shown == C else (200 * shown + target) // (2 * target)


# ------------------------------------------------------------------ the rules, by hand


def test_a_rate_among_a_small_group_is_hidden_because_it_publishes_its_numerator():
    from evaluation.disclosure import people_behind, rate_marker, safe_rate

    # "8% of 75 participants in work": 0.08 x 75 = 6 people, below the threshold of 10.
    assert people_behind(0.08, 75) == 6
    assert safe_rate(6 / 75, 75) == C
    # Even with the group rounded to "about 75" (73 to 77 people), 8% leaves only 6.
    assert {round(0.08 * n) for n in range(73, 78)} == {6}
    assert safe_rate(10 / 75, 75) == pytest.approx(10 / 75)
    assert safe_rate(0.0, 75) == 0.0  # a true zero reveals no one (zeros are shown)
    assert safe_rate(0.5, 8) == C  # the group itself is small
    assert safe_rate(0.2, 0) == "[z]" and safe_rate(float("nan"), 75) == "[x]"
    # A given numerator wins over rate x size (a Kaplan-Meier estimate rests on the people seen reaching
    # the stage, not on the estimate times everyone referred).
    assert safe_rate(0.2, 75, numerator=7) == C and safe_rate(0.1, 75, numerator=12) == 0.1
    assert rate_marker(6, 75) == C and rate_marker(30, 75) is None and rate_marker(0, 0) == "[z]"


@pytest.mark.parametrize("denominator", [0, 5, 9, 10, 11, 40, 75, 123])
def test_safe_percent_and_safe_rate_apply_one_rule(denominator):
    from evaluation.disclosure import safe_rate

    for numerator in range(denominator + 1):
        by_count = safe_percent(numerator, denominator)
        by_rate = safe_rate(numerator / denominator if denominator else 0.0, denominator)
        assert (by_count == C) == (by_rate == C), (numerator, denominator)


def test_per_cent_of_target_is_worked_out_from_the_rounded_count():
    from evaluation.disclosure import percent_of_target

    # 77 people are published as 75; 77% of a target of 100 would give 77 back, 75% gives nothing away.
    assert safe_count(77) == 75 and safe_percent(77, 100) == 77
    assert percent_of_target(77, 100) == 75
    assert percent_of_target(73, 100) == 75  # every count published as 75 gives the same per cent
    # 72 support starts against a target of 190 are published as 70: 37%, not 38% (72 / 190 = 37.9%).
    assert percent_of_target(72, 190) == of_target(72, 190) == 37 and safe_percent(72, 190) == 38
    assert percent_of_target(7, 100) == C and percent_of_target(0, 100) == 0
    assert percent_of_target(77, 0) == "[z]"
    assert percent_of_target(77, 100, disclosure.DisclosurePolicy(percent_decimals=1)) == 75.0


def test_spend_per_person_divides_by_the_rounded_count():
    from evaluation.disclosure import per_person

    # £77,000 / 77 = £1,000 would give the 77 behind a published 75 back; / 75 it is £1,026.67.
    assert per_person(77_000, 77) == pytest.approx(77_000 / 75)
    assert per_person(77_000, 7) == C and per_person(77_000, 0) == "[z]"
    assert per_person(float("nan"), 77) == "[x]"


def test_the_methods_text_states_both_rules():
    text = DEFAULT_POLICY.describe()
    assert "A percentage or rate is hidden when the number of people behind it" in text
    assert "below 10" in text
    assert "Per cent of a target and spend per person are worked out from the rounded count" in text
    one = disclosure.DisclosurePolicy(rounding_base=1, threshold=10).describe()
    assert "rounded count" not in one  # nothing is rounded, so nothing to say


def test_the_disclosure_module_examples_hold():
    result = doctest.testmod(disclosure, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 7 and result.failed == 0


# ------------------------------------------------------------------ impact report: employment rates


@pytest.fixture(scope="module")
def matched_context(synthetic_folder):
    programme = load_programme(synthetic_folder)
    activity = programme.participants["activity_id"].value_counts().index[0]
    ctx = impact.context(str(synthetic_folder), activity, None, seed=3)
    assert ctx.kind == "matched" and ctx.result.published and ctx.result.net_impacts
    return ctx


SIX_OF_75 = 6 / 75  # "8% of 75 participants in work"


@pytest.fixture
def few_in_work(matched_context):
    """The matched context with 6 of 75 participants in work one month before referral and at the
    headline follow-up (the estimate itself is unchanged: it is not a count)."""
    ctx = matched_context
    result = ctx.result
    matched = result.matched
    horizon = matched.horizon
    event_time = matched.event_time.copy()
    chosen = event_time["event_time"].isin([-1, horizon])
    event_time.loc[chosen, ["n", "participants_rate"]] = [75, SIX_OF_75]
    horizons = matched.horizons.copy()
    horizons.loc[horizons["horizon"] == horizon, ["n", "participants_rate"]] = [75, SIX_OF_75]
    old = result.net_impacts[horizon]
    net = net_impact(
        old.effect,
        observed_rate=SIX_OF_75,
        n_participants=old.n_participants,
        spend_gbp=old.spend_gbp,
        horizon_label=old.horizon_label,
    )
    changed = dataclasses.replace(
        result,
        matched=dataclasses.replace(matched, event_time=event_time, horizons=horizons),
        net_impacts={**result.net_impacts, horizon: net},
    )
    return dataclasses.replace(ctx, impact=changed, numbering=type(ctx.numbering)())


def test_employment_by_month_hides_a_rate_that_publishes_six_people(few_in_work):
    parts = impact.outcomes_over_time(few_in_work)
    rows = {r["Months since referral"]: r for r in rows_of(parts)}
    horizon = few_in_work.result.matched.horizon
    for month in ("-1", str(horizon)):
        row = rows[month]
        assert row["People followed this long"] == "75"
        assert row["Per cent of participants in work"] == C, row
        # the estimate without the activity is the rate minus the published difference: hidden too
        assert row["Per cent estimated without the activity (95% CI)"] == C, row
        assert row["Difference, percentage points (95% CI)"] != C  # an estimate, not a count
    shown = [r for m, r in rows.items() if m not in ("-1", str(horizon))]
    assert any(r["Per cent of participants in work"] != C for r in shown)
    text = text_of(parts)
    assert "8% of participants" not in text
    assert f"Fewer than 10 participants were in work {horizon} months after referral" in text


def test_counterfactual_sentence_does_not_give_the_hidden_rate_away(few_in_work):
    for section in (impact.headline_section, impact.net_outcomes):
        text = text_of(section(few_in_work))
        assert "compared with 8% who were" not in text
        assert "of participants would have been in work" not in text
        assert (
            "the per cent who were, and the estimate of how many would have been anyway, are hidden" in text
        )
    rows = rows_of(impact.net_outcomes(few_in_work))
    row = next(r for r in rows if r["Months after referral"] == str(few_in_work.result.matched.horizon))
    assert row["Per cent of participants in work"] == C
    assert row["Per cent without the activity (95% CI)"] == C
    assert row["Effect, percentage points (95% CI)"] != C


def test_record_for_the_summary_hides_the_rate_and_its_counterfactual(few_in_work):
    data = impact.record(few_in_work.result, few_in_work.programme, seed=3, as_of=None).to_dict()
    entry = next(h for h in data["horizons"] if h["horizon"] == few_in_work.result.matched.horizon)
    assert entry["n_followed"] == 75
    assert entry["participants_rate"] == C
    assert entry["counterfactual_rate"] == C
    assert entry["estimate_pp"] is not None  # the estimate is kept


def test_rates_with_enough_people_behind_them_are_still_published(matched_context):
    matched = matched_context.result.matched
    data = impact.record(matched_context.result, matched_context.programme, seed=3, as_of=None).to_dict()
    for entry in data["horizons"]:
        row = matched.horizons[matched.horizons["horizon"] == entry["horizon"]].iloc[0]
        if not row["reportable"]:
            continue
        behind = round(float(row["participants_rate"]) * int(row["n"]))
        expected = C if 0 < behind < 10 else pytest.approx(float(row["participants_rate"]))
        assert entry["participants_rate"] == expected


# ------------------------------------------------------------------ process report: few job starts

FEW = 6


@pytest.fixture
def few_jobs(small_input_copy):
    """The small programme with only 6 job starts in its largest activity."""
    people = small_input_copy.read("participants")
    activity = people["activity_id"].value_counts().index[0]
    ours = people["activity_id"] == activity
    keep = people.index[ours & (people["job_start_date"] != "")][:FEW]
    assert (ours & (people["job_start_date"] != "")).sum() > FEW, "job starts to remove"
    later = [c for c in ("job_start_date", "sustained_13w_date", "sustained_26w_date") if c in people]
    people.loc[ours & ~people.index.isin(keep), later] = ""
    small_input_copy.write("participants", people)
    ctx = process.context(str(small_input_copy.path), activity)
    assert int(ctx.people["job_start_date"].notna().sum()) == FEW
    assert len(ctx.people) >= 20
    return ctx


def test_process_headline_gives_no_cohort_rate_resting_on_six_job_starts(few_jobs):
    rows = process.job_outcome_rows(process._funnel(few_jobs).table)
    job = rows[rows["stage"] == "job_start"].iloc[0]
    assert int(job["cohort_n"]) >= 10 and 0 < int(job["cohort_reached"]) <= FEW
    text = text_of(process.process_headline(few_jobs))
    assert "started a job within 26 weeks of referral" not in text, text


def test_kaplan_meier_estimates_resting_on_few_people_are_hidden(few_jobs):
    parts = process.time_to_stages(few_jobs)
    rows = {r["Stage"]: r for r in rows_of(parts) if "By week 52" in r}
    job = rows["Started a job"]
    # With only 6 job starts in all, every estimate of the per cent starting a job rests on 6 or fewer
    # people; only a true zero (nobody yet) may show.
    weeks = [job[f"By week {w}"] for w in (13, 26, 52)]
    assert all(v in (C, "0% (0% to 0%)") for v in weeks), weeks
    assert weeks[-1] == C
    assert rows["Engaged"]["By week 52"] != C  # many people engaged
    if weeks[1] == C:
        assert "of people start a job within 26 weeks" not in text_of(parts)


def test_hidden_kaplan_meier_points_are_left_out_of_the_chart_data(few_jobs):
    survival = process.funnel_module.stage_survival(
        few_jobs.people, stages=few_jobs.stages, as_of=few_jobs.as_of, horizon_weeks=52
    )
    curves = process.hide_small_estimates(survival.curves, survival.steps)
    jobs = curves[curves["stage"] == "job_start"]
    reached = process.reached_by(survival.steps, jobs)
    assert reached.max() == FEW
    assert jobs.loc[reached > 0, "probability"].isna().all()
    assert not jobs.loc[reached == 0, "probability"].isna().any()  # zeros are shown


# ------------------------------------------------------------------ per cent of target and spend per person


@pytest.fixture
def target_of_100(small_input_copy):
    """The small programme with a target of 100 support starts for an activity whose number of
    support starts is not a multiple of 5, so the rounded and exact counts differ."""
    people = small_input_copy.read("participants")
    started = people[people["started_date"] != ""].groupby("activity_id").size()
    candidates = started[(started >= 10) & (started % 5 != 0)]
    assert not candidates.empty
    activity = str(candidates.index[0])
    plan = small_input_copy.read("delivery_plan")
    plan.loc[plan["activity_id"] == activity, "target_participants"] = "100"
    if "target_participants_stage" in plan:
        plan.loc[plan["activity_id"] == activity, "target_participants_stage"] = ""
    small_input_copy.write("delivery_plan", plan)
    return small_input_copy.path, activity, int(candidates.iloc[0])


def test_process_report_per_cent_of_target_reveals_no_more_than_the_rounded_count(target_of_100):
    folder, activity, started = target_of_100
    ctx = process.context(str(folder), activity)
    shown = safe_count(started)
    assert shown != started  # e.g. 77 started, 75 shown
    rows = {r["Measure"]: r for r in rows_of(process.reach(ctx)) if "Per cent of target" in r}
    assert rows["Started support"]["People"] == str(shown)
    assert rows["Started support"]["Per cent of target"] == str(of_target(started, 100)) == str(shown)
    for measure, row in rows.items():
        people = int(row["People"]) if row["People"] != C else None
        expected = C if people is None else str(of_target(people, 100))
        assert row["Per cent of target"] == expected, measure
    assert f"({shown}% of the target had started support)" in text_of(process.process_headline(ctx))
    assert f"{started}%" not in text_of(process.reach(ctx)).split("Job outcomes")[0]
    assert process.share_of_target(77, 100) == "75% of the target"


def test_process_report_spend_per_person_reveals_no_more_than_the_rounded_count(target_of_100):
    folder, activity, started = target_of_100
    ctx = process.context(str(folder), activity)
    total = float(ctx.programme.spend_of(activity)["spend_gbp"].sum())
    rows = {r["Measure"]: r["Value"] for r in rows_of(process.spend(ctx)) if "Measure" in r}
    each = rows["Spend per person starting support"]
    assert each == f"£{total / safe_count(started):,.0f}"
    assert each != f"£{total / started:,.0f}"  # which would give the exact count back
    # A reader dividing spend by spend per person gets the published count, not the exact one.
    assert total / float(each.strip("£").replace(",", "")) == pytest.approx(safe_count(started), abs=0.01)


def _summary_context(folder):
    programme = load_programme(folder)
    delivery = summary.delivery_table(programme)
    records = {
        a: ImpactRecord(activity_id=a, activity_name=n, design="descriptive", status="not_estimated")
        for a, n in zip(delivery["activity_id"], delivery["activity_name"], strict=True)
    }
    return summary.SummaryContext(programme=programme, delivery=delivery, records=records, sources={})


def test_summary_per_cent_of_target_and_spend_per_person_use_the_rounded_count(target_of_100):
    folder, activity, started = target_of_100
    ctx = _summary_context(folder)
    d = ctx.delivery.set_index("activity_id").loc[activity]
    name = d["activity_name"]
    reach = {r["Activity"]: r for r in rows_of(summary.reach_and_conversion(ctx))}
    assert reach[name]["People who started support"] == str(safe_count(started))
    assert reach[name]["Per cent of participant target reached"] == str(of_target(started, 100))
    money = {r["Activity"]: r for r in rows_of(summary.value_for_money(ctx))}
    assert money[name]["Spend per person who started support"] == f"£{d['spend'] / safe_count(started):,.0f}"
    for row in ctx.delivery.itertuples():
        each = money[row.activity_name]["Spend per person who started support"]
        if each.startswith("£"):
            implied = row.spend / float(each.strip("£").replace(",", ""))
            assert implied == pytest.approx(safe_count(row.started), abs=0.01), row.activity_name
    assert summary._count_and_share(77, 100, DEFAULT_POLICY) == "75 (75%)"
    assert summary._count_and_share(7, 100, DEFAULT_POLICY) == "[c] ([c])"


def test_job_outcomes_per_cent_of_target_uses_the_rounded_count():
    rows = pd.DataFrame(
        {
            "group": "All",
            "stage": ["job_start", "sustained_13w", "sustained_26w"],
            "label": ["Started a job", "In work 13 weeks", "In work 26 weeks"],
            "n": [77, 23, 7],
            "cohort_window_days": [182, 273, 364],
            "cohort_n": [150, 120, 90],
            "cohort_reached": [60, 20, 7],
            "cohort_rate": [0.4, 20 / 120, 7 / 90],
            "cohort_lower": [0.32, 0.1, 0.03],
            "cohort_upper": [0.48, 0.24, 0.15],
        }
    )
    table = process.job_outcomes_table(rows, 100, pd.Timestamp("2026-03-31"))
    assert table["People"].tolist() == [75, 25, C]
    assert table["Per cent of job outcome target"].tolist() == [75, 25, C]
    assert table["Cohort rate (95% CI)"].iloc[2] == C  # 7 people behind it
    assert np.isfinite(rows["cohort_rate"]).all()


def test_no_employment_chart_when_every_month_is_hidden(few_in_work):
    matched = few_in_work.result.matched
    event_time = matched.event_time.assign(n=75, participants_rate=SIX_OF_75)
    changed = dataclasses.replace(
        few_in_work.result, matched=dataclasses.replace(matched, event_time=event_time)
    )
    ctx = dataclasses.replace(few_in_work, impact=changed, numbering=type(few_in_work.numbering)())
    parts = impact.outcomes_over_time(ctx)
    text = text_of(parts)
    assert "Fewer than 10 participants were in work in every month shown" in text
    assert (
        text.count("<figure>") == 0 and sum("<figure>" in p.data for p in parts) == 1
    )  # only the differences
    rows = rows_of(parts)
    assert {r["Per cent of participants in work"] for r in rows} == {C}
