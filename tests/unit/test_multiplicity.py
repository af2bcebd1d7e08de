"""Adjusted p-values: Holm (1979) and Benjamini & Hochberg (1995), checked against the
methods' definitions worked by hand."""

from __future__ import annotations

import numpy as np

from evaluation.multiplicity import adjusted_p_values


def test_holm_multiplies_the_kth_smallest_by_m_minus_k_plus_1_and_keeps_the_order():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06
    np.testing.assert_allclose(adjusted_p_values(p, "holm"), [0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg_multiplies_by_m_over_rank_and_takes_the_running_minimum_from_the_top():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04
    np.testing.assert_allclose(adjusted_p_values(p, "fdr_bh"), [0.02, 0.04, 0.04, 0.02])


def test_missing_p_values_stay_missing_and_are_not_counted():
    found = adjusted_p_values([0.02, np.nan, 0.04], "holm")
    assert np.isnan(found[1])
    np.testing.assert_allclose(found[[0, 2]], [0.04, 0.04])
