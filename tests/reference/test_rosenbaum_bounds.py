"""Rosenbaum bounds and E-values against published examples, reference packages and closed forms.

Sources:
* Hammond (1964), matched pairs of smokers and non-smokers: 122 discordant pairs, in 110 of
  which the smoker died of lung cancer. Data as cited by Rosenbaum (2002), Observational
  Studies, 2nd ed., p. 112, and by the R package rbounds (Keele), help page of `binarysens`
  (example `binarysens(12, 110)`). binarysens computes the upper bound as
  sum(dbinom(110:122, 122, Γ/(1+Γ))) (rbounds 2.2, R/binarysens.R), the binomial upper tail.
* Small, Cheng, Halloran & Rosenbaum (2013), "Case definition and design sensitivity", JASA,
  Table 1 (narrow cases): 312 matched sets of one case and four referents, the example data of
  the R package SensitivityCaseControl's `sens.analysis.mh`. The permutation structure is the
  same as one participant and four comparisons with a 0/1 outcome (case <-> participant,
  exposed <-> had the outcome), so the data exercise the 1:k bounds.
* EValue R package vignette "unmeasured-confounding" (Mathur, Smith, Ding & VanderWeele):
  evalues.RR(10.73, 8.02, 14.36) prints E-values 20.94777 and 15.52336 (Hammond & Horn).
* VanderWeele & Ding (2017), Annals of Internal Medicine 167(4):268-274, breastfeeding and
  infant respiratory death (Victora et al. 1987), RR 3.9 (95% CI 1.8 to 8.7): E-values 7.26
  and 3.0; the point value printed as 7.263034 by episensr's confounders.evalue (Haine, "New
  in episensr 0.9.3"). The EValue help page shows that 0.80 and 1/0.80 have one E-value.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from evaluation.errors import InputError, OptionError
from evaluation.sensitivity.rosenbaum import (
    e_value,
    e_value_from_difference,
    matched_set_bounds,
    mcnemar_bounds,
    risk_ratio_from_difference,
)

HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY = 110, 12
GAMMAS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)


def hammond_as_sets():
    """The 122 discordant pairs as 1:1 matched sets (participant outcome, control positives, k)."""
    treated = np.r_[np.ones(HAMMOND_SMOKER_ONLY), np.zeros(HAMMOND_NONSMOKER_ONLY)].astype(int)
    return treated, 1 - treated, np.ones(treated.size, dtype=int)


def small_et_al_sets():
    """SensitivityCaseControl's sens.analysis.mh example: case exposed, referents exposed, referents."""
    case = np.r_[np.zeros(174 + 60 + 14 + 4), np.ones(34 + 19 + 6 + 1)].astype(int)
    referents = np.r_[np.repeat([0, 1, 2, 3], [174, 60, 14, 4]), np.repeat([0, 1, 2, 3], [34, 19, 6, 1])]
    return case, referents, np.full(case.size, 4)


# ----------------------------------------------------------------------------- pairs


def test_hammond_pairs_match_the_binomial_bound_of_rbounds():
    """Rosenbaum (2002) §4.3 / rbounds binarysens: the upper bound is Binomial(D, Γ/(1+Γ))'s tail."""
    result = mcnemar_bounds(HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY, gammas=GAMMAS)
    expected_upper = [stats.binom.sf(109, 122, g / (1 + g)) for g in GAMMAS]
    expected_lower = [stats.binom.sf(109, 122, 1 / (1 + g)) for g in GAMMAS]
    np.testing.assert_allclose(result.p_upper, expected_upper, rtol=1e-12)
    np.testing.assert_allclose(result.p_lower, expected_lower, rtol=1e-12)
    # What binarysens prints (rounded to 5 places) at Γ = 4, 5, 6.
    assert [round(p, 5) for p in result.p_upper[3:]] == [0.00196, 0.02317, 0.09693]
    assert (result.statistic, result.n_informative, result.expected) == (110, 122, 61.0)


def test_hammond_at_gamma_one_is_the_exact_mcnemar_test():
    result = mcnemar_bounds(HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY, gammas=(1.0,))
    exact = stats.binomtest(110, 122, 0.5, alternative="greater").pvalue
    assert result.p_upper[0] == pytest.approx(exact, rel=1e-12)
    assert result.p_lower[0] == pytest.approx(exact, rel=1e-12)


