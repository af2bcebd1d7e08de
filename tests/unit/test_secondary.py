"""Secondary outcomes on the headline's matched sample (`evaluation.secondary`): the same rows,
weights and estimator as the headline, so an outcome identical to employment gives the headline
itself, and its opposite gives the headline with its sign turned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.histories import outcome_matrix
from evaluation.matched import matched_comparison
from evaluation.programme import load_programme
from evaluation.secondary import SUSTAINED, sustained

ACTIVITY = "social_housing_tenants"


@pytest.fixture(scope="module")
def estimate(synthetic_folder):
    programme = load_programme(synthetic_folder)
    outcomes = programme.outcomes_monthly.assign(
        economically_active=programme.outcomes_monthly["employed"],
        on_out_of_work_benefit=1 - programme.outcomes_monthly["employed"],
    )
    people = programme.participants_of(ACTIVITY)
    return matched_comparison(people, programme.comparison_pool, outcomes, secondary=True, seed=3)


def test_an_outcome_equal_to_employment_gives_the_headline(estimate):
    row = estimate.secondary.set_index("outcome").loc["economically_active"]
    assert row["estimate"] == pytest.approx(estimate.estimate, abs=1e-12)
    assert row["std_error"] == pytest.approx(estimate.std_error, abs=1e-12)
    assert row["n"] == estimate.n
    assert row["horizon"] == estimate.horizon


def test_its_opposite_gives_the_headline_with_its_sign_turned(estimate):
    row = estimate.secondary.set_index("outcome").loc["on_out_of_work_benefit"]
    assert row["estimate"] == pytest.approx(-estimate.estimate, abs=1e-12)
    assert row["std_error"] == pytest.approx(estimate.std_error, abs=1e-12)
    assert row["participants_level"] == pytest.approx(1 - estimate.observed_rate, abs=1e-12)


def test_every_available_secondary_outcome_is_estimated_once(estimate):
    names = estimate.secondary["outcome"].tolist()
    assert names == ["on_out_of_work_benefit", SUSTAINED, "earnings_gbp", "economically_active"]
    assert estimate.secondary[["estimate", "std_error", "p_value"]].notna().all().all()


def test_sustained_employment_counts_four_of_the_last_six_months():
    months = pd.date_range("2024-01-01", periods=9, freq="MS")
    histories = {"a": [1, 1, 0, 1, 1, 0, 0, 1, 1], "b": [1, 1, 1, np.nan, 1, 1, 1, 1, 1]}
    frame = pd.DataFrame(
        [(p, m, v) for p, values in histories.items() for m, v in zip(months, values, strict=True)],
        columns=["person_id", "month", "employed"],
    ).dropna()
    codes = months.year * 12 + months.month - 1
    data = outcome_matrix(
        frame, ["a", "b"], person="person_id", month="month", outcome="employed", last_code=int(codes.max())
    )
    found = sustained(data).wide
    # a: the windows ending at months 6, 7, 8 and 9 hold 4, 3, 3 and 4 months in work
    np.testing.assert_array_equal(found[0], [np.nan] * 5 + [1, 0, 0, 1])
    # b: every six-month window up to month 9 includes the unknown 4th month
    assert np.isnan(found[1]).all()
