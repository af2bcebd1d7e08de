"""Unit tests for evaluation.counterfactual: arithmetic by hand, sentences, evidence levels.

The worked example used throughout (all figures by hand):
  effect 6 points (95% CI 2 to 10 points) on the chance of being in work 12 months after
  referral; 30% of 500 participants were in work; spend £600,000.
  counterfactual rate = 0.30 - 0.06 = 0.24, interval 0.30 - [0.10, 0.02] = [0.20, 0.28]
  deadweight share of observed outcomes = 0.24 / 0.30 = 0.8
  gross outcomes = 0.30 x 500 = 150; reference case = 0.24 x 500 = 120
  net additional = 150 - 120 = 30, interval [0.02, 0.10] x 500 = [10, 50]
  cost per net additional = 600,000 / 30 = 20,000, interval [600,000 / 50, 600,000 / 10]
                          = [12,000, 60,000]
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evaluation.counterfactual import (
    EvidenceStrength,
    NetImpact,
    effect_sentence,
    evidence_strength,
    format_pp,
    net_impact,
)
from evaluation.results import EstimateResult


def effect(estimate: float, lower: float, upper: float, term: str = "12 months") -> EstimateResult:
    return EstimateResult(
        term=term,
        estimate=estimate,
        std_error=(upper - lower) / (2 * 1.959963984540054),
        ci_lower=lower,
        ci_upper=upper,
        n=200,
        alpha=0.05,
        method="test",
    )


POSITIVE = effect(0.06, 0.02, 0.10)
NEGATIVE = effect(-0.04, -0.07, -0.01)
NOT_SIGNIFICANT = effect(0.01, -0.012, 0.032)


@pytest.fixture
def worked() -> NetImpact:
    return net_impact(POSITIVE, observed_rate=0.30, n_participants=500, spend_gbp=600_000)


# ---------------------------------------------------------------- arithmetic


def test_counterfactual_and_deadweight_by_hand(worked):
    assert worked.observed_rate == pytest.approx(0.30, abs=1e-12)
    assert worked.counterfactual_rate == pytest.approx(0.24, abs=1e-12)
    assert worked.counterfactual_ci_lower == pytest.approx(0.20, abs=1e-12)
    assert worked.counterfactual_ci_upper == pytest.approx(0.28, abs=1e-12)
    # deadweight is the estimated counterfactual, not a ready-reckoner level
    assert worked.deadweight_rate == pytest.approx(0.24, abs=1e-12)
    assert worked.deadweight_share == pytest.approx(0.8, abs=1e-12)
    assert "estimated" in worked.deadweight_method


def test_net_additional_outcomes_by_hand(worked):
    assert worked.gross_outcomes == pytest.approx(150, abs=1e-9)
    assert worked.counterfactual_outcomes == pytest.approx(120, abs=1e-9)
    assert worked.additionality_factor == pytest.approx(1.0, abs=1e-12)
    assert worked.net_additional == pytest.approx(30, abs=1e-9)
    assert worked.net_additional_ci_lower == pytest.approx(10, abs=1e-9)
    assert worked.net_additional_ci_upper == pytest.approx(50, abs=1e-9)


def test_cost_per_net_additional_outcome_by_hand(worked):
    assert worked.cost_meaningful
    assert worked.cost_per_net_additional == pytest.approx(20_000, rel=1e-12)
    assert worked.cost_ci_lower == pytest.approx(12_000, rel=1e-12)
    assert worked.cost_ci_upper == pytest.approx(60_000, rel=1e-12)


def test_additionality_formula_of_the_hca_guide():
    # HCA Additionality Guide as quoted in CONVENTIONS ("Additionality"):
    #   net = gross x (1 - leakage) x (1 - displacement) x (1 - substitution) x multiplier
    #         - the same for the reference case.
    # With the guide's "low" leakage (10%), "low" displacement (25%), substitution 5% and a
    # multiplier of 1.5, by hand: factor = 0.9 x 0.75 x 0.95 x 1.5 = 0.961875;
    # net = 150 x 0.961875 - 120 x 0.961875 = 28.85625; interval [10, 50] x 0.961875.
    result = net_impact(
        POSITIVE,
        observed_rate=0.30,
        n_participants=500,
        spend_gbp=600_000,
        leakage=0.10,
        displacement=0.25,
        substitution=0.05,
        multiplier=1.5,
    )
    assert result.additionality_factor == pytest.approx(0.961875, rel=1e-12)
    assert result.net_additional == pytest.approx(28.85625, rel=1e-12)
    assert result.net_additional_ci_lower == pytest.approx(9.61875, rel=1e-12)
    assert result.net_additional_ci_upper == pytest.approx(48.09375, rel=1e-12)
    # by hand: 600,000 / 28.85625 = 20,792.9479...; bounds 600,000 / 48.09375, / 9.61875
    assert result.cost_per_net_additional == pytest.approx(600_000 / 28.85625, rel=1e-12)
    assert result.cost_ci_lower == pytest.approx(12_475.633528265107, rel=1e-12)
    assert result.cost_ci_upper == pytest.approx(62_378.16764132554, rel=1e-12)
    # the adjustments are recorded; deadweight is not among them
    assert (result.leakage, result.displacement, result.substitution, result.multiplier) == (
        0.10,
        0.25,
        0.05,
        1.5,
    )
    assert result.deadweight_rate == pytest.approx(0.24, abs=1e-12)


def test_cost_not_meaningful_when_interval_includes_zero():
    result = net_impact(NOT_SIGNIFICANT, observed_rate=0.2, n_participants=300, spend_gbp=1e5)
    assert not result.cost_meaningful
    assert np.isnan(result.cost_per_net_additional)
    assert np.isnan(result.cost_ci_lower) and np.isnan(result.cost_ci_upper)
    assert "includes zero" in result.cost_note
    assert result.cost_sentence().startswith("A cost per additional outcome is not meaningful")
    # net additional still reported with its interval: by hand 0.01 x 300 = 3, [-3.6, 9.6]
    assert result.net_additional == pytest.approx(3.0, abs=1e-9)
    assert result.net_additional_ci_lower == pytest.approx(-3.6, abs=1e-9)
    assert result.net_additional_ci_upper == pytest.approx(9.6, abs=1e-9)


def test_cost_not_meaningful_for_a_negative_effect():
    result = net_impact(NEGATIVE, observed_rate=0.2, n_participants=300, spend_gbp=1e5)
    assert not result.cost_meaningful
    assert np.isnan(result.cost_per_net_additional)
    assert "zero or negative" in result.cost_note


def test_no_spend_gives_no_cost():
    result = net_impact(POSITIVE, observed_rate=0.3, n_participants=500)
    assert result.spend_gbp is None
    assert not result.cost_meaningful
    assert "No spend" in result.cost_sentence()


def test_counterfactual_interval_is_clipped_to_valid_rates():
    # observed 5% and an effect up to 10 points: 0.05 - 0.10 < 0 is clipped to 0
    result = net_impact(POSITIVE, observed_rate=0.05, n_participants=100)
    assert result.counterfactual_ci_lower == 0.0
    assert result.counterfactual_ci_upper == pytest.approx(0.03, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"observed_rate": 1.2},
        {"observed_rate": -0.1},
        {"n_participants": -1},
        {"n_participants": 2.5},
        {"leakage": 1.0},
        {"displacement": -0.1},
        {"substitution": float("nan")},
        {"multiplier": 0.0},
        {"spend_gbp": -5.0},
    ],
)
def test_invalid_inputs_are_refused(kwargs):
    arguments = {"observed_rate": 0.3, "n_participants": 100} | kwargs
    with pytest.raises(ValueError):
        net_impact(POSITIVE, **arguments)


def test_effect_must_be_an_estimate_result():
    with pytest.raises(TypeError):
        net_impact(0.05, observed_rate=0.3, n_participants=100)  # type: ignore[arg-type]


def test_result_is_frozen(worked):
    with pytest.raises(dataclasses.FrozenInstanceError):
        worked.net_additional = 0  # type: ignore[misc]


def test_to_frame_lists_each_quantity(worked):
    frame = worked.to_frame()
    assert list(frame.columns) == ["measure", "estimate", "ci_lower", "ci_upper"]
    row = frame.set_index("measure").loc["net additional outcomes"]
    assert (row.estimate, row.ci_lower, row.ci_upper) == pytest.approx((30, 10, 50), abs=1e-9)


# ---------------------------------------------------------------- sentences


def test_sentence_significant_positive(worked):
    # Employment Data Lab headline style ("between X and Y ... more")
    assert worked.sentence() == (
        "Participants were between 2 and 10 percentage points more likely to be in work "
        "12 months after referral than similar people who did not take part."
    )


def test_sentence_significant_negative():
    assert effect_sentence(NEGATIVE) == (
        "Participants were between 1 and 7 percentage points less likely to be in work "
        "12 months after referral than similar people who did not take part."
    )


def test_sentence_not_significant():
    # the example of CONVENTIONS: "between 1 percentage point lower and 3 higher ...
    # not statistically significant"
    assert effect_sentence(NOT_SIGNIFICANT) == (
        "Participants were between 1 percentage point less likely and 3 more likely to be in "
        "work 12 months after referral than similar people who did not take part. "
        "The difference is not statistically significant."
    )


def test_sentence_labels_and_small_effects():
    small = effect(0.006, 0.004, 0.008, term="6 months")
    text = effect_sentence(small, horizon_label="6 months after referral")
    assert text == (
        "Participants were between 0.4 and 0.8 percentage points more likely to be in work "
        "6 months after referral than similar people who did not take part."
    )


def test_other_sentences_of_the_worked_example(worked):
    assert worked.counterfactual_sentence() == (
        "Without the programme, we estimate that between 20% and 28% of participants would "
        "have been in work 12 months after referral anyway, compared with 30% who were."
    )
    assert worked.net_sentence() == (
        "This means between 10 and 50 more of about 500 participants were in work 12 months "
        "after referral because of the programme (central estimate 30)."
    )
    assert worked.cost_sentence() == (
        "Each additional person in work 12 months after referral cost between £12,000 and "
        "£60,000 (central estimate £20,000)."
    )
    assert worked.sentences()[0] == worked.sentence()


def test_net_sentence_not_significant():
    result = net_impact(NOT_SIGNIFICANT, observed_rate=0.2, n_participants=300)
    # by hand: [-3.6, 9.6] people -> "between 4 fewer and 10 more"
    assert result.net_sentence() == (
        "This means between 4 fewer and 10 more of about 300 participants were in work 12 "
        "months after referral because of the programme (central estimate 3). The "
        "difference is not statistically significant."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.034, "3"),
        (-0.034, "3"),
        (0.125, "13"),  # half up (Python's round would give 12)
        (0.004, "0.4"),
        (0.0096, "1"),  # 0.96 points rounds to 1, shown as a whole number
        (0.0004, "less than 0.1"),
        (0.10, "10"),
    ],
)
def test_format_pp(value, text):
    assert format_pp(value) == text


# ---------------------------------------------------------------- evidence strength


@pytest.mark.parametrize(
    ("design", "level"),
    [
        ("matched_did", 3),  # CONVENTIONS: "Matched DiD scores 3, not 4"
        ("matched_comparison", 3),
        ("area_did", 3),  # DiD with a comparison group and before/after data
        ("did", 3),
        ("before_after", 1),  # before/after without controls
        ("descriptive", None),  # no impact estimate at all
    ],
)
def test_evidence_strength_levels(design, level):
    found = evidence_strength(design)
    assert isinstance(found, EvidenceStrength)
    assert found.level == level
    assert found.design == design
    if level is None:
        assert "not estimated" in found.sentence
    else:
        assert f"level {level} of 5" in found.sentence


def test_evidence_strength_rejects_unknown_design():
    with pytest.raises(ValueError, match="matched_did"):
        evidence_strength("rct")  # type: ignore[arg-type]
