"""Checks that the simulation DGP (tests/simulation/dgp.py) does what its docstring says."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from evaluation.contracts import check_tables
from tests.simulation.dgp import (
    ACTIVITY_ID,
    FIRST_MONTH,
    HORIZONS,
    N_MONTHS,
    SCENARIOS,
    WINDOW_LENGTH,
    WINDOW_START,
    SimulatedProgramme,
    simulate,
)

SEEDS = (11, 12)
PRE_PERIOD_END = FIRST_MONTH + pd.DateOffset(months=WINDOW_START - 2)  # before anyone's dip


def month_index(dates: pd.Series) -> np.ndarray:
    """Months since FIRST_MONTH."""
    return ((dates.dt.year - FIRST_MONTH.year) * 12 + dates.dt.month - FIRST_MONTH.month).to_numpy()


def event_time_employment(sim: SimulatedProgramme) -> pd.Series:
    """Participants' employment rate by month relative to the referral month."""
    referred = sim.participants[["person_id", "referred_date"]]
    rows = sim.outcomes.merge(referred, on="person_id")
    relative = month_index(rows["month"]) - month_index(rows["referred_date"])
    return rows["employed"].groupby(relative).mean()


def pooled_event_time(**kwargs) -> pd.Series:
    return pd.concat([event_time_employment(simulate(s, **kwargs)) for s in SEEDS], axis=1).mean(axis=1)


@pytest.fixture(scope="module")
def default_sim() -> SimulatedProgramme:
    return simulate(3)


@pytest.fixture(scope="module")
def traits_check() -> dict[float, float]:
    """Participant-minus-pool gap in pre-period employment, adjusted for observed traits, by `unobserved`."""
    gaps = {}
    for unobserved in (0.0, 1.0):
        adjusted = []
        for seed in SEEDS:
            sim = simulate(seed, dip=0.0, unobserved=unobserved, n_participants=1000)
            adjusted.append(_adjusted_gap(sim))
        gaps[unobserved] = float(np.mean(adjusted))
    return gaps


def _adjusted_gap(sim: SimulatedProgramme) -> float:
    """OLS coefficient on 'participant' of mean pre-period employment on observed traits (not history)."""
    people = pd.concat(
        [sim.participants.assign(participant=1), sim.comparison_pool.assign(participant=0)], ignore_index=True
    )
    early = sim.outcomes[sim.outcomes["month"] < PRE_PERIOD_END]
    pre = early.groupby("person_id")["employed"].mean()
    y = people["person_id"].map(pre).to_numpy(dtype=float)
    categorical = ["sex", "ethnic_group", "health_condition", "la_code"]
    flags = ["disabled", "carer", "parent", "neurodivergent", "veteran", "social_housing"]
    age = people["age"].to_numpy(dtype=float)
    x = pd.concat(
        [
            people[["participant", *flags]].astype(float),
            pd.get_dummies(people[categorical], drop_first=True, dtype=float),
            pd.DataFrame({"age": age, "age2": (age - 40) ** 2}),
        ],
        axis=1,
    )
    design = np.column_stack([np.ones(len(x)), x.to_numpy()])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(coef[1])


# --- shape and contracts ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_satisfies_the_data_contracts(name):
    sim = simulate(1, **{"n_participants": 150, **SCENARIOS[name]})  # smaller than the default: faster
    tables = {
        "participants": sim.participants,
        "comparison_pool": sim.comparison_pool,
        "outcomes_monthly": sim.outcomes,
    }
    typed = check_tables(tables)  # raises ContractError listing every broken rule
    assert {k: len(v) for k, v in typed.items()} == {k: len(v) for k, v in tables.items()}


def test_scenarios_are_the_agreed_presets():
    assert set(SCENARIOS) == {"dip_and_unobserved", "unobserved_only", "true_zero", "small_group"}
    assert SCENARIOS["dip_and_unobserved"]["effect"] == 0.08
    assert SCENARIOS["unobserved_only"]["dip"] == 0.0
    assert SCENARIOS["true_zero"]["effect"] == 0.0 and SCENARIOS["true_zero"]["dip"] > 0
    assert SCENARIOS["true_zero"]["unobserved"] > 0
    small = simulate(2, **SCENARIOS["small_group"])
    assert len(small.participants) == 60 and len(small.comparison_pool) == 8 * 60


def test_group_sizes_are_exact_and_groups_disjoint(default_sim):
    participants, pool = default_sim.participants, default_sim.comparison_pool
    assert len(participants) == 500 and len(pool) == 8 * 500
    assert participants["person_id"].is_unique and pool["person_id"].is_unique
    assert not set(participants["person_id"]) & set(pool["person_id"])
    assert (participants["activity_id"] == ACTIVITY_ID).all()
    assert default_sim.design["n_participants"] == 500 and default_sim.design["effect"] == 0.08


