"""Unit tests for the matched comparison (evaluation.matched and .stacking) on a hand-built example,
plus the per-activity pipeline (evaluation.impact).

Hand-built example (months January 2024 to December 2025; every expected value by hand):

* one covariate x, one comparison per participant (ratio 1), no exact matching, no
  caliper, no pre-history covariate, so the logit score is a + b x and nearest on the
  score is nearest on x;
* participants P1 (x = 1.0, referred 10 January 2025: anchor January 2025) and P2 (x = 2.0,
  referred 20 June 2025: anchor June 2025); P0 is referred in January 2024, the first month
  of data, so has no pre-period and is left out;
* comparison people C1..C5 with x = 0.5, 1.1, 1.6, 2.1, 3.0. Matching is within referral
  month cohorts, so P1 is matched to C2 anchored at January 2025 and P2 to C4 anchored at
  June 2025.

Employment (1 = in work):
  P1: from March 2025 on.          pre-period Jan-Dec 2024 mean 0.
  P2: March to May 2025 only.      pre-period Jun 2024 - May 2025 mean 3/12 = 0.25.
  C2: July to December 2024 and April 2025 only.  pre (Jan-Dec 2024) mean 6/12 = 0.5.
  C4: November 2025 only.          pre (Jun 2024 - May 2025) mean 0.
  Others: never.

Differences from the pre-period mean, dY(e) = Y(anchor + e) - pre mean:
  e = 3 (April 2025 / September 2025): P1 1 - 0 = 1; C2 1 - 0.5 = 0.5; P2 0 - 0.25 = -0.25;
  C4 0 - 0 = 0.  Effect = ((1 - 0.5) + (-0.25 - 0)) / 2 = 0.125.
  e = 9: P2's month (March 2026) is after the data, so only P1: (1 - 0) - (0 - 0.5) = 1.5.
  e = -1 (December 2024 / May 2025): P1 0; C2 1 - 0.5 = 0.5; P2 1 - 0.25 = 0.75; C4 0.
  Effect = ((0 - 0.5) + (0.75 - 0)) / 2 = 0.125.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evaluation import synthetic
from evaluation.disclosure import DisclosurePolicy
from evaluation.errors import DesignError
from evaluation.impact import (
    AGE_BANDS,
    BANDED_COLUMNS,
    DEFAULT_COVARIATES,
    FULL_HISTORY_COVARIATES,
    HISTORY,
    PRE_HISTORY,
    RECENT_HISTORY,
    WORK_GAP_BANDS,
    ActivityImpact,
    AreaImpact,
    DescriptiveImpact,
    MatchedDiDResult,
    estimate_activity,
    matched_did,
)
from evaluation.programme import load_programme
from evaluation.report.sentences import activity_sentences
from evaluation.results import FRAME_COLUMNS
from evaluation.stacking import _covariate_frame

MONTHS = pd.date_range("2024-01-01", "2025-12-01", freq="MS")
EMPLOYED = {
    "P1": pd.date_range("2025-03-01", "2025-12-01", freq="MS"),
    "P2": pd.date_range("2025-03-01", "2025-05-01", freq="MS"),
    "C2": [*pd.date_range("2024-07-01", "2024-12-01", freq="MS"), pd.Timestamp("2025-04-01")],
    "C4": [pd.Timestamp("2025-11-01")],
}


def hand_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    participants = pd.DataFrame(
        {
            "person_id": ["P0", "P1", "P2"],
            "x": [1.5, 1.0, 2.0],
            "referred_date": pd.to_datetime(["2024-01-05", "2025-01-10", "2025-06-20"]),
        }
    )
    pool = pd.DataFrame({"person_id": ["C1", "C2", "C3", "C4", "C5"], "x": [0.5, 1.1, 1.6, 2.1, 3.0]})
    people = [*participants["person_id"], *pool["person_id"]]
    outcomes = pd.DataFrame(
        [
            {"person_id": p, "month": m, "employed": int(m in set(EMPLOYED.get(p, [])))}
            for p in people
            for m in MONTHS
        ]
    )
    return participants, pool, outcomes


def run_hand(**kwargs) -> MatchedDiDResult:
    participants, pool, outcomes = hand_inputs()
    options = {
        "covariates": ["x"],
        "exact": None,
        "ratio": 1,  # one comparison per participant, so every value is easy to work out
        "caliper": None,
        "horizons": (3, 9),
        "min_n": 1,
    }
    return matched_did(participants, pool, outcomes, **(options | kwargs))


@pytest.fixture(scope="module")
def hand() -> MatchedDiDResult:
    return run_hand()


# ---------------------------------------------------------------- hand example


def test_hand_example_pairs_and_exclusions(hand):
    assert hand.n_participants == 3
    assert hand.n_excluded == 1  # P0: referred in the first month, no pre-period
    assert hand.n_matched == 2
    assert hand.n_comparisons_used == 2  # C2 (January cohort) and C4 (June cohort)
    assert hand.n_comparison_rows_used == 2


def test_hand_example_effect_at_each_horizon(hand):
    rows = hand.horizons.set_index("horizon")
    assert rows.loc[3, "estimate"] == pytest.approx(0.125, abs=1e-12)
    assert rows.loc[3, "n"] == 2
    # by hand: participants in work at e = 3: P1 yes, P2 no; comparisons: C2 yes, C4 no
    assert rows.loc[3, "participants_rate"] == pytest.approx(0.5, abs=1e-12)
    assert rows.loc[3, "comparison_rate"] == pytest.approx(0.5, abs=1e-12)
    assert rows.loc[9, "estimate"] == pytest.approx(1.5, abs=1e-12)
    # one participant leaves no spread to estimate a variance from: no interval
    assert np.isnan(rows.loc[9, "std_error"]) and np.isnan(rows.loc[9, "ci_lower"])
    assert list(hand.horizons["term"]) == ["3 months", "9 months"]


def test_hand_example_standard_error(hand):
    # Clustered sandwich with fixed match weights, by hand at e = 3:
    # treated dY (1, -0.25), mean 0.375 -> contributions (+0.625, -0.625) / 2 = +-0.3125;
    # comparisons dY (0.5, 0), weights 1, mean 0.25 -> -(+0.25, -0.25) / 2 = -+0.125;
    # four people (G = 4), four rows (N = 4), two regressors (K = 2); statsmodels' cluster
    # covariance multiplies by G / (G - 1) x (N - 1) / (N - K) = 4/3 x 3/2 = 2:
    # var = 2 (2 x 0.3125^2 + 2 x 0.125^2) = 2 x 0.2265625
    rows = hand.horizons.set_index("horizon")
    assert rows.loc[3, "std_error"] == pytest.approx(np.sqrt(0.2265625 * 2), rel=1e-12)
    assert rows.loc[3, "ci_lower"] == pytest.approx(
        0.125 - 1.959963984540054 * np.sqrt(0.2265625 * 2), rel=1e-9
    )


def test_standard_error_clustered_by_person_with_match_weights():
    # With three comparisons per participant: P1 (January cohort) -> C2, C1, C3; P2 (June
    # cohort) -> C4, C3, C2 (2.1, 1.6, 1.1 against C5's 3.0), each weight 1/3.
    # dY at e = 3 (April / September 2025) by hand, from EMPLOYED:
    #   January: P1 1 - 0 = 1; C2 1 - 6/12 = 0.5; C1 0; C3 0
    #   June:    P2 0 - 3/12 = -0.25; C4 0; C3 0; C2 0 - 7/12 (July-December 2024, April 2025)
    result = run_hand(ratio=3)
    d_y = np.array([1, 0.5, 0, 0, -0.25, 0, 0, -7 / 12])
    treated = np.array([1, 0, 0, 0, 1, 0, 0, 0.0])
    person = ["P1", "C2", "C1", "C3", "P2", "C4", "C3", "C2"]
    # effect: (1 - 0.25) / 2 - ((0.5 + 0 + 0) / 3 + (0 + 0 - 7 / 12) / 3) / 2 = 0.375 + 1 / 72
    row = result.horizons.set_index("horizon").loc[3]
    assert row["estimate"] == pytest.approx(0.375 + 1 / 72, abs=1e-12)
    # variance: residuals from the two groups' weighted means, times the row's weight
    # (participant 1/2, comparison -1/3 x 1/2), summed by person (G = 6 people), times
    # statsmodels' G / (G - 1) x (N - 1) / (N - K) with N = 8 rows and K = 2 regressors
    weights = np.where(treated == 1, 1.0, 1 / 3)
    mean_t = d_y[treated == 1].mean()
    mean_c = (weights * d_y)[treated == 0].sum() / weights[treated == 0].sum()
    residual = d_y - np.where(treated == 1, mean_t, mean_c)
    psi = residual * np.where(treated == 1, 1 / 2, -1 / 3 / 2)
    by_person = pd.Series(psi).groupby(person).sum()
    factor = 6 / 5 * 7 / 6
    assert row["std_error"] == pytest.approx(np.sqrt(factor * (by_person**2).sum()), rel=1e-9)


def test_event_time_alignment(hand):
    table = hand.event_time.set_index("event_time")
    assert list(table.index) == list(range(-12, 10))
    assert table.loc[-1, "estimate"] == pytest.approx(0.125, abs=1e-12)
    # rates at e = -1 by hand: P1 0, P2 1; C2 1, C4 0
    assert table.loc[-1, "participants_rate"] == pytest.approx(0.5, abs=1e-12)
    assert table.loc[-1, "comparison_rate"] == pytest.approx(0.5, abs=1e-12)
    # e = 0 is the referral month itself: P1 Jan 2025 0, P2 Jun 2025 0; C2 Jan 0, C4 Jun 0
    # dY: P1 0, P2 -0.25, C2 -0.5, C4 0 -> ((0 + 0.5) + (-0.25 - 0)) / 2 = 0.125
    assert table.loc[0, "estimate"] == pytest.approx(0.125, abs=1e-12)
    # post rows equal the horizon rows
    assert table.loc[3, "estimate"] == pytest.approx(0.125, abs=1e-12)
    # relative to each person's own pre-period mean, the pre-period estimates sum to zero
    pre = table.loc[-12:-1, "estimate"]
    assert pre.sum() == pytest.approx(0.0, abs=1e-12)
    assert set(table.loc[-12:-1, "period"]) == {"pre"}


def test_horizon_beyond_the_data_excludes_later_cohorts(hand):
    rows = hand.horizons.set_index("horizon")
    assert rows.loc[9, "n"] == 1  # P2 referred June 2025: June + 9 = March 2026 > Dec 2025
    table = hand.event_time.set_index("event_time")
    assert table.loc[6, "n"] == 2  # June + 6 = December 2025, still in the data
    assert table.loc[7, "n"] == 1


def test_last_month_cuts_the_follow_up():
    result = run_hand(last_month="2025-09-01")
    rows = result.horizons.set_index("horizon")
    # P1 January + 9 = October 2025 is now after the data; P2 June + 3 = September is in
    assert rows.loc[9, "n"] == 0 and np.isnan(rows.loc[9, "estimate"])
    assert rows.loc[3, "n"] == 2
    assert result.horizon == 3
    assert result.last_month == pd.Timestamp("2025-09-01")


def test_headline_is_the_largest_horizon_with_enough_people(hand):
    assert hand.horizon == 9  # min_n = 1: 9 months has 1 participant
    assert hand.term == "9 months"
    assert hand.estimate == pytest.approx(1.5, abs=1e-12)
    assert hand.meets_minimum
    fewer = run_hand(min_n=2)
    assert fewer.horizon == 3 and fewer.meets_minimum
    none = run_hand(min_n=60)  # nothing reaches 60: the horizon with most people, flagged
    assert none.horizon == 3 and not none.meets_minimum
    assert not none.horizons["reportable"].any()


def test_result_shape(hand):
    assert isinstance(hand, MatchedDiDResult)
    frame = hand.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert list(frame["term"]) == ["3 months", "9 months"]
    assert hand.at(3).estimate == pytest.approx(0.125, abs=1e-12)
    with pytest.raises(KeyError):
        hand.at(4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hand.estimate = 0.0  # type: ignore[misc]
    assert "n_matched" in hand.diagnostics()
    assert "9 months" in hand.summary()


def test_pre_history_covariate_is_derived():
    participants, pool, outcomes = hand_inputs()
    result = matched_did(
        participants,
        pool,
        outcomes,
        covariates=["x", PRE_HISTORY],
        exact=None,
        caliper=None,
        horizons=(3,),
        min_n=1,
    )
    assert PRE_HISTORY in set(result.balance["covariate"])


def test_a_trait_no_participant_has_shows_before_matching_but_is_never_matched():
    # C5 is the only veteran: no participant is one. C5 stays in the comparison before
    # matching (balance "before", naive difference) but has propensity 0, so the pairs
    # are those of the hand example and C5 is not counted among the people available.
    participants, pool, outcomes = hand_inputs()
    participants, pool = participants.assign(veteran=0), pool.assign(veteran=[0, 0, 0, 0, 1])
    result = matched_did(
        participants,
        pool,
        outcomes,
        covariates=["x", "veteran"],
        exact=None,
        ratio=1,
        caliper=None,
        horizons=(3, 9),
        min_n=1,
    )
    hand = run_hand()
    pd.testing.assert_frame_equal(result.horizons, hand.horizons)
    balance = result.balance.set_index("covariate")
    # before: participants 0 of 2 veterans, comparison rows 2 of 10 (C5 in both cohorts)
    assert balance.loc["veteran", "smd_before"] == pytest.approx(-0.2 / np.sqrt(0.16 / 2), rel=1e-12)
    assert balance.loc["veteran", "smd_after"] == 0
    assert result.n_pool == 4


@pytest.mark.parametrize(
    ("column", "value", "band"),
    [
        ("age", 16, "16_to_24"),
        ("age", 24, "16_to_24"),
        ("age", 25, "25_to_34"),
        ("age", 54, "45_to_54"),
        ("age", 55, "55_and_over"),
        ("age", 66, "55_and_over"),
        ("months_since_last_worked", 0, "up_to_12_months"),
        ("months_since_last_worked", 12, "up_to_12_months"),
        ("months_since_last_worked", 13, "13_to_24_months"),
        ("months_since_last_worked", 24, "13_to_24_months"),
        ("months_since_last_worked", 25, "25_to_60_months"),
        ("months_since_last_worked", 61, "over_60_months"),
        ("months_since_last_worked", 599, "over_60_months"),
        ("months_since_last_worked", 600, "never_worked"),  # the contract's code for never
    ],
)
def test_band_edges(column, value, band):
    name, _ = BANDED_COLUMNS[column]
    people = pd.DataFrame({column: [value, None]}, dtype="Int64")
    covariates = _covariate_frame(people, [column])
    assert covariates[name].iloc[0] == band
    assert pd.isna(covariates[name].iloc[1])  # a missing value has no band


def test_age_and_time_out_of_work_also_enter_as_bands(programme):
    # Selection and employment change in steps (under 25, 55 and over, more than two years
    # out of work, never worked) that a straight line in age or log months cannot follow:
    # the bands enter the score and the balance table, beside the numbers themselves.
    result = estimate_activity(programme, "vcse_small_grants", seed=1).matched
    names = set(result.balance["covariate"])
    assert {"age", "log1p_months_since_last_worked", "employed_m1", "benefit_m6", "recent_job_loss"} <= names
    assert {f"age_band={label}" for _, label in AGE_BANDS} <= names
    assert {f"time_since_last_worked={label}" for _, label in WORK_GAP_BANDS} <= names
    assert result.covariates == DEFAULT_COVARIATES


def test_inputs_not_mutated():
    participants, pool, outcomes = hand_inputs()
    copies = [frame.copy(deep=True) for frame in (participants, pool, outcomes)]
    matched_did(
        participants,
        pool,
        outcomes,
        covariates=["x"],
        exact=None,
        caliper=None,
        horizons=(3, 9),
        min_n=1,
    )
    for before, after in zip(copies, (participants, pool, outcomes), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_row_order_changes_nothing(hand):
    participants, pool, outcomes = hand_inputs()
    rng = np.random.default_rng(5)
    shuffled = [f.sample(frac=1, random_state=rng) for f in (participants, pool, outcomes)]
    again = matched_did(
        *shuffled, covariates=["x"], exact=None, ratio=1, caliper=None, horizons=(3, 9), min_n=1
    )
    pd.testing.assert_frame_equal(again.horizons, hand.horizons)
    pd.testing.assert_frame_equal(again.event_time, hand.event_time)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"horizons": ()}, ValueError),
        ({"horizons": (-1,)}, ValueError),
        ({"pre_months": 0}, ValueError),
        ({"ratio": 0}, ValueError),
        ({"alpha": 1.5}, ValueError),
        ({"covariates": ["missing_column"]}, KeyError),
    ],
)
def test_bad_arguments_are_refused(change, error):
    with pytest.raises(error):
        run_hand(**change)


def test_duplicate_participants_are_refused():
    participants, pool, outcomes = hand_inputs()
    doubled = pd.concat([participants, participants.iloc[[1]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than once"):
        matched_did(doubled, pool, outcomes, covariates=["x"], exact=None)


def test_no_one_followed_long_enough_is_a_design_error():
    with pytest.raises(DesignError, match="followed for 30 months"):
        run_hand(horizons=(30,))


def test_no_usable_participants_is_a_design_error():
    participants, pool, outcomes = hand_inputs()
    with pytest.raises(DesignError):
        matched_did(participants.iloc[[0]], pool, outcomes, covariates=["x"], exact=None)


def test_default_covariates_match_the_contract_columns():
    pool = synthetic.generate(1, scale=0.05, pool_size=300).tables["comparison_pool"]
    assert set(DEFAULT_COVARIATES) - {RECENT_HISTORY} <= set(pool.columns)
    assert set(FULL_HISTORY_COVARIATES) - {HISTORY} <= set(pool.columns)


# ---------------------------------------------------------------- pipeline


@pytest.fixture(scope="module")
def programme(synthetic_folder):
    return load_programme(synthetic_folder)


def test_matched_activity_with_net_impact(programme):
    found = estimate_activity(programme, "vcse_small_grants", seed=1)
    assert isinstance(found, ActivityImpact)
    assert found.status == "estimated" and found.design == "matched_comparison"
    assert found.evidence.level == 3
    assert found.headline is found.matched
    assert found.n_participants == len(programme.participants_of("vcse_small_grants"))
    assert found.spend_gbp == pytest.approx(
        programme.spend_of("vcse_small_grants")["spend_gbp"].sum(), rel=1e-12
    )
    assert found.matched.horizon in found.net_impacts
    net = found.net_impacts[found.matched.horizon]
    assert net.n_participants == found.n_participants
    assert net.effect.estimate == pytest.approx(found.matched.estimate, abs=1e-12)
    assert net.observed_rate == pytest.approx(found.matched.observed_rate, abs=1e-12)
    assert activity_sentences(found)[0] == net.sentence()
    frame = found.to_frame()
    assert {"matched DiD", "unmatched difference"} <= set(frame["method"])


def test_area_activity(programme):
    found = estimate_activity(programme, "service_redesign", seed=1)
    assert found.status == "estimated" and found.design == "did"
    assert (found.n_treated_areas, found.n_control_areas) == (7, 18)
    assert found.area is not None and found.area_twfe is not None
    assert found.area_dynamic is not None and found.area_dynamic.kind == "dynamic"
    assert found.headline.estimate == pytest.approx(found.area.estimate, abs=1e-12)
    assert found.evidence.level == 3
    assert "employment rate" in activity_sentences(found)[0]
    assert isinstance(found, AreaImpact) and not hasattr(found, "net_impacts")  # a matched field only


def test_descriptive_activity(programme):
    found = estimate_activity(programme, "lmi_hub")
    assert isinstance(found, DescriptiveImpact) and found.status == "not_estimated"
    assert found.evidence.level is None
    assert "descriptive" in found.reason
    assert found.to_frame().empty


def test_too_few_participants_is_stated_not_estimated(programme):
    strict = DisclosurePolicy(min_impact_n=100_000)
    found = estimate_activity(programme, "vcse_small_grants", policy=strict)
    assert found.status == "not_estimated"
    assert found.matched is None
    assert "Fewer than 100000 participants" in found.reason
    assert activity_sentences(found)[0].startswith("The impact of this activity was not estimated: fewer")


def test_pipeline_does_not_mutate_the_programme(programme):
    before = {name: table.copy(deep=True) for name, table in programme.tables.items()}
    estimate_activity(programme, "vcse_small_grants", seed=1)
    estimate_activity(programme, "service_redesign", seed=1)
    for name, table in programme.tables.items():
        pd.testing.assert_frame_equal(before[name], table)
