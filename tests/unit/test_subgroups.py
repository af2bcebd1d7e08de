"""Impact by priority cohort (`evaluation.subgroups`) on the headline's matched sample."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import synthetic
from evaluation.cohorts import PRIORITY_COHORTS
from evaluation.matched import matched_comparison
from evaluation.programme import load_programme
from evaluation.subgroups import MAX_SUBGROUP_SMD

ACTIVITY = "vcse_small_grants"


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    """A full-size activity: large enough for some cohorts to be estimated (min_n 15)."""
    folder = synthetic.write(tmp_path_factory.mktemp("full"), seed=2025, pool_size=6000)
    programme = load_programme(folder)
    people = programme.participants_of(ACTIVITY)
    result = matched_comparison(
        people, programme.comparison_pool, programme.outcomes_monthly, subgroups=True, seed=3, min_n=15
    )
    return result, people


def test_every_cohort_gets_an_estimate_or_a_reason(found):
    result, _ = found
    table = result.subgroups
    assert table["cohort"].tolist() == list(PRIORITY_COHORTS)
    estimated = table["estimate"].notna()
    assert (estimated == (table["reason"] == "")).all()
    assert estimated.any() and (~estimated).any()


def test_a_cohort_too_small_says_so_with_the_minimum(found):
    result, _ = found
    small = result.subgroups[(result.subgroups["n"] < 15) | (result.subgroups["n_rest"] < 15)]
    assert len(small)
    for reason in small["reason"]:
        assert reason.startswith("too few people") and "fewer than 15 followed" in reason


def test_an_estimated_cohort_is_balanced_and_its_difference_is_from_the_rest(found):
    result, _ = found
    table = result.subgroups.dropna(subset=["estimate"])
    assert (table["max_abs_smd"] < MAX_SUBGROUP_SMD).all()
    # every participant followed is in or out, less those in the cohort with no match in it
    assert (table["n"] + table["n_rest"] <= result.n).all() and (table["n_rest"] < result.n).all()
    z = table["difference"] / table["std_error"]
    assert np.all(np.isfinite(z))
    assert table["difference_p_value"].between(0, 1).all()
    assert (table["ci_lower"] < table["estimate"]).all() and (table["estimate"] < table["ci_upper"]).all()


def test_an_unbalanced_cohort_gives_the_largest_difference_as_its_reason(found):
    result, _ = found
    unbalanced = result.subgroups[result.subgroups["reason"].str.startswith("matching does not balance")]
    for _, row in unbalanced.iterrows():
        assert row["max_abs_smd"] >= MAX_SUBGROUP_SMD
        assert f"{row['max_abs_smd']:.2f} standard deviations" in row["reason"]
