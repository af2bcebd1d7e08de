"""The synthetic programme: deterministic, shaped like the North East CA delivery plan, and
realistic where the evaluation depends on it (low retention, a large comparison pool, a year of
outcomes before every referral, never-treated comparator areas, selection into activities).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation import synthetic

SCALE = 0.3

# Source: the North East CA Economic Inactivity Trailblazer delivery plan as data,
# /work/shared/context/ne_ca_delivery_plan.csv (activity_id, activity_name, budget_gbp).
DELIVERY_PLAN = {
    "local_infrastructure": ("Local Infrastructure", 1_400_000),
    "childcare_grant": ("Mayor's Childcare Grant match fund", 350_000),
    "placements_young_adults": ("Paid work and support placements: young adults 16-24", 950_000),
    "placements_neurodivergent": (
        "Paid work and support placements: neurodivergent residents",
        875_000,
    ),
    "women": ("Women", 925_000),
    "social_housing_tenants": ("Social Housing Tenants", 875_000),
    "primary_care_pilot": ("Primary care mental and/or physical health pilot", 500_000),
    "vcse_small_grants": ("VCSE Small Grant Programme", 950_000),
    "employers": ("Employers", 875_000),
    "service_redesign": ("Local service re-design: health and employment integration", 1_200_000),
    "carers_vcse": ("Carers and VCSE", 200_000),
    "lmi_hub": ("System LMI Hub and data sharing", 350_000),
    "external_evaluation": ("External evaluation", 100_000),
}
# The seven constituent local authorities of the North East Combined Authority (ONS codes).
NE_CA_AREAS = {
    "E06000047": "County Durham",
    "E08000037": "Gateshead",
    "E08000021": "Newcastle upon Tyne",
    "E08000022": "North Tyneside",
    "E06000057": "Northumberland",
    "E08000023": "South Tyneside",
    "E08000024": "Sunderland",
}


@pytest.fixture(scope="module")
def programme() -> synthetic.SyntheticProgramme:
    return synthetic.generate(2025, scale=SCALE)


@pytest.fixture(scope="module")
def employment(programme) -> pd.DataFrame:
    """People x months of the employed flag."""
    outcomes = programme.tables["outcomes_monthly"]
    return outcomes.pivot(index="person_id", columns="month", values="employed")


def _individual(programme) -> pd.DataFrame:
    people = programme.tables["participants"]
    return people[people["activity_id"].isin(synthetic.INDIVIDUAL_TRUTH)]


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_identical_tables():
    first, second = synthetic.generate(11, scale=0.1), synthetic.generate(11, scale=0.1)
    assert first.tables.keys() == second.tables.keys()
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, second.tables[name], obj=name)
    pd.testing.assert_frame_equal(first.true_effects, second.true_effects)


def test_different_seeds_give_different_people():
    first, second = synthetic.generate(11, scale=0.1), synthetic.generate(12, scale=0.1)
    for name in ("participants", "outcomes_monthly", "comparison_pool"):
        assert not first.tables[name].equals(second.tables[name]), name


def test_write_is_deterministic_byte_for_byte(tmp_path):
    one = synthetic.write(tmp_path / "one", 5, scale=0.05)
    two = synthetic.write(tmp_path / "two", 5, scale=0.05)
    for path in sorted(one.iterdir()):
        assert path.read_bytes() == (two / path.name).read_bytes(), path.name


# --- the delivery plan ---------------------------------------------------------------------


def test_thirteen_activities_with_real_names_and_budgets(programme):
    plan = programme.tables["delivery_plan"]
    assert len(plan) == 13
    found = {row.activity_id: (row.activity_name, row.budget_gbp) for row in plan.itertuples(index=False)}
    assert found == DELIVERY_PLAN


def test_every_activity_has_a_true_effect_row(programme):
    truth = programme.true_effects.set_index("activity_id")
    assert set(truth.index) == set(DELIVERY_PLAN)
    for activity_id, effect in synthetic.INDIVIDUAL_TRUTH.items():
        assert truth.loc[activity_id, "long_run_effect"] == effect.tau
        assert truth.loc[activity_id, "effect_6m"] == pytest.approx(
            synthetic.effect_at(effect.tau, 6), abs=1e-12
        )


def test_the_seven_programme_local_authorities(programme):
    assert synthetic.PROGRAMME_AREAS == NE_CA_AREAS
    for table in ("participants", "comparison_pool"):
        assert set(programme.tables[table]["la_code"]) == set(NE_CA_AREAS), table


# --- participants --------------------------------------------------------------------------


def test_every_individual_activity_recruits(programme):
    counts = programme.tables["participants"]["activity_id"].value_counts()
    assert set(counts.index) == set(synthetic.INDIVIDUAL_TRUTH)
    plan = programme.tables["delivery_plan"].set_index("activity_id")
    for activity_id, n in counts.items():
        # recruits 105-135% of the (scaled) target
        target = plan.loc[activity_id, "target_participants"] * SCALE
        assert 1.0 * target <= n <= 1.4 * target + 1, activity_id


def test_retention_from_referral_to_job_start_below_half_for_every_activity(programme):
    people = programme.tables["participants"]
    retention = people.groupby("activity_id")["job_start_date"].apply(lambda s: s.notna().mean())
    assert len(retention) == len(synthetic.INDIVIDUAL_TRUTH)
    assert (retention < 0.5).all(), retention.to_dict()
    assert (retention > 0).all(), retention.to_dict()  # some people do find work


def test_stage_counts_never_rise_through_the_funnel(programme):
    people = programme.tables["participants"]
    stages = ["referred_date", "engaged_date", "started_date", "job_start_date"]
    for activity_id, group in people.groupby("activity_id"):
        counts = [group[s].notna().sum() for s in stages]
        assert counts == sorted(counts, reverse=True), activity_id


def test_comparison_pool_several_times_larger_than_participants(programme):
    pool, people = programme.tables["comparison_pool"], programme.tables["participants"]
    assert len(pool) >= 5 * len(people)
    assert not set(pool["person_id"]) & set(people["person_id"])


def test_outcomes_cover_twelve_months_before_every_referral(programme, employment):
    people = programme.tables["participants"]
    referral_month = people["referred_date"].dt.to_period("M").dt.to_timestamp()
    for person_id, month in zip(people["person_id"], referral_month, strict=True):
        wanted = pd.date_range(month - pd.DateOffset(months=12), month, freq="MS")
        covered = employment.loc[person_id].reindex(wanted)
        assert covered.notna().all(), person_id


def test_outcomes_cover_every_pool_member_every_month(programme, employment):
    pool_ids = programme.tables["comparison_pool"]["person_id"]
    assert employment.loc[pool_ids].notna().all().all()


# --- areas ---------------------------------------------------------------------------------


def test_area_panel_has_comparator_areas_never_treated(programme):
    panel = programme.tables["area_panel"]
    area_level = set(synthetic.AREA_TRUTH)
    assert set(panel["activity_id"]) == area_level
    for activity_id, group in panel.groupby("activity_id"):
        never = set(group.loc[group["first_treated_period"].isna(), "la_code"])
        treated = set(group.loc[group["first_treated_period"].notna(), "la_code"])
        assert treated == set(NE_CA_AREAS), activity_id
        assert len(never) >= 10, activity_id
        assert not never & set(NE_CA_AREAS), activity_id
        # every area has every period, so the panel is balanced
        assert group.groupby("la_code").size().nunique() == 1


# --- selection into activities -------------------------------------------------------------


def _two_proportion_z(a: pd.Series, b: pd.Series) -> float:
    p1, p2 = a.mean(), b.mean()
    pooled = (a.sum() + b.sum()) / (len(a) + len(b))
    return (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))


def test_participants_differ_from_the_pool_on_observables(programme):
    """Selection on observables: participants have more health conditions and longer out of work."""
    people, pool = _individual(programme), programme.tables["comparison_pool"]
    for trait in (
        lambda f: f["health_condition"] != "none",
        lambda f: f["months_since_last_worked"] > 24,
    ):
        assert _two_proportion_z(trait(people), trait(pool)) > 3


@pytest.mark.parametrize(
    ("activity_id", "trait"),
    [
        ("placements_young_adults", lambda f: f["age"] < 25),
        ("placements_neurodivergent", lambda f: f["neurodivergent"] == 1),
        ("women", lambda f: f["sex"] == "female"),
        ("social_housing_tenants", lambda f: f["social_housing"] == 1),
        ("childcare_grant", lambda f: f["parent"] == 1),
    ],
)
def test_targeted_activities_recruit_their_target_group(programme, activity_id, trait):
    people = programme.tables["participants"]
    people = people[people["activity_id"] == activity_id]
    pool = programme.tables["comparison_pool"]
    assert trait(people).mean() > trait(pool).mean() + 0.25


def test_the_observables_predict_employment_in_the_pool(programme, employment):
    """Selection on these traits matters: in the pool they go with lower employment."""
    pool = programme.tables["comparison_pool"].set_index("person_id")
    rate = employment.loc[pool.index].mean(axis=1)
    for trait in (pool["health_condition"] != "none", pool["months_since_last_worked"] > 24):
        gap = rate[~trait].mean() - rate[trait].mean()
        se = np.sqrt(rate[~trait].var() / (~trait).sum() + rate[trait].var() / trait.sum())
        assert gap > 3 * se


def _pre_referral_gaps(people: pd.DataFrame, pool: pd.DataFrame, employment: pd.DataFrame):
    """Per participant: own employment rate over the 12 months before the referral month,
    minus the pool's over the same calendar months."""
    months = employment.columns
    index = months.get_indexer(people["referred_date"].dt.to_period("M").dt.to_timestamp())
    own = employment.loc[people["person_id"]].to_numpy(float)
    pool_rate = employment.loc[pool["person_id"]].to_numpy(float).mean(axis=0)
    return np.array([own[k, i - 12 : i].mean() - pool_rate[i - 12 : i].mean() for k, i in enumerate(index)])


