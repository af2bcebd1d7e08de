"""The "How sure can we be" numbers (`evaluation.how_sure`) and their words
(`evaluation.report.how_sure`): every sentence states the numbers it is built from."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.disclosure import DEFAULT_POLICY
from evaluation.how_sure import STATED_EFFECT, MatchedSureness, matched_sureness
from evaluation.power import detectable_from_standard_error
from evaluation.report.how_sure import bias_sentences, matched_sentences, power_sentences
from evaluation.sensitivity.rosenbaum import e_value_from_difference, score_bounds


def test_the_detectable_effect_is_2_8_standard_errors():
    """Bloom (1995, Evaluation Review 19(5), "Minimum detectable effects"): at a two-sided 5% test
    and 80% power the minimum detectable effect is 2.80 standard errors."""
    found = detectable_from_standard_error(0.05, 70)
    # statsmodels counts the (tiny) chance of rejecting in the wrong tail too, hence rel=1e-5
    assert found.multiplier == pytest.approx(stats.norm.ppf(0.975) + stats.norm.ppf(0.8), rel=1e-5)
    assert found.multiplier == pytest.approx(2.80, abs=0.005)
    assert found.difference == pytest.approx(0.140, abs=0.001)
    # the standard error shrinks as one over root n: at the participants needed, 5 points is detectable
    needed = found.participants_needed
    assert found.multiplier * 0.05 * math.sqrt(70 / needed) <= STATED_EFFECT
    assert found.multiplier * 0.05 * math.sqrt(70 / (needed - 1)) > STATED_EFFECT


def test_at_the_detectable_effect_the_test_rejects_four_times_in_five():
    """Simulation: estimates drawn around the detectable effect with its standard error."""
    found = detectable_from_standard_error(0.03, 200)
    draws = np.random.default_rng(11).normal(found.difference, 0.03, 20_000)
    rejected = np.mean(np.abs(draws / 0.03) > stats.norm.ppf(0.975))
    assert rejected == pytest.approx(0.80, abs=0.01)


def _matched(estimate=0.07, se=0.032, base=0.2, seed=3, n_sets=150, effect=0.15):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sets):
        rows.append((s, True, rng.normal(effect, 0.4)))
        rows += [(s, False, rng.normal(0, 0.4)) for _ in range(int(rng.integers(3, 11)))]
    sets = pd.DataFrame(rows, columns=["set", "treated", "score"]).assign(level=0)
    horizons = pd.DataFrame({"horizon": [6], "n": [n_sets]})
    z = stats.norm.ppf(0.975)
    return SimpleNamespace(
        horizon=6,
        horizons=horizons,
        estimate=estimate,
        std_error=se,
        ci_lower=estimate - z * se,
        ci_upper=estimate + z * se,
        p_value=2 * stats.norm.sf(abs(estimate / se)),
        comparison_rate=base,
        matched_sets=sets,
        secondary=pd.DataFrame(),
        observed_rate=0.3,
    )


def test_matched_sureness_composes_power_bias_bounds_and_e_value():
    matched = _matched()
    found = matched_sureness(matched, alpha=0.05)
    assert found.significant and found.n_sets == 150
    assert found.detectable.difference == pytest.approx(2.8016 * 0.032, rel=1e-3)
    sets = matched.matched_sets
    assert found.rosenbaum == score_bounds(sets["set"], sets["treated"], sets["score"])
    expected = e_value_from_difference(0.07, 0.2, matched.ci_lower, matched.ci_upper)
    assert found.e_value.e_value == pytest.approx(expected.e_value)
    assert found.e_value.e_value_limit == pytest.approx(expected.e_value_limit)


def _sureness(**changes) -> MatchedSureness:
    base = matched_sureness(_matched(), alpha=0.05)
    return MatchedSureness(**{**base.__dict__, **changes})


def test_a_not_significant_verdict_says_what_could_have_been_missed():
    sureness = _sureness(
        estimate=0.009, significant=False, detectable=detectable_from_standard_error(0.0382, 110)
    )
    words = power_sentences(sureness, 110, DEFAULT_POLICY)
    assert (
        words[0]
        == "With about 110 participants this analysis could only detect effects of 11 percentage points or more."
    )
    assert "0.9 percentage points up, is not statistically significant" in words[1]
    assert "smaller than 11 percentage points could have gone undetected" in words[1]
    needed = sureness.detectable.participants_needed
    assert (
        words[2]
        == f"To detect an effect of 5 percentage points, an activity would need at least {needed:,} participants."
    )


def test_a_significant_effect_below_the_detectable_size_is_flagged():
    sureness = _sureness(
        estimate=0.07, significant=True, detectable=detectable_from_standard_error(0.0327, 175)
    )
    words = power_sentences(sureness, 175, DEFAULT_POLICY)
    assert "9 percentage points or more" in words[0]
    assert "7 percentage points up, is statistically significant but smaller than that" in words[1]
    large = _sureness(estimate=0.12, significant=True, detectable=detectable_from_standard_error(0.0327, 175))
    assert (
        "significant and larger than the smallest detectable effect"
        in power_sentences(large, 175, DEFAULT_POLICY)[1]
    )


def test_hidden_bias_is_stated_with_the_critical_gamma_and_e_values():
    sureness = _sureness()
    gamma = sureness.rosenbaum.critical_gamma
    assert gamma is not None and 1 < gamma < 100
    words = bias_sentences(sureness)
    assert f"{gamma:.2f} times as likely to take part" in words[0]
    assert f"about {sureness.e_value.e_value:.1f} times as likely" in words[1]
    assert f"about {sureness.e_value.e_value_limit:.1f} times to bring the interval" in words[1]


def test_no_finding_means_nothing_for_hidden_bias_to_explain():
    matched = _matched(estimate=0.01, effect=0.0, seed=8)
    sureness = matched_sureness(matched, alpha=0.05)
    assert sureness.rosenbaum.critical_gamma is None
    words = bias_sentences(sureness)
    assert f"(p = {sureness.rosenbaum.p_upper[0]:.2f})" in words[0]
    assert "no finding for hidden bias to explain away" in words[0]
    assert words[1].endswith("the confidence interval already includes no effect.")


def test_every_sentence_is_built_and_ends_as_a_sentence():
    for sureness in (_sureness(), matched_sureness(_matched(estimate=0.01, effect=0.0, seed=8), alpha=0.05)):
        for sentence in matched_sentences(sureness, 150, DEFAULT_POLICY):
            assert sentence.endswith(".") and "{" not in sentence and "nan" not in sentence


def _area_impact(effect: float, seed: int = 1):
    """An area activity as the report sees it: 6 treated and 14 comparison areas, 12 quarters."""
    from evaluation.did.few_clusters import area_inference

    rng = np.random.default_rng(seed)
    first = np.array([7, 7, 8, 8, 9, 9] + [0] * 14)
    wide = rng.normal(0, 0.5, (20, 12)) + rng.normal(0, 1, (20, 1))
    for i, g in enumerate(first):
        if g:
            wide[i, g - 1 :] += effect
    inference = area_inference(wide, first, seed=1)
    impact = SimpleNamespace(
        area_inference=inference,
        headline=inference.wild,
        n_treated_areas=6,
        n_control_areas=14,
        alpha=0.05,
        area_sensitivity=None,
    )
    return impact, inference


def test_area_sentences_state_the_detectable_change_and_the_bootstrap_p_value():
    from evaluation.report.how_sure import area_sentences, few_cluster_table

    impact, inference = _area_impact(effect=0.0)
    words = area_sentences(impact, multiplier_p=0.5)
    mde = detectable_from_standard_error(inference.wild.std_error, 6).difference
    assert words[0] == (
        "With 6 areas where the activity ran and 14 comparison areas, this analysis could only detect changes in "
        f"the employment rate of {mde:.1f} percentage points or more."
    )
    assert f"(p = {inference.wild.p_value:.3f})" in words[1]
    table = few_cluster_table(inference, (0.5, -1.0, 1.0))
    assert table["p-value"].tolist() == [
        f"{inference.wild.p_value:.3f}",
        f"{inference.wild.cluster_t.p_value:.3f}",
        f"{inference.randomisation.p_value:.3f}",
        "0.500",
    ]
    assert table.iloc[0, 0].endswith("the headline")


def test_methods_that_disagree_are_named():
    from evaluation.report.how_sure import area_sentences

    impact, inference = _area_impact(effect=0.0)
    assert inference.wild.p_value >= 0.05
    words = area_sentences(impact, multiplier_p=0.001)  # the under-covering default alone finds an effect
    disagreement = [w for w in words if w.startswith("The methods disagree")]
    assert inference.randomisation.p_value >= 0.05 and inference.wild.cluster_t.p_value >= 0.05
    assert disagreement == [
        "The methods disagree: the multiplier bootstrap finds a significant effect, the wild cluster bootstrap, "
        "the t-test and randomisation inference do not. Read the verdict with caution."
    ]
    assert not any(w.startswith("The methods disagree") for w in area_sentences(impact, multiplier_p=0.5))


def test_the_outcome_table_marks_the_primary_and_adjusts_only_the_secondary_outcomes():
    from evaluation.report.how_sure import outcome_table

    matched = _matched()
    matched.observed_rate = 0.30
    secondary = pd.DataFrame(
        {
            "label": ["Benefit", "Sustained", "Earnings"],
            "proportion": [True, True, False],
            "estimate": [-0.05, 0.04, 55.0],
            "ci_lower": [-0.09, 0.0, -10.0],
            "ci_upper": [-0.01, 0.08, 120.0],
            "p_value": [0.01, 0.04, 0.03],
            "n": [150, 150, 150],
            "participants_level": [0.5, 0.2, 400.0],
            "comparison_level": [0.55, 0.16, 345.0],
        }
    )
    matched.secondary = secondary
    table = outcome_table(matched, DEFAULT_POLICY)
    assert table["Outcome"].tolist() == ["In work (primary outcome)", "Benefit", "Sustained", "Earnings"]
    # Benjamini-Hochberg by hand: sorted 0.01, 0.03, 0.04 times 3/1, 3/2, 3/3 = 0.03, 0.045, 0.04 -> 0.03, 0.04, 0.04
    assert table["Adjusted p-value"].tolist() == ["primary", "0.030", "0.040", "0.040"]
    assert table["p-value"].tolist()[1:] == ["0.010", "0.040", "0.030"]
    assert table.loc[1, "Effect (95% interval)"] == "-5.0 (-9.0 to -1.0)"
    assert table.loc[3, "Effect (95% interval)"] == "+£55 (-£10 to +£120)"
    assert table.loc[3, "Participants"] == "£400"
    assert table.loc[0, "Participants"] == "30%"


def test_a_level_resting_on_too_few_people_is_not_published():
    from evaluation.report.how_sure import outcome_table

    matched = _matched(n_sets=12)
    matched.observed_rate = 2 / 12  # two people in work among 12 followed
    table = outcome_table(matched, DEFAULT_POLICY)
    assert table.loc[0, "Participants"] == "[c]"


def test_the_cohort_table_gives_each_effect_or_its_reason_with_adjusted_p_values():
    from evaluation.report.how_sure import subgroup_table

    subgroups = pd.DataFrame(
        {
            "cohort": ["Women", "Carers", "Disabled"],
            "n": [80, 7, 70],
            "estimate": [0.05, np.nan, -0.02],
            "ci_lower": [0.01, np.nan, -0.07],
            "ci_upper": [0.09, np.nan, 0.03],
            "p_value": [0.02, np.nan, 0.40],
            "difference_p_value": [0.30, np.nan, 0.12],
            "reason": ["", "too few people: the cohort has fewer than 60 followed to the horizon", ""],
        }
    )
    table = subgroup_table(subgroups, DEFAULT_POLICY)
    assert table["Participants followed"].tolist() == ["80", "[c]", "70"]
    assert table["Effect (95% interval)"].tolist() == [
        "+5.0 (+1.0 to +9.0)",
        "not estimated",
        "-2.0 (-7.0 to +3.0)",
    ]
    # Benjamini-Hochberg over the two estimated: 0.02 x 2/1 = 0.04, 0.40 x 2/2 = 0.40
    assert table["Adjusted p-value"].tolist() == ["0.040", "", "0.400"]
    assert table["Differs from the rest (p)"].tolist() == ["0.300", "", "0.120"]
    assert table["Why not estimated"].iloc[1].startswith("too few people")


def test_trend_sensitivity_claims_no_conclusion_the_headline_does_not_draw():
    from evaluation.report.how_sure import area_sentences
    from evaluation.sensitivity.honest import honest_did

    impact, inference = _area_impact(effect=0.0)
    assert inference.wild.p_value >= 0.05
    # an event study whose own interval excludes zero: a breakdown value exists
    impact.area_sensitivity = honest_did([0.01, -0.02, 0.9, 1.1], np.diag([0.01, 0.01, 0.04, 0.04]), 2, 2)
    assert impact.area_sensitivity.breakdown_rm is not None
    words = area_sentences(impact, multiplier_p=0.5)
    assert words[-1].startswith(
        "Parallel trends (Rambachan & Roth 2023): the headline is not statistically significant"
    )
    assert not any("holds unless" in w for w in words)
    significant, _ = _area_impact(effect=2.0)
    significant.area_sensitivity = impact.area_sensitivity
    assert any("holds unless" in w for w in area_sentences(significant, multiplier_p=0.001))
