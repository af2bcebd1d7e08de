"""The parallel-trends sensitivity sentences say what the breakdown values say, never more."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest

from evaluation.report.sensitivity_words import (
    NOT_SIGNIFICANT,
    honest_sentence,
    rounded_down,
    smoothness_sentence,
)
from evaluation.sensitivity.honest import HonestResult, honest_did

BASE = HonestResult(
    l_vec=(1.0, 0.0),
    n_pre=3,
    n_post=2,
    alpha=0.05,
    estimate=0.04,
    std_error=0.01,
    original=(0.02, 0.06),
    relative_magnitudes=(),
    smoothness=(),
    breakdown_rm=1.5,
    breakdown_sd=0.02,
    largest_pre_change=0.01,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.9487, "1.9"),
        (0.4567, "0.45"),
        (12.7, "12"),
        (2.0, "2"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1.0, "1"),
        (0.999, "0.99"),
    ],
)
def test_rounded_down(value, text):
    assert rounded_down(value) == text


def test_the_issues_sentence():
    assert honest_sentence(BASE) == (
        "The conclusion holds unless post-start trends differ by more than 1.5 times the largest pre-start difference."
    )


def test_breakdown_of_one_reads_as_the_difference_itself():
    sentence = honest_sentence(replace(BASE, breakdown_rm=1.04))
    assert sentence.endswith("differ by more than the largest pre-start difference.")


def test_no_conclusion_zero_and_unbreakable():
    assert honest_sentence(replace(BASE, breakdown_rm=None)) == NOT_SIGNIFICANT
    assert smoothness_sentence(replace(BASE, breakdown_sd=None)) == NOT_SIGNIFICANT
    assert "exactly parallel" in honest_sentence(replace(BASE, breakdown_rm=0.0))
    assert "straight line" in smoothness_sentence(replace(BASE, breakdown_sd=0.0))
    assert "did not differ at all" in honest_sentence(replace(BASE, breakdown_rm=math.inf))
    assert "No bend" in smoothness_sentence(replace(BASE, breakdown_sd=math.inf))


def test_smoothness_units():
    assert "bends by more than 2.2 percentage points from one period" in smoothness_sentence(
        replace(BASE, breakdown_sd=0.02283)
    )
    assert "by more than 1 percentage point from" in smoothness_sentence(replace(BASE, breakdown_sd=0.0101))
    assert "by more than 0.022 from" in smoothness_sentence(replace(BASE, breakdown_sd=0.02283), points=False)


def _number(sentence: str) -> float:
    return float(re.search(r"more than (\d+(?:\.\d+)?)", sentence).group(1))


def test_sentences_follow_a_computed_result_and_never_round_up():
    """A small event study with a clear effect and a pre-trend: the numbers in the sentences are
    the breakdown values rounded down, and the interval at that number still excludes zero."""
    beta = np.array([-0.004, 0.003, -0.002, 0.05, 0.06])
    sigma = np.diag([4e-5, 3e-5, 2e-5, 6e-5, 8e-5]) + 5e-6
    result = honest_did(beta, sigma, 3, 2, mbar=[0.0, 1.0, 2.0], m=[0.0, 0.01])
    assert result.breakdown_rm is not None and result.breakdown_sd is not None
    assert 0 < result.breakdown_rm < math.inf and 0 < result.breakdown_sd < math.inf
    said_rm = _number(honest_sentence(result))
    said_sd = _number(smoothness_sentence(result)) / 100
    assert said_rm <= result.breakdown_rm < said_rm * 1.1
    assert said_sd <= result.breakdown_sd < said_sd * 1.1
    check = honest_did(beta, sigma, 3, 2, mbar=[said_rm], m=[said_sd], breakdown=False)
    assert check.relative_magnitudes[0].excludes_zero and check.smoothness[0].excludes_zero