def test_participants_worked_less_than_the_pool_before_referral(programme, employment):
    """Selection shows in the outcome itself: before referral, participants' employment differs
    from the pool's by at least 3 points and 3 standard errors."""
    gaps = _pre_referral_gaps(_individual(programme), programme.tables["comparison_pool"], employment)
    se = gaps.std(ddof=1) / np.sqrt(len(gaps))
    assert abs(gaps.mean()) > max(0.03, 3 * se), (gaps.mean(), se)


def test_naive_comparison_is_biased_relative_to_the_true_effect(programme, employment):
    """Participants' employment 6 months after the referral month minus the pool's in the same
    calendar month misses the true 6-month effect by more than 3 standard errors."""
    people, pool = _individual(programme), programme.tables["comparison_pool"]
    months = employment.columns
    index = months.get_indexer(people["referred_date"].dt.to_period("M").dt.to_timestamp())
    followed = index + 6 < len(months)
    own = employment.loc[people["person_id"]].to_numpy(float)[followed, index[followed] + 6]
    pool_rate = employment.loc[pool["person_id"]].to_numpy(float).mean(axis=0)[index[followed] + 6]
    naive = own - pool_rate
    truth = people["activity_id"].map(programme.true_effects.set_index("activity_id")["effect_6m"])
    true_effect = truth[followed].mean()
    se = naive.std(ddof=1) / np.sqrt(len(naive))
    assert abs(naive.mean() - true_effect) > 3 * se, (naive.mean(), true_effect, se)
