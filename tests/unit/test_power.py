"""Minimum detectable effects and sample sizes against statsmodels.stats.power, a noncentral-t
closed form and a Monte Carlo of the two-proportion z-test; and the sentence that reports them.

References: statsmodels.stats.power (NormalIndPower, TTestIndPower) and
statsmodels.stats.proportion (proportion_effectsize, proportions_ztest); Cohen (1988),
Statistical Power Analysis for the Behavioral Sciences, ch. 6 (h = 2 asin sqrt p1 - 2 asin sqrt p0).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from evaluation.disclosure import DisclosurePolicy
from evaluation.errors import OptionError
from evaluation.matched import matched_comparison
from evaluation.power import (
    area_minimum_detectable_effect,
    design_effect,
    minimum_detectable_effect,
    participants_needed,
)
from evaluation.report.power_words import detectable_effect_sentence, participants_needed_sentence

MATCHING_RATIO = inspect.signature(matched_comparison).parameters["ratio"].default  # 1:10
REPS = 400  # Monte Carlo SE of a rejection rate near 0.8: sqrt(0.8 x 0.2 / 400) = 0.020


def rejection_rate(n_treated, n_comparison, p_treated, p_comparison, seed):
    """Share of REPS simulated studies in which the pooled two-proportion z-test rejects at 5%."""
    rng = np.random.default_rng(seed)
    treated = rng.binomial(n_treated, p_treated, REPS)
    comparison = rng.binomial(n_comparison, p_comparison, REPS)
    p_values = [
        proportions_ztest([a, b], [n_treated, n_comparison])[1]
        for a, b in zip(treated, comparison, strict=True)
    ]
    return float(np.mean(np.asarray(p_values) < 0.05))


# ----------------------------------------------------------------------------- against statsmodels


@pytest.mark.parametrize(
    ("n", "ratio", "base"), [(60, 10, 0.10), (70, 4, 0.10), (200, 2, 0.30), (500, 1, 0.55)]
)
def test_mde_has_the_stated_power_in_statsmodels(n, ratio, base):
    result = minimum_detectable_effect(n, ratio=ratio, base_rate=base)
    h = NormalIndPower().solve_power(effect_size=None, nobs1=n, alpha=0.05, power=0.8, ratio=ratio)
    assert result.cohens_h == pytest.approx(h, rel=1e-6)
    for change in (result.difference, -result.difference_down):
        effect = abs(proportion_effectsize(base + change, base))
        assert NormalIndPower().power(effect, nobs1=n, alpha=0.05, ratio=ratio) == pytest.approx(
            0.8, abs=1e-5
        )
    # The arcsine scale is steeper towards 0 and 1: a move away from the nearer end is harder to see.
    assert (result.difference > result.difference_down) == (base < 0.5)


def test_participants_needed_is_statsmodels_sample_size_and_inverts_the_mde():
    needed = participants_needed(0.05, ratio=10, base_rate=0.10)
    h = abs(proportion_effectsize(0.15, 0.10))
    nobs1 = NormalIndPower().solve_power(effect_size=h, nobs1=None, alpha=0.05, power=0.8, ratio=10)
    assert needed.exact == pytest.approx(nobs1, rel=1e-6)
    assert needed.participants == math.ceil(nobs1) and needed.comparison == 10 * needed.participants
    back = minimum_detectable_effect(needed.participants, ratio=10, base_rate=0.10)
    assert (
        back.difference
        <= 0.05
        < minimum_detectable_effect(needed.participants - 1, ratio=10, base_rate=0.10).difference
    )


def test_repeated_months_count_through_the_design_effect():
    one = minimum_detectable_effect(60, ratio=10, base_rate=0.1)
    independent = minimum_detectable_effect(60, ratio=10, base_rate=0.1, n_periods=6)
    same_person = minimum_detectable_effect(
        60, ratio=10, base_rate=0.1, n_periods=6, within_person_correlation=1.0
    )
    assert independent.cohens_h == pytest.approx(
        minimum_detectable_effect(360, ratio=10, base_rate=0.1).cohens_h
    )
    assert same_person.difference == pytest.approx(one.difference)
    assert design_effect(6, 0.5) == 3.5
    halfway = minimum_detectable_effect(
        60, ratio=10, base_rate=0.1, n_periods=6, within_person_correlation=0.5
    )
    assert halfway.effective_n_treated == pytest.approx(60 * 6 / 3.5)
    needed = participants_needed(0.05, ratio=10, base_rate=0.1, n_periods=6, within_person_correlation=0.5)
    assert needed.exact == pytest.approx(participants_needed(0.05, ratio=10, base_rate=0.1).exact * 3.5 / 6)


@pytest.mark.parametrize(("treated", "control"), [(2, 2), (5, 20), (12, 30)])
def test_area_mde_is_a_two_sample_t_test_on_g_minus_2_df(treated, control):
    result = area_minimum_detectable_effect(treated, control, sd_area=0.02)
    d = TTestIndPower().solve_power(
        effect_size=None, nobs1=treated, alpha=0.05, power=0.8, ratio=control / treated
    )
    assert result.standardized == pytest.approx(d, rel=1e-6)
    assert result.difference == pytest.approx(d * 0.02, rel=1e-6)
    # Independent closed form: two-sided power of the noncentral t on G - 2 df.
    df = treated + control - 2
    noncentrality = result.standardized * math.sqrt(treated * control / (treated + control))
    critical = stats.t.ppf(0.975, df)
    power = stats.nct.sf(critical, df, noncentrality) + stats.nct.cdf(-critical, df, noncentrality)
    assert result.degrees_of_freedom == df and power == pytest.approx(0.8, abs=1e-6)


# ----------------------------------------------------------------------------- Monte Carlo


def test_at_the_mde_a_z_test_rejects_at_about_the_nominal_power():
    """400 simulated studies: the rejection rate is within 3 Monte Carlo SEs (0.06) of 0.80.

    With 200 participants, 400 comparisons and a 30% base rate the normal approximation is
    good (20,000 replications, not run here: 0.806); the z-test is the pooled two-proportion test.
    """
    result = minimum_detectable_effect(200, ratio=2, base_rate=0.30)
    rate = rejection_rate(200, 400, 0.30 + result.difference, 0.30, seed=20240601)
    assert abs(rate - 0.80) <= 0.06
    null = rejection_rate(200, 400, 0.30, 0.30, seed=20240602)
    assert abs(null - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / REPS)  # size about 5% (0.033)


def test_the_issues_pilot_of_60_people_at_a_10_percent_base_rate():
    """The issue: a 60-person pilot at a 10% base rate can detect only about 11-15 points.

    Assumptions that give it: two-sided 5% test, 80% power, one outcome month per person, and
    `evaluation.matched`'s default of up to 10 comparisons per participant. Our arcsine-scale
    MDE is 14 points (13 with unlimited comparisons, 20 with 1:1 pairs). The linear
    approximation with the base rate's variance, (z_0.975 + z_0.8) sqrt(p0 (1 - p0) (1/60 +
    1/600)), gives the lower end, 11 points, but too little power: 400 simulated studies
    (20,000, not run here: 0.71 at 11.4 points, 0.84 at 14.0).
    """
    assert MATCHING_RATIO == 10
    mde = minimum_detectable_effect(60, ratio=MATCHING_RATIO, base_rate=0.10)
    assert 0.11 <= mde.difference <= 0.15 and round(100 * mde.difference) == 14
    assert round(100 * minimum_detectable_effect(60, ratio=1e6, base_rate=0.10).difference) == 13
    assert round(100 * minimum_detectable_effect(60, ratio=1, base_rate=0.10).difference) == 20
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    linear = z * math.sqrt(0.10 * 0.90 * (1 / 60 + 1 / 600))
    assert round(100 * linear) == 11
    at_mde = rejection_rate(60, 600, 0.10 + mde.difference, 0.10, seed=11)
    at_linear = rejection_rate(60, 600, 0.10 + linear, 0.10, seed=12)
    assert at_mde >= 0.80 - 0.06  # not optimistic: at least the nominal power less 3 MC SEs
    assert at_linear <= 0.80 - 0.06  # the linear figure overstates what 60 people can detect


# ----------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    "call",
    [
        lambda: minimum_detectable_effect(1, ratio=1, base_rate=0.1),
        lambda: minimum_detectable_effect(60, ratio=0, base_rate=0.1),
        lambda: minimum_detectable_effect(60, ratio=1, base_rate=1.0),
        lambda: minimum_detectable_effect(60, ratio=1, base_rate=0.1, power=0.01),
        lambda: minimum_detectable_effect(60, ratio=1, base_rate=0.1, within_person_correlation=1.5),
        lambda: participants_needed(0.0, ratio=1, base_rate=0.1),
        lambda: participants_needed(0.95, ratio=1, base_rate=0.1),
        lambda: area_minimum_detectable_effect(1, 1, sd_area=0.02),
        lambda: area_minimum_detectable_effect(5, 5, sd_area=0.0),
    ],
)
def test_impossible_designs_are_option_errors(call):
    with pytest.raises(OptionError):
        call()


def test_too_few_participants_to_detect_any_rise():
    assert minimum_detectable_effect(2, ratio=1, base_rate=0.1).difference == math.inf


# ----------------------------------------------------------------------------- the sentence


def test_the_sentence_beside_a_not_significant_verdict():
    mde = minimum_detectable_effect(70, ratio=4, base_rate=0.10)
    assert round(100 * mde.difference) == 14
    assert detectable_effect_sentence(72, mde.difference) == (
        "With about 70 participants this analysis could only detect effects of 14 percentage points or more."
    )


def test_the_sentence_follows_the_disclosure_rules_and_the_report_formatting():
    assert detectable_effect_sentence(73, 0.14).startswith("With about 75 participants ")
    assert detectable_effect_sentence(1234, 0.03).startswith("With about 1,235 participants ")
    assert detectable_effect_sentence(7, 0.5).startswith("With fewer than 10 participants ")
    assert detectable_effect_sentence(73, 0.14, DisclosurePolicy(rounding_base=1)).startswith(
        "With about 73 "
    )
    assert "effects of 0.4 percentage points or more" in detectable_effect_sentence(5000, 0.004)
    assert "effects of 1 percentage point or more" in detectable_effect_sentence(5000, 0.0101)
    assert detectable_effect_sentence(12, math.inf) == (
        "With about 10 participants this analysis could not reliably detect an effect of any size."
    )
    with pytest.raises(OptionError):
        detectable_effect_sentence(70, float("nan"))


def test_the_prospective_sentence():
    needed = participants_needed(0.05, ratio=10, base_rate=0.10)
    assert participants_needed_sentence(0.05, needed.participants) == (
        f"To detect an effect of 5 percentage points, an activity would need at least {needed.participants} "
        "participants."
    )
    assert needed.participants == 375