def test_everybody_has_outcomes_every_month(default_sim):
    outcomes = default_sim.outcomes
    months = pd.date_range(FIRST_MONTH, default_sim.last_month, freq="MS")
    assert len(months) == N_MONTHS
    people = set(default_sim.participants["person_id"]) | set(default_sim.comparison_pool["person_id"])
    assert set(outcomes["person_id"]) == people
    assert len(outcomes) == len(people) * N_MONTHS
    assert not outcomes.duplicated(["person_id", "month"]).any()
    assert set(outcomes["month"]) == set(months)
    for column in ("employed", "on_out_of_work_benefit"):
        assert set(outcomes[column].unique()) <= {0, 1}
        assert pd.api.types.is_integer_dtype(outcomes[column])


def test_referral_window_leaves_two_years_before_and_a_year_after(default_sim):
    referred = month_index(default_sim.participants["referred_date"])
    assert referred.min() >= WINDOW_START and referred.max() <= WINDOW_START + WINDOW_LENGTH - 1
    assert referred.max() + max(HORIZONS) <= N_MONTHS - 1
    assert len(np.unique(referred)) == WINDOW_LENGTH  # referral spread over the whole window


def test_months_since_last_worked_agrees_with_the_history(default_sim):
    """Recorded at referral: the months since the last month in work, counted at the month before."""
    p = default_sim.participants
    wide = default_sim.outcomes.pivot(index="person_id", columns="month", values="employed").loc[
        p["person_id"]
    ]
    y = wide.to_numpy()
    before = month_index(p["referred_date"]) - 1
    since = p["months_since_last_worked"].to_numpy()
    rows = np.arange(len(p))
    assert (y[rows, before] == (since == 0)).all()
    short = since <= before  # the last month in work falls inside the data
    last = before[short] - since[short]
    assert (y[rows[short], last] == 1).all()
    gap_months = [y[i, a + 1 : b + 1].sum() for i, a, b in zip(rows[short], last, before[short], strict=True)]
    assert sum(gap_months) == 0
    assert (since == 600).mean() > 0.02  # some never worked


def test_benefit_follows_employment(default_sim):
    outcomes = default_sim.outcomes
    on = outcomes.groupby("employed")["on_out_of_work_benefit"].mean()
    assert on[0] > 0.7 and on[1] < 0.15


def test_same_seed_same_data_other_seed_other_data():
    first, again, other = simulate(5), simulate(5), simulate(6)
    pd.testing.assert_frame_equal(first.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(first.participants, again.participants)
    assert dict(first.truth) == dict(again.truth)
    assert not first.outcomes["employed"].equals(other.outcomes["employed"])


# --- the hard cases -----------------------------------------------------------------------


def test_ashenfelter_dip_when_dip_is_on():
    rate = pooled_event_time()
    fall = rate[-4] - rate[-1]
    assert fall > 0.08, rate.loc[-6:0]
    assert rate[-4] > rate[-3] > rate[-2] > rate[-1]
    assert rate[-1] < rate.loc[-24:-13].mean() - 0.08  # well below the participants' usual level


def test_no_dip_when_dip_is_off():
    rate = pooled_event_time(dip=0.0)
    assert abs(rate[-4] - rate[-1]) < 0.03, rate.loc[-6:0]
    assert abs(rate.loc[-3:-1].mean() - rate.loc[-12:-4].mean()) < 0.03


def test_truth_is_exactly_zero_without_an_effect():
    sim = simulate(4, **SCENARIOS["true_zero"])
    assert sorted(sim.truth) == list(HORIZONS)
    assert all(v == 0.0 for v in sim.truth.values())
    assert all(v == 0.0 for v in sim.truth_expected.values())


def test_truth_is_positive_and_grows_with_the_horizon(default_sim):
    truth, expected = default_sim.truth, default_sim.truth_expected
    assert sorted(truth) == list(HORIZONS)
    assert all(v > 0 for v in truth.values())
    assert np.mean([truth[h] for h in (10, 11, 12)]) > truth[0] + 0.03
    assert expected[0] < expected[3] < expected[6] <= expected[12] + 0.005
    assert expected[12] > expected[0] + 0.04
    # The realised truth scatters around its conditional expectation.
    assert np.mean([abs(truth[h] - expected[h]) for h in HORIZONS]) < 0.02


def test_truth_scales_with_the_effect():
    small, large = simulate(8, effect=0.04), simulate(8, effect=0.16)
    assert 1.5 < large.truth_expected[12] / small.truth_expected[12] < 5
    assert all(large.truth[h] >= small.truth[h] for h in HORIZONS)  # common random numbers: monotone


def test_unobserved_employability_separates_participants_beyond_observed_traits(traits_check):
    assert traits_check[1.0] < -0.06
    assert abs(traits_check[0.0]) < 0.025
    assert traits_check[1.0] < traits_check[0.0] - 0.05


def test_raw_pre_period_gap_is_large_with_unobserved_selection(default_sim):
    early = default_sim.outcomes[default_sim.outcomes["month"] < PRE_PERIOD_END]
    pre = early.groupby("person_id")["employed"].mean()
    gap = (
        pre[default_sim.participants["person_id"]].mean()
        - pre[default_sim.comparison_pool["person_id"]].mean()
    )
    assert gap < -0.05


# --- speed --------------------------------------------------------------------------------


def test_one_replication_is_fast():
    simulate(0)  # warm up imports and caches
    times = []
    for seed in range(3):
        start = time.perf_counter()
        simulate(seed)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.5 and max(times) < 1.0, times
