"""Rosenbaum bounds for scored outcomes in matched sets (`score_bounds`): the separable
approximation of Gastwirth, Krieger & Rosenbaum (2000), as in Rosenbaum (2002, §4.6)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evaluation.sensitivity.rosenbaum import matched_set_bounds, score_bounds


def _sets(seed: int, n_sets: int = 120, effect: float = 0.0):
    """1:k matched sets (k from 1 to 5) with a continuous score, the participant first."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sets):
        k = int(rng.integers(1, 6))
        rows.append((s, True, rng.normal() + effect))
        rows += [(s, False, rng.normal()) for _ in range(k)]
    sets, treated, scores = (np.array(column) for column in zip(*rows, strict=True))
    return sets, treated, scores


def test_without_hidden_bias_it_is_the_permutation_test_within_sets():
    """Γ = 1: the participant is any member of its set with equal chance, so the statistic's
    mean and variance are the sums of each set's mean score and its population variance."""
    sets, treated, scores = _sets(1, effect=0.3)
    found = score_bounds(sets, treated, scores, gammas=(1.0,))
    means = [scores[sets == s].mean() for s in np.unique(sets)]
    variances = [scores[sets == s].var() for s in np.unique(sets)]
    statistic = scores[treated].sum()
    expected_p = stats.norm.sf((statistic - sum(means)) / np.sqrt(sum(variances)))
    assert found.statistic == pytest.approx(statistic)
    assert found.expected == pytest.approx(sum(means))
    assert found.p_upper[0] == pytest.approx(expected_p, rel=1e-10)
    assert found.p_lower[0] == pytest.approx(expected_p, rel=1e-10)


def test_with_0_1_scores_it_is_the_binary_bound():
    rng = np.random.default_rng(4)
    sets, treated, _ = _sets(2)
    level = (rng.random(len(sets)) < np.where(treated, 0.45, 0.3)).astype(int)
    scored = score_bounds(sets, treated, level)
    ids = np.unique(sets)
    binary = matched_set_bounds(
        [int(level[(sets == s) & treated][0]) for s in ids],
        [int(level[(sets == s) & ~treated].sum()) for s in ids],
        [int(((sets == s) & ~treated).sum()) for s in ids],
    )
    np.testing.assert_allclose(scored.p_upper, binary.p_upper, rtol=1e-9)
    np.testing.assert_allclose(scored.p_lower, binary.p_lower, rtol=1e-9)
    assert (scored.critical_gamma is None) == (binary.critical_gamma is None)
    if binary.critical_gamma is not None:
        assert scored.critical_gamma == pytest.approx(binary.critical_gamma, rel=1e-6)


def test_the_bounds_widen_with_gamma_and_a_clear_effect_survives_some_bias():
    sets, treated, scores = _sets(3, n_sets=300, effect=0.6)
    found = score_bounds(sets, treated, scores)
    assert np.all(np.diff(found.p_upper) >= 0) and np.all(np.diff(found.p_lower) <= 0)
    assert found.critical_gamma is not None and found.critical_gamma > 1.2
    at_critical = score_bounds(sets, treated, scores, gammas=(found.critical_gamma,))
    assert at_critical.p_upper[0] == pytest.approx(0.05, abs=1e-6)
    null = score_bounds(*_sets(5, n_sets=300))
    assert null.critical_gamma is None or null.critical_gamma < 1.5


def test_a_set_without_exactly_one_participant_is_refused():
    with pytest.raises(ValueError, match="exactly one participant"):
        score_bounds([0, 0, 1], [True, True, False], [1.0, 0.0, 1.0])