def test_hammond_critical_gamma_is_where_the_bound_reaches_alpha():
    result = mcnemar_bounds(HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY)
    gamma = result.critical_gamma
    assert gamma is not None and 5 < gamma < 6  # significant at Γ = 5 (0.023), not at 6 (0.097)
    assert stats.binom.sf(109, 122, gamma / (1 + gamma)) == pytest.approx(0.05, abs=1e-9)
    assert gamma == pytest.approx(5.4728, abs=1e-3)


def test_the_other_direction_counts_the_other_discordant_pairs():
    down = mcnemar_bounds(HAMMOND_NONSMOKER_ONLY, HAMMOND_SMOKER_ONLY, alternative="less", gammas=GAMMAS)
    up = mcnemar_bounds(HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY, gammas=GAMMAS)
    assert down.p_upper == up.p_upper and down.critical_gamma == up.critical_gamma


def test_no_verdict_to_change_when_not_significant_without_bias():
    result = mcnemar_bounds(14, 10)
    assert result.p_upper[0] == pytest.approx(stats.binomtest(14, 24, alternative="greater").pvalue)
    assert result.critical_gamma is None and not result.significant


# ----------------------------------------------------------------------------- matched sets


def test_sets_of_one_control_reduce_to_the_pairs_bound_when_exact():
    result = matched_set_bounds(*hammond_as_sets(), gammas=GAMMAS, method="exact")
    pairs = mcnemar_bounds(HAMMOND_SMOKER_ONLY, HAMMOND_NONSMOKER_ONLY, gammas=GAMMAS)
    np.testing.assert_allclose(result.p_upper, pairs.p_upper, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(result.p_lower, pairs.p_lower, rtol=1e-6, atol=1e-15)
    assert result.critical_gamma == pytest.approx(pairs.critical_gamma, rel=1e-6)


def test_concordant_sets_carry_no_information():
    treated, positives, controls = hammond_as_sets()
    padded = matched_set_bounds(
        np.r_[treated, [1, 0, 1]], np.r_[positives, [2, 0, 3]], np.r_[controls, [2, 3, 3]], gammas=GAMMAS
    )
    plain = matched_set_bounds(treated, positives, controls, gammas=GAMMAS)
    assert padded.p_upper == plain.p_upper and padded.n_informative == plain.n_informative == 122


@pytest.mark.parametrize("correction", [False, True])
def test_one_to_k_sets_at_gamma_one_are_the_mantel_haenszel_test(correction):
    """At Γ = 1 the normal form is the one-sided Cochran-Mantel-Haenszel test (statsmodels)."""
    case, referents, k = small_et_al_sets()
    tables = [np.array([[c, 1 - c], [r, n - r]]) for c, r, n in zip(case, referents, k, strict=True)]
    cmh = StratifiedTable(tables).test_null_odds(correction=correction)
    result = matched_set_bounds(case, referents, k, gammas=(1.0,), continuity_correction=correction)
    assert result.statistic > result.expected  # the one-sided p is half the chi-squared p
    assert result.p_upper[0] == pytest.approx(cmh.pvalue / 2, rel=1e-9)
    assert result.n_informative == 312 - 174  # the 174 sets with nobody exposed carry no information
    assert result.statistic == 60


def test_one_to_k_normal_bound_is_close_to_the_exact_bound():
    case, referents, k = small_et_al_sets()
    gammas = (1.0, 1.1, 1.2, 1.3)
    normal = matched_set_bounds(case, referents, k, gammas=gammas)
    exact = matched_set_bounds(case, referents, k, gammas=gammas, method="exact")
    np.testing.assert_allclose(normal.p_upper, exact.p_upper, atol=0.01)
    assert all(np.diff(exact.p_upper) > 0) and all(np.diff(exact.p_lower) < 0)


def _worst_case_tail(sets, statistic, gamma):
    """Largest P(T >= statistic) over every hidden covariate u in {0, 1} for every person.

    Brute force over Rosenbaum's model (2002, ch. 4): in a set, person j is the participant
    with probability exp(log(Γ) u_j) / sum_k exp(log(Γ) u_k); T counts participants with the
    outcome. Independent of the closed form the module uses (u_j = outcome_j is the worst case).
    """
    best = 0.0
    per_set = [list(itertools.product([0, 1], repeat=len(outcomes))) for outcomes in sets]
    for choice in itertools.product(*per_set):
        pmf = np.ones(1)
        for outcomes, u in zip(sets, choice, strict=True):
            weights = np.power(gamma, u)
            p_one = weights[np.asarray(outcomes) == 1].sum() / weights.sum()
            pmf = np.convolve(pmf, [1 - p_one, p_one])
        best = max(best, pmf[statistic:].sum())
    return best


def test_exact_bound_is_the_worst_case_over_all_hidden_covariates():
    # Four sets: the participant's outcome first, then the comparisons' outcomes.
    sets = [(1, 0), (1, 0, 1), (0, 1, 0), (1, 0, 0)]
    treated = np.array([s[0] for s in sets])
    positives = np.array([sum(s[1:]) for s in sets])
    controls = np.array([len(s) - 1 for s in sets])
    result = matched_set_bounds(treated, positives, controls, gammas=(1.0, 1.5, 3.0), method="exact")
    for gamma, p in zip(result.gammas, result.p_upper, strict=True):
        assert p == pytest.approx(_worst_case_tail(sets, int(treated.sum()), gamma), rel=1e-9)


def test_sets_in_the_other_direction_flip_the_outcome():
    case, referents, k = small_et_al_sets()
    down = matched_set_bounds(1 - case, k - referents, k, alternative="less", gammas=(1.0, 1.2))
    up = matched_set_bounds(case, referents, k, gammas=(1.0, 1.2))
    assert down.p_upper == pytest.approx(up.p_upper) and down.statistic == up.statistic


@pytest.mark.parametrize(
    "args",
    [
        ([1, 2], [0, 0], [1, 1]),  # participant outcome not 0/1
        ([1, 0], [2, 0], [1, 1]),  # more positives than controls
        ([1, 0], [0, 0], [0, 1]),  # a set without comparisons
        ([1, 0], [0], [1, 1]),  # lengths differ
    ],
)
def test_bad_matched_sets_are_input_errors(args):
    with pytest.raises(InputError):
        matched_set_bounds(*args)


def test_bad_options_are_option_errors():
    with pytest.raises(OptionError):
        mcnemar_bounds(10, 2, gammas=(0.5,))
    with pytest.raises(OptionError):
        mcnemar_bounds(10, 2, alpha=1.5)
    with pytest.raises(OptionError):
        matched_set_bounds([1], [0], [1], method="simulated")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        mcnemar_bounds(-1, 2)


# ----------------------------------------------------------------------------- E-values


def test_e_value_of_the_evalue_vignette_smoking_example():
    result = e_value(10.73, 8.02, 14.36)
    assert result.e_value == pytest.approx(20.94777, abs=5e-6)
    assert result.e_value_limit == pytest.approx(15.52336, abs=5e-6)


def test_e_value_of_vanderweele_and_ding_breastfeeding_example():
    result = e_value(3.9, 1.8, 8.7)
    assert result.e_value == pytest.approx(7.263034, abs=5e-7)
    assert round(result.e_value, 2) == 7.26
    assert result.e_value_limit == pytest.approx(3.0, abs=1e-12)  # 1.8 + sqrt(1.8 x 0.8)


def test_a_protective_ratio_has_the_e_value_of_its_inverse():
    protective = e_value(0.80, 0.71, 0.91)
    assert protective.e_value == pytest.approx(e_value(1 / 0.80).e_value, rel=1e-12)
    assert protective.e_value_limit == pytest.approx(e_value(1 / 0.91).e_value, rel=1e-12)


def test_an_interval_including_the_null_has_a_limit_e_value_of_one():
    assert e_value(1.3, 0.9, 1.9).e_value_limit == 1.0
    assert e_value(1.3).e_value_limit is None


def test_e_value_towards_a_non_null_true_ratio():
    assert e_value(2.5, true=1.5).e_value == pytest.approx(e_value(2.5 / 1.5).e_value, rel=1e-12)


def test_a_difference_in_proportions_is_converted_on_its_base_rate():
    assert risk_ratio_from_difference(0.05, 0.10) == pytest.approx(1.5)
    result = e_value_from_difference(0.05, 0.10, lower=0.01, upper=0.09)
    assert result.risk_ratio == pytest.approx(1.5)
    assert result.e_value == pytest.approx(1.5 + math.sqrt(1.5 * 0.5))
    assert result.e_value_limit == pytest.approx(e_value(1.1).e_value)


def test_bad_e_value_inputs_are_option_errors():
    for call in (
        lambda: e_value(0.0),
        lambda: e_value(2.0, 1.0),
        lambda: e_value(2.0, 2.5, 3.0),
        lambda: risk_ratio_from_difference(0.05, 0.0),
        lambda: risk_ratio_from_difference(-0.2, 0.1),
    ):
        with pytest.raises(OptionError):
            call()
