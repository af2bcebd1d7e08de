"""A very large comparison pool is sampled before stacking (issue 13, item 3), and the report says so.

Above `pool_sample` comparison people in the participants' strata, `matched_comparison` stacks a
seeded simple random sample of that many of them; below it, the pool is used whole and nothing
changes (the default programme's numbers are pinned by test_matched_golden.py). The sampled
estimate is checked against the estimator run by hand on the same sample drawn independently,
and the methods sentence against the numbers it states.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.matched import matched_comparison
from evaluation.programme import load_programme
from evaluation.report.matched_sections import pool_sample_sentence
from evaluation.stacking import DEFAULT_COVARIATES, POOL_SAMPLE, matched_sample, sampled_pool

ACTIVITY = "vcse_small_grants"
SAMPLE = 400


@pytest.fixture(scope="module")
def inputs(synthetic_folder):
    programme = load_programme(synthetic_folder)
    return programme.participants_of(ACTIVITY), programme.comparison_pool, programme.outcomes_monthly


def _candidates(people: pd.DataFrame, pool: pd.DataFrame) -> np.ndarray:
    """Pool positions of non-participants living in a participant's local authority, by hand."""
    areas = set(people["la_code"])
    ids = set(people["person_id"])
    return np.array(
        [
            i
            for i, (p, la) in enumerate(zip(pool["person_id"], pool["la_code"], strict=True))
            if la in areas and p not in ids
        ]
    )


def test_below_the_limit_the_pool_is_used_whole(inputs):
    people, pool, _ = inputs
    used = sampled_pool(people, pool, exact=("la_code",), person="person_id", pool_sample=POOL_SAMPLE, seed=1)
    assert used.frame is pool and used.sample is None
    assert used.n_candidates == len(_candidates(people, pool))
    assert POOL_SAMPLE > 15_000  # the default programme's pool is never sampled


def test_above_the_limit_a_seeded_sample_of_candidates_is_drawn(inputs):
    people, pool, _ = inputs
    candidates = _candidates(people, pool)
    assert len(candidates) > SAMPLE
    used = sampled_pool(people, pool, exact=("la_code",), person="person_id", pool_sample=SAMPLE, seed=5)
    expected = np.sort(np.random.default_rng(5).choice(candidates, size=SAMPLE, replace=False))
    assert used.sample == SAMPLE and used.n_candidates == len(candidates) and used.seed == 5
    pd.testing.assert_frame_equal(used.frame, pool.iloc[expected])
    again = sampled_pool(people, pool, exact=("la_code",), person="person_id", pool_sample=SAMPLE, seed=5)
    other = sampled_pool(people, pool, exact=("la_code",), person="person_id", pool_sample=SAMPLE, seed=6)
    assert again.frame.equals(used.frame) and not other.frame.equals(used.frame)


def test_the_sampled_estimate_is_the_estimate_on_the_sample(inputs):
    people, pool, outcomes = inputs
    found = matched_comparison(people, pool, outcomes, seed=5, min_n=10, pool_sample=SAMPLE, subgroups=True)
    expected_rows = np.sort(
        np.random.default_rng(5).choice(_candidates(people, pool), size=SAMPLE, replace=False)
    )
    by_hand = matched_comparison(
        people, pool.iloc[expected_rows], outcomes, seed=5, min_n=10, pool_sample=None, subgroups=True
    )
    assert found.pool_sample == SAMPLE and found.pool_seed == 5
    assert found.n_pool_people == len(_candidates(people, pool)) and found.n_pool <= SAMPLE
    assert by_hand.pool_sample is None and by_hand.n_pool_people == SAMPLE
    pd.testing.assert_frame_equal(found.horizons, by_hand.horizons)
    pd.testing.assert_frame_equal(found.subgroups, by_hand.subgroups)
    assert found.n_comparisons_used == by_hand.n_comparisons_used


def test_memory_follows_the_sample_not_the_pool(inputs):
    people, pool, outcomes = inputs
    options = dict(
        covariates=DEFAULT_COVARIATES, exact=("la_code",), outcome="employed", pre_months=12, ratio=10,
        caliper=0.2, seed=5, alpha=0.05, person="person_id", referral="referred_date", month="month",
        last_month=None, baseline="auto",
    )  # fmt: skip
    sample = matched_sample(people, pool, outcomes, pool_sample=SAMPLE, **options)
    stacked = sample.stacked
    cohorts = np.unique(stacked.anchor_col[stacked.treated]).size
    assert (~stacked.treated).sum() <= SAMPLE * cohorts
    assert len(sample.data.row_of) <= len(people) + SAMPLE  # the outcome matrix: participants and the sample


def test_pool_sample_must_be_a_positive_whole_number(inputs):
    people, pool, outcomes = inputs
    for bad in (0, 2.5, True):
        with pytest.raises(OptionError, match="pool_sample"):
            matched_comparison(people, pool, outcomes, pool_sample=bad)


def test_the_methods_say_when_and_how_the_pool_was_sampled(inputs):
    people, pool, outcomes = inputs
    whole = matched_comparison(people, pool, outcomes, seed=5, min_n=10)
    assert pool_sample_sentence(whole) == ""
    sampled = dataclasses.replace(whole, n_pool_people=1_234_567, pool_sample=50_000, pool_seed=2025)
    assert pool_sample_sentence(sampled) == (
        "Comparison pool sampled: about 1,234,565 comparison people live in the participants' local "
        "authorities, more than the 50,000 the matching takes at most, so a random sample of 50,000 of "
        "them (drawn with seed 2025) was compared with the participants: the propensity score was "
        "fitted, and the matches found, among the sample."
    )
