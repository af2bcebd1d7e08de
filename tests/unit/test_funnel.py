"""Unit tests for evaluation.funnel on a hand-built participants table.

Every expected value below is worked out by hand in the comments from the table in
`participants()`. Days are counted from ORIGIN = 2024-01-01 (day 0); 2024 is a leap
year, so AS_OF = 2025-01-01 is day 366.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import ContractError, DesignError
from evaluation.funnel import (
    ALL,
    Stage,
    dropout_reasons,
    follow_up_days,
    funnel,
    stage_survival,
    time_to_stage,
)
from evaluation.results import FRAME_COLUMNS

ORIGIN = pd.Timestamp("2024-01-01")
AS_OF = ORIGIN + pd.Timedelta(days=366)  # 2025-01-01

STAGES = [
    Stage("referred", "referred_date", "Referred"),
    Stage("engaged", "engaged_date", "Engaged"),
    Stage("started", "started_date", "Started support"),
    Stage("job_start", "job_start_date", "Started a job"),
    Stage("sustained_13w", "sustained_13w_date", "Job sustained 13 weeks"),
]

# person: referred, engaged, started, job start, sustained 13w, sex, withdrawn, reason
# (day numbers from ORIGIN; None = not reached)
PEOPLE = [
    ("P01", 0, 5, 10, 40, 131, "F", None, None),
    ("P02", 0, 3, None, None, None, "M", 50, None),  # withdrew, no reason given
    ("P03", 10, 20, 30, 200, None, "F", None, None),  # job 190 days after referral
    ("P04", 20, None, 25, 60, 151, "M", None, None),  # engaged implied by the start
    ("P05", 30, 31, 40, None, None, "F", 100, "health"),
    ("P06", 50, 60, 70, 100, None, "M", None, None),
    ("P07", 100, 101, 110, 150, 241, "F", None, None),
    ("P08", 150, 160, None, None, None, "F", 170, "moved"),
    ("P09", 200, 215, 210, 300, None, "M", 400, "moved"),  # start before engagement
    ("P10", 250, None, None, None, None, "F", None, None),  # referred only
    ("P11", 300, 305, 310, 400, None, "M", None, "other"),  # job after as_of; reason, no date
    ("P12", 400, 401, None, None, None, "F", None, None),  # referred after as_of
]


def day(value: int | None) -> pd.Timestamp:
    return pd.NaT if value is None else ORIGIN + pd.Timedelta(days=value)


def participants() -> pd.DataFrame:
    columns = ["person_id", *[s.column for s in STAGES], "sex", "withdrawn_date"]
    rows = [[p[0], *[day(v) for v in p[1:6]], p[6], day(p[7])] for p in PEOPLE]
    frame = pd.DataFrame(rows, columns=columns)
    for col in [s.column for s in STAGES] + ["withdrawn_date"]:
        frame[col] = pd.to_datetime(frame[col])
    frame["withdrawal_reason"] = pd.Series([p[8] for p in PEOPLE], dtype=object)
    return frame


def wilson_by_hand(x: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson (1927) score interval; closed form as in Agresti & Coull (1998), eq. 2."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def rows(result, group=ALL):
    return result.table[result.table["group"] == group].set_index("stage")


# --------------------------------------------------------------------------- funnel


def test_counts_per_stage_by_hand():
    # P12 (referred day 400) is after as_of: 11 referred.
    # engaged: all but P10 -> 10 (P04 implied by its start date; P11 engaged day 305).
    # started: P01 P03 P04 P05 P06 P07 P09 P11 -> 8.
    # job start by day 366: P01 P03 P04 P06 P07 P09 -> 6 (P11's day-400 job is ignored).
    # sustained 13w: P01 P04 P07 -> 3.
    result = funnel(participants(), stages=STAGES, as_of=AS_OF)
    table = rows(result)
    assert table["n"].tolist() == [11, 10, 8, 6, 3]
    assert table["n_implied"].tolist() == [0, 1, 0, 0, 0]  # P04's engagement
    assert result.n_after_as_of == 1
    np.testing.assert_allclose(
        table["conv_prev"].to_numpy(), [np.nan, 10 / 11, 8 / 10, 6 / 8, 3 / 6], rtol=1e-12
    )
    np.testing.assert_allclose(
        table["conv_referral"].to_numpy(), [1, 10 / 11, 8 / 11, 6 / 11, 3 / 11], rtol=1e-12
    )


def test_cohort_rates_by_hand():
    # Default windows: 182 days; sustained_13w 182 + 91 = 273 days.
    # 182-day cohort: referred by day 366 - 182 = 184 -> P01..P08 (8 people).
    #   engaged within 182 days: all 8 (P04 via its start on day 25 = 5 days) -> 8/8
    #   started within 182 days: P01 P03 P04 P05 P06 P07 -> 6/8
    #   job within 182 days: P01 40, P04 40, P06 50, P07 50 (P03 took 190) -> 4/8
    # 273-day cohort: referred by day 93 -> P01..P06 (6 people);
    #   sustained within 273 days: P01 131, P04 131 -> 2/6
    table = rows(funnel(participants(), stages=STAGES, as_of=AS_OF))
    assert table["cohort_window_days"].tolist() == [182, 182, 182, 182, 273]
    assert table["cohort_n"].tolist() == [8, 8, 8, 8, 6]
    assert table["cohort_reached"].tolist() == [8, 8, 6, 4, 2]
    np.testing.assert_allclose(table["cohort_rate"], [1, 1, 6 / 8, 4 / 8, 2 / 6], rtol=1e-12)


def test_cohort_window_overrides():
    # One window of 100 days for every stage: cohort = referred by day 266 -> P01..P10.
    # job within 100 days: P01 40, P04 40, P06 50, P07 50, P09 100 -> 5/10.
    table = rows(funnel(participants(), stages=STAGES, as_of=AS_OF, min_follow_up_days=100))
    assert table.loc["job_start", "cohort_n"] == 10
    assert table.loc["job_start", "cohort_reached"] == 5
    # A mapping overrides named stages only; Stage.follow_up_days is the next default.
    stages = [*STAGES[:-1], dataclasses.replace(STAGES[-1], follow_up_days=300)]
    table = rows(funnel(participants(), stages=stages, as_of=AS_OF, min_follow_up_days={"engaged": 10}))
    assert table["cohort_window_days"].tolist() == [182, 10, 182, 182, 300]


def test_wilson_intervals_match_closed_form():
    # Job start from referral: 6 of 11; from started: 6 of 8; cohort: 4 of 8.
    for alpha in (0.05, 0.10):
        table = rows(funnel(participants(), stages=STAGES, as_of=AS_OF, alpha=alpha))
        job = table.loc["job_start"]
        for prefix, x, n in [("conv_referral", 6, 11), ("conv_prev", 6, 8), ("cohort", 4, 8)]:
            lower, upper = wilson_by_hand(x, n, alpha)
            assert job[f"{prefix}_lower"] == pytest.approx(lower, rel=1e-10)
            assert job[f"{prefix}_upper"] == pytest.approx(upper, rel=1e-10)


def test_as_of_cut_ignores_later_events():
    # As at day 100 (2024-04-10): referred P01..P07 = 7 (P07 on day 100 itself);
    # engaged P01 P02 P03 P04(implied, start day 25) P05 P06 = 6 (P07 engaged day 101);
    # started P01 P03 P04 P05 P06 = 5; job P01 40, P04 60, P06 100 = 3; sustained 0.
    as_of = day(100)
    result = funnel(participants(), stages=STAGES, as_of=as_of)
    assert rows(result)["n"].tolist() == [7, 6, 5, 3, 0]
    # Same answer as blanking every later date by hand and dropping later referrals.
    blanked = participants()
    for stage in STAGES:
        blanked[stage.column] = blanked[stage.column].where(blanked[stage.column] <= as_of)
    blanked = blanked[blanked["referred_date"].notna()]
    again = funnel(blanked, stages=STAGES, as_of=as_of)
    pd.testing.assert_frame_equal(result.table, again.table)


def test_subgroups_by_hand_and_sum_to_total():
    # F: P01 P03 P05 P07 P08 P10 -> referred 6, engaged 5, started 4, job 3, sustained 2.
    # M: P02 P04 P06 P09 P11    -> referred 5, engaged 5, started 4, job 3, sustained 1.
    result = funnel(participants(), stages=STAGES, as_of=AS_OF, by="sex")
    assert rows(result, "F")["n"].tolist() == [6, 5, 4, 3, 2]
    assert rows(result, "M")["n"].tolist() == [5, 5, 4, 3, 1]
    groups = result.table[result.table["group"] != ALL]
    summed = groups.groupby("stage", sort=False)[["n", "cohort_n", "cohort_reached"]].sum()
    total = rows(result)[["n", "cohort_n", "cohort_reached"]]
    pd.testing.assert_frame_equal(summed, total, check_names=False)


def test_missing_subgroup_kept_as_its_own_group():
    frame = participants()
    frame.loc[frame["person_id"] == "P10", "sex"] = None
    result = funnel(frame, stages=STAGES, as_of=AS_OF, by="sex")
    assert list(result.table["group"].unique()) == [ALL, "F", "M", "Missing"]
    assert rows(result, "Missing")["n"].tolist() == [1, 0, 0, 0, 0]


def test_to_frame_shape_and_binomial_se():
    result = funnel(participants(), stages=STAGES, as_of=AS_OF)
    frame = result.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    job = frame.set_index("term").loc["job_start"]
    p = 6 / 11
    assert job["estimate"] == pytest.approx(p, rel=1e-12)
    assert job["std_error"] == pytest.approx(np.sqrt(p * (1 - p) / 11), rel=1e-12)
    assert job["n"] == 11
    cohort = result.to_frame("cohort").set_index("term").loc["job_start"]
    assert (cohort["estimate"], cohort["n"]) == (0.5, 8)
    previous = result.to_frame("previous").set_index("term")
    assert np.isnan(previous.loc["referred", "estimate"])
    assert previous.loc["job_start", "n"] == 8
    with pytest.raises(ValueError, match="basis"):
        result.to_frame("all starts")
    # Headline: last stage's cohort rate (2 of 6 within 273 days).
    assert (result.estimate, result.n) == (pytest.approx(2 / 6), 6)
    assert "Retention funnel" in result.summary()


def test_mapping_and_stage_sequence_agree():
    mapping = {s.name: s.column for s in STAGES}
    a = funnel(participants(), stages=mapping, as_of=AS_OF).table.drop(columns="label")
    b = funnel(participants(), stages=STAGES, as_of=AS_OF).table.drop(columns="label")
    pd.testing.assert_frame_equal(a, b)


def test_follow_up_defaults():
    assert follow_up_days(Stage("job_start", "job_start_date")) == 182
    assert follow_up_days(Stage("sustained_13w", "x")) == 182 + 91
    assert follow_up_days(Stage("outcome", "sustained_26w_date")) == 182 + 182
    assert follow_up_days(Stage("sustained_26w", "x", follow_up_days=400)) == 400


def test_results_are_frozen_and_inputs_untouched():
    frame = participants()
    before = frame.copy()
    result = funnel(frame, stages=STAGES, as_of=AS_OF, by="sex")
    time_to_stage(frame, stages=STAGES, as_of=AS_OF, by="sex")
    stage_survival(frame, stages=STAGES, as_of=AS_OF, by="sex")
    dropout_reasons(frame, as_of=AS_OF)
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alpha = 0.1


# --------------------------------------------------------------------------- errors


def test_missing_stage_column_is_named():
    with pytest.raises(ContractError, match="engaged_date"):
        funnel(participants().drop(columns="engaged_date"), stages=STAGES, as_of=AS_OF)
    with pytest.raises(ContractError, match="region"):
        funnel(participants(), stages=STAGES, as_of=AS_OF, by="region")


def test_non_date_stage_column_is_named():
    frame = participants()
    frame["started_date"] = frame["started_date"].dt.strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match="started_date"):
        funnel(frame, stages=STAGES, as_of=AS_OF)


def test_empty_frame_and_early_as_of():
    with pytest.raises(DesignError, match="empty"):
        funnel(participants().iloc[:0], stages=STAGES, as_of=AS_OF)
    with pytest.raises(DesignError, match="referred_date"):
        funnel(participants(), stages=STAGES, as_of=day(-1))


def test_missing_referral_date_is_refused():
    frame = participants()
    frame.loc[3, "referred_date"] = pd.NaT
    with pytest.raises(ContractError, match="referred_date"):
        funnel(frame, stages=STAGES, as_of=AS_OF)


def test_bad_stage_specs():
    with pytest.raises(ValueError, match="unique"):
        funnel(participants(), stages=[STAGES[0], STAGES[0]], as_of=AS_OF)
    with pytest.raises(ValueError, match="empty"):
        funnel(participants(), stages=[], as_of=AS_OF)
    with pytest.raises(ValueError, match="alpha"):
        funnel(participants(), stages=STAGES, as_of=AS_OF, alpha=5)


# --------------------------------------------------------------------------- time to stage


def test_time_to_stage_medians_by_hand():
    # Days from referral to the effective date, among those who reached the stage:
    # engaged: P01 5, P02 3, P03 10, P04 5 (implied: start day 25 - 20), P05 1, P06 10,
    #   P07 1, P08 10, P09 10 (start day 210 precedes engagement day 215), P11 5
    #   sorted 1 1 3 5 5 5 10 10 10 10 -> median 5; Q1 (linear, position 2.25) 3.5; Q3 10
    # started: 10 20 5 10 20 10 10 10 -> sorted 5 10 10 10 10 10 20 20 -> median 10
    # job start: 40 190 40 50 50 100 -> median 50
    # sustained 13w: 131 131 141 -> median 131
    result = time_to_stage(participants(), stages=STAGES, as_of=AS_OF)
    table = rows(result)
    assert table["n"].tolist() == [11, 10, 8, 6, 3]
    np.testing.assert_allclose(table["from_referral_median"], [0, 5, 10, 50, 131], rtol=1e-12)
    assert table.loc["engaged", "from_referral_q1"] == pytest.approx(3.5)
    assert table.loc["engaged", "from_referral_q3"] == pytest.approx(10)
    # From the previous stage:
    # started from engaged: P01 5, P03 10, P04 0 (implied), P05 9, P06 10, P07 9,
    #   P09 0 (out of order: engagement dated at the start), P11 5 -> median (5 + 9) / 2 = 7
    # job from started: 30 170 35 30 40 90 -> sorted 30 30 35 40 90 170 -> median 37.5
    assert table.loc["started", "from_previous_median"] == pytest.approx(7)
    assert table.loc["job_start", "from_previous_median"] == pytest.approx(37.5)
    assert "among those who reached" in result.population
    assert result.estimate == pytest.approx(131)


def test_time_to_stage_median_interval_is_order_statistics():
    # Engaged, n = 10: the 95% distribution-free interval for the median is
    # (x_(2), x_(9)) since P(Binomial(10, 0.5) <= 1) = 11/1024 <= 0.025 < 56/1024.
    # Sorted times 1 1 3 5 5 5 10 10 10 10 -> (1, 10).
    table = rows(time_to_stage(participants(), stages=STAGES, as_of=AS_OF))
    assert table.loc["engaged", ["median_ci_lower", "median_ci_upper"]].tolist() == [1, 10]


# --------------------------------------------------------------------------- survival (small)


def test_stage_survival_job_start_by_hand():
    # Job start, times from referral (days): events P01 40, P03 190, P04 40, P06 50,
    # P07 50, P09 100; censored at as_of: P02 366, P05 336, P08 216, P10 116, P11 66
    # (P11's day-400 job is after as_of). Withdrawn P02/P05/P08 stay at risk.
    # Product-limit: t=40: 11 at risk, 2 events -> 9/11; t=50: 9 at risk, 2 -> 7/9;
    # t=100: 6 at risk (P11 censored at 66) -> 5/6; t=190: 4 at risk (P10 at 116) -> 3/4.
    # S(week 26 = 182 days) = 9/11 * 7/9 * 5/6 = 35/66; S(week 52) = 35/66 * 3/4.
    result = stage_survival(participants(), stages=STAGES, as_of=AS_OF, horizon_weeks=52)
    at = result.at([26, 52]).set_index(["stage", "week"])
    assert at.loc[("job_start", 26), "probability"] == pytest.approx(1 - 35 / 66, rel=1e-12)
    assert at.loc[("job_start", 52), "probability"] == pytest.approx(1 - 35 / 66 * 3 / 4)
    # at risk at 182 days: times >= 182 are 190, 366, 336, 216 -> 4
    assert at.loc[("job_start", 26), "at_risk"] == 4
    frame = result.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["term"].tolist()[2] == "job_start by week 52"


# --------------------------------------------------------------------------- dropout


def test_dropout_reasons_by_hand():
    # Withdrawn by day 366: P02 (no reason), P05 health, P08 moved; P09 withdrew on
    # day 400 (after as_of); P11 has a reason but no withdrawal date.
    result = dropout_reasons(participants(), as_of=AS_OF)
    counts = dict(zip(result.table["reason"], result.table["n"], strict=True))
    assert counts == {"Not recorded": 1, "health": 1, "moved": 1}
    assert result.n_withdrawn == 3
    assert result.n_reason_without_date == 1
    assert result.table["share"].sum() == pytest.approx(1)
    # Without a date column every recorded reason counts: health, moved x2, other.
    undated = dropout_reasons(participants(), as_of=AS_OF, date_column=None)
    assert dict(zip(undated.table["reason"], undated.table["n"], strict=True)) == {
        "moved": 2,
        "health": 1,
        "other": 1,
    }
    with pytest.raises(ContractError, match="exit_reason"):
        dropout_reasons(participants(), as_of=AS_OF, reason_column="exit_reason")
