"""`matched_horizons` (what a placebo referral and a sensitivity candidate publish) gives the
numbers `matched_comparison` gives at the same horizons, without estimating the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import DesignError
from evaluation.matched import matched_comparison, matched_horizons
from evaluation.stacking import POOL_SAMPLE, stacked_people
from tests.unit import matched_golden as golden

ACTIVITY = "placements_neurodivergent"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    programme = golden.programme(tmp_path_factory.mktemp("horizons"), scale=0.3)
    people = programme.participants_of(ACTIVITY)
    pool = programme.comparison_pool
    wanted = stacked_people(
        people, pool, exact=("la_code",), person="person_id", pool_sample=POOL_SAMPLE, seed=3
    )
    return people, pool, programme.outcomes_of(wanted), programme.last_outcome_month


@pytest.mark.parametrize("options", [{"anchor_shift": 12, "horizons": range(6)}, {"estimator": "did"}])
def test_the_horizons_equal_the_full_estimate(data, options):
    people, pool, outcomes, last = data
    common = {"seed": 3, "min_n": 10, "last_month": last, **options}
    full = matched_comparison(people, pool, outcomes, **common)
    lean = matched_horizons(people, pool, outcomes, **common)
    columns = ["horizon", "estimate", "std_error", "ci_lower", "ci_upper", "n", "p_value", "reportable"]
    pd.testing.assert_frame_equal(lean.horizons[columns], full.horizons[columns], rtol=1e-12)
    assert lean.horizons_test is not None and full.horizons_test is not None
    assert lean.horizons_test.df == full.horizons_test.df
    np.testing.assert_allclose(lean.horizons_test.statistic, full.horizons_test.statistic, rtol=1e-10)


def test_the_same_options_are_refused(data):
    people, pool, outcomes, _ = data
    with pytest.raises(TypeError):
        matched_horizons(people, pool, outcomes, not_an_option=1)
    with pytest.raises(DesignError):
        matched_horizons(people.iloc[:0], pool, outcomes)
