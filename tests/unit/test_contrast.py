"""The weighted contrast: statsmodels' clustered WLS, plus per-person contributions for joint tests."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from evaluation.contrast import joint_wald, weighted_contrast


def _data(seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, 150, n)
    treated = rng.random(n) < 0.3
    x = rng.normal(size=(n, 2))
    weights = np.where(treated, 1.0, rng.uniform(0.1, 1.0, n))
    y = 0.2 * treated + x @ np.array([0.5, -0.3]) + rng.normal(size=n) + 0.3 * rng.normal(size=150)[clusters]
    return y, treated, weights, clusters, x


def test_estimate_and_standard_error_are_statsmodels_clustered_wls():
    y, treated, weights, clusters, x = _data()
    found = weighted_contrast(
        y, treated=treated, weights=weights, clusters=clusters, n_clusters=150, adjust=x
    )
    design = np.column_stack([np.ones(len(y)), treated.astype(float), x])
    reference = sm.WLS(y, design, weights=weights).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    assert found.estimate == pytest.approx(reference.params[1], rel=1e-12)
    assert found.std_error == pytest.approx(reference.bse[1], rel=1e-10)
    # the contributions reproduce the clustered variance exactly
    assert found.contributions @ found.contributions == pytest.approx(reference.bse[1] ** 2, rel=1e-10)


def test_rows_without_an_outcome_or_weight_are_left_out():
    y, treated, weights, clusters, x = _data(1)
    y = y.copy()
    y[:10] = np.nan
    weights = weights.copy()
    weights[10:20] = 0
    found = weighted_contrast(y, treated=treated, weights=weights, clusters=clusters, n_clusters=150)
    keep = np.arange(len(y)) >= 20
    design = np.column_stack([np.ones(keep.sum()), treated[keep].astype(float)])
    reference = sm.WLS(y[keep], design, weights=weights[keep]).fit(
        cov_type="cluster", cov_kwds={"groups": clusters[keep]}
    )
    assert found.estimate == pytest.approx(reference.params[1], rel=1e-12)
    assert found.n_treated == int((treated & keep).sum())


def test_joint_wald_of_two_estimates_uses_their_covariance():
    y, treated, weights, clusters, x = _data(2)
    first = weighted_contrast(y, treated=treated, weights=weights, clusters=clusters, n_clusters=150)
    second = weighted_contrast(
        y + x[:, 0], treated=treated, weights=weights, clusters=clusters, n_clusters=150
    )
    test = joint_wald([first, second])
    theta = np.array([first.estimate, second.estimate])
    psi = np.column_stack([first.contributions, second.contributions])
    statistic = theta @ np.linalg.solve(psi.T @ psi, theta)
    assert test.df == 2
    assert test.statistic == pytest.approx(statistic, rel=1e-9)
    assert test.p_value == pytest.approx(stats.chi2.sf(statistic, 2), rel=1e-9)


def test_one_participant_gives_an_estimate_without_a_standard_error():
    y = np.array([1.0, 0.0, 0.5, 0.2])
    treated = np.array([True, False, False, False])
    found = weighted_contrast(y, treated=treated, weights=np.ones(4), clusters=np.arange(4), n_clusters=4)
    assert found.estimate == pytest.approx(1.0 - 0.7 / 3, rel=1e-12)
    assert np.isnan(found.std_error)
